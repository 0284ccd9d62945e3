"""Meetings and invitations on the ward node: registration, GM invitations, replies, the weekly
schedule and its ``.ics`` export (docs/domain.md, "Meetings and invitations"; issue [4]).

A meeting is the registering unit's record; the city office approves it at the hub, and the
approval comes back as an ordinary change. An invitation is a GM document numbered per unit per
year; a change of time or place is a *new* invitation (``replacement`` or ``postponement``)
naming the one it replaces, so the addressee list of each record stays fixed (docs/architecture.md,
"Ownership and routing"). Each invited unit answers with an ``invitation_reply`` record of its own.
The week, the schedule's rows and the ``.ics`` come from the engine (``office/schedule.py``),
which the hub's console shares.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

from office import SCHEDULED, VIETNAM, schedule_rows, week_of
from sync import (
    Conflict,
    HybridClock,
    NotFound,
    ValidationError,
    Write,
    atomic,
    clean_text,
    get_meta,
    labels,
    new_id,
    select_records,
    validate,
)
from webapp import User

from ..permissions import check
from ..store import capture, next_counter

MEETING_STATUS = labels("meeting", "status")
INVITATION_KINDS = labels("invitation", "kind")
MEETING_TEXT = ("content", "place", "chair", "participants", "preparing_office", "notes")
INVITATION_TEXT = ("content", "place", "chair", "preparing_office", "invited", "contact", "signer")


def now_utc() -> datetime:
    """Now, aware, in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime) -> str:
    """An aware datetime as stored: ISO 8601 in UTC with offset."""
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def parse_time(raw: Any, field: str) -> datetime:
    """An ISO 8601 time; a time without offset (a browser's ``datetime-local``) is Huế time.

    Raises :class:`ValidationError` naming ``field`` when ``raw`` is not a time.
    """
    try:
        value = datetime.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise ValidationError(
            "Thời gian không hợp lệ: nhập theo dạng 2026-12-01T08:00.", field=field
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM)
    return value.astimezone(UTC)


def _find(
    conn: sqlite3.Connection, type_name: str, where: str, params: Any
) -> list[dict[str, Any]]:
    return select_records(conn, type_name, "WHERE " + where, params)


def _text(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {n: (clean_text(str(data[n])) or None) if data.get(n) else None for n in names}


def _times(data: dict[str, Any]) -> tuple[str, str | None]:
    start = parse_time(data.get("starts_at"), "starts_at")
    if not data.get("ends_at"):
        return iso(start), None
    end = parse_time(data["ends_at"], "ends_at")
    if end <= start:
        raise ValidationError("Giờ kết thúc phải sau giờ bắt đầu.", field="ends_at")
    return iso(start), iso(end)


def _subject(data: dict[str, Any]) -> str:
    subject = clean_text(str(data.get("subject") or ""))
    if not subject:
        raise ValidationError("Nhập nội dung (trích yếu) cuộc họp.", field="subject")
    return subject


class Meetings:
    """The meeting and invitation operations of one ward's store."""

    def __init__(self, conn: sqlite3.Connection, clock: HybridClock) -> None:
        self.conn = conn
        self.clock = clock
        self.unit = str(get_meta(conn, "unit"))

    def register(self, data: Any, user: User) -> dict[str, Any]:
        """Register a meeting of this unit (status ``registered``, for the city to approve).

        Raises :class:`Forbidden` (403) for a role that does not keep the meeting register.
        """
        check(user, "meeting.register")
        if not isinstance(data, dict):
            raise ValidationError("Gửi một đối tượng JSON mô tả cuộc họp.", field="body")
        starts, ends = _times(data)
        record = {
            "id": new_id(),
            "unit": self.unit,
            "subject": _subject(data),
            "starts_at": starts,
            "ends_at": ends,
            **_text(data, MEETING_TEXT),
            "status": "registered",
            "created_by": user.username,
            "created_at": iso(now_utc()),
        }
        validate("meeting", record)
        capture(self.conn, self.clock).write(
            "meeting", record["id"], self.unit, record, actor=user.username
        )
        return self.meeting(record["id"])

    def meeting(self, meeting_id: str) -> dict[str, Any]:
        """One meeting this node holds; :class:`NotFound` otherwise."""
        found = _find(self.conn, "meeting", "id = ?", (meeting_id,))
        if not found:
            raise NotFound("Không tìm thấy cuộc họp này.")
        return found[0]

    def week(self, day: date | str | None = None) -> dict[str, Any]:
        """This unit's meetings of the week holding ``day`` and its schedule rows: its approved
        meetings and the meetings it is invited to (the latest notice of each)."""
        monday, start, end = week_of(day)
        meetings = _find(
            self.conn,
            "meeting",
            "unit = ? AND starts_at >= ? AND starts_at < ? ORDER BY starts_at",
            (self.unit, iso(start), iso(end)),
        )
        own = [m for m in meetings if m["status"] in SCHEDULED]
        invited = [
            i
            for i in self.received(current_only=True)
            if iso(start) <= i["starts_at"] < iso(end)
            and i.get("meeting_id") not in {m["id"] for m in own}
        ]
        return {
            "week": monday.isoformat(),
            "week_end": (monday + timedelta(days=6)).isoformat(),
            "items": meetings,
            "schedule": schedule_rows(own + invited),
        }

    def received(self, *, current_only: bool = False) -> list[dict[str, Any]]:
        """Invitations addressed to this unit, newest first, each with this unit's ``reply``
        and ``replaced_by`` (the later notice that supersedes it, if any)."""
        rows = _find(
            self.conn, "invitation", "unit != ? ORDER BY issued_on DESC, number DESC", (self.unit,)
        )
        rows = [r for r in rows if self.unit in (r.get("units") or ())]
        replaced = {r["replaces"]: r["id"] for r in rows if r.get("replaces")}
        replies = {
            r["invitation_id"]: r
            for r in _find(self.conn, "invitation_reply", "unit = ?", (self.unit,))
        }
        for r in rows:
            r["replaced_by"] = replaced.get(r["id"])
            r["reply"] = replies.get(r["id"])
        return [r for r in rows if not (current_only and r["replaced_by"])]

    def sent(self) -> list[dict[str, Any]]:
        """Invitations this unit sent, newest first, each with ``replies`` (unit → the reply
        this node holds) and ``replaced_by`` (the later notice that supersedes it, if any)."""
        rows = _find(
            self.conn, "invitation", "unit = ? ORDER BY issued_on DESC, number DESC", (self.unit,)
        )
        replaced = {r["replaces"]: r["id"] for r in rows if r.get("replaces")}
        replies: dict[str, dict[str, Any]] = {}
        for r in _find(self.conn, "invitation_reply", "unit != ?", (self.unit,)):
            replies.setdefault(r["invitation_id"], {})[r["unit"]] = r
        for r in rows:
            r["replaced_by"] = replaced.get(r["id"])
            r["replies"] = replies.get(r["id"], {})
        return rows

    def invitation(self, invitation_id: str) -> dict[str, Any]:
        """One invitation sent by or to this unit, with the replies this node holds."""
        found = _find(self.conn, "invitation", "id = ?", (invitation_id,))
        if not found or (found[0]["unit"] != self.unit and self.unit not in found[0]["units"]):
            raise NotFound("Không tìm thấy giấy mời này.")
        inv = found[0]
        inv["replies"] = _find(
            self.conn, "invitation_reply", "invitation_id = ? ORDER BY unit", (invitation_id,)
        )
        return inv

    def send(self, data: Any, user: User) -> dict[str, Any]:
        """Issue a GM invitation from this unit to ``units``; 201-ready record with its number.

        ``kind`` ``replacement`` or ``postponement`` needs ``replaces`` (an invitation of this
        unit); the new notice goes to the same units. :class:`Forbidden` (403) for a role that
        does not send invitations.
        """
        check(user, "invitation.send")
        if not isinstance(data, dict):
            raise ValidationError("Gửi một đối tượng JSON mô tả giấy mời.", field="body")
        kind = data.get("kind") or "invitation"
        if kind not in INVITATION_KINDS:
            raise ValidationError(
                "Loại giấy mời phải là invitation, replacement hoặc postponement.", field="kind"
            )
        base: dict[str, Any] = {}
        if kind != "invitation":
            old = _find(
                self.conn,
                "invitation",
                "id = ? AND unit = ?",
                (str(data.get("replaces")), self.unit),
            )
            if not old:
                raise ValidationError(
                    "Giấy mời thay thế phải nêu giấy mời cũ của đơn vị.", field="replaces"
                )
            base = old[0]
            if _find(self.conn, "invitation", "replaces = ?", (base["id"],)):
                raise Conflict(
                    "Giấy mời này đã được thay thế; hãy thay thế giấy mời mới nhất.",
                    code="superseded",
                )
        merged = {**base, **{k: v for k, v in data.items() if v not in (None, "")}}
        if data.get("starts_at") and not data.get("ends_at"):
            merged["ends_at"] = None  # a new start makes the old end meaningless
        units = base.get("units") or merged.get("units")
        if not isinstance(units, list) or not units or self.unit in units:
            raise ValidationError(
                "Chọn ít nhất một đơn vị được mời (không gồm đơn vị mình).", field="units"
            )
        starts, ends = _times(merged)
        today = now_utc().astimezone(VIETNAM).date()
        record = {
            "id": new_id(),
            "unit": self.unit,
            "kind": kind,
            "replaces": base.get("id"),
            "meeting_id": merged.get("meeting_id"),
            "issued_on": today.isoformat(),
            "subject": _subject(merged),
            "starts_at": starts,
            "ends_at": ends,
            **_text(merged, INVITATION_TEXT),
            "units": sorted({str(u) for u in units}),
            "created_by": user.username,
            "sent_at": iso(now_utc()),
        }
        with atomic(self.conn):
            record["number"] = next_counter(self.conn, f"gm:{today.year}")
            record["symbol"] = f"{record['number']}/GM-UBND"
            validate("invitation", record)
            writes = [Write("invitation", record["id"], self.unit, record)]
            own = _find(
                self.conn, "meeting", "id = ? AND unit = ?", (record["meeting_id"], self.unit)
            )
            if own and kind != "invitation":
                # The meeting moves with its latest notice, so the schedule shows the new time.
                moved = {"starts_at": starts, "ends_at": ends}
                if kind == "postponement":
                    moved["status"] = "postponed"
                writes.append(Write("meeting", own[0]["id"], self.unit, moved))
            capture(self.conn, self.clock).write_many(writes, actor=user.username)
        return self.invitation(record["id"])

    def reply(self, invitation_id: str, data: Any, user: User) -> dict[str, Any]:
        """This unit's answer to an invitation it received (a second answer replaces the
        first); :class:`Conflict` when a later notice superseded the invitation,
        :class:`Forbidden` for a role that does not answer invitations."""
        check(user, "invitation.reply")
        if not isinstance(data, dict) or not isinstance(data.get("attending"), bool):
            raise ValidationError(
                "Trả lời phải có 'attending': true hoặc false.", field="attending"
            )
        attendees = data.get("attendees") or []
        if not isinstance(attendees, list) or not all(isinstance(a, str) for a in attendees):
            raise ValidationError("'attendees' là danh sách họ tên, chức vụ.", field="attendees")
        attendees = [clean_text(a) for a in attendees if clean_text(a)]
        if data["attending"] and not attendees:
            raise ValidationError("Ghi ít nhất một người dự họp.", field="attendees")
        current = {i["id"]: i for i in self.received()}
        inv = current.get(invitation_id)
        if inv is None:
            raise NotFound("Không tìm thấy giấy mời gửi cho đơn vị này.")
        if inv["replaced_by"]:
            raise Conflict(
                "Giấy mời này đã có giấy mời thay thế hoặc thông báo hoãn: hãy trả lời giấy mới.",
                code="superseded",
            )
        fields = {
            "attending": data["attending"],
            "attendees": attendees if data["attending"] else [],
            "note": clean_text(str(data["note"])) or None if data.get("note") else None,
            "replied_by": user.username,
            "replied_at": iso(now_utc()),
        }
        reply_id = inv["reply"]["id"] if inv["reply"] else new_id()
        if not inv["reply"]:
            fields.update({"id": reply_id, "unit": self.unit, "invitation_id": invitation_id})
            validate("invitation_reply", fields)
        capture(self.conn, self.clock).write(
            "invitation_reply", reply_id, self.unit, fields, actor=user.username
        )
        return _find(self.conn, "invitation_reply", "id = ?", (reply_id,))[0]
