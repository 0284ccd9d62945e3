"""A hub and two wards on real waitress servers: offline reception, convergence, isolation."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.support import Cluster, query, run, running_cluster, token, wait_until
from tests.support.hubstore import hub_query

A, B = "19786", "19744"  # Phú Hội, Phú Thuận

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(tmp_path: Path):
    with running_cluster(tmp_path, A, B, serve=False) as c:
        yield c


NAMES = ["Nguyễn Văn Đức", "Trần Thị Thuỷ", "Lê Văn Hoà", "Phạm Thị Đào", "Hoàng Văn An"]


def _dossier(i: int) -> dict:
    return {
        "procedure_code": "1.001193",
        "applicant": {"full_name": NAMES[i % len(NAMES)], "phone": "0905123456", "id_number": None},
        "channel": "in_person",
        "notes": f"hồ sơ số {i}",
    }


def _status(url: str, headers: dict) -> dict:
    return requests.get(url + "/api/v1/sync/status", headers=headers, timeout=5).json()


def test_ward_receives_offline_and_everything_reaches_the_hub_exactly_once(
    cluster: Cluster,
) -> None:
    ward_a = cluster.start_ward(A)
    headers = token(ward_a.url)
    procedures = requests.get(ward_a.url + "/api/v1/procedures", headers=headers, timeout=5).json()
    assert len(procedures["items"]) >= 14  # reference data reached the ward at init

    cluster.stop_hub()
    codes = []
    for i in range(5):
        resp = requests.post(
            ward_a.url + "/api/v1/dossiers", json=_dossier(i), headers=headers, timeout=10
        )
        assert resp.status_code == 201, resp.text
        codes.append(resp.json()["code"])
    assert len(set(codes)) == 5

    offline = wait_until(
        lambda: (s := _status(ward_a.url, headers))["state"] == "offline" and s,
        20,
        what="offline state",
    )
    assert offline["pending_changes"] == 15  # each dossier: the record, its first step, its SMS
    assert offline["oldest_pending_at"]
    assert offline["last_error"]["code"] == "unreachable"

    # A one-off sync from the command line says so in one line and fails.
    result = run("ward_node", "sync", "--data", str(cluster.ward_data(A)), check=False)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "Không kết nối" in result.stderr

    cluster.start_hub()
    synced = wait_until(
        lambda: (s := _status(ward_a.url, headers))["state"] == "synced" and s,
        30,
        what="synced state",
    )
    assert synced["pending_changes"] == 0
    run("ward_node", "sync", "--data", str(cluster.ward_data(B)))

    hub_db = cluster.hub_data / "hub.sqlite3"
    admin = token(cluster.hub.url, "admin")
    listed = requests.get(
        cluster.hub.url + f"/api/v1/dossiers?unit={A}&limit=100", headers=admin, timeout=5
    ).json()
    assert sorted(d["code"] for d in listed["items"]) == sorted(codes)
    assert query(hub_db, "SELECT count(*) FROM dossier")[0][0] == 5
    assert query(hub_db, "SELECT count(*) FROM journal WHERE type = 'dossier'")[0][0] == 5
    assert query(hub_db, "SELECT count(*), count(DISTINCT origin || ':' || seq) FROM journal") == [
        query(hub_db, "SELECT count(*), count(*) FROM journal")[0]
    ]
    # The hub's copy is field for field the ward's.
    one = requests.get(
        cluster.hub.url + f"/api/v1/dossiers/{listed['items'][0]['id']}", headers=admin, timeout=5
    ).json()
    local = requests.get(
        ward_a.url + f"/api/v1/dossiers/{one['id']}", headers=headers, timeout=5
    ).json()
    for field in ("code", "applicant", "status", "due_at", "received_at", "notes"):
        assert one[field] == local[field]
    assert len(one["steps"]) == 1

    # Ward B holds none of ward A's dossiers.
    ward_b_db = cluster.ward_data(B) / "node.sqlite3"
    assert query(ward_b_db, "SELECT count(*) FROM dossier")[0][0] == 0
    assert query(ward_b_db, "SELECT count(*) FROM dossier_step")[0][0] == 0

    # A second sync moves nothing.
    before = query(hub_db, "SELECT count(*) FROM journal")[0][0]
    again = run("ward_node", "sync", "--data", str(cluster.ward_data(A)))
    assert "gửi 0, nhận 0" in again.stdout
    assert query(hub_db, "SELECT count(*) FROM journal")[0][0] == before


def test_admin_edit_at_the_hub_reaches_only_the_owning_ward(cluster: Cluster) -> None:
    ward_a = cluster.start_ward(A)
    headers = token(ward_a.url)
    created = requests.post(
        ward_a.url + "/api/v1/dossiers", json=_dossier(1), headers=headers, timeout=10
    ).json()
    wait_until(lambda: _status(ward_a.url, headers)["state"] == "synced", 20, what="push")
    admin = token(cluster.hub.url, "admin")
    resp = requests.patch(
        cluster.hub.url + f"/api/v1/dossiers/{created['id']}",
        json={"notes": "Quản trị viên thành phố đã kiểm tra"},
        headers=admin,
        timeout=5,
    )
    assert resp.status_code == 200, resp.text
    requests.post(ward_a.url + "/api/v1/sync/run", headers=headers, timeout=5)
    wait_until(
        lambda: (
            requests.get(
                ward_a.url + f"/api/v1/dossiers/{created['id']}", headers=headers, timeout=5
            ).json()["notes"]
            == "Quản trị viên thành phố đã kiểm tra"
        ),
        20,
        what="admin edit at the ward",
    )
    run("ward_node", "sync", "--data", str(cluster.ward_data(B)))
    assert query(cluster.ward_data(B) / "node.sqlite3", "SELECT count(*) FROM dossier")[0][0] == 0


def test_revoked_node_is_refused_and_keeps_its_pending_changes(cluster: Cluster) -> None:
    ward_a = cluster.start_ward(A, interval=60)
    headers = token(ward_a.url)
    requests.post(ward_a.url + "/api/v1/dossiers", json=_dossier(1), headers=headers, timeout=10)
    run("central_hub", "revoke", "--data", str(cluster.hub_data), "--unit", A)
    result = run("ward_node", "sync", "--data", str(cluster.ward_data(A)), check=False)
    assert result.returncode != 0 and "thu hồi" in result.stderr
    status = _status(ward_a.url, headers)
    assert status["state"] == "error" and status["pending_changes"] == 3
    assert hub_query(cluster.hub_data, "SELECT count(*) FROM dossier")[0][0] == 0
