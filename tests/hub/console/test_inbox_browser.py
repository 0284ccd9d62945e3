"""The conflict inbox in a real browser over real processes: a ward and the city edit a
dossier's status and due date concurrently (the ward while its sync is off), the hub opens two
conflicts, an administrator filters the inbox in Chromium, sees both sides, resolves one with
another value and one with the ward's value, each with a note; the ward receives both values,
and the record's history shows the resolutions by the administrator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import (
    BROWSER_MARKS,
    Cluster,
    log_in,
    running_cluster,
    token,
    wait_until,
)

try:
    from playwright.sync_api import expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

pytestmark = BROWSER_MARKS

UNIT = "19786"
HUE_OFFSET = "+07:00"


@pytest.fixture
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    leader = ("lanhdao", "leader", "Trần Minh Quang")
    with running_cluster(tmp_path_factory.mktemp("inbox"), UNIT, users={UNIT: [leader]}) as cluster:
        yield cluster


def _call(method: str, url: str, headers: dict[str, str], **kwargs: Any) -> Any:
    resp = requests.request(method, url, headers=headers, timeout=10, **kwargs)
    assert resp.status_code < 300, (url, resp.status_code, resp.text)
    return resp.json()


def _hub_conflicts(cluster: Cluster, admin: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = _call(
        "GET", cluster.hub_url + "/api/v1/conflicts", admin, params={"state": "all"}
    )["items"]
    return items


def _make_conflicts(cluster: Cluster) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A dossier received at the ward and synced; then, with the ward's sync off, the ward
    starts it and extends its due date while the city stops it and sets another due date."""
    ward = cluster.wards[UNIT].url
    clerk = token(ward)
    admin = token(cluster.hub_url, "admin")
    dossier = _call(
        "POST",
        ward + "/api/v1/dossiers",
        clerk,
        json={"procedure_code": "1.001193", "applicant": {"full_name": "Hoàng Thị Mai"}},
    )
    hub_dossier = cluster.hub_url + f"/api/v1/dossiers/{dossier['id']}"
    wait_until(
        lambda: requests.get(hub_dossier, headers=admin, timeout=5).status_code == 200,
        30,
        what="the dossier at the hub",
    )
    # The ward goes on working with its sync worker off: what it writes now cannot reach
    # the hub before the city's own edit, so both edits start from the same version.
    cluster.wards[UNIT].stop()
    ward = cluster.start_ward(UNIT, interval=0).url
    leader = token(ward, "lanhdao")
    due = datetime.fromisoformat(dossier["due_at"])
    _call(
        "POST", ward + f"/api/v1/dossiers/{dossier['id']}/actions", leader, json={"action": "start"}
    )
    _call(
        "POST",
        ward + f"/api/v1/dossiers/{dossier['id']}/actions",
        leader,
        json={
            "action": "extend",
            "new_due_at": (due + timedelta(days=5)).isoformat(),
            "note": "Xin lỗi công dân vì cần xác minh thêm",
        },
    )
    _call(
        "PATCH",
        hub_dossier,
        admin,
        json={"status": 8, "due_at": (due + timedelta(days=3)).isoformat()},
    )
    cluster.wards[UNIT].stop()
    cluster.start_ward(UNIT)  # the worker syncs at once
    found = wait_until(
        lambda: (
            {c["field"]: c for c in _hub_conflicts(cluster, admin) if c["state"] == "open"}
            if len(_hub_conflicts(cluster, admin)) >= 2
            else None
        ),
        30,
        what="two open conflicts at the hub",
    )
    assert set(found) == {"status", "due_at"}, found
    return dossier, found


def test_an_administrator_resolves_conflicts_in_the_inbox_and_the_ward_receives_the_values(
    cluster: Cluster, browser: Any, tmp_path: Path
) -> None:
    dossier, found = _make_conflicts(cluster)
    merged_due = (datetime.fromisoformat(dossier["due_at"]) + timedelta(days=7)).astimezone(
        datetime.fromisoformat("2026-01-01T00:00:00" + HUE_OFFSET).tzinfo
    )
    merged_text = merged_due.strftime("%d/%m/%Y") + " 16:30"

    context = browser.new_context(
        base_url=cluster.hub_url, viewport={"width": 1366, "height": 900}, locale="vi-VN"
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        log_in(page, "/console/xung-dot", "admin")
        expect(page.get_by_role("heading", name="Hộp xung đột")).to_be_visible()

        # Filter: the ward, dossiers, detected from today on (dd/mm/yyyy).
        page.get_by_label("Đơn vị", exact=True).select_option(UNIT)
        page.get_by_label("Loại bản ghi").select_option("dossier")
        page.get_by_label("Thời gian đã mở").select_option("")
        today = datetime.now(merged_due.tzinfo).strftime("%d/%m/%Y")
        page.get_by_label("Phát hiện từ ngày").fill(today)
        page.get_by_role("button", name="Lọc").click()
        expect(page).to_have_url(re.compile("from=" + re.escape(today.replace("/", "%2F"))))

        status = page.locator(f"#xung-dot-{found['status']['id']}")
        due = page.locator(f"#xung-dot-{found['due_at']['id']}")
        expect(status).to_contain_text("Hồ sơ một cửa — Trạng thái hồ sơ")
        expect(status).to_contain_text(dossier["code"])
        expect(status).to_contain_text("Hoàng Thị Mai")
        expect(status.locator(".side")).to_have_count(3)  # the base and both sides
        expect(status.locator(".side.base")).to_contain_text("Được tiếp nhận")
        expect(status.locator(".side", has_text="Dừng xử lý")).to_contain_text("Máy chủ trung tâm")
        expect(status.locator(".side", has_text="Đang xử lý")).to_contain_text("lanhdao")
        expect(due).to_contain_text("Hạn giải quyết")
        page.screenshot(path=str(tmp_path / "inbox.png"), full_page=True)

        # "Chọn tất cả cùng loại" (inbox.js) ticks the conflicts of that kind only.
        status.get_by_role("button", name="Chọn tất cả cùng loại").click()
        expect(status.get_by_label("Chọn để giải quyết hàng loạt")).to_be_checked()
        expect(due.get_by_label("Chọn để giải quyết hàng loạt")).not_to_be_checked()
        status.get_by_label("Chọn để giải quyết hàng loạt").uncheck()

        # The due date: another value, in Huế time, with a note.
        due.get_by_label("Giá trị khác (hợp nhất)").check()
        due.get_by_role("textbox", name="Giá trị khác").fill(merged_text)
        due.get_by_label("Ghi chú").fill("Thống nhất hạn mới với phường")
        due.get_by_role("button", name="Giải quyết", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text(
            f"Đã giải quyết xung đột số {found['due_at']['id']}"
        )
        # The filters survive the resolution; the status: the ward's value.
        expect(page.get_by_label("Phát hiện từ ngày")).to_have_value(today)
        status = page.locator(f"#xung-dot-{found['status']['id']}")
        status.locator(".side", has_text="Đang xử lý").get_by_role("radio").check()
        status.get_by_label("Ghi chú").fill("Phường đã bắt đầu xử lý")
        status.get_by_role("button", name="Giải quyết", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text(
            f"Đã giải quyết xung đột số {found['status']['id']}"
        )
        expect(page.get_by_text("Không có xung đột nào.")).to_be_visible()

        # The ward receives both values through its own sync.
        ward = cluster.wards[UNIT].url
        clerk = token(ward)

        def received() -> dict[str, Any] | None:
            got = _call("GET", ward + f"/api/v1/dossiers/{dossier['id']}", clerk)
            due_at = datetime.fromisoformat(got["due_at"])
            return (
                got
                if got["status"] == 4
                and due_at == merged_due.replace(hour=16, minute=30, second=0, microsecond=0)
                else None
            )

        wait_until(received, 60, what="the resolved values at the ward")

        # The record's history shows the resolutions, by the administrator, with the notes.
        page.get_by_role("link", name="Xung đột").first.click()
        page.goto(f"/console/ban-ghi/dossier/{dossier['id']}")
        rows = page.locator("tr.resolution")
        expect(rows).to_have_count(2)
        expect(
            rows.filter(has_text=f"Giải quyết xung đột số {found['due_at']['id']}")
        ).to_contain_text("Thống nhất hạn mới với phường")
        expect(
            rows.filter(has_text=f"Giải quyết xung đột số {found['status']['id']}")
        ).to_contain_text("bởi admin")
        expect(rows.first).to_contain_text(merged_text)
        page.screenshot(path=str(tmp_path / "history.png"), full_page=True)
    finally:
        context.close()
