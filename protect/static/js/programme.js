// Programme pages: the "Print this page" button of the printable version (hidden without JavaScript,
// where the browser's own print command does the same).
(() => {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    for (const button of document.querySelectorAll("[data-print]")) {
      button.hidden = false;
      button.addEventListener("click", () => window.print());
    }
  });
})();
