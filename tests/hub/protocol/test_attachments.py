"""Attachments end to end: a file attached at a ward travels to the hub in sealed chunks,
resumes after a cut, is verified by hash, and is seen only by those allowed to see it.

The hub is its Flask app in-process, reached through ``AppTransport`` (the same bytes as over
HTTP); the ward is a real enrolled node with its own app and store.
"""

from __future__ import annotations

import hashlib
import io
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from sync import (
    BLOB_CHUNK_SIZE,
    BlobStore,
    NodeSync,
    RemoteRefused,
    SyncReport,
    TransportError,
    get_meta,
    pack_frame,
    read_status,
    seal,
    sync_blobs,
    unpack_frame,
)
from sync.blobsync import _ask_status, _open, _seal  # the node's requests, made by hand
from tests.support import (
    PASSWORD,
    Api,
    AppTransport,
    enrolled_node,
    hub_token,
    node_session,
    scan_pdf,
)
from ward_node import create_app as create_ward
from ward_node.store import ROLES, open_store
from webapp import add_user

UNIT, OTHER_UNIT = "19786", "19744"
MIB = 1024 * 1024


class CutTransport(AppTransport):
    """An ``AppTransport`` whose link drops on the (n+1)th chunk upload, before or after the
    hub received it; counts the chunk uploads that reached the hub."""

    def __init__(self, client: FlaskClient) -> None:
        super().__init__(client)
        self.cut_after: int | None = None
        self.reply_lost = False
        self.uploads = 0

    def post(self, path: str, body: bytes) -> bytes:
        if path != "/sync/v1/blobs/upload":
            return super().post(path, body)
        if self.cut_after is not None and self.uploads >= self.cut_after:
            self.cut_after = None
            if not self.reply_lost:
                raise TransportError("đường truyền bị cắt", code="unreachable")
            self.uploads += 1
            super().post(path, body)
            raise TransportError("trả lời bị mất", code="unreachable")
        self.uploads += 1
        return super().post(path, body)


@dataclass
class Ward:
    """An enrolled ward node: its data folder, sync session, store and logged-in API."""

    data: Path
    transport: CutTransport
    session: NodeSync
    conn: sqlite3.Connection
    api: Api

    @property
    def blobs(self) -> BlobStore:
        return BlobStore(self.data / "blobs")


@pytest.fixture
def make_ward(tmp_path: Path, hub: FlaskClient) -> Any:
    opened: list[sqlite3.Connection] = []

    def make(unit: str = UNIT) -> Ward:
        transport = CutTransport(hub)
        data, _ = enrolled_node(tmp_path, hub, unit, transport=transport, folder=f"ward-{unit}")
        session, conn = node_session(data, transport)
        session.chunk = 5000
        session.pull(SyncReport())  # the reference data, as ``ward-node init`` leaves it
        opened.append(conn)
        for role in ROLES:
            add_user(conn, role, PASSWORD, role, ROLES, f"Cán bộ {role}")
        app = create_ward({"DATA": str(data), "SYNC_INTERVAL": 0})
        app.config["TESTING"] = True
        return Ward(data, transport, session, conn, Api(app.test_client()))

    yield make
    for conn in opened:
        conn.close()


def _hub_blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "hub" / "blobs")


def _dossier(ward: Ward) -> dict[str, Any]:
    resp = ward.api.post(
        "/dossiers",
        json={"procedure_code": "1.001193", "applicant": {"full_name": "Lê Văn Tám"}},
    )
    assert resp.status_code == 201, resp.get_json()
    body: dict[str, Any] = resp.get_json()
    return body


def _attach(ward: Ward, dossier_id: str, data: bytes, name: str = "Sổ đỏ.pdf") -> Any:
    # Encoded here, in memory: the test client spools large bodies to a file it never closes.
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(data), name, content_type="application/pdf")}
    )
    return ward.api.post(
        f"/dossiers/{dossier_id}/attachments",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _sent(ward: Ward, path: str) -> list[bytes]:
    return [body for p, body in ward.transport.sent if p == path]


def test_a_file_attached_at_the_ward_reaches_the_hub_sealed_and_verified(
    tmp_path: Path, hub: FlaskClient, make_ward: Any
) -> None:
    ward = make_ward()
    dossier = _dossier(ward)
    data = scan_pdf(MIB)
    sha = hashlib.sha256(data).hexdigest()

    resp = _attach(ward, dossier["id"], data)
    assert resp.status_code == 201, resp.get_json()
    record = resp.get_json()
    assert record["sha256"] == sha and record["size"] == MIB and record["name"] == "Sổ đỏ.pdf"
    assert record["mime"] == "application/pdf" and record["parent_id"] == dossier["id"]
    assert record["uploaded_by"] == "officer" and record["deleted"] is False
    assert ward.blobs.path(sha).read_bytes() == data
    logged = ward.conn.execute("SELECT count(*) FROM changes WHERE type = 'attachment'")
    assert logged.fetchone()[0] == 1
    assert ward.api.get(f"/dossiers/{dossier['id']}").get_json()["attachments"] == [record]
    listed = ward.api.get(f"/dossiers/{dossier['id']}/attachments").get_json()
    assert listed == {"items": [record], "next_cursor": None}
    with ward.api.get(f"/attachments/{sha}") as got:
        assert got.status_code == 200 and got.data == data and got.mimetype == "application/pdf"
        disposition = got.headers["Content-Disposition"]
    assert "filename*=UTF-8''S%E1%BB%95%20%C4%91%E1%BB%8F.pdf" in disposition

    progress: list[dict[str, Any]] = []
    ward.session.on_progress = progress.append
    ward.session.run()

    assert {"phase": "upload", "done": MIB, "total": MIB} in progress
    hub_blobs = _hub_blobs(tmp_path)
    assert hub_blobs.has(sha)
    assert hashlib.sha256(hub_blobs.path(sha).read_bytes()).hexdigest() == sha
    uploads = _sent(ward, "/sync/v1/blobs/upload")
    assert len(uploads) == MIB // BLOB_CHUNK_SIZE == 4
    for body in uploads:  # sealed: neither the bytes nor the file's hash travel in clear
        assert data[:64] not in body and sha.encode() not in body
    assert read_status(ward.conn)["state"] == "synced"

    # Nothing new: the next run asks the hub nothing about files.
    before = len(ward.transport.sent)
    ward.session.run()
    assert not [p for p, _ in ward.transport.sent[before:] if p.startswith("/sync/v1/blobs")]

    admin = hub_token(hub, tmp_path / "hub")
    with hub.get(f"/api/v1/attachments/{sha}", headers=admin) as resp:
        assert resp.status_code == 200 and resp.data == data
        assert resp.mimetype == "application/pdf"
        assert "attachment" in resp.headers["Content-Disposition"]
    viewer = hub_token(hub, tmp_path / "hub", "viewer")
    assert hub.get(f"/api/v1/attachments/{sha}", headers=viewer).status_code == 403
    assert hub.get(f"/api/v1/attachments/{'0' * 64}", headers=admin).status_code == 404


@pytest.mark.parametrize("reply_lost", [False, True], ids=["cut-before-hub", "reply-lost"])
def test_an_interrupted_upload_resumes_from_the_hubs_offset(
    tmp_path: Path, hub: FlaskClient, make_ward: Any, reply_lost: bool
) -> None:
    ward = make_ward()
    data = scan_pdf(MIB)
    sha = hashlib.sha256(data).hexdigest()
    assert _attach(ward, _dossier(ward)["id"], data).status_code == 201
    ward.transport.cut_after, ward.transport.reply_lost = 2, reply_lost

    with pytest.raises(TransportError):
        ward.session.run()
    received = 3 if reply_lost else 2
    assert (
        _hub_blobs(tmp_path).partial_size(sha, ward.session.node_id) == received * BLOB_CHUNK_SIZE
    )
    assert not _hub_blobs(tmp_path).has(sha)
    assert read_status(ward.conn)["state"] == "offline"

    mark = len(ward.transport.sent)
    ward.session.run()
    paths = [p for p, _ in ward.transport.sent[mark:] if p.startswith("/sync/v1/blobs")]
    assert paths[0] == "/sync/v1/blobs/status"  # asks where the hub stands first
    assert paths.count("/sync/v1/blobs/upload") == 4 - received
    assert ward.transport.uploads <= 4 + 1  # at most one chunk sent twice
    assert _hub_blobs(tmp_path).path(sha).read_bytes() == data
    assert read_status(ward.conn)["state"] == "synced"


def _chunk_envelope(ward: Ward, meta: dict[str, Any], chunk: bytes) -> bytes:
    s = ward.session
    return seal(
        pack_frame(meta, chunk),
        sender=s.node_id,
        keys=s.keys,
        recipient=s.hub.hub_id,
        recipient_keys=s.hub.keys,
        kind=meta["kind"],
        envelope_id=str(uuid.uuid4()),
    )


@pytest.mark.parametrize("where", ["header", "signature", "ciphertext", "end"])
def test_a_flipped_byte_in_a_chunk_envelope_is_refused_and_stores_nothing(
    tmp_path: Path, hub: FlaskClient, make_ward: Any, where: str
) -> None:
    ward = make_ward()
    data = scan_pdf(300_000)
    sha = hashlib.sha256(data).hexdigest()
    assert _attach(ward, _dossier(ward)["id"], data).status_code == 201
    ward.session.push(SyncReport())  # the record first: the hub takes files it has a record of
    meta = {"kind": "blob_chunk", "sha256": sha, "offset": 0, "total": len(data)}
    body = bytearray(_chunk_envelope(ward, meta, data[:BLOB_CHUNK_SIZE]))
    head_len = int.from_bytes(body[4:8], "big")
    at = {
        "header": 8 + head_len // 2,
        "signature": 8 + head_len + 10,
        "ciphertext": len(body) // 2,
        "end": len(body) - 1,
    }[where]
    body[at] ^= 0x01
    resp = hub.post("/sync/v1/blobs/upload", data=bytes(body))
    assert resp.status_code in (400, 401), resp.get_json()
    assert resp.get_json()["error"]["message"]
    assert _hub_blobs(tmp_path).partial_size(sha, ward.session.node_id) == 0 and not _hub_blobs(
        tmp_path
    ).has(sha)

    body[at] ^= 0x01  # the same envelope intact is taken
    resp = hub.post("/sync/v1/blobs/upload", data=bytes(body))
    assert resp.status_code == 200
    assert _hub_blobs(tmp_path).partial_size(sha, ward.session.node_id) == BLOB_CHUNK_SIZE


def test_a_file_whose_bytes_do_not_match_its_hash_is_refused_at_the_hub(
    tmp_path: Path, hub: FlaskClient, make_ward: Any
) -> None:
    ward = make_ward()
    data = scan_pdf(1000)
    sha = hashlib.sha256(data).hexdigest()
    assert _attach(ward, _dossier(ward)["id"], data).status_code == 201
    ward.session.push(SyncReport())
    forged = bytes([data[0] ^ 1]) + data[1:]  # well sealed, wrong content
    meta = {"kind": "blob_chunk", "sha256": sha, "offset": 0, "total": len(data)}
    resp = hub.post("/sync/v1/blobs/upload", data=_chunk_envelope(ward, meta, forged))
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "blob_hash_mismatch"
    hub_blobs = _hub_blobs(tmp_path)
    assert not hub_blobs.has(sha) and hub_blobs.partial_size(sha, ward.session.node_id) == 0
    # The node's own copy is good: the next sync sends it whole and it is taken.
    ward.session.run()
    assert hub_blobs.path(sha).read_bytes() == data


def test_only_the_owning_ward_gets_a_file_back_and_resumes_a_download(
    tmp_path: Path, hub: FlaskClient, make_ward: Any
) -> None:
    ward, other = make_ward(), make_ward(OTHER_UNIT)
    data = scan_pdf(MIB)
    sha = hashlib.sha256(data).hexdigest()
    assert _attach(ward, _dossier(ward)["id"], data).status_code == 201
    ward.session.run()
    other.session.run()

    # The other ward holds no record of the file, and the hub serves it nothing about it.
    assert other.conn.execute("SELECT count(*) FROM attachment").fetchone()[0] == 0
    assert other.api.get(f"/attachments/{sha}").status_code == 404
    assert not other.blobs.has(sha)
    assert _ask_status(other.session, [sha]) == {
        "kind": "blob_have",
        "have": [],
        "partial": {},
        "unknown": [sha],
    }
    fetch = {"kind": "blob_fetch", "sha256": sha, "offset": 0, "length": BLOB_CHUNK_SIZE}
    with pytest.raises(RemoteRefused) as caught:
        other.transport.post("/sync/v1/blobs/download", _seal(other.session, fetch))
    assert caught.value.details["http_status"] == 404
    upload = {"kind": "blob_chunk", "sha256": sha, "offset": 0, "total": MIB}
    with pytest.raises(RemoteRefused) as caught:
        other.transport.post(
            "/sync/v1/blobs/upload", _seal(other.session, upload, data[:BLOB_CHUNK_SIZE])
        )
    assert caught.value.code == "blob_unreferenced"

    # The owning ward lost its copy (a disk replaced) with one chunk already fetched again:
    # the next sync downloads the rest and verifies it.
    ward.blobs.path(sha).unlink()
    assert ward.api.get(f"/attachments/{sha}").get_json()["error"]["code"] == "blob_not_received"
    ward.blobs.append_partial(sha, 0, data[:BLOB_CHUNK_SIZE])
    report = sync_blobs(ward.session)
    assert report["downloaded"] == 1 and report["chunks_received"] == 3
    assert ward.blobs.path(sha).read_bytes() == data
    reply = ward.transport.post(
        "/sync/v1/blobs/download",
        _seal(ward.session, {**fetch, "offset": MIB - 10}),
    )
    chunk = _open(ward.session, reply, "blob_chunk")
    assert chunk.data == data[-10:] and chunk.meta["total"] == MIB
    assert unpack_frame(pack_frame(chunk.meta, chunk.data)) == chunk


def test_a_hub_admin_edit_of_the_dossier_keeps_its_attachments(
    tmp_path: Path, hub: FlaskClient, make_ward: Any
) -> None:
    ward = make_ward()
    dossier = _dossier(ward)
    data = scan_pdf(10_000)
    record = _attach(ward, dossier["id"], data, name="Đơn đề nghị.docx").get_json()
    ward.session.run()
    admin = hub_token(hub, tmp_path / "hub")
    resp = hub.patch(
        f"/api/v1/dossiers/{dossier['id']}", json={"notes": "Bổ sung ở thành phố"}, headers=admin
    )
    assert resp.status_code == 200, resp.get_json()

    ward.session.run()

    after = ward.api.get(f"/dossiers/{dossier['id']}").get_json()
    assert after["notes"] == "Bổ sung ở thành phố"
    assert after["attachments"] == [record]
    with ward.api.get(f"/attachments/{record['sha256']}") as got:
        assert got.data == data
    with hub.get(f"/api/v1/attachments/{record['sha256']}", headers=admin) as got:
        assert got.data == data


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(
    tmp_path: Path, make_ward: Any
) -> None:
    ward = make_ward()
    dossier = _dossier(ward)
    ward.api.client.application.config["ATTACHMENT_MAX_BYTES"] = 1000
    resp = _attach(ward, dossier["id"], scan_pdf(1001))
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "too_large"
    assert ward.conn.execute("SELECT count(*) FROM attachment").fetchone()[0] == 0
    assert not [p for p in (ward.data / "blobs").rglob("*") if p.is_file()]
    missing = ward.api.post(f"/dossiers/{dossier['id']}/attachments", data={})
    assert missing.status_code == 422
    nowhere = _attach(ward, "0190a0a0-0000-7000-8000-000000000000", b"x")
    assert nowhere.status_code == 404
    assert ward.api.get(f"/attachments/{'a' * 64}").status_code == 404
    assert ward.api.get("/attachments/not-a-hash").status_code == 404
    assert ward.api.client.get(f"/api/v1/attachments/{'a' * 64}").status_code == 401


def test_an_older_ward_store_gains_the_attachment_table(tmp_path: Path, make_ward: Any) -> None:
    ward = make_ward()
    conn = ward.conn
    conn.execute("DROP TABLE attachment")
    conn.execute("DELETE FROM _migrations WHERE name = '0002_attachments'")
    reopened = open_store(ward.data)
    try:
        indexes = {r[1] for r in reopened.execute("PRAGMA index_list(attachment)")}
        assert {"attachment_parent", "attachment_sha256"} <= indexes
        assert get_meta(reopened, "unit") == UNIT
    finally:
        reopened.close()
