"""A ward node's ``GET /metrics`` (docs/operations.md, "Giám sát"): its sync state, what waits to
be sent, its overdue dossiers; read from the store, which ``ward-node sync`` and ``serve``
share; and who may read it."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from tests.support import Api, enrolled_node, receive_dossiers, synced_session
from ward_node import create_app

REMOTE = {"REMOTE_ADDR": "192.0.2.40"}  # another machine of the ward's intranet


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = client.get("/metrics")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    found = {}
    for family in text_string_to_metric_families(resp.get_data(as_text=True)):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def test_a_ward_tells_its_sync_state_and_what_waits(tmp_path: Path, hub: FlaskClient) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    session.run()
    client = create_app({"DATA": str(data), "SYNC_INTERVAL": 0}).test_client()

    synced = scrape(client)
    assert synced[("wardsync_ward_sync_state", (("state", "synced"),))] == 1
    assert 0 <= synced[("wardsync_ward_seconds_since_sync", ())] < 60
    assert synced[("wardsync_ward_pending_changes", ())] == 0
    assert not [k for k in synced if k[0] == "wardsync_ward_oldest_pending_seconds"]
    assert not [k for k in synced if k[0].startswith("wardsync_ward_sync_last_error")]

    receive_dossiers(conn, 2)
    conn.execute(
        "UPDATE dossier SET due_at = '2025-01-02T01:00:00+00:00' WHERE id = (SELECT min(id) FROM dossier)"
    )
    conn.commit()
    waiting = scrape(client)
    # Two dossiers, each with its first step, logged and not yet acknowledged by the hub.
    logged = conn.execute("SELECT count(*) AS n FROM changes").fetchone()["n"]
    assert waiting[("wardsync_ward_pending_changes", ())] == 4 <= logged
    assert waiting[("wardsync_ward_sync_state", (("state", "syncing"),))] == 1
    assert waiting[("wardsync_ward_oldest_pending_seconds", ())] >= 0
    assert waiting[("wardsync_ward_dossiers_overdue", ())] == 1
    info = [dict(k[1]) for k in waiting if k[0] == "wardsync_ward_info"]
    assert info == [{"unit": "19786", "node": session.node_id, "version": info[0]["version"]}]


def test_a_failed_sync_shows_its_code(ward_app, client: FlaskClient) -> None:
    """The node of ``ward_app`` has no hub to reach: its last attempt failed."""
    from sync import atomic, set_meta
    from ward_node.store import open_store

    conn = open_store(Path(ward_app.config["DATA"]))
    with atomic(conn):
        set_meta(conn, "sync.state", "error")
        set_meta(
            conn,
            "sync.last_error",
            {"code": "hub_unreachable", "message": "…", "at": "2026-12-07T01:00:00+00:00"},
        )
    conn.close()
    found = scrape(client)
    assert found[("wardsync_ward_sync_state", (("state", "error"),))] == 1
    key = ("wardsync_ward_sync_last_error_timestamp_seconds", (("code", "hub_unreachable"),))
    assert found[key] == 1796605200.0


def test_only_the_machine_itself_or_an_admin_reads_the_metrics(client: FlaskClient) -> None:
    assert client.get("/metrics", environ_base=REMOTE).status_code == 401
    proxied = client.get("/metrics", headers={"X-Real-IP": "192.0.2.41"})
    assert proxied.status_code == 401
    officer = Api(client, "officer").headers
    assert client.get("/metrics", headers=officer, environ_base=REMOTE).status_code == 403
    admin = Api(client, "admin").headers
    resp = client.get("/metrics", headers=admin, environ_base=REMOTE)
    assert resp.status_code == 200
    assert "wardsync_ward_sync_state" in resp.get_data(as_text=True)
