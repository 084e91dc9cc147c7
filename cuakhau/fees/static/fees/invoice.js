// An invoice's payment, followed by itself: while it is unpaid (or not yet created, on the
// driver's page), ask the server every few seconds for its status — a few bytes — and swap in
// the server-rendered part once it changed (paid: the receipt link). No dependencies.
"use strict";

(() => {
  const open = (status) => status === "" || status === "unpaid";

  for (const box of document.querySelectorAll("[data-fee-live]")) {
    const every = Math.max(2, Number(box.dataset.interval) || 3) * 1000;
    let timer = null;
    let busy = false;

    const stop = () => {
      if (timer) clearInterval(timer);
      timer = null;
    };

    const refresh = async () => {
      if (busy) return;
      if (!open(box.dataset.status)) {
        stop();
        return;
      }
      busy = true;
      try {
        const url = new URL(box.dataset.feeLive, window.location.href);
        url.searchParams.set("since", box.dataset.status);
        const response = await fetch(url, {
          cache: "no-store",
          headers: { Accept: "application/json" },
        });
        if (!response.ok) return;
        const data = await response.json();
        if (typeof data.html === "string") {
          box.innerHTML = data.html; // our own page's fragment, escaped by the server's templates
        }
        box.dataset.status = data.status;
        if (!open(data.status)) stop();
      } catch {
        // Patchy coverage at the border: keep what is shown and try again next time.
      } finally {
        busy = false;
      }
    };

    timer = setInterval(refresh, every);
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && timer) refresh();
    });
  }
})();
