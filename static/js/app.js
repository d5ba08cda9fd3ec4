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

  // A link to a form folded in a <details> (a blocker's fix link, "#record-evidence")
  // opens it, so the fix is there to do.
  function unfoldTarget() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (!target) { return; }
    for (var node = target.closest("details"); node;
         node = node.parentElement && node.parentElement.closest("details")) {
      node.open = true;
    }
    target.scrollIntoView();
  }
  unfoldTarget();
  window.addEventListener("hashchange", unfoldTarget);

  // Pickers grouped by site (<form data-site-filter>): the chosen site's groups and
  // those without a site are shown; boxes of hidden groups are cleared; counts follow.
  function filterPickers(form) {
    var select = form.querySelector("select[name=site]");
    var site = select ? select.value : "";
    form.querySelectorAll(".picker-group").forEach(function (group) {
      var shown = !site || !group.getAttribute("data-site") || group.getAttribute("data-site") === site;
      group.hidden = !shown;
      if (!shown) { group.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.checked = false; }); }
    });
    countPickers(form);
  }
  function countPickers(form) {
    form.querySelectorAll("fieldset.picker").forEach(function (picker) {
      var name = picker.getAttribute("data-picker");
      var boxes = picker.querySelectorAll('input[type=checkbox][name="' + name + '"]');
      var shown = Array.prototype.filter.call(boxes, function (box) { return !box.closest(".picker-group").hidden; });
      var ticked = shown.filter(function (box) { return box.checked; }).length;
      picker.querySelector("[data-picker-count]").textContent = ticked + " of " + shown.length + " selected";
    });
  }
  document.querySelectorAll("form[data-site-filter]").forEach(filterPickers);
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form || !form.matches("form[data-site-filter]")) { return; }
    if (event.target.matches("select[name=site]")) { filterPickers(form); } else { countPickers(form); }
  });

  // Destructive actions ask first: <form data-confirm="Cancel this order?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("form[data-confirm]") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
