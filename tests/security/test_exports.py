"""No cell of any CSV or Excel file the apps produce is a formula a spreadsheet would run, however
hostile the text in it (docs/security.md, "Exports")."""

from __future__ import annotations

import csv
import io
import json
import secrets
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from central_hub.dossiers import overdue as overdue_data
from central_hub.dossiers import stats as city_stats
from central_hub.store import capture
from central_hub.store import open_store as open_hub_store
from sync import atomic, set_meta
from tests.support import console_login, ward_login
from ward_node.desk import stats as ward_stats
from ward_node.store import open_store
from webapp import safe_cell

SIGNS = "=+-@\t\r"
# Each way a cell can start a formula, and the full-width and small forms of the signs.
HOSTILE = [
    '=HYPERLINK("http://evil.example/x","Bấm vào đây")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '＝HYPERLINK("http://evil.example")',
    "＋1＋1",
    "－1＋1",
    "＠SUM(1)",
    "﹦1+1",
]


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (numbers are numbers)."""
    if not text:
        return False
    try:
        float(text)
        return False
    except ValueError:
        pass
    return starts_with_sign(text)


def assert_inert_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    live = [cell for row in rows for cell in row if formula_like(cell)]
    assert not live, f"cells a spreadsheet would run: {live}"
    return rows


def assert_inert_xlsx(body: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    formulas = [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert not formulas, f"formula cells: {formulas}"
    live = [
        c.value
        for row in sheet.iter_rows()
        for c in row
        if isinstance(c.value, str) and formula_like(c.value)
    ]
    assert not live, f"text cells a spreadsheet would run: {live}"
    return [list(r) for r in sheet.iter_rows(values_only=True)]


# -- every export, every hostile start ------------------------------------------------------------

NOW = datetime(2026, 3, 12, 3, 0, tzinfo=UTC)


def _city(text: str) -> tuple[bytes, bytes]:
    lines = [city_stats.WardLine(text, 3, 2, 1, 1), city_stats.WardLine("19786", 1, 1, 1, 0)]
    first, last = date(2026, 3, 1), date(2026, 3, 31)
    return city_stats.to_csv(lines, first, last), city_stats.to_xlsx(lines, first, last)


def _overdue(text: str) -> tuple[bytes, bytes]:
    line = overdue_data.OverdueLine(
        code=text,
        unit=text,
        unit_name=text,
        procedure=text,
        applicant=text,
        status=text,
        due=NOW - timedelta(days=3),
        days_late=3,
        handler=text,
    )
    return overdue_data.to_csv([line], NOW), overdue_data.to_xlsx([line], NOW)


def _ward(text: str) -> tuple[bytes, bytes]:
    figures = ward_stats.compute([], [], date(2026, 3, 1), date(2026, 3, 31), now=NOW)
    return ward_stats.to_csv(figures, text), ward_stats.to_xlsx(figures, text)


EXPORTS: dict[str, Callable[[str], tuple[bytes, bytes]]] = {
    "city_statistics": _city,
    "city_overdue_list": _overdue,
    "ward_statistics": _ward,
}


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(h[:6]) for h in HOSTILE])
@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_every_export_writes_hostile_text_as_inert_text(export: str, text: str) -> None:
    as_csv, as_xlsx = EXPORTS[export](text)
    cells = [c for row in assert_inert_csv(as_csv) for c in row]
    assert "'" + text in cells  # kept whole, behind the apostrophe
    # A carriage return comes back as a newline or as itself, as openpyxl's XML library (the
    # standard library's or lxml) writes it: either way the text is whole behind the apostrophe.
    values = [
        v.replace("\r", "\n") if isinstance(v, str) else v
        for row in assert_inert_xlsx(as_xlsx)
        for v in row
    ]
    assert "'" + text.replace("\r", "\n") in values


def starts_with_sign(text: str) -> bool:
    return bool(text) and unicodedata.normalize("NFKC", text[0])[:1] in SIGNS


@given(st.text(max_size=20))
def test_safe_cell_guards_exactly_the_text_that_starts_with_a_sign(text: str) -> None:
    made = safe_cell(text)
    assert made == ("'" + text if starts_with_sign(text) else text)
    assert not starts_with_sign(made)


# -- through the apps ---------------------------------------------------------------------------


def test_a_formula_typed_on_the_portal_is_text_in_the_consoles_overdue_exports(
    tmp_path: Path, hub: FlaskClient
) -> None:
    name = HOSTILE[0]
    procedure = (
        open_hub_store(tmp_path / "hub")
        .execute("SELECT code FROM procedure WHERE active = 1")
        .fetchone()[0]
    )
    form = {
        "unit": "19786",
        "procedure_code": procedure,
        "full_name": name,
        "id_number": "046185000123",
        "birth_year": "1985",
        "sex": "nữ",
        "phone": "0905 123 456",
        "address": "12 Lê Lợi, Phú Hội",
        "email": "",
        "notes": "",
        "scans": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "giay-to.pdf"),
        "submission": secrets.token_urlsafe(24),  # the form's one-time token
    }
    sent = hub.post("/nop-ho-so", data=form, content_type="multipart/form-data")
    assert sent.status_code == 303, sent.get_data(as_text=True)
    conn = open_hub_store(tmp_path / "hub")
    row = conn.execute("SELECT id, unit, applicant FROM dossier").fetchone()
    assert json.loads(row[2])["full_name"] == name  # the portal kept the name as typed
    # The ward received it and it ran late.
    late = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    capture(conn).write("dossier", row[0], row[1], {"status": 4, "due_at": late}, actor="canbo")
    conn.close()
    console_login(hub, tmp_path / "hub", "admin")
    as_csv = hub.get("/console/thong-ke/qua-han.csv")
    assert as_csv.status_code == 200
    assert ["'" + name] == [c for r in assert_inert_csv(as_csv.data) for c in r if name in c]
    as_xlsx = hub.get("/console/thong-ke/qua-han.xlsx")
    assert as_xlsx.status_code == 200
    values = [v for r in assert_inert_xlsx(as_xlsx.data) for v in r]
    assert "'" + name in values


def test_a_hostile_unit_name_is_text_in_the_wards_statistics_exports(
    client: FlaskClient, tmp_path: Path
) -> None:
    conn = open_store(tmp_path / "ward")
    with atomic(conn):
        set_meta(conn, "unit_name", "=cmd|' /C calc'!A0")
    conn.close()
    ward_login(client, "leader")
    period = {"from": "01/03/2026", "to": "31/03/2026"}
    as_csv = client.get("/thong-ke.csv", query_string=period)
    assert as_csv.status_code == 200
    assert assert_inert_csv(as_csv.data)[0] == ["'=cmd|' /C calc'!A0"]
    as_xlsx = client.get("/thong-ke.xlsx", query_string=period)
    assert as_xlsx.status_code == 200
    assert assert_inert_xlsx(as_xlsx.data)[0][0] == "'=cmd|' /C calc'!A0"
