// Small progressive enhancements shared by every staff page; each page works without them.
// Listeners are delegated from the document, so rows htmx swaps in behave the same.
(function () {
  "use strict";
  // A refused form's error summary comes first and takes the focus.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  // The checkboxes a "select all" toggle governs: those named NAME that belong to the
  // same form (by nesting or by the form="" attribute) and are shown.
  function governed(toggle) {
    var name = toggle.getAttribute("data-select-all");
    return Array.prototype.filter.call(
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]'),
      function (box) { return box.form === toggle.form && box.offsetParent !== null; }
    );
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    // <input type="checkbox" data-select-all="NAME">: tick or clear every NAME box.
    if (target.matches("[data-select-all]")) {
      governed(target).forEach(function (box) { box.checked = target.checked; });
    }
  });

  // Destructive actions ask first: <form data-confirm="Cancel this order?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("form[data-confirm]") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
