"""A data folder is its owner's alone: folders 0700, files 0600, created so, never narrowed after
being written; what older releases left wider is narrowed at start (docs/security.md, "Files
on disk")."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from central_hub import create_app as create_hub
from central_hub.setup import init_hub
from central_hub.sms.providers import LogProvider
from central_hub.store import open_store as open_hub_store
from sync import BlobStore, KeyPair, atomic, set_meta
from tests.support import Cluster, make_ward_data, run, token, wait_until
from ward_node import create_app

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def wider_than_private(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` (and itself) whose mode lets anyone but its owner in."""
    found = {}
    for root, _dirs, files in os.walk(folder):
        for path in [Path(root), *(Path(root) / f for f in files)]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            wanted = 0o700 if path.is_dir() else 0o600
            if mode != wanted:
                found[str(path.relative_to(folder.parent))] = oct(mode)
    return found


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most careless umask a service could inherit: every file made without an explicit
    mode would be readable and writable by all."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.slow
def test_after_init_serve_an_sms_and_a_sync_every_file_is_private(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path)
    out = tmp_path / "changes.wsx"
    try:
        cluster.start_hub(CENTRAL_HUB_SMS_INTERVAL="1")
        data = cluster.enroll("19786")
        ward = cluster.start_ward("19786", interval=1)
        headers = token(ward.url)
        body = {
            "procedure_code": "1.001193",
            "applicant": {"full_name": "Lê Thị Hồng", "phone": "0905123456"},
        }
        dossier = requests.post(ward.url + "/api/v1/dossiers", json=body, headers=headers).json()
        attached = requests.post(
            f"{ward.url}/api/v1/dossiers/{dossier['id']}/attachments",
            files={"file": ("don.pdf", PDF, "application/pdf")},
            headers=headers,
            timeout=10,
        )
        assert attached.status_code == 201, attached.text
        sms_log = cluster.hub_data / "sms.log"
        wait_until(lambda: sms_log.exists() and sms_log.read_text().strip(), 60, what="an SMS")
        wait_until(
            lambda: any((cluster.hub_data / "blobs").rglob(attached.json()["sha256"][2:])),
            60,
            what="the attachment at the hub",
        )
        run("ward_node", "export-changes", "--data", str(data), "--out", str(out))
    finally:
        cluster.close()
    assert wider_than_private(cluster.hub_data) == {}
    assert wider_than_private(data) == {}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_files_are_created_private_even_under_an_open_umask(
    tmp_path: Path, open_umask: None
) -> None:
    hub_data = tmp_path / "hub"
    init_hub(hub_data, name="Hub thử")
    conn = open_hub_store(hub_data)
    with atomic(conn):  # WAL and shared-memory files exist while a connection is open
        set_meta(conn, "probe", 1)
    assert (hub_data / "hub.sqlite3-wal").exists() and (hub_data / "hub.sqlite3-shm").exists()
    BlobStore(hub_data / "blobs").put(PDF)
    LogProvider(hub_data / "sms.log").send("+84905123456", "Thử")
    KeyPair.generate().save(tmp_path / "hub" / "keys-new" / "nested")
    found = wider_than_private(hub_data)
    conn.close()
    assert found == {}


def test_the_secret_key_and_private_keys_are_created_0600_never_narrowed_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    created: list[tuple[str, int]] = []
    narrowed: list[str] = []
    real_open, real_chmod = os.open, os.chmod

    def spy_open(path: Any, flags: int, mode: int = 0o777, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            created.append((Path(path).name, mode))
        return real_open(path, flags, mode, *args, **kwargs)

    def spy_chmod(path: Any, mode: int, *args: Any, **kwargs: Any) -> None:
        narrowed.append(Path(path).name)
        real_chmod(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(os, "chmod", spy_chmod)
    init_hub(tmp_path / "hub", name="Hub thử")
    for name in ("secret_key", "sign.key", "kem.key"):
        assert (name, 0o600) in created, f"{name} not created with mode 0600: {created}"
        assert name not in narrowed, f"{name} was written first and narrowed after"


def test_starting_narrows_what_an_older_release_left_readable(tmp_path: Path) -> None:
    ward = make_ward_data(tmp_path / "ward")
    init_hub(tmp_path / "hub", name="Hub thử")
    for folder in (ward, tmp_path / "hub"):
        (folder / "blobs" / "ab").mkdir(parents=True)
        (folder / "blobs" / "ab" / "cdef").write_bytes(PDF)
        (folder / "config.json").write_text("{}")
        for root, _dirs, files in os.walk(folder):
            os.chmod(root, 0o755)
            for f in files:
                os.chmod(Path(root) / f, 0o644)
        assert wider_than_private(folder)
    create_app({"DATA": str(ward), "SYNC_INTERVAL": 0})
    create_hub({"DATA": str(tmp_path / "hub")})
    assert wider_than_private(ward) == {}
    assert wider_than_private(tmp_path / "hub") == {}
