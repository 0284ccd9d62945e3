"""The attachments of a document message taken in (docs/edxml.md, "Attachments"): decoded,
judged by their bytes (PDF, images, Word and Excel: ``sync.check_bytes`` with the office
kinds), bounded as a scan is at the console or the portal (issue [7]), stored in the hub's
blob store and written as ``attachment`` records of the city, which the addressed units
fetch through the blob protocol."""

from __future__ import annotations

from typing import Any

from sync import (
    FILE_KINDS,
    OFFICE_KINDS,
    PayloadTooLarge,
    UnsupportedFile,
    Write,
    check_bytes,
    new_id,
    nfc,
    validate,
)

from ..files import add_source, blob_store
from ..portal.submission import MAX_SCAN_BYTES
from ..web import state
from .message import EdxmlRefused, Message

MAX_ATTACHMENTS = 20  # files one message may carry
ATTACHMENT_BYTES = MAX_SCAN_BYTES  # each, as a scan at the console or the portal (issue [7])
EXCHANGE_KINDS = FILE_KINDS + OFFICE_KINDS


def checked_files(msg: Message, warnings: list[str]) -> list[tuple[str, bytes, str]]:
    """The attachments as (name, bytes, mime), checked by their bytes: each of a kind the
    offices use (PDF, images, Word, Excel), within :data:`ATTACHMENT_BYTES`. One whose text
    is not base64 is left out with a warning (the SDK's samples carry placeholders), the
    message is kept whole with the document."""
    if len(msg.attachments) > MAX_ATTACHMENTS:
        raise EdxmlRefused(
            f"Thông điệp kèm {len(msg.attachments)} tệp; hệ thống nhận tối đa "
            f"{MAX_ATTACHMENTS} tệp một văn bản.",
            code="edxml_too_many_files",
            field="attachments",
        )
    out = []
    for att in msg.attachments:
        name = nfc(att.name).replace("\\", "/").rsplit("/", 1)[-1].strip()[:255] or "tep"
        if len(att.encoded) > (ATTACHMENT_BYTES * 4) // 3 + 4096:
            raise _too_large(name)
        try:
            data = att.data()
        except EdxmlRefused as exc:
            warnings.append(exc.message)
            continue
        if len(data) > ATTACHMENT_BYTES:
            raise _too_large(name)
        try:
            kind = check_bytes(data, name, accepted=EXCHANGE_KINDS)
        except UnsupportedFile as exc:
            raise UnsupportedFile(exc.message, code=exc.code, field="attachments") from None
        out.append((name, data, kind.mime))
    return out


def _too_large(name: str) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"Tệp đính kèm '{name}' lớn hơn {ATTACHMENT_BYTES // (1024 * 1024)} MB, giới hạn một "
        "tệp của hệ thống; hãy đề nghị cơ quan gửi nén hoặc chia nhỏ tệp.",
        code="edxml_file_too_large",
        field="attachments",
    )


def attach(
    conn: Any, doc_id: str, files: list[tuple[str, bytes, str]], actor: str, now: str
) -> list[Write]:
    hub_unit = state().unit
    writes = []
    for name, data, mime in files:
        fields: dict[str, Any] = {
            "id": new_id(),
            "unit": hub_unit,
            "parent_type": "document",
            "parent_id": doc_id,
            "sha256": blob_store().put(data, max_size=ATTACHMENT_BYTES),
            "name": name,
            "mime": mime,
            "size": len(data),
            "uploaded_by": actor,
            "uploaded_at": now,
        }
        validate("attachment", fields)
        add_source(conn, fields["sha256"], hub_unit)
        writes.append(Write("attachment", fields["id"], hub_unit, fields))
    return writes
