"""Who may fetch or send which file through the blob protocol (docs/security.md, "Files"):
knowing a file's hash unlocks nothing, an upload in progress belongs to its sender, and what a
node may leave at the hub is bounded in size, in quota and in time.

Everything goes through the real protocol: sealed envelopes from enrolled wards
(``make_ward`` of test_attachments.py) to the hub's app in-process.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from central_hub import files
from central_hub.protocol import blobs as blob_api
from central_hub.store import open_store as open_hub
from sync import (
    BLOB_CHUNK_SIZE,
    RemoteRefused,
    SyncReport,
    get_meta,
    new_id,
    read_status,
    sync_blobs,
)
from sync.blobsync import _ask_status, _open, _seal
from tests.hub.protocol.test_attachments import (
    OTHER_UNIT,
    UNIT,
    Ward,
    _attach,
    _chunk_envelope,
    _dossier,
    _hub_blobs,
)
from tests.support import scan_pdf
from ward_node.store import capture

CHUNK = BLOB_CHUNK_SIZE


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _claim(ward: Ward, sha: str, size: int) -> str:
    """An attachment record of ``ward``'s own naming a file it does not hold: all a thief
    needs is the hash (and the size), written through its own write path."""
    dossier = _dossier(ward)
    attachment_id = new_id()
    record = {
        "id": attachment_id,
        "unit": get_meta(ward.conn, "unit"),
        "parent_type": "dossier",
        "parent_id": dossier["id"],
        "sha256": sha,
        "name": "ho-so.pdf",
        "mime": "application/pdf",
        "size": size,
        "uploaded_by": "officer",
        "uploaded_at": "2026-12-01T08:00:00+07:00",
        "deleted": False,
    }
    capture(ward.conn, ward.session.clock).write(
        "attachment", attachment_id, record["unit"], record, actor="officer"
    )
    return attachment_id


def _fetch(ward: Ward, sha: str, offset: int = 0) -> Any:
    fetch = {"kind": "blob_fetch", "sha256": sha, "offset": offset, "length": CHUNK}
    return ward.transport.post("/sync/v1/blobs/download", _seal(ward.session, fetch))


def _hub_rows(tmp_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = open_hub(tmp_path / "hub")
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def test_a_ward_that_knows_only_a_hash_cannot_fetch_the_file(
    tmp_path: Path, hub: FlaskClient, make_ward: Any
) -> None:
    owner, thief = make_ward(), make_ward(OTHER_UNIT)
    secret = scan_pdf(3 * CHUNK)
    sha = _sha(secret)
    assert _attach(owner, _dossier(owner)["id"], secret).status_code == 201
    owner.session.run()
    assert _hub_blobs(tmp_path).has(sha)

    # The thief's record of its own naming the hash is accepted (it is its own record) ...
    _claim(thief, sha, len(secret))
    thief.session.run()
    assert sorted(_hub_rows(tmp_path, "SELECT unit FROM attachment WHERE sha256 = ?", sha)) == [
        (OTHER_UNIT,),
        (UNIT,),
    ]
    # ... but it unlocks nothing: its unit never sent these bytes.
    report = sync_blobs(thief.session)
    assert report["downloaded"] == 0 and sha in report["waiting"]
    assert not thief.blobs.has(sha) and thief.blobs.partial_size(sha) == 0
    with pytest.raises(RemoteRefused) as refused:
        _fetch(thief, sha)
    assert refused.value.code == "blob_not_found" and refused.value.details["http_status"] == 404
    assert _ask_status(thief.session, [sha])["have"] == []
    assert read_status(thief.conn)["state"] == "synced"

    # The owner's unit still gets its own file back (a disk replaced).
    owner.blobs.path(sha).unlink()
    assert sync_blobs(owner.session)["downloaded"] == 1
    assert owner.blobs.path(sha).read_bytes() == secret


def test_a_ward_holding_the_same_bytes_sends_them_once_and_may_then_fetch_them(
    tmp_path: Path, hub: FlaskClient, make_ward: Any
) -> None:
    first, second = make_ward(), make_ward(OTHER_UNIT)
    scan = scan_pdf(2 * CHUNK + 10)
    sha = _sha(scan)
    for ward in (first, second):
        assert _attach(ward, _dossier(ward)["id"], scan).status_code == 201
    first.session.run()
    mark = len(second.transport.sent)
    second.session.run()
    # The hub holds the bytes already, from another unit: the second proves it has them.
    uploads = [p for p, _ in second.transport.sent[mark:] if p == "/sync/v1/blobs/upload"]
    assert len(uploads) == 3
    assert sorted(_hub_rows(tmp_path, "SELECT unit FROM blob_sources WHERE sha256 = ?", sha)) == [
        (OTHER_UNIT,),
        (UNIT,),
    ]
    assert _hub_blobs(tmp_path).path(sha).read_bytes() == scan
    second.blobs.path(sha).unlink()
    assert sync_blobs(second.session)["downloaded"] == 1


def test_another_ward_cannot_break_an_upload_in_progress(
    tmp_path: Path, hub: FlaskClient, make_ward: Any
) -> None:
    owner, vandal = make_ward(), make_ward(OTHER_UNIT)
    data = scan_pdf(4 * CHUNK)
    sha = _sha(data)
    assert _attach(owner, _dossier(owner)["id"], data).status_code == 201
    owner.transport.cut_after = 2
    with pytest.raises(Exception):  # noqa: B017  (the link drops mid-upload)
        owner.session.run()
    hub_blobs = _hub_blobs(tmp_path)
    assert hub_blobs.partial_size(sha, owner.session.node_id) == 2 * CHUNK

    # The vandal names the same file and sends garbage where the owner's upload stands.
    _claim(vandal, sha, len(data))
    vandal.session.push(SyncReport())
    garbage = os.urandom(CHUNK)
    for offset in (0, 2 * CHUNK):
        meta = {"kind": "blob_chunk", "sha256": sha, "offset": offset, "total": len(data)}
        reply = vandal.transport.post(
            "/sync/v1/blobs/upload", _chunk_envelope(vandal, meta, garbage)
        )
        assert _open(vandal.session, reply, "blob_ack").meta["complete"] is False
    partial = hub_blobs.folder / "partial" / owner.session.node_id / sha
    assert partial.read_bytes() == data[: 2 * CHUNK]  # untouched

    mark = len(owner.transport.sent)
    owner.session.run()
    assert [p for p, _ in owner.transport.sent[mark:]].count("/sync/v1/blobs/upload") == 2
    assert hub_blobs.path(sha).read_bytes() == data
    assert read_status(owner.conn)["state"] == "synced"


def test_a_file_over_the_hubs_cap_is_refused_and_nothing_is_kept(
    tmp_path: Path, hub: FlaskClient, make_ward: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blob_api, "MAX_FILE_BYTES", 2 * CHUNK)
    ward = make_ward()
    big = scan_pdf(2 * CHUNK + 1)
    assert _attach(ward, _dossier(ward)["id"], big).status_code == 201
    ward.session.push(SyncReport())
    meta = {"kind": "blob_chunk", "sha256": _sha(big), "offset": 0, "total": len(big)}
    resp = hub.post("/sync/v1/blobs/upload", data=_chunk_envelope(ward, meta, big[:CHUNK]))
    assert resp.status_code == 413
    assert resp.get_json()["error"]["code"] == "blob_too_large"
    assert not list((tmp_path / "hub" / "blobs").rglob("*" + _sha(big)))
    # The ward's sync lists it as refused and finishes.
    ward.session.run()
    assert sync_blobs(ward.session)["uploaded"] == 0
    assert read_status(ward.conn)["state"] == "synced"
    assert not _hub_blobs(tmp_path).has(_sha(big))


def test_a_nodes_unfinished_uploads_stay_within_its_quota(
    tmp_path: Path, hub: FlaskClient, make_ward: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "PARTIAL_QUOTA", 2 * CHUNK)
    ward = make_ward()
    scans = [scan_pdf(3 * CHUNK) for _ in range(3)]
    dossier = _dossier(ward)
    for scan in scans:
        assert _attach(ward, dossier["id"], scan).status_code == 201
    ward.session.push(SyncReport())
    folder = tmp_path / "hub" / "blobs" / "partial" / ward.session.node_id
    for i, scan in enumerate(scans):
        meta = {"kind": "blob_chunk", "sha256": _sha(scan), "offset": 0, "total": len(scan)}
        resp = hub.post("/sync/v1/blobs/upload", data=_chunk_envelope(ward, meta, scan[:CHUNK]))
        assert resp.status_code == 200
        os.utime(folder / _sha(scan), (time.time() - 100 + i, time.time() - 100 + i))
    # The oldest unfinished upload made room for the newest; the quota holds.
    held = sorted(p.name for p in folder.iterdir())
    assert held == sorted([_sha(scans[1]), _sha(scans[2])])
    assert _hub_blobs(tmp_path).partial_bytes(ward.session.node_id) <= 2 * CHUNK
    # Finishing resumes each from what the hub holds.
    ward.session.run()
    for scan in scans:
        assert _hub_blobs(tmp_path).path(_sha(scan)).read_bytes() == scan


def test_an_abandoned_upload_expires(
    tmp_path: Path, hub: FlaskClient, make_ward: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    abandoned, active = make_ward(), make_ward(OTHER_UNIT)
    old = scan_pdf(2 * CHUNK)
    assert _attach(abandoned, _dossier(abandoned)["id"], old).status_code == 201
    abandoned.transport.cut_after = 1
    with pytest.raises(Exception):  # noqa: B017  (the ward went offline for good)
        abandoned.session.run()
    stale = tmp_path / "hub" / "blobs" / "partial" / abandoned.session.node_id / _sha(old)
    assert stale.stat().st_size == CHUNK
    long_ago = time.time() - files.PARTIAL_MAX_AGE - 60
    os.utime(stale, (long_ago, long_ago))

    monkeypatch.setattr(files, "_last_sweep", 0.0)  # a sweep is due
    fresh = scan_pdf(CHUNK + 5)
    assert _attach(active, _dossier(active)["id"], fresh).status_code == 201
    active.session.run()
    assert not stale.exists()
    assert _hub_blobs(tmp_path).has(_sha(fresh))
