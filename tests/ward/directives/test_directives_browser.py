"""One directive through the real pages, in a real browser, on two real ward nodes and a hub.

The city issues a directive through the hub's API to a lead ward and a coordinating ward. Each
ward's officer finds it under "Chỉ đạo" with its time class, opens it and posts progress; the
lead ward then reports it done. The city sees both units' reports, confirms, and the lead
ward's page shows the directive done on time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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

LEAD, COORD = "19786", "19744"
TITLE = "Rà soát hồ sơ tồn đọng quý IV"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A hub and two enrolled ward nodes, syncing every second."""
    with running_cluster(tmp_path_factory.mktemp("directives"), LEAD, COORD) as cluster:
        yield cluster


def _report(page: Page, percent: str, content: str, done: bool = False) -> None:
    page.get_by_label("Mức độ hoàn thành (%)").fill(percent)
    page.get_by_label("Nội dung báo cáo").fill(content)
    if done:
        page.get_by_label("Báo cáo đã hoàn thành").check()
    page.get_by_role("button", name="Gửi báo cáo").click()
    expect(page.locator(".flash-ok")).to_contain_text("Đã gửi báo cáo tiến độ.")
    expect(page.locator(".reports")).to_contain_text(content)


def _open_directive(page: Page, ward_url: str, directive_id: str, headers: dict[str, str]) -> None:
    """Wait for the directive to reach the ward, then open it from the nav's list."""

    def arrived() -> bool:
        resp = requests.get(f"{ward_url}/api/v1/directives", headers=headers, timeout=5)
        return any(d["id"] == directive_id for d in resp.json()["items"])

    wait_until(arrived, 20, 0.2, what="the directive reached the ward")
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Chỉ đạo"
    ).click()
    row = page.locator("table.directives tr", has_text=TITLE)
    expect(row.locator(".tc")).to_have_text("Trong hạn")
    row.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()


def test_a_city_directive_gets_progress_from_two_wards_and_is_confirmed(
    cluster: Cluster, browser: Browser
) -> None:
    assert cluster.hub is not None
    admin = token(cluster.hub_url, "admin")
    resp = requests.post(
        cluster.hub_url + "/api/v1/directives",
        headers=admin,
        json={
            "title": TITLE,
            "content": "Các phường rà soát, báo cáo số hồ sơ quá hạn và biện pháp khắc phục.",
            "lead_unit": LEAD,
            "units": [COORD],
            "deadline": "2099-12-31",
        },
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    directive_id = resp.json()["id"]
    lead_url, coord_url = cluster.wards[LEAD].url, cluster.wards[COORD].url

    lead = desk_page(browser, lead_url)
    _open_directive(lead, lead_url, directive_id, token(lead_url))
    _report(lead, "40", "Đã rà soát 120 hồ sơ, còn 8 hồ sơ quá hạn.")

    coord = desk_page(browser, coord_url)
    _open_directive(coord, coord_url, directive_id, token(coord_url))
    expect(coord.get_by_label("Báo cáo đã hoàn thành")).to_have_count(0)  # lead unit only
    _report(coord, "100", "Đã cung cấp số liệu phối hợp.")

    _report(lead, "100", "Đã xử lý xong 8 hồ sơ quá hạn.", done=True)
    expect(lead.locator(".directive-status")).to_have_text("Chờ xác nhận hoàn thành")

    def at_hub() -> Any:
        got = requests.get(
            f"{cluster.hub_url}/api/v1/directives/{directive_id}", headers=admin, timeout=5
        ).json()
        return got if len(got["reports"]) == 3 else None

    got = wait_until(at_hub, 20, 0.2, what="both wards' reports at the hub")
    assert got["shown_status"] == "awaiting_confirmation"
    assert sorted(r["unit"] for r in got["reports"]) == [COORD, LEAD, LEAD]
    confirmed = requests.post(
        f"{cluster.hub_url}/api/v1/directives/{directive_id}/confirm", headers=admin, timeout=10
    )
    assert confirmed.status_code == 200, confirmed.text

    def lead_sees_done() -> bool:
        lead.reload()
        return lead.locator(".directive-status").inner_text() == "Đã hoàn thành"

    wait_until(lead_sees_done, 20, 0.5, what="the lead ward sees the directive done")
    expect(lead.locator(".tc")).to_have_text("Hoàn thành đúng hạn")
    expect(lead.get_by_role("button", name="Gửi báo cáo")).to_have_count(0)
