"""Reading official documents on the ward node: one document with this ward's receipt and
(for its own) each recipient's status, the incoming and outgoing registers, their labels.
The state machines and writes are in ``service.py``, which explains the model."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from office import SECRET_RESULT, SECRET_SUMMARY, VIETNAM, is_secret
from sync import (
    HybridClock,
    NotFound,
    ValidationError,
    clean_text,
    fold,
    get_meta,
    labels,
    select_records,
)
from webapp import User

from ..permissions import LEADER, may, may_read_document
from .outside import outside_rows

STATUS_NAMES = labels("document", "status")
CODE_NAMES = {str(k).zfill(2): v for k, v in labels("document_receipt", "status_code").items()}
CODE_NAMES["pending"] = "Chờ tiếp nhận"
PRESENTED_NAME = "Đã trình lãnh đạo, chờ phân công"
URGENCY = labels("document", "urgency")
SECRECY = labels("document", "secrecy")
COMPETENCE = labels("document", "signing_competence")
TYPE_CODES = {
    "Quyết định": "QĐ-UBND",
    "Công văn": "UBND-VP",
    "Giấy mời": "GM-UBND",
    "Thông báo": "TB-UBND",
    "Kế hoạch": "KH-UBND",
    "Báo cáo": "BC-UBND",
    "Tờ trình": "TTr-UBND",
}
# action: (allowed from, Vietnamese label); outgoing ones act on the document's status,
# incoming ones on the receipt's code ("pending": no receipt yet). Who may do each one is
# ``permissions.py``'s "document.<action>" rule.
OUTGOING = {
    "approve": ({"draft"}, "Duyệt dự thảo"),
    "sign": ({"approved"}, "Ký ban hành"),
    "number": ({"signed"}, "Cấp số, ngày"),
    "release": ({"signed", "numbered"}, "Phát hành"),
    "recall": ({"released"}, "Thu hồi"),
}
# In the order the page offers them: the usual step above the exceptional one (a leader's
# "Phân công" above "Từ chối nhận", issue [11]).
INCOMING = {
    "receive": ({"pending"}, "Xác nhận đã đến"),
    "register": ({"pending", "01"}, "Vào sổ văn bản đến"),
    # The văn thư presents a registered document to a leader, who assigns it (Decree 30/2020,
    # docs/domain.md "Incoming flow"); the edXML code stays 04 until the assignment.
    "present": ({"04"}, "Trình lãnh đạo"),
    "assign": ({"04", "05"}, "Phân công xử lý"),
    "refuse": ({"pending", "01", "04"}, "Từ chối nhận"),
    "handle": ({"05"}, "Báo cáo đã xử lý"),
    "done": ({"05"}, "Hoàn thành"),
    "accept_recall": ({"13"}, "Đồng ý thu hồi"),
    "refuse_recall": ({"13"}, "Từ chối thu hồi"),
}
OUT_EDITABLE: tuple[str, ...] = (
    "summary",
    "doc_type",
    "type_code",
    "urgency",
    "secrecy",
    "drafting_unit",
)
OUT_EDITABLE += ("recipients_text", "copies", "archive_keeper", "notes", "steering_type")
RECEIPT_EDITABLE: tuple[str, ...] = ("note", "receiver")


def leaders(conn: sqlite3.Connection) -> list[dict[str, str]]:
    """The ward's active leaders (``username``, ``full_name``), by name: whom the văn thư
    presents an incoming document to."""
    rows = conn.execute(
        "SELECT username, full_name FROM users WHERE active = 1 AND role = ? ORDER BY full_name",
        (LEADER,),
    ).fetchall()
    return [{"username": r[0], "full_name": r[1] or r[0]} for r in rows]


def local_date(iso_value: str | None) -> date | None:
    """The Vietnam calendar date of a stored UTC time."""
    if not iso_value:
        return None
    return datetime.fromisoformat(iso_value).astimezone(VIETNAM).date()


def text_field(value: Any, limit: int = 2000) -> str | None:
    return (clean_text(str(value)) or None)[:limit] if value not in (None, "") else None  # type: ignore[index]


class DocumentReader:
    """Reading the documents of one node, over one connection."""

    def __init__(self, conn: sqlite3.Connection, clock: HybridClock) -> None:
        self.conn = conn
        self.clock = clock
        self.unit = get_meta(conn, "unit")
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)  # tests move the date

    def _now_iso(self) -> str:
        return self.now().astimezone(UTC).replace(microsecond=0).isoformat(timespec="seconds")

    def _today(self) -> date:
        return self.now().astimezone(VIETNAM).date()

    # -- reading ---------------------------------------------------------------------------

    def unit_names(self) -> dict[str, str]:
        """Unit code → name, from the hub's reference data."""
        return {u["code"]: u["name"] for u in select_records(self.conn, "unit")}

    def addressees(self) -> list[tuple[str, str]]:
        """(code, name) of the units a new document may be sent to: every other unit valid
        today (a unit past its ``valid_to`` was merged or dissolved; old records keep its name
        through :meth:`unit_names`)."""
        today = self._today().isoformat()
        return [
            (u["code"], u["name"])
            for u in select_records(self.conn, "unit")
            if u["code"] != self.unit
            and (u.get("valid_from") or today) <= today <= (u.get("valid_to") or today)
        ]

    def _doc(self, doc_id: str) -> dict[str, Any]:
        found = select_records(self.conn, "document", "WHERE id = ?", (doc_id,))
        if not found or not self._visible(found[0]):
            raise NotFound("Không có văn bản này.")
        return found[0]

    def _visible(self, doc: dict[str, Any]) -> bool:
        if doc["unit"] == self.unit:
            return True
        return self.unit in doc["units"] and doc.get("status") in (None, "released")

    def _receipt(self, doc_id: str) -> dict[str, Any] | None:
        found = select_records(
            self.conn, "document_receipt", "WHERE document_id = ? AND unit = ?", (doc_id, self.unit)
        )
        return found[0] if found else None

    @staticmethod
    def view_of(doc: dict[str, Any], unit: str) -> str:
        """'outgoing' for the ward's own outgoing documents, else 'incoming'."""
        own_outgoing = doc["unit"] == unit and doc.get("direction", "outgoing") == "outgoing"
        return "outgoing" if own_outgoing else "incoming"

    @staticmethod
    def code_of(doc: dict[str, Any], receipt: dict[str, Any] | None) -> str:
        """The incoming status: the receipt's code, 13 when recalled and not yet answered."""
        code = receipt["status_code"] if receipt else "pending"
        if doc.get("recalled") and code not in ("02", "15", "16"):
            return "13"
        return code

    def _decorate(self, doc: dict[str, Any], receipt: dict[str, Any] | None) -> dict[str, Any]:
        view = self.view_of(doc, self.unit)
        out = dict(doc, view=view, receipt=receipt)
        if is_secret(doc):
            # Never what a secret document says, even one stored before this rule or sent by
            # an older release (docs/security.md, "Secret documents").
            out["summary"] = SECRET_SUMMARY
            if receipt is not None and receipt.get("result"):
                out["receipt"] = dict(receipt, result=SECRET_RESULT)
        if not doc.get("units") and doc.get("draft_units"):
            out["units"] = doc["draft_units"]  # a draft shows whom it will go to
        if view == "outgoing":
            out["state"] = doc.get("status") or "released"
            out["state_name"] = STATUS_NAMES.get(out["state"], out["state"])
        else:
            out["state"] = self.code_of(doc, receipt)
            out["state_name"] = CODE_NAMES.get(out["state"], out["state"])
            # Presented and not yet assigned: waiting for that leader (``waiting_for``).
            presented = (receipt or {}).get("presented_to")
            out["waiting_for"] = presented if out["state"] == "04" and presented else None
            if out["waiting_for"]:
                out["state_name"] = PRESENTED_NAME
        out["urgency_name"] = URGENCY.get(doc.get("urgency") or "normal", "")
        out["secrecy_name"] = SECRECY.get(doc.get("secrecy") or "none", "")
        return out

    def get(self, doc_id: str, user: User | None) -> dict[str, Any]:
        """One document with this ward's receipt, its attachments, (sender) each recipient
        and the ``actions`` ``user`` may take now. :class:`NotFound` when the ward does not
        hold it or ``user`` may not see it (a secret one: ``permissions.may_read_document``;
        404 rather than 403, so its existence is not told either)."""
        doc = self._get(doc_id)
        if not may_read_document(user, doc):
            raise NotFound("Không có văn bản này.")
        doc["actions"] = self.allowed(doc, user)
        return doc

    def may_serve(self, attachment: dict[str, Any], user: User | None) -> bool:
        """Whether ``user`` may download ``attachment``'s file: not when it hangs on a
        document this user may not see, nor on a secret one (docs/security.md, "Secret
        documents")."""
        if attachment.get("parent_type") != "document":
            return True
        try:
            doc = self.get(str(attachment["parent_id"]), user)
        except NotFound:
            return False
        return not is_secret(doc)

    def _get(self, doc_id: str) -> dict[str, Any]:
        """:meth:`get` for the domain's own use: whoever asks, no actions."""
        doc = self._decorate(self._doc(doc_id), self._receipt(doc_id))
        doc["attachments"] = select_records(
            self.conn,
            "attachment",
            "WHERE parent_type = 'document' AND parent_id = ? AND NOT coalesce(deleted, 0) "
            "ORDER BY uploaded_at",
            (doc_id,),
        )
        if is_secret(doc):
            doc["attachments"] = []  # a file stored before the rule is never served
        doc["recipients"] = self.recipients(doc) if doc["view"] == "outgoing" else []
        doc["outside"] = outside_rows(doc) if doc["view"] == "outgoing" else []
        return doc

    def recipients(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        """Per addressee: the receipt that flowed back (who received, assigned, finished)."""
        names = self.unit_names()
        found = select_records(self.conn, "document_receipt", "WHERE document_id = ?", (doc["id"],))
        by_unit = {r["unit"]: r for r in found}
        rows = []
        for unit in doc["units"]:
            if unit == self.unit:
                continue
            receipt = by_unit.get(unit)
            code = self.code_of(doc, receipt)
            rows.append(
                {
                    "unit": unit,
                    "unit_name": names.get(unit, unit),
                    "status_code": code,
                    "status_name": CODE_NAMES.get(code, code),
                    "receipt": receipt,
                }
            )
        return rows

    def possible(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        """The actions possible from the document's state, whoever asks."""
        table = OUTGOING if doc["view"] == "outgoing" else INCOMING
        if doc["view"] == "incoming" and doc["unit"] == self.unit and doc["state"] == "pending":
            return []
        acts = [
            {"action": name, "label": label}
            for name, (sources, label) in table.items()
            if doc["state"] in sources
        ]
        if doc["view"] == "outgoing" and doc.get("recalled"):
            acts = [a for a in acts if a["action"] != "recall"]
        return acts

    def allowed(self, doc: dict[str, Any], user: User | None) -> list[dict[str, Any]]:
        """The actions ``user`` may take now: possible from the state, and allowed to this
        user by ``permissions.py`` (the page's buttons)."""
        return [a for a in self.possible(doc) if may(user, f"document.{a['action']}", doc)]

    def search(
        self,
        direction: str,
        q: str = "",
        status: str = "",
        limit: int = 50,
        cursor: str | None = None,
        user: User | None = None,
        waiting_for: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Documents of one register ``user`` may see (without a user, none that is secret),
        newest first; ``q`` without diacritics (never matched against what a secret document
        says), ``status``; ``waiting_for``: only those presented to that leader and not yet
        assigned."""
        if direction == "outgoing":
            docs = select_records(
                self.conn,
                "document",
                "WHERE unit = ? AND coalesce(direction, 'outgoing') = 'outgoing'",
                (self.unit,),
            )
        elif direction == "incoming":
            docs = select_records(
                self.conn,
                "document",
                "WHERE (unit = ? AND direction = 'incoming') OR (unit != ? AND "
                "EXISTS (SELECT 1 FROM json_each(document.units) WHERE value = ?))",
                (self.unit, self.unit, self.unit),
            )
            docs = [d for d in docs if self._visible(d)]
        else:
            raise ValidationError(
                "direction phải là 'incoming' hoặc 'outgoing'.", field="direction"
            )
        receipts = {
            r["document_id"]: r
            for r in select_records(self.conn, "document_receipt", "WHERE unit = ?", (self.unit,))
        }
        items = [self._decorate(d, receipts.get(d["id"])) for d in docs]
        items = [d for d in items if may_read_document(user, d)]
        words = fold(q).split()
        if words:
            items = [
                d
                for d in items
                if all(
                    w
                    in fold(
                        " ".join(
                            str(d.get(k) or "")
                            for k in ("symbol", "summary", "issuing_agency", "unit")
                        )
                    )
                    for w in words
                )
            ]
        if status:
            items = [d for d in items if d["state"] == status]
        if waiting_for:
            items = [d for d in items if d.get("waiting_for") == waiting_for]
        items.sort(key=lambda d: d["id"], reverse=True)
        start = int(cursor) if cursor and cursor.isdigit() else 0
        page = items[start : start + limit]
        more = start + limit < len(items)
        return page, (str(start + limit) if more else None)

    # -- registers (sổ đăng ký văn bản đến / đi, Decree 30/2020 appendix) ----------------

    def incoming_register(
        self, first: date, last: date, user: User | None = None
    ) -> list[dict[str, Any]]:
        """Documents registered as incoming between two local dates, by series and number;
        the secret series only for whom ``permissions.may_read_document`` lets see them."""
        docs = {d["id"]: d for d in select_records(self.conn, "document")}
        rows = []
        for receipt in select_records(
            self.conn,
            "document_receipt",
            "WHERE unit = ? AND incoming_number IS NOT NULL",
            (self.unit,),
        ):
            day = local_date(receipt.get("registered_at") or receipt.get("received_at"))
            doc = docs.get(receipt["document_id"])
            if doc is None or day is None or not first <= day <= last:
                continue
            row = self._decorate(doc, receipt) | {"register_day": day}
            if may_read_document(user, row):
                rows.append(row)
        rows.sort(
            key=lambda d: (
                bool(d["receipt"].get("secret")),
                d["receipt"].get("incoming_year") or 0,
                d["receipt"]["incoming_number"],
            )
        )
        return rows

    def outgoing_register(
        self, first: date, last: date, user: User | None = None
    ) -> list[dict[str, Any]]:
        """The ward's numbered outgoing documents dated between two dates, by series and
        number; the secret series only for whom may see them."""
        rows = [
            self._decorate(d, None)
            for d in select_records(
                self.conn,
                "document",
                "WHERE unit = ? AND coalesce(direction, 'outgoing') = 'outgoing' "
                "AND number IS NOT NULL AND issued_on BETWEEN ? AND ?",
                (self.unit, first.isoformat(), last.isoformat()),
            )
        ]
        rows = [d for d in rows if may_read_document(user, d)]
        rows.sort(
            key=lambda d: (d["secrecy_name"] != SECRECY["none"], d["issued_on"][:4], d["number"])
        )
        return rows
