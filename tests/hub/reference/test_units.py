"""The console's units with validity dates (``/console/danh-muc-don-vi``) and ``PUT /api/v1/units/<code>``:
add, edit, end with a successor, refusals that leave the store unchanged, operators read only;
a ward receives the change on its next sync and no longer offers an ended unit as an addressee."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from flask.testing import FlaskClient

from central_hub.reference.edit import reference
from central_hub.store import open_store
from tests.hub.console.test_stats import _form
from tests.support import console_login, enrolled_node, synced_session

ENDED, HEIR = "19789", "19786"  # Phú Nhuận, merged into Phú Hội for this test


def _units(tmp_path: Path) -> dict[str, dict]:
    conn = open_store(tmp_path / "hub")
    try:
        return {u["code"]: u for u in reference(conn, "unit", "code")}
    finally:
        conn.close()


def _post(hub: FlaskClient, path: str, page: str, **fields: str):  # type: ignore[no-untyped-def]
    return hub.post(path, data={"csrf_token": _form(hub, page), **fields})


def test_an_administrator_adds_a_unit_and_edits_it_but_not_its_code(
    tmp_path: Path, hub: FlaskClient
) -> None:
    console_login(hub, tmp_path / "hub")
    new = {"name": "Phòng Thử nghiệm", "kind": "department", "prefix": "h57.30"}
    resp = _post(
        hub,
        "/console/danh-muc-don-vi/moi",
        "/console/danh-muc-don-vi/moi",
        code="H57.30",
        valid_from="01/07/2025",
        **new,
    )
    assert resp.status_code == 302, resp.text
    added = _units(tmp_path)["H57.30"]
    assert (added["name"], added["kind"], added["prefix"]) == (
        "Phòng Thử nghiệm",
        "department",
        "H57.30",
    )
    assert (added["valid_from"], added["valid_to"], added["successor"]) == (
        "2025-07-01",
        None,
        None,
    )
    listing = hub.get("/console/danh-muc-don-vi").text
    assert (
        "Phòng Thử nghiệm" in listing and "01/07/2025" in listing and "Phòng chuyên môn" in listing
    )

    again = _post(
        hub, "/console/danh-muc-don-vi/moi", "/console/danh-muc-don-vi/moi", code="H57.30", **new
    )
    assert again.status_code == 422 and "Đã có đơn vị mã" in again.text

    page = "/console/danh-muc-don-vi/H57.30"
    resp = _post(
        hub,
        page,
        page,
        code="H57.99",
        name="Phòng Thử nghiệm (sửa)",
        kind="service",
        prefix="H57.31",
    )
    assert resp.status_code == 302, resp.text
    units = _units(tmp_path)
    assert "H57.99" not in units  # the code is the key: a posted code changes nothing
    assert units["H57.30"]["name"] == "Phòng Thử nghiệm (sửa)"
    assert units["H57.30"]["kind"] == "service" and units["H57.30"]["prefix"] == "H57.31"
    assert units["H57.30"]["valid_from"] is None  # the field was left empty


def test_ending_a_unit_with_a_successor_and_the_current_filter(
    tmp_path: Path, hub: FlaskClient
) -> None:
    console_login(hub, tmp_path / "hub")
    yesterday = date.today() - timedelta(days=2)
    page = f"/console/danh-muc-don-vi/{ENDED}/ket-thuc"
    resp = _post(hub, page, page, valid_to=f"{yesterday:%d/%m/%Y}", successor=HEIR)
    assert resp.status_code == 302, resp.text
    ended = _units(tmp_path)[ENDED]
    assert (ended["valid_to"], ended["successor"]) == (yesterday.isoformat(), HEIR)
    assert "UBND phường Phú Hội (19786)" in hub.get(resp.headers["Location"]).text

    current = hub.get("/console/danh-muc-don-vi").text
    assert f'data-unit="{ENDED}"' not in current and f'data-unit="{HEIR}"' in current
    everything = hub.get("/console/danh-muc-don-vi?xem=tat-ca").text
    assert f'data-unit="{ENDED}"' in everything and "đã hết hiệu lực" in everything


def test_bad_unit_input_is_refused_in_vietnamese_and_changes_nothing(
    tmp_path: Path, hub: FlaskClient
) -> None:
    before = _units(tmp_path)
    console_login(hub, tmp_path / "hub")
    end = f"/console/danh-muc-don-vi/{ENDED}/ket-thuc"
    edit = f"/console/danh-muc-don-vi/{ENDED}"
    ward = {"name": "UBND phường Phú Nhuận", "kind": "ward", "prefix": "H57.19789"}
    cases = [
        (end, {"valid_to": "2025-06-30"}, "ngày/tháng/năm"),
        (end, {"valid_to": "31/02/2025"}, "ngày/tháng/năm"),
        (end, {"valid_to": ""}, "ngày/tháng/năm"),
        (end, {"valid_to": "30/06/2021"}, "không được trước ngày bắt đầu"),
        (end, {"valid_to": "30/06/2025", "successor": "KHONG-CO"}, "không có đơn vị mã"),
        (end, {"valid_to": "30/06/2025", "successor": ENDED}, "không kế thừa chính nó"),
        (edit, {**ward, "prefix": "h57 19789!"}, "tiền tố mã hồ sơ"),
        (edit, {**ward, "kind": "tinh"}, "Loại đơn vị"),
        (edit, {**ward, "name": "  "}, "Nhập tên đơn vị"),
        (edit, {**ward, "successor": HEIR}, "chỉ ghi đơn vị kế thừa khi"),
        ("/console/danh-muc-don-vi/H57/ket-thuc", {"valid_to": "30/06/2025"}, "máy chủ trung tâm"),
    ]
    for path, fields, message in cases:
        resp = _post(hub, path, edit, **fields)
        assert resp.status_code == 422, (fields, resp.status_code)
        assert message in resp.text, (fields, message)
    # A successor that itself ended before the day after the end.
    heir_end = f"/console/danh-muc-don-vi/{HEIR}/ket-thuc"
    assert _post(hub, heir_end, heir_end, valid_to="30/06/2025").status_code == 302
    resp = _post(hub, end, end, valid_to="30/06/2025", successor=HEIR)
    assert resp.status_code == 422 and "phải còn hiệu lực từ ngày 01/07/2025" in resp.text
    after = _units(tmp_path)
    assert after.pop(HEIR)["valid_to"] == "2025-06-30"
    before.pop(HEIR)
    assert after == before


def test_an_operator_sees_the_units_but_cannot_change_them(
    tmp_path: Path, hub: FlaskClient
) -> None:
    before = _units(tmp_path)
    assert hub.get("/console/danh-muc-don-vi").status_code == 302  # ward_login first
    console_login(hub, tmp_path / "hub", "operator")
    listing = hub.get("/console/danh-muc-don-vi")
    assert listing.status_code == 200 and "Phú Nhuận" in listing.text
    assert "Thêm đơn vị" not in listing.text and "Kết thúc hiệu lực" not in listing.text
    page = hub.get(f"/console/danh-muc-don-vi/{ENDED}")
    assert page.status_code == 200 and "disabled>" in page.text and ">Lưu<" not in page.text
    token = _form(hub, "/console/danh-muc-don-vi")
    forms = [
        (f"/console/danh-muc-don-vi/{ENDED}", {"name": "Sửa", "kind": "ward"}),
        (f"/console/danh-muc-don-vi/{ENDED}/ket-thuc", {"valid_to": "30/06/2025"}),
        ("/console/danh-muc-don-vi/moi", {"code": "X1", "name": "X", "kind": "ward"}),
    ]
    for path, fields in forms:
        assert hub.post(path, data={"csrf_token": token, **fields}).status_code == 403
    assert hub.post(f"/console/danh-muc-don-vi/{ENDED}", data={"name": "Sửa"}).status_code in (
        400,
        403,
    )
    assert _units(tmp_path) == before


def test_put_unit_api_edits_by_code_and_refuses_a_new_code(
    tmp_path: Path, hub: FlaskClient
) -> None:
    from tests.support import hub_token

    admin = hub_token(hub, tmp_path / "hub")
    resp = hub.put(
        f"/api/v1/units/{ENDED}",
        headers=admin,
        json={"valid_to": "2025-06-30", "successor": HEIR},
    )
    assert resp.status_code == 200, resp.get_json()
    assert (
        resp.get_json()["successor"] == HEIR and resp.get_json()["name"] == "UBND phường Phú Nhuận"
    )
    moved = hub.put(f"/api/v1/units/{HEIR}", headers=admin, json={"code": "19999"})
    assert moved.status_code == 422 and moved.get_json()["error"]["field"] == "code"
    bad = hub.put(f"/api/v1/units/{HEIR}", headers=admin, json={"valid_to": "30/06/2025"})
    assert bad.status_code == 422
    assert _units(tmp_path)[HEIR]["valid_to"] is None
    new = hub.put(
        "/api/v1/units/H57.40", headers=admin, json={"name": "Ban Thử", "kind": "service"}
    )
    assert new.status_code == 200 and new.get_json()["prefix"] is None


def test_a_ward_receives_an_ended_unit_and_stops_offering_it_as_an_addressee(
    tmp_path: Path, hub: FlaskClient
) -> None:
    from tests.support import PASSWORD, ward_login
    from ward_node import create_app as create_ward
    from ward_node.documents import DocumentReader
    from ward_node.store import ROLES, load_clock
    from webapp import add_user

    data, transport = enrolled_node(tmp_path, hub)  # the ward of unit 19786 (Phú Hội)
    session, conn = synced_session(data, transport)
    add_user(conn, "clerk", PASSWORD, "clerk", ROLES, "Văn thư")
    ward = create_ward({"DATA": str(data), "SYNC_INTERVAL": 0}).test_client()
    ward_login(ward, "clerk")
    offered = ward.get("/van-ban/moi").text
    assert f'value="{ENDED}"' in offered

    console_login(hub, tmp_path / "hub")
    end = f"/console/danh-muc-don-vi/{ENDED}/ket-thuc"
    yesterday = date.today() - timedelta(days=1)
    assert _post(hub, end, end, valid_to=f"{yesterday:%d/%m/%Y}", successor=HEIR).status_code == 302
    try:
        session.run()
        row = conn.execute(
            "SELECT valid_to, successor FROM unit WHERE code = ?", (ENDED,)
        ).fetchone()
        assert tuple(row) == (yesterday.isoformat(), HEIR)
        reader = DocumentReader(conn, load_clock(conn))
        assert ENDED not in dict(reader.addressees())
        assert reader.unit_names()[ENDED] == "UBND phường Phú Nhuận"  # old records keep it
    finally:
        conn.close()
    offered = ward.get("/van-ban/moi").text
    assert f'value="{ENDED}"' not in offered and 'value="19792"' in offered  # Xuân Phú still
