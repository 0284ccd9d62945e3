"""The desk's scans in a real browser (issue [11]), against a real hub and ward on loopback:
a citizen submits online with a PDF and a photo; the officer sees both on the dossier's page,
the PDF in place in the browser's viewer and the photo as an image, before receiving it; the
receipt's QR code points at the portal the hub names; at the counter the officer attaches a
scan at reception and another later, which reach the hub. Screenshots go to /tmp/shots-desk.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync import BlobStore
from tests.support import (
    BROWSER_MARKS,
    Cluster,
    hub_query,
    log_in,
    query,
    running_cluster,
    wait_until,
)

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

UNIT = "19786"
PORTAL = "https://dichvucong.hue.gov.vn"
SHOTS = Path("/tmp/shots-desk")

pytestmark = BROWSER_MARKS


def visible_pdf(text: str) -> bytes:
    """A one-page PDF that shows ``text`` (ASCII) in large letters: what a scan looks like to
    the browser's viewer, without active content."""
    stream = b"BT /F1 40 Tf 60 700 Td (" + text.encode() + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )


def photo_png(width: int = 240, height: int = 160) -> bytes:
    """A PNG photo of a paper: a light page with a dark band (no image library needed)."""
    rows = []
    for y in range(height):
        shade = 40 if 60 <= y < 90 else 235
        rows.append(b"\x00" + bytes([shade, shade, 250 if shade > 100 else 90]) * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(
        tmp_path_factory.mktemp("scans"), UNIT, hub_env={"CENTRAL_HUB_PUBLIC_URL": PORTAL}
    ) as running:
        yield running


def _page(browser: Browser, base_url: str) -> Page:
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1366, "height": 900}, locale="vi-VN"
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def _submit_online(browser: Browser, hub_url: str) -> str:
    citizen = _page(browser, hub_url)
    citizen.goto("/nop-ho-so")
    citizen.get_by_label("Phường nhận hồ sơ").select_option(UNIT)
    citizen.get_by_label("Thủ tục").select_option("1.004873")
    citizen.get_by_label("Họ và tên").fill("Nguyễn Thị Lan")
    citizen.get_by_label("Số căn cước").fill("046185000123")
    citizen.get_by_label("Năm sinh").fill("1985")
    citizen.get_by_label("Giới tính").select_option("nữ")  # the CCCD's 4th digit: a woman
    citizen.get_by_label("Số điện thoại di động").fill("0905 123 456")
    citizen.get_by_label("Địa chỉ liên hệ").fill("12 Lê Lợi, phường Phú Hội, Huế")
    picker = citizen.locator('input[name="scans"]')
    picker.set_input_files(
        [
            {
                "name": "to-khai.pdf",
                "mimeType": "application/pdf",
                "buffer": visible_pdf("TO KHAI"),
            },
            {"name": "anh-cccd.png", "mimeType": "image/png", "buffer": photo_png()},
        ]
    )
    # The portal's picker speaks Vietnamese and names what was chosen.
    expect(citizen.locator(".file-pick-names")).to_have_text("to-khai.pdf, anh-cccd.png")
    citizen.get_by_role("button", name="Nộp hồ sơ").click()
    expect(citizen.get_by_role("heading", name="Đã nộp hồ sơ")).to_be_visible()
    code = citizen.locator("#code").inner_text().strip()
    citizen.context.close()
    return code


def _frame_ok(page: Page) -> bool:
    page.reload()
    return page.locator("iframe.file-frame").count() == 1


def test_officer_sees_an_online_dossier_s_scans_in_place_and_attaches_scans_at_the_desk(
    cluster: Cluster, browser: Browser
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    code = _submit_online(browser, cluster.hub_url)
    ward_store = cluster.ward_data(UNIT) / "node.sqlite3"
    wait_until(
        lambda: query(ward_store, "SELECT 1 FROM dossier WHERE code = ?", code),
        30,
        0.2,
        what="the online dossier reached the ward",
    )
    officer = _page(browser, cluster.wards[UNIT].url)
    log_in(officer, "/login", "canbo")
    officer.goto("/viec/hom-nay")
    officer.get_by_role("link", name=code).click()
    # Both files are listed; the PDF, once its bytes are at the ward, is shown in place.
    files = officer.locator("#giay-to .file-list li")
    expect(files).to_have_count(2)
    wait_until(lambda: _frame_ok(officer), 30, 0.5, what="the scans reached the ward")
    frame = officer.locator("iframe.file-frame")
    expect(frame).to_be_visible()
    assert frame.get_attribute("title") == "Xem tệp to-khai.pdf"
    served = officer.request.get(str(frame.get_attribute("src")))
    assert served.ok and served.headers["content-type"] == "application/pdf"
    assert served.body().startswith(b"%PDF")
    assert "frame-ancestors 'self'" in served.headers["content-security-policy"]
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.headers["x-frame-options"] == "SAMEORIGIN"
    expect(officer.locator("#giay-to")).to_contain_text("Công dân (nộp trực tuyến)")
    officer.wait_for_timeout(1500)  # the browser's PDF viewer draws the page
    officer.locator("#giay-to").screenshot(path=str(SHOTS / "online-dossier-pdf.png"))
    officer.screenshot(path=str(SHOTS / "online-dossier-page.png"), full_page=True)
    # The photo, chosen in the list, is shown as an image.
    officer.get_by_role("link", name="anh-cccd.png", exact=True).click()
    image = officer.locator("img.file-image")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 240
    officer.locator("#giay-to").screenshot(path=str(SHOTS / "online-dossier-image.png"))

    # Receiving it: the receipt's QR code and address point at the portal, not the ward.
    form = officer.locator('form.action-form:has(input[name="action"][value="receive"])')
    form.get_by_role("button", name="Tiếp nhận").click()
    expect(officer.locator(".flash-ok")).to_contain_text("Đã thực hiện: Tiếp nhận")
    officer.get_by_role("link", name=re.compile("Giấy tiếp nhận")).first.click()
    lookup = officer.locator(".lookup-url")
    expect(lookup).to_have_text(f"{PORTAL}/tra-cuu/{code}")
    assert (
        officer.locator("svg.qr").get_attribute("aria-label") == f"Mã QR: {PORTAL}/tra-cuu/{code}"
    )
    assert cluster.wards[UNIT].url not in officer.content()

    # At the counter: a dossier received with its scan, and another scan attached later.
    officer.goto("/dossiers/new")
    officer.get_by_label("Thủ tục hành chính").select_option("1.004873")
    officer.get_by_label(
        "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân (theo mẫu)"
    ).check()  # the papers handed in (the reception checklist)
    officer.get_by_label("Họ và tên").fill("Trần Văn Bình")
    expect(officer.locator(".file-pick-button")).to_have_text("Chọn tệp…")
    officer.get_by_label("Bản quét giấy tờ").set_input_files(
        {"name": "don-de-nghi.pdf", "mimeType": "application/pdf", "buffer": visible_pdf("DON")}
    )
    expect(officer.locator(".file-pick-names")).to_have_text("don-de-nghi.pdf")
    officer.screenshot(path=str(SHOTS / "reception-with-scan.png"), full_page=True)
    officer.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    expect(officer.locator(".flash-ok")).to_contain_text("Đã tiếp nhận hồ sơ")
    expect(officer.locator("iframe.file-frame")).to_have_attribute(
        "title", "Xem tệp don-de-nghi.pdf"
    )
    officer.get_by_label("Đính kèm bản quét").set_input_files(
        {"name": "so-ho-khau.png", "mimeType": "image/png", "buffer": photo_png(200, 120)}
    )
    officer.get_by_role("button", name="Đính kèm", exact=True).click()
    expect(officer.locator(".flash-ok")).to_contain_text("Đã đính kèm tệp so-ho-khau.png")
    expect(officer.locator("img.file-image")).to_have_attribute("alt", "Bản quét so-ho-khau.png")
    expect(officer.locator("#giay-to .file-list li")).to_have_count(2)
    officer.wait_for_timeout(500)
    officer.screenshot(path=str(SHOTS / "dossier-page-attached.png"), full_page=True)
    # A file that is not a scan is refused, and nothing is attached.
    officer.get_by_label("Đính kèm bản quét").set_input_files(
        {"name": "bang-tinh.pdf", "mimeType": "application/pdf", "buffer": b"PK\x03\x04xlsx"}
    )
    officer.get_by_role("button", name="Đính kèm", exact=True).click()
    expect(officer.locator(".flash-error")).to_contain_text("không phải tệp PDF, JPEG, PNG")
    expect(officer.locator("#giay-to .file-list li")).to_have_count(2)

    # The desk's scans follow their dossier to the hub, files included.
    dossier_id = officer.url.rsplit("/", 1)[-1].split("?")[0].split("#")[0]
    wait_until(
        lambda: (
            len(
                hub_query(
                    cluster.hub_data,
                    "SELECT sha256 FROM attachment WHERE parent_id = ?",
                    dossier_id,
                )
            )
            == 2
        ),
        30,
        0.3,
        what="the desk's scans reached the hub",
    )
    shas = [
        r[0]
        for r in hub_query(
            cluster.hub_data, "SELECT sha256 FROM attachment WHERE parent_id = ?", dossier_id
        )
    ]
    hub_files = BlobStore(cluster.hub_data / "blobs")
    wait_until(
        lambda: all(hub_files.has(sha) for sha in shas),
        30,
        0.3,
        what="the scans' files reached the hub",
    )
    officer.context.close()
