"""edXML messages out of the hub (docs/edxml.md, "Out"): into the drop folder
``DATA/edxml/outbox``, for the platform connector to send, and on request.

- :func:`document_edxml`: the document message of a released outgoing document (the city's,
  or a ward's synced to the hub), attachments embedded, signed when configured.
- :func:`exchange_round`: what a round of the exchange writes: the document message of every
  released document addressed to outside agencies (``edxml_to``) not written yet, and the
  status messages of documents from outside whose status moved: 03 when the addressee
  registered it, 04 when it was assigned (at the city office: forwarded to wards), 06 when it
  was finished (at the city office: when the lead ward of a forward finished it, before any
  recall), 02 with the reason when refused. 01 is written on arrival (:func:`arrived`). Once
  the sender revoked or replaced the document, only 15 or 16 (its addressee agreed to or
  refused the recall) are.

A status message is claimed in the store, written to a temporary file and renamed into the
outbox (a connector never reads half a file), and the claim commits after: a crash between
leaves the message to be written again by the next round (at least once; the platform takes a
repeated status as the same status). A document message is built once: its claim and bytes
commit first (``edxml_document_sent``), then its file is written under the name claimed and
marked written; a round first writes again, byte for byte under the same name, any claimed
message whose file a crash left unwritten. So a document goes out once, whatever rounds,
processes, restarts or replayed pushes come (docs/edxml.md, "A ward's documents").
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app

from sync import Conflict, NotFound, ValidationError, Write, atomic, select_records

from ..files import blob_store
from ..store import capture
from ..store import edxml as store
from ..web import db, person, state, unit_names
from . import ward_statuses
from .build import STATUS_TEXTS, Organ, document_message, finish, status_message
from .context import hub_organ, now_iso
from .message import document_key
from .signature import SIGNED, UNSIGNED, load_signer

OUTBOX = "edxml/outbox"
INBOX = "edxml/inbox"
FILES_PENDING = "edxml_files_pending"  # a document whose files have not all reached the hub
ROUND_LIMIT = 200  # documents one round looks at for each kind of message


def signer() -> tuple[bytes, bytes] | None:
    """The city's signing certificate and key, when configured."""
    cfg = current_app.config
    return load_signer(str(cfg.get("EDXML_SIGN_CERT") or ""), str(cfg.get("EDXML_SIGN_KEY") or ""))


def folder(name: str) -> Path:
    """``DATA/edxml/inbox`` or ``outbox`` (made when missing, private to the hub's user)."""
    path = state().data_dir / name
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def organ_of_unit(unit: str) -> Organ:
    """The agency a unit of this hub is on the platform: the city office's ``ORGAN_ID``, or
    the unit's ``organ_id``; refused when the unit has none."""
    names = {u["code"]: u for u in select_records(db(), "unit", "WHERE code = ?", (unit,))}
    name = names[unit]["name"] if unit in names else (state().name or unit)
    if unit == state().unit:
        return Organ(hub_organ(), state().name or name)
    organ = store.organ_of(db(), unit)
    if not organ:
        raise ValidationError(
            f"Đơn vị {name} chưa có mã định danh liên thông (organ_id); hãy nhập mã trong danh "
            "mục đơn vị rồi thử lại.",
            code="edxml_no_organ_id",
            field="organ_id",
        )
    return Organ(organ, name)


def sender_of(unit: str) -> Organ:
    """The agency a document of ``unit`` goes out from: the city office's ``ORGAN_ID``, a
    ward's own ``organ_id``, or, for a ward without one, the city's (the ward's documents then
    go out under the city office's identifier, as a ward's paper goes through it)."""
    if unit != state().unit:
        organ = store.organ_of(db(), unit)
        if organ:
            return Organ(organ, unit_names().get(unit, unit))
    return Organ(hub_organ(), state().name or unit)


def document_record(doc_id: str) -> dict[str, Any]:
    found = select_records(db(), "document", "WHERE id = ?", (doc_id,))
    if not found:
        raise NotFound("Không có văn bản này.")
    return found[0]


def document_edxml(doc_id: str, to: list[str] | None = None) -> tuple[bytes, dict[str, Any]]:
    """The document message of the released outgoing document ``doc_id`` to ``to`` (its
    ``edxml_to`` when not given) and the document; :class:`Conflict` when it cannot go out (a
    draft, a secret document, an incoming one, no outside addressee)."""
    doc = document_record(doc_id)
    if (doc.get("direction") or "outgoing") != "outgoing" or doc.get("status") not in (
        None,
        "released",
    ):
        raise Conflict(
            "Chỉ văn bản đi đã phát hành mới gửi liên thông được.", code="edxml_not_released"
        )
    if (doc.get("secrecy") or "none") != "none":
        raise Conflict(
            "Văn bản mật không gửi qua trục liên thông; hãy gửi bản giấy theo chế độ mật.",
            code="edxml_secret",
        )
    organs = to or list(doc.get("edxml_to") or [])
    if not organs:
        raise Conflict(
            "Văn bản này không có cơ quan nhận ngoài hệ thống (edxml_to); hãy chỉ rõ nơi nhận "
            "bằng tham số to=<mã định danh>.",
            code="edxml_no_recipient",
        )
    files = select_records(
        db(),
        "attachment",
        "WHERE parent_type = 'document' AND parent_id = ? AND coalesce(deleted, 0) = 0 ORDER BY id",
        (doc_id,),
    )
    blobs = blob_store()
    missing = [f for f in files if not blobs.has(f["sha256"])]
    if missing:
        # A ward sends a file's bytes after the records that name it: a message built now
        # would go out without them, and it goes out only once (docs/edxml.md, "Exactly
        # once"). The round tries again when they have come.
        raise Conflict(
            f"Máy chủ trung tâm chưa nhận đủ tệp đính kèm của văn bản ({len(missing)} tệp "
            "chưa về, ví dụ «" + str(missing[0].get("name") or missing[0]["sha256"]) + "»); "
            "văn bản được gửi liên thông khi phường đồng bộ xong các tệp.",
            code=FILES_PENDING,
        )
    embedded = [(f, blobs.path(f["sha256"]).read_bytes()) for f in files]
    names = doc.get("edxml_to_names") or {}
    root = document_message(
        doc, embedded, sender_of(doc["unit"]), [Organ(o, names.get(o) or o) for o in organs]
    )
    return finish(root, signer()), doc


def _write(name: str, data: bytes) -> Path:
    """``data`` into the outbox as ``name``, whole or not at all."""
    out = folder(OUTBOX)
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out / name


def file_name(kind: str, code: str, doc: dict[str, Any], message_id: str) -> str:
    """The outbox name of a message: ``<time>-<kind>-<code>-<symbol>-<id>.edxml``."""
    safe = "".join(c if c.isalnum() else "-" for c in str(doc.get("symbol") or "")).strip("-")
    stamp = now_iso()[:19].replace(":", "").replace("-", "")
    return f"{stamp}-{kind}-{code}-{safe[:40] or 'van-ban'}-{message_id[-12:]}.edxml"


def message_row(
    doc: dict[str, Any], kind: str, code: str, data: bytes, to: str, key: str, note: str
) -> dict[str, Any]:
    """The ``edxml_messages`` row of a message written out about ``doc`` (its bytes stored in
    the blob store)."""
    from sync import new_id

    return {
        "id": new_id(),
        "direction": "out",
        "kind": kind,
        "code": code,
        "document_id": doc["id"],
        "doc_key": key,
        "organ_from": None,
        "organ_to": to,
        "sha256": blob_store().put(data),
        "size": len(data),
        "signature": SIGNED if signer() else UNSIGNED,
        "note": note,
        "source": "outbox",
        "at": now_iso(),
    }


def write_file(name: str, data: bytes) -> Path:
    """``data`` into the outbox as ``name``, whole or not at all (temporary name, fsync,
    rename)."""
    return _write(name, data)


def write_document(doc_id: str) -> str | None:
    """Write the document message of ``doc_id`` to the outbox, once; returns the file's name,
    or None when it was claimed before (by an earlier round, another process, or before a
    restart: :func:`write_unwritten` finishes those)."""
    data, doc = document_edxml(doc_id)
    sender = sender_of(doc["unit"])
    key = document_key(sender.organ_id, date.fromisoformat(doc["issued_on"]), doc["symbol"])
    row = message_row(doc, "document", "0", data, ",".join(doc.get("edxml_to") or []), key, "")
    row["organ_from"] = sender.organ_id
    name = file_name("vanban", "0", doc, row["id"])
    row["file_name"] = name
    conn = db()
    with atomic(conn):
        if not store.claim_document(conn, doc_id, row["id"], name, row["at"]):
            return None
        store.add_message(conn, row)
        if doc["unit"] != state().unit:
            ward_statuses.sent(conn, doc, row["at"], doc.get("edxml_to_names") or {})
    _deliver(doc_id, name, data)
    return name


def _deliver(doc_id: str, name: str, data: bytes) -> None:
    """The claimed message's file into the outbox, then marked written."""
    _write(name, data)
    conn = db()
    with atomic(conn):
        store.mark_document_written(conn, doc_id, now_iso())


def write_unwritten(limit: int = ROUND_LIMIT) -> int:
    """Write again the document messages claimed but never written (a crash, a full disk
    between the claim and the file), the same bytes under the same name; how many."""
    blobs = blob_store()
    done = 0
    for row in store.unwritten_documents(db(), limit):
        if not row["sha256"] or not blobs.has(row["sha256"]):
            current_app.logger.error(
                "edXML: thông điệp văn bản %s mất nội dung đã lưu; không ghi được vào outbox.",
                row["document_id"],
            )
            continue
        _deliver(row["document_id"], row["file_name"], blobs.path(row["sha256"]).read_bytes())
        done += 1
    return done


def write_status(doc_id: str, code: str, description: str | None = None) -> str | None:
    """Write status ``code`` of the outside document ``doc_id`` to the outbox, once; returns
    the file's name, or None when it was written before."""
    conn = db()
    info = store.document_info(conn, doc_id)
    if info is None:
        raise NotFound("Văn bản này không đến từ trục liên thông.")
    doc = document_record(doc_id)
    sender = organ_of_unit(info["addressed_unit"])
    answered = {
        "organ_id": info["organ_from"],
        "symbol": doc["symbol"],
        "doc_key": info["platform_id"] or info["doc_key"],
        "issued_on": doc["issued_on"],
    }
    receipt = _receipt(doc_id, info["addressed_unit"])
    staff = (receipt or {}).get("updated_by")
    if staff and info["addressed_unit"] == state().unit:
        staff = person(staff)  # the city office's clerk by name, as a letter is signed
    data = finish(
        status_message(sender, answered, code, description=description, staff=staff), signer()
    )
    row = message_row(
        doc, "status", code, data, info["organ_from"], answered["doc_key"], description or ""
    )
    row["organ_from"] = sender.organ_id
    name = file_name("trangthai", code, doc, row["id"])
    row["file_name"] = name
    with atomic(conn):
        if not store.mark_status_sent(conn, doc_id, code, row["id"], row["at"]):
            return None
        store.add_message(conn, row)
        _write(name, data)
    return name


def arrived(doc_id: str) -> str | None:
    """Status 01 of a document just taken in."""
    return write_status(doc_id, "01")


def _receipt(doc_id: str, unit: str) -> dict[str, Any] | None:
    found = select_records(
        db(), "document_receipt", "WHERE document_id = ? AND unit = ?", (doc_id, unit)
    )
    return found[0] if found else None


def wanted_codes(
    receipt: dict[str, Any] | None, names: dict[str, str] | None = None
) -> list[tuple[str, str | None]]:
    """The edXML status codes a receipt has reached, in order, each with its description:
    registered (internal 04) → 03, assigned (05) → 04, done (06) → 06, refused (02) → 02
    with the reason (docs/edxml.md, "Statuses"); ``names`` says a lead unit's name."""
    if receipt is None:
        return []
    code = receipt["status_code"]
    if code == "02":
        return [("02", f"Từ chối: {receipt.get('note') or 'không ghi lý do'}")]
    out: list[tuple[str, str | None]] = []
    if receipt.get("registered_at") or code in ("04", "05", "06"):
        number = receipt.get("incoming_number")
        out.append(("03", f"Văn thư đã vào sổ văn bản đến, số đến {number}" if number else None))
    if receipt.get("assigned_at") or code in ("05", "06"):
        who = receipt.get("lead_handler")
        who = (names or {}).get(who, who) if who else None
        out.append(("04", f"Đã phân công xử lý: {who}" if who else None))
    if code == "06":
        result = receipt.get("result")
        out.append(("06", f"Đã hoàn thành: {result}" if result else None))
    return out


def recall_codes(receipt: dict[str, Any] | None) -> list[tuple[str, str | None]]:
    """What an addressee answered to the revocation of a document from outside: 15 (agreed)
    or 16 (refused), with its note. A revoked document's other statuses (03, 04, 06, 02) are
    no longer written (docs/edxml.md, "Statuses")."""
    if receipt is None or receipt["status_code"] not in ("15", "16"):
        return []
    code = receipt["status_code"]
    note = receipt.get("note")
    return [(code, f"{STATUS_TEXTS[code]}: {note}" if note else None)]


def _finish_forwarded(doc_id: str) -> None:
    """At the city office: the outside document is done when the lead ward of a forward has
    finished its copy; the city's own receipt says so."""
    conn = db()
    hub_unit = state().unit
    mine = _receipt(doc_id, hub_unit)
    if mine is None or mine["status_code"] in ("02", "06"):
        return
    for fwd in store.forwards_of(conn, doc_id):
        lead = _receipt(fwd["forwarded_id"], fwd["lead_unit"])
        if lead is not None and lead["status_code"] == "06":
            fields = {
                "status_code": "06",
                "done_at": lead.get("done_at") or now_iso(),
                "result": lead.get("result")
                or f"Hoàn thành tại {unit_names().get(fwd['lead_unit'], fwd['lead_unit'])}",
                "updated_by": lead.get("updated_by") or "system",
            }
            capture(conn).write_many(
                [Write("document_receipt", mine["id"], hub_unit, fields)], actor="edxml"
            )
            return


def exchange_round() -> dict[str, int]:
    """One round of the outbox (see the module); returns how many messages of each kind it
    wrote. Bounded: at most :data:`ROUND_LIMIT` documents of each kind a round."""
    conn = db()
    done = {"documents": write_unwritten(), "statuses": 0}
    for doc_id in store.unsent_outgoing(conn, state().unit, ROUND_LIMIT):
        try:
            if write_document(doc_id):
                done["documents"] += 1
        except (Conflict, ValidationError) as exc:
            # Files still on their way are the normal wait of a ward's sync, not a fault.
            level = logging.INFO if exc.code == FILES_PENDING else logging.WARNING
            current_app.logger.log(
                level, "edXML: văn bản %s chưa gửi được: %s", doc_id, exc.message
            )
    for doc_id in store.open_outside_ids(conn, ROUND_LIMIT):
        info = store.document_info(conn, doc_id)
        if info is None:
            continue
        recalled = bool(info["revoked_at"] or info["replaced_by"])
        if info["addressed_unit"] == state().unit and not recalled:
            # Once recalled, a lead ward finishing its copy (before it heard of the recall)
            # no longer finishes the city's: the city's answer, 15 or 16, is what goes back.
            _finish_forwarded(doc_id)
        sent = store.statuses_sent(conn, doc_id)
        receipt = _receipt(doc_id, info["addressed_unit"])
        wanted = recall_codes(receipt) if recalled else wanted_codes(receipt, unit_names())
        for code, description in wanted:
            if code not in sent and write_status(doc_id, code, description):
                done["statuses"] += 1
    return done
