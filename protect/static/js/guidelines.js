// Guidelines: choosing a paragraph to comment on (click, or the keyboard on its comments link), and keeping
// the comment area's focus and announcements tidy. Without this file every action still works: the
// paragraph links open the comment form with the paragraph chosen, and forms post normally.
(() => {
  "use strict";

  const form = () => document.getElementById("comment-form");

  function choose(number, focus = true) {
    const f = form();
    if (!f) return false;
    const select = f.querySelector("select[name=paragraph]");
    if (!select || !select.querySelector(`option[value="${number}"]`)) return false;
    select.value = String(number);
    document.querySelectorAll(".para--selected").forEach((p) => p.classList.remove("para--selected"));
    document.getElementById(`p-${number}`)?.classList.add("para--selected");
    if (focus) {
      const text = f.querySelector("textarea");
      text?.focus({ preventScroll: true });
      f.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
    return true;
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.para__comment[data-paragraph]");
    if (link) {
      if (choose(link.dataset.paragraph)) event.preventDefault();
      return;
    }
    const para = event.target.closest(".para[data-paragraph]");
    // A click on a link inside the paragraph's text follows the link.
    if (para && !event.target.closest("a, button, input, textarea, select, summary")) {
      if (window.getSelection()?.toString()) return; // selecting text to copy is not choosing
      choose(para.dataset.paragraph);
    }
  });

  // Changing "About" in the form shows which paragraph is meant.
  document.addEventListener("change", (event) => {
    if (event.target.matches("#comment-form select[name=paragraph]")) {
      document.querySelectorAll(".para--selected").forEach((p) => p.classList.remove("para--selected"));
      if (event.target.value) document.getElementById(`p-${event.target.value}`)?.classList.add("para--selected");
    }
  });

  // Focus follows the keyboard: a paragraph's comments link that gets focus marks its paragraph.
  document.addEventListener("focusin", (event) => {
    const link = event.target.closest?.("a.para__comment[data-paragraph]");
    document.querySelectorAll(".para--focus").forEach((p) => p.classList.remove("para--focus"));
    if (link) link.closest(".para")?.classList.add("para--focus");
  });

  // A poll answered while one of the reader's own comment requests is on its way could bring the same new
  // thread a second time: no poll goes out while a write is in flight, and a write stops a poll in flight.
  const POLL = "comments-poll";
  let writesInFlight = 0;
  const writes = new WeakSet();
  const isPoll = (ctx) => ctx?.sourceElement?.id === POLL;

  document.addEventListener("htmx:before:request", (event) => {
    const ctx = event.detail.ctx;
    if (isPoll(ctx)) {
      if (writesInFlight > 0) event.preventDefault();
      return;
    }
    if (ctx?.request && ctx.request.method !== "GET" && document.getElementById(POLL)) {
      writes.add(ctx);
      writesInFlight += 1;
      htmx.trigger(document.getElementById(POLL), "htmx:abort");
    }
  });

  document.addEventListener("htmx:finally:request", (event) => {
    const ctx = event.detail.ctx;
    if (writes.has(ctx)) {
      writes.delete(ctx);
      writesInFlight = Math.max(0, writesInFlight - 1);
    }
  });

  // Should a thread still arrive twice, the page keeps the first copy.
  document.addEventListener("htmx:after:swap", () => {
    const seen = new Set();
    document.querySelectorAll("#threads > li.thread").forEach((thread) => {
      if (seen.has(thread.id)) thread.remove();
      else seen.add(thread.id);
    });
  });

  // After the reader's own action, focus what the answer asks for (an editor, a field with an error): the
  // swapped element replaced its target, so app.js cannot find it there. A poll never moves the focus.
  document.addEventListener("htmx:after:swap", (event) => {
    const ctx = event.detail.ctx;
    if (ctx?.sourceElement?.id === "comments-poll") return;
    const wanted = document.querySelector("#comments [data-autofocus]");
    if (wanted) {
      wanted.removeAttribute("data-autofocus");
      wanted.focus();
      return;
    }
    // A reply that was posted closes its box: the focus returns to its "Reply" button.
    const reply = ctx?.target?.id && document.getElementById(ctx.target.id);
    if (reply?.classList?.contains("thread__reply")) reply.querySelector("summary")?.focus();
  });
})();
