// Bulk selection of the directory: show the checkboxes, count the selection, and enable
// each action button only when the server said it applies to a selected member (seed 001).
// The page is rendered with every button enabled, for browsers without JavaScript (the
// server then answers what applied and what was skipped); update() disables them at load.
(function () {
  "use strict";
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const toggle = document.getElementById("bulk-toggle");
  const panel = document.getElementById("bulk-panel");
  const counter = document.getElementById("bulk-count");
  const pageBox = document.getElementById("select-page");

  const boxes = () => Array.from(form.querySelectorAll('input[name="ids"]'));
  const allBox = () => form.querySelector('input[name="all"]');
  const words = (s) => (s || "").split(" ").filter(Boolean);

  function update() {
    const all = allBox();
    const applies = new Set();
    let n = 0;
    if (all && all.checked) {
      words(all.dataset.actions).forEach((a) => applies.add(a));
      n = parseInt(all.dataset.total || "0", 10);
    } else {
      boxes().forEach((b) => {
        if (b.checked) {
          n += 1;
          words(b.dataset.actions).forEach((a) => applies.add(a));
        }
      });
    }
    form.querySelectorAll("button[data-action]").forEach((btn) => {
      btn.disabled = !applies.has(btn.dataset.action);
    });
    if (counter) {
      counter.textContent =
        n === 0 ? form.dataset.selectedNone
        : n === 1 ? form.dataset.selectedOne
        : form.dataset.selectedMany.replace("{n}", n.toLocaleString());
    }
  }

  if (toggle) {
    toggle.addEventListener("click", () => {
      const on = toggle.getAttribute("aria-pressed") !== "true";
      toggle.setAttribute("aria-pressed", String(on));
      form.classList.toggle("bulk-on", on);
      if (panel) panel.hidden = !on;
      if (on) {
        const first = boxes()[0];
        if (first) first.focus();
      }
    });
  }
  // Keyboard (issue 15.8): in bulk mode the action bar comes right after the checkboxes.
  // Up/Down move from one member's checkbox to the next; Tab goes to the first action
  // that applies (the bar stays on screen); Shift+Tab and the rest of the row are as usual.
  form.addEventListener("keydown", (event) => {
    const t = event.target;
    if (!form.classList.contains("bulk-on") || !t.matches || !t.matches('input[name="ids"]')) return;
    const list = boxes();
    const at = list.indexOf(t);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const next = list[at + (event.key === "ArrowDown" ? 1 : -1)];
      if (next) {
        event.preventDefault();
        next.focus();
      }
    } else if (event.key === "Tab" && !event.shiftKey && !event.altKey && !event.ctrlKey) {
      const action = panel && panel.querySelector(".bulk-buttons button:not([disabled])");
      if (action) {
        event.preventDefault();
        action.focus();
      }
    }
  });
  form.addEventListener("change", (event) => {
    const t = event.target;
    if (t === pageBox) {
      boxes().forEach((b) => { b.checked = pageBox.checked; });
      const all = allBox();
      if (all && !pageBox.checked) all.checked = false;
    } else if (t === allBox()) {
      if (t.checked) {
        boxes().forEach((b) => { b.checked = true; });
        if (pageBox) pageBox.checked = true;
      }
    } else if (t.name === "ids" && !t.checked) {
      const all = allBox();
      if (all) all.checked = false;
      if (pageBox) pageBox.checked = false;
    }
    update();
  });
  // Results, confirmations and « Éditer » come back into #bulk-outcome (htmx); a result
  // also brings the list as it is now, whose checkboxes start unchecked.
  const outcome = document.getElementById("bulk-outcome");
  document.body.addEventListener("htmx:oobAfterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "members-table") {
      const all = allBox();
      if (all) all.checked = false;
      if (pageBox) pageBox.checked = false;
    }
  });
  document.body.addEventListener("htmx:afterSwap", (event) => {
    update();
    if (outcome && event.detail.target === outcome) {
      const focus = outcome.querySelector("[data-outcome-focus]");
      if (focus) {
        focus.scrollIntoView({ block: "start" });
        focus.focus({ preventScroll: true });
      }
    }
  });
  if (outcome) {
    // « Annuler » of an inline confirmation: close it, back to the bar, selection kept.
    outcome.addEventListener("click", (event) => {
      if (event.target.closest("[data-clear-outcome]")) {
        event.preventDefault();
        outcome.replaceChildren();
        (toggle || form).focus();
      }
    });
  }
  update();
})();
