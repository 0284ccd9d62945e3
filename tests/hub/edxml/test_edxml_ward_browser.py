"""A ward's own document to an agency outside the city, end to end over real processes (a hub
serving with its edXML exchange, a ward node syncing; docs/edxml.md, "A ward's documents"):
the ward's drafter addresses the province by OrganId and name on the outgoing-document form;
the document is attached a file, approved, signed and released; after a sync the hub's outbox
holds its document message, from the ward's OrganId, the file inside; the province's status
03, dropped in the hub's inbox, shows on the ward's document page after the next sync; the
ward's leader recalls it, and the revocation message goes to the province once and shows on
the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from central_hub.edxml import parse
from tests.hub.conftest import HubEngine
from tests.hub.edxml import messages as M
from tests.support import BROWSER_MARKS, Cluster, log_in, running_cluster, token, wait_until

try:
    from playwright.sync_api import Browser, expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

pytestmark = BROWSER_MARKS

WARD = "19786"
WARD_ORGAN = "000.35.15.H57"
PROVINCE, PROVINCE_NAME = "000.00.20.H41", "Văn phòng UBND tỉnh Quảng Trị"
SHOTS = Path("/tmp/shots-edxml")
SUMMARY = "Về việc phối hợp xác minh nơi cư trú của công dân"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, hub_engine: HubEngine) -> Iterator[Cluster]:
    staff = [
        ("chuyenvien", "specialist", "Ngô Chuyên Viên"),
        ("vanthu", "clerk", "Trần Thị Văn Thư"),
        ("lanhdao", "leader", "Lê Văn Lãnh"),
    ]
    with running_cluster(
        tmp_path_factory.mktemp("edxml-ward"),
        WARD,
        users={WARD: staff},
        hub_env={"CENTRAL_HUB_EDXML_INTERVAL": "1"},
        database_url=hub_engine.new_url(),
    ) as cluster:
        yield cluster


def test_a_ward_sends_to_the_province_and_sees_its_status(
    cluster: Cluster, browser: Browser
) -> None:
    assert cluster.hub is not None
    SHOTS.mkdir(exist_ok=True)
    hub, ward = cluster.hub.url, cluster.wards[WARD].url
    outbox = cluster.hub_data / "edxml" / "outbox"
    inbox = cluster.hub_data / "edxml" / "inbox"
    # The city gave the ward its OrganId in the reference data.
    resp = requests.put(
        f"{hub}/api/v1/units/{WARD}",
        json={"organ_id": WARD_ORGAN},
        headers=token(hub, "admin"),
        timeout=10,
    )
    assert resp.status_code == 200, resp.text

    context = browser.new_context(base_url=ward, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, "/login", "chuyenvien")
    page.goto("/van-ban/moi")
    page.get_by_label("Trích yếu nội dung").fill(SUMMARY)
    page.get_by_label("Mã định danh cơ quan 1").fill("000.00.20.h41")
    page.get_by_label("Tên cơ quan 1").fill(PROVINCE_NAME)
    page.screenshot(path=str(SHOTS / "ward-new-outside.png"), full_page=True)
    page.get_by_role("button", name="Lưu dự thảo").click()
    section = page.locator("[data-outside]")
    expect(section).to_contain_text(PROVINCE_NAME)
    expect(section.locator(f'tr[data-organ="{PROVINCE}"]')).to_contain_text("Gửi khi phát hành")
    doc_id = page.url.rstrip("/").rsplit("/", 1)[1]

    # Its file, then approval, signature and release (the ward's API, as the others do it).
    drafter, leader, clerk = (token(ward, u) for u in ("chuyenvien", "lanhdao", "vanthu"))
    up = requests.post(
        f"{ward}/api/v1/documents/{doc_id}/attachments",
        files={"file": ("Công văn xác minh.pdf", M.PDF, "application/pdf")},
        headers=drafter,
        timeout=10,
    )
    assert up.status_code == 201, up.text
    for who, action in ((leader, "approve"), (leader, "sign"), (clerk, "release")):
        resp = requests.post(
            f"{ward}/api/v1/documents/{doc_id}/actions",
            json={"action": action},
            headers=who,
            timeout=10,
        )
        assert resp.status_code == 200, resp.text
    symbol = resp.json()["symbol"]

    # After a sync and a round of the exchange: its message in the outbox, once.
    def written() -> list[Path]:
        return sorted(outbox.glob("*-vanban-*.edxml")) if outbox.exists() else []

    wait_until(lambda: len(written()) == 1, 60, interval=0.5, what="the document message")
    msg = parse(written()[0].read_bytes())
    assert msg.from_organ == WARD_ORGAN and msg.to_organs == [PROVINCE]
    assert msg.symbol == symbol and msg.subject == SUMMARY
    assert [(a.name, a.data()) for a in msg.attachments] == [("Công văn xác minh.pdf", M.PDF)]

    def outside() -> dict:
        got = requests.get(f"{ward}/api/v1/documents/{doc_id}", headers=drafter, timeout=10)
        return dict(got.json()["outside"][0])

    wait_until(lambda: outside()["sent_at"], 60, interval=0.5, what="sent_at at the ward")

    # The province's clerk registers it: its status 03 comes through the hub's inbox.
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / ".dang-ghi").write_bytes(M.status("03", answers=msg.doc_key, sender=PROVINCE))
    (inbox / ".dang-ghi").rename(inbox / "trang-thai-03.edxml")
    wait_until(lambda: outside()["status_code"] == "03", 60, interval=0.5, what="03 at the ward")
    assert len(written()) == 1
    page.reload()
    row = page.locator(f'[data-outside] tr[data-organ="{PROVINCE}"]')
    expect(row.locator('[data-edxml-status="03"]')).to_contain_text("vào sổ")
    expect(row).not_to_contain_text("Chờ máy chủ trung tâm gửi")
    page.screenshot(path=str(SHOTS / "ward-outside-status.png"), full_page=True)
    context.close()

    # The ward's leader recalls it, with the reason: a revocation goes to the province through
    # the hub's outbox, once, and the ward's page says it went (docs/edxml.md, "Revocations
    # out").
    context = browser.new_context(base_url=ward, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, "/login", "lanhdao")
    page.goto(f"/van-ban/{doc_id}")
    page.get_by_label("Lý do thu hồi").fill("Sai địa chỉ nơi cư trú")
    page.get_by_role("button", name="Thu hồi").click()
    row = page.locator(f'[data-outside] tr[data-organ="{PROVINCE}"]')
    expect(row).to_contain_text("Chờ máy chủ trung tâm gửi thông báo thu hồi")

    def revoked() -> list[Path]:
        return sorted(outbox.glob("*-thuhoi-1-*.edxml"))

    wait_until(lambda: len(revoked()) == 1, 60, interval=0.5, what="the revocation message")
    revocation = parse(revoked()[0].read_bytes())
    assert revocation.business_type == 1 and revocation.to_organs == [PROVINCE]
    assert revocation.doc_key == msg.doc_key and revocation.from_organ == WARD_ORGAN
    assert revocation.business_reason == "Lê Văn Lãnh: Sai địa chỉ nơi cư trú"
    wait_until(lambda: outside().get("revoked_at"), 60, interval=0.5, what="revoked_at")
    assert len(revoked()) == 1 and len(written()) == 1
    page.reload()
    expect(row.locator(f'[data-revoked="{PROVINCE}"]')).to_contain_text("Đã gửi thông báo thu hồi")
    page.screenshot(path=str(SHOTS / "ward-outside-revoked.png"), full_page=True)
    context.close()
