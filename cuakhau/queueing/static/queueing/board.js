// The yard's display board keeps itself up to date: it asks the public board endpoint every
// two seconds and redraws when what the board shows has changed. When the network drops it
// keeps the last data on screen and says since when. No dependencies.
"use strict";

(() => {
  const body = document.body;
  const url = body.dataset.board;
  if (!url) return;
  const text = JSON.parse(document.getElementById("board-text").textContent);
  const every = Math.max(1, Number(body.dataset.interval) || 2) * 1000;
  const called = document.getElementById("board-called");
  const upcoming = document.getElementById("board-next");
  const lanes = document.getElementById("board-lanes");
  const waiting = document.getElementById("board-waiting");
  const offline = document.getElementById("board-offline");
  const clocks = {
    vn: [document.getElementById("clock-vn"), "Asia/Ho_Chi_Minh"],
    cn: [document.getElementById("clock-cn"), "Asia/Shanghai"],
  };
  const formats = {};
  for (const [key, [, zone]] of Object.entries(clocks)) {
    formats[key] = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    });
  }
  const hourMinute = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });

  // The screen's own clock may be wrong: show the server's time, as last seen.
  let offset = Date.parse(body.dataset.now) - Date.now() || 0;
  let shown = null; // what is on screen now, to redraw only on a change
  let lastGood = Date.now() + offset;
  // Calls already on screen, so that only new ones flash.
  const keyOf = (number, calledAt) => `${number}@${Date.parse(calledAt)}`;
  let seen = new Set([...called.querySelectorAll("tr[data-key]")].map((row) => {
    const [number, calledAt] = row.dataset.key.split("@");
    return keyOf(number, calledAt);
  }));

  function el(tag, className, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function zh(value) {
    const span = el("span", "", value);
    span.lang = "zh-Hans";
    return span;
  }

  function both(key, className = "") {
    // "Vietnamese 中文" for a label of the board.
    return el("span", className, `${text[key].vi} `, zh(text[key].zh));
  }

  // Vietnamese plates as painted: 12C12345 → 12C-123.45 (the page's filter does the same).
  function plate(value) {
    const match = /^(\d{2}[A-Z]{1,2}\d?)(\d{3})(\d{2})$|^(\d{2}[A-Z]{1,2})(\d{4})$/.exec(value || "");
    if (!match) return value || "";
    return match[1] ? `${match[1]}-${match[2]}.${match[3]}` : `${match[4]}-${match[5]}`;
  }

  function clockTime(iso) {
    return iso ? hourMinute.format(new Date(iso)) : "—";
  }

  function renderCalled(rows) {
    if (!rows.length) {
      const cell = el("td", "", `${text.none_called.vi} `, zh(text.none_called.zh));
      cell.colSpan = 5;
      called.replaceChildren(el("tr", "none", cell));
      seen = new Set();
      return;
    }
    const keys = new Set();
    called.replaceChildren(...rows.map((call) => {
      const key = keyOf(call.number, call.called_at);
      keys.add(key);
      const row = el(
        "tr", seen.has(key) ? "" : "fresh",
        el("td", "plate", plate(call.tractor_plate)),
        el("td", "num", String(call.number)),
        el("td", "num lane", call.lane === null ? "—" : String(call.lane)),
        el("td", "passage", call.passage),
        el("td", "before", clockTime(call.expires_at)),
      );
      row.dataset.key = key;
      return row;
    }));
    seen = keys;
  }

  function renderNext(rows) {
    if (!rows.length) {
      upcoming.replaceChildren(el("li", "none", `${text.none_next.vi} `, zh(text.none_next.zh)));
      return;
    }
    upcoming.replaceChildren(...rows.map((next) => el(
      "li", "",
      el("span", "num", String(next.number)),
      el("span", "plate", plate(next.tractor_plate)),
      next.green ? both("green", "tag green") : null,
      next.booked ? both("booked", "tag booked") : null,
    )));
  }

  function renderLanes(rows) {
    lanes.replaceChildren(...rows.map((lane) => {
      const state = lane.paused ? "paused" : (lane.open_now ? "open" : "closed");
      const item = el("li", `lane ${state}`, el("strong", "", lane.names.vi));
      if (lane.names.zh !== lane.names.vi) item.append(" ", zh(lane.names.zh));
      item.append(": ");
      if (lane.paused) {
        item.append(both("paused"));
        if (lane.pause_reason) item.append(` — ${lane.pause_reason}`);
      } else if (!lane.open_now) {
        item.append(both("closed"));
      } else {
        item.append(
          `${lane.lanes_open} ${text.lanes_unit.vi} · `,
          zh(`${lane.lanes_open} ${text.lanes_unit.zh}`),
        );
      }
      return item;
    }));
  }

  function render(data) {
    renderCalled(data.called);
    renderNext(data.upcoming);
    renderLanes(data.lanes);
    waiting.textContent = String(data.waiting);
    body.dataset.version = data.version;
  }

  function tick() {
    const now = new Date(Date.now() + offset);
    for (const [key, [node]] of Object.entries(clocks)) node.textContent = formats[key].format(now);
  }

  function setOffline(down) {
    offline.hidden = !down;
    body.classList.toggle("is-offline", down);
    if (down) offline.querySelector("time").textContent = formats.vn.format(new Date(lastGood));
  }

  async function poll() {
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), Math.max(every * 2, 4000));
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        cache: "no-store",
        signal: controller.signal,
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      if (data.at) offset = Date.parse(data.at) - Date.now();
      lastGood = Date.now() + offset;
      // The version changes with what the board shows; the rest guards details it leaves out
      // (a pause's reason, an extended call).
      const current = JSON.stringify([data.version, data.called, data.upcoming, data.lanes]);
      if (current !== shown) {
        render(data);
        shown = current;
      }
      setOffline(false);
    } catch {
      setOffline(true);
    } finally {
      clearTimeout(timeout);
      setTimeout(poll, every);
    }
  }

  tick();
  setInterval(tick, 1000);
  setTimeout(poll, every);
})();
