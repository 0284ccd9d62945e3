// The online submission form: show the chosen procedure's time limit, fee and papers.
// Without JavaScript the form works the same; the box of the procedure chosen before a
// refused submission is shown by the server.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
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
