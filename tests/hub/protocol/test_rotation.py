"""Key rotation: the node moves to new keys without losing a pending change, even if cut short."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from sync import KeyPair, RemoteRefused, SyncReport, read_status
from tests.support import (
    AppTransport,
    enrolled_node,
    node_session,
    receive_dossiers,
    synced_session,
)
from tests.support.hubstore import hub_db
from ward_node.sync_link import rotation


def _hub_fingerprint(tmp_path: Path) -> str:
    with hub_db(tmp_path / "hub") as db:
        return str(db.execute("SELECT fingerprint FROM nodes").fetchone()[0])


def test_rotation_keeps_pending_changes_and_retires_the_old_key(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    receive_dossiers(conn, 2)
    old = KeyPair.load(data / "keys")
    stale_push = session.push_envelope(session.log.read(0, 10))

    fingerprint = rotation.rotate_keys(data, transport=transport)
    assert fingerprint != old.public.fingerprint == session.keys.public.fingerprint
    assert _hub_fingerprint(tmp_path) == fingerprint
    assert not (data / "keys.next").exists() and not (data / "keys.old").exists()
    assert oct((data / "keys" / "sign.key").stat().st_mode)[-3:] == "600"

    refused = hub.post("/sync/v1/push", data=stale_push)  # signed with the retired key
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "unknown_sender"

    fresh, conn2 = node_session(data, transport)
    assert read_status(conn2)["pending_changes"] == 4
    fresh.run()
    assert read_status(conn2)["pending_changes"] == 0 and read_status(conn2)["state"] == "synced"


def test_a_rotation_cut_short_after_the_hub_switched_is_finished_later(
    tmp_path: Path, hub: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    receive_dossiers(conn, 1)
    real_rename = Path.rename

    def crash(self: Path, target: Path) -> Path:
        raise OSError("mất điện")

    monkeypatch.setattr(Path, "rename", crash)
    with pytest.raises(OSError):
        rotation.rotate_keys(data, transport=transport)
    monkeypatch.setattr(Path, "rename", real_rename)
    assert rotation.pending(data)
    new_fp = KeyPair.load(data / "keys.next").public.fingerprint
    assert _hub_fingerprint(tmp_path) == new_fp  # the hub switched; the node did not
    with pytest.raises(RemoteRefused):
        session.push(SyncReport())  # the old key is refused, the changes stay pending

    assert rotation.rotate_keys(data, transport=AppTransport(hub)) == new_fp
    fresh, conn2 = node_session(data, transport)
    fresh.run()
    assert read_status(conn2)["pending_changes"] == 0


def test_a_rotation_request_without_proof_of_the_new_key_is_refused(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, _conn = synced_session(data, transport)
    other = KeyPair.generate()
    body = session._seal(
        {"kind": "rotate", "info": {"keys": other.public.to_json(), "proof": "AAAA"}}, "rotate"
    )
    resp = hub.post("/sync/v1/rotate", data=body)
    assert resp.status_code == 401
    assert _hub_fingerprint(tmp_path) == session.keys.public.fingerprint
