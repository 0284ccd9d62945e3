/* The printed forms' "In" button. The page works without it (Ctrl+P): the button stays hidden
   until this file, loaded with `defer`, shows it. No inline scripts. */
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-print]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () {
      window.print();
    });
  }
})();
