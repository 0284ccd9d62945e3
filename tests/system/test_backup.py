"""Backups and restores on real processes (docs/backup.md): ``ward-node backup`` of a running
ward, the disk dying, ``ward-node restore``, work since the copy got back from the hub and
new work kept; the same with a plain copy of the folder; ``central-hub backup`` and restore;
a damaged backup refused."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import PASSWORD, Cluster, query, run, running_cluster, token, wait_until
from tests.support.hubstore import hub_query

UNIT = "19786"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with running_cluster(tmp_path, UNIT, serve=False) as c:
        yield c


def _receive(url: str, name: str, phone: str | None = None) -> dict[str, Any]:
    applicant = {"full_name": name, **({"phone": phone} if phone else {})}
    resp = requests.post(
        url + "/api/v1/dossiers",
        json={"procedure_code": "1.001193", "applicant": applicant},
        headers=token(url),
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def _synced(url: str) -> dict[str, Any] | None:
    status = requests.get(url + "/api/v1/sync/status", headers=token(url), timeout=10).json()
    return status if status["state"] == "synced" and not status["pending_changes"] else None


def _hub_codes(cluster: Cluster) -> dict[str, str]:
    return dict(hub_query(cluster.hub_data, "SELECT id, code FROM dossier"))


def _modes(folder: Path) -> set[str]:
    """Anything under ``folder`` readable by others than its owner."""
    wide = set()
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            if stat.S_IMODE(path.stat().st_mode) & 0o077:
                wide.add(str(path))
    return wide


@pytest.mark.parametrize("how", ["ward-node backup", "a plain copy"])
def test_a_ward_restored_from_a_backup_loses_nothing_and_reuses_no_code(
    cluster: Cluster, tmp_path: Path, how: str
) -> None:
    ward = cluster.start_ward(UNIT)
    first = _receive(ward.url, "Lê Văn Tám")
    wait_until(lambda: _synced(ward.url), what="synced")
    copy = tmp_path / "ban-sao"
    data = cluster.ward_data(UNIT)
    if how == "ward-node backup":
        out = run("ward_node", "backup", "--data", str(data), "--out", str(copy))  # while serving
        assert "kiểm tra xong" in out.stdout
        assert not _modes(copy)
    else:
        ward.stop()
        shutil.copytree(data, copy)
        ward = cluster.start_ward(UNIT)
    lost = [_receive(ward.url, n, "+84905550101") for n in ("Hồ Thị Hoa", "Trần Văn Ba")]
    wait_until(lambda: _synced(ward.url), what="synced")
    assert len(_hub_codes(cluster)) == 3

    ward.kill()  # the disk dies; the link to the city is down while IT restores the PC
    cluster.stop_hub()
    shutil.rmtree(data)
    if how == "ward-node backup":
        done = run("ward_node", "restore", "--data", str(data), "--from", str(copy))
        assert "Đã khôi phục" in done.stdout
    else:
        shutil.copytree(copy, data)
    ward = cluster.start_ward(UNIT)
    # The desk goes on working offline, numbering from the copy's counters: these two take
    # the codes of the two the city already holds.
    after = [_receive(ward.url, n, "+84905550102") for n in ("Ngô Thị Bốn", "Phan Văn Năm")]
    assert {d["code"] for d in after} == {d["code"] for d in lost}
    cluster.start_hub()
    status = wait_until(lambda: _synced(ward.url), timeout=60, what="synced after the restore")
    assert status["recovery"]["recovered"] >= 4 and len(status["recovery"]["renumbered"]) == 2

    codes = _hub_codes(cluster)
    assert len(codes) == 5 and len(set(codes.values())) == 5
    for d in [first, *lost]:
        assert codes[d["id"]] == d["code"]
    ward_codes = dict(query(data / "node.sqlite3", "SELECT id, code FROM dossier"))
    assert ward_codes == codes
    assert {codes[d["id"]] for d in after}.isdisjoint({d["code"] for d in lost})
    # The desk sees which dossiers changed code, and the citizen is told.
    desk = requests.Session()
    login = desk.get(ward.url + "/login", timeout=10).text
    csrf = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    desk.post(
        ward.url + "/login",
        data={"username": "canbo", "password": PASSWORD, "csrf_token": csrf},
        timeout=10,
    )
    renamed = after[0]["id"]
    page = desk.get(f"{ward.url}/dossiers/{renamed}", timeout=10).text
    assert "Mã hồ sơ đã đổi từ" in page and after[0]["code"] in page
    sync_page = desk.get(ward.url + "/sync", timeout=10).text
    assert "hãy in lại giấy tiếp nhận" in sync_page
    texts = hub_query(cluster.hub_data, "SELECT text FROM sms WHERE kind = 'code_changed'")
    assert len(texts) == 2


def test_a_hub_restored_from_its_backup_gets_back_from_the_wards_what_it_lost(
    cluster: Cluster, tmp_path: Path
) -> None:
    ward = cluster.start_ward(UNIT)
    _receive(ward.url, "Lê Văn Tám")
    wait_until(lambda: _synced(ward.url), what="synced")
    copy = tmp_path / "hub-backup"
    run("central_hub", "backup", "--data", str(cluster.hub_data), "--out", str(copy))
    assert "dùng được" in run("central_hub", "backup", "--verify", str(copy)).stdout
    second = _receive(ward.url, "Hồ Thị Hoa")
    wait_until(lambda: second["id"] in _hub_codes(cluster), what="the second at the hub")

    cluster.hub.kill()  # type: ignore[union-attr]
    shutil.rmtree(cluster.hub_data)
    run("central_hub", "restore", "--data", str(cluster.hub_data), "--from", str(copy))
    assert second["id"] not in _hub_codes(cluster)
    cluster.start_hub()
    wait_until(lambda: second["id"] in _hub_codes(cluster), timeout=60, what="resent")
    wait_until(lambda: _synced(ward.url), what="synced")


def test_a_damaged_backup_is_refused_and_nothing_is_restored(
    cluster: Cluster, tmp_path: Path
) -> None:
    copy = tmp_path / "ban-sao"
    run("ward_node", "backup", "--data", str(cluster.ward_data(UNIT)), "--out", str(copy))
    store = copy / "node.sqlite3"
    raw = bytearray(store.read_bytes())
    raw[5000] ^= 0xFF
    store.write_bytes(bytes(raw))
    checked = run("ward_node", "backup", "--verify", str(copy), check=False)
    assert checked.returncode == 1 and "node.sqlite3" in checked.stderr
    target = tmp_path / "moi"
    refused = run("ward_node", "restore", "--data", str(target), "--from", str(copy), check=False)
    assert refused.returncode == 1 and "hỏng" in refused.stderr
    assert not target.exists() or not any(target.iterdir())
    # Nor over a folder that is not empty.
    other = run(
        "ward_node", "backup", "--data", str(cluster.ward_data(UNIT)), "--out", str(tmp_path / "b2")
    )
    assert other.returncode == 0
    busy = run(
        "ward_node",
        "restore",
        "--data",
        str(cluster.ward_data(UNIT)),
        "--from",
        str(tmp_path / "b2"),
        check=False,
    )
    assert busy.returncode == 1 and "không trống" in busy.stderr
