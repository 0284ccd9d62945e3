"""The city console in a real browser: an administrator watches a ward go offline on the
dashboard, without reloading the page (console.js polls ``/console/api/units``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import (
    BROWSER_MARKS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Cluster,
    hub_db,
    hub_query,
    log_in,
    running_cluster,
    wait_until,
)

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # skipped by BROWSER_MARKS
    pass

pytestmark = BROWSER_MARKS

UNIT = "19786"


@pytest.fixture
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("console"), UNIT) as cluster:
        yield cluster


def test_the_dashboard_shows_a_ward_going_offline_without_a_reload(cluster: Cluster) -> None:
    store = cluster.hub_data
    assert wait_until(
        lambda: hub_query(store, "SELECT coalesce(sum(visits), 0) FROM sync_visits")[0][0] > 1,
        30,
        what="the ward's first syncs",
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                base_url=cluster.hub_url, viewport={"width": 1366, "height": 900}, locale="vi-VN"
            )
            context.set_default_timeout(10_000)
            page = context.new_page()
            log_in(page, "/console/", "admin")
            expect(page.get_by_role("heading", name="Các đơn vị")).to_be_visible()
            state = page.locator("#units tbody tr .state").first
            expect(state).to_contain_text("Đồng bộ")
            page.evaluate("window.stayed = true")  # gone if the page reloads

            cluster.wards[UNIT].stop()
            # The dashboard calls a node offline after 10 minutes without contact; a test
            # cannot wait that long, so the stopped ward's last contact is moved back.
            conn = hub_db(store)
            with conn:
                conn.execute(
                    "UPDATE nodes SET last_seen_at = ?",
                    ((datetime.now(UTC) - timedelta(minutes=11)).isoformat(timespec="seconds"),),
                )
            conn.close()
            expect(state).to_contain_text("Mất liên lạc từ", timeout=30_000)
            assert page.evaluate("window.stayed") is True
            expect(page.locator("#refreshed")).to_contain_text("Cập nhật lúc")
        finally:
            browser.close()
