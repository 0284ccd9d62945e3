"""One-stop dossiers on the ward node: reception, the status machine, edits, search.

The rules are in ``rules.py`` (statuses, channels, times) and ``actions.py`` (the status
machine: one table of transitions, who may do each, and what each writes); this applies them.
Every transition is recorded as a ``dossier_step`` record of its own, so the history grows
without conflicting writes.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from office import (
    OVERDUE_SQL,
    VIETNAM,
    is_overdue,
    normalize_name,
    normalize_phone,
    validate_id_number,
)
from sync import (
    Conflict,
    HybridClock,
    NotFound,
    ValidationError,
    Write,
    atomic,
    clean_text,
    get_meta,
    new_id,
    nfc,
    select_records,
    validate,
)
from webapp import User

from ..permissions import check, may
from ..store import capture, next_counter
from .actions import ACTIONS, Move, next_register_number
from .catalogue import find_procedure
from .deadlines import WorkCalendar, calendar_from_records, due_at
from .papers import reception_papers
from .rules import (
    CHANNELS,
    EDITABLE_APPLICANT,
    LAST_DESK_NUMBER,
    STATUS_NAMES,
    iso,
    now_utc,
)
from .search import exact_lookup, word_clauses
from .sms import notice_for


class Dossiers:
    """The dossier operations of one node, over one connection."""

    def __init__(self, conn: sqlite3.Connection, clock: HybridClock, lookup_url: str = "") -> None:
        self.conn = conn
        self.clock = clock
        self.unit = get_meta(conn, "unit")
        self.lookup_url = lookup_url  # the ward's PUBLIC_LOOKUP_URL, printed in SMS notices

    # -- reference data --------------------------------------------------------------------

    def procedures(self, active_only: bool = True) -> list[dict[str, Any]]:
        """The procedure catalogue received from the hub."""
        where = "WHERE active = 1 ORDER BY field, name" if active_only else "ORDER BY field, name"
        return select_records(self.conn, "procedure", where)

    def procedure(self, code: str) -> dict[str, Any]:
        """One active procedure by code (or a code it had before); :class:`ValidationError`
        when the desks do not offer it."""
        found = find_procedure(self.conn, code, active_only=True)
        if found is None:
            raise ValidationError(
                f"Không có thủ tục mã '{code}' trong danh mục. Hãy chọn thủ tục trong danh sách.",
                field="procedure_code",
            )
        return found

    def unit_prefix(self) -> str:
        """The electronic identifier of this unit, the prefix of its dossier codes."""
        found = select_records(self.conn, "unit", "WHERE code = ?", (self.unit,))
        return (found[0].get("prefix") if found else None) or f"H57.{self.unit}"

    def calendar(self) -> WorkCalendar:
        """The working calendar received from the hub."""
        return calendar_from_records(select_records(self.conn, "calendar_day"))

    # -- reception -------------------------------------------------------------------------

    def receive(
        self, data: dict[str, Any], user: User, *, at: datetime | None = None
    ) -> dict[str, Any]:
        """Receive a citizen's dossier at the desk; return it with its code and due date.

        ``data["papers_received"]``, the papers handed in, sets the fee (``papers.py``). Raises
        :class:`Forbidden` (403) unless the user works at the desk (``permissions.py``).
        """
        check(user, "dossier.receive")
        if not isinstance(data, dict):
            raise ValidationError("Gửi một đối tượng JSON mô tả hồ sơ.", field="body")
        procedure = self.procedure(str(data.get("procedure_code") or ""))
        applicant = self._applicant(data.get("applicant"))
        channel = data.get("channel") or "in_person"
        if channel not in CHANNELS:
            raise ValidationError(
                "Kênh tiếp nhận phải là in_person, online hoặc postal.", field="channel"
            )
        papers, fee = reception_papers(procedure, data.get("papers_received"))
        received = at or now_utc()
        due = due_at(
            received,
            float(procedure["limit_value"]),
            procedure["limit_unit"],
            procedure.get("same_day_cutoff"),
            self.calendar(),
        )
        dossier_id = new_id()
        record = {
            "id": dossier_id,
            "unit": self.unit,
            "code": "",
            "procedure_code": procedure["code"],
            "procedure_name": procedure["name"],
            "applicant": applicant,
            "channel": channel,
            "status": 2,
            "received_at": iso(received),
            "due_at": iso(due),
            "original_due_at": None,
            "clock_stopped_at": None,
            "completed_at": None,
            "returned_at": None,
            "return_method": None,
            "fee": fee,
            "papers_received": papers,
            "notes": clean_text(str(data["notes"])) or None if data.get("notes") else None,
            "handler": user.username,
            "created_by": user.username,
        }
        with atomic(self.conn):
            day = received.astimezone(VIETNAM).strftime("%y%m%d")
            number = next_counter(self.conn, f"dossier:{day}")
            if number > LAST_DESK_NUMBER:
                raise Conflict(
                    f"Đã hết số hồ sơ trong ngày ({LAST_DESK_NUMBER}).", code="counter_full"
                )
            record["code"] = f"{self.unit_prefix()}-{day}-{number:04d}"
            record["register_number"] = next_register_number(self.conn, received)
            validate("dossier", record)
            step = self._step(record, "receive", None, 2, user, "Tiếp nhận hồ sơ", received)
            writes = [Write("dossier", dossier_id, self.unit, record), step]
            writes += self._notice(record, "receive", step)
            capture(self.conn, self.clock).write_many(writes, actor=user.username)
        return self.get(dossier_id)

    def _applicant(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise ValidationError("Thiếu thông tin người nộp hồ sơ.", field="applicant")
        birth_year = raw.get("birth_year")
        if birth_year in ("", None):
            birth_year = None
        else:
            try:
                birth_year = int(birth_year)
            except (TypeError, ValueError):
                raise ValidationError(
                    "Năm sinh phải là số.", field="applicant.birth_year"
                ) from None
        phone, _warning = normalize_phone(raw.get("phone"))
        email = str(raw.get("email") or "").strip() or None
        address = nfc(str(raw.get("address") or "")).strip() or None
        # The sex, when the desk gives it, only checks the CCCD's century digit; the number
        # carries it, so the record keeps no copy (docs/domain.md, "People").
        sex = str(raw.get("sex") or "").strip() or None
        return {
            "full_name": normalize_name(str(raw.get("full_name") or "")),
            "id_number": validate_id_number(raw.get("id_number"), birth_year, sex),
            "birth_year": birth_year,
            "phone": phone,
            "address": address,
            "email": email,
        }

    # -- transitions -----------------------------------------------------------------------

    def act(
        self,
        dossier_id: str,
        data: dict[str, Any],
        user: User,
        *,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Apply an action of the status machine at ``at`` (default: now); return the dossier.

        Raises :class:`Forbidden` (403) when the user's role may not do it, or the dossier is
        held by someone else (``permissions.py``: the handler of its current step acts on it,
        leaders and administrators on any); :class:`Conflict` (409) when the action is not
        allowed from the current status, or (``request_supplement``) a second time;
        :class:`ValidationError` (422, naming the field) for a missing or malformed field.
        """
        name = str((data or {}).get("action") or "")
        action = ACTIONS.get(name)
        if action is None:
            raise ValidationError(
                f"Thao tác '{name}' không có; chọn một trong: {', '.join(ACTIONS)}.", field="action"
            )
        check(user, action.permission)  # the role first: a role that never may learns so
        note = clean_text(str(data.get("note") or "")) or None
        with atomic(self.conn):
            dossier = self._load(dossier_id)
            status = int(dossier["status"])
            if status not in action.sources:
                raise Conflict(
                    f"Không thể '{action.label}' hồ sơ đang ở trạng thái "
                    f"{status} ({STATUS_NAMES[status]}).",
                    code="transition_not_allowed",
                )
            check(user, action.permission, dossier)  # then who holds it (docs/security.md)
            move = Move(self, dossier, data, user, at or now_utc(), note)
            if action.target is not None:
                move.fields["status"] = action.target
            if action.apply is not None:
                action.apply(move)
            target = action.target if action.target is not None else status
            step = self._step(
                dossier,
                name,
                status,
                target,
                user,
                move.note,
                move.at,
                move.to_handler,
                move.step_deadline,
            )
            writes = [step]
            if move.fields:
                writes.insert(0, Write("dossier", dossier_id, dossier["unit"], move.fields))
            writes += self._notice({**dossier, **move.fields}, name, step)
            capture(self.conn, self.clock).write_many(writes, actor=user.username)
        return self.get(dossier_id)

    def allowed_actions(self, dossier: dict[str, Any], user: User | None) -> list[Any]:
        """The actions of the status machine ``user`` may apply to ``dossier`` now (its status
        allows them, and ``permissions.py`` lets this user): the page's buttons."""
        status = int(dossier["status"])
        return [
            a for a in ACTIONS.values() if status in a.sources and may(user, a.permission, dossier)
        ]

    def authorize(self, dossier_id: str, user: User, action: str) -> dict[str, Any]:
        """Load a dossier and check that ``user`` may do ``action`` (a ``permissions.py``
        name, e.g. ``dossier.attach``) on it; return it. :class:`NotFound`, :class:`Forbidden`."""
        dossier = self.get(dossier_id)
        check(user, action, dossier)
        return dossier

    def edit(self, dossier_id: str, data: dict[str, Any], user: User) -> dict[str, Any]:
        """Edit the editable fields: ``notes`` and the applicant's contact details.

        Raises :class:`Forbidden` (403) unless the user works at the desk, holds the dossier,
        or leads the ward; :class:`ValidationError` (422) for a field that is not editable.
        """
        check(user, "dossier.edit")
        if not isinstance(data, dict) or not data:
            raise ValidationError("Gửi một đối tượng JSON với các trường cần sửa.", field="body")
        with atomic(self.conn):
            dossier = self._load(dossier_id)
            check(user, "dossier.edit", dossier)
            fields: dict[str, Any] = {}
            for key, value in data.items():
                if key == "notes":
                    fields["notes"] = clean_text(str(value)) or None if value else None
                elif key == "applicant" and isinstance(value, dict):
                    applicant = dict(dossier["applicant"])
                    for sub, sub_value in value.items():
                        if sub not in EDITABLE_APPLICANT:
                            raise ValidationError(
                                f"Không sửa được 'applicant.{sub}'; chỉ sửa điện thoại, địa chỉ, email.",
                                field=f"applicant.{sub}",
                            )
                        if sub == "phone":
                            sub_value, _w = normalize_phone(sub_value)
                        elif sub_value is not None:
                            sub_value = nfc(str(sub_value)).strip() or None
                        applicant[sub] = sub_value
                    fields["applicant"] = applicant
                else:
                    raise ValidationError(
                        f"Trường '{key}' không sửa được; chỉ sửa notes và applicant.", field=key
                    )
            capture(self.conn, self.clock).write(
                "dossier", dossier_id, dossier["unit"], fields, actor=user.username
            )
        return self.get(dossier_id)

    # -- reading ---------------------------------------------------------------------------

    def _load(self, dossier_id: str) -> dict[str, Any]:
        found = select_records(self.conn, "dossier", "WHERE id = ?", (dossier_id,))
        if not found:
            raise NotFound("Không tìm thấy hồ sơ này.")
        return found[0]

    def get(self, dossier_id: str) -> dict[str, Any]:
        """One dossier with its step history, oldest step first."""
        dossier = self._load(dossier_id)
        dossier["steps"] = select_records(
            self.conn, "dossier_step", "WHERE dossier_id = ? ORDER BY at, id", (dossier_id,)
        )
        dossier["attachments"] = select_records(
            self.conn,
            "attachment",
            "WHERE parent_type = 'dossier' AND parent_id = ? AND NOT coalesce(deleted, 0) "
            "ORDER BY uploaded_at, id",
            (dossier_id,),
        )
        dossier["overdue"] = is_overdue(dossier, now_utc())
        return dossier

    def by_code(self, code: str) -> dict[str, Any] | None:
        """A dossier by its code, with steps, or ``None``."""
        found = select_records(self.conn, "dossier", "WHERE code = ?", (code.strip().upper(),))
        return self.get(found[0]["id"]) if found else None

    def search(
        self,
        q: str = "",
        status: int | None = None,
        overdue: bool | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Dossiers matching ``q`` (names, codes, ID numbers, phones; diacritics optional),
        newest first.

        A whole CCCD (12 digits), a whole phone number or a whole dossier code is looked up
        exactly, through its index (``store.create_lookup_indexes``); anything else matches
        every folded word anywhere in the names, codes, ID numbers and phones.
        """
        now = now_utc()
        clauses, params = exact_lookup(q) or word_clauses(q)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if overdue is not None:
            clauses.append(OVERDUE_SQL if overdue else f"NOT {OVERDUE_SQL}")
            params.append(iso(now))
        if cursor:
            clauses.append("id < ?")
            params.append(cursor)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        items = select_records(
            self.conn, "dossier", f"{where} ORDER BY id DESC LIMIT ?", (*params, limit + 1)
        )
        more = len(items) > limit
        items = items[:limit]
        for item in items:
            item["overdue"] = is_overdue(item, now)
        return items, (items[-1]["id"] if more else None)

    def _notice(self, dossier: dict[str, Any], action: str, step: Write) -> list[Write]:
        """The SMS notice of this change when it is worth telling, queued in the change's own
        transaction; the hub sends it, so the dossier never waits on a gateway."""
        notice = notice_for(dossier, action, step.fields, self.lookup_url)
        return [] if notice is None else [Write("sms", notice["id"], notice["unit"], notice)]

    def _step(
        self,
        dossier: dict[str, Any],
        action: str,
        from_status: int | None,
        to_status: int,
        user: User,
        note: str | None,
        at: datetime,
        to_handler: str | None = None,
        step_deadline: str | None = None,
    ) -> Write:
        step_id = new_id()
        step = {
            "id": step_id,
            "unit": dossier["unit"],
            "dossier_id": dossier["id"],
            "action": action,
            "from_status": from_status,
            "to_status": to_status,
            "actor": user.username,
            "actor_name": user.full_name,
            "at": iso(at),
            "note": note,
            "to_handler": to_handler,
            "step_deadline": step_deadline,
        }
        return Write("dossier_step", step_id, dossier["unit"], step)


def staff(conn: sqlite3.Connection) -> list[dict[str, str]]:
    """The ward's active accounts, for hand-over pickers."""
    rows = conn.execute(
        "SELECT username, full_name, role FROM users WHERE active = 1 ORDER BY full_name"
    ).fetchall()
    return [{"username": r[0], "full_name": r[1], "role": r[2]} for r in rows]
