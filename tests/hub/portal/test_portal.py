"""The citizens' portal at the hub: home, look-up form and page, the submission form's help and
its refusals, the printable confirmation, and errors as pages (JSON only for machines)."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from central_hub.store import capture
from central_hub.store import open_store as open_hub
from sync import Write
from tests.hub.portal.test_online_submission import WARD, _form, _procedure


def test_the_home_page_leads_to_submission_and_look_up(hub: FlaskClient) -> None:
    page = hub.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'href="/nop-ho-so"' in text and 'action="/tra-cuu"' in text
    assert "27 phường" in text and "14 thủ tục" in text
    assert hub.get("/tra-cuu").status_code == 200
    jump = hub.get("/tra-cuu?code=  h57.19786-261128-5001 ")
    assert jump.status_code == 302 and jump.headers["Location"].endswith(
        "/tra-cuu/H57.19786-261128-5001"
    )


def test_the_look_up_page_shows_local_times_and_masks_the_name(
    tmp_path: Path, hub: FlaskClient
) -> None:
    sent = hub.post(
        "/nop-ho-so",
        data=_form(tmp_path),
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    code = re.search(r'id="code">([^<]+)<', sent.get_data(as_text=True))
    assert code is not None
    page = hub.get(f"/tra-cuu/{code.group(1)}").get_data(as_text=True)
    assert "Nguyễn T* L*" in page and "Nguyễn Thị Lan" not in page
    assert re.search(r"<time datetime=\"[^\"]+\">\d\d/\d\d/\d{4} \d\d:\d\d</time>", page)
    assert "Chưa có (phường sẽ hẹn khi tiếp nhận)" in page
    missing = hub.get("/tra-cuu/H57.19786-000000-0000")
    assert missing.status_code == 404
    assert "Không tìm thấy hồ sơ với mã này" in missing.get_data(as_text=True)


def test_the_confirmation_is_printable_with_a_qr_code_to_the_look_up(
    tmp_path: Path, hub: FlaskClient
) -> None:
    sent = hub.post(
        "/nop-ho-so",
        data=_form(tmp_path),
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = sent.get_data(as_text=True)
    assert sent.status_code == 200
    assert 'aria-label="Mã QR để tra cứu hồ sơ"' in page and "<path" in page
    # The print button works through public.js: no inline handler (docs/security.md).
    assert "Giấy xác nhận nộp hồ sơ trực tuyến" in page and "data-print" in page
    assert "1 tệp bản quét" in page and "tính từ khi phường tiếp nhận" in page


def test_the_form_explains_each_procedure_and_marks_the_wrong_field(
    tmp_path: Path, hub: FlaskClient
) -> None:
    form = hub.get("/nop-ho-so").get_data(as_text=True)
    procedure = _procedure(tmp_path)
    assert f'data-procedure="{procedure}"' in form and "Thời hạn giải quyết:" in form
    assert "<optgroup" in form
    refused = hub.post(
        "/nop-ho-so",
        data=_form(tmp_path, id_number="12345"),
        content_type="multipart/form-data",
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Số CCCD phải gồm đúng 12 chữ số." in page
    marked = re.search(r'<input id="id_number"[^>]*>', page)
    assert marked is not None and 'aria-invalid="true"' in marked.group(0)
    assert 'value="Nguyễn Thị Lan"' in page  # what the citizen typed stays


def test_a_ward_whose_validity_ended_is_not_offered(tmp_path: Path, hub: FlaskClient) -> None:
    conn = open_hub(tmp_path / "hub")
    row = conn.execute("SELECT id, name FROM unit WHERE code = ?", (WARD,)).fetchone()
    capture(conn).write_many(
        [Write("unit", row[0], "H57", {"valid_to": "2025-06-30"})], actor="admin"
    )
    conn.close()
    assert f'value="{WARD}"' not in hub.get("/nop-ho-so").get_data(as_text=True)
    refused = hub.post("/nop-ho-so", data=_form(tmp_path), content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "Hãy chọn phường nhận hồ sơ trong danh sách." in refused.get_data(as_text=True)


def test_errors_are_pages_for_people_and_json_for_machines(hub: FlaskClient) -> None:
    public = hub.get("/khong-co-trang-nay")
    assert public.status_code == 404 and public.mimetype == "text/html"
    assert "Không tìm thấy trang này" in public.get_data(as_text=True)
    console = hub.get("/console/khong-co")
    assert console.status_code == 404 and console.mimetype == "text/html"
    assert "Về trang các đơn vị" in console.get_data(as_text=True)
    for path in ("/api/v1/khong-co", "/console/api/khong-co", "/sync/v1/khong-co"):
        answer = hub.get(path)
        assert answer.status_code == 404 and answer.is_json, path
        assert answer.get_json()["error"]["code"] == "not_found"
