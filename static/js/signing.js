// The signing portal (templates/esign/portal.html): the button says what it will do, the
// letter's frame takes its content's height, a guide to what is left, the signature pad.
// Our own file: the Content-Security-Policy allows no inline script. The page works
// without it (the drawn signature is optional).
(function () {
  "use strict";
  var form = document.querySelector("form.panel");
  var submit = document.getElementById("submit");
  function update() {
    var wrong = form.querySelector("input[type=radio][value=wrong]:checked");
    submit.textContent = wrong ? "Send corrections (do not sign)" : "Sign the letter";
    form.querySelectorAll("fieldset.confirm").forEach(function (fs) {
      var w = fs.querySelector("input[value=wrong]");
      fs.classList.toggle("is-wrong", !!(w && w.checked));
    });
  }
  form.addEventListener("change", update); update();

  // The letter, whole: the frame takes the height of its content (no nested scrolling).
  var letter = document.getElementById("letter");
  function fit() {
    try {
      var doc = letter.contentDocument;
      if (doc && doc.body) { letter.style.height = (doc.documentElement.scrollHeight + 4) + "px"; }
    } catch (e) { /* stays at its fixed height, with its own scrollbar */ }
  }
  letter.addEventListener("load", fit); window.addEventListener("resize", fit); fit();

  // Guided signing: what is left to answer, and a button to the next one.
  var guide = document.getElementById("guide"), guideText = document.getElementById("guide-text");
  function todo() {
    var left = [];
    form.querySelectorAll("fieldset.confirm").forEach(function (fs) {
      if (!fs.querySelector("input[type=radio]:checked")) { left.push(fs); }
    });
    var consent = document.getElementById("id_consent");
    if (!consent.checked) { left.push(consent.closest("label")); }
    ["id_typed_name", "id_typed_title"].forEach(function (id) {
      var input = document.getElementById(id);
      if (!input.value.trim()) { left.push(input.closest(".field")); }
    });
    return left;
  }
  function showGuide() {
    var left = todo();
    guide.hidden = false;
    guideText.textContent = left.length ? left.length + " to complete" : "All done: review and sign";
    document.getElementById("guide-next").textContent = left.length ? "Next field" : "Go to Sign";
  }
  document.getElementById("guide-next").addEventListener("click", function () {
    var left = todo(), target = left.length ? left[0] : submit;
    target.scrollIntoView({behavior: "smooth", block: "center"});
    var focusable = target.matches("input, button") ? target : target.querySelector("input");
    if (focusable) { focusable.focus({preventScroll: true}); }
  });
  form.addEventListener("change", showGuide); form.addEventListener("input", showGuide); showGuide();
  var pad = document.getElementById("pad"), ctx = pad.getContext("2d"), drawing = false, used = false;
  var out = document.getElementById("id_drawn_signature");
  ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
  function pos(e) { var r = pad.getBoundingClientRect(); return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height]; }
  pad.addEventListener("pointerdown", function (e) { drawing = true; used = true; var p = pos(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); pad.setPointerCapture(e.pointerId); });
  pad.addEventListener("pointermove", function (e) { if (!drawing) return; var p = pos(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); });
  pad.addEventListener("pointerup", function () { drawing = false; if (used) out.value = pad.toDataURL("image/png"); });
  document.getElementById("pad-clear").addEventListener("click", function () { ctx.clearRect(0, 0, pad.width, pad.height); used = false; out.value = ""; });
})();
