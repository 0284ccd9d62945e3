"""Conflicts in the open, in Chromium over real processes: the city and a ward edit a dossier's
notes and its applicant's phone before seeing each other's edit. The ward's dossier page and
the console's record page both say "Đang có xung đột" with both values, who wrote each, where
and when; the ward's leader keeps one notes text on the dossier's page, the city's
administrator types the phone on the record's page; after the sync neither page shows a
conflict any more."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import (
    BROWSER_MARKS,
    Cluster,
    log_in,
    query,
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
CITY_NOTES = "Thành phố: chờ xác minh hộ khẩu tại tổ dân phố 5."
WARD_NOTES = "Phường: đã xác minh, đủ điều kiện giải quyết."
# Where to keep the screenshots for a person to look at (default: the test's own folder).
SHOTS = os.environ.get("WARDSYNC_SHOTS")


@pytest.fixture
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    leader = ("lanhdao", "leader", "Trần Minh Quang")
    with running_cluster(
        tmp_path_factory.mktemp("conflicts-browser"),
        UNIT,
        users={UNIT: [leader]},
        interval=3600,  # syncs only when asked
    ) as cluster:
        yield cluster


def _call(method: str, url: str, headers: dict[str, str], **kwargs: Any) -> Any:
    resp = requests.request(method, url, headers=headers, timeout=10, **kwargs)
    assert resp.status_code < 300, (url, resp.status_code, resp.text)
    return resp.json()


def _conflicts_made(cluster: Cluster) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    ward = cluster.wards[UNIT].url
    clerk, admin = token(ward), token(cluster.hub_url, "admin")
    dossier = _call(
        "POST",
        ward + "/api/v1/dossiers",
        clerk,
        json={
            "procedure_code": "1.001193",
            "applicant": {"full_name": "Hoàng Thị Mai", "phone": "0905111222"},
            "notes": "Nộp đủ giấy tờ.",
        },
    )
    _call("POST", ward + "/api/v1/sync/run", clerk)
    hub_dossier = cluster.hub_url + f"/api/v1/dossiers/{dossier['id']}"
    wait_until(
        lambda: requests.get(hub_dossier, headers=admin, timeout=5).status_code == 200,
        60,
        what="the dossier at the hub",
    )
    _call(
        "PATCH",
        hub_dossier,
        admin,
        json={"notes": CITY_NOTES, "applicant": {"phone": "+84905333444"}},
    )
    _call(
        "PATCH",
        ward + f"/api/v1/dossiers/{dossier['id']}",
        clerk,
        json={"notes": WARD_NOTES, "applicant": {"phone": "0905 555 666"}},
    )
    _call("POST", ward + "/api/v1/sync/run", clerk)

    def both() -> dict[str, dict[str, Any]] | None:
        items = _call("GET", cluster.hub_url + "/api/v1/conflicts", admin)["items"]
        found = {c["field"]: c for c in items if c["record_id"] == dossier["id"]}
        return found if len(found) == 2 else None

    found: dict[str, dict[str, Any]] = wait_until(both, 60, what="two open conflicts")
    store = cluster.ward_data(UNIT) / "node.sqlite3"
    wait_until(
        lambda: len(query(store, "SELECT id FROM conflict WHERE state = 'open'")) == 2,
        60,
        what="both notices at the ward",
    )
    return dossier, found


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


def test_both_record_pages_show_the_conflicts_and_resolve_them(
    cluster: Cluster, browser: Any, tmp_path: Path
) -> None:
    dossier, found = _conflicts_made(cluster)
    ward_url = cluster.wards[UNIT].url
    options = {"viewport": {"width": 1366, "height": 900}, "locale": "vi-VN"}
    ward_ctx = browser.new_context(base_url=ward_url, **options)
    hub_ctx = browser.new_context(base_url=cluster.hub_url, **options)
    for ctx in (ward_ctx, hub_ctx):
        ctx.set_default_timeout(10_000)
    try:
        # -- at the ward: the leader opens the dossier ---------------------------------------
        ward = ward_ctx.new_page()
        log_in(ward, "/login", "lanhdao")
        ward.goto(f"/dossiers/{dossier['id']}")
        alert = ward.get_by_role("alert").filter(has_text="Đang có xung đột")
        expect(alert).to_contain_text("Ghi chú")
        expect(alert).to_contain_text("Người nộp hồ sơ")
        notes = ward.locator(f"#xung-dot-{found['notes']['notice']}")
        expect(notes.locator(".conflict-side")).to_have_count(2)
        expect(notes.locator(".conflict-side", has_text=CITY_NOTES)).to_contain_text(
            "Máy chủ trung tâm thành phố"
        )
        expect(notes.locator(".conflict-side", has_text=WARD_NOTES)).to_contain_text(
            "Lê Thị Thu Hà (canbo)"
        )
        expect(notes.locator(".conflict-side.applied")).to_contain_text("(đang áp dụng)")
        phone = ward.locator(f"#xung-dot-{found['applicant']['notice']}")
        expect(phone.locator("mark", has_text="Điện thoại: 0905333444")).to_be_visible()
        expect(phone.locator("mark", has_text="Điện thoại: 0905555666")).to_be_visible()
        _shot(ward, tmp_path, "ward-dossier-conflicts.png")

        # -- in the console: the record's page ------------------------------------------------
        hub = hub_ctx.new_page()
        log_in(hub, f"/console/ban-ghi/dossier/{dossier['id']}", "admin")
        expect(hub.get_by_role("alert").filter(has_text="Đang có xung đột")).to_be_visible()
        card = hub.locator(f"#xung-dot-{found['notes']['id']}")
        expect(card.locator(".side", has_text=CITY_NOTES)).to_contain_text("Máy chủ trung tâm")
        expect(card.locator(".side", has_text=WARD_NOTES)).to_contain_text("canbo")
        _shot(hub, tmp_path, "console-record-conflicts.png")

        # -- the leader keeps the city's notes at the ward -------------------------------------
        notes.locator(".conflict-side", has_text=CITY_NOTES).get_by_role("radio").check()
        notes.get_by_label("Ghi chú về quyết định").fill("Giữ ghi chú của thành phố")
        notes.get_by_role("button", name="Giải quyết").click()
        expect(ward.get_by_role("status")).to_contain_text(
            f"Đã giải quyết xung đột số {found['notes']['id']}"
        )
        expect(ward.locator(f"#xung-dot-{found['notes']['notice']}")).to_have_count(0)

        # -- the administrator types the phone on the console's record page -------------------
        card = hub.locator(f"#xung-dot-{found['applicant']['id']}")
        card.get_by_label("Giá trị khác (hợp nhất)").check()
        card.get_by_role("textbox", name="Điện thoại").fill("0905 777 888")
        card.get_by_label("Ghi chú").fill("Công dân báo số mới")
        card.get_by_role("button", name="Giải quyết", exact=True).click()
        expect(hub.get_by_role("status")).to_contain_text(
            f"Đã giải quyết xung đột số {found['applicant']['id']}"
        )
        expect(hub).to_have_url(f"{cluster.hub_url}/console/ban-ghi/dossier/{dossier['id']}")

        # -- after the ward's sync, neither page shows a conflict -----------------------------
        clerk, admin = token(ward_url), token(cluster.hub_url, "admin")
        _call("POST", ward_url + "/api/v1/sync/run", clerk)

        def settled() -> bool:
            items = _call(
                "GET", cluster.hub_url + "/api/v1/conflicts", admin, params={"state": "all"}
            )["items"]
            mine = [c for c in items if c["record_id"] == dossier["id"]]
            got = _call("GET", ward_url + f"/api/v1/dossiers/{dossier['id']}", clerk)
            return (
                all(c["state"] == "resolved" for c in mine)
                and got["applicant"]["phone"] == "+84905777888"
            )

        wait_until(settled, 60, what="both conflicts closed at the hub and the ward")
        hub.reload()
        expect(hub.get_by_text("Đang có xung đột")).to_have_count(0)
        expect(hub.locator("tr.resolution")).to_have_count(2)
        expect(hub.locator("tr.resolution", has_text="bởi lanhdao")).to_contain_text("UBND phường")
        _shot(hub, tmp_path, "console-record-resolved.png")
        ward.reload()
        expect(ward.get_by_text("Đang có xung đột")).to_have_count(0)
        expect(ward.locator("dl.facts").first).to_contain_text(CITY_NOTES)
        expect(ward.locator("dl.facts").nth(1)).to_contain_text("0905 777 888")
        _shot(ward, tmp_path, "ward-dossier-resolved.png")
    finally:
        ward_ctx.close()
        hub_ctx.close()
