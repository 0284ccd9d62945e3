// The citizens' portal. The online submission form: show the chosen procedure's time limit,
// fee and papers. Without JavaScript the form works the same; the box of the procedure chosen
// before a refused submission is shown by the server. Buttons marked data-print print the
// page (no inline handlers: the Content-Security-Policy allows only this file's scripts).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
    var select = document.querySelector("[data-procedure-select]");
    if (!select) return;
    var boxes = document.querySelectorAll("[data-procedure]");
    function show() {
      boxes.forEach(function (box) {
        box.hidden = box.getAttribute("data-procedure") !== select.value;
      });
    }
    select.addEventListener("change", show);
    show();
  });
})();
