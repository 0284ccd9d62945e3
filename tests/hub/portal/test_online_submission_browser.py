"""A citizen submits a dossier online at the hub, the ward's officer receives it from the queue
page, and the hub's public look-up shows each step; the hub texts the citizen on reception
(issue [6], "Citizens")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.hub.conftest import HubEngine
from tests.support import (
    BROWSER_MARKS,
    Cluster,
    hub_query,
    log_in,
    query,
    running_cluster,
    token,
    wait_until,
)

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

pytestmark = BROWSER_MARKS

UNIT = "19786"
CODE = re.compile(r"H57\.19786-\d{6}-5\d{3}")
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, hub_engine: HubEngine) -> Iterator[Cluster]:
    with running_cluster(
        tmp_path_factory.mktemp("online"),
        UNIT,
        hub_env={"CENTRAL_HUB_SMS_INTERVAL": "1"},
        database_url=hub_engine.new_url(),
    ) as cluster:
        yield cluster


def _page(browser: Browser, base_url: str) -> Page:
    context = browser.new_context(base_url=base_url, locale="vi-VN")
    context.set_default_timeout(10_000)
    return context.new_page()


def _hub_shows(page: Page, code: str, statuses: list[str]) -> None:
    page.goto(f"/tra-cuu/{code}")
    expect(page.locator("#status")).to_have_text(statuses[-1])
    expect(page.locator("#timeline tbody td:nth-child(2)")).to_have_text(statuses)
    assert "Nguyễn Thị Lan" not in page.locator("body").inner_text()


def test_citizen_submits_online_ward_receives_and_lookup_shows_each_step(
    cluster: Cluster, browser: Browser
) -> None:
    citizen = _page(browser, cluster.hub_url)
    citizen.goto("/nop-ho-so")
    citizen.get_by_label("Phường nhận hồ sơ").select_option(UNIT)
    citizen.get_by_label("Thủ tục").select_option("1.004873")
    citizen.get_by_label("Họ và tên").fill("Nguyễn Thị Lan")
    citizen.get_by_label("Số căn cước").fill("046185000123")
    citizen.get_by_label("Năm sinh").fill("1985")
    citizen.get_by_label("Giới tính").select_option("nữ")
    citizen.get_by_label("Số điện thoại di động").fill("0905 123 456")
    citizen.get_by_label("Địa chỉ liên hệ").fill("12 Lê Lợi, phường Phú Hội, Huế")
    citizen.locator('input[name="scans"]').set_input_files(
        {"name": "giay-to.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    citizen.get_by_role("button", name="Nộp hồ sơ").click()
    expect(citizen.get_by_role("heading", name="Đã nộp hồ sơ")).to_be_visible()
    code = citizen.locator("#code").inner_text().strip()
    assert CODE.fullmatch(code), code
    citizen.locator("#lookup").click()
    expect(citizen.locator("#status")).to_have_text("Mới đăng ký")

    ward_store = cluster.ward_data(UNIT) / "node.sqlite3"
    wait_until(
        lambda: query(ward_store, "SELECT 1 FROM dossier WHERE code = ?", code),
        20,
        0.2,
        what="the online dossier reached the ward",
    )
    officer = _page(browser, cluster.wards[UNIT].url)
    log_in(officer, "/login", "canbo")
    officer.goto("/viec/hom-nay")
    officer.get_by_role("link", name=code).click()
    form = officer.locator('form.action-form:has(input[name="action"][value="receive"])')
    form.get_by_role("button", name="Tiếp nhận").click()
    expect(officer.locator(".flash-ok")).to_contain_text("Đã thực hiện: Tiếp nhận")

    hub_store = cluster.hub_data
    wait_until(
        lambda: hub_query(hub_store, "SELECT 1 FROM dossier WHERE code = ? AND status = 2", code),
        20,
        0.2,
        what="the reception reached the hub",
    )
    _hub_shows(citizen, code, ["Mới đăng ký", "Được tiếp nhận"])
    expect(citizen.locator("#due")).to_be_visible()

    hub_auth = token(cluster.hub_url, "admin")

    def texted() -> list[dict[str, Any]] | None:
        resp = requests.get(
            cluster.hub_url + "/api/v1/sms",
            params={"dossier_code": code},
            headers=hub_auth,
            timeout=10,
        )
        resp.raise_for_status()
        items = resp.json()["items"]
        return items if items and all(i["status"] == "sent" for i in items) else None

    (sms,) = wait_until(texted, 20, 0.2, what="the reception notice sent by the hub")
    assert sms["kind"] == "received" and sms["phone"] == "+84905123456"
    assert code in sms["text"] and "Ngay hen tra" in sms["text"]
    assert Path(cluster.hub_data, "blobs").is_dir()
