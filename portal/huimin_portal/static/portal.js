// Progressive enhancement only: every page works without this file.
// 1. Buttons with data-confirm ask before an irreversible step (approve, execute, reject).
// 2. A form, once sent, disables its submit buttons so a double click does not send it twice.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const button = event.submitter;
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if (form.method.toLowerCase() === "post") {
    window.setTimeout(() => {
      form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
    }, 0);
  }
});
