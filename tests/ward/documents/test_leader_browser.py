"""The clerk and the leader through the real pages (issue [11]), on a real ward node: the văn
thư presents an incoming document to a leader, who finds it waiting for them, assigns it with
"Phân công" offered above "Từ chối nhận" and the co-handlers chosen with check boxes; and a
leader assigns a directive to the ward's own staff, who find it under "Giao cho tôi" and
report on it, the lead person's report of done sending it to the leader's confirmation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support import BROWSER_MARKS, Cluster, desk_page, running_cluster, token

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

pytestmark = BROWSER_MARKS

UNIT = "19786"
STAFF = {
    "vanthu": ("clerk", "Trần Thị Văn Thư"),
    "lanhdao": ("leader", "Nguyễn Văn Lãnh"),
    "chuyenvien": ("specialist", "Phan Văn Khoa"),
    "chuyenvien2": ("specialist", "Lê Thị Mai"),
    "canbo2": ("officer", "Hồ Văn Tâm"),
}
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots-lead"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    staff = [(username, role, name) for username, (role, name) in STAFF.items()]
    with running_cluster(tmp_path_factory.mktemp("leader"), UNIT, users={UNIT: staff}) as cluster:
        yield cluster


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_clerk_presents_and_the_leader_assigns_with_check_boxes(
    cluster: Cluster, browser: Browser
) -> None:
    base = cluster.wards[UNIT].url
    resp = requests.post(
        base + "/api/v1/documents",
        headers=token(base, "vanthu"),
        json={
            "direction": "incoming",
            "issuing_agency": "Sở Tài nguyên và Môi trường",
            "symbol": "245/STNMT-QLĐĐ",
            "summary": "Về việc rà soát đất công trên địa bàn phường",
        },
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    doc_page = f"/van-ban/{resp.json()['id']}"

    clerk = desk_page(browser, base, "vanthu", next=doc_page)
    form = clerk.locator("form.action-form", has=clerk.get_by_role("button", name="Trình lãnh đạo"))
    form.get_by_label("Trình lãnh đạo").select_option(label="Nguyễn Văn Lãnh")
    form.get_by_role("button", name="Trình lãnh đạo").click()
    expect(clerk.locator("[data-doc-state]")).to_have_text("Đã trình lãnh đạo, chờ phân công")
    expect(clerk.locator("[data-presented-to]")).to_contain_text("Nguyễn Văn Lãnh")
    # The clerk neither assigns nor has a tab of documents waiting for them.
    expect(clerk.get_by_role("button", name="Phân công xử lý")).to_have_count(0)
    expect(clerk.locator("[data-waiting-count]")).to_have_count(0)
    _shot(clerk, "document-presented-clerk")
    clerk.context.close()

    leader = desk_page(browser, base, "lanhdao", next="/van-ban/den")
    expect(leader.locator("[data-waiting-count]")).to_have_text("1")
    leader.get_by_role("link", name="Chờ tôi phân công").click()
    expect(leader.get_by_role("heading", name="Văn bản chờ tôi phân công")).to_be_visible()
    leader.get_by_role("link", name="245/STNMT-QLĐĐ").click()
    buttons = leader.locator("aside button[type=submit]").all_inner_texts()
    assert buttons.index("Phân công xử lý") < buttons.index("Từ chối nhận"), buttons
    assign = leader.locator(
        "form.action-form", has=leader.get_by_role("button", name="Phân công xử lý")
    )
    assert assign.locator("select[multiple]").count() == 0
    assign.get_by_label("Người chủ trì xử lý").select_option(label="Phan Văn Khoa")
    group = assign.get_by_role("group", name="Người phối hợp")
    group.get_by_label("Lê Thị Mai").check()
    group.get_by_label("Hồ Văn Tâm").check()
    _shot(leader, "document-assign-leader")
    assign.get_by_role("button", name="Phân công xử lý").click()
    expect(leader.locator("[data-doc-state]")).to_have_text("Đang xử lý")
    handling = leader.locator("section[aria-labelledby=sec-handling]")
    expect(handling).to_contain_text("Lê Thị Mai")
    expect(handling).to_contain_text("Hồ Văn Tâm")
    expect(handling).to_contain_text("Phan Văn Khoa")
    _shot(leader, "document-assigned-leader")
    leader.goto("/van-ban/den")
    expect(leader.locator("[data-waiting-count]")).to_have_text("0")
    leader.context.close()
    receipt = requests.get(
        f"{base}/api/v1/documents/{resp.json()['id']}",
        headers=token(base, "lanhdao"),
        timeout=10,
    ).json()["receipt"]
    assert receipt["presented_to"] == "lanhdao" and receipt["presented_by"] == "vanthu"
    assert receipt["lead_handler"] == "chuyenvien"
    assert sorted(receipt["coordinators"]) == ["canbo2", "chuyenvien2"]


def test_a_directive_assigned_to_the_wards_staff_reaches_them(
    cluster: Cluster, browser: Browser
) -> None:
    base = cluster.wards[UNIT].url
    leader = desk_page(browser, base, "lanhdao", next="/directives/new")
    leader.get_by_label("Trích yếu").fill("Kiểm tra vệ sinh môi trường tổ dân phố 5")
    leader.get_by_label("Nội dung chỉ đạo").fill("Kiểm tra và báo cáo trước cuối tháng.")
    leader.get_by_label("Đơn vị chủ trì").select_option(UNIT)
    leader.get_by_label("Cán bộ chủ trì").select_option(label="Phan Văn Khoa")
    leader.get_by_role("group", name="Cán bộ phối hợp").get_by_label("Lê Thị Mai").check()
    _shot(leader, "directive-new-staff")
    leader.get_by_role("button", name="Giao nhiệm vụ").click()
    expect(leader.locator("[data-assignees]")).to_have_text("Phan Văn Khoa (chủ trì), Lê Thị Mai")
    directive_url = leader.url
    leader.context.close()

    other = desk_page(browser, base, "canbo2", next="/directives?giao=toi")
    expect(other.get_by_text("Không có ý kiến chỉ đạo nào phường giao cho bạn.")).to_be_visible()
    other.goto(directive_url)
    expect(other.get_by_role("button", name="Gửi báo cáo")).to_have_count(0)
    other.context.close()

    lead = desk_page(browser, base, "chuyenvien", next="/directives?giao=toi")
    lead.get_by_role("link", name="Kiểm tra vệ sinh môi trường tổ dân phố 5").click()
    lead.get_by_label("Mức độ hoàn thành (%)").fill("100")
    lead.get_by_label("Nội dung báo cáo").fill("Đã kiểm tra 42 hộ, lập biên bản 3 hộ.")
    lead.get_by_label("Báo cáo đã hoàn thành").check()
    _shot(lead, "directive-report-staff")
    lead.get_by_role("button", name="Gửi báo cáo").click()
    expect(lead.locator(".flash-ok")).to_contain_text("Đã gửi báo cáo tiến độ.")
    expect(lead.locator("body")).to_contain_text("Chờ xác nhận")
    lead.context.close()
