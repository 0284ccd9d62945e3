"""Directives at the ward (docs/domain.md, "Directives"; issue [4]): those addressed to the ward
and those its leader issued (inside the ward, or to other units), the ward's progress
reports, and, for its own directives, the issuer's confirmation, send-back and extensions.

A directive is owned by its issuer (the city, or the ward); the ward answers a city directive
only with its own ``directive_report`` records, so nothing here writes another unit's record.
The time class and the shown status are computed, by the rules the hub applies too
(``office/directives.py``).
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from typing import Any

from office import (
    TIME_CLASSES,
    VIETNAM,
    check_new_deadline,
    confirmation_fields,
    decorate_directive,
    directive_now,
    directive_reports,
    send_back_fields,
)
from sync import (
    Conflict,
    HybridClock,
    NotFound,
    ValidationError,
    Write,
    clean_text,
    labels,
    new_id,
    select_records,
    validate,
)
from webapp import User

from ..documents import DocumentReader
from ..errors import Forbidden
from ..permissions import SUPERVISORS, TASK_HANDLERS, check, may
from ..store import capture

PRIORITY_NAMES = labels("directive", "priority")
ISSUERS = SUPERVISORS  # who issues, confirms, sends back and extends at the ward
# The ward's actions on a directive and the rule of permissions.py each one asks.
ACTION_RULES = {
    "report": "directive.report",
    "report_done": "directive.report",
    "confirm": "directive.confirm",
    "send_back": "directive.send_back",
    "extend": "directive.extend",
}


def today() -> date:
    """Today's date in Vietnam."""
    return datetime.now(VIETNAM).date()


def assignee_names(directive: dict[str, Any]) -> set[str]:
    """The user names of the ward's staff a directive was assigned to (none: the ward as a
    whole)."""
    return {a["username"] for a in directive.get("assignees") or []}


def lead_assignees(directive: dict[str, Any]) -> set[str]:
    """The staff member leading a directive for the ward (empty when none is named)."""
    return {a["username"] for a in directive.get("assignees") or [] if a.get("lead")}


def decorate(
    directive: dict[str, Any], reports: list[dict[str, Any]], on: date | None = None
) -> dict[str, Any]:
    """The directive with its computed ``shown_status`` and ``time_class`` (and their labels)
    on ``on`` (default: today)."""
    return decorate_directive(directive, reports, on or today())


class Directives:
    """Directive operations of one ward over a store connection."""

    def __init__(self, conn: sqlite3.Connection, clock: HybridClock, unit: str) -> None:
        self.conn = conn
        self.clock = clock
        self.unit = unit

    def _reports(self, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        return directive_reports(self.conn, ids)

    def _visible(self, directive: dict[str, Any]) -> bool:
        return directive["unit"] == self.unit or self.unit in (directive.get("units") or ())

    def list(
        self, time_class_: str | None = None, assigned_to: str | None = None
    ) -> list[dict[str, Any]]:
        """Directives addressed to the ward or issued by it, latest deadline pressure first;
        ``assigned_to``: only those the ward assigned to that member of its staff."""
        rows = [
            d
            for d in select_records(self.conn, "directive", "ORDER BY issued_on DESC, id DESC")
            if self._visible(d)
        ]
        if assigned_to:
            rows = [d for d in rows if assigned_to in assignee_names(d)]
        reports = self._reports([d["id"] for d in rows])
        items = [decorate(d, reports[d["id"]]) for d in rows]
        if time_class_:
            items = [d for d in items if d["time_class"] == time_class_]
        return items

    def dashboard(self) -> dict[str, Any]:
        """Counts by time class: as lead unit, as coordinating unit, and issued by the ward."""
        counts: dict[str, dict[str, int]] = {
            role: {k: 0 for k in TIME_CLASSES} for role in ("lead", "coordinating", "issued")
        }
        for d in self.list():
            if d["time_class"] is None:
                continue
            if d["lead_unit"] == self.unit:
                counts["lead"][d["time_class"]] += 1
            elif self.unit in d["units"]:
                counts["coordinating"][d["time_class"]] += 1
            if d["unit"] == self.unit:
                counts["issued"][d["time_class"]] += 1
        return counts

    def get(self, directive_id: str, user: User | None = None) -> dict[str, Any]:
        """One directive with its reports, extensions, time class and what the ward may do
        (with ``user``: what this user may do, ``permissions.py``)."""
        found = select_records(self.conn, "directive", "WHERE id = ?", (directive_id,))
        if not found or not self._visible(found[0]):
            raise NotFound("Không tìm thấy ý kiến chỉ đạo này.", code="not_found")
        directive = found[0]
        reports = self._reports([directive_id])[directive_id]
        out = decorate(directive, reports)
        out["reports"] = reports
        out["extensions"] = select_records(
            self.conn,
            "directive_extension",
            "WHERE directive_id = ? ORDER BY approved_at",
            (directive_id,),
        )
        out["actions"] = self.actions(out)
        if user is not None:
            out["actions"] = [a for a in out["actions"] if self._may(user, a, out)]
        return out

    def _may(self, user: User, action: str, directive: dict[str, Any]) -> bool:
        """Whether ``user`` may take ``action``: the role (``permissions.py``), and, on a
        directive the ward assigned to named staff, for its reports: one of them (the lead
        person for the report of done) or a supervisor."""
        if not may(user, ACTION_RULES[action]):
            return False
        people = assignee_names(directive)
        if action not in ("report", "report_done") or not people or user.role in SUPERVISORS:
            return True
        if action == "report_done":
            return user.username in lead_assignees(directive)
        return user.username in people

    def actions(self, directive: dict[str, Any]) -> list[str]:
        """What the ward may do now: ``report``, ``report_done`` and, as issuer, ``confirm``,
        ``send_back``, ``extend``."""
        status = directive["shown_status"]
        if status in ("done", "cancelled", "paused"):
            return []
        allowed = []
        if self.unit in directive["units"]:
            allowed.append("report")
            if directive["lead_unit"] == self.unit and status != "awaiting_confirmation":
                allowed.append("report_done")
        if directive["unit"] == self.unit:
            allowed += ["confirm", "extend"]
            if status == "awaiting_confirmation":
                allowed.append("send_back")
        return allowed

    def _open(self, directive_id: str, action: str, user: User) -> dict[str, Any]:
        check(user, ACTION_RULES[action])
        directive = self.get(directive_id)
        if action not in directive["actions"]:
            raise Conflict(
                f"Không thể thực hiện '{action}' với ý kiến chỉ đạo ở trạng thái "
                f"'{directive['status_label']}'.",
                code="action_not_allowed",
                action=action,
            )
        if not self._may(user, action, directive):
            who = ", ".join(a["name"] for a in directive.get("assignees") or [])
            raise Forbidden(
                f"Nhiệm vụ này phường đã giao cho {who}: chỉ những cán bộ được giao (báo cáo "
                "hoàn thành: cán bộ chủ trì) hoặc lãnh đạo phường được báo cáo.",
                action=ACTION_RULES[action],
            )
        return directive

    def report(self, directive_id: str, body: dict[str, Any], user: User) -> dict[str, Any]:
        """Post the ward's progress report ``{"percent", "content", "done"}``; 201's record.

        Only the lead unit reports done; 409 when the directive takes no more reports, 403
        for a role that does not report on tasks (``permissions.py``).
        """
        done = bool(body.get("done"))
        self._open(directive_id, "report_done" if done else "report", user)
        percent = body.get("percent")
        if percent in ("", None):
            percent = 100 if done else None
        report = {
            "id": new_id(),
            "unit": self.unit,
            "directive_id": directive_id,
            "reported_at": directive_now(),
            "percent": percent,
            "content": clean_text(str(body.get("content") or "")),
            "reporter": user.full_name or user.username,
            "done": done,
            "created_by": user.username,
        }
        if isinstance(percent, str) and percent.strip().isdigit():
            report["percent"] = int(percent)
        validate("directive_report", report)
        capture(self.conn, self.clock).write(
            "directive_report", report["id"], self.unit, report, actor=user.username
        )
        return report

    def issue(self, body: dict[str, Any], user: User) -> dict[str, Any]:
        """A ward leader's directive ``{"title", "content", "lead_unit", "units", "deadline",
        "priority", "source_kind", "source"}``; returns it as :meth:`get` does.

        Without ``lead_unit`` the ward itself leads (a directive inside the ward); ``units``
        are the coordinating units. Any unit other than the ward must be valid today (the
        units offered as addressees, :meth:`DocumentReader.addressees`). Raises
        :class:`ValidationError` naming the faulty field, :class:`Forbidden` (403) for a role
        that does not issue; nothing is written then.
        """
        check(user, "directive.issue")
        lead = str(body.get("lead_unit") or self.unit)
        coordinating = body.get("units") or []
        if not isinstance(coordinating, list):
            raise ValidationError("Đơn vị phối hợp phải là một danh sách mã đơn vị.", field="units")
        offered = {code for code, _ in DocumentReader(self.conn, self.clock).addressees()}
        offered.add(self.unit)
        if lead not in offered:
            raise ValidationError(
                "Đơn vị chủ trì không có hoặc không còn hoạt động; hãy chọn lại trong danh sách.",
                field="lead_unit",
            )
        unknown = sorted({str(u) for u in coordinating} - offered)
        if unknown:
            raise ValidationError(
                f"Đơn vị phối hợp không có hoặc không còn hoạt động: {', '.join(unknown)}; "
                "hãy chọn lại trong danh sách.",
                field="units",
            )
        units = [lead, *sorted({str(u) for u in coordinating} - {lead})]
        assignees = self._assignees(body)
        if assignees and self.unit not in units:
            units.append(self.unit)  # the ward's own staff: the ward coordinates too
        directive = {
            "id": new_id(),
            "unit": self.unit,
            "source_kind": body.get("source_kind") or None,
            "source": body.get("source") or None,
            "title": clean_text(str(body.get("title") or "")),
            "content": clean_text(str(body.get("content") or "")),
            "issued_by": user.full_name or user.username,
            "issued_on": today().isoformat(),
            "lead_unit": lead,
            "units": units,
            "assignees": [{**a, "lead": a["lead"] and lead == self.unit} for a in assignees],
            "deadline": body.get("deadline") or None,
            "priority": body.get("priority") or "normal",
            "status": "assigned",
            "created_by": user.username,
        }
        validate("directive", directive)
        capture(self.conn, self.clock).write(
            "directive", directive["id"], self.unit, directive, actor=user.username
        )
        return self.get(directive["id"])

    def _assignees(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The ward's staff named in ``body`` (``lead_person``: a user name; ``persons``: user
        names), each an active account of the ward that handles tasks, as the directive's
        ``assignees``; :class:`ValidationError` naming the field otherwise."""
        lead = str(body.get("lead_person") or "").strip()
        persons = body.get("persons") or []
        if not isinstance(persons, list):
            raise ValidationError(
                "Cán bộ phối hợp phải là một danh sách tên đăng nhập.", field="persons"
            )
        staff = {
            r[0]: r[1] or r[0]
            for r in self.conn.execute(
                "SELECT username, full_name, role FROM users WHERE active = 1"
            ).fetchall()
            if r[2] in TASK_HANDLERS
        }
        chosen = [(lead, True)] if lead else []
        chosen += [(str(p), False) for p in persons if str(p) != lead]
        out = []
        for username, is_lead in dict.fromkeys(chosen):
            if username not in staff:
                raise ValidationError(
                    f"Không có cán bộ '{username}' đang làm việc ở phường; hãy chọn trong "
                    "danh sách.",
                    field="lead_person" if is_lead else "persons",
                )
            out.append({"username": username, "name": staff[username], "lead": is_lead})
        return out

    def confirm(self, directive_id: str, user: User) -> dict[str, Any]:
        """The issuer confirms completion (at the date of the lead unit's report of done)."""
        directive = self._open(directive_id, "confirm", user)
        fields = confirmation_fields(directive, user.full_name or user.username)
        capture(self.conn, self.clock).write(
            "directive", directive_id, self.unit, fields, actor=user.username
        )
        return self.get(directive_id)

    def send_back(self, directive_id: str, reason: str, user: User) -> dict[str, Any]:
        """The issuer refuses the report of done: back to in progress, with a reason."""
        self._open(directive_id, "send_back", user)
        fields = send_back_fields(reason)
        capture(self.conn, self.clock).write(
            "directive", directive_id, self.unit, fields, actor=user.username
        )
        return self.get(directive_id)

    def extend(self, directive_id: str, body: dict[str, Any], user: User) -> dict[str, Any]:
        """The issuer moves the deadline: an extension record and the directive's new date."""
        directive = self._open(directive_id, "extend", user)
        extension = {
            "id": new_id(),
            "unit": self.unit,
            "directive_id": directive_id,
            "old_deadline": directive.get("deadline"),
            "new_deadline": str(body.get("new_deadline") or ""),
            "reason": clean_text(str(body.get("reason") or "")),
            "approver": user.full_name or user.username,
            "approved_at": directive_now(),
        }
        validate("directive_extension", extension)
        check_new_deadline(directive.get("deadline"), extension["new_deadline"])
        capture(self.conn, self.clock).write_many(
            [
                Write("directive_extension", extension["id"], self.unit, extension),
                Write(
                    "directive",
                    directive_id,
                    self.unit,
                    {"deadline": extension["new_deadline"]},
                ),
            ],
            actor=user.username,
        )
        return self.get(directive_id)
