"""A desk day through the real pages, in a real browser, on a real ward node synced to a real hub.

The officer receives a dossier for an applicant with a mobile phone and prints its receipt
(form 01); a specialist starts it and hands it over to a colleague, who asks for a supplement;
the officer records the papers brought; the colleague completes; the officer returns the result.
After every step the public look-up page, opened without a login, shows the new status in its
timeline and no staff names. At the end the ward syncs and the hub's SMS dispatcher (log
provider) has sent one notice for each change worth telling the applicant: received,
supplement, result ready, returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import (
    BROWSER_MARKS,
    Cluster,
    Server,
    desk_page,
    query,
    running_cluster,
    token,
    wait_until,
)

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

from office import VIETNAM

pytestmark = BROWSER_MARKS

UNIT = "19786"
CODE = re.compile(r"H57\.19786-\d{6}-\d{4}")
APPLICANT = "Nguyễn Thị Mỹ Dung"
STAFF = {  # username: (role, full name); "canbo" is the cluster's officer
    "canbo": ("officer", "Lê Thị Thu Hà"),
    "chuyenvien": ("specialist", "Phan Văn Khoa"),
    "chuyenvien2": ("specialist", "Hồ Thị Kim Oanh"),
}
STATUS = {
    2: "Được tiếp nhận",
    4: "Đang xử lý",
    5: "Yêu cầu bổ sung giấy tờ",
    9: "Đã xử lý xong",
    10: "Đã trả kết quả",
}
MISSING = "1. Bản sao Giấy khai sinh của con\n2. Giấy xác nhận nơi cư trú"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A hub whose SMS dispatcher runs every second, and one enrolled ward node serving."""
    staff = [(u, role, name) for u, (role, name) in STAFF.items() if u != "canbo"]
    with running_cluster(
        tmp_path_factory.mktemp("deskday"),
        UNIT,
        users={UNIT: staff},
        # The portal's public address, told to the ward at each pull: the receipt's QR code
        # and the SMS notices point there, never at the ward's own address.
        hub_env={
            "CENTRAL_HUB_SMS_INTERVAL": "1",
            "CENTRAL_HUB_PUBLIC_URL": "https://dichvucong.hue.gov.vn",
        },
    ) as cluster:
        yield cluster


def _context(browser: Browser, base_url: str) -> BrowserContext:
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1366, "height": 900}, locale="vi-VN"
    )
    context.set_default_timeout(10_000)
    return context


def _act(page: Page, action: str, label: str, **fields: str) -> None:
    """Press an action of the dossier page; an action other than the usual next step is folded
    under its name first. ``fields``: label of a field → the value to fill or choose."""
    form = page.locator(f'form.action-form:has(input[name="action"][value="{action}"])')
    folded = page.locator(f'details.action-more:has(input[name="action"][value="{action}"])')
    if folded.count():
        expect(form).to_be_hidden()
        folded.locator("summary").click()
    for field_label, value in fields.items():
        field = form.get_by_label(field_label)
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.get_by_role("button", name=label).click()
    expect(page.locator(".flash-ok")).to_contain_text(f"Đã thực hiện: {label}")


def _public_shows(browser: Browser, base_url: str, code: str, statuses: list[int]) -> None:
    """The look-up page, with no session, shows ``statuses`` as the timeline (the last one is
    the current status) and none of the staff's names."""
    context = _context(browser, base_url)
    try:
        page = context.new_page()
        resp = page.goto(f"/tra-cuu/{code}")
        assert resp is not None and resp.status == 200
        result = page.locator(".lookup-result")
        expect(result.locator(".dossier-code")).to_have_text(code)
        expect(result.locator("p .status")).to_have_text(STATUS[statuses[-1]])
        expect(result.locator(".timeline li .status")).to_have_text([STATUS[s] for s in statuses])
        expect(result.locator(".masked-name")).to_have_text("Nguyễn T* M* D*")
        text = page.locator("body").inner_text()
        for username, (_role, name) in STAFF.items():
            assert name not in text and username not in text, f"staff {username} shown"
        assert APPLICANT not in text
    finally:
        context.close()


def _api(page: Page, path: str) -> Any:
    resp = page.request.get(path)
    assert resp.ok, resp.text()
    return resp.json()


def _clock(iso_utc: str) -> str:
    return (
        datetime.fromisoformat(iso_utc)
        .astimezone(VIETNAM)
        .strftime("%H giờ %M phút, ngày %d/%m/%Y")
    )


def test_a_desk_day_from_reception_to_return_is_public_and_texted(
    cluster: Cluster, browser: Browser
) -> None:
    ward: Server = cluster.wards[UNIT]
    url = ward.url
    officer = desk_page(browser, url, "canbo")

    # -- reception ------------------------------------------------------------------------
    officer.get_by_role("link", name="Tiếp nhận hồ sơ").first.click()
    officer.get_by_label("Thủ tục hành chính").select_option("1.004873")
    officer.get_by_label(
        "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân (theo mẫu)"
    ).check()  # the papers handed in
    officer.get_by_label("Họ và tên").fill(APPLICANT)
    officer.get_by_label("Điện thoại").fill("0905 123 456")
    officer.get_by_label("Địa chỉ").fill("12 Lê Lợi, phường Phú Hội, Huế")
    officer.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    expect(officer.locator(".flash-ok")).to_contain_text("Đã tiếp nhận hồ sơ")
    code = officer.locator("h1.dossier-code").inner_text().strip()
    assert CODE.fullmatch(code), code
    dossier_id = officer.url.rsplit("/", 1)[-1]
    stored = _api(officer, f"/api/v1/dossiers/{dossier_id}")
    assert stored["status"] == 2 and stored["applicant"]["phone"] == "+84905123456"
    _public_shows(browser, url, code, [2])

    # -- the receipt, form 01 --------------------------------------------------------------
    officer.get_by_role("link", name=re.compile("Mẫu 01")).click()
    expect(officer).to_have_url(re.compile(rf"/dossiers/{dossier_id}/in/01$"))
    expect(officer.locator(".code").first).to_have_text(code)
    sheet = officer.locator("body")
    expect(sheet).to_contain_text(f"Tiếp nhận hồ sơ của: {APPLICANT}")
    expect(sheet).to_contain_text(
        f"Thời gian trả kết quả giải quyết hồ sơ: {_clock(stored['due_at'])}"
    )
    expect(officer.locator("figure.qr-box svg")).to_be_visible()
    expect(officer.locator(".lookup-url")).to_contain_text(f"/tra-cuu/{code}")
    officer.emulate_media(media="print")
    pdf = officer.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
    officer.emulate_media(media="screen")

    # -- processing: start, hand over, ask for a supplement ---------------------------------
    specialist = desk_page(browser, url, "chuyenvien")
    specialist.goto(f"/dossiers/{dossier_id}")
    _act(specialist, "start", "Bắt đầu xử lý")
    _public_shows(browser, url, code, [2, 4])
    _act(
        specialist,
        "hand_over",
        "Chuyển bước xử lý",
        **{"Người nhận bàn giao": "chuyenvien2", "Nội dung bàn giao": "Thẩm định hồ sơ"},
    )
    expect(specialist.locator("dt:text-is('Người đang xử lý') + dd")).to_have_text(
        STAFF["chuyenvien2"][1]
    )  # people's names, not user names
    _public_shows(browser, url, code, [2, 4, 4])

    colleague = desk_page(browser, url, "chuyenvien2")
    colleague.goto(f"/dossiers/{dossier_id}")
    _act(colleague, "request_supplement", "Yêu cầu bổ sung", **{"Giấy tờ cần bổ sung": MISSING})
    expect(colleague.locator(".timeline li").last).to_contain_text("Giấy xác nhận nơi cư trú")
    _public_shows(browser, url, code, [2, 4, 4, 5])

    # -- the citizen brings the papers; the result; the return -----------------------------
    officer.goto(f"/dossiers/{dossier_id}")
    _act(officer, "supplement_received", "Đã nhận bổ sung")
    _public_shows(browser, url, code, [2, 4, 4, 5, 4])
    colleague.reload()
    _act(colleague, "complete", "Đã xử lý xong")
    _public_shows(browser, url, code, [2, 4, 4, 5, 4, 9])
    officer.reload()
    _act(officer, "return", "Trả kết quả", **{"Hình thức trả kết quả": "in_person"})
    _public_shows(browser, url, code, [2, 4, 4, 5, 4, 9, 10])

    final = _api(officer, f"/api/v1/dossiers/{dossier_id}")
    assert final["status"] == 10 and final["return_method"] == "in_person"
    assert [s["actor"] for s in final["steps"]] == [
        "canbo",
        "chuyenvien",
        "chuyenvien",
        "chuyenvien2",
        "canbo",
        "chuyenvien2",
        "canbo",
    ]
    # A browser submits a textarea's line breaks as CRLF (HTML spec); the node keeps them as sent.
    assert final["steps"][3]["note"].replace("\r\n", "\n") == MISSING

    # -- sync; the hub texts the applicant -------------------------------------------------
    ward_auth = token(url)
    assert requests.post(url + "/api/v1/sync/run", headers=ward_auth, timeout=10).status_code == 202

    def synced() -> bool:
        status = requests.get(url + "/api/v1/sync/status", headers=ward_auth, timeout=10).json()
        return status["state"] == "synced" and status["pending_changes"] == 0

    wait_until(synced, 20, 0.2, what="the ward synced")
    assert cluster.hub is not None
    hub_auth = token(cluster.hub_url, "admin")

    def texts() -> list[dict[str, Any]] | None:
        resp = requests.get(
            cluster.hub_url + "/api/v1/sms",
            params={"dossier_code": code},
            headers=hub_auth,
            timeout=10,
        )
        resp.raise_for_status()
        items = resp.json()["items"]
        return items if len(items) == 4 and all(i["status"] == "sent" for i in items) else None

    sent = wait_until(texts, 20, 0.2, what="four notices sent by the hub")
    by_kind = {item["kind"]: item for item in sent}
    assert set(by_kind) == {"received", "supplement", "result_ready", "returned"}
    for item in sent:
        assert item["phone"] == "+84905123456" and item["provider"] == "log"
        assert code in item["text"] and len(item["text"]) <= 160
        assert item["text"].isascii(), item["text"]
    assert "Ngay hen tra" in by_kind["received"]["text"]
    assert "bo sung" in by_kind["supplement"]["text"]

    # The outcome flows back to the ward's own SMS log on a later sync.
    store = Path(cluster.ward_data(UNIT)) / "node.sqlite3"

    def ward_log_says_sent() -> bool:
        rows = query(store, "SELECT kind, status FROM sms WHERE dossier_code = ?", code)
        return len(rows) == 4 and all(status == "sent" for _kind, status in rows)

    wait_until(ward_log_says_sent, 20, 0.2, what="the ward's SMS log says sent")
