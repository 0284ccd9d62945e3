"""SIGKILL a ward node in the middle of a sync, restart it: nothing lost, nothing twice."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sync import get_meta
from tests.support import Cluster, query, wait_until
from ward_node.dossiers import Dossiers
from ward_node.store import load_clock, open_store
from webapp import User

UNIT = "19786"
DOSSIERS = 1200  # 2,400 changes, pushed in chunks of 150

pytestmark = pytest.mark.slow


def _backlog(data: Path) -> None:
    conn = open_store(data)
    try:
        service = Dossiers(conn, load_clock(conn))
        clerk = User("canbo", "officer", "Lê Thị Thu Hà")
        names = ["Nguyễn Văn Đức", "Trần Thị Thuỷ", "Lê Hoà", "Đặng Thị Đào"]
        for i in range(DOSSIERS):
            service.receive(
                {"procedure_code": "1.001193", "applicant": {"full_name": names[i % 4]}}, clerk
            )
    finally:
        conn.close()


def test_sigkill_mid_sync_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path)
    cluster.start_hub()
    data = cluster.enroll(UNIT)
    _backlog(data)
    hub_db = cluster.hub_data / "hub.sqlite3"
    node_db = data / "node.sqlite3"
    total = query(node_db, "SELECT max(seq) FROM changes")[0][0]
    assert total == 2 * DOSSIERS
    rng = random.Random(20261128)
    kills_mid_sync = 0
    try:
        for attempt in range(3):
            server = cluster.start_ward(UNIT, interval=0.2, WARD_NODE_SYNC_CHUNK="150")
            at_start = query(
                hub_db, "SELECT count(*) FROM journal WHERE origin LIKE ?", UNIT + "-%"
            )[0][0]
            if at_start >= total:
                server.stop()
                break
            threshold = at_start + rng.randint(1, 4) * 150
            wait_until(
                lambda t=threshold: (
                    query(hub_db, "SELECT count(*) FROM journal WHERE origin LIKE ?", UNIT + "-%")[
                        0
                    ][0]
                    >= min(t, total)
                ),
                60,
                interval=0.01,
                what=f"push progress (attempt {attempt})",
            )
            server.kill()
            at_kill = query(
                hub_db, "SELECT count(*) FROM journal WHERE origin LIKE ?", UNIT + "-%"
            )[0][0]
            kills_mid_sync += at_kill < total
        server = cluster.start_ward(UNIT, interval=0.2, WARD_NODE_SYNC_CHUNK="150")
        wait_until(
            lambda: (
                query(node_db, "SELECT value FROM meta WHERE key = 'acked_seq'") == [(str(total),)]
            ),
            60,
            what="every change acknowledged",
        )
    finally:
        cluster.close()

    assert kills_mid_sync >= 1, "no kill landed in the middle of a sync"
    rows = query(
        hub_db, "SELECT origin, seq FROM journal WHERE origin LIKE ? ORDER BY seq", UNIT + "-%"
    )
    assert [seq for _o, seq in rows] == list(range(1, total + 1))  # each once, none missing
    assert query(hub_db, "SELECT count(*) FROM dossier")[0][0] == DOSSIERS
    assert query(hub_db, "SELECT count(DISTINCT code) FROM dossier")[0][0] == DOSSIERS
    node_rows = query(
        node_db, "SELECT id, code, status, due_at, _versions FROM dossier ORDER BY id"
    )
    hub_rows = query(hub_db, "SELECT id, code, status, due_at, _versions FROM dossier ORDER BY id")
    assert node_rows == hub_rows
    conn = open_store(data)
    try:
        assert get_meta(conn, "acked_seq") == total
    finally:
        conn.close()
