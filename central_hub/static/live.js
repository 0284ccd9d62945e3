// A page that refreshes itself in place (docs/portal.md, "Hall screen"): the element marked
// data-live names a JSON address and data-live-every its period in seconds; each answer's
// "parts" maps element ids to the HTML the server rendered from the page's own templates
// (or to text, for an id whose element holds text only). Nothing reloads: a reader's place,
// and a screen reader's, stay. A failed fetch keeps what is shown and marks the page stale.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-live]");
    if (!root) return;
    var url = root.getAttribute("data-live");
    var every = Math.max(5, parseInt(root.getAttribute("data-live-every"), 10) || 30) * 1000;
    function apply(parts) {
      Object.keys(parts).forEach(function (id) {
        var element = document.getElementById(id);
        if (!element) return;
        if (element.children.length === 0 && parts[id].indexOf("<") === -1) {
          element.textContent = parts[id];
        } else {
          element.innerHTML = parts[id];
        }
      });
    }
    function refresh() {
      fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (resp) {
          if (!resp.ok) throw new Error(String(resp.status));
          return resp.json();
        })
        .then(function (data) {
          apply(data.parts || {});
          root.removeAttribute("data-stale");
          root.setAttribute("data-updated", data.updated || "");
        })
        .catch(function () {
          root.setAttribute("data-stale", "true");
        })
        .then(function () {
          window.setTimeout(refresh, every);
        });
    }
    window.setTimeout(refresh, every);
  });
})();
