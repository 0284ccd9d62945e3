"""The node protocol against the hub's app: enrollment, push, replay, pull, refusals.

The transport is the hub's Flask app in-process (the same bytes as over HTTP, which the
integration tests cover with real servers)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from central_hub import create_app as create_hub
from central_hub.setup import init_hub
from sync import (
    BadSignature,
    Change,
    ChangeLog,
    EnrollmentError,
    NodeSync,
    RemoteRefused,
    SyncReport,
    get_meta,
)
from tests.hub.conftest import HubEngine
from tests.support import (
    AppTransport,
    enrolled_node,
    enrollment_token,
    node_session,
    receive_dossiers,
    synced_session,
)
from tests.support.hubstore import hub_db
from ward_node.sync_link import init_node

UNIT = "19786"


def _hub_db(tmp_path: Path) -> sqlite3.Connection:
    return hub_db(tmp_path / "hub")


def test_first_sync_brings_the_reference_data(tmp_path: Path, hub: FlaskClient) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = node_session(data, transport)
    report = session.run()
    assert report.pulled > 100
    assert (
        conn.execute("SELECT count(*) FROM procedure").fetchone()[0] == 14
    )  # the ward catalogue (docs/domain.md)
    assert conn.execute("SELECT count(*) FROM unit").fetchone()[0] == 43
    assert (
        conn.execute("SELECT count(*) FROM calendar_day WHERE date = '2026-02-17'").fetchone()[0]
        == 1
    )
    again = session.run()
    assert (again.pushed, again.pulled) == (0, 0)


def test_push_in_chunks_is_acknowledged_and_a_replay_changes_nothing(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    receive_dossiers(conn, 4)  # 8 changes, chunks of 3
    report = SyncReport()
    session.push(report)
    assert report.pushed == 8 and report.push_requests == 3
    assert get_meta(conn, "acked_seq") == 8
    with _hub_db(tmp_path) as hub_db:
        before = hub_db.execute("SELECT count(*), max(jseq) FROM journal").fetchone()
        rows_before = hub_db.execute("SELECT * FROM dossier ORDER BY id").fetchall()
    pushes = [body for path, body in transport.sent if path == "/sync/v1/push"]
    for body in pushes:  # replay every changeset
        resp = hub.post("/sync/v1/push", data=body)
        assert resp.status_code == 200
    with _hub_db(tmp_path) as hub_db:
        assert hub_db.execute("SELECT count(*), max(jseq) FROM journal").fetchone() == before
        assert hub_db.execute("SELECT * FROM dossier ORDER BY id").fetchall() == rows_before
        assert hub_db.execute("SELECT replays FROM nodes").fetchone()[0] == 8


def test_a_token_works_once_for_its_unit_only(tmp_path: Path, hub: FlaskClient) -> None:
    token = enrollment_token(tmp_path)
    init_node(
        tmp_path / "a",
        unit=UNIT,
        hub_url="http://hub.test",
        token=token,
        transport=AppTransport(hub),
    )
    with pytest.raises(RemoteRefused, match="đã được dùng"):
        init_node(
            tmp_path / "b",
            unit=UNIT,
            hub_url="http://hub.test",
            token=token,
            transport=AppTransport(hub),
        )
    with pytest.raises(EnrollmentError):
        init_node(
            tmp_path / "c",
            unit="19744",
            hub_url="http://hub.test",
            token=enrollment_token(tmp_path),
            transport=AppTransport(hub),
        )
    with pytest.raises(RemoteRefused, match="hết hạn"):
        init_node(
            tmp_path / "d",
            unit=UNIT,
            hub_url="http://hub.test",
            token=enrollment_token(tmp_path, hours=-1),
            transport=AppTransport(hub),
        )
    assert not (tmp_path / "b" / "keys").exists()  # a refused enrollment leaves no keys behind


def test_a_hub_with_other_keys_than_the_token_pins_is_refused(
    tmp_path: Path, hub: FlaskClient, hub_engine: HubEngine
) -> None:
    token = enrollment_token(tmp_path)
    hub_engine.use(tmp_path / "impostor")
    init_hub(tmp_path / "impostor", name="Kẻ giả mạo")
    impostor = create_hub({"DATA": str(tmp_path / "impostor")}).test_client()
    with pytest.raises(BadSignature, match="không khớp"):
        init_node(
            tmp_path / "w",
            unit=UNIT,
            hub_url="http://hub.test",
            token=token,
            transport=AppTransport(impostor),
        )


def _push_body(session: NodeSync, changes: list[Change]) -> bytes:
    return session.push_envelope(changes)


def _state(tmp_path: Path) -> tuple:
    with _hub_db(tmp_path) as db:
        return (
            db.execute("SELECT count(*) FROM journal").fetchone(),
            db.execute("SELECT * FROM dossier").fetchall(),
            db.execute("SELECT last_seq, last_hash FROM nodes").fetchall(),
        )


@pytest.mark.parametrize(
    "tamper, status, code",
    [
        ("flip", 401, "bad_signature"),
        ("truncate", 400, "tampered"),
        ("chain", 409, "chain_broken"),
        ("scope_type", 403, "out_of_scope"),
        ("scope_unit", 403, "out_of_scope"),
        ("schema", 422, "validation_error"),
        ("origin", 422, "origin_mismatch"),
    ],
)
def test_bad_changesets_are_refused_and_change_nothing(
    tmp_path: Path, hub: FlaskClient, tamper: str, status: int, code: str | None
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    receive_dossiers(conn, 1)
    changes = ChangeLog(conn, session.node_id).read(0, 10)
    before = _state(tmp_path)
    if tamper == "flip":
        body = bytearray(_push_body(session, changes))
        body[len(body) // 2] ^= 0x01
        body = bytes(body)
    elif tamper == "truncate":
        body = _push_body(session, changes)[:-7]
    else:
        first = changes[0]
        if tamper == "chain":
            bad = replace(first, fields={**first.fields, "notes": "sửa lén"})
        elif tamper == "scope_type":
            bad = replace(
                first,
                type="procedure",
                fields={"code": "X", "name": "Y", "limit_value": 1, "limit_unit": "working_days"},
            ).chained(None)
        elif tamper == "scope_unit":
            bad = replace(first, unit="19744").chained(None)
        elif tamper == "schema":
            bad = replace(first, fields={**first.fields, "status": 42}).chained(None)
        else:
            bad = first
        body = _push_body(session, [bad] if tamper != "chain" else [bad, *changes[1:]])
        if tamper == "origin":  # a node pushing a log under another node's name
            entry = {k: v for k, v in bad.to_wire().items() if k not in ("origin", "prev", "hash")}
            body = session._seal(
                {
                    "kind": "push",
                    "origin": "19744-someone",
                    "prev": None,
                    "tip": bad.hash,
                    "changes": [entry],
                },
                "push",
            )
    resp = hub.post("/sync/v1/push", data=body)
    assert resp.status_code == status, resp.get_json()
    if code:
        assert resp.get_json()["error"]["code"] == code
    assert resp.get_json()["error"]["message"]
    assert _state(tmp_path) == before


def test_revoked_node_is_refused_with_a_reason_and_keeps_its_changes(
    tmp_path: Path, hub: FlaskClient
) -> None:
    from central_hub import nodes
    from central_hub.store import open_store as open_hub

    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    receive_dossiers(conn, 1)
    hub_conn = open_hub(tmp_path / "hub")
    nodes.revoke_unit(hub_conn, UNIT, "máy bị mất")
    hub_conn.close()
    with pytest.raises(RemoteRefused, match="thu hồi"):
        session.run()
    assert conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 2
    assert get_meta(conn, "acked_seq", 0) == 0
    assert get_meta(conn, "sync.state") == "error"
