"""Eight desk officers receive dossiers at the same moment on one ward node (a real ``serve``
process syncing to a real hub), each in a browser session of its own in one headless Chromium.

Every reception succeeds, the 24 codes are distinct and consecutive for the day, neither a
page nor the server's log shows "database is locked", and the store holds the 24 dossiers.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.support import (
    BROWSER_MARKS,
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    Cluster,
    query,
    running_cluster,
)

try:
    from playwright.async_api import Browser, async_playwright, expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

from office import VIETNAM

pytestmark = BROWSER_MARKS

UNIT = "19786"
DESKS = 8
PER_DESK = 3
CODE = re.compile(r"H57\.19786-(\d{6})-(\d{4})")
LOCKED = "database is locked"
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ")
GIVEN = ("An", "Bình", "Châu")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A hub and one ward node (background sync every second) with eight desk officers."""
    desks = [(f"motcua{n}", "officer", f"Cán bộ một cửa số {n}") for n in range(1, DESKS + 1)]
    with running_cluster(tmp_path_factory.mktemp("desks"), UNIT, users={UNIT: desks}) as cluster:
        yield cluster


async def _desk(browser: Browser, url: str, n: int, go: asyncio.Barrier) -> list[str]:
    """Officer ``n`` logs in, waits for the others, then receives PER_DESK dossiers as fast as
    the pages allow; the codes shown on the dossier pages, in order."""
    context = await browser.new_context(base_url=url, locale="vi-VN")
    context.set_default_timeout(30_000)
    try:
        page = await context.new_page()
        failures: list[str] = []
        page.on(
            "response",
            lambda resp: (
                failures.append(f"{resp.status} {resp.url}") if resp.status >= 400 else None
            ),
        )
        await page.goto("/login")
        await page.get_by_label("Tên đăng nhập").fill(f"motcua{n}")
        await page.get_by_label("Mật khẩu").fill(PASSWORD)
        await page.get_by_role("button", name="Đăng nhập").click()
        await expect(page.get_by_role("heading", name="Hồ sơ một cửa")).to_be_visible()
        codes = []
        for k in range(PER_DESK):
            await page.goto("/dossiers/new")
            await page.get_by_label("Thủ tục hành chính").select_option("1.004873")
            await page.get_by_label(
                "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân (theo mẫu)"
            ).check()  # the papers handed in
            await page.get_by_label("Họ và tên").fill(f"{FAMILY[n - 1]} Văn {GIVEN[k]}")
            await page.get_by_label("Điện thoại").fill(f"0905 12{n} 45{k}")
            if k == 0:
                await go.wait()  # all eight press the button together
            await page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
            await expect(page).to_have_url(re.compile(r"/dossiers/[0-9a-f-]{36}$"))
            await expect(page.locator(".flash-ok")).to_contain_text("Đã tiếp nhận hồ sơ")
            body = await page.locator("body").inner_text()
            assert LOCKED not in body
            codes.append((await page.locator("h1.dossier-code").inner_text()).strip())
        assert failures == [], f"desk {n}: {failures}"
        return codes
    finally:
        await context.close()


async def _day(url: str) -> list[list[str]]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            go = asyncio.Barrier(DESKS)
            return await asyncio.gather(*(_desk(browser, url, n, go) for n in range(1, DESKS + 1)))
        finally:
            await browser.close()


def test_eight_desks_receiving_at_once_get_distinct_consecutive_codes(cluster: Cluster) -> None:
    ward = cluster.wards[UNIT]
    per_desk = asyncio.run(_day(ward.url))

    codes = [code for desk in per_desk for code in desk]
    assert all(len(desk) == PER_DESK for desk in per_desk)
    assert len(codes) == DESKS * PER_DESK == len(set(codes)), codes
    parsed = [CODE.fullmatch(code) for code in codes]
    assert all(parsed), codes
    days = {m.group(1) for m in parsed if m}
    assert days == {datetime.now(VIETNAM).strftime("%y%m%d")}, days
    assert sorted(int(m.group(2)) for m in parsed if m) == list(range(1, DESKS * PER_DESK + 1))
    for desk in per_desk:  # each desk's own dossiers are numbered in the order it received them
        assert desk == sorted(desk)

    log = ward.log.read_text(errors="replace")
    assert LOCKED not in log and "Traceback" not in log, log[-3000:]
    store = Path(cluster.ward_data(UNIT)) / "node.sqlite3"
    stored = {row[0] for row in query(store, "SELECT code FROM dossier")}
    assert stored == set(codes)
    steps = query(store, "SELECT count(*) FROM dossier_step WHERE action = 'receive'")
    assert steps == [(DESKS * PER_DESK,)]
