"""Liên thông through the real pages: the city sends one document (hub API) to three wards;
in each ward, on a real node synced to a real hub, the clerk registers it with the ward's own
incoming number, the leader assigns it, the specialist handles and finishes it; the city then
sees every recipient's status as done."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from tests.support import (
    BROWSER_MARKS,
    Cluster,
    desk_page,
    running_cluster,
    token,
    wait_until,
)

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

pytestmark = BROWSER_MARKS

UNITS = ("19786", "19744", "19750")
STAFF = {
    "vanthu": ("clerk", "Trần Thị Văn Thư"),
    "lanhdao": ("leader", "Nguyễn Văn Lãnh"),
    "chuyenvien": ("specialist", "Phan Văn Khoa"),
}
SUMMARY = "Về việc chuẩn bị phòng, chống bão số 13"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    staff = [(username, role, name) for username, (role, name) in STAFF.items()]
    with running_cluster(
        tmp_path_factory.mktemp("documents"), *UNITS, users={unit: staff for unit in UNITS}
    ) as cluster:
        yield cluster


def _act(page: Page, label: str, state: str, **fields: str) -> None:
    form = page.locator("form.action-form", has=page.get_by_role("button", name=label))
    for field_label, value in fields.items():
        field = form.get_by_label(field_label)
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.get_by_role("button", name=label).click()
    expect(page.locator("[data-doc-state]")).to_have_text(state)


def test_a_city_document_is_handled_by_three_wards_through_the_pages(
    cluster: Cluster, browser: Browser
) -> None:
    started = time.monotonic()
    assert cluster.hub is not None
    hub = cluster.hub.url
    admin = token(hub, "admin")
    resp = requests.post(
        hub + "/api/v1/documents",
        headers=admin,
        json={"doc_type": "Công văn", "summary": SUMMARY, "units": list(UNITS), "urgency": "khan"},
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    doc = resp.json()
    doc_page = f"/van-ban/{doc['id']}"

    for unit in UNITS:
        base = cluster.wards[unit].url
        clerk = desk_page(browser, base, "vanthu", next="/van-ban/den", locale=None)

        def arrived(page: Page = clerk) -> bool:
            page.reload()
            return page.get_by_role("link", name=doc["symbol"]).count() > 0

        wait_until(arrived, 20, interval=0.5, what=f"the document at ward {unit}")
        expect(clerk.locator("tr", has_text=SUMMARY)).to_contain_text("Chờ tiếp nhận")
        clerk.get_by_role("link", name=doc["symbol"]).click()
        _act(clerk, "Vào sổ văn bản đến", "Chờ phân công")
        expect(clerk.locator("[data-incoming-number]")).to_have_text("1")

        leader = desk_page(browser, base, "lanhdao", next=doc_page, locale=None)
        _act(
            leader,
            "Phân công xử lý",
            "Đang xử lý",
            **{"Người chủ trì xử lý": "chuyenvien", "Hạn xử lý": "05/12/2026"},
        )
        specialist = desk_page(browser, base, "chuyenvien", next=doc_page, locale=None)
        _act(specialist, "Báo cáo đã xử lý", "Đang xử lý", **{"Kết quả xử lý": "Đã triển khai"})
        _act(specialist, "Hoàn thành", "Hoàn thành")
        for page in (clerk, leader, specialist):
            page.context.close()

    def all_done() -> bool:
        seen = requests.get(f"{hub}/api/v1/documents/{doc['id']}", headers=admin, timeout=10)
        return all(r["status_code"] == "06" for r in seen.json()["recipients"])

    wait_until(all_done, 20, interval=0.5, what="every ward's receipt at the hub")
    seen = requests.get(f"{hub}/api/v1/documents/{doc['id']}", headers=admin, timeout=10).json()
    assert {r["unit"]: r["receipt"]["incoming_number"] for r in seen["recipients"]} == {
        u: 1 for u in UNITS
    }
    assert {r["receipt"]["lead_handler"] for r in seen["recipients"]} == {"chuyenvien"}
    assert time.monotonic() - started < 60
