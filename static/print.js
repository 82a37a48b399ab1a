/* The walk-in slip: a Print button (CSP allows no inline script), and paper exactly as long
   as the slip, measured before each printing (also Ctrl+P). Without JavaScript the button
   stays hidden and the browser's own print command works as well. */
(function () {
  "use strict";
  var MM_PER_PX = 25.4 / 96;
  var MARGINS_MM = 4;  // 2 mm above and below: ticket.css
  var added = null;

  function sheet() {
    for (var i = 0; i < document.styleSheets.length; i += 1) {
      var candidate = document.styleSheets[i];
      if (candidate.href && /\/static\/ticket\.css$/.test(candidate.href)) { return candidate; }
    }
    return null;
  }

  function fitPaper() {
    var slip = document.querySelector(".ticket");
    var target = sheet();
    if (!slip || !target) { return; }
    var length = Math.ceil(slip.getBoundingClientRect().height * MM_PER_PX) + MARGINS_MM;
    if (added !== null) { target.deleteRule(added); }
    added = target.insertRule("@page { size: 80mm " + length + "mm; }", target.cssRules.length);
  }

  window.addEventListener("beforeprint", fitPaper);
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { fitPaper(); window.print(); });
    button.focus();
  });
})();
