"""Enrolling a ward from the console in a real browser: an administrator creates a token for a
ward that has no node, copies its text from the page, the ward is set up with the real
``ward-node init`` and started, and the open dashboard shows it in sync without a reload."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import (
    BROWSER_MARKS,
    Cluster,
    add_ward_user,
    log_in,
    run,
    running_cluster,
    wait_until,
)

try:
    from playwright.sync_api import expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

pytestmark = BROWSER_MARKS

ENROLLED = "19786"  # has a node already; the administrator picks another ward


@pytest.fixture
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("enroll"), ENROLLED, serve=False) as cluster:
        yield cluster


def _rows_text(page: Any) -> str:
    return " ".join(page.locator("#units tbody").inner_text().split())


def test_an_administrator_enrolls_a_new_ward_from_a_token_shown_in_the_console(
    cluster: Cluster, browser: Any
) -> None:
    context = browser.new_context(
        base_url=cluster.hub_url, viewport={"width": 1366, "height": 900}, locale="vi-VN"
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        log_in(page, "/console/", "admin")
        expect(page.get_by_role("heading", name="Các đơn vị")).to_be_visible()

        page.get_by_role("link", name="Đăng ký nút").click()
        expect(page.get_by_role("heading", name="Đăng ký nút mới")).to_be_visible()
        options = page.locator("#unit option").all_inner_texts()
        taken = [o for o in options if f"({ENROLLED})" in o]
        assert taken and "đã có nút" in taken[0]
        choice = next(o for o in options if "đã có nút" not in o)
        unit = choice.rsplit("(", 1)[1].rstrip(")")
        page.get_by_label("Đơn vị").select_option(label=choice)
        page.get_by_role("button", name="Tạo mã đăng ký").click()

        shown = page.locator("#token")
        expect(shown).to_be_visible()
        token = shown.input_value().strip()  # what a person copies
        assert token.startswith("wst1.")
        qr = page.get_by_role("img", name="Mã QR của mã đăng ký")
        expect(qr).to_be_visible()
        assert qr.evaluate("e => e.tagName.toLowerCase()") == "svg"
        pending = page.locator("#pending tbody")
        expect(pending).to_contain_text(f"({unit})")

        page.get_by_role("link", name="Các đơn vị").click()
        expect(page.get_by_role("heading", name="Các đơn vị")).to_be_visible()
        page.evaluate("window.stayed = true")  # gone if the page reloads
        assert unit not in _rows_text(page)

        data = cluster.ward_data(unit)
        run(
            "ward_node",
            "init",
            "--data",
            str(data),
            "--unit",
            unit,
            "--hub",
            cluster.hub_url,
            "--token",
            token,
        )
        add_ward_user(data, "canbo", "officer", "Lê Thị Thu Hà")
        ward = cluster.start_ward(unit)

        row = page.locator(f'#units tbody tr[data-node^="{unit}-"]')
        expect(row.locator(".state")).to_contain_text("Đồng bộ", timeout=30_000)
        expect(row).to_contain_text("CSDL 00")
        assert page.evaluate("window.stayed") is True

        # The rows console.js builds say what the server renders: compare once nothing moves.
        ward.stop()
        table = page.locator("#units")
        seen = int(table.get_attribute("data-refreshes") or 0)
        wait_until(
            lambda: int(table.get_attribute("data-refreshes") or 0) >= seen + 2,
            30,
            what="two refreshes after the ward stopped",
        )
        by_script = _rows_text(page)
        plain = browser.new_context(
            base_url=cluster.hub_url,
            viewport={"width": 1366, "height": 900},
            storage_state=context.storage_state(),
            java_script_enabled=False,
        )
        try:
            static = plain.new_page()
            static.goto("/console/")
            assert _rows_text(static) == by_script
        finally:
            plain.close()

        page.get_by_role("link", name="Đăng ký nút").click()
        expect(page.locator("#pending tbody")).not_to_contain_text(f"({unit})")
    finally:
        context.close()
