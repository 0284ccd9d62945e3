"""The city's documents carry their scanned files: the console's send form (and the JSON API's
multipart variant) stores the PDFs in the hub's blob store and writes an ``attachment`` per
file in the document's transaction; the files reach the addressed wards only, through the
blob protocol, and the console's document page lists and opens them.

The hub is its Flask app in-process; the wards are real enrolled nodes syncing with it
through ``AppTransport`` (the same bytes as over HTTP).
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from central_hub.portal.submission import MAX_SCAN_BYTES
from sync import BLOB_CHUNK_SIZE, BlobStore, NodeSync, RemoteRefused, SyncReport
from sync.blobsync import _ask_status, _seal  # the node's requests, made by hand
from tests.hub.city.test_work import BASE, _count, _routes
from tests.support import (
    AppTransport,
    console_login,
    csrf_of,
    enrollment_token,
    hub_token,
    node_session,
)
from tests.support.hubstore import hub_store
from ward_node.sync_link import init_node

A, B = "19786", "19744"
PAGE = f"{BASE}/van-ban/moi"
DECISION = b"%PDF-1.7\n% Quyet dinh so 1\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
ANNEX = b"%PDF-1.4\n% Phu luc\n" + b"\x00\xff" * 3000 + b"\n%%EOF\n"
DECISION_NAME = "Quyết định phòng chống lũ.pdf"


def _files(*files: tuple[bytes, str]) -> list[FileStorage]:
    return [
        FileStorage(io.BytesIO(data), name, content_type="application/pdf") for data, name in files
    ]


def _send(hub: FlaskClient, units: list[str], *files: tuple[bytes, str], **extra: object) -> Any:
    """Post the send form from its page, with ``files`` chosen in its file field."""
    fields = MultiDict(
        {
            "csrf_token": csrf_of(hub.get(PAGE).text),
            "doc_type": "Quyết định",
            "summary": "Về việc triển khai phương án phòng, chống lũ",
            "urgency": "khan",
            **extra,
        }
    )
    for unit in units:
        fields.add("units", unit)
    for f in _files(*files):
        fields.add("attachments", f)
    # Encoded here, in memory: the test client spools large bodies to a file it never closes.
    boundary, body = encode_multipart(fields)
    return hub.post(PAGE, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _attachments(tmp_path: Path, doc_id: str) -> list[sqlite3.Row]:
    conn = hub_store(tmp_path / "hub")
    try:
        return conn.execute(
            "SELECT id, unit, parent_type, sha256, name, mime, size, uploaded_by FROM attachment "
            "WHERE parent_id = ? ORDER BY id",
            (doc_id,),
        ).fetchall()
    finally:
        conn.close()


def _blob_files(tmp_path: Path) -> list[Path]:
    """Every file under the hub's blob store, temporary and partial ones included."""
    folder = tmp_path / "hub" / "blobs"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _ward(tmp_path: Path, hub: FlaskClient, unit: str) -> tuple[NodeSync, sqlite3.Connection]:
    """A ward enrolled at the hub and past its first pull, as ``ward-node init`` leaves it."""
    transport = AppTransport(hub.application.test_client())  # no console cookies
    data = tmp_path / f"ward-{unit}"
    init_node(
        data,
        unit=unit,
        hub_url="http://hub.test",
        token=enrollment_token(tmp_path, unit),
        transport=transport,
    )
    session, conn = node_session(data, transport)
    session.chunk = 5000
    session.pull(SyncReport())
    return session, conn


def test_a_document_sent_with_pdfs_stores_them_and_routes_them_to_its_wards_only(
    tmp_path: Path, hub: FlaskClient
) -> None:
    console_login(hub, tmp_path / "hub")
    ward, ward_conn = _ward(tmp_path, hub, A)
    other, other_conn = _ward(tmp_path, hub, B)
    try:
        resp = _send(hub, [A], (DECISION, DECISION_NAME), (ANNEX, "phu-luc.pdf"))
        assert resp.status_code == 302, resp.text
        doc_id = resp.headers["Location"].rsplit("/", 1)[1]

        rows = _attachments(tmp_path, doc_id)
        assert [tuple(r)[1:] for r in rows] == [
            ("H57", "document", _sha(DECISION), DECISION_NAME, "application/pdf",
             len(DECISION), "admin"),
            ("H57", "document", _sha(ANNEX), "phu-luc.pdf", "application/pdf", len(ANNEX),
             "admin"),
        ]  # fmt: skip
        hub_blobs = BlobStore(tmp_path / "hub" / "blobs")
        assert hub_blobs.path(_sha(DECISION)).read_bytes() == DECISION
        assert hub_blobs.path(_sha(ANNEX)).read_bytes() == ANNEX
        for row in rows:
            assert _routes(tmp_path, "attachment", row["id"]) == {A}

        page = hub.get(resp.headers["Location"]).text
        assert "Đã gửi văn bản 1/QĐ-UBND kèm 2 tệp tới 1 đơn vị" in page
        link = f"{BASE}/van-ban/{doc_id}/tep/{rows[0]['id']}"
        assert f'href="{link}"' in page and f">{DECISION_NAME}</a>" in page
        with hub.get(link) as opened:  # closes the served file
            assert opened.status_code == 200 and opened.data == DECISION
            assert opened.mimetype == "application/pdf"
            assert opened.headers["Content-Disposition"] == (
                "inline; filename=\"Quyet inh phong chong lu.pdf\"; filename*=UTF-8''"
                "Quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh%20ph%C3%B2ng%20ch%E1%BB%91ng%20l%C5%A9.pdf"
            )

        # The addressed ward receives the records and fetches both files from the hub.
        ward.run()
        assert ward_conn.execute(
            "SELECT count(*) FROM attachment WHERE parent_id = ?", (doc_id,)
        ).fetchone()[0] == 2  # fmt: skip
        ward_blobs = BlobStore(tmp_path / f"ward-{A}" / "blobs")
        assert ward_blobs.path(_sha(DECISION)).read_bytes() == DECISION
        assert ward_blobs.path(_sha(ANNEX)).read_bytes() == ANNEX

        # The other ward holds neither the records nor the files, and the hub refuses them.
        other.run()
        assert other_conn.execute("SELECT count(*) FROM attachment").fetchone()[0] == 0
        assert not BlobStore(tmp_path / f"ward-{B}" / "blobs").has(_sha(DECISION))
        assert _ask_status(other, [_sha(DECISION)])["unknown"] == [_sha(DECISION)]
        fetch = {
            "kind": "blob_fetch",
            "sha256": _sha(DECISION),
            "offset": 0,
            "length": BLOB_CHUNK_SIZE,
        }
        with pytest.raises(RemoteRefused) as caught:
            other.transport.post("/sync/v1/blobs/download", _seal(other, fetch))
        assert caught.value.details["http_status"] == 404
        assert caught.value.code == "blob_not_found"
    finally:
        ward_conn.close()
        other_conn.close()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            [(b"\x89PNG\r\n\x1a\n" + b"0" * 100, "ban-quet.pdf")],
            "Tệp 'ban-quet.pdf' không phải tệp PDF (nhận biết theo nội dung tệp, không theo tên). "
            "Hãy quét hoặc lưu giấy tờ thành tệp PDF; văn bản Word, Excel hãy lưu thành PDF rồi "
            "đính kèm.",
        ),
        (
            [(ANNEX, "phu-luc.pdf"), (b"%PDF-" + b"0" * MAX_SCAN_BYTES, "Quyết định.pdf")],
            "Tệp 'Quyết định.pdf' lớn hơn 10 MB; hãy quét lại với độ phân giải thấp hơn.",
        ),
        (
            [(ANNEX, f"phu-luc-{i}.pdf") for i in range(6)],
            "Đính kèm tối đa 5 tệp PDF; bạn đã chọn 6 tệp.",
        ),
    ],
    ids=["not-a-pdf", "too-big", "too-many"],
)
def test_a_file_that_is_not_an_acceptable_pdf_is_refused_keeping_the_form_and_the_store(
    tmp_path: Path, hub: FlaskClient, files: list[tuple[bytes, str]], message: str
) -> None:
    console_login(hub, tmp_path / "hub")
    journal = _count(tmp_path, "journal")
    resp = _send(hub, [A, B], *files, signer="Nguyễn Văn A")
    assert resp.status_code == 400
    assert str(escape(message)) in resp.text
    assert '<input id="attachments" name="attachments" type="file"' in resp.text
    assert 'multiple aria-describedby="attachments-help" aria-invalid="true"' in resp.text
    assert "hãy chọn lại các tệp đính kèm" in resp.text
    assert "Về việc triển khai phương án phòng, chống lũ</textarea>" in resp.text
    assert f'value="{A}" checked' in resp.text and f'value="{B}" checked' in resp.text
    assert 'value="Nguyễn Văn A"' in resp.text
    assert (_count(tmp_path, "document"), _count(tmp_path, "attachment")) == (0, 0)
    assert _count(tmp_path, "journal") == journal
    assert _blob_files(tmp_path) == []


def test_a_document_without_files_says_so_and_its_file_links_need_a_login(
    tmp_path: Path, hub: FlaskClient
) -> None:
    console_login(hub, tmp_path / "hub")
    bare = _send(hub, [A])
    assert bare.status_code == 302
    bare_id = bare.headers["Location"].rsplit("/", 1)[1]
    page = hub.get(bare.headers["Location"]).text
    assert "Đã gửi văn bản 1/QĐ-UBND tới 1 đơn vị" in page
    assert "Văn bản này không kèm tệp nào." in page

    sent = _send(hub, [A], (DECISION, DECISION_NAME))
    doc_id = sent.headers["Location"].rsplit("/", 1)[1]
    (row,) = _attachments(tmp_path, doc_id)
    # An attachment is served only under its own document.
    assert hub.get(f"{BASE}/van-ban/{bare_id}/tep/{row['id']}").status_code == 404
    stranger = hub.application.test_client()
    resp = stranger.get(f"{BASE}/van-ban/{doc_id}/tep/{row['id']}")
    assert resp.status_code == 302 and "/console/dang-nhap" in resp.headers["Location"]


def test_the_api_sends_a_document_with_its_pdfs_as_multipart(
    tmp_path: Path, hub: FlaskClient
) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    body = {"doc_type": "Công văn", "summary": "Về việc trực bão", "units": [B]}
    resp = hub.post(
        "/api/v1/documents",
        headers=admin,
        data={"document": json.dumps(body), "attachments": _files((ANNEX, "cong-van.pdf"))},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    sent = resp.get_json()
    assert [(a["name"], a["sha256"], a["size"]) for a in sent["attachments"]] == [
        ("cong-van.pdf", _sha(ANNEX), len(ANNEX))
    ]
    listed = hub.get(f"/api/v1/documents/{sent['id']}", headers=admin).get_json()
    assert [a["id"] for a in listed["attachments"]] == [sent["attachments"][0]["id"]]
    assert _routes(tmp_path, "attachment", sent["attachments"][0]["id"]) == {B}

    refused = hub.post(
        "/api/v1/documents",
        headers=admin,
        data={"document": json.dumps(body), "attachments": _files((b"<html>", "x.pdf"))},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 415
    assert refused.get_json()["error"]["code"] == "unsupported_file_type"
    assert refused.get_json()["error"]["message"].startswith(
        "Tệp 'x.pdf' không phải tệp PDF (nhận biết theo nội dung tệp, không theo tên)."
    )
    assert _count(tmp_path, "document") == 1 and _count(tmp_path, "attachment") == 1
    # The JSON body without files works as before.
    plain = hub.post("/api/v1/documents", headers=admin, json=body)
    assert plain.status_code == 201 and plain.get_json()["attachments"] == []
