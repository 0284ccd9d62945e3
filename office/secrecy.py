"""Secret documents (docs/security.md, "Secret documents"): what wardsync holds of them.

A document whose ``secrecy`` is Mật, Tối mật or Tuyệt mật may not be stored or sent on a
networked computer (Law on Protection of State Secrets 29/2018/QH14, art. 5 §5–6), and
wardsync is networked from end to end. So it keeps only the register entry (number and
symbol, dates, sender, addressees, secrecy and urgency, who handles it and when), as the
secret register's columns do, never what the document says: its trích yếu is a fixed text
(:data:`SECRET_SUMMARY`; the real one goes in the paper secret register), its handling result
a fixed text (:data:`SECRET_RESULT`), and no file hangs on it.

Both apps refuse such content where it enters (forms, the API, a changeset at the hub:
:func:`check_secret_changes`) and a ward drops it from what it pulls
(:func:`strip_secret_content`), so an old release elsewhere cannot put it back.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Sequence
from typing import Any

from sync import Change, Replica, ValidationError

SECRET_SUMMARY = "Văn bản mật: trích yếu ghi ở sổ đăng ký văn bản mật, không lưu trên hệ thống"
SECRET_RESULT = "Đã xử lý"


class SecretContent(ValidationError):
    """Raised when a secret document's content (summary, result, a file) would be stored."""

    code = "secret_content"


def is_secret(doc: dict[str, Any] | None) -> bool:
    """Whether a document (a record or a change's fields merged on it) is secret."""
    return bool(doc) and (doc.get("secrecy") or "none") != "none"  # type: ignore[union-attr]


def secret_content(conn: sqlite3.Connection, changes: Sequence[Change]) -> list[tuple[Change, str]]:
    """The changes of ``changes`` that would store a secret document's content, each with
    the reason in Vietnamese: a file hung on a secret document; a summary other than
    :data:`SECRET_SUMMARY` or a handling result other than :data:`SECRET_RESULT` written on
    one. The documents are judged as the store holds them with ``changes`` applied in order
    (a document made secret, or no longer secret, earlier in the same batch counts).
    """
    replica = Replica(conn)
    docs: dict[str, dict[str, Any] | None] = {}
    parents: dict[tuple[str, str], dict[str, Any]] = {}  # (type, id) -> fields so far

    def document(doc_id: str) -> dict[str, Any] | None:
        if doc_id not in docs:
            found = replica.load("document", [doc_id]).get(doc_id)
            docs[doc_id] = dict(found[0]) if found else None
        return docs[doc_id]

    def so_far(change: Change) -> dict[str, Any]:
        """The child record as stored with this batch's earlier changes applied."""
        key = (change.type, change.id)
        if key not in parents:
            found = replica.load(change.type, [change.id]).get(change.id)
            parents[key] = dict(found[0]) if found else {}
        parents[key].update(change.fields)
        return parents[key]

    problems = []
    for change in changes:
        if change.type == "document":
            doc = {**(document(change.id) or {}), **change.fields}
            docs[change.id] = doc
            touched = {"summary", "secrecy"} & change.fields.keys()
            if is_secret(doc) and touched and doc.get("summary") not in (None, SECRET_SUMMARY):
                problems.append(
                    (
                        change,
                        f"Văn bản mật {doc.get('symbol') or change.id} không được ghi trích yếu "
                        "trên hệ thống; trích yếu ghi ở sổ đăng ký văn bản mật.",
                    )
                )
        elif change.type == "document_receipt":
            receipt = so_far(change)
            result = change.fields.get("result")
            parent = document(str(receipt.get("document_id") or ""))
            if is_secret(parent) and result not in (None, SECRET_RESULT):
                problems.append(
                    (
                        change,
                        "Kết quả xử lý văn bản mật không được ghi trên hệ thống; chỉ ghi "
                        f"'{SECRET_RESULT}'.",
                    )
                )
        elif change.type == "attachment":
            attachment = so_far(change)
            if attachment.get("parent_type") != "document" or attachment.get("deleted"):
                continue  # a file removed is no content; only documents are secret
            if is_secret(document(str(attachment.get("parent_id") or ""))):
                problems.append(
                    (
                        change,
                        "Không được đính kèm tệp vào văn bản mật: văn bản mật không lưu, "
                        "không gửi qua hệ thống nối mạng.",
                    )
                )
    return problems


def check_secret_changes(conn: sqlite3.Connection, changes: Sequence[Change]) -> None:
    """Refuse ``changes`` when any would store a secret document's content
    (:func:`secret_content`): raises :class:`SecretContent` (422) naming the first. For the
    hub's ingest, before anything is applied."""
    problems = secret_content(conn, changes)
    if problems:
        change, reason = problems[0]
        raise SecretContent(reason, record_type=change.type, record_id=change.id)


def strip_secret_content(conn: sqlite3.Connection, changes: Sequence[Change]) -> list[Change]:
    """``changes`` without a secret document's content, for a ward applying a pull: a file
    hung on a secret document is left out, a summary or handling result written on one is
    replaced by its fixed text. What a hub of an older release still sends thus never
    reaches the ward's store."""
    bad = {id(change) for change, _reason in secret_content(conn, changes)}
    out = []
    for change in changes:
        if id(change) not in bad:
            out.append(change)
        elif change.type == "document":
            out.append(
                dataclasses.replace(change, fields={**change.fields, "summary": SECRET_SUMMARY})
            )
        elif change.type == "document_receipt":
            out.append(
                dataclasses.replace(change, fields={**change.fields, "result": SECRET_RESULT})
            )
    return out
