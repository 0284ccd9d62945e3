"""A backlog moves in chunks with progress, and an interruption anywhere costs at most one chunk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from central_hub.store import capture
from central_hub.store import open_store as open_hub
from sync import SyncReport, TransportError, Write, get_meta, read_status
from tests.support import AppTransport, enrolled_node, node_session, synced_session
from tests.support.hubstore import hub_db
from ward_node.store import capture as node_capture
from ward_node.store import load_clock

CHUNK = 250


class CutTransport(AppTransport):
    """Delivers every request, but loses the answer of request number ``cut_at`` (the hub
    committed, the node never hears it): the worst moment to be interrupted."""

    def __init__(self, client: FlaskClient, path: str, cut_at: int) -> None:
        super().__init__(client)
        self.path, self.cut_at, self.count, self.changes_sent = path, cut_at, 0, 0

    def post(self, path: str, body: bytes) -> bytes:
        reply = super().post(path, body)
        if path == self.path:
            self.count += 1
            if self.count == self.cut_at:
                raise TransportError("đường truyền bị cắt", code="unreachable")
        return reply


def _backlog(conn: sqlite3.Connection, n: int) -> None:
    writer = node_capture(conn, load_clock(conn))
    steps = [
        Write(
            "dossier_step",
            f"00000000-0000-7000-8000-{i:012d}",
            "19786",
            {
                "dossier_id": "00000000-0000-7000-8000-000000000000",
                "action": "receive",
                "to_status": 2,
                "actor": "canbo",
                "at": "2026-11-27T02:00:00+00:00",
            },
        )
        for i in range(n)
    ]
    writer.write_many(steps, actor="canbo")


@pytest.mark.parametrize("cut_at", [1, 3, 7])
def test_interrupted_push_resumes_resending_at_most_one_chunk(
    tmp_path: Path, hub: FlaskClient, cut_at: int
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    _backlog(conn, 2000)
    cut = CutTransport(hub, "/sync/v1/push", cut_at)
    session.transport, session.chunk = cut, CHUNK
    seen: list[dict] = []
    session.on_progress = seen.append
    with pytest.raises(TransportError):
        session.push(SyncReport())
    interrupted = list(seen)
    acked_before = get_meta(conn, "acked_seq", 0)
    assert acked_before == (cut_at - 1) * CHUNK  # the lost answer's chunk is not marked sent
    assert read_status(conn)["pending_changes"] == 2000 - acked_before

    resumed = AppTransport(hub)
    session.transport = resumed
    session.push(SyncReport())
    assert get_meta(conn, "acked_seq") == 2000
    pushes = [b for p, b in resumed.sent if p == "/sync/v1/push"]
    assert len(pushes) == (2000 - acked_before) // CHUNK  # one chunk again, then the rest
    with hub_db(tmp_path / "hub") as db:
        assert db.execute(
            "SELECT count(*), count(DISTINCT seq) FROM journal WHERE type = 'dossier_step'"
        ).fetchone() == (2000, 2000)
        assert db.execute("SELECT replays FROM nodes").fetchone()[0] == CHUNK
    assert [p["done"] for p in interrupted] == [CHUNK * i for i in range(1, cut_at)]
    assert all(p["total"] == 2000 for p in interrupted)
    assert seen[-1]["done"] == seen[-1]["total"] == 2000 - acked_before


def test_interrupted_pull_resumes_from_its_committed_cursor(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    hub_conn = open_hub(tmp_path / "hub")
    writer = capture(hub_conn)
    writer.write_many(
        [
            Write(
                "calendar_day",
                f"00000000-0000-7000-9000-{i:012d}",
                "H57",
                {"date": f"2030-01-{i % 28 + 1:02d}", "kind": "holiday", "name": f"Ngày {i}"},
            )
            for i in range(1500)
        ],
        actor="admin",
    )
    hub_conn.close()
    cursor_before = get_meta(conn, "pull_cursor")
    cut = CutTransport(hub, "/sync/v1/pull", 4)
    session.transport, session.chunk = cut, CHUNK
    with pytest.raises(TransportError):
        session.pull(SyncReport())
    assert get_meta(conn, "pull_cursor") == cursor_before + 3 * CHUNK
    session.transport = AppTransport(hub)
    report = SyncReport()
    session.pull(report)
    assert report.pulled == 1500 - 3 * CHUNK
    assert (
        conn.execute("SELECT count(*) FROM calendar_day WHERE date LIKE '2030-%'").fetchone()[0]
        == 1500
    )
    fresh, conn2 = node_session(data, AppTransport(hub))
    again = SyncReport()
    fresh.pull(again)
    assert again.pulled == 0
