// The decision log and the actions list: announce how many decisions or actions a filter found, and show the "Superseded by" choice only
// when it applies. The pages work without this file.
(() => {
  "use strict";

  const announce = (results) => {
    const summary = results.querySelector("[data-results-summary]");
    const status = document.getElementById("results-status");
    if (summary && status) status.textContent = summary.getAttribute("data-results-summary");
  };

  // A successful filter request clears the marks of a filter refused earlier (the results say what holds now).
  const clearFilterErrors = (form) => {
    form.querySelectorAll(".field--error").forEach((field) => {
      field.classList.remove("field--error");
      field.querySelectorAll(".field__error").forEach((error) => error.remove());
      field.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
    });
  };

  const syncSupersede = (root) => {
    root.querySelectorAll(".status-form").forEach((form) => {
      const select = form.querySelector("select[name=status]");
      const extra = form.querySelector("[data-when-status]");
      if (!select || !extra) return;
      const hasError = extra.querySelector(".field__error");
      extra.hidden = select.value !== extra.getAttribute("data-when-status") && !hasError;
    });
  };

  document.addEventListener("change", (event) => {
    if (event.target.matches?.(".status-form select[name=status]")) syncSupersede(document);
  });

  document.addEventListener("htmx:after:swap", (event) => {
    const target = event.detail.ctx?.target;
    if (target?.id === "action-results") announce(target);
    if (target?.id === "decision-results") {
      announce(target);
      const status = event.detail.ctx?.response?.status;
      const form = document.querySelector(".decision-filters");
      if (form && status && status < 400) clearFilterErrors(form);
    }
    syncSupersede(document);
  });

  document.addEventListener("DOMContentLoaded", () => syncSupersede(document));
})();
