// Small progressive enhancements shared by every staff page; each page works without them.
(function () {
  "use strict";
  // A refused form's error summary comes first and takes the focus.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  // "Select all" for a group of checkboxes: <input type="checkbox" data-select-all="NAME">
  // ticks or clears every visible checkbox named NAME in the same form.
  document.querySelectorAll("[data-select-all]").forEach(function (toggle) {
    var name = toggle.getAttribute("data-select-all");
    var scope = toggle.form || document;
    function boxes() {
      return Array.prototype.filter.call(
        scope.querySelectorAll('input[type=checkbox][name="' + name + '"]'),
        function (box) { return box.offsetParent !== null; }
      );
    }
    toggle.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = toggle.checked; });
    });
  });

  // Destructive actions ask first: <form data-confirm="Cancel this order?">.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
