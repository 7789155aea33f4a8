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
    if (event.key !== "Escape" || event.defaultPrevented) return; // (the search box's list closed first)
    const open = [...document.querySelectorAll('[data-menu-toggle][aria-expanded="true"]')].find((toggle) => {
      const menu = menuOf(toggle);
      return toggle.contains(document.activeElement) || menu?.contains(document.activeElement);
    });
    if (!open) return;
    setOpen(open, false);
    open.focus();
  });

  document.addEventListener("focusout", (event) => {
    const toggle = event.target.closest?.(".account, .site-search-area")?.querySelector('[data-menu-toggle="popup"]');
    if (!toggle || toggle.getAttribute("aria-expanded") !== "true") return;
    const area = toggle.closest(".account, .site-search-area");
    if (event.relatedTarget && !area.contains(event.relatedTarget)) setOpen(toggle, false);
  });

  document.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-menu-toggle]");
    if (toggle) {
      closeMenus(toggle);
      const open = toggle.getAttribute("aria-expanded") !== "true";
      setOpen(toggle, open);
      if (open && toggle.matches(".search-toggle")) menuOf(toggle)?.querySelector("input")?.focus(); // type at once
      return;
    }
    const inPopup = event.target.closest(".account__menu, .site-search");
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

  // @mentions. A textarea with data-mention (its value: the address that suggests members) offers members
  // while "@" and the beginning of a name are typed just before the cursor: a listbox under the field, filled
  // by htmx from that address. ArrowDown and ArrowUp choose (aria-activedescendant on the field, aria-selected
  // on the option), Enter or Tab puts the mention's stored form, [@Name](/members/12), in place of "@text",
  // Escape closes, a click on a member inserts too; a polite status says how many members were found. A
  // textarea cannot take role=combobox (ARIA in HTML): it keeps its role, with aria-autocomplete and
  // aria-controls. Without this script the field is a plain textarea, where the stored form can be typed.
  const MENTION_FIELD = "textarea[data-mention]";
  // "@" at the start or after a space or an opening bracket, then up to 60 characters of a name (a letter or
  // digit first; no line break, "@" or bracket) up to the cursor.
  const MENTION_TYPED = /(?:^|[\s(>"'])@([\p{L}\p{N}][^\n@[\]()]{0,59})$/u;
  const mentions = new WeakMap(); // field -> its list, status and what was asked
  const mentionFields = new WeakMap(); // list -> its field
  let mentionLists = 0;

  function mentionSetUp(field) {
    let state = mentions.get(field);
    if (state) return state;
    mentionLists += 1;
    const list = document.createElement("ul");
    list.id = `mention-list-${mentionLists}`;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", message("mention_list"));
    list.hidden = true;
    const status = document.createElement("p");
    status.className = "sr-only";
    status.setAttribute("role", "status");
    field.after(list, status);
    field.setAttribute("aria-autocomplete", "list");
    field.setAttribute("aria-controls", list.id);
    state = { list, status, timer: 0, busy: false, asked: null, shown: null, active: -1, nothingFor: null, closedAt: -1 };
    mentions.set(field, state);
    mentionFields.set(list, field);
    return state;
  }

  // The "@name" being typed before the cursor: its text and where it begins and ends, or null.
  function mentionTyped(field) {
    if (field.selectionStart !== field.selectionEnd) return null;
    const end = field.selectionEnd;
    const from = Math.max(0, end - 62); // the longest "@name" and the character before it
    const match = MENTION_TYPED.exec(field.value.slice(from, end));
    if (!match) return null;
    return { query: match[1], start: end - match[1].length - 1, end };
  }

  // What to look for now: null when nothing is typed, when Escape closed the list for this "@", or when a
  // shorter text found nobody (a longer one cannot find more).
  function mentionWanted(field, state) {
    const typed = mentionTyped(field);
    if (!typed || typed.start === state.closedAt) return null;
    if (state.nothingFor !== null && typed.query.startsWith(state.nothingFor)) return null;
    return typed.query;
  }

  function mentionAnnounce(state, count) {
    const found = message("members_found");
    const text = Array.isArray(found) ? found[Math.min(count, found.length - 1)] : String(count);
    if (state.status.textContent !== text) state.status.textContent = text;
  }

  function mentionClose(field, state) {
    clearTimeout(state.timer);
    state.list.hidden = true;
    state.list.replaceChildren();
    state.shown = null;
    state.active = -1;
    field.removeAttribute("aria-activedescendant");
  }

  function mentionAsk(field, state) {
    const query = mentionWanted(field, state);
    if (query === null) {
      mentionClose(field, state);
      if (!mentionTyped(field)) state.nothingFor = null;
      return;
    }
    if (state.busy || query === state.shown) return; // one request at a time; its end asks again if needed
    state.busy = true;
    state.asked = query;
    const url = `${field.dataset.mention}?q=${encodeURIComponent(query)}`;
    htmx.ajax("GET", url, { source: state.list, target: state.list, swap: "innerHTML" })
      .then(() => mentionShow(field, state, query))
      .catch(() => mentionClose(field, state))
      .finally(() => {
        state.busy = false;
        const now = mentionWanted(field, state);
        if (now !== null && now !== state.asked) mentionAsk(field, state);
      });
  }

  function mentionShow(field, state, query) {
    const options = state.list.querySelectorAll('[role="option"]');
    if (!options.length) state.nothingFor = query;
    if (!options.length || mentionWanted(field, state) === null || document.activeElement !== field) {
      mentionClose(field, state);
      if (!options.length && document.activeElement === field) mentionAnnounce(state, 0);
      return;
    }
    // Shown even if the text moved on meanwhile: the request for the text of now follows (mentionAsk).
    state.shown = query;
    state.active = -1;
    field.removeAttribute("aria-activedescendant");
    state.list.hidden = false;
    mentionAnnounce(state, options.length);
  }

  function mentionActivate(field, state, options, index) {
    options.forEach((option, i) => option.setAttribute("aria-selected", i === index ? "true" : "false"));
    state.active = index;
    field.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({ block: "nearest" });
  }

  function mentionInsert(field, state, option) {
    const typed = mentionTyped(field);
    const stored = option?.dataset.mention;
    if (typed && stored) {
      const space = /^\s/.test(field.value.slice(typed.end)) ? "" : " ";
      field.setRangeText(stored + space, typed.start, typed.end, "end");
    }
    mentionClose(field, state);
    field.focus();
    field.dispatchEvent(new Event("input", { bubbles: true })); // other scripts see the new text
  }

  document.addEventListener("focusin", (event) => {
    if (event.target.matches?.(MENTION_FIELD)) mentionSetUp(event.target);
  });

  document.addEventListener("focusout", (event) => {
    const state = event.target.matches?.(MENTION_FIELD) && mentions.get(event.target);
    if (state) mentionClose(event.target, state);
  });

  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!field.matches?.(MENTION_FIELD)) return;
    const state = mentionSetUp(field);
    clearTimeout(state.timer);
    const typed = mentionTyped(field);
    if (!typed || typed.start !== state.closedAt) state.closedAt = -1;
    if (mentionWanted(field, state) === null) {
      mentionAsk(field, state); // closes now
    } else {
      state.timer = setTimeout(() => mentionAsk(field, state), 120);
    }
  });

  // Moving the cursor away from the "@name" (arrows, Home, End, a click in the text) closes the list.
  const CURSOR_KEYS = new Set(["ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"]);
  for (const type of ["keyup", "click"]) {
    document.addEventListener(type, (event) => {
      const field = event.target;
      const state = field.matches?.(MENTION_FIELD) && mentions.get(field);
      if (!state || state.list.hidden || (type === "keyup" && !CURSOR_KEYS.has(event.key))) return;
      if (mentionWanted(field, state) !== state.shown) mentionAsk(field, state);
    });
  }

  // The keys, before any other script's (an agenda item's editor closes on Escape: here only the list does).
  document.addEventListener(
    "keydown",
    (event) => {
      const field = event.target;
      const state = field.matches?.(MENTION_FIELD) && mentions.get(field);
      if (!state || state.list.hidden || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
      const options = [...state.list.querySelectorAll('[role="option"]')];
      if (!options.length) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        const start = state.active < 0 ? (step > 0 ? -1 : 0) : state.active;
        mentionActivate(field, state, options, (start + step + options.length) % options.length);
      } else if ((event.key === "Enter" || (event.key === "Tab" && !event.shiftKey)) && state.active >= 0) {
        event.preventDefault();
        mentionInsert(field, state, options[state.active]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopImmediatePropagation();
        state.closedAt = mentionTyped(field)?.start ?? -1;
        mentionClose(field, state);
      }
    },
    true,
  );

  // A click on a member inserts them; pressing the mouse on the list keeps the focus in the field.
  document.addEventListener("mousedown", (event) => {
    if (event.target.closest?.(".mention-list")) event.preventDefault();
  });
  document.addEventListener("click", (event) => {
    const option = event.target.closest?.('.mention-list [role="option"]');
    const field = option && mentionFields.get(option.closest(".mention-list"));
    const state = field && mentions.get(field);
    if (state) mentionInsert(field, state, option);
  });

  // The header's search box: a combobox (ARIA 1.2) over its suggestions. htmx asks for them as the member types
  // (debounced) and swaps them into the list; here the list opens, the arrow keys move through it (the focus
  // stays in the box: aria-activedescendant), Enter opens the chosen suggestion or, with none chosen, submits the
  // form (the full results), and Escape closes the list.
  const SEARCH_BOX = "input[data-site-search]";
  const searchList = (box) => document.getElementById(box.getAttribute("aria-controls"));
  const searchOptions = (box) => [...(searchList(box)?.querySelectorAll('[role="option"]') ?? [])];

  function searchClose(box) {
    const list = searchList(box);
    if (list) list.hidden = true;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
  }

  function searchChoose(box, options, index) {
    options.forEach((option, i) => option.setAttribute("aria-selected", i === index ? "true" : "false"));
    box.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("htmx:after:swap", (event) => {
    const list = event.detail.ctx?.target;
    const box = list && document.querySelector(`${SEARCH_BOX}[aria-controls="${list.id}"]`);
    if (!box) return;
    const options = searchOptions(box);
    const status = box.form?.querySelector('[role="status"]');
    if (!box.value.trim() || document.activeElement !== box) {
      searchClose(box);
      return;
    }
    list.hidden = options.length === 0;
    box.setAttribute("aria-expanded", options.length ? "true" : "false");
    box.removeAttribute("aria-activedescendant");
    const found = message("suggestions_found");
    if (status && Array.isArray(found)) status.textContent = found[Math.min(options.length, found.length - 1)];
  });

  document.addEventListener(
    "keydown",
    (event) => {
    const box = event.target;
    if (!box.matches?.(SEARCH_BOX) || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
    const options = searchOptions(box);
    const open = box.getAttribute("aria-expanded") === "true" && options.length > 0;
    const chosen = options.findIndex((option) => option.getAttribute("aria-selected") === "true");
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && open) {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      const start = chosen < 0 ? (step > 0 ? -1 : 0) : chosen;
      searchChoose(box, options, (start + step + options.length) % options.length);
    } else if (event.key === "Enter" && open && chosen >= 0) {
      event.preventDefault();
      window.location.assign(options[chosen].dataset.href);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      searchClose(box);
    }
    },
    true, // before the menus' Escape: an open list closes first, then the box
  );

  document.addEventListener("focusout", (event) => {
    const box = event.target;
    if (box.matches?.(SEARCH_BOX)) setTimeout(() => { if (document.activeElement !== box) searchClose(box); }, 150);
  });
  document.addEventListener("mousedown", (event) => {
    if (event.target.closest?.(".site-search__list")) event.preventDefault(); // the focus stays in the box
  });
  document.addEventListener("click", (event) => {
    const option = event.target.closest?.('.site-search__list [role="option"]');
    if (option?.dataset.href) window.location.assign(option.dataset.href);
  });
})();
