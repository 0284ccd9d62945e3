"""The desk's pages: work lists, printed forms 01–07, the public lookup page and statistics.

One ward is seeded with dossiers received and moved at fixed times (``build_world``), the
clock of the pages is frozen at ``NOW`` (Wednesday 11/03/2026 09:00 in Huế), and each page is
read through the Flask test client after logging in through ``/login``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

import ward_node.desk.pages
import ward_node.dossiers.service
from sync import Write, atomic, new_id, set_meta
from tests.support import ward_login
from ward_node.desk.forms import limit_text
from ward_node.dossiers import Dossiers, iso
from ward_node.store import capture
from ward_node.web import db, state
from webapp import get_user

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 11, 9, 0, tzinfo=VN)
MARRIAGE_STATUS = "1.004873"  # 3 working days, 3.000 đ, two papers
BIRTH = "1.001193"  # same day, free
# What Lê Thị Hoà handed in: the declaration, and two certified copies of a paper the catalogue
# does not list; not the "(nếu có)" proof of divorce the catalogue lists.
HOA_PAPERS = [
    {
        "name": "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân (theo mẫu)",
        "form": "original",
        "count": 1,
    },
    {"name": "Giấy khai sinh", "form": "certified_copy", "count": 2},
]


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN)


@contextmanager
def frozen(when: datetime) -> Iterator[None]:
    """Dossier actions stamped at ``when`` (``Dossiers.act`` reads the time itself)."""
    real = ward_node.dossiers.service.now_utc
    ward_node.dossiers.service.now_utc = lambda: when
    try:
        yield
    finally:
        ward_node.dossiers.service.now_utc = real


@dataclass
class World:
    """The seeded dossiers by nickname, as returned by ``Dossiers.get``."""

    d: dict[str, dict[str, Any]]


def build_world(app: Flask) -> World:
    """Seed the ward with dossiers in every situation the desk pages show (times in Huế):

    - ``duc``: birth registration received today 08:05, status 2 (today's queue);
    - ``thuy``: online, submitted yesterday 20:00, status 1 (awaiting reception);
    - ``hoa``: received Fri 06/03 10:00 (due today 10:00), handed over to the specialist;
    - ``giau``: received Mon 02/03 (due Thu 05/03), supplement requested: status 5, its clock
      stopped, so past the due date but not overdue;
    - ``lan``: received Tue 24/02 (due 27/02), apology with a new date 04/03, completed 03/03,
      returned 04/03: resolved late against the original date;
    - ``binh``: online, refused 10/03 with a reason;
    - ``cuong``: received Mon 09/03 (due Thu 12/03), completed 10/03: resolved early;
    - ``mai``: online, submitted 09/03 08:00 and received 09:00;
    - ``tam``: received 05/03, withdrawn 06/03;
    - ``khoa``: received Thu 12/02 (due 24/02, across Tết), still in progress: carried over,
      past its deadline.
    """
    world = World({})
    with app.app_context():
        conn = db()
        service = Dossiers(conn, state().clock)
        users = {name: get_user(conn, name) for name in ("officer", "specialist", "leader")}
        officer, specialist, leader = users["officer"], users["specialist"], users["leader"]
        assert officer and specialist and leader

        def receive(
            nick: str,
            name: str,
            procedure: str,
            when: datetime,
            papers: list[dict[str, Any]] | None = None,
            **applicant: Any,
        ) -> str:
            data: dict[str, Any] = {
                "procedure_code": procedure,
                "channel": "in_person",
                "applicant": {"full_name": name, **applicant},
            }
            if papers is not None:
                data["papers_received"] = papers
            world.d[nick] = service.receive(data, officer, at=when)
            return str(world.d[nick]["id"])

        def act(nick: str, when: datetime, user: Any, action: str, **data: Any) -> None:
            with frozen(when):
                service.act(world.d[nick]["id"], {"action": action, **data}, user)

        def online(nick: str, name: str, code: str, when: datetime) -> str:
            """An online submission as it arrives from the hub: status 1, one step."""
            dossier_id = new_id()
            record = {
                "id": dossier_id,
                "unit": service.unit,
                "code": code,
                "procedure_code": MARRIAGE_STATUS,
                "procedure_name": "Cấp Giấy xác nhận tình trạng hôn nhân",
                "applicant": {"full_name": name, "phone": "+84905111222"},
                "channel": "online",
                "status": 1,
                "received_at": iso(when),
                "due_at": iso(at(when.day + 3, 17, month=when.month)),
                "fee": 3000,
                "handler": None,
                "created_by": "hub",
            }
            step = {
                "id": new_id(),
                "unit": service.unit,
                "dossier_id": dossier_id,
                "action": "submit",
                "from_status": None,
                "to_status": 1,
                "actor": "hub",
                "actor_name": "Cổng dịch vụ công",
                "at": iso(when),
                "note": None,
                "to_handler": None,
                "step_deadline": None,
            }
            with atomic(conn):
                capture(conn, state().clock).write_many(
                    [
                        Write("dossier", dossier_id, service.unit, record),
                        Write("dossier_step", step["id"], service.unit, step),
                    ],
                    actor="hub",
                )
            world.d[nick] = service.get(dossier_id)
            return dossier_id

        receive("khoa", "Đoàn Văn Khoa", MARRIAGE_STATUS, at(12, 9, month=2))
        act("khoa", at(12, 10, month=2), specialist, "start")
        receive(
            "lan",
            "Hoàng Thị Lan",
            MARRIAGE_STATUS,
            at(24, 9, month=2),
            address="12 Chi Lăng, phường Phú Hội",
        )
        act("lan", at(24, 10, month=2), specialist, "start")
        act(
            "lan",
            at(26, 15, month=2),
            leader,
            "extend",
            new_due_at="2026-03-04T17:00:00+07:00",
            note="Cần xác minh tình trạng hôn nhân tại nơi cư trú trước đây.",
        )
        act("lan", at(3, 16), specialist, "complete")
        act("lan", at(4, 8), officer, "return", return_method="in_person")
        receive(
            "giau",
            "Phạm Văn Giàu",
            MARRIAGE_STATUS,
            at(2, 8),
            phone="0905123456",
            address="5 Nguyễn Công Trứ",
        )
        act("giau", at(2, 9), specialist, "start")
        act(
            "giau",
            at(3, 14),
            specialist,
            "request_supplement",
            note="1. Bản sao Quyết định ly hôn\n- Tờ khai có chữ ký của người yêu cầu; "
            "Giấy xác nhận cư trú",
        )
        receive("tam", "Võ Thị Tâm", BIRTH, at(5, 8))
        act("tam", at(6, 9), officer, "withdraw", note="Công dân xin rút để bổ sung sau.")
        receive(
            "hoa",
            "Lê Thị Hoà",
            MARRIAGE_STATUS,
            at(6, 10),
            papers=HOA_PAPERS,
            phone="0914000111",
            email="hoa.le@example.vn",
            address="27 Phạm Ngũ Lão, phường Phú Hội",
        )
        act("hoa", at(6, 11), officer, "start")
        act("hoa", at(9, 8), officer, "hand_over", to_handler="specialist", note="Chuyển thẩm định")
        receive("cuong", "Trương Văn Cường", MARRIAGE_STATUS, at(9, 10))
        act("cuong", at(9, 11), specialist, "start")
        act("cuong", at(10, 16), specialist, "complete")
        online("mai", "Ngô Thị Mai", "H57.19786-260309-0901", at(9, 8))
        act("mai", at(9, 9), officer, "receive")
        online("binh", "Huỳnh Văn Bình", "H57.19786-260310-0901", at(10, 7))
        act(
            "binh",
            at(10, 8),
            officer,
            "refuse",
            note="Hồ sơ nộp sai thẩm quyền: nộp tại nơi cư trú.",
        )
        online("thuy", "Trần Thị Thuỷ", "H57.19786-260310-0902", at(10, 20))
        receive(
            "duc",
            "Nguyễn Văn Đức",
            BIRTH,
            at(11, 8, 5),
            phone="0905123789",
            address="3 Lê Lợi, phường Phú Hội",
        )
        for nick in world.d:
            world.d[nick] = service.get(world.d[nick]["id"])
    return world


# -- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture
def world(ward_app: Flask, monkeypatch: pytest.MonkeyPatch) -> World:
    seeded = build_world(ward_app)
    monkeypatch.setattr(ward_node.desk.pages, "now_utc", lambda: NOW)
    monkeypatch.setattr(ward_node.dossiers.service, "now_utc", lambda: NOW)
    return seeded


def text(client: FlaskClient, path: str, status: int = 200) -> str:
    resp = client.get(path)
    assert resp.status_code == status, (path, resp.status_code)
    return resp.get_data(as_text=True)


def codes(page: str) -> set[str]:
    return set(re.findall(r"H57\.19786-\d{6}-\d{4}", page))


def code(world: World, *nicks: str) -> set[str]:
    return {world.d[n]["code"] for n in nicks}


def local(iso_time: str, pattern: str = "%d/%m/%Y %H:%M") -> str:
    return datetime.fromisoformat(iso_time).astimezone(VN).strftime(pattern)


# -- work lists ----------------------------------------------------------------------------------


def test_pages_need_a_login_but_the_public_lookup_does_not(
    client: FlaskClient, world: World
) -> None:
    for path in ("/viec/hom-nay", "/so-theo-doi", "/thong-ke", "/thong-ke.csv"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], path
    assert client.get(f"/tra-cuu/{world.d['hoa']['code']}").status_code == 200


def test_todays_queue_shows_online_dossiers_awaiting_reception_and_todays_receptions(
    client: FlaskClient, world: World
) -> None:
    ward_login(client)
    page = text(client, "/viec/hom-nay")
    awaiting, _, received = page.partition("Đã tiếp nhận hôm nay")
    assert codes(awaiting) == code(world, "thuy")
    assert codes(received) == code(world, "duc")
    assert "Nguyễn Văn Đức" in received and "Trần Thị Thuỷ" in awaiting
    assert "11/03/2026" in page


def test_my_dossiers_are_the_open_ones_i_handle(client: FlaskClient, world: World) -> None:
    ward_login(client, "specialist")
    # hoa was handed over to them; khoa and giau they took into processing (who starts a
    # dossier holds it, docs/security.md "Roles at the desk").
    assert codes(text(client, "/viec/cua-toi")) == code(world, "hoa", "khoa", "giau")
    with client.session_transaction() as session:
        session.clear()
    ward_login(client, "officer")
    # The receiving officer holds a dossier until someone starts it (mai: received online).
    assert codes(text(client, "/viec/cua-toi")) == code(world, "duc", "mai")


def test_overdue_and_due_soon_lists(client: FlaskClient, world: World) -> None:
    ward_login(client)
    overdue = text(client, "/viec/qua-han")
    assert codes(overdue) == code(world, "khoa")  # giau waits for a supplement: clock stopped
    assert "Cán bộ officer" in overdue  # the handler's name
    # Due today 10:00 (hoa) and 17:00 (duc), Thu 12/03 (mai), Fri 13/03 (thuy, still online:
    # the second working day from today).
    soon = text(client, "/viec/sap-den-han")
    assert codes(soon) == code(world, "hoa", "duc", "mai", "thuy")


# -- printed forms -------------------------------------------------------------------------------


def test_receipt_01_has_every_element_and_a_qr_code_of_the_lookup_address(
    client: FlaskClient, world: World
) -> None:
    ward_login(client)
    hoa = world.d["hoa"]
    page = text(client, f"/dossiers/{hoa['id']}/in/01")
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "UBND PHƯỜNG PHÚ HỘI",
        "Phú Hội, ngày 06 tháng 03 năm 2026",
        hoa["code"],
        "Lê Thị Hoà",
        "27 Phạm Ngũ Lão, phường Phú Hội",
        "0914 000 111",
        "hoa.le@example.vn",
        "Cấp Giấy xác nhận tình trạng hôn nhân",
        "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân (theo mẫu)",
        "Giấy khai sinh",
        "Bản chính",
        "Bản sao chứng thực",
        '<td class="num">02</td>',  # two certified copies
        "Số lượng hồ sơ: 01 bộ",
        "03 ngày làm việc",
        "10 giờ 00 phút, ngày 06/03/2026",  # received
        "10 giờ 00 phút, ngày 11/03/2026",  # due: 3 working days later
        "Bộ phận Tiếp nhận và Trả kết quả, UBND phường Phú Hội",
        "Quyển số: <strong>2026</strong>",
        "Số thứ tự: <strong>5</strong>",  # the 2026 book: khoa, lan, giau, tam, hoa
        "3.000 đ",
        "Người nộp hồ sơ",
        "Người tiếp nhận hồ sơ",
        "Cán bộ officer",  # the receiving officer signs
    ):
        assert expected in page, expected
    # Exactly what was handed in: not the catalogue's "(nếu có)" paper she did not bring.
    assert "Giấy tờ chứng minh đã ly hôn" not in page
    assert "Mẫu số 01" in page and "Thông tư số 03/2025/TT-VPCP" in page
    # The hub told no public address: no QR code and no address at all, never the ward's own
    # (a citizen cannot reach it), but how to look the dossier up at the desk.
    assert "<svg" not in page and "/tra-cuu/" not in page and "localhost" not in page
    assert f'đọc mã hồ sơ <strong class="code">{hoa["code"]}</strong> tại Bộ phận' in page


def _portal(app: Flask, url: str | None) -> None:
    """What the hub told the ward at its last pull: its portal's public address."""
    with app.app_context():
        set_meta(db(), "sync.portal_url", url)


def test_receipt_qr_code_and_sms_point_at_the_portal_the_hub_told(
    client: FlaskClient, world: World, ward_app: Flask
) -> None:
    _portal(ward_app, "https://dichvucong.hue.gov.vn")
    ward_login(client)
    hoa = world.d["hoa"]
    page = text(client, f"/dossiers/{hoa['id']}/in/01")
    lookup = f"https://dichvucong.hue.gov.vn/tra-cuu/{hoa['code']}"
    assert f'<span class="lookup-url">{lookup}</span>' in page
    svg = re.search(r"<svg [^>]*class=\"qr\"[^>]*>.*?</svg>", page, re.S)
    assert svg and "<path" in svg.group(0) and lookup in svg.group(0)  # named in its aria-label
    assert "localhost" not in page
    # The SMS notice of a dossier received now sends the citizen to the same address.
    with ward_app.app_context():
        officer = get_user(db(), "officer")
        assert officer is not None
        from ward_node.dossiers.current import dossiers

        with ward_app.test_request_context():
            received = dossiers().receive(
                {
                    "procedure_code": hoa["procedure_code"],
                    "applicant": {"full_name": "Trần Văn Nam", "phone": "0905123456"},
                },
                officer,
            )
        sms = (
            db().execute("SELECT text FROM sms WHERE dossier_id = ?", (received["id"],)).fetchone()
        )
    assert f"Tra cuu: https://dichvucong.hue.gov.vn/tra-cuu/{received['code']}" in sms[0]
    # The hub's public address is withdrawn: the receipt falls back to the instructions.
    _portal(ward_app, None)
    page = text(client, f"/dossiers/{hoa['id']}/in/01")
    assert "<svg" not in page and "dichvucong" not in page


def test_receipt_qr_code_uses_the_public_lookup_address_when_the_ward_has_one(
    client: FlaskClient, world: World, ward_app: Flask
) -> None:
    ward_app.config["PUBLIC_LOOKUP_URL"] = "https://dichvucong.hue.gov.vn/tra-cuu/{code}"
    ward_login(client)
    page = text(client, f"/dossiers/{world.d['duc']['id']}/in/01")
    assert f"https://dichvucong.hue.gov.vn/tra-cuu/{world.d['duc']['code']}" in page
    assert "localhost/tra-cuu" not in page
    assert "Trong ngày" in page and "Không thu phí" in page  # a same-day, free procedure
    assert "08 giờ 05 phút, ngày 11/03/2026" in page and "17 giờ 00 phút, ngày 11/03/2026" in page


@pytest.mark.parametrize(
    ("procedure", "words"),
    [
        ({"limit_value": 0, "limit_unit": "working_days"}, "Trong ngày"),
        ({"limit_value": 3, "limit_unit": "working_days"}, "03 ngày làm việc"),
        ({"limit_value": 12, "limit_unit": "calendar_days"}, "12 ngày"),
        ({"limit_value": 4, "limit_unit": "working_hours"}, "04 giờ làm việc"),
        ({"limit_value": 0.5, "limit_unit": "working_days"}, "0,5 ngày làm việc"),
    ],
)
def test_time_limit_in_words(procedure: dict[str, Any], words: str) -> None:
    assert limit_text(procedure) == words


def test_supplement_request_02_lists_each_missing_paper(client: FlaskClient, world: World) -> None:
    ward_login(client)
    page = text(client, f"/dossiers/{world.d['giau']['id']}/in/02")
    missing = re.search(r'<ol class="doc-list missing">(.*?)</ol>', page, re.S)
    assert missing
    items = re.findall(r"<li>(.*?)</li>", missing.group(1))
    assert items == [
        "Bản sao Quyết định ly hôn",
        "Tờ khai có chữ ký của người yêu cầu",
        "Giấy xác nhận cư trú",
    ]
    assert "Phạm Văn Giàu" in page and "ngày 03 tháng 03 năm 2026" in page
    assert "Người hướng dẫn" in page and "Cán bộ specialist" in page


def test_refusal_03_gives_the_reason(client: FlaskClient, world: World) -> None:
    ward_login(client)
    page = text(client, f"/dossiers/{world.d['binh']['id']}/in/03")
    assert "Phiếu từ chối tiếp nhận giải quyết hồ sơ" in page
    assert "Huỳnh Văn Bình" in page and "Hồ sơ nộp sai thẩm quyền: nộp tại nơi cư trú." in page
    assert "ngày 10 tháng 03 năm 2026" in page


def test_apology_04_gives_the_original_and_the_new_date_and_the_reason(
    client: FlaskClient, world: World
) -> None:
    ward_login(client)
    page = text(client, f"/dossiers/{world.d['lan']['id']}/in/04")
    assert "Hoàng Thị Lan" in page
    assert "09 giờ 00 phút, ngày 27/02/2026" in page  # the original due date
    assert "17 giờ 00 phút, ngày 04/03/2026" in page  # the new one
    assert "Cần xác minh tình trạng hôn nhân tại nơi cư trú trước đây." in page
    assert "ngày 26 tháng 02 năm 2026" in page and "Cán bộ leader" in page


def test_control_slip_06_has_a_row_per_hand_over_with_its_result(
    client: FlaskClient, world: World
) -> None:
    ward_login(client)
    page = text(client, f"/dossiers/{world.d['lan']['id']}/in/06")
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert body
    rows = [
        [
            re.sub(r"<[^>]+>", " ", cell).split()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]
    summary = [
        (" ".join(r[1][2:]), " ".join(r[2][2:]), " ".join(r[3]), " ".join(r[4][:2])) for r in rows
    ]
    # Each row names the giver and the receiver beside the room for their signatures.
    assert [(r[1][:2], r[2][:2]) for r in rows] == [(["Người", "giao:"], ["Người", "nhận:"])] * 3
    assert summary == [
        ("Hoàng Thị Lan", "Cán bộ officer", "24/02/2026 09:00", "—"),
        ("Cán bộ specialist", "Cán bộ officer", "03/03/2026 16:00", "Quá hạn"),
        ("Cán bộ officer", "Hoàng Thị Lan", "04/03/2026 08:00", "Quá hạn"),
    ]
    # The supplement steps are rows too: the request to the citizen, the papers coming back.
    giau = text(client, f"/dossiers/{world.d['giau']['id']}/in/06")
    assert "Yêu cầu bổ sung, hoàn thiện hồ sơ" in giau
    hoa = text(client, f"/dossiers/{world.d['hoa']['id']}/in/06")
    assert "Chuyển thẩm định" in hoa and "Trước hạn" in hoa  # handed over 09/03, due 11/03


def test_forms_that_do_not_apply_are_refused_and_the_dossier_page_links_those_that_do(
    client: FlaskClient, world: World
) -> None:
    ward_login(client)
    duc = world.d["duc"]["id"]
    assert client.get(f"/dossiers/{duc}/in/03").status_code == 409
    assert client.get(f"/dossiers/{duc}/in/99").status_code == 404
    assert client.get(f"/dossiers/{world.d['binh']['id']}/in/01").status_code == 409
    detail = text(client, f"/dossiers/{world.d['lan']['id']}")
    links = re.findall(r'href="/dossiers/[^/]+/in/(\d\d)"', detail)
    assert links == ["01", "04", "06"]
    assert re.findall(r'href="/dossiers/[^/]+/in/(\d\d)"', text(client, f"/dossiers/{duc}")) == [
        "01",
        "06",
    ]


def test_register_07_lists_the_dossiers_received_in_the_range(
    client: FlaskClient, world: World
) -> None:
    ward_login(client)
    page = text(client, "/so-theo-doi?from=02/03/2026&to=06/03/2026")
    assert "Từ ngày 02/03/2026 đến ngày 06/03/2026" in page
    listed = re.findall(r'<td class="code">([^<]+)</td>', page)
    assert listed == [world.d[n]["code"] for n in ("giau", "tam", "hoa")]  # in order received
    assert "Tổng cộng: 3 hồ sơ." in page
    assert "Công dân yêu cầu rút hồ sơ" in page  # tam's status
    march = text(client, "/so-theo-doi?from=01/03/2026&to=31/03/2026")
    assert codes(march) >= code(world, "binh", "mai", "duc", "cuong")
    assert world.d["thuy"]["code"] not in march  # still awaiting reception
    assert "ngày/tháng/năm" in text(client, "/so-theo-doi?from=31/02/2026", 422)


def test_an_online_dossier_has_one_register_number_on_its_receipt_and_in_the_register(
    client: FlaskClient, world: World
) -> None:
    # Issue [11]: mai, submitted online with the hub's code H57.19786-260309-0901, showed STT 5
    # in the register and 901 on its receipt. The ward numbers its register book per year at
    # reception, online dossiers alike, and both print that number.
    ward_login(client)
    register = text(client, "/so-theo-doi?from=01/01/2026&to=31/03/2026")
    rows = re.findall(r'<td class="num">(\d+)</td>\s*<td class="code">([^<]+)</td>', register)
    numbers = {code: int(n) for n, code in rows}
    assert len(set(numbers.values())) == len(rows)  # one line each
    for nick in ("mai", "hoa", "binh"):  # online received, in person, online refused
        stored = db_number(client, world.d[nick]["id"])
        assert numbers[world.d[nick]["code"]] == stored
    assert numbers[world.d["mai"]["code"]] != 901
    receipt = text(client, f"/dossiers/{world.d['mai']['id']}/in/01")
    assert f"Số thứ tự: <strong>{numbers[world.d['mai']['code']]}</strong>" in receipt
    # In the order of reception through the year's book: khoa was the first of 2026.
    assert numbers[world.d["khoa"]["code"]] == 1
    assert sorted(numbers.values()) == list(range(1, len(rows) + 1))


def db_number(client: FlaskClient, dossier_id: str) -> int:
    """The register number the ward stored for a dossier."""
    assert client.application is not None
    with client.application.app_context():
        row = db().execute("SELECT register_number FROM dossier WHERE id = ?", (dossier_id,))
        return int(row.fetchone()[0])


# -- public lookup -------------------------------------------------------------------------------


def test_public_page_masks_the_name_and_names_no_staff(client: FlaskClient, world: World) -> None:
    lan = world.d["lan"]
    page = text(client, f"/tra-cuu/{lan['code']}")
    assert "Hoàng T* L*" in page and "Hoàng Thị Lan" not in page
    assert "Cấp Giấy xác nhận tình trạng hôn nhân" in page
    assert "Đã trả kết quả" in page and local(lan["returned_at"]) in page
    for staff_name in ("Cán bộ officer", "Cán bộ specialist", "Cán bộ leader", "specialist"):
        assert staff_name not in page
    assert "xác minh" not in page  # no step notes either
    assert (
        client.get("/tra-cuu?code=" + lan["code"].lower())
        .headers["Location"]
        .endswith("/tra-cuu/" + lan["code"])
    )
    assert client.get("/tra-cuu/H57.19786-260101-9999").status_code == 404


def test_public_page_is_rate_limited(client: FlaskClient, world: World, ward_app: Flask) -> None:
    ward_app.config["PUBLIC_LOOKUP_PER_MINUTE"] = 3
    path = f"/tra-cuu/{world.d['duc']['code']}"
    assert [client.get(path).status_code for _ in range(4)] == [200, 200, 200, 429]


# -- statistics ----------------------------------------------------------------------------------

MARCH = "from=01/03/2026&to=11/03/2026"


def _figures(page: str) -> dict[str, str]:
    return dict(
        re.findall(
            r'data-key="(\w+)">\s*<th scope="row">[^<]*</th>\s*<td class="num">([^<]*)</td>', page
        )
    )


def test_statistics_page_counts_the_period(client: FlaskClient, world: World) -> None:
    ward_login(client, "leader")
    page = text(client, "/thong-ke?" + MARCH)
    figures = _figures(page)
    assert figures == {
        "carried_over": "2",  # khoa (in progress), lan (extended)
        "received": "6",  # giau, tam, hoa, cuong, duc in person; mai online
        "received_in_person": "5",
        "received_online": "1",
        "received_postal": "0",
        "total": "8",
        "resolved": "2",
        "early": "1",  # cuong: 10/03 before 12/03
        "on_time": "0",
        "late": "1",  # lan: 03/03 after the original 27/02, although before the new 04/03
        "in_progress": "4",
        "in_progress_within": "3",  # hoa and duc (due today), mai (due 12/03)
        "in_progress_late": "1",  # khoa (due 24/02)
        "awaiting_supplement": "1",  # giau
        "withdrawn": "1",  # tam
        "stopped": "0",
        "on_time_rate": "50,0 %",
        "online_rate": "16,7 %",
    }
    assert '<svg class="chart"' in page and "<rect" in page
    assert "Kỳ thống kê: từ ngày <strong>01/03/2026</strong>" in page


def test_statistics_download_as_csv_with_bom_and_as_xlsx(client: FlaskClient, world: World) -> None:
    ward_login(client, "leader")
    resp = client.get("/thong-ke.csv?" + MARCH)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "thong-ke-20260301-20260311.csv" in resp.headers["Content-Disposition"]
    assert resp.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0] == ["UBND phường Phú Hội"]
    assert ["Kỳ trước chuyển sang", "2"] in rows and ["– Quá hạn", "1"] in rows
    assert ["Tỷ lệ giải quyết đúng hạn", "50,0 %"] in rows

    resp = client.get("/thong-ke.xlsx?" + MARCH)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(resp.data)).active
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert sheet["A2"].value.endswith("từ ngày 01/03/2026 đến ngày 11/03/2026")
    assert values["Mới tiếp nhận trong kỳ"] == 6 and values["Trực tuyến"] == 1
    assert values["Tỷ lệ giải quyết đúng hạn"] == pytest.approx(0.5)


def test_statistics_with_a_bad_date_says_so(client: FlaskClient, world: World) -> None:
    ward_login(client)
    page = text(client, "/thong-ke?from=32/13/2026", 422)
    assert "không đúng dạng ngày/tháng/năm" in page
    page = text(client, "/thong-ke?from=10/03/2026&to=01/03/2026", 422)
    assert "Ngày kết thúc phải cùng ngày hoặc sau ngày bắt đầu." in page
    for export in ("csv", "xlsx"):  # a download never holds another period's figures
        assert "ngày/tháng/năm" in text(client, f"/thong-ke.{export}?to=3/2026", 422)


# -- the header's sync badge ---------------------------------------------------------------------


def test_the_offline_badge_says_what_waits_on_a_second_line(
    ward_app: Flask, client: FlaskClient, world: World
) -> None:
    from sync import read_status, set_meta

    with ward_app.app_context():
        conn = db()
        set_meta(conn, "sync.state", "offline")
        pending = read_status(conn)["pending_changes"]
    assert pending > 0
    ward_login(client)
    page = text(client, "/")
    badge = re.search(r'<a class="sync-badge sync-offline".*?</a>', page, flags=re.S)
    assert badge is not None
    assert re.search(
        rf'<span class="sync-text">Mất kết nối <small>{pending} thay đổi chờ gửi</small></span>',
        badge.group(0),
    )
