/* Rows as needed: of a set of [data-row] cards, show the filled ones and one empty one; the
   [data-add-row] button shows the next. Without JavaScript every row stays visible. */
(function () {
  "use strict";
  function filled(row) {
    var fields = row.querySelectorAll("input:not([type=hidden]), select, textarea");
    return Array.prototype.some.call(fields, function (f) {
      return f.type === "checkbox" ? f.checked : f.value !== "" && f.value !== "0";
    }) || row.querySelector(".field-error") !== null;
  }
  function init() {
    var button = document.querySelector("[data-add-row]");
    if (!button) { return; }
    var rows = Array.prototype.slice.call(document.querySelectorAll("[data-row]"));
    var shownEmpty = false;
    rows.forEach(function (row) {
      if (filled(row)) { return; }
      if (shownEmpty) { row.classList.add("is-hidden"); } else { shownEmpty = true; }
    });
    var update = function () {
      button.classList.toggle("is-hidden", !rows.some(function (r) { return r.classList.contains("is-hidden"); }));
    };
    button.classList.remove("is-hidden");
    button.addEventListener("click", function () {
      var next = rows.filter(function (r) { return r.classList.contains("is-hidden"); })[0];
      if (next) {
        next.classList.remove("is-hidden");
        var first = next.querySelector("select, input:not([type=hidden])");
        if (first) { first.focus(); }
      }
      update();
    });
    update();
  }
  document.addEventListener("DOMContentLoaded", init);
})();
