"""A status message taken in (docs/edxml.md, "Statuses from outside"): the status an outside
agency reports for a document we sent it, kept per agency (``edxml_statuses``) and shown
beside the units' own statuses."""

from __future__ import annotations

from typing import Any

from sync import NotFound, nfc, select_records

from ..store import edxml as store
from ..web import state
from .context import hub_organ
from .message import EdxmlRefused, Message


def take_status(conn: Any, msg: Message, row: dict[str, Any], result: dict[str, Any]) -> None:
    """A status message: the outside agency's status of the document we sent it."""
    key = str(msg.response_for)
    doc_id = store.sent_document(conn, key) or _ours_by_key(conn, key)
    if doc_id is None:
        raise NotFound(
            f"Thông điệp trạng thái trả lời văn bản {key}, nhưng máy chủ này không gửi văn bản "
            "nào như vậy. Hãy đối chiếu số, ký hiệu và ngày văn bản với cơ quan gửi.",
            code="edxml_unknown_document",
        )
    doc = select_records(conn, "document", "WHERE id = ?", (doc_id,))[0]
    if msg.from_organ not in (doc.get("edxml_to") or []):
        raise EdxmlRefused(
            f"Cơ quan {msg.from_organ} không phải nơi nhận của văn bản {doc['symbol']} (nơi "
            f"nhận: {', '.join(doc.get('edxml_to') or []) or 'không có cơ quan ngoài'}); "
            "trạng thái không được ghi.",
            code="edxml_not_recipient",
            field="From",
        )
    store.set_outside_status(
        conn,
        {
            "document_id": doc_id,
            "organ_id": msg.from_organ,
            "organ_name": msg.from_name,
            "status_code": msg.status_code,
            "description": msg.description,
            "staff": msg.staff,
            "at": row["at"],
            "message_id": row["id"],
        },
    )
    row["document_id"] = doc_id
    row["note"] = f"{msg.from_name or msg.from_organ}: trạng thái {msg.status_code}"
    result["changed"].append(
        dict(
            said(doc_id, doc["unit"], f"Trạng thái tại {msg.from_name or msg.from_organ}"),
            organ_id=msg.from_organ,
            status_code=msg.status_code,
        )
    )


def _ours_by_key(conn: Any, key: str) -> str | None:
    """A document we sent, by ``OrganId,yyyy/mm/dd,symbol`` (sent before messages were
    recorded, or given to the platform by hand)."""
    parts = key.split(",", 2)
    if len(parts) != 3:
        return None
    organ, day, symbol = parts
    unit = state().unit if organ == hub_organ() else store.unit_by_organ(conn, organ)
    if unit is None:
        return None
    found = select_records(
        conn,
        "document",
        "WHERE unit = ? AND issued_on = ? AND symbol = ? AND coalesce(direction, 'outgoing') "
        "= 'outgoing' ORDER BY id LIMIT 1",
        (unit, day.replace("/", "-"), nfc(symbol)),
    )
    return found[0]["id"] if found else None


def said(doc_id: str, unit: str, what: str) -> dict[str, Any]:
    """One line of what a message did."""
    return {"document_id": doc_id, "unit": unit, "what": what}
