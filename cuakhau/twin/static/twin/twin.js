// The twin's pages follow their runs by themselves. No dependencies.
// A run's page ([data-twin-live]) asks every second or two for its status and progress — a few
// bytes — and swaps in the server-rendered part once the status changed (the results when done).
// The list ([data-twin-runs]) asks for the status and progress of its unfinished runs.
"use strict";

(() => {
  const open = (status) => status === "queued" || status === "running";
  const percent = (fraction) => `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)} %`;

  const poll = (every, tick) => {
    let busy = false;
    let timer = null;
    const run = async () => {
      if (busy || document.hidden) return;
      busy = true;
      try {
        if ((await tick()) === false && timer) {
          clearInterval(timer);
          timer = null;
        }
      } catch {
        // A dropped connection: keep what is shown and try again next time.
      } finally {
        busy = false;
      }
    };
    timer = setInterval(run, every);
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && timer) run();
    });
  };

  const getJson = async (url) => {
    const response = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
    if (!response.ok) return null;
    return response.json();
  };

  for (const box of document.querySelectorAll("[data-twin-live]")) {
    if (!open(box.dataset.status)) continue;
    const every = Math.max(1, Number(box.dataset.interval) || 1.5) * 1000;
    poll(every, async () => {
      const url = new URL(box.dataset.twinLive, window.location.href);
      url.searchParams.set("since", box.dataset.status);
      const data = await getJson(url);
      if (!data) return true;
      if (typeof data.html === "string") {
        box.innerHTML = data.html; // our own page's fragment, escaped by the server's templates
        box.dataset.status = data.status;
      } else {
        const bar = box.querySelector("[data-testid=run-progress]");
        if (bar) {
          bar.value = data.progress;
          bar.textContent = percent(data.progress);
        }
        const text = box.querySelector("[data-testid=run-percent]");
        if (text) text.textContent = percent(data.progress);
      }
      return open(data.status);
    });
  }

  for (const table of document.querySelectorAll("[data-twin-runs]")) {
    const rows = () => [...table.querySelectorAll("tr[data-run]")].filter((row) => open(row.dataset.status));
    if (!rows().length) continue;
    const every = Math.max(1, Number(table.dataset.interval) || 2) * 1000;
    poll(every, async () => {
      const waiting = rows();
      if (!waiting.length) return false;
      const url = new URL(table.dataset.twinRuns, window.location.href);
      url.searchParams.set("ids", waiting.map((row) => row.dataset.run).join(","));
      const data = await getJson(url);
      if (!data) return true;
      for (const run of data.runs) {
        const row = table.querySelector(`tr[data-run="${run.id}"]`);
        if (!row) continue;
        row.dataset.status = run.status;
        const badge = row.querySelector("[data-role=status]");
        if (badge) {
          badge.textContent = run.label;
          badge.className = `badge ${run.tone}`;
        }
        const bar = row.querySelector("[data-role=progress]");
        if (bar) {
          bar.value = run.progress;
          bar.textContent = percent(run.progress);
          bar.hidden = !open(run.status);
        }
      }
      return rows().length > 0;
    });
  }
})();
