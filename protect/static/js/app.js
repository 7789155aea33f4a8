// PROTECT Workspace — the little JavaScript the pages use. Every page works without it.
(() => {
  "use strict";

  const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content;

  // Send the CSRF token as a header on every state-changing htmx request.
  document.addEventListener("htmx:config:request", (event) => {
    const request = event.detail.ctx.request;
    const token = csrfToken();
    if (token && !/^(GET|HEAD|OPTIONS)$/i.test(request.method)) {
      request.headers["X-CSRFToken"] = token;
    }
  });

  const alerts = () => document.getElementById("alerts");

  // The page's messages for its scripts, in the page's language (base.html writes them).
  let messages = null;
  const message = (key) => {
    messages ??= JSON.parse(document.getElementById("js-messages")?.textContent || "{}");
    return messages[key] ?? key;
  };

  function showAlert(text, kind = "error") {
    const box = alerts();
    if (!box) return;
    const alert = document.createElement("div");
    alert.className = `alert alert--${kind}`;
    alert.setAttribute("role", "alert");
    const paragraph = document.createElement("p");
    paragraph.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "alert__close";
    close.setAttribute("data-dismiss", "");
    close.setAttribute("aria-label", message("dismiss"));
    close.textContent = "×";
    alert.append(paragraph, close);
    box.replaceChildren(alert);
  }

  // Server errors are not swapped into the page (htmx-config noSwap has "5xx"): say so in the alert area.
  document.addEventListener("htmx:response:error", (event) => {
    const status = event.detail.ctx.response?.status ?? 0;
    if (status === 503) {
      showAlert(message("unavailable"));
    } else if (status >= 500) {
      showAlert(message("failed").replace("{status}", String(status)));
    }
  });

  // Network failures and time-outs.
  document.addEventListener("htmx:error", (event) => {
    if (!event.detail.ctx?.response) {
      showAlert(message("unreachable"));
    }
  });

  // New content that asks for focus gets it (autofocus does not work on swapped-in content).
  document.addEventListener("htmx:after:swap", (event) => {
    const target = event.detail.ctx?.target;
    const wanted = target?.querySelector?.("[data-autofocus]") ?? (target?.matches?.("[data-autofocus]") ? target : null);
    if (wanted) wanted.focus();
  });

  // Menu buttons (the header's "Menu" on a phone, the account menu): a button with aria-expanded and
  // aria-controls opens and closes the element it controls; Escape closes it and gives the button the focus;
  // a popup (the account menu) also closes when a click or the focus goes elsewhere. The CSS folds the menus
  // only when scripting is enabled, so without this script they are simply open.
  const menuOf = (toggle) => document.getElementById(toggle.getAttribute("aria-controls"));

  function setOpen(toggle, open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function closeMenus(except = null) {
    document.querySelectorAll('[data-menu-toggle="popup"][aria-expanded="true"]').forEach((toggle) => {
      if (toggle !== except) setOpen(toggle, false);
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = [...document.querySelectorAll('[data-menu-toggle][aria-expanded="true"]')].find((toggle) => {
      const menu = menuOf(toggle);
      return toggle.contains(document.activeElement) || menu?.contains(document.activeElement);
    });
    if (!open) return;
    setOpen(open, false);
    open.focus();
  });

  document.addEventListener("focusout", (event) => {
    const toggle = event.target.closest?.(".account")?.querySelector('[data-menu-toggle="popup"]');
    if (!toggle || toggle.getAttribute("aria-expanded") !== "true") return;
    const area = toggle.closest(".account");
    if (event.relatedTarget && !area.contains(event.relatedTarget)) setOpen(toggle, false);
  });

  document.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-menu-toggle]");
    if (toggle) {
      closeMenus(toggle);
      setOpen(toggle, toggle.getAttribute("aria-expanded") !== "true");
      return;
    }
    const inPopup = event.target.closest(".account__menu");
    if (!inPopup) closeMenus();
    const dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) {
      dismiss.closest(".alert")?.remove();
      return;
    }
    const copy = event.target.closest("[data-copy]");
    if (copy) {
      const field = document.querySelector(copy.getAttribute("data-copy"));
      if (field) {
        field.select();
        navigator.clipboard?.writeText(field.value).then(
          () => { copy.textContent = message("copied"); },
          () => { copy.textContent = message("copy_by_hand"); },
        );
      }
    }
  });

  document.addEventListener("focusin", (event) => {
    if (event.target.matches?.("[data-select-on-focus]")) event.target.select();
  });
})();
