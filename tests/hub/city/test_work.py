"""The console's "Điều hành" section (``/console/dieu-hanh``): documents sent to the wards,
directives and the weekly meeting schedule, through the Flask test client. Every action goes
through the same functions as the JSON API and lands in the hub's journal, routed to the
chosen units."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from flask.testing import FlaskClient

from central_hub.console.work import today
from tests.hub.protocol.test_routing import _ward
from tests.support import console_login, csrf_of, hub_token
from tests.support.hubstore import hub_store
from ward_node.directives import Directives
from ward_node.meetings import Meetings
from ward_node.store import load_clock
from webapp import User

A, B, C = "19786", "19744", "19750"
BASE = "/console/dieu-hanh"


def _hub_db(tmp_path: Path) -> sqlite3.Connection:
    return hub_store(tmp_path / "hub")


def _count(tmp_path: Path, table: str) -> int:
    conn = _hub_db(tmp_path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def _routes(tmp_path: Path, type_name: str, record_id: str) -> set[str]:
    """The units the hub's journal routes the record's changes to, other than the city itself
    (a hub write is journalled for its owner too)."""
    conn = _hub_db(tmp_path)
    try:
        rows = conn.execute(
            "SELECT r.unit FROM routes r JOIN journal j ON j.jseq = r.jseq "
            "WHERE j.type = ? AND j.id = ?",
            (type_name, record_id),
        )
        return {r[0] for r in rows} - {"H57"}
    finally:
        conn.close()


def _post(hub: FlaskClient, path: str, page: str, **data: object):  # type: ignore[no-untyped-def]
    """Post a form from ``page`` (the CSRF token read from the page as a browser would)."""
    return hub.post(path, data={"csrf_token": csrf_of(hub.get(page).text), **data})


def _day(days: int) -> str:
    return (today() + timedelta(days=days)).strftime("%d/%m/%Y")


def _issue(hub: FlaskClient, **extra: object) -> str:
    data = {
        "title": "Rà soát hồ sơ tồn đọng quý IV",
        "content": "Các phường rà soát, báo cáo số hồ sơ quá hạn.",
        "lead_unit": A,
        "units": [B],
        "deadline": _day(10),
        "priority": "high",
        **extra,
    }
    resp = _post(hub, f"{BASE}/chi-dao/moi", f"{BASE}/chi-dao/moi", **data)
    assert resp.status_code == 302, resp.text
    return resp.headers["Location"].rsplit("/", 1)[1]


def _directive(tmp_path: Path, directive_id: str) -> dict[str, object]:
    conn = _hub_db(tmp_path)
    try:
        row = conn.execute("SELECT * FROM directive WHERE id = ?", (directive_id,)).fetchone()
        return dict(row)
    finally:
        conn.close()


# -- pages and roles -----------------------------------------------------------------------


def test_every_page_renders_for_an_operator_and_every_action_needs_an_admin(
    tmp_path: Path, hub: FlaskClient
) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    doc = hub.post(
        "/api/v1/documents",
        headers=admin,
        json={"doc_type": "Công văn", "summary": "Về việc chuẩn bị Tết", "units": [A, B]},
    ).get_json()
    directive = hub.post(
        "/api/v1/directives",
        headers=admin,
        json={"title": "Dọn vệ sinh", "content": "Ra quân", "lead_unit": A, "units": [B]},
    ).get_json()
    assert hub.get(f"{BASE}/van-ban").status_code == 302  # a login first
    console_login(hub, tmp_path / "hub", "operator")
    assert hub.get(f"{BASE}/").headers["Location"].endswith(f"{BASE}/van-ban")
    listed = hub.get(f"{BASE}/van-ban")
    assert listed.status_code == 200 and "1/UBND-VP" in listed.text
    assert "0/2 đã nhận" in listed.text and "Gửi văn bản mới" not in listed.text
    assert 'aria-current="page">Điều hành</a>' in listed.text
    page = hub.get(f"{BASE}/van-ban/{doc['id']}")
    assert page.status_code == 200 and "UBND phường Phú Hội" in page.text
    assert page.text.count("Chờ tiếp nhận") == 2
    directives = hub.get(f"{BASE}/chi-dao")
    assert directives.status_code == 200 and "Dọn vệ sinh" in directives.text
    assert "Ban hành ý kiến chỉ đạo" not in directives.text
    one = hub.get(f"{BASE}/chi-dao/{directive['id']}")
    assert (
        one.status_code == 200
        and "Không có hạn" in one.text
        and "Xác nhận hoàn thành" not in one.text
    )
    assert hub.get(f"{BASE}/lich-hop").status_code == 200
    assert hub.get(f"{BASE}/van-ban/khong-co").status_code == 404

    assert hub.get(f"{BASE}/van-ban/moi").status_code == 403
    assert hub.get(f"{BASE}/chi-dao/moi").status_code == 403
    before = (_count(tmp_path, "document"), _count(tmp_path, "journal"))
    refused = [
        _post(hub, f"{BASE}/van-ban/moi", f"{BASE}/van-ban", summary="X", units=[A]),
        _post(hub, f"{BASE}/chi-dao/moi", f"{BASE}/chi-dao", title="X", content="Y", lead_unit=A),
        _post(hub, f"{BASE}/chi-dao/{directive['id']}/xac-nhan", f"{BASE}/chi-dao"),
        _post(
            hub,
            f"{BASE}/chi-dao/{directive['id']}/huy",
            f"{BASE}/chi-dao",
            note="Không cần",
            confirm="1",
        ),
    ]
    assert [r.status_code for r in refused] == [403] * 4
    assert (_count(tmp_path, "document"), _count(tmp_path, "journal")) == before


# -- documents -----------------------------------------------------------------------------


def test_a_document_sent_from_the_form_is_routed_to_the_chosen_wards(
    tmp_path: Path, hub: FlaskClient
) -> None:
    console_login(hub, tmp_path / "hub")
    form = hub.get(f"{BASE}/van-ban/moi").text
    assert form.count('name="units"') == 42 and "Chọn tất cả các phường" in form
    resp = _post(
        hub,
        f"{BASE}/van-ban/moi",
        f"{BASE}/van-ban/moi",
        doc_type="Quyết định",
        summary="Về việc kiện toàn Ban chỉ đạo phòng, chống thiên tai",
        urgency="khan",
        secrecy="none",
        signer="Nguyễn Văn A",
        signing_competence="KT.",
        units=[A, B],
    )
    assert resp.status_code == 302
    doc_id = resp.headers["Location"].rsplit("/", 1)[1]
    conn = _hub_db(tmp_path)
    row = conn.execute(
        "SELECT symbol, units, urgency, created_by FROM document WHERE id = ?", (doc_id,)
    ).fetchone()
    conn.close()
    assert tuple(row) == ("1/QĐ-UBND", f'["{A}","{B}"]', "khan", "admin")
    assert _routes(tmp_path, "document", doc_id) == {A, B}
    page = hub.get(resp.headers["Location"]).text
    assert "Đã gửi văn bản 1/QĐ-UBND tới 2 đơn vị" in page and "0/2 đã nhận" in page
    assert "Khẩn" in page and "KT. Nguyễn Văn A" in page

    every = _post(
        hub,
        f"{BASE}/van-ban/moi",
        f"{BASE}/van-ban/moi",
        doc_type="Công văn",
        summary="Về việc trực Tết",
        all_wards="1",
        units=["H57.01"],
    )
    every_id = every.headers["Location"].rsplit("/", 1)[1]
    routed = _routes(tmp_path, "document", every_id)
    assert len(routed) == 28 and "H57.01" in routed and A in routed and "H57.02" not in routed
    assert "0/28 đã nhận" in hub.get(f"{BASE}/van-ban").text


def test_a_document_form_without_units_or_summary_is_refused_keeping_what_was_typed(
    tmp_path: Path, hub: FlaskClient
) -> None:
    console_login(hub, tmp_path / "hub")
    journal = _count(tmp_path, "journal")  # the reference data the hub starts with
    page = f"{BASE}/van-ban/moi"
    no_unit = _post(hub, page, page, doc_type="Công văn", summary="Về việc họp <giao ban>")
    assert no_unit.status_code == 400
    assert "Hãy chọn ít nhất một phường hoặc đơn vị nhận văn bản." in no_unit.text
    assert "Về việc họp &lt;giao ban&gt;</textarea>" in no_unit.text
    assert '<fieldset class="work-units" aria-invalid="true">' in no_unit.text
    no_summary = _post(hub, page, page, doc_type="Công văn", summary="  ", units=[A])
    assert no_summary.status_code == 400 and "Nhập trích yếu nội dung văn bản." in no_summary.text
    assert f'value="{A}" checked' in no_summary.text
    gone = _post(hub, page, page, doc_type="Công văn", summary="X", units=["99999"])
    assert gone.status_code == 400 and "không còn hoạt động" in gone.text
    assert (_count(tmp_path, "document"), _count(tmp_path, "journal")) == (0, journal)


# -- directives ----------------------------------------------------------------------------


def test_a_directive_issued_from_the_form_appears_in_the_dashboard(
    tmp_path: Path, hub: FlaskClient
) -> None:
    console_login(hub, tmp_path / "hub")
    directive_id = _issue(hub)
    row = _directive(tmp_path, directive_id)
    assert row["lead_unit"] == A and row["created_by"] == "admin" and row["unit"] == "H57"
    assert row["deadline"] == (today() + timedelta(days=10)).isoformat()
    assert row["issued_by"] == "Cán bộ admin"
    assert _routes(tmp_path, "directive", directive_id) == {A, B}
    listed = hub.get(f"{BASE}/chi-dao").text
    assert f'data-dashboard="{A}"' in listed and "Rà soát hồ sơ tồn đọng quý IV" in listed
    assert f'href="/console/dieu-hanh/chi-dao?unit={A}&amp;time_class=within"' in listed
    within = hub.get(f"{BASE}/chi-dao?unit={A}&time_class=within").text
    assert f'data-directive="{directive_id}"' in within
    for query in (f"unit={C}", "time_class=overdue", "status=done"):
        assert f'data-directive="{directive_id}"' not in hub.get(f"{BASE}/chi-dao?{query}").text
    assert hub.get(f"{BASE}/chi-dao?time_class=bogus").status_code == 422
    soon = _issue(hub, title="Báo cáo nhanh", deadline=_day(1), units=[])
    assert "Sắp đến hạn" in hub.get(f"{BASE}/chi-dao/{soon}").text


def test_bad_directive_input_is_refused_with_a_message_and_nothing_written(
    tmp_path: Path, hub: FlaskClient
) -> None:
    console_login(hub, tmp_path / "hub")
    journal = _count(tmp_path, "journal")  # the reference data the hub starts with
    page = f"{BASE}/chi-dao/moi"
    good = {"title": "Kiểm tra trật tự đô thị", "content": "Ra quân", "lead_unit": A}
    cases = [
        ({**good, "deadline": _day(-1)}, "Hạn hoàn thành đã qua"),
        ({**good, "deadline": "2026-12-05"}, "Hạn hoàn thành phải ghi theo dạng ngày/tháng/năm"),
        ({**good, "deadline": "31/02/2027"}, "Hạn hoàn thành phải ghi theo dạng ngày/tháng/năm"),
        ({**good, "lead_unit": ""}, "Hãy chọn đơn vị chủ trì."),
        ({**good, "content": ""}, "Nhập nội dung chỉ đạo."),
    ]
    for data, message in cases:
        resp = _post(hub, page, page, **data)
        assert resp.status_code == 400 and message in resp.text, message
        assert resp.text.count('aria-invalid="true"') == 1
        assert 'value="Kiểm tra trật tự đô thị"' in resp.text
    assert (_count(tmp_path, "directive"), _count(tmp_path, "journal")) == (0, journal)


def test_confirm_send_back_extend_pause_resume_and_cancel_from_the_directive_page(
    tmp_path: Path, hub: FlaskClient
) -> None:
    session, ward = _ward(tmp_path, hub, A)
    console_login(hub, tmp_path / "hub")
    directive_id = _issue(hub)
    page = f"{BASE}/chi-dao/{directive_id}"
    session.run()
    Directives(ward, load_clock(ward), A).report(
        directive_id,
        {"content": "Đã rà soát xong 120 hồ sơ.", "done": True},
        User("cb", "specialist", "Cán bộ Phú Hội"),
    )
    session.run()
    shown = hub.get(page).text
    assert "Chờ xác nhận hoàn thành" in shown and "Đã rà soát xong 120 hồ sơ." in shown
    assert "Trả lại báo cáo hoàn thành" in shown

    journal = _count(tmp_path, "journal")
    no_reason = _post(hub, f"{page}/tra-lai", page, reason=" ")
    assert no_reason.status_code == 400 and "Ghi lý do trả lại" in no_reason.text
    assert _count(tmp_path, "journal") == journal
    back = _post(hub, f"{page}/tra-lai", page, reason="Thiếu số liệu")
    assert back.status_code == 302
    row = _directive(tmp_path, directive_id)
    assert (row["status"], row["sent_back_reason"]) == ("in_progress", "Thiếu số liệu")
    assert "Đã trả lại báo cáo hoàn thành" in hub.get(page).text

    journal = _count(tmp_path, "journal")
    for new, message in (
        (_day(-2), "Hạn mới đã qua"),
        ("5/12", "Hạn mới phải ghi theo dạng ngày/tháng/năm"),
        (_day(5), "Hạn mới phải sau hạn hiện tại."),
    ):
        resp = _post(hub, f"{page}/gia-han", page, new_deadline=new, reason="Chờ số liệu")
        assert resp.status_code == 400 and message in resp.text, message
        assert f'value="{new}"' in resp.text
    assert _count(tmp_path, "journal") == journal
    extended = _post(hub, f"{page}/gia-han", page, new_deadline=_day(20), reason="Chờ số liệu")
    assert extended.status_code == 302
    assert (
        _directive(tmp_path, directive_id)["deadline"] == (today() + timedelta(days=20)).isoformat()
    )
    assert _count(tmp_path, "directive_extension") == 1
    assert "Chờ số liệu" in hub.get(page).text

    unticked = _post(hub, f"{page}/tam-dung", page, note="Chờ kinh phí")
    assert unticked.status_code == 400 and "Hãy đánh dấu ô xác nhận" in unticked.text
    assert _directive(tmp_path, directive_id)["status"] == "in_progress"
    assert _post(hub, f"{page}/tam-dung", page, note="Chờ kinh phí", confirm="1").status_code == 302
    assert _directive(tmp_path, directive_id)["status"] == "paused"
    assert "Tiếp tục thực hiện" in hub.get(page).text
    assert _post(hub, f"{page}/tiep-tuc", page, confirm="1").status_code == 302
    assert _directive(tmp_path, directive_id)["status"] == "in_progress"

    assert _post(hub, f"{page}/xac-nhan", page).status_code == 302
    row = _directive(tmp_path, directive_id)
    assert row["status"] == "done" and row["confirmed_by"] == "Cán bộ admin"
    late = _post(hub, f"{page}/huy", page, note="Không cần", confirm="1")
    assert late.status_code == 409 and "Đã hoàn thành" in late.text
    session.run()  # the ward sees the city's answers
    assert Directives(ward, load_clock(ward), A).get(directive_id)["shown_status"] == "done"

    other = _issue(hub, title="Việc sẽ hủy")
    page = f"{BASE}/chi-dao/{other}"
    no_note = _post(hub, f"{page}/huy", page, confirm="1")
    assert no_note.status_code == 400 and "Ghi lý do" in no_note.text
    assert _post(hub, f"{page}/huy", page, note="Trùng việc", confirm="1").status_code == 302
    row = _directive(tmp_path, other)
    assert (row["status"], row["status_note"]) == ("cancelled", "Trùng việc")


# -- meetings ------------------------------------------------------------------------------


def test_the_week_shows_approved_meetings_and_an_admin_approves_a_ward_s_meeting(
    tmp_path: Path, hub: FlaskClient
) -> None:
    session, ward = _ward(tmp_path, hub, B)
    mine = Meetings(ward, load_clock(ward)).register(
        {
            "subject": "Hội nghị tiếp xúc cử tri",
            "starts_at": "2026-12-03T19:30",
            "place": "Nhà văn hóa tổ 5",
            "chair": "Chủ tịch UBND phường",
        },
        User("vanthu", "clerk", "Văn thư"),
    )
    session.run()
    console_login(hub, tmp_path / "hub")
    week = f"{BASE}/lich-hop?tuan=05/12/2026"
    page = hub.get(week).text
    assert "Lịch công tác tuần 30/11/2026 – 06/12/2026" in page
    assert f'data-waiting="{mine["id"]}"' in page and f'data-meeting="{mine["id"]}"' not in page
    assert "UBND phường Phú Thuận" in page
    for column in ("Chủ trì", "Địa điểm", "Thành phần", "Đơn vị chuẩn bị", "Ghi chú"):
        assert f'<th scope="col">{column}</th>' in page

    resp = _post(hub, f"{BASE}/lich-hop/{mine['id']}/duyet", week, tuan="05/12/2026")
    assert resp.status_code == 302 and "tuan=05" in resp.headers["Location"]
    assert _routes(tmp_path, "meeting", mine["id"]) == {B}
    page = hub.get(week).text
    assert f'data-meeting="{mine["id"]}"' in page and f'data-waiting="{mine["id"]}"' not in page
    assert "Thứ Năm<br>03/12/2026" in page and "19:30" in page and "Nhà văn hóa tổ 5" in page
    again = _post(hub, f"{BASE}/lich-hop/{mine['id']}/duyet", week)
    assert again.status_code == 409
    session.run()
    assert Meetings(ward, load_clock(ward)).meeting(mine["id"])["status"] == "approved"

    bad = hub.get(f"{BASE}/lich-hop?tuan=2026-12-05")
    assert bad.status_code == 400 and "ví dụ 05/12/2026" in bad.text


def test_the_console_names_people_not_accounts(tmp_path: Path, hub: FlaskClient) -> None:
    """Who sent a document shows as the person's full name (central_hub.web.person); an
    account with no full name, or a name no account has, shows as it is."""
    from tests.support import PASSWORD, add_hub_user

    add_hub_user(tmp_path / "hub", "lan", "admin", "Nguyễn Thị Lan")
    token = hub.post("/api/v1/auth/token", json={"username": "lan", "password": PASSWORD})
    lan = {"Authorization": f"Bearer {token.get_json()['token']}"}
    doc = hub.post(
        "/api/v1/documents",
        headers=lan,
        json={"doc_type": "Công văn", "summary": "Về việc trực Tết", "units": [A]},
    ).get_json()
    console_login(hub, tmp_path / "hub", "operator")
    page = hub.get(f"{BASE}/van-ban/{doc['id']}").text
    assert " · Nguyễn Thị Lan" in page and " · lan<" not in page
    add_hub_user(tmp_path / "hub", "lan", "admin", "")  # no full name: the account's name
    assert " · lan</dd>" in hub.get(f"{BASE}/van-ban/{doc['id']}").text
