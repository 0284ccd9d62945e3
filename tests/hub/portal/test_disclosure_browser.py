"""Public disclosure in a real browser (issue [11]): the look-up of a refused dossier and of a
supplement request, the catalogue searched without diacritics, the results page, a ward's hall
screen and the city's directives screen updating without a reload, the confirmation of an
online submission reloaded without a second dossier. Each page is screenshotted into
``$SHOTS_DIR`` (default ``/tmp/shots-portal``) to be looked at."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from office import VIETNAM
from tests.hub.conftest import HubEngine
from tests.hub.portal import seeding
from tests.hub.portal.seeding import OTHER_WARD, WARD
from tests.support import (
    BROWSER_MARKS,
    Cluster,
    console_page,
    hub_query,
    hub_store,
    new_page,
    running_cluster,
)

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

pytestmark = BROWSER_MARKS

SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots-portal"))
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, hub_engine: HubEngine) -> Iterator[Cluster]:
    with running_cluster(
        tmp_path_factory.mktemp("disclosure"), database_url=hub_engine.new_url()
    ) as cluster:
        yield cluster


def _write(cluster: Cluster, writes: list[Any]) -> None:
    conn = hub_store(cluster.hub_data)
    try:
        seeding.write(conn, writes)
    finally:
        conn.close()


def _shot(page: Page, name: str, engine: HubEngine) -> None:
    if engine.kind == "sqlite":  # one set of pictures is enough
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_refused_and_supplement_views(
    cluster: Cluster, browser: Browser, hub_engine: HubEngine
) -> None:
    refused = seeding.dossier(
        WARD,
        5101,
        3,
        "2026-12-01T02:00:00+00:00",
        name="Nguyễn Thị Lan",
        channel="online",
        steps=(
            ("submit_online", 1, "2026-12-01T02:00:00+00:00", "Nộp hồ sơ trực tuyến"),
            ("refuse", 3, "2026-12-02T02:00:00+00:00", "Thiếu giấy chứng sinh bản chính."),
        ),
    )
    waiting = seeding.dossier(
        WARD,
        101,
        5,
        "2026-12-01T02:00:00+00:00",
        name="Trần Văn Minh",
        due_at="2026-12-04T10:00:00+07:00",
        steps=(
            ("receive", 2, "2026-12-01T02:00:00+00:00", None),
            ("start", 4, "2026-12-01T03:00:00+00:00", None),
            (
                "request_supplement",
                5,
                "2026-12-02T03:00:00+00:00",
                "Giấy chứng sinh (bản chính)\nGiấy chứng nhận kết hôn của cha mẹ (bản sao)",
            ),
        ),
    )
    _write(cluster, refused + waiting)
    page = new_page(browser, cluster.hub_url)
    page.goto("/tra-cuu")
    page.get_by_label("Mã hồ sơ").fill(refused[0].fields["code"].lower())
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.locator("#status")).to_have_text("Không được tiếp nhận")
    expect(page.locator("#refusal")).to_contain_text("Thiếu giấy chứng sinh bản chính.")
    expect(page.locator("#ended")).to_have_text("02/12/2026")
    expect(page.locator("#due")).to_have_count(0)
    _shot(page, "lookup-refused", hub_engine)
    page.goto(f"/tra-cuu/{waiting[0].fields['code']}")
    expect(page.locator("#supplement-papers li")).to_have_text(
        ["Giấy chứng sinh (bản chính)", "Giấy chứng nhận kết hôn của cha mẹ (bản sao)"]
    )
    expect(page.locator("#status")).to_have_text("Yêu cầu bổ sung giấy tờ")
    _shot(page, "lookup-supplement", hub_engine)


def test_the_catalogue_is_searched_without_diacritics(
    cluster: Cluster, browser: Browser, hub_engine: HubEngine
) -> None:
    page = new_page(browser, cluster.hub_url)
    page.goto("/")
    page.get_by_role("link", name="Thủ tục hành chính").click()
    _shot(page, "catalogue", hub_engine)
    page.get_by_label("Tìm thủ tục").fill("dang ky ket hon")
    page.get_by_role("button", name="Tìm").click()
    expect(page.locator("#result-count")).to_contain_text("khớp với “dang ky ket hon”")
    expect(page.get_by_role("link", name="Đăng ký kết hôn", exact=True)).to_be_visible()
    _shot(page, "catalogue-search", hub_engine)
    page.get_by_label("Tìm thủ tục").fill("khai sinh")
    page.get_by_role("button", name="Tìm").click()
    page.get_by_role("link", name="Đăng ký khai sinh", exact=True).click()
    expect(page.locator("#procedure-name")).to_have_text("Đăng ký khai sinh")
    expect(page.locator("#papers tbody tr").first).to_contain_text("Tờ khai đăng ký khai sinh")
    expect(page.locator("#wards li")).to_have_count(27)
    _shot(page, "procedure", hub_engine)


def test_the_results_page(cluster: Cluster, browser: Browser, hub_engine: HubEngine) -> None:
    writes = []
    for n in range(1, 9):
        month = 1 + n
        writes += seeding.dossier(
            WARD,
            200 + n,
            10,
            f"2026-{month:02d}-03T09:00:00+07:00",
            due_at=f"2026-{month:02d}-10T17:00:00+07:00",
            completed_at=f"2026-{month:02d}-{8 + n % 4:02d}T10:00:00+07:00",
        )
    writes += seeding.dossier(
        OTHER_WARD,
        300,
        9,
        "2026-09-03T09:00:00+07:00",
        due_at="2026-09-05T17:00:00+07:00",
        completed_at="2026-09-09T10:00:00+07:00",
        steps=(("extend", 4, "2026-09-04T09:00:00+07:00", "Xin lỗi"),),
    )
    _write(cluster, writes)
    page = new_page(browser, cluster.hub_url)
    page.goto("/")
    page.get_by_role("link", name="Kết quả giải quyết").click()
    page.get_by_label("Năm", exact=True).select_option("2026")
    page.get_by_role("button", name="Xem").click()
    september = page.locator('#months tr[data-month="9"] td')
    expect(september).to_have_text(["2", "2", "1", "1", "50,0", "1"])
    expect(page.locator("#chart .bar")).to_have_count(
        datetime.now(VIETNAM).month if datetime.now(VIETNAM).year == 2026 else 12
    )
    _shot(page, "results", hub_engine)


def test_the_hall_screen_updates_without_a_reload(
    cluster: Cluster, browser: Browser, hub_engine: HubEngine
) -> None:
    earlier = (datetime.now(VIETNAM) - timedelta(days=2)).isoformat(timespec="seconds")
    _write(
        cluster,
        seeding.dossier(WARD, 401, 9, earlier, name="Hoàng Văn Bảo", completed_at=earlier),
    )
    page = new_page(browser, cluster.hub_url, viewport=(1920, 1080))
    page.goto(f"/man-hinh/{WARD}?lam-moi=5")
    rows = page.locator("#hall-ready tbody tr")
    expect(rows.filter(has_text="Hoàng V* B*")).to_have_count(1)
    ready = page.locator('[data-figure="ready"]')
    before = int(ready.inner_text())
    page.evaluate("window.stayed = true")  # gone if the page reloads
    _write(
        cluster,
        seeding.dossier(WARD, 402, 9, earlier, name="Đặng Thị Thu", completed_at=earlier),
    )
    expect(rows.filter(has_text="Đặng T* T*")).to_have_count(1, timeout=20_000)
    expect(ready).to_have_text(str(before + 1))
    assert page.evaluate("window.stayed") is True
    body = page.locator("body").inner_text()
    assert "Đặng Thị Thu" not in body and "Hoàng Văn Bảo" not in body
    _shot(page, "hall", hub_engine)


def test_the_directives_screen_updates_without_a_reload(
    cluster: Cluster, browser: Browser, hub_engine: HubEngine
) -> None:
    _write(
        cluster,
        [
            seeding.directive(WARD, "Giải tỏa lấn chiếm vỉa hè đường Lê Lợi", "2026-01-15"),
            seeding.directive(
                OTHER_WARD,
                "Tổng vệ sinh môi trường",
                "2026-11-01",
                status="done",
                completed_at="2026-10-30T10:00:00+07:00",
            ),
        ],
    )
    page = console_page(browser, cluster.hub_url, viewport=(1920, 1080))
    page.goto("/console/man-hinh-chi-dao?lam-moi=5")
    overdue = page.locator(f'#board-table tr[data-unit="{WARD}"] td[data-class="overdue"]')
    before = int(overdue.inner_text())
    page.evaluate("window.stayed = true")
    _write(cluster, [seeding.directive(WARD, "Báo cáo rà soát hộ nghèo", "2026-02-01")])
    expect(overdue).to_have_text(str(before + 1), timeout=20_000)
    expect(page.locator("#board-overdue")).to_contain_text("Báo cáo rà soát hộ nghèo")
    assert page.evaluate("window.stayed") is True
    _shot(page, "directives-screen", hub_engine)


def test_reloading_the_confirmation_submits_nothing_again(
    cluster: Cluster, browser: Browser, hub_engine: HubEngine
) -> None:
    def count() -> int:
        rows = hub_query(cluster.hub_data, "SELECT count(*) FROM dossier WHERE channel = 'online'")
        return int(rows[0][0])

    page = new_page(browser, cluster.hub_url)
    page.goto("/nop-ho-so")
    page.get_by_label("Phường nhận hồ sơ").select_option(WARD)
    page.get_by_label("Thủ tục").select_option("1.001193")
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Lan")
    page.get_by_label("Số căn cước").fill("046185000123")
    page.get_by_label("Năm sinh").fill("1985")
    page.get_by_label("Giới tính").select_option("nam")  # the CCCD says female
    page.get_by_label("Số điện thoại di động").fill("0905 123 456")
    page.get_by_label("Địa chỉ liên hệ").fill("12 Lê Lợi, Huế")
    page.locator('input[name="scans"]').set_input_files(
        {"name": "giay-to.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    before = count()
    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.locator("#error")).to_contain_text("giới tính nữ nhưng giới tính đã khai là nam")
    _shot(page, "submit-sex-mismatch", hub_engine)
    assert count() == before
    page.get_by_label("Giới tính").select_option("nữ")
    page.locator('input[name="scans"]').set_input_files(
        {"name": "giay-to.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.get_by_role("heading", name="Đã nộp hồ sơ")).to_be_visible()
    code = page.locator("#code").inner_text()
    assert count() == before + 1
    for _ in range(3):
        page.reload()
        expect(page.locator("#code")).to_have_text(code)
    assert count() == before + 1
