"""A ward invites another ward, through the real pages of real ward nodes synced to a real hub
(issue [4]): the leader of ward A sends a GM invitation from "Gửi giấy mời"; ward B's clerk
finds it under "Giấy mời đã nhận" and answers; ward A's "Giấy mời đã gửi" shows the answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from office import VIETNAM
from tests.support import BROWSER_MARKS, Cluster, desk_page, running_cluster, wait_until

try:
    from playwright.sync_api import Browser, expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

pytestmark = BROWSER_MARKS

WARD_A, WARD_B = "19786", "19744"  # Phú Hội invites Phú Thuận
SUBJECT = "Họp phối hợp giải tỏa lấn chiếm vỉa hè tuyến Lê Lợi"
ATTENDEE = "Ông Lê Văn Nam, Phó Chủ tịch UBND phường Phú Thuận"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A hub and two enrolled ward nodes, syncing every second; a leader at A, a clerk at B."""
    users = {
        WARD_A: [("lanhdao", "leader", "Trần Thị Hoa")],
        WARD_B: [("vanthu", "clerk", "Nguyễn Thị Văn Thư")],
    }
    with running_cluster(
        tmp_path_factory.mktemp("ward-issue"), WARD_A, WARD_B, users=users
    ) as cluster:
        yield cluster


def test_a_ward_leader_invites_another_ward_which_answers_through_its_pages(
    cluster: Cluster, browser: Browser
) -> None:
    day = (datetime.now(VIETNAM) + timedelta(days=3)).strftime("%d/%m/%Y")
    leader = desk_page(browser, cluster.wards[WARD_A].url, "lanhdao", viewport=(1366, 768))
    leader.get_by_role("link", name="Lịch họp").click()
    leader.get_by_role("link", name="Gửi giấy mời").click()
    invite_b = leader.get_by_role("checkbox", name="Phú Thuận")

    def units_known() -> bool:  # the hub's unit list reaches a new ward with its first sync
        if invite_b.count():
            return True
        leader.reload()
        return False

    wait_until(units_known, timeout=20, interval=0.5, what="ward A knows the units")
    leader.get_by_label("Trích yếu").fill(SUBJECT)
    leader.get_by_label("Bắt đầu").fill(f"{day} 14:00")
    leader.get_by_label("Kết thúc").fill("16:30")
    leader.get_by_label("Địa điểm").fill("Hội trường UBND phường Phú Hội")
    leader.get_by_label("Chủ trì").fill("Bà Trần Thị Hoa, Chủ tịch UBND phường")
    invite_b.check()
    leader.get_by_label("Người ký").fill("Trần Thị Hoa")
    leader.get_by_role("button", name="Gửi giấy mời").click()

    expect(leader.locator(".flash-ok")).to_contain_text("Đã gửi giấy mời số 1/GM-UBND")
    sent = leader.locator("article.sent-invitation", has_text=SUBJECT)
    expect(sent.get_by_role("heading")).to_contain_text("1/GM-UBND")
    expect(sent.locator(f'tr[data-unit="{WARD_B}"] .reply-status')).to_have_text("Chưa trả lời")

    clerk = desk_page(browser, cluster.wards[WARD_B].url, "vanthu", viewport=(1366, 768))
    clerk.goto("/invitations")
    card = clerk.locator("article.invitation", has_text=SUBJECT)

    def arrived() -> bool:  # each ward's worker syncs every second
        clerk.reload()
        return card.count() == 1

    wait_until(arrived, timeout=30, interval=0.5, what="the invitation at ward B")
    expect(card.get_by_role("heading")).to_contain_text("1/GM-UBND")
    expect(card).to_contain_text(f"{day} 14:00")
    card.get_by_label("Người dự").fill(ATTENDEE)
    card.get_by_role("button", name="Gửi trả lời").click()
    expect(clerk.locator(".flash-ok")).to_contain_text("Đã gửi trả lời")

    answer = sent.locator(f'tr[data-unit="{WARD_B}"] .reply-status')

    def answered() -> bool:
        leader.reload()
        return ATTENDEE in answer.inner_text()

    wait_until(answered, timeout=30, interval=0.5, what="ward B's answer at ward A")
    expect(answer).to_contain_text("Dự họp")
