// Programme pages: the little behaviour the pages need. Everything works without it.
(() => {
  "use strict";

  // The printable version's "Print this page" button (hidden without JavaScript, where the browser's own
  // print command does the same).
  document.addEventListener("DOMContentLoaded", () => {
    for (const button of document.querySelectorAll("[data-print]")) {
      button.hidden = false;
      button.addEventListener("click", () => window.print());
    }
  });

  // After an outerHTML swap the old target is gone: move the focus to what the new content asks for (a field
  // with an error, or the notice saying what happened), so keyboard and screen-reader users are not lost.
  document.addEventListener("htmx:after:swap", (event) => {
    const target = event.detail.ctx?.target;
    if (!target || target.isConnected || !target.id) return;
    const fresh = document.getElementById(target.id);
    const wanted = fresh?.matches("[data-autofocus]") ? fresh : fresh?.querySelector("[data-autofocus]");
    if (wanted) wanted.focus();
  });
})();
