// The live agenda: keeps the polling out of the way of the user's own changes, keeps focus where the
// keyboard was, tells others that an item is being edited, and announces what changed. Without this file
// every action still works (plain forms and links); with htmx alone the page still polls.
(() => {
  "use strict";

  const POLLER = "agenda-days";
  const HEARTBEAT_MS = 30000;
  const writes = new WeakSet();
  let writesInFlight = 0;
  let rememberedFocus = null;
  const announced = new Set();
  const beats = new Map();

  const poller = () => document.getElementById(POLLER);
  const isPoll = (ctx) => ctx?.sourceElement?.id === POLLER && ctx.request?.method === "GET";
  const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content;
  const live = (text) => {
    const region = document.getElementById("agenda-live");
    if (region) region.textContent = text;
  };
  const focusFirstField = (container) => {
    const field = container.querySelector("input:not([type=hidden]), select, textarea, button");
    field?.focus();
  };

  document.addEventListener("htmx:before:request", (event) => {
    const ctx = event.detail.ctx;
    if (isPoll(ctx)) {
      // A poll answered while one of our own changes is on its way could show the agenda from before it.
      if (writesInFlight > 0) event.preventDefault();
      return;
    }
    // "Add an item" twice opens one form, not two: go to the open one.
    const opener = ctx?.sourceElement?.closest?.("[data-opens]");
    const open = opener && document.getElementById(opener.dataset.opens);
    if (open) {
      event.preventDefault();
      focusFirstField(open);
      return;
    }
    if (ctx?.request && ctx.request.method !== "GET") {
      writes.add(ctx);
      writesInFlight += 1;
      const element = poller();
      if (element) htmx.trigger(element, "htmx:abort");
    }
  });

  document.addEventListener("htmx:finally:request", (event) => {
    const ctx = event.detail.ctx;
    if (writes.has(ctx)) {
      writes.delete(ctx);
      writesInFlight = Math.max(0, writesInFlight - 1);
    }
  });

  document.addEventListener("htmx:before:swap", (event) => {
    const ctx = event.detail.ctx;
    if (!isPoll(ctx)) return;
    const active = document.activeElement;
    // Focus inside an open editor survives by itself (htmx moves the editor); elsewhere remember it.
    rememberedFocus = active && active.id && !active.closest(".item-editor") && poller()?.contains(active) ? active.id : null;
  });

  document.addEventListener("htmx:after:swap", (event) => {
    const ctx = event.detail.ctx;
    if (isPoll(ctx)) {
      if (rememberedFocus && (document.activeElement === document.body || !document.activeElement)) {
        document.getElementById(rememberedFocus)?.focus();
      }
      rememberedFocus = null;
      announceChangesUnderEditors();
      return;
    }
    const wanted = document.querySelector("#agenda-days [data-autofocus], #agenda-notice [data-autofocus]");
    if (wanted) {
      wanted.removeAttribute("data-autofocus");
      wanted.focus();
    }
  });

  // The refreshed days say when an item someone is editing here changed or went away: say it aloud once.
  function announceChangesUnderEditors() {
    for (const notice of document.querySelectorAll(".item > .item__changed")) {
      const item = notice.closest(".item");
      if (!item.querySelector(":scope > .item-editor")) continue;
      const key = `${item.id}:${item.dataset.version}:${item.classList.contains("item--gone")}`;
      if (announced.has(key)) continue;
      announced.add(key);
      live(notice.textContent.trim());
    }
  }

  // While someone types in an editor, tell the server now and then, so others keep seeing
  // "being edited by NAME" (it lapses after two minutes without activity).
  document.addEventListener("input", (event) => {
    const editor = event.target.closest?.("[data-presence-url]");
    if (!editor) return;
    const url = editor.dataset.presenceUrl;
    const every = Number(editor.dataset.presenceEvery ?? HEARTBEAT_MS);
    const now = Date.now();
    const last = beats.get(url);
    if (last !== undefined && now - last < every) return;
    beats.set(url, now);
    fetch(url, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() ?? "" } }).catch(() => {});
  });
  document.addEventListener("htmx:after:swap", () => {
    // An editor just opened has told the server already (opening it did).
    for (const editor of document.querySelectorAll("[data-presence-url]")) {
      if (!beats.has(editor.dataset.presenceUrl)) beats.set(editor.dataset.presenceUrl, Date.now());
    }
  });

  document.addEventListener("click", (event) => {
    const target = event.target;
    if (target.closest?.("[data-print]")) {
      window.print();
      return;
    }
    const discard = target.closest?.("[data-discard]");
    if (discard) {
      // A new item's form: nothing was saved, so closing it needs no request.
      event.preventDefault();
      const entry = discard.closest("li.item");
      const day = entry?.closest(".agenda-day");
      entry?.remove();
      day?.querySelector(".agenda-day__add a")?.focus();
      return;
    }
    // Clicking an item (not one of its controls, not while selecting text) opens its editor.
    const display = target.closest?.(".item__display");
    if (!display || target.closest("a, button, input, select, textarea, summary, details, label, form")) return;
    if (window.getSelection()?.toString()) return;
    display.querySelector("[data-edit]")?.click();
  });

  // Escape in an editor cancels it, as its Cancel button does.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const editor = event.target.closest?.(".item-editor");
    if (!editor) return;
    const cancel = editor.querySelector("[data-cancel], [data-discard]");
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });
})();
