// Location votes: announce what a ranking step or a cast did, for screen readers. The pages work without it.
(() => {
  "use strict";

  // The ballot is swapped as a whole; a live region outside it carries the sentence the server sent.
  document.addEventListener("htmx:after:swap", () => {
    const region = document.getElementById("ballot-announce");
    const source = document.querySelector("#ballot [data-announce]");
    if (!region) return;
    region.textContent = "";
    if (source) {
      window.setTimeout(() => { region.textContent = source.getAttribute("data-announce"); }, 60);
    }
  });

  // A move button at the top or bottom stays focusable (aria-disabled) so that focus is never lost;
  // the server answers such a move with "already at the top".
})();
