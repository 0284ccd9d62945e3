"""A ward clock running ahead: the hub holds its changes (never drops them) and says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

import central_hub.protocol.context
from sync import HybridClock, SyncReport, read_status, wall_ms
from tests.support import enrolled_node, synced_session
from tests.support.hubstore import hub_db
from ward_node.dossiers import Dossiers
from webapp import User

AHEAD_MS = 12 * 60_000  # the default drift bound is 5 minutes


def _hub_count(tmp_path: Path, sql: str) -> int:
    with hub_db(tmp_path / "hub") as db:
        return int(db.execute(sql).fetchone()[0])


def test_changes_from_a_fast_clock_are_held_reported_and_applied_when_due(
    tmp_path: Path, hub: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    fast = HybridClock(last=session.clock.last, now=lambda: wall_ms() + AHEAD_MS)
    session.clock = fast
    service = Dossiers(conn, fast)
    clerk = User("canbo", "officer", "Cán bộ")
    dossier = service.receive(
        {"procedure_code": "1.001193", "applicant": {"full_name": "Trương Văn Hai"}}, clerk
    )
    session.run()

    # Acknowledged (safe at the hub), so not pending at the ward, but not applied yet.
    status = read_status(conn)
    assert status["pending_changes"] == 0
    assert status["state"] == "error"
    assert status["clock_warning"]["code"] == "clock_ahead"
    assert "nhanh hơn giờ của thành phố khoảng 12 phút" in status["last_error"]["message"]
    assert _hub_count(tmp_path, "SELECT count(*) FROM held") == 2
    assert _hub_count(tmp_path, "SELECT count(*) FROM dossier") == 0
    assert (
        _hub_count(tmp_path, "SELECT max(hlc) FROM journal") < fast.last
    )  # the hub's clock did not jump

    # A later edit of the same ward waits behind the held ones, in order.
    service.edit(dossier["id"], {"notes": "gọi lại"}, clerk)
    session.run()
    assert _hub_count(tmp_path, "SELECT count(*) FROM held") == 3

    # Twelve minutes later at the hub, the next contact releases them, in seq order.
    later = wall_ms() + AHEAD_MS + 60_000
    monkeypatch.setattr(central_hub.protocol.context, "wall_ms", lambda: later)
    session.clock = HybridClock(last=fast.last)
    session.run()
    assert _hub_count(tmp_path, "SELECT count(*) FROM held") == 0
    assert _hub_count(tmp_path, "SELECT count(*) FROM dossier WHERE notes = 'gọi lại'") == 1
    assert _hub_count(tmp_path, "SELECT count(*) FROM journal WHERE origin LIKE '19786-%'") == 3
    assert read_status(conn)["state"] == "synced"
    session.push(SyncReport())
