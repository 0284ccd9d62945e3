"""The reception checklist in a real browser, on a ward node serving on a loopback port: the
officer chooses a procedure, ticks the papers handed in (an original, three copies of four
pages to attest, a paper the catalogue does not list), receives the dossier, reads the fee
computed from them on its page, corrects the count while the dossier is at the desk, and
prints the receipt (Mẫu số 01), which lists exactly those papers, not the catalogue's.
Screenshots of the pages are kept in /tmp/shots-forms."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import BROWSER_MARKS, Server, desk_page, free_port, make_ward_data

try:
    from playwright.sync_api import Browser, expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

pytestmark = BROWSER_MARKS

SHOTS = Path("/tmp/shots-forms")
ATTESTATION = "2.000815"


@pytest.fixture(scope="module")
def ward_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ward node with the hub's reference data and one user per role, serving."""
    data = make_ward_data(tmp_path_factory.mktemp("checklist") / "ward")
    server = Server("ward_node", data, free_port(), WARD_NODE_SYNC_INTERVAL="0")
    try:
        yield server.url
    finally:
        server.stop()


def test_the_desk_ticks_the_papers_and_the_receipt_prints_exactly_them(
    browser: Browser, ward_url: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = desk_page(browser, ward_url, "officer", viewport=(1366, 1000))
    try:
        page.get_by_role("link", name="Tiếp nhận hồ sơ").first.click()
        page.get_by_label("Thủ tục hành chính").select_option(ATTESTATION)
        block = page.locator(f'details[data-procedure="{ATTESTATION}"]')
        expect(block).to_be_visible()
        # Only the chosen procedure's checklist shows.
        expect(page.locator('details[data-procedure="1.004873"]')).to_be_hidden()
        block.get_by_label("Bản chính giấy tờ, văn bản làm cơ sở chứng thực").check()
        block.get_by_label("Bản sao cần chứng thực").check()
        block.locator(f'[name="{ATTESTATION}/paper-1-count"]').fill("3")
        block.locator(f'[name="{ATTESTATION}/paper-1-pages"]').fill("4")
        block.get_by_label("Tên giấy tờ khác thứ 1").fill("Giấy khai sinh")
        block.locator(f'[name="{ATTESTATION}/extra-0-form"]').select_option("certified_copy")
        block.locator(f'[name="{ATTESTATION}/extra-0-pages"]').fill("1")
        page.get_by_label("Họ và tên").fill("Nguyễn Thị Mỹ Dung")
        page.get_by_label("Điện thoại").fill("0905 123 456")
        page.screenshot(path=str(SHOTS / "reception-checklist.png"), full_page=True)
        page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
        expect(page).to_have_url(re.compile(r"/dossiers/[0-9a-f-]{36}$"))

        papers = page.locator("#sec-papers").locator("..")
        table = papers.locator("table.papers-received")
        expect(table.locator("tbody tr")).to_have_count(3)
        expect(table).to_contain_text("Bản sao cần chứng thực")
        expect(table).to_contain_text("Bản sao chứng thực")
        # 3 copies × (2 × 2.000 + 2 × 1.000) = 18.000 đ; the certified copy is not charged.
        expect(papers).to_contain_text("3 bản × 4 trang = 3 × 6.000 đ: 18.000 đ")
        page.screenshot(path=str(SHOTS / "dossier-papers.png"), full_page=True)

        # A copy fewer, corrected at the desk: the fee follows.
        papers.get_by_text("Sửa giấy tờ đã nhận").click()
        papers.locator('[name="paper-1-count"]').fill("2")
        papers.get_by_role("button", name="Ghi giấy tờ đã nhận").click()
        expect(page.locator(".flash-ok")).to_contain_text("Đã ghi giấy tờ đã nhận")
        expect(page.locator("#sec-papers").locator("..")).to_contain_text("2 × 6.000 đ: 12.000 đ")

        page.get_by_role("link", name=re.compile("Mẫu 01")).click()
        sheet = page.locator("main.sheet")
        expect(sheet).to_contain_text("Mẫu số 01 (Thông tư số 03/2025/TT-VPCP)")
        rows = sheet.locator("table.papers tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.nth(0)).to_contain_text("Bản chính giấy tờ, văn bản làm cơ sở chứng thực")
        expect(rows.nth(0)).to_contain_text("Bản chính")
        expect(rows.nth(1)).to_contain_text("Bản sao cần chứng thực (4 trang)")
        expect(rows.nth(1)).to_contain_text("02")
        expect(rows.nth(2)).to_contain_text("Giấy khai sinh")
        expect(rows.nth(2)).to_contain_text("Bản sao chứng thực")
        expect(sheet).to_contain_text("7. Phí, lệ phí: 12.000 đ")
        page.screenshot(path=str(SHOTS / "receipt-checklist.png"), full_page=True)
    finally:
        page.context.close()
