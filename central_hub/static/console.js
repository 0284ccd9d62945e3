// The city console: the dashboard's table of units refreshes itself every 5 seconds from
// /console/api/units. Without JavaScript the page still shows the table as of its loading.
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

  function row(u, inbox) {
    var state = el("span", { class: "state state-" + u.state }, [
      el("span", { class: "state-mark", "aria-hidden": "true" }, [MARKS[u.state] || ""]),
      " " + u.state_text,
    ]);
    var stateCell = el("td", {}, [state]);
    if (u.state_detail) {
      stateCell.appendChild(el("br"));
      stateCell.appendChild(el("small", {}, [u.state_detail]));
    }
    var clock = u.clock_warning
      ? el("span", { class: "warn" }, ["▲ " + u.clock_offset + " (lệch quá giới hạn)"])
      : u.clock_offset || "—";
    var conflicts = u.open_conflicts
      ? el("a", { href: inbox + "?unit=" + encodeURIComponent(u.unit) }, [String(u.open_conflicts)])
      : "0";
    return el("tr", { "data-node": u.node_id }, [
      el("td", {}, [
        el("a", { href: u.url }, [u.name]),
        el("br"),
        el("small", { class: "muted" }, [u.unit + " · " + u.node_id]),
      ]),
      stateCell,
      el("td", {}, [u.last_seen]),
      el("td", {}, [clock]),
      el("td", {}, [u.key_status]),
      el("td", {}, [u.software || "—"]),
      el("td", { class: "num" }, [String(u.waiting)]),
      el("td", { class: "num" }, [String(u.held_changes)]),
      el("td", { class: "num" }, [conflicts]),
    ]);
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
        if (!data.items.length) return; // keep the page's own "no node" row and its link
        var body = el("tbody");
        data.items.forEach(function (u) {
          body.appendChild(row(u, table.getAttribute("data-inbox")));
        });
        table.replaceChild(body, table.tBodies[0]);
        if (note) note.textContent = "Cập nhật lúc " + data.at + ".";
      })
      .catch(function () {
        if (note) note.textContent = "Không cập nhật được; sẽ thử lại.";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var table = document.getElementById("units");
    if (!table || !table.getAttribute("data-source")) return;
    var note = document.getElementById("refreshed");
    window.setInterval(function () {
      refresh(table, note);
    }, PERIOD_MS);
  });
})();
