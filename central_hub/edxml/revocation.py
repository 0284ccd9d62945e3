"""Revocation messages out (docs/edxml.md, "Revocations out"): when a document whose edXML
document message was claimed for the outbox is recalled (the city office recalls it at the
console, or a ward recalls its own and the recall syncs), the next exchange round writes one
revocation message (business type 1, "thu hồi") to each agency the document message went to.

- **Same identity.** Each carries the document's ``Code``, ``PromulgationInfo``, ``From``
  OrganId and ``DocumentId`` as its document message had them (the sender and the identifier
  recorded with that message, not recomputed: a ward given an OrganId since still revokes
  under the one it sent with), ``Bussiness/BussinessDocType`` 1 and the recall's
  ``recalled_by`` as ``BussinessDocReason``; no attachment; signed when configured.
- **Exactly once**, as the document message: the revocations of a document are claimed
  together, with their bytes and file names, in one transaction (``edxml_revocation_sent``,
  hub migration ``0042_edxml_revocations``) before any file is written; each file is then
  written (temporary name, fsync, rename) and marked written. A round first writes again, the
  same bytes under the same name, any claimed revocation a crash left unwritten. Later rounds,
  a second hub process, a replayed push and a restart find the claim and build nothing.
- A document recalled **before** its document message was claimed never goes out
  (``store.edxml.unsent_outgoing``), so it has nothing to revoke.
- A ward's document: its synced ``edxml_statuses`` says per agency when the revocation went
  (``revoked_at``), shown on the ward's page.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from sync import NotFound, atomic

from ..files import blob_store
from ..store import edxml as exchange_store
from ..store import edxml_revocations as store
from ..web import db, state, unit_names
from . import outbound, ward_statuses
from .build import Organ, document_message, finish
from .context import hub_organ, now_iso

KIND = "thuhoi"  # the outbox file name's kind: <time>-thuhoi-1-<symbol>-<id>.edxml
DEFAULT_REASON = "Cơ quan ban hành thu hồi văn bản"


def _sender(doc: dict[str, Any], organ_from: str) -> Organ:
    """The agency the document message went out from, by the OrganId recorded with it."""
    current = outbound.sender_of(doc["unit"])
    if current.organ_id == organ_from:
        return current
    if organ_from == hub_organ():
        return Organ(organ_from, state().name or doc["unit"])
    return Organ(organ_from, unit_names().get(doc["unit"], doc["unit"]))


def reason_of(doc: dict[str, Any]) -> str:
    """The reason a revocation gives: who recalled the document and why (``recalled_by``)."""
    return str(doc.get("recalled_by") or DEFAULT_REASON)[:2000]


def write_revocations(due: dict[str, Any]) -> list[str]:
    """Claim and write the revocations of the recalled document ``due`` (a row of
    ``store.edxml_revocations.due``), one per agency its document message went to; returns
    the names of the files written, none when another process claimed them first."""
    doc = outbound.document_record(due["document_id"])
    organs = [o for o in str(due["organ_to"] or "").split(",") if o]
    if not organs:
        return []
    sender = _sender(doc, str(due["organ_from"]))
    names = doc.get("edxml_to_names") or {}
    reason = reason_of(doc)
    built = []
    for organ in organs:
        root = document_message(
            doc,
            [],
            sender,
            [Organ(organ, names.get(organ) or organ)],
            business_type=1,
            reason=reason,
        )
        data = finish(root, outbound.signer())
        row = outbound.message_row(doc, "document", "1", data, organ, due["doc_key"], reason)
        row["organ_from"] = sender.organ_id
        row["note"] = f"Thu hồi gửi {names.get(organ) or organ}: {reason}"[:2000]
        row["file_name"] = outbound.file_name(KIND, "1", doc, row["id"])
        built.append((organ, row, data))
    conn = db()
    claimed = []
    with atomic(conn):
        for organ, row, data in built:
            if store.claim(conn, doc["id"], organ, row["id"], row["file_name"], row["at"]):
                exchange_store.add_message(conn, row)
                claimed.append((organ, row, data))
        if claimed and doc["unit"] != state().unit:
            ward_statuses.revoked(conn, doc, [o for o, _, _ in claimed], claimed[0][1]["at"])
    for organ, row, data in claimed:
        _deliver(doc["id"], organ, row["file_name"], data)
    return [row["file_name"] for _, row, _ in claimed]


def _deliver(doc_id: str, organ: str, name: str, data: bytes) -> None:
    """A claimed revocation's file into the outbox, then marked written."""
    outbound.write_file(name, data)
    conn = db()
    with atomic(conn):
        store.mark_written(conn, doc_id, organ, now_iso())


def write_unwritten(limit: int = outbound.ROUND_LIMIT) -> int:
    """Write again the revocations claimed but never written, the same bytes under the same
    name; how many."""
    blobs = blob_store()
    done = 0
    for row in store.unwritten(db(), limit):
        if not row["sha256"] or not blobs.has(row["sha256"]):
            current_app.logger.error(
                "edXML: thông điệp thu hồi văn bản %s gửi %s mất nội dung đã lưu; không ghi "
                "được vào outbox.",
                row["document_id"],
                row["organ_id"],
            )
            continue
        data = blobs.path(row["sha256"]).read_bytes()
        _deliver(row["document_id"], row["organ_id"], row["file_name"], data)
        done += 1
    return done


def revocation_round(limit: int = outbound.ROUND_LIMIT) -> int:
    """The revocations a round writes (see the module): first those a crash left unwritten,
    then those of documents recalled since; how many files."""
    done = write_unwritten(limit)
    for due in store.due(db(), limit):
        try:
            done += len(write_revocations(due))
        except NotFound:
            current_app.logger.warning("edXML: văn bản %s không còn.", due["document_id"])
    return done
