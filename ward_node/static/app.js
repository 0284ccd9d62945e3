/* Small progressive enhancements for the ward node's pages. Every page works without this file:
   it is loaded with `defer` and touches only the elements that ask for it. No inline scripts. */
(function () {
  "use strict";

  // Reception form: show the required papers of the selected procedure only.
  function setupPapers() {
    var select = document.querySelector("[data-papers-select]");
    if (!select) return;
    var blocks = document.querySelectorAll("details[data-procedure]");
    var hint = document.querySelector("[data-papers-hint]");
    function show() {
      var code = select.value;
      for (var i = 0; i < blocks.length; i++) {
        var match = blocks[i].getAttribute("data-procedure") === code;
        blocks[i].hidden = !match;
        if (match) blocks[i].open = true;
      }
      if (hint) {
        hint.hidden = Boolean(code);
        hint.textContent = "Chọn thủ tục để xem giấy tờ cần nộp.";
      }
    }
    select.addEventListener("change", show);
    show();
  }

  // A region marked data-refresh="N" is refreshed in place every N seconds from the same
  // page (the sync page's status): never a <meta http-equiv="refresh"> that reloads the page
  // under a reader's eyes and loses their place (WCAG 2.2.1). Only what changed is replaced,
  // so a screen reader's polite live region speaks only a new state. The header's sync
  // badge follows.
  function setupRefresh() {
    var region = document.querySelector("[data-refresh]");
    if (!region || !window.fetch || !window.DOMParser) return;
    var seconds = parseInt(region.getAttribute("data-refresh"), 10) || 15;
    function swap(fresh, selector) {
      var old = document.querySelector(selector);
      var now = fresh.querySelector(selector);
      if (old && now && old.outerHTML !== now.outerHTML) old.replaceWith(document.importNode(now, true));
    }
    function refresh() {
      if (document.hidden) return;
      fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (resp) { return resp.ok ? resp.text() : null; })
        .then(function (text) {
          if (!text) return;
          var fresh = new DOMParser().parseFromString(text, "text/html");
          var parts = region.children;
          var freshRegion = fresh.querySelector("[data-refresh]");
          if (!freshRegion) return;
          for (var i = 0; i < parts.length && i < freshRegion.children.length; i++) {
            var next = freshRegion.children[i];
            if (parts[i].innerHTML !== next.innerHTML) {
              parts[i].innerHTML = next.innerHTML;
              parts[i].className = next.className;
            }
          }
          swap(fresh, ".sync-badge");
        })
        .catch(function () { /* offline for a moment: the next round tries again */ });
    }
    window.setInterval(refresh, seconds * 1000);
  }

  // A double click on a submit button must not receive the same dossier twice.
  function setupSingleSubmit() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.getAttribute("data-submitted")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitted", "1");
      var buttons = form.querySelectorAll("button[type=submit]");
      for (var i = 0; i < buttons.length; i++) buttons[i].setAttribute("aria-busy", "true");
    });
    // Coming back with the browser's Back button restores the page as it was: allow a new submit.
    window.addEventListener("pageshow", function () {
      var forms = document.querySelectorAll("form[data-submitted]");
      for (var i = 0; i < forms.length; i++) forms[i].removeAttribute("data-submitted");
      var busy = document.querySelectorAll("button[aria-busy]");
      for (var j = 0; j < busy.length; j++) busy[j].removeAttribute("aria-busy");
    });
  }

  // Document form: a secret document takes no summary (docs/security.md, "Secret documents"),
  // so its field goes away while a secrecy level is chosen; the server refuses one anyway.
  function setupSecrecy() {
    var select = document.querySelector("[data-secrecy-select]");
    var field = document.querySelector("[data-secret-hides]");
    if (!select || !field) return;
    var input = field.querySelector("textarea, input");
    function show() {
      var secret = select.value !== "none";
      field.hidden = secret;
      field.style.display = secret ? "none" : "";  // .field sets display, which beats [hidden]
      if (input) input.disabled = secret;
    }
    select.addEventListener("change", show);
    show();
  }

  // "In" buttons print the page (no inline handlers: the Content-Security-Policy refuses them).
  function setupPrint() {
    var buttons = document.querySelectorAll("[data-print]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function () {
        window.print();
      });
    }
  }

  document.documentElement.classList.add("js");
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setupPapers(); setupSingleSubmit(); setupSecrecy(); setupPrint(); setupRefresh(); });
  } else {
    setupPapers();
    setupSingleSubmit();
    setupSecrecy();
    setupPrint();
    setupRefresh();
  }
})();
