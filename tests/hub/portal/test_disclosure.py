"""Public disclosure at the hub (issue [11], "The portal" and "Public disclosure"): the
look-up of a refused dossier and of a supplement request, the procedure catalogue searched
without diacritics, the results by Huế month, a ward's hall screen with masked names only, and
the city's directives screen behind the console's login. On both engines of the hub's store."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path

from flask.testing import FlaskClient

from central_hub.portal.catalogue import shown
from central_hub.store import open_store as open_hub
from office import VIETNAM
from sync import Write, fold
from tests.hub.portal import seeding
from tests.hub.portal.seeding import OTHER_WARD, WARD
from tests.support import console_login, hub_token


def _write(tmp_path: Path, writes: list[Write]) -> None:
    conn = open_hub(tmp_path / "hub")
    try:
        seeding.write(conn, writes)
    finally:
        conn.close()


def _cells(page: str, attribute: str, value: str) -> list[str]:
    """The cells of the table row ``<tr {attribute}="{value}">``, as text."""
    row = re.search(rf'<tr {attribute}="{value}">(.*?)</tr>', page, re.S)
    assert row is not None, (attribute, value)
    return [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(1), re.S)
    ]


# -- the look-up ------------------------------------------------------------------------------


def test_a_refused_dossier_shows_its_reason_and_refusal_date_not_a_due_date(
    tmp_path: Path, hub: FlaskClient
) -> None:
    reason = "Hồ sơ thiếu giấy chứng sinh; mời ông/bà nộp lại khi đủ giấy tờ."
    writes = seeding.dossier(
        WARD,
        5001,
        3,
        "2026-12-01T02:00:00+00:00",
        channel="online",
        steps=(
            ("submit_online", 1, "2026-12-01T02:00:00+00:00", "Nộp hồ sơ trực tuyến"),
            ("refuse", 3, "2026-12-01T17:30:00+00:00", reason),
        ),
    )
    _write(tmp_path, writes)
    code = writes[0].fields["code"]
    page = hub.get(f"/tra-cuu/{code}").get_data(as_text=True)
    assert "Lý do không tiếp nhận" in page and reason.replace("/", "/") in page
    # 17:30 UTC on the 1st is 00:30 on the 2nd in Huế: the refusal's date is the Huế date.
    assert re.search(r"Ngày từ chối tiếp nhận</dt>\s*<dd><strong id=\"ended\">02/12/2026", page)
    assert "Chưa có" not in page and 'id="due"' not in page
    data = hub.get(f"/api/v1/public/dossiers/{code}").get_json()
    assert data["due_at"] is None and data["ended_at"] == "2026-12-01T17:30:00+00:00"
    assert data["refusal_reason"] == reason and data["supplement"] is None
    assert "Trần Thị Bình" not in page  # no staff names


def test_a_supplement_request_lists_the_papers_and_keeps_other_notes_hidden(
    tmp_path: Path, hub: FlaskClient
) -> None:
    writes = seeding.dossier(
        WARD,
        7,
        5,
        "2026-12-01T02:00:00+00:00",
        due_at="2026-12-04T10:00:00+07:00",
        steps=(
            ("receive", 2, "2026-12-01T02:00:00+00:00", "Ghi chú nội bộ của cán bộ"),
            ("start", 4, "2026-12-01T03:00:00+00:00", None),
            (
                "request_supplement",
                5,
                "2026-12-02T03:00:00+00:00",
                "1. Giấy chứng sinh (bản chính)\n2. Giấy chứng nhận kết hôn của cha mẹ; "
                "- Bản sao CCCD của người đi đăng ký",
            ),
        ),
    )
    _write(tmp_path, writes)
    code = writes[0].fields["code"]
    page = hub.get(f"/tra-cuu/{code}").get_data(as_text=True)
    papers = re.search(r'<ol id="supplement-papers">(.*?)</ol>', page, re.S)
    assert papers is not None
    assert re.findall(r"<li>(.*?)</li>", papers.group(1)) == [
        "Giấy chứng sinh (bản chính)",
        "Giấy chứng nhận kết hôn của cha mẹ",
        "Bản sao CCCD của người đi đăng ký",
    ]
    assert "Ngày yêu cầu: 02/12/2026" in page and 'id="due"' in page
    assert "Ghi chú nội bộ" not in page  # only what form 02 tells the citizen
    data = hub.get(f"/api/v1/public/dossiers/{code}").get_json()
    assert data["supplement"]["papers"][0] == "Giấy chứng sinh (bản chính)"
    assert data["supplement"]["note"] is None and data["ended_at"] is None


# -- the catalogue ----------------------------------------------------------------------------


def _codes(page: str) -> list[str]:
    return re.findall(r'<tr data-code="([^"]+)">', page)


def test_the_catalogue_is_searched_without_diacritics(hub: FlaskClient) -> None:
    everything = hub.get("/thu-tuc").get_data(as_text=True)
    assert "1.001193" in _codes(everything) and "Đăng ký khai sinh" in everything
    for query in ("khai sinh", "KHAI SINH", "khai  sinh "):
        page = hub.get("/thu-tuc", query_string={"q": query}).get_data(as_text=True)
        assert "1.001193" in _codes(page), query
        names = re.findall(r'<tr data-code="[^"]+">\s*<td><a [^>]*>([^<]+)</a>', page)
        assert names and all("khai sinh" in fold(n) for n in names)
    plain = _codes(hub.get("/thu-tuc?q=dang+ky+ket+hon").get_data(as_text=True))
    marked = _codes(
        hub.get("/thu-tuc", query_string={"q": "Đăng ký kết hôn"}).get_data(as_text=True)
    )
    assert "1.000894" in plain and plain == marked
    none = hub.get("/thu-tuc?q=khong+co+thu+tuc+nay").get_data(as_text=True)
    assert _codes(none) == [] and "0 thủ tục khớp" in none and "Hãy thử từ khác" in none


def test_a_procedure_page_shows_papers_fee_limit_wards_and_its_forms(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    admin = hub_token(hub, tmp_path / "hub")
    refused = hub.post(
        "/api/v1/procedures/1.001193/forms",
        data={"file": (io.BytesIO(b"MZ not a pdf"), "to-khai.exe")},
        headers=admin,
        content_type="multipart/form-data",
    )
    assert refused.status_code in (415, 422) and refused.get_json()["error"]["field"] == "file"
    operator = hub_token(hub, tmp_path / "hub", "operator")
    assert (
        hub.post(
            "/api/v1/procedures/1.001193/forms",
            data={"file": (io.BytesIO(data), "x.pdf")},
            headers=operator,
            content_type="multipart/form-data",
        ).status_code
        == 403
    )
    added = hub.post(
        "/api/v1/procedures/1.001193/forms",
        data={"file": (io.BytesIO(data), "Tờ khai đăng ký khai sinh.pdf")},
        headers=admin,
        content_type="multipart/form-data",
    )
    assert added.status_code == 201, added.get_json()
    (form,) = added.get_json()["items"]
    assert form["parent_type"] == "procedure" and form["unit"] == "H57"
    page = hub.get("/thu-tuc/1.001193").get_data(as_text=True)
    assert "Tờ khai đăng ký khai sinh (theo mẫu)" in page and "Thành phần hồ sơ" in page
    assert re.search(r'id="fee">[^<]+<', page) and re.search(r'id="time-limit">[^<]+<', page)
    assert "Phú Hội" in page and "27 phường" in page
    link = f"/thu-tuc/1.001193/mau/{form['id']}"
    assert f'href="{link}"' in page and "Tờ khai đăng ký khai sinh.pdf" in page
    with hub.get(link) as got:
        assert got.status_code == 200 and got.data == data
        assert got.headers["Content-Disposition"].startswith("attachment")
    assert hub.get(f"/thu-tuc/1.000894/mau/{form['id']}").status_code == 404  # not its form
    gone = hub.delete(f"/api/v1/procedures/1.001193/forms/{form['id']}", headers=admin)
    assert gone.status_code == 200 and gone.get_json()["items"] == []
    assert 'id="no-forms"' in hub.get("/thu-tuc/1.001193").get_data(as_text=True)
    assert hub.get(link).status_code == 404
    missing = hub.get("/thu-tuc/9.999999")
    assert missing.status_code == 404 and missing.mimetype == "text/html"


def test_the_catalogue_reads_the_fields_of_later_releases_defensively() -> None:
    odd = shown(
        {
            "code": "2.000001",
            "name": "Chứng thực bản sao từ bản chính",
            "field": None,
            "papers": ["Bản chính giấy tờ", {"name": ""}, 5, {"name": "Bản sao", "kind": "x"}],
            "limit_value": "không rõ",
            "fee": "2000/trang",
            "units": ["19786"],
            "unknown_later_field": {"a": 1},
        }
    )
    assert [p["name"] for p in odd["papers"]] == ["Bản chính giấy tờ", "Bản sao"]
    assert odd["fee"] == "Chưa công bố" and odd["time_limit"] == "Chưa công bố"
    assert odd["field"] == "Lĩnh vực khác"
    assert shown({"code": "x", "name": "Y", "fee": 0, "limit_value": 0})["fee"] == "Không thu phí"


# -- results ----------------------------------------------------------------------------------


def test_results_count_each_ward_by_hue_month(tmp_path: Path, hub: FlaskClient) -> None:
    writes = [
        # 17:30 UTC on 31 October is 00:30 on 1 November in Huế: November's.
        *seeding.dossier(WARD, 1, 2, "2026-10-31T17:30:00Z"),
        *seeding.dossier(WARD, 2, 4, "2026-10-31T16:59:00+00:00"),  # 23:59 on 31 October
        # Resolved at 03:00 on the 11th in Huế, due on the 10th: late by date.
        *seeding.dossier(
            WARD,
            3,
            10,
            "2026-11-03T09:00:00+07:00",
            due_at="2026-11-10T17:00:00+07:00",
            completed_at="2026-11-10T20:00:00+00:00",
            returned_at="2026-11-12T09:00:00+07:00",
        ),
        # An apology moved the due date: still late against the original one.
        *seeding.dossier(
            WARD,
            4,
            9,
            "2026-11-03T10:00:00+07:00",
            due_at="2026-11-12T10:00:00+07:00",
            original_due_at="2026-11-06T10:00:00+07:00",
            completed_at="2026-11-10T08:00:00+07:00",
            steps=(("extend", 4, "2026-11-05T09:00:00+07:00", "Xin lỗi vì chậm"),),
        ),
        # Resolved at 16:30 in Huế on its due day: on time.
        *seeding.dossier(
            WARD,
            5,
            10,
            "2026-11-04T08:00:00+07:00",
            due_at="2026-11-20T17:00:00+07:00",
            completed_at="2026-11-20T09:30:00Z",
        ),
        # Online submissions refused or never received are not received.
        *seeding.dossier(WARD, 5001, 3, "2026-11-05T08:00:00+07:00", channel="online"),
        *seeding.dossier(WARD, 5002, 1, "2026-11-05T08:00:00+07:00", channel="online"),
        *seeding.dossier(
            OTHER_WARD,
            1,
            9,
            "2026-11-06T08:00:00+07:00",
            due_at="2026-11-10T17:00:00+07:00",
            completed_at="2026-11-07T15:00:00+07:00",
        ),
    ]
    _write(tmp_path, writes)
    city = hub.get("/cong-khai/ket-qua?nam=2026&thang=11").get_data(as_text=True)
    # Month, received, resolved, on time, late, on-time %, apologies.
    assert _cells(city, "data-month", "10") == ["10/2026", "1", "0", "0", "0", "—", "0"]
    assert _cells(city, "data-month", "11") == ["11/2026", "5", "4", "2", "2", "50,0", "1"]
    assert _cells(city, "data-unit", WARD) == [
        "UBND phường Phú Hội",
        "4",
        "3",
        "1",
        "2",
        "33,3",
        "1",
    ]
    assert _cells(city, "data-unit", OTHER_WARD) == [
        "UBND phường Vĩ Dạ",
        "1",
        "1",
        "1",
        "0",
        "100,0",
        "0",
    ]
    assert '<svg id="chart" role="img"' in city and "Tháng 11: trễ hạn 2" in city
    ward = hub.get(f"/cong-khai/ket-qua?nam=2026&phuong={WARD}").get_data(as_text=True)
    assert _cells(ward, "data-month", "11")[1:] == ["4", "3", "1", "2", "33,3", "1"]
    assert "Nguyễn Văn An" not in city + ward  # figures only


# -- the hall screen --------------------------------------------------------------------------


def test_the_hall_screen_shows_today_and_ready_dossiers_with_masked_names_only(
    tmp_path: Path, hub: FlaskClient
) -> None:
    now = datetime.now(VIETNAM).replace(microsecond=0)
    earlier = (now - timedelta(days=3)).isoformat()
    _write(
        tmp_path,
        [
            *seeding.dossier(WARD, 1, 9, earlier, name="Nguyễn Văn An", completed_at=earlier),
            *seeding.dossier(WARD, 2, 9, earlier, name="Lê Thị Hoa", completed_at=now.isoformat()),
            *seeding.dossier(WARD, 3, 2, now.isoformat()),
            *seeding.dossier(
                WARD, 4, 10, earlier, completed_at=earlier, returned_at=now.isoformat()
            ),
            *seeding.dossier(
                OTHER_WARD, 1, 9, earlier, name="Phạm Văn Cường", completed_at=earlier
            ),
        ],
    )
    page = hub.get(f"/man-hinh/{WARD}").get_data(as_text=True)
    data = hub.get(f"/api/v1/public/man-hinh/{WARD}").get_json()
    for html in (page, data["parts"]["hall-ready"]):
        assert "Nguyễn V* A*" in html and "Lê T* H*" in html
        assert "Nguyễn Văn An" not in html and "Lê Thị Hoa" not in html
        assert "Phạm" not in html  # another ward's
        assert "046090123456" not in html and "0905" not in html and "Lê Lợi" not in html
    figures = data["parts"]["hall-figures"]
    for key, value in (("received", 1), ("resolved", 1), ("returned", 1), ("ready", 2)):
        assert f'data-figure="{key}">{value}<' in figures, key
    assert 'http-equiv="refresh"' not in page and "live.js" in page
    assert hub.get("/man-hinh/99999").status_code == 404
    assert hub.get("/api/v1/public/man-hinh/99999").is_json


# -- the directives screen --------------------------------------------------------------------


def test_the_directives_screen_counts_by_unit_behind_the_console_login(
    tmp_path: Path, hub: FlaskClient
) -> None:
    assert hub.get("/console/man-hinh-chi-dao").status_code == 302
    assert hub.get("/console/api/man-hinh-chi-dao").status_code == 401
    _write(
        tmp_path,
        [
            seeding.directive(WARD, "Giải tỏa lấn chiếm vỉa hè", "2026-01-15"),
            seeding.directive(WARD, "Báo cáo dân số", "2026-01-20"),
            seeding.directive(
                OTHER_WARD,
                "Tổng vệ sinh",
                "2026-11-01",
                status="done",
                completed_at="2026-10-30T10:00:00+07:00",
            ),
            seeding.directive(
                OTHER_WARD,
                "Kiểm tra PCCC",
                "2026-11-01",
                status="done",
                completed_at="2026-11-03T10:00:00+07:00",
            ),
            seeding.directive(OTHER_WARD, "Việc đã hủy", "2026-01-01", status="cancelled"),
        ],
    )
    console_login(hub, tmp_path / "hub", "operator")
    page = hub.get("/console/man-hinh-chi-dao").get_data(as_text=True)
    # Lead unit, done on time, done late, overdue, due soon, within, no deadline.
    assert _cells(page, "data-unit", WARD) == ["UBND phường Phú Hội", "0", "0", "2", "0", "0", "0"]
    assert _cells(page, "data-unit", OTHER_WARD) == [
        "UBND phường Vĩ Dạ",
        "1",
        "1",
        "0",
        "0",
        "0",
        "0",
    ]
    assert page.index("Giải tỏa lấn chiếm vỉa hè") < page.index("Báo cáo dân số")
    assert "Việc đã hủy" not in page and 'http-equiv="refresh"' not in page
    data = hub.get("/console/api/man-hinh-chi-dao").get_json()
    assert 'data-total="overdue">2<' in data["parts"]["board-units"]
