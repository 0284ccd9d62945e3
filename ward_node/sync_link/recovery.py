"""The ward's part of a recovery from an older copy (docs/sync.md, "Restores").

A ward restored from an older copy numbers dossiers and documents from its old counters until
it learns, at its first contact with the hub, that the city already holds those numbers. The
engine (``sync/recovery.py``) brings back the records the copy lacked and sends again what the
ward wrote since; this module then, in the same transaction:

- moves every counter past the numbers the ward's records now hold, so nothing the city holds
  is issued again;
- gives a new number to what the ward numbered again while it did not know, the newer of the
  two records keeping the city's older number untouched: a dossier gets a new code (its old
  one kept in ``previous_code``, an SMS to the applicant, and the desk prints a new receipt),
  an outgoing document, an invitation or an incoming registration a new number;
- returns what it renumbered, for the sync page.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from typing import Any

from sync import HybridClock, Recovery, Write, get_meta, select_records, utcnow_iso

from ..dossiers import LAST_DESK_NUMBER, notice_for
from ..store import capture, next_counter

ACTOR = "khoi-phuc"  # the acting user of the renumbering changes
_DOSSIER_CODE = re.compile(r"^(?P<prefix>.+)-(?P<day>[0-9]{6})-(?P<n>[0-9]{4})$")


def renumber(
    conn: sqlite3.Connection, clock: HybridClock, recovery: Recovery
) -> list[dict[str, Any]]:
    """Counters past every number held; clashing numbers given anew (see the module)."""
    unit = str(get_meta(conn, "unit"))
    _raise_counters(conn, unit)
    again = {(c.type, c.id) for c in recovery.reissued}
    writes: list[Write] = []
    done: list[dict[str, Any]] = []
    writes += _dossiers(conn, unit, again, done)
    writes += _numbered(conn, unit, again, done)
    if writes:
        capture(conn, clock).write_many(writes, actor=ACTOR)
    return done


def _raise_counters(conn: sqlite3.Connection, unit: str) -> None:
    """Every counter at least the highest number the unit's records hold."""
    highest: dict[str, int] = defaultdict(int)
    for row in conn.execute("SELECT code FROM dossier WHERE unit = ?", (unit,)):
        found = _DOSSIER_CODE.match(row[0] or "")
        if found and int(found["n"]) <= LAST_DESK_NUMBER:  # the hub numbers online ones above
            key = f"dossier:{found['day']}"
            highest[key] = max(highest[key], int(found["n"]))
    for key, number in _document_numbers(conn, unit):
        highest[key] = max(highest[key], number)
    conn.executemany(
        "INSERT INTO counters (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)",
        list(highest.items()),
    )


def _document_numbers(conn: sqlite3.Connection, unit: str) -> list[tuple[str, int]]:
    """(counter key, number) of every numbered document, invitation and registration."""
    out = []
    for doc in select_records(conn, "document", "WHERE unit = ? AND number IS NOT NULL", (unit,)):
        out.append((_out_key(doc), int(doc["number"])))
    for inv in select_records(conn, "invitation", "WHERE unit = ? AND number IS NOT NULL", (unit,)):
        out.append((f"gm:{str(inv.get('issued_on') or '')[:4]}", int(inv["number"])))
    for rec in select_records(
        conn, "document_receipt", "WHERE unit = ? AND incoming_number IS NOT NULL", (unit,)
    ):
        out.append((_in_key(rec), int(rec["incoming_number"])))
    return out


def _out_key(doc: dict[str, Any]) -> str:
    series = "doc_out_secret" if (doc.get("secrecy") or "none") != "none" else "doc_out"
    return f"{series}:{str(doc.get('issued_on') or '')[:4]}"


def _in_key(receipt: dict[str, Any]) -> str:
    series = "doc_in_secret" if receipt.get("secret") else "doc_in"
    return f"{series}:{receipt.get('incoming_year')}"


def _dossiers(
    conn: sqlite3.Connection, unit: str, again: set[tuple[str, str]], done: list[dict[str, Any]]
) -> list[Write]:
    """New codes for dossiers received again under a code another dossier holds."""
    writes: list[Write] = []
    rows = select_records(conn, "dossier", "WHERE unit = ? ORDER BY received_at, id", (unit,))
    holders: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        holders[row["code"]].append(row)
    for code, same in holders.items():
        for dossier in [d for d in same if ("dossier", d["id"]) in again][: len(same) - 1]:
            found = _DOSSIER_CODE.match(code)
            if found is None:
                continue
            number = next_counter(conn, f"dossier:{found['day']}")
            new_code = f"{found['prefix']}-{found['day']}-{number:04d}"
            renamed = {**dossier, "code": new_code, "previous_code": code}
            writes.append(
                Write("dossier", dossier["id"], unit, {"code": new_code, "previous_code": code})
            )
            notice = notice_for(renamed, "renumber", {"at": utcnow_iso()}, "")
            if notice is not None:
                writes.append(Write("sms", notice["id"], unit, notice))
            done.append({"type": "dossier", "id": dossier["id"], "from": code, "to": new_code})
    return writes


def _numbered(
    conn: sqlite3.Connection, unit: str, again: set[tuple[str, str]], done: list[dict[str, Any]]
) -> list[Write]:
    """New numbers for documents, invitations and registrations numbered again."""
    writes: list[Write] = []
    kinds = (
        ("document", "number", _out_key, "WHERE unit = ? AND number IS NOT NULL"),
        (
            "invitation",
            "number",
            lambda r: f"gm:{str(r.get('issued_on') or '')[:4]}",
            "WHERE unit = ? AND number IS NOT NULL",
        ),
        (
            "document_receipt",
            "incoming_number",
            _in_key,
            "WHERE unit = ? AND incoming_number IS NOT NULL",
        ),
    )
    for type_name, field, key_of, where in kinds:
        holders: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        for row in select_records(conn, type_name, where + " ORDER BY id", (unit,)):
            holders[(key_of(row), int(row[field]))].append(row)
        for (key, number), same in holders.items():
            for record in [r for r in same if (type_name, r["id"]) in again][: len(same) - 1]:
                fresh = next_counter(conn, key)
                fields: dict[str, Any] = {field: fresh}
                if record.get("symbol"):
                    fields["symbol"] = re.sub(r"^[0-9]+", str(fresh), str(record["symbol"]))
                writes.append(Write(type_name, record["id"], unit, fields))
                done.append(
                    {
                        "type": type_name,
                        "id": record["id"],
                        "from": record.get("symbol") or number,
                        "to": fields.get("symbol") or fresh,
                    }
                )
    return writes
