// Behaviour every console page may use, declared in the markup with data- attributes.
// The Content-Security-Policy forbids inline scripts and event handlers (onclick=...),
// so the templates name what they want and this file, served from 'self', wires it.
(function () {
  "use strict";

  // <select data-submit-on-change>: submit its form when the choice changes (language).
  document.querySelectorAll("select[data-submit-on-change]").forEach((select) => {
    select.addEventListener("change", () => {
      if (select.form) select.form.submit();
    });
  });

  // <form data-confirm="Question?">: ask before submitting (deleting a webhook).
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // <input data-select-on-focus>: select the whole value on focus (a token to copy).
  document.querySelectorAll("input[data-select-on-focus]").forEach((input) => {
    input.addEventListener("focus", () => input.select());
  });

  // [data-group-picker]: reveal its filter box and show only the groups whose name
  // contains what is typed (accents and case ignored). Without JS: a plain checkbox list.
  const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  document.querySelectorAll("[data-group-picker]").forEach((picker) => {
    const filter = picker.querySelector("input[data-group-filter]");
    if (!filter) return;
    filter.hidden = false;
    filter.addEventListener("input", () => {
      const wanted = fold(filter.value.trim());
      picker.querySelectorAll("li").forEach((item) => {
        item.hidden = wanted !== "" && !fold(item.textContent).includes(wanted);
      });
    });
    // Enter in the filter must not submit the whole form.
    filter.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault();
    });
  });

  // <a data-close-details> inside <details>: close it instead of reloading (the in-place
  // edit's cancel cross; without JS the link reloads the page, which closes it too).
  document.querySelectorAll("details a[data-close-details]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const details = link.closest("details");
      if (details) {
        details.querySelector("form")?.reset();
        details.open = false;
        details.querySelector("summary")?.focus();
      }
    });
  });

  // The "copy the token" button of a token just created.
  const copy = document.getElementById("copy-token");
  const field = document.getElementById("raw-token");
  if (copy && field) {
    copy.addEventListener("click", () => {
      const done = () => { copy.textContent = copy.dataset.copied; };
      field.select();
      if (navigator.clipboard) {
        navigator.clipboard.writeText(field.value).then(done);
      } else if (document.execCommand("copy")) {
        done();
      }
    });
  }
})();
