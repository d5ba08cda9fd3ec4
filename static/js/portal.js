// Small enhancements of the portals (signing, customer, home location); every page works
// without them. Our own file: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  // A refused form comes back with its error summary first, focused.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  // <form data-autosave> (the customer's questionnaire): the draft saves as the customer
  // types, two seconds after the last change, in the background; #autosave says so.
  var form = document.querySelector("form[data-autosave]");
  var status = document.getElementById("autosave");
  if (!form || !status) { return; }
  var timer;
  function save() {
    var data = new FormData(form);
    data.set("action", "save");
    fetch(location.pathname, {method: "POST", body: data, credentials: "same-origin"})
      .then(function (r) {
        status.textContent = r.ok
          ? "Draft saved " + new Date().toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"})
          : "Not saved: check your connection";
      })
      .catch(function () { status.textContent = "Not saved: check your connection"; });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer); status.textContent = "Saving…"; timer = setTimeout(save, 2000);
  });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(save, 2000); });
})();
