"""Changes held for a fast clock are applied only as their node may write them when their
time comes (docs/security.md, "Held changes and revocation")."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

import central_hub.protocol.context
from central_hub import nodes
from central_hub.store import open_store as open_hub
from sync import HybridClock, RemoteRefused, SyncReport, read_status, wall_ms
from tests.security.test_trust_boundary import World
from tests.security.test_trust_boundary import world as world  # noqa: F401  (a fixture)
from tests.support import enrolled_node, synced_session
from tests.support.hubstore import hub_db
from ward_node.dossiers import Dossiers
from webapp import User

AHEAD_MS = 12 * 60_000  # past the 5-minute drift bound: held
CLERK = User("canbo", "officer", "Cán bộ")


def _hub(tmp_path: Path, sql: str, *args: object) -> list[tuple]:
    with hub_db(tmp_path / "hub") as db:
        return db.execute(sql, args).fetchall()


def _fast_session(tmp_path: Path, hub: FlaskClient, ahead_ms: int):
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    session.clock = HybridClock(last=session.clock.last, now=lambda: wall_ms() + ahead_ms)
    return session, conn, Dossiers(conn, session.clock)


def _later(monkeypatch: pytest.MonkeyPatch, ms: int) -> None:
    at = wall_ms() + ms
    monkeypatch.setattr(central_hub.protocol.context, "wall_ms", lambda: at)


def test_revoking_a_node_quarantines_what_it_had_held_and_it_is_never_applied(
    tmp_path: Path, hub: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, conn, service = _fast_session(tmp_path, hub, AHEAD_MS)
    service.receive(
        {"procedure_code": "1.001193", "applicant": {"full_name": "Trương Văn Hai"}}, CLERK
    )
    session.run()
    assert _hub(tmp_path, "SELECT count(*) FROM held")[0][0] == 2

    hub_conn = open_hub(tmp_path / "hub")
    try:
        nodes.revoke_unit(hub_conn, "19786", "máy bị mất")
        units = nodes.list_nodes(hub_conn)
    finally:
        hub_conn.close()
    assert units[0]["held_changes"] == 0

    # Their time comes; another node's visit releases what is due: nothing of the revoked one.
    _later(monkeypatch, AHEAD_MS + 60_000)
    with pytest.raises(RemoteRefused):
        session.run()
    assert _hub(tmp_path, "SELECT count(*) FROM dossier")[0][0] == 0
    rows = _hub(tmp_path, "SELECT quarantined_at IS NOT NULL, reason FROM held")
    assert len(rows) == 2 and all(r[0] and "thu hồi" in r[1] for r in rows)

    # The city's console shows them on the unit's page, with why.
    from tests.support import console_login

    console_login(hub, tmp_path / "hub")
    page = hub.get("/console/don-vi/19786").get_data(as_text=True)
    assert "Thay đổi bị gác lại, không áp dụng" in page and "thu hồi" in page


def test_a_release_checks_the_scope_again_and_quarantines_what_no_longer_fits(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sync import new_id

    a, b = world.wards["19786"], world.wards["19744"]
    rid = new_id()
    a.session.clock = HybridClock(last=a.session.clock.last, now=lambda: wall_ms() + AHEAD_MS)
    receipt = {
        "id": rid,
        "unit": "19786",
        "document_id": world.ids["doc_B_to_AC"],
        "status_code": "01",
    }
    from ward_node.store import capture

    capture(a.conn, a.session.clock).write("document_receipt", rid, "19786", receipt, actor="x")
    a.session.run()  # held: its time has not come
    assert _hub(world.tmp, "SELECT count(*) FROM held WHERE id = ?", rid)[0][0] == 1
    # Meanwhile another unit's record takes that id at the hub.
    receipt_b = {
        "id": rid,
        "unit": "19744",
        "document_id": world.ids["doc_city"],
        "status_code": "01",
    }
    capture(b.conn, b.session.clock).write("document_receipt", rid, "19744", receipt_b, actor="y")
    b.session.run()

    _later(monkeypatch, AHEAD_MS + 60_000)
    b.session.run()  # any visit releases what is due
    row = _hub(world.tmp, "SELECT unit, document_id FROM document_receipt WHERE id = ?", rid)
    assert row == [("19744", world.ids["doc_city"])]
    held = _hub(world.tmp, "SELECT quarantined_at IS NOT NULL, reason FROM held WHERE id = ?", rid)
    assert held[0][0] == 1 and "19744" in held[0][1]


def test_a_change_stamped_days_ahead_is_refused_with_the_reason_and_stays_at_the_ward(
    tmp_path: Path, hub: FlaskClient
) -> None:
    session, conn, service = _fast_session(tmp_path, hub, 3 * 86_400_000)
    service.receive(
        {"procedure_code": "1.001193", "applicant": {"full_name": "Trương Văn Hai"}}, CLERK
    )
    with pytest.raises(RemoteRefused) as refused:
        session.run()
    assert refused.value.code == "clock_far_ahead"
    status = read_status(conn)
    assert status["state"] == "error" and status["pending_changes"] == 2
    assert "khoảng 3 ngày" in status["last_error"]["message"]
    assert _hub(tmp_path, "SELECT count(*) FROM held")[0][0] == 0
    assert _hub(tmp_path, "SELECT last_seq FROM nodes")[0][0] == 0


def test_changes_before_a_far_ahead_one_are_acknowledged_and_the_next_push_says_why(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    service = Dossiers(conn, session.clock)
    service.receive({"procedure_code": "1.001193", "applicant": {"full_name": "Lê Văn Tám"}}, CLERK)
    session.clock = HybridClock(last=session.clock.last, now=lambda: wall_ms() + 3 * 86_400_000)
    Dossiers(conn, session.clock).receive(
        {"procedure_code": "1.001193", "applicant": {"full_name": "Hồ Thị Hoa"}}, CLERK
    )
    session.chunk = 5000
    with pytest.raises(RemoteRefused, match="đồng hồ máy chủ phường sai"):
        session.push(SyncReport())
    assert _hub(tmp_path, "SELECT last_seq FROM nodes")[0][0] == 2
    assert read_status(conn)["pending_changes"] == 2
