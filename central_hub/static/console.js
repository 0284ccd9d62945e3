// The city console: the dashboard's table of units refreshes itself every 5 seconds from
// /console/api/units with the page's own query string (its filters, sort and page), with the
// totals by state and the count above it. Without JavaScript the page still shows the table as
// of its loading.
// Also the small behaviours of other pages, marked by data attributes: no page has inline
// script or event handlers, which the Content-Security-Policy refuses.
(function () {
  "use strict";
  var MARKS = { synced: "●", behind: "◐", offline: "▲", error: "✕", revoked: "■", never: "○" };
  var PERIOD_MS = 5000;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  // A cell of a first line and, if given, a second smaller line (as _units.html draws them).
  function cell(attrs, first, second, secondClass) {
    var td = el("td", attrs, [first]);
    if (second) {
      td.appendChild(el("br"));
      td.appendChild(el("small", secondClass ? { class: secondClass } : {}, [second]));
    }
    return td;
  }

  function row(u, inbox) {
    var state = el("span", { class: "state state-" + u.state }, [
      el("span", { class: "state-mark", "aria-hidden": "true" }, [MARKS[u.state] || ""]),
      " " + u.state_text,
    ]);
    var clock = u.clock_warning
      ? el("span", { class: "warn" }, ["▲ " + u.clock_offset + " (lệch quá giới hạn)"])
      : "lệch " + (u.clock_offset || "—");
    var seen = cell({}, u.last_seen);
    seen.appendChild(el("br"));
    seen.appendChild(el("small", {}, [clock]));
    var software = cell({}, u.software_mismatch
      ? el("span", { class: "warn" }, ["▲ " + u.software])
      : u.software || "—");
    if (u.software_mismatch) {
      software.appendChild(el("br"));
      software.appendChild(
        el("small", {}, [
          "khác máy chủ (" + u.hub_software + ")" + (u.release_note ? ", " + u.release_note : ""),
        ])
      );
    }
    if (u.schema_version) {
      software.appendChild(el("br"));
      software.appendChild(
        el("small", { class: "muted", title: u.schema_version }, ["CSDL " + u.schema_number])
      );
    }
    // What the hub holds until the node is upgraded (docs/upgrades.md), as _units.html.
    var waiting = cell({ class: "num" }, String(u.waiting), "giữ " + u.held_changes, "muted");
    if (u.upgrade_waiting) {
      waiting.appendChild(el("br"));
      waiting.appendChild(
        el(
          "small",
          {
            class: "warn",
            title:
              "Thay đổi phiên bản phần mềm của nút chưa nhận được; máy chủ giữ lại đến khi nút được nâng cấp",
          },
          ["▲ chờ phường nâng cấp " + u.upgrade_waiting]
        )
      );
    }
    var conflicts = u.open_conflicts
      ? el("a", { href: inbox + "?unit=" + encodeURIComponent(u.unit) }, [String(u.open_conflicts)])
      : "0";
    var overdue = u.overdue ? el("a", { href: u.overdue_url }, [String(u.overdue)]) : "0";
    return el("tr", { "data-node": u.node_id }, [
      cell({}, el("a", { href: u.url }, [u.name]), u.unit + " · " + u.node_id, "muted"),
      cell({}, state, u.state_detail),
      seen,
      cell({}, u.pending, u.pending_note, "muted"),
      waiting,
      cell({}, u.key_status, u.key_detail, "muted"),
      software,
      el("td", { class: "num" }, [conflicts]),
      el("td", { class: "num" }, [overdue]),
    ]);
  }

  // A count as Vietnamese writes it: 3.321.
  function countText(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  // The totals by state above the table (dashboard.html): only their counts change.
  function totals(counts, enrolled) {
    document.querySelectorAll("[data-total] .total-count").forEach(function (span) {
      var state = span.parentNode.getAttribute("data-total");
      span.textContent = countText(state === "all" ? enrolled : counts[state] || 0);
    });
  }

  function refresh(table, note) {
    fetch(table.getAttribute("data-source"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (resp) {
        if (!resp.ok) throw new Error("HTTP " + resp.status);
        return resp.json();
      })
      .then(function (data) {
        var enrolled = Object.keys(data.totals).reduce(function (sum, key) {
          return sum + data.totals[key];
        }, 0);
        if (!enrolled) return; // keep the page's own "no node" row and its link
        var body = el("tbody");
        data.items.forEach(function (u) {
          body.appendChild(row(u, table.getAttribute("data-inbox")));
        });
        if (!data.items.length) {
          body.appendChild(el("tr", {}, [el("td", { colspan: "9" }, [data.summary])]));
        }
        table.replaceChild(body, table.tBodies[0]);
        totals(data.totals, enrolled);
        var summary = document.getElementById("units-summary");
        if (summary) summary.textContent = data.summary;
        // How many times the rows were rebuilt: lets a test wait for a fresh rendering.
        table.setAttribute("data-refreshes", String(Number(table.getAttribute("data-refreshes") || 0) + 1));
        if (note) note.textContent = "Cập nhật lúc " + data.at + ".";
      })
      .catch(function () {
        if (note) note.textContent = "Không cập nhật được; sẽ thử lại.";
      });
  }

  // "In" buttons print the page.
  function setupPrint() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  // "Quay lại" goes back in the tab's history when there is one (else to its own link).
  function setupBack() {
    document.querySelectorAll("[data-back]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (window.history.length > 1) {
          event.preventDefault();
          window.history.back();
        }
      });
    });
  }

  // The document form: "Chọn tất cả các phường" ticks the wards' boxes; the server adds every
  // ward either way.
  function setupAllWards() {
    var all = document.querySelector("[data-all-wards]");
    if (!all) return;
    all.addEventListener("change", function () {
      document.querySelectorAll("[data-wards] input").forEach(function (box) {
        box.checked = all.checked;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupPrint();
    setupBack();
    setupAllWards();
    var table = document.getElementById("units");
    if (!table || !table.getAttribute("data-source")) return;
    var note = document.getElementById("refreshed");
    window.setInterval(function () {
      refresh(table, note);
    }, PERIOD_MS);
  });
})();
