// The driver's page keeps itself up to date: it asks the public status endpoint every few
// seconds (and when the phone wakes up) and redraws the state and the agency checks.
"use strict";

(() => {
  const card = document.querySelector("[data-poll]");
  if (!card) return;
  const text = JSON.parse(document.getElementById("driver-text").textContent);
  const lang = card.dataset.lang || "vi";
  const every = Math.max(2, Number(card.dataset.interval) || 10) * 1000;
  const state = document.getElementById("driver-state");
  const checks = document.getElementById("driver-checks");
  const updated = document.querySelector("#driver-updated time");

  function show(trip) {
    state.textContent = trip.state_names[lang] || trip.state_names.vi;
    state.dataset.state = trip.state;
    state.className = `badge big ${text.tones[trip.state] || "muted"}`;
    checks.replaceChildren(...trip.checks.map((check) => {
      const item = document.createElement("li");
      item.className = `badge ${text.check_tones[check.status] || "muted"}`;
      item.dataset.agency = check.agency;
      const name = check.agency_names[lang] || check.agency_names.vi;
      item.textContent = `${name}: ${text.check_names[check.status] || check.status}`;
      return item;
    }));
    updated.textContent = new Date().toLocaleTimeString(document.documentElement.lang);
  }

  async function refresh() {
    try {
      const response = await fetch(card.dataset.poll, {
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      if (response.ok) show(await response.json());
    } catch {
      // Offline for a moment (a border yard has patchy coverage): try again next time.
    }
  }

  setInterval(refresh, every);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refresh();
  });
})();
