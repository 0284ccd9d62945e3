"""The console routes a document to a ward, over real processes: the administrator sends it
from the console's form, with its scanned PDF, to one ward (a real hub and a real ward node
with its sync worker); the ward has it and its file after a sync, its clerk registers it
through the ward's API, and the console's document page shows the ward's new status after a
reload."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.hub.conftest import HubEngine
from tests.support import (
    BROWSER_MARKS,
    Cluster,
    log_in,
    running_cluster,
    token,
    wait_until,
)

try:
    from playwright.sync_api import Browser, expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

pytestmark = BROWSER_MARKS

UNIT = "19786"
SUMMARY = "Về việc triển khai kế hoạch ứng phó mưa lũ cuối năm"
SCAN = b"%PDF-1.7\n% Ke hoach ung pho mua lu\n" + bytes(range(256)) * 300 + b"\n%%EOF\n"
SCAN_NAME = "Kế hoạch ứng phó mưa lũ.pdf"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, hub_engine: HubEngine) -> Iterator[Cluster]:
    clerk = ("vanthu", "clerk", "Trần Thị Văn Thư")
    with running_cluster(
        tmp_path_factory.mktemp("console-work"),
        UNIT,
        users={UNIT: [clerk]},
        database_url=hub_engine.new_url(),
    ) as cluster:
        yield cluster


def test_a_document_sent_from_the_console_reaches_the_ward_and_its_status_comes_back(
    cluster: Cluster, browser: Browser
) -> None:
    assert cluster.hub is not None
    hub, ward = cluster.hub.url, cluster.wards[UNIT].url
    context = browser.new_context(base_url=hub, viewport={"width": 1366, "height": 768})
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, "/console/dang-nhap", "admin")
    page.get_by_role("link", name="Điều hành").click()
    expect(page.get_by_role("heading", name="Văn bản thành phố đã gửi")).to_be_visible()
    page.get_by_role("link", name="Gửi văn bản mới").click()

    # Nothing ticked and a file that is not a PDF: refused with the message, what was typed
    # kept, and the file to choose again (a browser never keeps it).
    scans = page.get_by_label("Tệp văn bản (bản quét PDF)")
    page.get_by_label("Trích yếu nội dung").fill(SUMMARY)
    page.get_by_label("Độ khẩn").select_option(label="Khẩn")
    page.get_by_role("button", name="Gửi văn bản").click()
    expect(page.get_by_role("alert")).to_contain_text("Hãy chọn ít nhất một phường")
    expect(page.get_by_label("Trích yếu nội dung")).to_have_value(SUMMARY)
    page.get_by_label("UBND phường Phú Hội").check()
    scans.set_input_files({"name": "anh.pdf", "mimeType": "application/pdf", "buffer": b"GIF89a"})
    page.get_by_role("button", name="Gửi văn bản").click()
    expect(page.get_by_role("alert")).to_contain_text("Tệp 'anh.pdf' không phải tệp PDF")
    expect(page.locator("[data-files-dropped]")).to_be_visible()
    expect(page.get_by_label("UBND phường Phú Hội")).to_be_checked()
    page.screenshot(path=str(cluster.root / "document-form-refused.png"), full_page=True)

    scans.set_input_files({"name": SCAN_NAME, "mimeType": "application/pdf", "buffer": SCAN})
    page.get_by_role("button", name="Gửi văn bản").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Đã gửi văn bản 1/UBND-VP kèm 1 tệp tới 1 đơn vị"
    )
    doc_id = page.url.rsplit("/", 1)[1]
    status = page.locator(f'[data-status="{UNIT}"]')
    expect(status).to_have_text("Chờ tiếp nhận")
    link = page.get_by_role("link", name=SCAN_NAME)
    opened = page.request.get(str(link.get_attribute("href")))
    assert opened.ok and opened.body() == SCAN
    assert opened.headers["content-type"] == "application/pdf"

    clerk = token(ward, "vanthu")

    def arrived() -> Any:
        resp = requests.get(f"{ward}/api/v1/documents/{doc_id}", headers=clerk, timeout=10)
        return resp.status_code == 200 and resp.json()

    doc = wait_until(arrived, 30, interval=0.5, what="the document at the ward")
    assert doc["summary"] == SUMMARY and doc["symbol"] == "1/UBND-VP" and doc["urgency"] == "khan"
    sha = hashlib.sha256(SCAN).hexdigest()
    assert [(a["name"], a["sha256"]) for a in doc["attachments"]] == [(SCAN_NAME, sha)]

    def fetched() -> bytes | None:
        # 404 (blob_not_received) until the ward's sync worker has fetched the file.
        resp = requests.get(f"{ward}/api/v1/attachments/{sha}", headers=clerk, timeout=10)
        return resp.content if resp.status_code == 200 else None

    assert wait_until(fetched, 30, interval=0.5, what="the scan at the ward") == SCAN
    registered = requests.post(
        f"{ward}/api/v1/documents/{doc_id}/actions",
        headers=clerk,
        json={"action": "register"},
        timeout=10,
    )
    assert registered.status_code == 200, registered.text
    assert registered.json()["receipt"]["status_code"] == "04"

    def shown() -> bool:
        page.reload()
        return status.inner_text() == "Chờ phân công"

    wait_until(shown, 30, interval=0.5, what="the ward's receipt on the console's page")
    row = page.locator(f'tr[data-unit="{UNIT}"]')
    expect(row).to_contain_text("UBND phường Phú Hội")
    expect(row.locator("td.num")).to_have_text("1")  # the ward's incoming number
    page.screenshot(path=str(cluster.root / "document.png"), full_page=True)
    page.goto("/console/dieu-hanh/van-ban")
    expect(page.locator(f'[data-received="{doc_id}"]')).to_contain_text("1/1 đã nhận")
    context.close()
