"""The citizens' portal within bounds (docs/security.md, "Resource bounds", "Files"): the rate
limit and the size of a submission are checked before its body is read, a submission is
idempotent (a one-time token, Post/Redirect/Get), and the scans of submissions no ward
received, or that a ward refused, are deleted after a documented period while the dossier
stays."""

from __future__ import annotations

import hashlib
import io
import re
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from central_hub import files
from central_hub.portal import submission as submit
from central_hub.store import open_store as open_hub
from sync import BlobStore, select_records
from tests.hub.portal.test_online_submission import _form, _ward
from tests.support import scan_pdf
from ward_node.dossiers import Dossiers
from ward_node.store import load_clock
from webapp import User


class CountingStream(io.BytesIO):
    """A request body that counts how much of it the app read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        block = super().read(size)
        self.taken += len(block)
        return block

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.taken += len(line)
        return line


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _count(tmp_path: Path, table: str) -> int:
    conn = open_hub(tmp_path / "hub")
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def _blobs(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "hub" / "blobs").rglob("*") if p.is_file()]


def _raw_post(hub: FlaskClient, body: bytes, length: int | None = None) -> tuple[Any, int]:
    stream = CountingStream(body)
    resp = hub.post(
        "/nop-ho-so",
        input_stream=stream,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(len(body) if length is None else length)},
    )
    return resp, stream.taken


def test_past_the_rate_limit_the_body_is_never_read(tmp_path: Path, hub: FlaskClient) -> None:
    for _ in range(submit.SUBMIT_PER_MINUTE):
        sent = hub.post("/nop-ho-so", data=_form(tmp_path), content_type="multipart/form-data")
        assert sent.status_code == 303
    files_before = _blobs(tmp_path)
    resp, taken = _raw_post(hub, b"--x\r\n" + b"A" * 1_000_000)
    assert resp.status_code == 429
    assert "Hãy đợi một phút rồi nộp lại." in resp.text
    assert taken == 0
    assert _count(tmp_path, "dossier") == submit.SUBMIT_PER_MINUTE
    assert _blobs(tmp_path) == files_before


def test_a_submission_larger_than_the_cap_is_refused_unread(
    tmp_path: Path, hub: FlaskClient
) -> None:
    resp, taken = _raw_post(hub, b"--x\r\n", length=submit.MAX_SUBMISSION_BYTES + 1)
    assert resp.status_code == 413
    assert "Tổng dung lượng các tệp gửi một lần không được quá 25 MB" in resp.text
    assert taken == 0
    assert _count(tmp_path, "dossier") == 0 and _blobs(tmp_path) == []


def test_five_scans_at_the_per_file_limit_exceed_the_submission_cap(
    tmp_path: Path, hub: FlaskClient
) -> None:
    scan = scan_pdf(submit.MAX_SCAN_BYTES)
    fields = {k: v for k, v in _form(tmp_path).items() if k != "scans"}
    files_ = [FileStorage(io.BytesIO(scan), f"trang-{i}.pdf") for i in range(5)]
    # Encoded here, in memory: the test client spools large bodies to a file it never closes.
    boundary, body = encode_multipart(MultiDict([*fields.items(), *(("scans", f) for f in files_)]))
    resp = hub.post(
        "/nop-ho-so", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert resp.status_code == 413
    assert _count(tmp_path, "dossier") == 0 and _blobs(tmp_path) == []


def test_posting_the_same_form_again_makes_no_second_dossier(
    tmp_path: Path, hub: FlaskClient
) -> None:
    form = _form(tmp_path)
    token = form["submission"]
    scan = form["scans"][0].getvalue()  # type: ignore[index]
    first = hub.post("/nop-ho-so", data=form, content_type="multipart/form-data")
    assert first.status_code == 303
    assert first.headers["Location"] == f"/nop-ho-so/da-nop/{token}"
    # The browser's "resubmit" after Back, or a reload of the POST itself.
    again = hub.post(
        "/nop-ho-so",
        data=_form(tmp_path, submission=token, scans=(io.BytesIO(scan), "giay-to.pdf")),
        content_type="multipart/form-data",
    )
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert (_count(tmp_path, "dossier"), _count(tmp_path, "attachment")) == (1, 1)
    assert _count(tmp_path, "dossier_step") == 1

    # Reloading the confirmation only shows it again.
    pages = [hub.get(first.headers["Location"]) for _ in range(2)]
    for page in pages:
        assert page.status_code == 200 and "Đã nộp hồ sơ" in page.text
        assert page.headers["Cache-Control"] == "no-store"
    codes = {re.search(r'id="code">([^<]+)<', p.text).group(1) for p in pages}  # type: ignore[union-attr]
    assert len(codes) == 1
    assert _count(tmp_path, "dossier") == 1


def test_a_double_click_makes_one_dossier(tmp_path: Path, hub: FlaskClient) -> None:
    form = _form(tmp_path)
    scan = form["scans"][0].getvalue()  # type: ignore[index]
    answers: list[int] = []

    def post() -> None:
        client = hub.application.test_client()
        data = dict(form, scans=(io.BytesIO(scan), "giay-to.pdf"))
        answers.append(
            client.post("/nop-ho-so", data=data, content_type="multipart/form-data").status_code
        )

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert answers == [303, 303]
    assert (_count(tmp_path, "dossier"), _count(tmp_path, "portal_submissions")) == (1, 1)


def test_a_form_without_its_token_writes_nothing(tmp_path: Path, hub: FlaskClient) -> None:
    form = _form(tmp_path)
    del form["submission"]
    resp = hub.post("/nop-ho-so", data=form, content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "Hãy tải lại trang rồi nộp lại." in resp.text
    assert 'value="Nguyễn Thị Lan"' in resp.text  # what was typed stays
    assert re.search(r'name="submission" value="[A-Za-z0-9_-]{32}"', resp.text)
    assert _count(tmp_path, "dossier") == 0 and _blobs(tmp_path) == []


def test_the_confirmation_is_shown_for_an_hour_only(tmp_path: Path, hub: FlaskClient) -> None:
    sent = hub.post("/nop-ho-so", data=_form(tmp_path), content_type="multipart/form-data")
    conn = open_hub(tmp_path / "hub")
    with conn:
        conn.execute(
            "UPDATE portal_submissions SET created_at = ?",
            (time.time() - submit.CONFIRMATION_SECONDS - 1,),
        )
    conn.close()
    late = hub.get(sent.headers["Location"])
    assert late.status_code == 404
    assert "Hãy tra cứu hồ sơ bằng mã hồ sơ" in late.text
    assert "Nguyễn Thị Lan" not in late.text
    assert hub.get("/nop-ho-so/da-nop/khong-co").status_code == 404


def test_scans_nobody_received_or_refused_long_ago_expire_and_the_dossier_stays(
    tmp_path: Path, hub: FlaskClient
) -> None:
    session, ward_conn = _ward(tmp_path, hub)
    scans = {name: scan_pdf(2000) for name in ("bo-qua", "tu-choi", "tiep-nhan", "chung")}
    shared = scans["chung"]

    def send(name: str, *extra: bytes) -> None:
        extras = [(io.BytesIO(b), f"them-{i}.pdf") for i, b in enumerate(extra)]
        form = _form(tmp_path, scans=[(io.BytesIO(scans[name]), f"{name}.pdf"), *extras])
        form["full_name"] = "Nguyễn Thị Lan"
        form["notes"] = name
        assert (
            hub.post("/nop-ho-so", data=form, content_type="multipart/form-data").status_code == 303
        )

    send("bo-qua", shared)  # never received; shares a scan with a received one
    session.run()
    send("tu-choi")
    send("tiep-nhan", shared)
    session.run()
    officer = User("officer", "officer", "Cán bộ một cửa")
    desk = Dossiers(ward_conn, load_clock(ward_conn))
    by_note = {d["notes"]: d for d in select_records(ward_conn, "dossier")}
    desk.act(by_note["tu-choi"]["id"], {"action": "refuse", "note": "Sai thủ tục"}, officer)
    desk.act(by_note["tiep-nhan"]["id"], {"action": "receive"}, officer)
    session.run()  # "bo-qua" stays in status 1: its ward never received it

    conn = open_hub(tmp_path / "hub")
    store = BlobStore(tmp_path / "hub" / "blobs")
    try:
        # Within the period nothing goes.
        assert files.expire_unclaimed_scans(conn, store) == 0
        later = datetime.now().astimezone() + timedelta(days=files.SCAN_RETENTION_DAYS + 1)
        deleted = files.expire_unclaimed_scans(conn, store, now=later)
        held = {name: store.has(_sha(data)) for name, data in scans.items()}
        assert deleted == 2
        assert held == {"bo-qua": False, "tu-choi": False, "tiep-nhan": True, "chung": True}
        # The dossiers and their attachment records stay, as the history of what was sent.
        assert conn.execute("SELECT count(*) FROM dossier").fetchone()[0] == 3
        assert conn.execute("SELECT count(*) FROM attachment").fetchone()[0] == 5
        assert (
            conn.execute(
                "SELECT count(*) FROM blob_sources WHERE sha256 = ?", (_sha(scans["tu-choi"]),)
            ).fetchone()[0]
            == 0
        )
    finally:
        conn.close()
        ward_conn.close()
