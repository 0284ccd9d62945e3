"""The console's statistics and SMS log pages (``console/stats.py``, ``sms/pages.py``),
through the Flask test client, over dossiers and messages written at the hub at fixed dates."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from openpyxl import load_workbook

from central_hub.dossiers.stats import directive_lines, ward_lines
from central_hub.store import capture, open_store
from sync import Write
from tests.support import console_login

A, B = "19786", "19789"
MARCH = {"from": "01/03/2026", "to": "31/03/2026"}


def _id(n: int) -> str:
    return f"00000000-0000-7000-8000-{n:012d}"


def _dossier(n: int, unit: str, received: str, status: int, **fields: Any) -> Write:
    record = {
        "code": f"W{unit}-260301-{n:04d}",
        "procedure_code": "1.001",
        "applicant": {"full_name": "Nguyễn Văn An"},
        "channel": "in_person",
        "status": status,
        "received_at": received,
        **fields,
    }
    return Write("dossier", _id(n), unit, record)


def _resolved_step(n: int, unit: str, dossier: int, at: str) -> Write:
    fields = {"dossier_id": _id(dossier), "action": "return", "to_status": 9, "actor": "canbo"}
    return Write("dossier_step", _id(n), unit, {**fields, "at": at})


def _march(tmp_path: Path) -> None:
    """Ward A: received 3, resolved 2 (one early, one late by its ORIGINAL due date), one
    open and overdue. Ward B: received 1, resolved 2 on time (one by ``completed_at`` late in
    the evening of its due date, one received in February), one online never accepted."""
    conn = open_store(tmp_path / "hub")
    capture(conn).write_many(
        [
            _dossier(1, A, "2026-03-02T02:00:00+00:00", 9, due_at="2026-03-10T10:00:00+00:00"),
            _resolved_step(101, A, 1, "2026-03-09T03:00:00+00:00"),
            _dossier(
                2,
                A,
                "2026-03-03T02:00:00+00:00",
                9,
                due_at="2026-03-20T10:00:00+00:00",
                original_due_at="2026-03-10T10:00:00+00:00",
            ),
            _resolved_step(102, A, 2, "2026-03-12T03:00:00+00:00"),
            _dossier(3, A, "2026-03-04T02:00:00+00:00", 4, due_at="2026-03-15T10:00:00+00:00"),
            _dossier(
                4,
                B,
                "2026-03-05T02:00:00+00:00",
                10,
                due_at="2026-03-06T10:00:00+00:00",
                completed_at="2026-03-06T16:30:00+00:00",  # 23:30 on the 6th in Huế
            ),
            _dossier(5, B, "2026-02-20T02:00:00+00:00", 9, due_at="2026-03-01T10:00:00+00:00"),
            _resolved_step(105, B, 5, "2026-03-01T00:30:00+00:00"),
            _dossier(6, B, "2026-03-07T02:00:00+00:00", 1, channel="online"),
        ],
        actor="admin",
    )
    conn.close()


def test_statistics_rank_wards_by_on_time_rate_comparing_dates_with_the_original_due_date(
    tmp_path: Path, hub: FlaskClient
) -> None:
    _march(tmp_path)
    console_login(hub, tmp_path / "hub", "operator")
    page = hub.get("/console/thong-ke", query_string=MARCH)
    assert page.status_code == 200, page.text
    text = page.text
    assert text.index(f"({B})</td>") < text.index(f"({A})</td>")
    assert "100,0 %" in text and "50,0 %" in text and "<svg" in text

    resp = hub.get("/console/thong-ke.csv", query_string=MARCH)
    assert resp.status_code == 200 and resp.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[1][:3] == ["Hạng", "Đơn vị", "Tiếp nhận"]
    assert rows[2] == ["1", B, "1", "2", "2", "100.0", "0"]
    assert rows[3] == ["2", A, "3", "2", "1", "50.0", "1"]

    resp = hub.get("/console/thong-ke.xlsx", query_string=MARCH)
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.data)).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert values == [[1, B, 1, 2, 2, 100.0, 0], [2, A, 3, 2, 1, 50.0, 1]]


def test_a_bad_period_is_refused_with_a_sentence(tmp_path: Path, hub: FlaskClient) -> None:
    console_login(hub, tmp_path / "hub")
    resp = hub.get("/console/thong-ke", query_string={"from": "2026-03-01", "to": "x"})
    assert resp.status_code == 422
    assert "ngày/tháng/năm" in resp.text


def test_directive_completion_counts_done_open_and_overdue_per_lead_unit() -> None:
    def d(unit: str, status: str, deadline: str | None) -> dict[str, Any]:
        return {"lead_unit": unit, "status": status, "deadline": deadline}

    lines = directive_lines(
        [
            d(A, "done", "2026-03-01"),
            d(A, "in_progress", "2026-03-01"),
            d(A, "assigned", "2026-12-01"),
            d(B, "cancelled", "2026-03-01"),
            d(B, "assigned", None),
        ],
        date(2026, 3, 10),
    )
    assert [(x.unit, x.done, x.open, x.overdue) for x in lines] == [(A, 1, 2, 1), (B, 0, 1, 0)]


def test_a_ward_without_resolved_dossiers_ranks_last() -> None:
    lines = ward_lines([], [], date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 1), units=[A])
    assert lines[0].unit == A and lines[0].on_time_rate is None


def _sms(n: int, unit: str, status: str, queued: str, **fields: Any) -> Write:
    record = {
        "dossier_id": _id(n),
        "dossier_code": f"W{unit}-260301-{n:04d}",
        "phone": "+84905000111",
        "text": "Ho so da duoc tiep nhan",
        "kind": "received",
        "status": status,
        "attempts": 0,
        "queued_at": queued,
        **fields,
    }
    return Write("sms", _id(500 + n), unit, record)


def test_the_sms_log_lists_messages_newest_first_with_status_and_filters(
    tmp_path: Path, hub: FlaskClient
) -> None:
    conn = open_store(tmp_path / "hub")
    capture(conn).write_many(
        [
            _sms(1, A, "delivered", "2026-03-02T02:00:00+00:00", attempts=1),
            _sms(2, B, "failed", "2026-03-03T02:00:00+00:00", attempts=2, last_error="Hết giờ"),
        ],
        actor="admin",
    )
    retry = datetime(2026, 3, 3, 3, 0, tzinfo=UTC).timestamp()
    with conn:
        conn.execute(
            "INSERT INTO sms_dispatch (sms_id, next_attempt_at, done) VALUES (?, ?, 0)",
            (_id(502), retry),
        )
    conn.close()
    console_login(hub, tmp_path / "hub")
    page = hub.get("/console/tin-nhan")
    assert page.status_code == 200, page.text
    text = page.text
    assert text.index(f"W{B}-260301-0002") < text.index(f"W{A}-260301-0001")
    assert "Đã nhận" in text and "Thất bại" in text and "Hết giờ" in text
    assert "03/03/2026 10:00" in text  # the retry, in Huế time

    only_failed = hub.get("/console/tin-nhan?status=failed").text
    assert f"W{B}-260301-0002" in only_failed and f"W{A}-260301-0001" not in only_failed
    only_a = hub.get(f"/console/tin-nhan?unit={A}").text
    assert f"W{A}-260301-0001" in only_a and f"W{B}-260301-0002" not in only_a


def test_each_page_needs_a_login_and_the_sms_log_an_administrator(
    tmp_path: Path, hub: FlaskClient
) -> None:
    for path in ("/console/thong-ke", "/console/thong-ke.csv", "/console/tin-nhan"):
        resp = hub.get(path)
        assert resp.status_code == 302 and "/console/dang-nhap" in resp.headers["Location"]
    console_login(hub, tmp_path / "hub", "operator")
    assert hub.get("/console/thong-ke").status_code == 200
    assert hub.get("/console/tin-nhan").status_code == 403


# -- reference data --------------------------------------------------------------------------


def _catalogue(tmp_path: Path, type_name: str = "procedure", order: str = "code") -> list[dict]:
    from central_hub.reference.edit import reference

    conn = open_store(tmp_path / "hub")
    try:
        return reference(conn, type_name, order)
    finally:
        conn.close()


def _form(hub: FlaskClient, path: str) -> str:
    from tests.support import csrf_of

    return csrf_of(hub.get(path).text)


def test_an_administrator_edits_a_procedure_and_adds_one(tmp_path: Path, hub: FlaskClient) -> None:
    code = _catalogue(tmp_path)[0]["code"]
    console_login(hub, tmp_path / "hub")
    assert code in hub.get("/console/thu-tuc").text
    resp = hub.post(
        f"/console/thu-tuc/{code}",
        data={
            "csrf_token": _form(hub, f"/console/thu-tuc/{code}"),
            "name": "Đăng ký khai sinh (sửa)",
            "limit_value": "1,5",
            "limit_unit": "working_days",
            "fee": "8.000",
            "same_day_cutoff": "15:30",
            "supplement_rule": "recompute",
            "papers": "Tờ khai | Bản chính\nGiấy chứng sinh | certified_copy | 2\n",
        },
    )
    assert resp.status_code == 302, resp.text
    saved = {p["code"]: p for p in _catalogue(tmp_path)}[code]
    assert saved["name"] == "Đăng ký khai sinh (sửa)"
    assert (saved["limit_value"], saved["fee"], saved["same_day_cutoff"]) == (1.5, 8000, "15:30")
    assert saved["supplement_rule"] == "recompute" and saved["active"] is False
    assert saved["papers"] == [
        {"name": "Tờ khai", "kind": "original"},
        {"name": "Giấy chứng sinh", "kind": "certified_copy", "sets": 2},
    ]
    assert "lần đồng bộ tới" in hub.get(resp.headers["Location"]).text

    bad = hub.post(
        f"/console/thu-tuc/{code}",
        data={
            "csrf_token": _form(hub, f"/console/thu-tuc/{code}"),
            "name": "X",
            "limit_value": "2",
            "limit_unit": "working_days",
            "fee": "0",
            "supplement_rule": "extend",
            "papers": "Tờ khai | giấy lộn",
        },
    )
    assert bad.status_code == 422 and "Giấy tờ dòng 1" in bad.text
    assert {p["code"]: p for p in _catalogue(tmp_path)}[code]["name"] == saved["name"]

    resp = hub.post(
        "/console/thu-tuc/moi",
        data={
            "csrf_token": _form(hub, "/console/thu-tuc/moi"),
            "code": "9.999",
            "name": "Thủ tục thử",
            "limit_value": "3",
            "limit_unit": "calendar_days",
            "fee": "0",
            "supplement_rule": "extend",
            "active": "1",
            "papers": "",
        },
    )
    assert resp.status_code == 302, resp.text
    added = {p["code"]: p for p in _catalogue(tmp_path)}["9.999"]
    assert added["active"] is True and added["limit_unit"] == "calendar_days"


def _submitted(page: str) -> dict[str, Any]:
    """What a browser sends for the page's procedure form as it stands (lxml reads it as one)."""
    import lxml.html

    form = next(f for f in lxml.html.fromstring(page).forms if "name" in f.fields)
    fields: dict[str, Any] = {}
    for name, value in form.form_values():
        fields.setdefault(name, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}


def test_an_administrator_sets_how_the_fee_grows_and_the_legal_basis(
    tmp_path: Path, hub: FlaskClient
) -> None:
    code = "2.000815"  # attested copies: by the page of each copy (Circular 226/2016/TT-BTC)
    before = {p["code"]: p for p in _catalogue(tmp_path)}[code]
    assert before["fee_rule"]["basis"] == "page" and before["legal_basis"]
    console_login(hub, tmp_path / "hub")
    path = f"/console/thu-tuc/{code}"
    page = hub.get(path).text
    shown = _submitted(page)
    assert shown["fee_basis"] == "page" and shown["fee_forms"] == "copy"
    assert (shown["fee_first_pages"], shown["fee_next_rate"], shown["fee_cap"]) == (
        "2",
        "1000",
        "200000",
    )
    assert shown["legal_basis"] == before["legal_basis"]
    # Saving the page as it stands changes nothing.
    assert hub.post(path, data=shown).status_code == 302
    assert {p["code"]: p for p in _catalogue(tmp_path)}[code] == before

    by_copy = {**shown, "fee_basis": "copy", "fee_forms": ["certified_copy", "copy"]}
    by_copy["legal_basis"] = "Nghị định 23/2015/NĐ-CP\u0301"  # a combining mark typed apart
    assert hub.post(path, data=by_copy).status_code == 302
    saved = {p["code"]: p for p in _catalogue(tmp_path)}[code]
    assert saved["fee_rule"] == {"basis": "copy", "forms": ["copy", "certified_copy"]}
    assert saved["legal_basis"] == unicodedata.normalize("NFC", by_copy["legal_basis"])

    for wrong, field in (
        ({"fee_basis": "page", "fee_forms": []}, "fee_forms"),
        ({"fee_basis": "page", "fee_next_rate": "một nghìn"}, "fee_next_rate"),
        ({"fee_basis": "theo-ý"}, "fee_basis"),
        ({"fee_basis": "page", "fee_cap": "-5"}, "fee_rule"),
    ):
        resp = hub.post(path, data={**by_copy, "csrf_token": _form(hub, path), **wrong})
        assert resp.status_code == 422, (wrong, resp.text)
        assert {p["code"]: p for p in _catalogue(tmp_path)}[code] == saved, field

    once = {**_submitted(hub.get(path).text), "fee_basis": "case", "legal_basis": " "}
    assert hub.post(path, data=once).status_code == 302
    saved = {p["code"]: p for p in _catalogue(tmp_path)}[code]
    assert saved.get("fee_rule") is None and saved.get("legal_basis") is None
    # A form from before these inputs (no fee_basis, no legal_basis) leaves them alone.
    assert hub.post(path, data={**by_copy, "csrf_token": _form(hub, path)}).status_code == 302
    stale = {k: v for k, v in by_copy.items() if not k.startswith(("fee_", "legal_"))}
    assert hub.post(path, data={**stale, "csrf_token": _form(hub, path)}).status_code == 302
    kept = {p["code"]: p for p in _catalogue(tmp_path)}[code]
    assert kept["fee_rule"] == {"basis": "copy", "forms": ["copy", "certified_copy"]}


def test_an_administrator_adds_and_deletes_a_day_off(tmp_path: Path, hub: FlaskClient) -> None:
    console_login(hub, tmp_path / "hub")
    resp = hub.post(
        "/console/lich",
        data={
            "csrf_token": _form(hub, "/console/lich"),
            "date": "15/06/2027",
            "kind": "holiday",
            "name": "Nghỉ thử",
        },
    )
    assert resp.status_code == 302
    days = {d["date"]: d for d in _catalogue(tmp_path, "calendar_day", "date")}
    assert days["2027-06-15"]["kind"] == "holiday" and days["2027-06-15"]["deleted"] is False
    page = hub.get("/console/lich?nam=2027").text
    assert "15/06/2027" in page and "Nghỉ thử" in page

    resp = hub.post(
        "/console/lich/2027-06-15/xoa", data={"csrf_token": _form(hub, "/console/lich")}
    )
    assert resp.status_code == 302
    days = {d["date"]: d for d in _catalogue(tmp_path, "calendar_day", "date")}
    assert days["2027-06-15"]["deleted"] is True  # a tombstone, which the wards ignore


def test_an_operator_sees_the_reference_data_but_cannot_change_it(
    tmp_path: Path, hub: FlaskClient
) -> None:
    before = _catalogue(tmp_path)
    code = before[0]["code"]
    for path in ("/console/thu-tuc", f"/console/thu-tuc/{code}", "/console/lich"):
        assert hub.get(path).status_code == 302
    console_login(hub, tmp_path / "hub", "operator")
    page = hub.get(f"/console/thu-tuc/{code}")
    assert page.status_code == 200 and "disabled>" in page.text and ">Lưu<" not in page.text
    token = _form(hub, "/console/thong-ke")
    data = {"csrf_token": token, "name": "Sửa trái phép", "limit_value": "1", "fee": "0"}
    assert hub.post(f"/console/thu-tuc/{code}", data=data).status_code == 403
    assert hub.post("/console/thu-tuc/moi", data={"csrf_token": token}).status_code == 403
    day = {"csrf_token": token, "date": "15/06/2027", "kind": "holiday"}
    assert hub.post("/console/lich", data=day).status_code == 403
    assert _catalogue(tmp_path) == before
    dates = [d["date"] for d in _catalogue(tmp_path, "calendar_day", "date")]
    assert "2027-06-15" not in dates
