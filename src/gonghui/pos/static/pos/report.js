/* The shift summary's Print button (no inline script: CSP). */
(function () {
  "use strict";
  var button = document.getElementById("pos-print");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
}());
