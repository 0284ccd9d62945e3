"""Every printed one-stop form, made into a PDF by Chromium (``page.pdf()``, as an officer's
"In" does) and read back, carries every label of its legal template (``editions.py``): the
forms of Circular 01/2018/TT-VPCP for a dossier received before 01/07/2025, those of Circular
03/2025/TT-VPCP after, each numbered and named as its circular does.

The ward's pages are served to the browser from the Flask test client (a route answers every
request), so the PDF is of the very page the desk prints. A PNG of each form is kept in
``SHOTS`` (``/tmp/shots-forms``) for a person to look at.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

import ward_node.dossiers.service
from sync import atomic, new_id
from tests.support import BROWSER_MARKS, ward_login
from ward_node.desk import EDITIONS, Edition, FormTemplate
from ward_node.dossiers import Dossiers, iso
from ward_node.store import capture
from ward_node.web import db, state
from webapp import get_user

try:
    from pypdf import PdfReader
except ImportError:  # the "test" extra is not installed
    PdfReader = None

pytestmark = [
    *BROWSER_MARKS,
    pytest.mark.skipif(
        PdfReader is None, reason="pypdf is not installed (pip install 'pypdf~=7.1')"
    ),
]

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MARRIAGE_STATUS = "1.004873"
ATTESTATION = "2.000815"
SHOTS = Path("/tmp/shots-forms")
BASE = "http://ward.test"
DESK_PHONE = "0234 3822 123"


def at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=VN)


def build(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, str]]:
    """For each edition, dossiers whose histories make every form of it printable: the id of
    the dossier to print each form (by kind) with."""
    made: dict[str, dict[str, str]] = {}
    with app.app_context():
        conn = db()
        service = Dossiers(conn, state().clock)
        officer, specialist, leader = (
            get_user(conn, n) for n in ("officer", "specialist", "leader")
        )

        def act(dossier_id: str, when: datetime, user: Any, action: str, **data: Any) -> None:
            monkeypatch.setattr(ward_node.dossiers.service, "now_utc", lambda: when)
            service.act(dossier_id, {"action": action, **data}, user)

        def refused_online(when: datetime, name: str) -> str:
            dossier_id = new_id()
            record = {
                "id": dossier_id,
                "unit": service.unit,
                "code": f"H57.19786-{when:%y%m%d}-5001",
                "procedure_code": MARRIAGE_STATUS,
                "procedure_name": "Cấp Giấy xác nhận tình trạng hôn nhân",
                "applicant": {"full_name": name, "phone": "+84905111222"},
                "channel": "online",
                "status": 1,
                "received_at": iso(when),
                "fee": 3000,
                "handler": None,
                "created_by": "hub",
            }
            with atomic(conn):
                capture(conn, state().clock).write(
                    "dossier", dossier_id, service.unit, record, actor="hub"
                )
            act(dossier_id, when.replace(hour=10), officer, "refuse", note="Nộp sai thẩm quyền.")
            return dossier_id

        for edition, year, month in (("2018", 2025, 6), ("2025", 2026, 3)):
            papers = [
                {
                    "name": "Bản chính giấy tờ, văn bản làm cơ sở chứng thực",
                    "form": "original",
                    "count": 1,
                },
                {"name": "Bản sao cần chứng thực", "form": "copy", "count": 3, "pages": 4},
            ]
            receipt = service.receive(
                {
                    "procedure_code": ATTESTATION,
                    "applicant": {
                        "full_name": "Nguyễn Thị Mỹ Dung",
                        "phone": "0905123456",
                        "address": "12 Lê Lợi, phường Phú Hội",
                        "email": "dung@example.vn",
                    },
                    "papers_received": papers,
                },
                officer,
                at=at(year, month, 2, 8),
            )
            long = service.receive(
                {
                    "procedure_code": MARRIAGE_STATUS,
                    "applicant": {"full_name": "Trần Văn Hùng", "address": "5 Hùng Vương"},
                    "papers_received": [
                        {
                            "name": "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân (theo mẫu)",
                            "form": "original",
                            "count": 1,
                        }
                    ],
                },
                officer,
                at=at(year, month, 3),
            )["id"]
            act(long, at(year, month, 3, 10), specialist, "start")
            act(
                long,
                at(year, month, 3, 11),
                specialist,
                "hand_over",
                to_handler="specialist",
                note="Thẩm định",
            )
            act(
                long,
                at(year, month, 4),
                specialist,
                "request_supplement",
                note="1. Bản sao quyết định ly hôn\n2. Giấy xác nhận cư trú",
            )
            act(long, at(year, month, 5), officer, "supplement_received", note="Đã nhận đủ")
            act(
                long,
                at(year, month, 9),
                leader,
                "extend",
                new_due_at=iso(at(year, month, 13, 17)),
                note="Cần xác minh tại nơi cư trú trước đây.",
            )
            act(long, at(year, month, 12), specialist, "complete")
            act(long, at(year, month, 13), officer, "return", return_method="in_person")
            forms = {
                "receipt": receipt["id"],
                "supplement": long,
                "apology": long,
                "control": long,
                "refusal": refused_online(at(year, month, 6), "Huỳnh Văn Bình"),
            }
            if edition == "2025":
                stopped = service.receive(
                    {"procedure_code": MARRIAGE_STATUS, "applicant": {"full_name": "Võ Thị Tâm"}},
                    officer,
                    at=at(year, month, 10),
                )["id"]
                act(stopped, at(year, month, 10, 10), specialist, "start")
                act(
                    stopped,
                    at(year, month, 11),
                    leader,
                    "stop",
                    note="Người yêu cầu đã chết; không còn đối tượng giải quyết.",
                )
                forms["stop"] = stopped
            made[edition] = forms
    return made


@pytest.fixture(scope="module")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture
def printed(
    ward_app: Flask, client: FlaskClient, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, dict[str, dict[str, str]]]]:
    """A browser page whose every request the ward's app answers, logged in; and the dossiers."""
    ward_app.config["DESK_PHONE"] = DESK_PHONE
    dossiers = build(ward_app, monkeypatch)
    ward_login(client)
    context = browser.new_context(
        base_url=BASE, locale="vi-VN", viewport={"width": 1100, "height": 1500}
    )

    def answer(route: Any) -> None:
        path = route.request.url[len(BASE) :]
        resp = client.get(path)
        try:
            route.fulfill(status=resp.status_code, headers=dict(resp.headers), body=resp.get_data())
        finally:
            resp.close()

    context.route(f"{BASE}/**", answer)
    page = context.new_page()
    try:
        yield page, dossiers
    finally:
        context.close()


def pdf_text(page: Any, landscape: bool) -> str:
    """The page as Chromium prints it to PDF, its text read back by pypdf: NFC, one space
    between words, case folded."""
    data = page.pdf(
        format="A4", landscape=landscape, prefer_css_page_size=True, print_background=False
    )
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(p.extract_text() or "" for p in reader.pages)
    return squeeze(text)


def squeeze(text: str) -> str:
    """``text`` NFC, case folded, without white space: pypdf puts spaces around the letters a
    font draws with their diacritics apart ("Ti ế p nh ậ n"), so words are compared without."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text)).casefold()


def missing_labels(text: str, form: FormTemplate) -> list[str]:
    return [label for label in form.labels if squeeze(label) not in text]


def forms_of(edition: Edition) -> list[FormTemplate]:
    return [f for f in edition.forms if f.kind != "register"]


CASES = [(e.key, f.kind) for e in EDITIONS for f in forms_of(e)]


@pytest.mark.parametrize(("edition_key", "kind"), CASES)
def test_each_form_printed_to_pdf_carries_its_templates_labels(
    printed: tuple[Any, dict[str, dict[str, str]]], shots: Path, edition_key: str, kind: str
) -> None:
    page, dossiers = printed
    edition = next(e for e in EDITIONS if e.key == edition_key)
    form = edition.form(kind)
    assert form is not None
    page.goto(f"/dossiers/{dossiers[edition_key][kind]}/in/{form.number}")
    page.screenshot(path=str(shots / f"{edition_key}-{form.number}-{kind}.png"), full_page=True)
    text = pdf_text(page, landscape=False)
    assert missing_labels(text, form) == []
    # Numbered and named as the circular in force when the dossier was received.
    assert squeeze(f"Mẫu số {form.number}") in text
    assert squeeze(edition.circular) in text
    assert squeeze(form.title) in text or kind in ("apology", "stop")
    if kind == "receipt":
        # Exactly what was handed in, with the fee by the page and copy: 3 × (2 × 2.000 + 2 × 1.000).
        assert squeeze("bản sao cần chứng thực (4 trang)") in text and squeeze("18.000 đ") in text
        assert squeeze("tờ khai") not in text
    if kind == "supplement":
        assert squeeze(DESK_PHONE) in text
    if kind == "refusal":
        assert squeeze("căn cứ quy định tại luật hộ tịch năm 2014") in text
    if kind == "apology":
        assert squeeze("tm. ủy ban nhân dân chủ tịch") in text
        assert (squeeze("số: ……/ph-ubnd" if edition_key == "2018" else "số: ……/ubnd-vp")) in text
    if kind == "control":
        assert (
            squeeze("yêu cầu bổ sung, hoàn thiện hồ sơ") in text
            and squeeze("nhận hồ sơ bổ sung") in text
        )
        # Six hand-overs: reception, to the specialist, the supplement asked and brought, the
        # result back to the desk, the return; each with both signature cells.
        assert text.count(squeeze("người giao:")) == text.count(squeeze("người nhận:")) == 6


def test_the_register_printed_to_pdf_carries_its_templates_columns(
    printed: tuple[Any, dict[str, dict[str, str]]], shots: Path
) -> None:
    page, _dossiers = printed
    for edition_key, period in (
        ("2018", "01/06/2025-30/06/2025"),
        ("2025", "01/03/2026-31/03/2026"),
    ):
        first, last = period.split("-")
        edition = next(e for e in EDITIONS if e.key == edition_key)
        form = edition.form("register")
        assert form is not None
        page.goto(f"/so-theo-doi?from={first}&to={last}")
        page.screenshot(
            path=str(shots / f"{edition_key}-{form.number}-register.png"), full_page=True
        )
        text = pdf_text(page, landscape=True)
        assert missing_labels(text, form) == []
        assert squeeze(f"Mẫu số {form.number}") in text
        assert len(re.findall(r"h57\.19786-\d{6}-\d{4}", text)) >= 3


def test_the_apology_is_signed_by_a_vice_chairman_for_the_chairman_when_chosen(
    printed: tuple[Any, dict[str, dict[str, str]]],
) -> None:
    page, dossiers = printed
    page.goto(f"/dossiers/{dossiers['2025']['apology']}/in/04?ky=pho-chu-tich&nguoi-ky=leader")
    text = pdf_text(page, landscape=False)
    assert squeeze("tm. ủy ban nhân dân kt. chủ tịch phó chủ tịch") in text
    assert squeeze("cán bộ leader") in text
    # The toolbar's choice is not printed.
    assert squeeze("chức danh ký") not in text
