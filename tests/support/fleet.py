"""A fleet of enrolled nodes seeded fast in a hub's store, through the hub's own functions (the
units through the reference data's edit, the nodes through an enrollment token each, their
visits and refusals through the sync history), not through the protocol: 3,321 nodes in a few
seconds, for the console's units page at a province's scale.

Node ``i`` (from 0) is in a state chosen by ``i``, so a test knows how many of each to expect
(:func:`expected_states`); its unit ``F<10000 + i>`` is named with diacritics and belongs to
one of :data:`PROVINCES`, some of the first province's to a district as well (units from
before July 2025 may have one).
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from central_hub import nodes
from central_hub.reference.edit import put_units
from central_hub.setup import load_keys
from central_hub.store import sync_history
from central_hub.store.nodes import set_pulled_cursor
from sync import KeyPair, SyncError, atomic

PROVINCES = ["Thành phố Huế", "Tỉnh Quảng Trị", "Thành phố Đà Nẵng", "Tỉnh Quảng Ngãi"]
DISTRICT = "Huyện Phú Vang"
NAMES = ["Phú Hội", "Vĩnh Ninh", "Thuận Hòa", "Hương Sơ", "An Cựu", "Đông Ba", "Kim Long"]
# The state of node i is CYCLE[i % len(CYCLE)]: most in sync, as in a working day.
CYCLE = ["synced"] * 5 + ["behind", "offline", "never", "error", "synced", "offline", "revoked"]
AGO = {"synced": timedelta(seconds=30), "behind": timedelta(minutes=5)}


def unit_code(i: int) -> str:
    """The code of node ``i``'s unit."""
    return f"F{10000 + i}"


def unit_name(i: int) -> str:
    """The name of node ``i``'s unit: ``UBND phường Phú Hội 7``."""
    kind = "phường" if i % 2 else "xã"
    return f"UBND {kind} {NAMES[i % len(NAMES)]} {i}"


def province_of(i: int) -> str:
    """Node ``i``'s province: a run of :data:`CYCLE` each, so every province has every state."""
    return PROVINCES[(i // len(CYCLE)) % len(PROVINCES)]


def district_of(i: int) -> str | None:
    """Node ``i``'s district: one in three of the first province's units have one."""
    return DISTRICT if province_of(i) == PROVINCES[0] and i % 3 == 0 else None


def expected_states(n: int) -> Counter[str]:
    """How many of the first ``n`` nodes are in each state."""
    return Counter(CYCLE[i % len(CYCLE)] for i in range(n))


def seed_fleet(conn: sqlite3.Connection, hub_data: Path, n: int, now: datetime) -> list[str]:
    """Enroll ``n`` nodes, each of its own new unit, in the hub's store ``conn`` (of the data
    folder ``hub_data``), in the states :data:`CYCLE` gives them at ``now``; return their ids,
    node ``i`` at index ``i``."""
    put_units(
        conn,
        [
            {
                "code": unit_code(i),
                "name": unit_name(i),
                "kind": "ward",
                "province": province_of(i),
                **({"district": DISTRICT} if district_of(i) else {}),
            }
            for i in range(n)
        ],
        actor="test",
    )
    head = _head(conn)
    keys = load_keys(hub_data)
    ids = []
    with atomic(conn):
        for i in range(n):
            token = nodes.make_token(
                conn,
                unit=unit_code(i),
                name=unit_name(i),
                hub_url="http://hub.test",
                hub_keys=keys,
                hours=1,
            )
            secret = _secret(token)
            node = nodes.redeem(
                conn,
                unit=unit_code(i),
                secret=secret,
                keys=KeyPair.generate().public,
                software="wardsync 0.2.0",
            )
            ids.append(node.node_id)
            state = CYCLE[i % len(CYCLE)]
            # Most nodes have pulled everything; one in seven lags behind by its index.
            set_pulled_cursor(conn, node.node_id, head if i % 7 else max(0, head - i))
            if state == "never":
                continue
            ago = AGO.get(state, timedelta(hours=1 + i % 48))
            seen = (now - ago).timestamp()
            sync_history.record_visit(
                conn, node, b"", 0, "pull", 0, 0.0, "", measure_clock=False, now=seen
            )
            if state == "error":
                refused = SyncError("Chữ ký không hợp lệ.", code="bad_signature")
                sync_history.record_refusal(conn, b"x", "push", refused, node, now=seen + 1)
            if state == "revoked":
                nodes.revoke_unit(conn, unit_code(i), "Máy bị mất")
    return ids


def _head(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(jseq), 0) AS n FROM journal").fetchone()["n"])


def _secret(token: str) -> str:
    """The secret inside an enrollment token (what a node sends back to redeem it)."""
    body = token.removeprefix("wst1.")
    return str(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["secret"])
