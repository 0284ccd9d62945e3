"""The console's dashboard of units: what a node reports of itself in each push and pull
(pending changes, software, store schema), how the dashboard words it, the mark for a node on
other software than the hub's, overdue dossiers per unit, and status reports that are refused."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from central_hub.console.unit_state import age_text, hub_software, pending_text
from sync import SyncReport, read_status
from tests.support import console_login, enrolled_node, receive_dossiers, synced_session
from tests.support.hubstore import hub_db

NOW = datetime(2026, 3, 10, 7, 30, tzinfo=UTC)  # 14:30 in Huế


def _hub_node(tmp_path: Path) -> dict[str, Any]:
    conn = hub_db(tmp_path / "hub")
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM nodes").fetchone())
    finally:
        conn.close()


def _ward_schema(conn: sqlite3.Connection) -> str:
    return str(conn.execute("SELECT max(name) FROM _migrations").fetchone()[0])


def test_a_nodes_status_report_reaches_its_row_at_the_hub(tmp_path: Path, hub: FlaskClient) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    session.software = "wardsync 0.1.0"
    receive_dossiers(conn, 2)
    waiting = read_status(conn)
    assert waiting["pending_changes"] > 0 and waiting["oldest_pending_at"]

    session.pull(SyncReport())  # a pull tells the hub what still waits to be pushed
    row = _hub_node(tmp_path)
    assert row["pending_changes"] == waiting["pending_changes"]
    assert row["oldest_pending_at"] == waiting["oldest_pending_at"]
    assert row["software"] == "wardsync 0.1.0"
    assert row["schema_version"] == _ward_schema(conn) and row["schema_version"].startswith("00")
    assert row["status_reported_at"]

    session.run()
    row = _hub_node(tmp_path)
    assert row["pending_changes"] == 0 and row["oldest_pending_at"] is None

    console_login(hub, tmp_path / "hub")
    item = hub.get("/console/api/units").get_json()["items"][0]
    assert item["pending"] == "—" and item["pending_note"] == ""
    assert item["schema_version"] == _ward_schema(conn)
    number = _ward_schema(conn).split("_", 1)[0]
    assert item["schema_number"] == number
    assert f'title="{_ward_schema(conn)}">CSDL {number}</small>' in hub.get("/console/").text
    conn.close()


def test_a_node_that_sends_no_status_still_syncs_and_shows_it_did_not_report(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    store = hub_db(tmp_path / "hub")
    with store:  # as for a node that never reported (its first pull above did)
        store.execute("UPDATE nodes SET pending_changes = NULL, status_reported_at = NULL")
    store.close()
    old_pull = session._seal({"kind": "pull", "cursor": 0, "limit": 10}, "pull")
    resp = hub.post("/sync/v1/pull", data=old_pull)
    assert resp.status_code == 200
    row = _hub_node(tmp_path)
    assert row["status_reported_at"] is None and row["pending_changes"] is None
    assert row["software"].startswith("wardsync ")  # as sent at enrollment, kept
    console_login(hub, tmp_path / "hub")
    item = hub.get("/console/api/units").get_json()["items"][0]
    assert item["pending"] == "Chưa báo"
    conn.close()


def test_pending_changes_and_the_age_of_the_oldest_in_words() -> None:
    assert age_text(20) == "dưới 1 phút"
    assert age_text(5 * 60 + 59) == "5 phút"
    assert age_text(3 * 3600 + 10) == "3 giờ"
    assert age_text(47 * 3600) == "47 giờ"
    assert age_text(3 * 86400) == "3 ngày"

    fresh = {
        "pending_changes": 12,
        "oldest_pending_at": (NOW - timedelta(hours=3, minutes=5)).isoformat(),
        "status_reported_at": (NOW - timedelta(seconds=30)).isoformat(),
    }
    assert pending_text(fresh, NOW) == ("12 · cũ nhất 3 giờ", "")

    nothing = {**fresh, "pending_changes": 0, "oldest_pending_at": None}
    assert pending_text(nothing, NOW) == ("—", "")

    # An offline node's count is as of its last report: the dashboard says when that was.
    old = {**fresh, "status_reported_at": "2026-03-10T02:05:00+00:00"}
    assert pending_text(old, NOW) == ("12 · cũ nhất 3 giờ", "(báo lúc 09:05)")
    older = {**fresh, "status_reported_at": "2026-03-08T02:05:00+00:00"}
    assert pending_text(older, NOW)[1] == "(báo lúc 08/03/2026 09:05)"

    assert pending_text({"status_reported_at": None}, NOW) == ("Chưa báo", "")


def test_a_node_on_other_software_than_the_hub_is_marked_in_words(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    console_login(hub, tmp_path / "hub")
    assert hub_software().startswith("wardsync ")

    session.software = hub_software()
    session.run()
    item = hub.get("/console/api/units").get_json()["items"][0]
    assert item["software"] == hub_software() and item["software_mismatch"] is False
    assert "khác máy chủ" not in hub.get("/console/").text

    session.software = "wardsync 0.0.9"
    session.run()
    item = hub.get("/console/api/units").get_json()["items"][0]
    assert item["software"] == "wardsync 0.0.9" and item["software_mismatch"] is True
    page = hub.get("/console/").text
    assert "▲ wardsync 0.0.9" in page and f"khác máy chủ ({hub_software()})" in page
    conn.close()


def _dossier(conn: sqlite3.Connection, rid: str, unit: str, status: int, due: datetime) -> None:
    conn.execute(
        "INSERT INTO dossier (id, unit, code, status, due_at) VALUES (?, ?, ?, ?, ?)",
        (rid, unit, rid, status, due.isoformat(timespec="seconds")),
    )


def test_overdue_dossiers_are_counted_per_unit_and_link_to_the_list(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    conn.close()
    now = datetime.now(UTC)
    past, future = now - timedelta(days=2), now + timedelta(days=2)
    store = hub_db(tmp_path / "hub")
    with store:
        for i, status in enumerate((1, 2, 4, 6)):  # the clock runs: overdue when past due
            _dossier(store, f"qh-{i}", "19786", status, past)
        _dossier(store, "done", "19786", 5, past)  # finished: never overdue
        _dossier(store, "not-yet", "19786", 2, future)
        _dossier(store, "other", "19744", 2, past)  # another unit's
    store.close()
    console_login(hub, tmp_path / "hub")
    item = hub.get("/console/api/units").get_json()["items"][0]
    assert item["overdue"] == 4
    assert item["overdue_url"] == "/console/thong-ke/qua-han?unit=19786"
    assert '<a href="/console/thong-ke/qua-han?unit=19786">4</a>' in hub.get("/console/").text


def _columns(tmp_path: Path) -> dict[str, Any]:
    row = _hub_node(tmp_path)
    keep = ("pending_changes", "oldest_pending_at", "schema_version", "software")
    return {k: row[k] for k in (*keep, "status_reported_at", "last_seen_at")}


GOOD = {
    "pending_changes": 3,
    "oldest_pending_at": "2026-03-10T02:05:00+00:00",
    "software": "wardsync 0.1.0",
    "schema_version": "0009_directive_status_note",
}


@pytest.mark.parametrize(
    "status",
    [
        {**GOOD, "extra": 1},
        {k: v for k, v in GOOD.items() if k != "schema_version"},
        {**GOOD, "pending_changes": -1},
        {**GOOD, "pending_changes": "3"},
        {**GOOD, "oldest_pending_at": "10/03/2026 09:05"},
        {**GOOD, "software": "x" * 65},
        "ok",
    ],
    ids=["extra", "missing", "negative", "string_count", "local_date", "too_long", "not_object"],
)
def test_a_bad_status_report_is_refused_and_changes_nothing(
    tmp_path: Path, hub: FlaskClient, status: Any
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    before = _columns(tmp_path)
    body = session._seal({"kind": "pull", "cursor": 0, "limit": 10, "status": status}, "pull")
    resp = hub.post("/sync/v1/pull", data=body)
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"]["code"] == "validation_error"
    assert resp.get_json()["error"]["message"]
    assert _columns(tmp_path) == before

    good = session._seal({"kind": "pull", "cursor": 0, "limit": 10, "status": GOOD}, "pull")
    assert hub.post("/sync/v1/pull", data=good).status_code == 200
    assert _columns(tmp_path)["schema_version"] == "0009_directive_status_note"
    conn.close()


def test_an_ended_unit_is_not_offered_for_enrollment_and_its_token_is_refused(
    tmp_path: Path, hub: FlaskClient
) -> None:
    from central_hub.nodes import make_token
    from central_hub.setup import load_keys
    from central_hub.store import capture, open_store
    from sync import ValidationError, Write

    conn = open_store(tmp_path / "hub")
    row = conn.execute("SELECT id FROM unit WHERE code = '19786'").fetchone()
    capture(conn).write_many(
        [Write("unit", row[0], "H57", {"valid_to": "2025-06-30", "successor": "19801"})],
        actor="admin",
    )
    before = conn.execute("SELECT count(*) FROM enrollments").fetchone()[0]
    with pytest.raises(ValidationError, match="hết hiệu lực sau ngày 30/06/2025.*'19801'"):
        make_token(
            conn,
            unit="19786",
            name="Phường cũ",
            hub_url="http://127.0.0.1:9",
            hub_keys=load_keys(tmp_path / "hub"),
            hours=1,
        )
    assert conn.execute("SELECT count(*) FROM enrollments").fetchone()[0] == before
    conn.close()
    console_login(hub, tmp_path / "hub")
    page = hub.get("/console/dang-ky").get_data(as_text=True)
    assert 'value="19786"' not in page and 'value="19801"' in page
