"""The ward node's pages in a real browser, against a real hub and ward node on loopback ports.

A desk officer logs in, receives a dossier through the reception form, finds it again by typing
the name without diacritics, and starts processing it; a form posted without the session's CSRF
token is refused. Headless Chromium from the system (/usr/bin/chromium), driven by Playwright.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support import BROWSER_MARKS, log_in, running_cluster

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

UNIT = "19786"
USERNAME = "canbo"  # the cluster's officer
CODE = re.compile(r"H57\.19786-\d{6}-\d{4}")
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def ward_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A hub and an enrolled ward node with one officer, both serving; the node's base URL."""
    with running_cluster(tmp_path_factory.mktemp("pages"), UNIT, interval=5) as cluster:
        yield cluster.wards[UNIT].url


# -- the browser -------------------------------------------------------------------------------


@pytest.fixture
def page(browser: Browser, ward_url: str) -> Iterator[Page]:
    """A fresh browser session, logged in as the officer through the login page."""
    context = browser.new_context(
        base_url=ward_url, viewport={"width": 1366, "height": 768}, locale="vi-VN"
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        tab.goto("/")
        expect(tab).to_have_url(re.compile(r"/login\?next="))
        log_in(tab, tab.url, USERNAME)
        expect(tab.get_by_role("heading", name="Hồ sơ một cửa")).to_be_visible()
        yield tab
    finally:
        context.close()


def _api(tab: Page, path: str) -> Any:
    """GET a JSON API path with the page's session cookie."""
    resp = tab.request.get(path)
    assert resp.ok, resp.text()
    return resp.json()


def _local(iso_utc: str) -> str:
    return datetime.fromisoformat(iso_utc).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


# -- the tests ---------------------------------------------------------------------------------


def test_officer_receives_finds_without_diacritics_and_starts_a_dossier(page: Page) -> None:
    # An old keyboard sends the name decomposed (NFD); the node stores it composed.
    name = "Đặng Thị Thuỷ"
    page.get_by_role("link", name="Tiếp nhận hồ sơ").first.click()
    page.get_by_label("Thủ tục hành chính").select_option("1.004873")  # 3 working days
    page.get_by_label(
        "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân (theo mẫu)"
    ).check()  # the papers handed in
    expect(page.locator('details[data-procedure="1.004873"]')).to_be_visible()
    expect(page.locator('details[data-procedure="1.001193"]')).to_be_hidden()
    page.get_by_label("Họ và tên").fill(unicodedata.normalize("NFD", name))
    page.get_by_label("Điện thoại").fill("0905123456")
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()

    expect(page.locator(".flash-ok")).to_contain_text("Đã tiếp nhận hồ sơ")
    code = page.locator("h1.dossier-code").inner_text().strip()
    assert CODE.fullmatch(code), code
    dossier_id = page.url.rsplit("/", 1)[-1]
    stored = _api(page, f"/api/v1/dossiers/{dossier_id}")
    assert stored["code"] == code and stored["status"] == 2
    assert stored["applicant"]["full_name"] == unicodedata.normalize("NFC", name)

    def fact(term: str) -> Any:
        return page.locator(f"dt:text-is('{term}') + dd")

    expect(fact("Ngày hẹn trả")).to_contain_text(_local(stored["due_at"]))
    expect(fact("Lệ phí")).to_have_text("3.000 đ")
    expect(fact("Điện thoại")).to_have_text("0905 123 456")

    page.get_by_role("link", name="Hồ sơ", exact=True).click()
    page.get_by_label("Tìm hồ sơ").fill("dang thi thuy")
    page.get_by_role("button", name="Tìm", exact=True).click()
    rows = page.locator("table.dossiers tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(unicodedata.normalize("NFC", name))
    rows.first.get_by_role("link", name=code).click()

    page.get_by_role("button", name="Bắt đầu xử lý").click()
    expect(page.locator(".flash-ok")).to_contain_text("Đã thực hiện: Bắt đầu xử lý")
    last_step = page.locator(".timeline li").last
    expect(last_step).to_contain_text("Bắt đầu xử lý")
    expect(last_step).to_contain_text("Đang xử lý")
    assert _api(page, f"/api/v1/dossiers/{dossier_id}")["status"] == 4


def test_form_post_without_csrf_token_is_refused(page: Page) -> None:
    form = {
        "procedure_code": "1.004873",
        "channel": "in_person",
        "applicant_full_name": "Phạm Văn Giả Mạo",
    }
    refused = page.request.post("/dossiers/new", form=form, max_redirects=0)
    assert refused.status == 400
    assert "Hãy tải lại trang" in refused.text()
    forged = page.request.post("/dossiers/new", form={**form, "csrf_token": "khong-dung"})
    assert forged.status == 400
    assert _api(page, "/api/v1/dossiers?q=pham+van+gia+mao")["items"] == []


@pytest.mark.parametrize("target", ["//evil.example/", "/%09/evil.example/", "/%5C/evil.example/"])
def test_login_never_sends_the_user_to_another_site(
    browser: Browser, ward_url: str, target: str
) -> None:
    context = browser.new_context(base_url=ward_url)
    context.set_default_timeout(10_000)
    try:
        tab = context.new_page()
        log_in(tab, f"/login?next={target}", USERNAME)
        expect(tab).to_have_url(ward_url + "/")
    finally:
        context.close()
