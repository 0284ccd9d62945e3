"""A ward node's data folder without a running hub, and files shaped like its scans."""

from __future__ import annotations

import os
from pathlib import Path

from central_hub.reference import seed_calendar, seed_procedures, seed_units
from sync import Change, KeyPair, Replica, atomic, set_meta
from tests.support.users import PASSWORD
from ward_node.store import ROLES, open_store
from webapp import add_user

UNIT = "19786"


def scan_pdf(size: int, seed: bytes | None = None) -> bytes:
    """A PDF of exactly ``size`` bytes (at least 80) shaped like a scan: one stream of
    random image data (``seed`` repeated instead, for a reproducible file)."""
    head = b"%PDF-1.4\n1 0 obj\n<< /Length 0 >>\nstream\n"
    tail = b"\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n"
    n = size - len(head) - len(tail)
    assert n >= 0, "a scan needs at least 80 bytes"
    body = (seed * (n // len(seed) + 1))[:n] if seed else os.urandom(n)
    return head + body + tail


def make_ward_data(folder: Path, unit: str = UNIT) -> Path:
    """A ward node's data folder as ``ward-node init`` leaves it, without a running hub:
    keys, identity, the hub's reference data merged in, and one user per role."""
    folder.mkdir(parents=True, exist_ok=True)
    KeyPair.generate().save(folder / "keys")
    (folder / "secret_key").write_text("test-secret")
    hub_keys = KeyPair.generate().public
    conn = open_store(folder)
    try:
        with atomic(conn):
            set_meta(conn, "node_id", f"{unit}-test0001")
            set_meta(conn, "unit", unit)
            set_meta(conn, "unit_name", "UBND phường Phú Hội")
            set_meta(
                conn,
                "hub",
                {"url": "http://127.0.0.1:9", "hub_id": "hub", "keys": hub_keys.to_json()},
            )
            seq = 0
            changes = []
            for type_name, records in (
                ("unit", seed_units()),
                ("procedure", seed_procedures()),
                ("calendar_day", seed_calendar()),
            ):
                for rec in records:
                    seq += 1
                    changes.append(
                        Change(
                            "hub", seq, seq, type_name, rec["id"], rec["unit"], rec, {}, "system"
                        )
                    )
            Replica(conn).merge(changes)
        for role in ROLES:
            add_user(conn, role, PASSWORD, role, ROLES, f"Cán bộ {role}")
    finally:
        conn.close()
    return folder
