"""Key rotation asked from the console: an administrator confirms it on the unit's page, the
hub passes it on in its next answer, the ward's worker rotates after that sync, and the unit's
page shows the new key. First through the test client, then with real hub and ward processes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

from sync import KeyPair, get_meta, read_status
from tests.support import (
    Cluster,
    console_login,
    csrf_of,
    enrolled_node,
    hub_query,
    query,
    receive_dossiers,
    running_cluster,
    synced_session,
    token,
    wait_until,
    web_session,
)
from ward_node.sync_link import SyncWorker, rotation

UNIT = "19786"


def _node_row(store: Path) -> tuple[str, str | None, str | None]:
    rows = hub_query(store, "SELECT fingerprint, rotate_requested_at, keys_rotated_at FROM nodes")
    assert len(rows) == 1
    return rows[0]  # type: ignore[return-value]


def test_a_rotation_asked_in_the_console_is_done_by_the_worker_after_its_sync(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    store = tmp_path / "hub"
    old_fp = KeyPair.load(data / "keys").public.fingerprint
    console_login(hub, tmp_path / "hub")
    page = hub.get(f"/console/don-vi/{UNIT}").text
    assert "Yêu cầu đổi khóa" in page and " ".join(re.findall("....", old_fp[:16])) in page

    unconfirmed = hub.post(f"/console/don-vi/{UNIT}/doi-khoa", data={"csrf_token": csrf_of(page)})
    assert unconfirmed.status_code == 422 and "Hãy đánh dấu ô xác nhận" in unconfirmed.text
    assert _node_row(store)[1] is None
    assert hub.post(f"/console/don-vi/{UNIT}/doi-khoa", data={"confirm": "yes"}).status_code == 400

    asked = hub.post(
        f"/console/don-vi/{UNIT}/doi-khoa",
        data={"csrf_token": csrf_of(page), "confirm": "yes"},
        follow_redirects=True,
    )
    assert asked.status_code == 200 and "Đã yêu cầu" in asked.text
    assert "Nút sẽ đổi khóa ngay sau lần đồng bộ tới" in asked.text
    assert _node_row(store)[1] is not None
    item = hub.get("/console/api/units").get_json()["items"][0]
    assert item["key_status"] == "Chờ đổi khóa"

    receive_dossiers(conn, 2)
    worker = SyncWorker(
        data,
        interval=3600,
        backoff_max=2,
        chunk=3,
        sync=lambda _d, **_k: session.run(),
        rotate=lambda d: rotation.rotate_keys(d, transport=transport),
    )
    assert worker.rotate_if_requested() is None  # the node has not heard of it yet
    session.run()
    assert get_meta(conn, "sync.rotate_requested") is True
    new_fp = worker.rotate_if_requested()
    assert new_fp and new_fp != old_fp
    assert KeyPair.load(data / "keys").public.fingerprint == new_fp
    assert get_meta(conn, "sync.rotate_requested") is False
    fingerprint, requested, rotated = _node_row(store)
    assert (fingerprint, requested) == (new_fp, None) and rotated

    page = hub.get(f"/console/don-vi/{UNIT}").text
    assert " ".join(re.findall("....", new_fp[:16])) in page and "Đổi khóa" in page
    assert hub.get("/console/api/units").get_json()["items"][0]["key_status"] == "Hoạt động"
    assert read_status(conn)["pending_changes"] == 0
    conn.close()


def test_an_operator_cannot_ask_for_a_rotation(tmp_path: Path, hub: FlaskClient) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    _session, conn = synced_session(data, transport)
    conn.close()
    console_login(hub, tmp_path / "hub", role="operator")
    page = hub.get(f"/console/don-vi/{UNIT}").text
    assert "Yêu cầu đổi khóa" not in page
    refused = hub.post(
        f"/console/don-vi/{UNIT}/doi-khoa", data={"csrf_token": csrf_of(page), "confirm": "yes"}
    )
    assert refused.status_code == 403
    assert _node_row(tmp_path / "hub")[1] is None


# -- real processes --------------------------------------------------------------------------


@pytest.fixture
def cluster(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with running_cluster(tmp_path_factory.mktemp("rotation"), UNIT, serve=False) as cluster:
        yield cluster


def _dossier(n: int) -> dict[str, object]:
    return {
        "procedure_code": "1.001193",
        "applicant": {"full_name": ["Nguyễn Văn Đức", "Trần Thị Thuỷ"][n % 2]},
        "channel": "in_person",
        "notes": f"hồ sơ trước và sau khi đổi khóa, số {n}",
    }


def _ward_fingerprint(cluster: Cluster) -> str | None:
    try:
        return KeyPair.load(cluster.ward_data(UNIT) / "keys").public.fingerprint
    except (OSError, ValueError):  # between the two renames of a rotation
        return None


@pytest.mark.slow
def test_a_running_ward_rotates_its_keys_when_the_console_asks_and_keeps_syncing(
    cluster: Cluster,
) -> None:
    store = cluster.hub_data
    ward = cluster.start_ward(UNIT)
    headers = token(ward.url)
    old_fp = _node_row(store)[0]
    wait_until(
        lambda: hub_query(store, "SELECT coalesce(sum(visits), 0) FROM sync_visits")[0][0] >= 2,
        30,
        what="the ward's first sync",
    )

    # Changes wait at the ward while the administrator asks: none may be lost by the switch.
    assert requests.post(ward.url + "/api/v1/sync/pause", headers=headers, timeout=10).ok
    before = []
    for n in range(3):
        resp = requests.post(
            ward.url + "/api/v1/dossiers", json=_dossier(n), headers=headers, timeout=10
        )
        assert resp.status_code == 201, resp.text
        before.append(resp.json()["id"])

    web = web_session(cluster.hub_url, "/console/dang-nhap", "admin")
    page = web.get(f"{cluster.hub_url}/console/don-vi/{UNIT}", timeout=10)
    asked = web.post(
        f"{cluster.hub_url}/console/don-vi/{UNIT}/doi-khoa",
        data={"csrf_token": csrf_of(page.text), "confirm": "yes"},
        timeout=10,
    )
    assert asked.status_code == 200 and "Nút sẽ đổi khóa ngay sau lần đồng bộ tới" in asked.text
    assert _node_row(store)[1] is not None
    assert requests.post(ward.url + "/api/v1/sync/resume", headers=headers, timeout=10).ok

    new_fp = wait_until(
        lambda: (fp := _node_row(store)[0]) != old_fp and fp, 60, what="the rotation at the hub"
    )
    # The hub records the new key when it answers the rotation; the ward puts its new keys in
    # place just after it reads that answer (ward_node/sync_link/rotation.py).
    wait_until(lambda: _ward_fingerprint(cluster) == new_fp, 30, what="the ward's new keys")
    assert _node_row(store)[1] is None
    held = "SELECT id FROM dossier WHERE id IN (?, ?, ?)"
    assert wait_until(lambda: len(hub_query(store, held, *before)) == 3, 30, what="the changes")

    after = requests.post(
        ward.url + "/api/v1/dossiers", json=_dossier(9), headers=headers, timeout=10
    )
    assert after.status_code == 201, after.text
    wait_until(
        lambda: hub_query(store, "SELECT 1 FROM dossier WHERE id = ?", after.json()["id"]),
        30,
        what="a dossier made after the rotation",
    )

    def synced() -> dict[str, object] | None:
        resp = requests.get(ward.url + "/api/v1/sync/status", headers=headers, timeout=5)
        found = resp.json()
        return found if found["pending_changes"] == 0 and found["state"] == "synced" else None

    status = wait_until(synced, 30, what="the ward synced with nothing pending")
    assert status["last_error"] is None
    at_ward = query(cluster.ward_data(UNIT) / "node.sqlite3", "SELECT count(*) FROM dossier")[0][0]
    assert (
        hub_query(store, "SELECT count(*) FROM dossier WHERE unit = ?", UNIT)[0][0] == at_ward == 4
    )

    unit_page = web.get(f"{cluster.hub_url}/console/don-vi/{UNIT}", timeout=10).text
    assert " ".join(re.findall("....", new_fp[:16])) in unit_page
    assert "Đổi khóa" in unit_page and "Đã yêu cầu đổi khóa" not in unit_page
    rotations = hub_query(store, "SELECT outcome FROM sync_events WHERE kind = 'rotate'")
    assert rotations == [("ok",)]
