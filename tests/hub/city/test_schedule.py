"""The console's printable weekly schedule (``/console/dieu-hanh/lich-hop/in``) and its
``.ics`` (``/console/dieu-hanh/lich-hop.ics``): meetings registered at a ward, approved in the
console, shown in the columns of docs/domain.md, "Meetings and invitations"; a meeting
awaiting approval or of another week is not."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar

from tests.hub.city.test_work import BASE, _post
from tests.hub.protocol.test_routing import _ward
from tests.support import console_login
from ward_node.meetings import Meetings
from ward_node.store import load_clock
from webapp import User

B = "19744"
CLERK = User("vanthu", "clerk", "Văn thư")
WEEK = "05/12/2026"  # a Saturday: the week of 30/11 – 06/12/2026


def _register(ward: sqlite3.Connection, **data: str) -> str:
    return str(Meetings(ward, load_clock(ward)).register(data, CLERK)["id"])


@pytest.fixture
def meetings(tmp_path: Path, hub: FlaskClient) -> dict[str, str]:
    """Three meetings of ward B, synced to the hub; ``approved`` and ``next_week`` approved in
    the console, ``waiting`` left for approval. The hub client is logged in as an admin."""
    session, ward = _ward(tmp_path, hub, B)
    ids = {
        "approved": _register(
            ward,
            subject="Hội nghị tiếp xúc cử tri",
            starts_at="2026-12-03T19:30",
            ends_at="2026-12-03T21:00",
            chair="Chủ tịch UBND phường",
            place="Nhà văn hóa tổ 5",
            participants="Cử tri tổ 5, tổ 6",
            preparing_office="Văn phòng HĐND-UBND phường",
            notes="Mang báo cáo quý IV",
        ),
        "waiting": _register(
            ward, subject="Họp bàn giải phóng mặt bằng", starts_at="2026-12-02T08:00"
        ),
        "next_week": _register(ward, subject="Họp tổng kết năm", starts_at="2026-12-08T14:00"),
    }
    session.run()
    console_login(hub, tmp_path / "hub")
    page = f"{BASE}/lich-hop?tuan={WEEK}"
    for key in ("approved", "next_week"):
        assert _post(hub, f"{BASE}/lich-hop/{ids[key]}/duyet", page).status_code == 302
    hub.get(page)  # shows (and so clears) the approvals' flash messages
    return ids


def test_the_printable_week_lists_the_approved_meeting_in_the_domain_columns(
    hub: FlaskClient, meetings: dict[str, str]
) -> None:
    resp = hub.get(f"{BASE}/lich-hop/in?tuan={WEEK}")
    assert resp.status_code == 200
    page = resp.text
    assert "LỊCH CÔNG TÁC TUẦN" in page
    assert "(Từ ngày 30/11/2026 đến ngày 06/12/2026)" in page
    assert "VĂN PHÒNG HĐND VÀ UBND THÀNH PHỐ HUẾ" in page
    # Printed through console.js: the page policy refuses inline handlers (docs/security.md).
    assert "data-print" in page and ">In lịch</button>" in page
    row = re.search(rf'<tr data-meeting="{meetings["approved"]}">(.*?)</tr>', page, re.S)
    assert row, "the approved meeting has no row"
    cells = [c.strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)]
    assert cells == [
        "Thứ Năm<br>03/12/2026",
        "19:30 – 21:00",
        "Hội nghị tiếp xúc cử tri",
        "Chủ tịch UBND phường",
        "Nhà văn hóa tổ 5",
        "Cử tri tổ 5, tổ 6",
        "Văn phòng HĐND-UBND phường",
        "Mang báo cáo quý IV",
    ]
    for column in ("Ngày", "Thời gian", "Nội dung", "Chủ trì", "Địa điểm", "Thành phần"):
        assert f'<th scope="col">{column}</th>' in page
    assert meetings["waiting"] not in page and "giải phóng mặt bằng" not in page
    assert meetings["next_week"] not in page and "tổng kết năm" not in page
    # The print stylesheet (console.css: no inline style, docs/security.md) hides the
    # console's header and navigation on this page.
    assert "sched-sheet" in page
    with hub.get("/console/static/console.css") as css:
        assert re.search(
            r"@media print \{\s*body:has\(\.sched-sheet\) :is\(\.no-print, \.site-header",
            css.text,
        )

    later = hub.get(f"{BASE}/lich-hop/in?tuan=08/12/2026").text
    assert f'data-meeting="{meetings["next_week"]}"' in later
    assert meetings["approved"] not in later


def test_the_week_view_links_to_the_printable_page_and_the_ics(
    hub: FlaskClient, meetings: dict[str, str]
) -> None:
    page = hub.get(f"{BASE}/lich-hop?tuan={WEEK}").text
    assert f'href="{BASE}/lich-hop/in?tuan=30/11/2026"' in page
    assert f'href="{BASE}/lich-hop.ics?tuan=30/11/2026"' in page


def test_the_ics_holds_the_approved_meeting_at_its_hue_time(
    hub: FlaskClient, meetings: dict[str, str]
) -> None:
    resp = hub.get(f"{BASE}/lich-hop.ics?tuan={WEEK}")
    assert resp.status_code == 200
    assert resp.mimetype == "text/calendar"
    assert 'filename="lich-cong-tac-tuan-2026-11-30.ics"' in resp.headers["Content-Disposition"]
    cal = Calendar.from_ical(resp.data)
    events = cal.walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"{meetings['approved']}@wardsync.hue.gov.vn"]
    event = events[0]
    hue = ZoneInfo("Asia/Ho_Chi_Minh")
    assert event.decoded("dtstart").astimezone(hue) == datetime(2026, 12, 3, 19, 30, tzinfo=hue)
    assert event.decoded("dtend").astimezone(hue) == datetime(2026, 12, 3, 21, 0, tzinfo=hue)
    assert str(event["summary"]) == "Hội nghị tiếp xúc cử tri"
    assert str(event["location"]) == "Nhà văn hóa tổ 5"
    assert "Chủ trì: Chủ tịch UBND phường" in str(event["description"])
    assert "30/11/2026" in str(cal["x-wr-calname"])


@pytest.mark.parametrize("path", ["/lich-hop/in", "/lich-hop.ics"])
def test_the_schedule_needs_a_console_login(hub: FlaskClient, path: str) -> None:
    resp = hub.get(f"{BASE}{path}?tuan={WEEK}")
    assert resp.status_code == 302
    assert "/console/dang-nhap" in resp.headers["Location"]


@pytest.mark.parametrize("path", ["/lich-hop/in", "/lich-hop.ics"])
def test_a_week_not_written_dd_mm_yyyy_is_refused_in_vietnamese(
    tmp_path: Path, hub: FlaskClient, path: str
) -> None:
    console_login(hub, tmp_path / "hub", "operator")
    resp = hub.get(f"{BASE}{path}?tuan=2026-12-05")
    assert resp.status_code == 422  # the console's page for a ValidationError
    assert "Ngày trong tuần phải ghi theo dạng ngày/tháng/năm, ví dụ 05/12/2026." in resp.text
    assert resp.mimetype == "text/html"
