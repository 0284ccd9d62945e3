"""A document from the national exchange platform, end to end over real processes (a hub
serving with its edXML exchange, two ward nodes syncing): the message is dropped in the hub's
inbox; the city office's clerk finds it on the console, registers it and forwards it to two
wards, one leading; the lead ward registers, assigns and finishes it; the hub's outbox then
holds the status messages 01, 03, 04 and 06 for the sender (docs/edxml.md)."""

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

LEAD, OTHER = "19786", "19744"
SHOTS = Path("/tmp/shots-edxml")
SUBJECT = "Về việc triển khai kế hoạch chuyển đổi số năm 2027"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, hub_engine: HubEngine) -> Iterator[Cluster]:
    staff = [("vanthu", "clerk", "Trần Thị Văn Thư"), ("lanhdao", "leader", "Lê Văn Lãnh")]
    with running_cluster(
        tmp_path_factory.mktemp("edxml"),
        LEAD,
        OTHER,
        users={LEAD: staff, OTHER: staff},
        hub_env={"CENTRAL_HUB_EDXML_INTERVAL": "1"},
        database_url=hub_engine.new_url(),
    ) as cluster:
        yield cluster


def _codes(outbox: Path) -> list[str]:
    names = sorted(p.name for p in outbox.glob("*-trangthai-*.edxml"))
    return [n.split("-trangthai-")[1][:2] for n in names]


def test_a_document_from_outside_is_forwarded_finished_and_answered(
    cluster: Cluster, browser: Browser
) -> None:
    assert cluster.hub is not None
    SHOTS.mkdir(exist_ok=True)
    hub = cluster.hub.url
    inbox = cluster.hub_data / "edxml" / "inbox"
    outbox = cluster.hub_data / "edxml" / "outbox"
    inbox.mkdir(parents=True, exist_ok=True)
    pdf = [("Kế hoạch chuyển đổi số.pdf", "application/pdf", M.PDF)]
    message = M.document(
        to="000.00.00.H57", subject=SUBJECT, files=pdf, number="215", notation="KH-BTTTT"
    )
    (inbox / ".dang-ghi").write_bytes(message)
    (inbox / ".dang-ghi").rename(inbox / "ke-hoach.edxml")  # as a connector drops a file
    wait_until(lambda: _codes(outbox) == ["01"], 30, interval=0.5, what="status 01 in the outbox")

    context = browser.new_context(base_url=hub, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, "/console/dang-nhap", "admin")
    page.get_by_role("link", name="Điều hành").click()
    page.get_by_role("link", name="Liên thông").click()
    expect(
        page.get_by_role("heading", name="Văn bản đến từ trục liên thông quốc gia")
    ).to_be_visible()
    row = page.locator("tr[data-outside]")
    expect(row).to_contain_text("215/KH-BTTTT")
    expect(row).to_contain_text("Văn phòng Chính phủ")
    expect(row).to_contain_text("Chờ tiếp nhận")
    page.screenshot(path=str(SHOTS / "lien-thong-list.png"), full_page=True)
    page.get_by_role("link", name="215/KH-BTTTT").click()
    expect(page.locator("[data-signature]")).to_contain_text("Không có chữ ký số")
    expect(page.get_by_role("link", name="Kế hoạch chuyển đổi số.pdf")).to_be_visible()
    page.screenshot(path=str(SHOTS / "lien-thong-document.png"), full_page=True)

    page.get_by_role("button", name="Vào sổ").click()
    expect(page.get_by_role("status")).to_contain_text("Đã vào sổ văn bản đến, số đến 1")
    expect(page.locator("[data-status]")).to_have_text("Chờ phân công")
    wait_until(lambda: _codes(outbox) == ["01", "03"], 30, interval=0.5, what="status 03")

    page.get_by_label("Đơn vị chủ trì").select_option(LEAD)
    page.locator(f'input[name="others"][value="{OTHER}"]').check()
    page.get_by_label("Hạn xử lý (dd/mm/yyyy)").fill("31/12/2099")
    page.get_by_role("button", name="Chuyển xử lý").click()
    expect(page.get_by_role("status")).to_contain_text("Đã chuyển văn bản tới 2 đơn vị")
    expect(page.locator("[data-forward]")).to_contain_text("(chủ trì)")
    wait_until(lambda: _codes(outbox) == ["01", "03", "04"], 30, interval=0.5, what="status 04")
    forwarded_id = page.locator("[data-forward]").get_attribute("data-forward")
    page.screenshot(path=str(SHOTS / "lien-thong-forwarded.png"), full_page=True)

    # The lead ward has it after a sync, with its file; registers, assigns and finishes it.
    ward = cluster.wards[LEAD].url
    clerk, leader = token(ward, "vanthu"), token(ward, "lanhdao")

    def arrived() -> dict | None:
        resp = requests.get(f"{ward}/api/v1/documents/{forwarded_id}", headers=clerk, timeout=10)
        return resp.json() if resp.status_code == 200 else None

    doc = wait_until(arrived, 30, interval=0.5, what="the forwarded document at the lead ward")
    assert doc["summary"] == SUBJECT and doc["issuing_agency"] == "Văn phòng Chính phủ"
    assert [a["name"] for a in doc["attachments"]] == ["Kế hoạch chuyển đổi số.pdf"]
    for who, body in (
        (clerk, {"action": "register"}),
        (leader, {"action": "assign", "lead_handler": "lanhdao"}),
        (leader, {"action": "done"}),
    ):
        resp = requests.post(
            f"{ward}/api/v1/documents/{forwarded_id}/actions", headers=who, json=body, timeout=10
        )
        assert resp.status_code == 200, resp.text

    wait_until(
        lambda: _codes(outbox) == ["01", "03", "04", "06"], 60, interval=0.5, what="status 06"
    )
    for path in sorted(outbox.glob("*-trangthai-*.edxml")):
        status = parse(path.read_bytes())
        assert status.kind == "status" and status.from_organ == "000.00.00.H57"
        assert status.response_for == "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb"
        assert M.paths(path.read_bytes()) <= M.paths(M.sample("status"))

    page.reload()
    expect(page.locator("[data-status]")).to_have_text("Hoàn thành")
    expect(page.locator('tr[data-message="out-status-06"]')).to_be_visible()
    page.screenshot(path=str(SHOTS / "lien-thong-done.png"), full_page=True)
    page.goto("/console/dieu-hanh/lien-thong")
    expect(page.locator("tr[data-outside]")).to_contain_text("Hoàn thành")

    # A ward's own OrganId, in the reference data: checked, then saved.
    page.goto(f"/console/danh-muc-don-vi/{OTHER}")
    organ = page.get_by_label("Mã định danh liên thông (edXML)")
    organ.fill("000 00 15")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("alert")).to_contain_text("mã định danh liên thông")
    organ = page.get_by_label("Mã định danh liên thông (edXML)")
    organ.fill("000.00.15.H57")
    page.screenshot(path=str(SHOTS / "unit-organ-id.png"), full_page=True)
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_contain_text(f"Đã lưu đơn vị {OTHER}")
    expect(page.get_by_label("Mã định danh liên thông (edXML)")).to_have_value("000.00.15.H57")
    context.close()
