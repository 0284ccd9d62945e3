"""One city meeting with replies from the wards, through the real pages of real ward nodes
synced to a real hub (issue [4]): the city invites two wards over the hub's API; each ward's
clerk finds the GM invitation on the invitations page, answers with who attends, and sees the
meeting in the weekly schedule; the replies reach the hub."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.support import (
    BROWSER_MARKS,
    PASSWORD,
    Cluster,
    log_in,
    running_cluster,
    token,
    wait_until,
)

try:
    from playwright.sync_api import Browser, expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

pytestmark = BROWSER_MARKS

WARDS = {"19786": "Bà Trần Thị Hoa, Chủ tịch UBND phường", "19744": "Ông Lê Văn Nam, Phó Chủ tịch"}
SUBJECT = "Hội nghị sơ kết công tác chuyển đổi số năm 2026"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    clerk = ("vanthu", "clerk", "Nguyễn Thị Văn Thư")
    with running_cluster(
        tmp_path_factory.mktemp("meetings"), *WARDS, users={unit: [clerk] for unit in WARDS}
    ) as cluster:
        yield cluster


def test_a_city_meeting_is_answered_by_each_ward_through_its_pages(
    cluster: Cluster, browser: Browser
) -> None:
    admin = token(cluster.hub_url, "admin", PASSWORD)
    resp = requests.post(
        cluster.hub_url + "/api/v1/meetings",
        headers=admin,
        json={
            "subject": SUBJECT,
            "starts_at": "2026-12-02T08:00+07:00",
            "ends_at": "2026-12-02T11:00+07:00",
            "place": "Hội trường UBND thành phố",
            "chair": "Chủ tịch UBND thành phố",
            "units": list(WARDS),
        },
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    invitation = resp.json()["invitation"]

    for unit, attendee in WARDS.items():
        context = browser.new_context(
            base_url=cluster.wards[unit].url, viewport={"width": 1366, "height": 900}
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        log_in(page, "/login", "vanthu")
        page.get_by_role("link", name="Lịch họp").click()
        page.get_by_role("link", name="Giấy mời đã nhận").click()
        card = page.locator(f"#inv-{invitation['id']}")

        def arrived(page=page, card=card) -> bool:  # the ward's worker syncs every second
            page.reload()
            return card.count() == 1

        wait_until(arrived, timeout=20, interval=0.5, what=f"the invitation at ward {unit}")
        expect(card.get_by_role("heading")).to_contain_text("1/GM-UBND")
        card.get_by_label("Người dự").fill(attendee)
        card.get_by_role("button", name="Gửi trả lời").click()
        expect(page.locator(".flash-ok")).to_contain_text("Đã gửi trả lời")
        expect(page.locator(f"#inv-{invitation['id']} .reply-status")).to_contain_text(attendee)

        page.goto("/meetings?week=2026-12-02")
        expect(page.locator("#schedule tbody tr").first).to_contain_text(SUBJECT)
        expect(page.locator("#schedule tbody tr").first).to_contain_text("08:00 – 11:00")
        context.close()

    def replied() -> bool:
        got = requests.get(
            f"{cluster.hub_url}/api/v1/invitations/{invitation['id']}", headers=admin, timeout=10
        ).json()
        return {r["unit"]: r["attendees"] for r in got["replies"]} == {
            u: [a] for u, a in WARDS.items()
        }

    wait_until(replied, timeout=20, what="both replies at the hub")
