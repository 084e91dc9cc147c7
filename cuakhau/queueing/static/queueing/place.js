// The driver's page: the queue panel (place, expected call, the call itself) refreshes by itself,
// from a server-rendered fragment. No dependencies.
"use strict";

(() => {
  const box = document.querySelector("[data-place-url]");
  if (!box) return;
  const every = Math.max(5, Number(box.dataset.interval) || 15) * 1000;
  let shown = box.innerHTML.trim();

  async function refresh() {
    try {
      const response = await fetch(box.dataset.placeUrl, { cache: "no-store" });
      if (!response.ok) return;
      const html = (await response.text()).trim();
      if (html !== shown) {
        box.innerHTML = html; // our own page's fragment, escaped by the server's templates
        shown = html;
      }
    } catch {
      // Patchy coverage at the border: keep what is shown and try again next time.
    }
  }

  setInterval(refresh, every);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refresh();
  });
})();
