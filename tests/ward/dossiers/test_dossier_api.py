"""The ward node's dossier API: reception, validation, transitions, search, public lookup."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from flask import Flask

from tests.support import Api, csrf_of, ward_login

BIRTH = {"procedure_code": "1.001193", "channel": "in_person"}
PAPER = {"": "1", "-form": "original", "-count": "1"}  # the first paper ticked on the page


def _create(api: Api, name: str = "Nguyễn Văn Đức", **applicant: str) -> dict:
    resp = api.post("/dossiers", json={**BIRTH, "applicant": {"full_name": name, **applicant}})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _store(app: Flask) -> sqlite3.Connection:
    return sqlite3.connect(Path(app.config["DATA"]) / "node.sqlite3")


def test_received_dossier_gets_a_code_a_due_date_and_a_first_step(
    api: Api, ward_app: Flask
) -> None:
    dossier = _create(api, phone="0905 123 456", id_number="046090001234")
    assert re.fullmatch(r"H57\.19786-\d{6}-0001", dossier["code"])
    assert dossier["status"] == 2 and dossier["unit"] == "19786"
    assert dossier["received_at"].endswith("+00:00") and dossier["due_at"] >= dossier["received_at"]
    assert dossier["applicant"]["phone"] == "+84905123456"
    assert [s["to_status"] for s in dossier["steps"]] == [2]
    second = _create(api, "Trần Thị Thuỷ")
    assert second["code"].endswith("-0002")
    with _store(ward_app) as conn:
        # each dossier: the record and its first step; the one with a phone also its SMS notice
        assert conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 5
        assert conn.execute("SELECT count(*) FROM dossier").fetchone()[0] == 2


def test_schema_violation_is_422_naming_the_field_and_changes_nothing(
    api: Api, ward_app: Flask
) -> None:
    for applicant, field in (
        ({"full_name": "Lê Văn A", "phone": "12345"}, "applicant.phone"),
        ({"full_name": "Lê Văn A", "id_number": "003090001234"}, "applicant.id_number"),
        ({"full_name": ""}, "applicant.full_name"),
        ({"full_name": "Lê Văn A", "email": "khong-phai-email"}, "applicant.email"),
    ):
        resp = api.post("/dossiers", json={**BIRTH, "applicant": applicant})
        assert resp.status_code == 422, applicant
        assert resp.get_json()["error"]["field"] == field
    resp = api.post(
        "/dossiers",
        json={**BIRTH, "procedure_code": "KHONG-CO", "applicant": {"full_name": "Lê A"}},
    )
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "procedure_code"
    with _store(ward_app) as conn:
        assert conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM counters").fetchone()[0] == 0


def test_a_declared_sex_is_checked_against_the_cccd_and_never_stored(
    api: Api, client, ward_app: Flask
) -> None:
    # 046 0 90 …: the century digit 0 is a man born in the 1900s (docs/domain.md).
    man = {"full_name": "Lê Văn A", "id_number": "046090001234", "birth_year": 1990}
    for sex, field in (("nữ", "applicant.id_number"), ("khác", "applicant.sex")):
        resp = api.post("/dossiers", json={**BIRTH, "applicant": {**man, "sex": sex}})
        assert resp.status_code == 422, sex
        assert resp.get_json()["error"]["field"] == field
    ward_login(client)
    page = client.get("/dossiers/new").get_data(as_text=True)
    assert '<select id="applicant_sex" name="applicant_sex"' in page
    form = {
        "csrf_token": csrf_of(page),
        "procedure_code": BIRTH["procedure_code"],
        "channel": "in_person",
        **{f"applicant_{key}": str(value) for key, value in man.items()},
        "applicant_sex": "nữ",
        **{f"{BIRTH['procedure_code']}/paper-0{key}": value for key, value in PAPER.items()},
    }
    refused = client.post("/dossiers/new", data=form)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "ứng với giới tính nam" in text
    assert 'id="applicant_id_number" name="applicant_id_number"' in text
    assert '<option value="nữ" selected>' in text  # what was typed stays on the form
    with _store(ward_app) as conn:
        assert conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 0
    accepted = client.post("/dossiers/new", data={**form, "applicant_sex": "nam"})
    assert accepted.status_code == 302, accepted.get_data(as_text=True)
    blank = _create(api, **{**man, "sex": "", "full_name": "Lê Văn B"})
    stored = _create(api, **{**man, "sex": "nam", "full_name": "Lê Văn C"})["applicant"]
    assert "sex" not in stored and "sex" not in blank["applicant"]
    with _store(ward_app) as conn:
        rows = [r[0] for r in conn.execute("SELECT applicant FROM dossier")]
        assert len(rows) == 3 and not any('"sex"' in row for row in rows)


def test_first_transitions_and_409_when_not_allowed(client, ward_app: Flask) -> None:
    officer, specialist = Api(client, "officer"), Api(client, "specialist")
    dossier = _create(officer)
    path = f"/dossiers/{dossier['id']}/actions"
    assert officer.post(path, json={"action": "return"}).status_code == 409  # 2 → 10 not allowed
    for action, status in (("start", 4), ("complete", 9)):
        resp = specialist.post(path, json={"action": action, "note": "ok"})
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json()["status"] == status
    returned = officer.post(
        path, json={"action": "return", "return_method": "in_person"}
    ).get_json()
    assert returned["status"] == 10 and returned["returned_at"]
    assert [(s["from_status"], s["to_status"]) for s in returned["steps"]] == [
        (None, 2),
        (2, 4),
        (4, 9),
        (9, 10),
    ]
    assert officer.post(path, json={"action": "start"}).status_code == 409
    assert officer.post(path, json={"action": "fly"}).status_code == 422


def test_patch_edits_contact_fields_only(api: Api) -> None:
    dossier = _create(api)
    resp = api.patch(
        f"/dossiers/{dossier['id']}",
        json={"notes": "Gọi lại chiều nay", "applicant": {"phone": "0912345678"}},
    )
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["notes"] == "Gọi lại chiều nay" and body["applicant"]["phone"] == "+84912345678"
    assert body["applicant"]["full_name"] == "Nguyễn Văn Đức"
    assert api.patch(f"/dossiers/{dossier['id']}", json={"status": 10}).status_code == 422
    assert (
        api.patch(f"/dossiers/{dossier['id']}", json={"applicant": {"full_name": "X"}}).status_code
        == 422
    )


def test_search_with_or_without_diacritics_on_names_codes_ids_and_phones(api: Api) -> None:
    duc = _create(api, "Đặng Văn Đức", id_number="046090001234", phone="0905123456")
    _create(api, "Trần Thị Thuỷ")
    _create(api, "Lê Văn Hoà")
    for q in ("dang van duc", "Đặng", "DUC", duc["code"], "046090001234", "0905123456", "123456"):
        items = api.get("/dossiers", query_string={"q": q}).get_json()["items"]
        assert [d["id"] for d in items] == [duc["id"]], q
    assert len(api.get("/dossiers", query_string={"q": "thuy"}).get_json()["items"]) == 1
    assert (
        len(api.get("/dossiers", query_string={"q": "Thủy"}).get_json()["items"]) == 1
    )  # old tone placement
    assert len(api.get("/dossiers", query_string={"q": "hoa"}).get_json()["items"]) == 1


def test_list_is_paged_with_a_capped_limit(api: Api) -> None:
    ids = [_create(api)["id"] for _ in range(5)]
    page = api.get("/dossiers", query_string={"limit": 2}).get_json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    seen = [d["id"] for d in page["items"]]
    while page["next_cursor"]:
        page = api.get(
            "/dossiers", query_string={"limit": 2, "cursor": page["next_cursor"]}
        ).get_json()
        seen += [d["id"] for d in page["items"]]
    assert sorted(seen) == sorted(ids)
    assert len(api.get("/dossiers", query_string={"limit": 100000}).get_json()["items"]) == 5


def test_api_needs_a_token(client) -> None:
    assert client.get("/api/v1/dossiers").status_code == 401
    assert (
        client.get("/api/v1/dossiers", headers={"Authorization": "Bearer nope"}).status_code == 401
    )
    bad = client.post("/api/v1/auth/token", json={"username": "officer", "password": "sai"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "bad_credentials"


def test_failed_logins_are_throttled(client) -> None:
    for _ in range(5):
        client.post("/api/v1/auth/token", json={"username": "leader", "password": "sai-mat-khau"})
    resp = client.post("/api/v1/auth/token", json={"username": "leader", "password": "matkhau-123"})
    assert resp.status_code == 429


def test_public_lookup_masks_the_name_and_hides_staff(api: Api, client) -> None:
    dossier = _create(api, "Nguyễn Văn Đức")
    body = client.get(f"/api/v1/public/dossiers/{dossier['code']}").get_json()
    assert body["applicant_name"] != "Nguyễn Văn Đức" and body["applicant_name"].startswith(
        "Nguyễn"
    )
    assert body["status"] == 2 and "actor" not in str(body) and "canbo" not in str(body)
    assert client.get("/api/v1/public/dossiers/H57.19786-000000-0000").status_code == 404


def test_procedures_come_from_the_hub_reference_data(api: Api) -> None:
    items = api.get("/procedures").get_json()["items"]
    assert len(items) >= 14 and all(p["papers"] for p in items)


def test_sync_status_before_any_sync_is_not_synced(api: Api) -> None:
    status = api.get("/sync/status").get_json()
    assert status["state"] != "synced"
    _create(api)
    assert api.get("/sync/status").get_json()["pending_changes"] == 2


def test_hand_over_needs_a_real_colleague_and_extension_a_later_date(client) -> None:
    officer, leader = Api(client, "officer"), Api(client, "leader")
    dossier = _create(officer)
    path = f"/dossiers/{dossier['id']}/actions"
    assert leader.post(path, json={"action": "start"}).status_code == 200
    bad = leader.post(path, json={"action": "hand_over", "to_handler": "khong-ai"})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "to_handler"
    moved = leader.post(
        path, json={"action": "hand_over", "to_handler": "specialist", "note": "Chuyển thẩm định"}
    )
    assert moved.status_code == 200 and moved.get_json()["handler"] == "specialist"
    earlier = leader.post(
        path,
        json={"action": "extend", "new_due_at": "2020-01-01T08:00:00+07:00", "note": "xin lỗi"},
    )
    assert earlier.status_code == 422 and earlier.get_json()["error"]["field"] == "new_due_at"
    later = leader.post(
        path,
        json={
            "action": "extend",
            "new_due_at": "2099-01-05T10:00:00+07:00",
            "note": "Xin lỗi vì chậm",
        },
    )
    body = later.get_json()
    assert later.status_code == 200 and body["original_due_at"] == dossier["due_at"]
    assert body["due_at"] == "2099-01-05T03:00:00+00:00" and body["status"] == 4
