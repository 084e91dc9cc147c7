// Cửa khẩu số — small behaviours every page shares. No dependencies.
"use strict";

document.addEventListener("click", (event) => {
  // Copy a link (driver link, token) to the clipboard: <button data-copy="#input-id">.
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const text = source.value || source.textContent;
  const done = () => {
    const label = button.textContent;
    button.textContent = button.dataset.copied || "✓";
    setTimeout(() => { button.textContent = label; }, 2000);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => { source.select(); });
  } else {
    source.select();
    document.execCommand("copy");
    done();
  }
});

document.addEventListener("submit", (event) => {
  // Ask before irreversible actions: <form data-confirm="Cancel this trip?">.
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

document.addEventListener("change", (event) => {
  // A select that is the whole question (the yard at check-in): answer it at once.
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit();
});
