"""A status message taken in (docs/edxml.md, "Statuses from outside"): the status an outside
agency reports for a document we sent it, kept per agency (the table ``edxml_statuses``) and
shown beside the units' own statuses; for a ward's document also written into the document's
synced ``edxml_statuses`` field, so the ward sees it after its next sync."""

from __future__ import annotations

from typing import Any

from sync import NotFound, nfc, select_records

from ..store import edxml as store
from ..web import state
from . import ward_statuses
from .context import hub_organ
from .message import EdxmlRefused, Message


def take_status(conn: Any, msg: Message, row: dict[str, Any], result: dict[str, Any]) -> None:
    """A status message: the outside agency's status of the document we sent it."""
    key = str(msg.response_for)
    doc_id = _answered(conn, key, str(msg.from_organ)) or _ours_by_key(conn, key)
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
    if doc["unit"] != state().unit:
        ward_statuses.report(conn, doc, msg, row["at"])
    row["document_id"] = doc_id
    row["note"] = f"{msg.from_name or msg.from_organ}: trạng thái {msg.status_code}"
    result["changed"].append(
        dict(
            said(doc_id, doc["unit"], f"Trạng thái tại {msg.from_name or msg.from_organ}"),
            organ_id=msg.from_organ,
            status_code=msg.status_code,
        )
    )


def _answered(conn: Any, key: str, organ: str) -> str | None:
    """The document sent as ``key`` that a status from ``organ`` answers. Several documents
    share a key only when wards without an OrganId sent the same number and symbol on the same
    day under the city's: the one sent to ``organ`` is meant; when that is still more than one,
    the status is refused (nothing stored) rather than put on the wrong ward's document."""
    found = store.sent_documents(conn, key)
    if len(found) <= 1:
        return found[0] if found else None
    docs = select_records(
        conn, "document", f"WHERE id IN ({', '.join('?' for _ in found)})", tuple(found)
    )
    meant = [d["id"] for d in docs if organ in (d.get("edxml_to") or [])]
    if len(meant) == 1:
        return str(meant[0])
    raise EdxmlRefused(
        f"Có {len(meant) or len(found)} văn bản cùng được gửi với mã {key} (các phường chưa có mã "
        "định danh liên thông gửi dưới mã của thành phố), nên không biết trạng thái này trả lời "
        "văn bản nào. Hãy nhập mã định danh cho các phường trong danh mục đơn vị và đề nghị cơ "
        "quan gửi ghi rõ văn bản.",
        code="edxml_ambiguous_document",
        field="ResponseFor",
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
