"""Secret documents at the hub (docs/security.md, "Secret documents"): who sees their register
entry, and the check of what a ward's changeset may carry.

The hub holds only a secret document's register entry, like every ward (``office.secrecy``):
never its summary, its handling result, or a file. Among the hub's roles only an
administrator (the city office that sends and follows documents) sees that entry; an operator
(who runs the machines) and a viewer do not, in the console, the API, or a record's history.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from office import SECRET_RESULT, SECRET_SUMMARY, is_secret
from sync import Replica
from webapp import User

READERS = ("admin",)  # the hub's roles that see a secret document's register entry

__all__ = [
    "READERS",
    "masked",
    "may_read",
    "secret_record",
]


def may_read(user: User | None, doc: dict[str, Any]) -> bool:
    """Whether ``user`` may see ``doc`` at all: anyone a document that is not secret."""
    return not is_secret(doc) or (user is not None and user.role in READERS)


def masked(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as shown: a secret one's summary and its recipients' handling results replaced
    by the fixed texts, whatever an older release stored."""
    if not is_secret(doc):
        return doc
    out = dict(doc, summary=SECRET_SUMMARY)
    if "recipients" in out:
        out["recipients"] = [
            dict(r, receipt=dict(r["receipt"], result=SECRET_RESULT))
            if r.get("receipt") and r["receipt"].get("result")
            else r
            for r in out["recipients"]
        ]
    return out


def secret_record(conn: sqlite3.Connection, type_name: str, record_id: str) -> bool:
    """Whether a record is a secret document or hangs on one (its receipt, a file)."""
    replica = Replica(conn)
    found = replica.load(type_name, [record_id]).get(record_id)
    row = found[0] if found else None
    if row is None:
        return False
    if type_name == "document":
        return is_secret(row)
    parent_id = None
    if type_name == "document_receipt":
        parent_id = row.get("document_id")
    elif type_name == "attachment" and row.get("parent_type") == "document":
        parent_id = row.get("parent_id")
    if not parent_id:
        return False
    parent = replica.load("document", [str(parent_id)]).get(str(parent_id))
    return parent is not None and is_secret(parent[0])
