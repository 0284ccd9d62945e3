// The file pickers of webapp/templates/webapp/inputs.html: show the names of the files
// chosen beside the Vietnamese "Chọn tệp…" button (the native input is visually hidden).
(function () {
  "use strict";
  function show(pick) {
    var input = pick.querySelector("input[type=file]");
    var names = pick.querySelector("[data-file-names]");
    if (!input || !names) return;
    var chosen = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
    names.textContent = chosen.length ? chosen.join(", ") : names.getAttribute("data-empty");
  }
  function init() {
    document.querySelectorAll("[data-file-pick]").forEach(function (pick) {
      show(pick);
      pick.addEventListener("change", function () { show(pick); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
