"""Outside agencies on a ward's outgoing document (docs/edxml.md, "A ward's documents"): typed
by OrganId and name, checked against the identifier's format, never a unit of the city, never
on a secret document; a refusal stores nothing, and the form says what to type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sync import ValidationError, Write, select_records
from tests.support import csrf_of, ward_login
from ward_node.documents import Documents
from ward_node.store import capture, load_clock, open_store
from webapp import User

DRAFTER = User("specialist", "specialist", "Chuyên viên")
PROVINCE = {"organ_id": "000.00.20.H41", "name": "Văn phòng UBND tỉnh Quảng Trị"}


def _docs(app: Flask) -> Documents:
    conn = open_store(Path(app.config["DATA"]))
    return Documents(conn, load_clock(conn))


def _count(docs: Documents) -> int:
    return len(select_records(docs.conn, "document"))


@pytest.mark.parametrize(
    ("given", "field", "says"),
    [
        ([{"organ_id": "000.00.20", "name": "Tỉnh"}], "edxml_to", "13 ký tự"),
        ([{"organ_id": "H41.00.20.000", "name": "Tỉnh"}], "edxml_to", "không đúng dạng"),
        ([{"organ_id": "000.00.20.H41", "name": " "}], "edxml_to_names", "tên cơ quan"),
        ([PROVINCE, dict(PROVINCE, name="Lần hai")], "edxml_to", "hai lần"),
        ([{"organ_id": f"000.00.{i:02d}.H41", "name": "x"} for i in range(33)], "edxml_to", "32"),
        ([{"organ_id": "<script>", "name": "x"}], "edxml_to", "không đúng dạng"),
    ],
)
def test_a_wrong_outside_agency_is_refused_and_nothing_stored(
    ward_app: Flask, given: list[dict[str, str]], field: str, says: str
) -> None:
    docs = _docs(ward_app)
    before = _count(docs)
    with pytest.raises(ValidationError, match=says) as caught:
        docs.create({"summary": "Về việc xác minh", "edxml_to": given}, DRAFTER)
    assert caught.value.details["field"] == field
    assert _count(docs) == before


def test_a_unit_of_the_city_and_a_secret_document_are_not_sent_over_the_platform(
    ward_app: Flask,
) -> None:
    docs = _docs(ward_app)
    neighbour = select_records(docs.conn, "unit", "WHERE code <> ? LIMIT 1", (docs.unit,))[0]
    # The hub gave a neighbouring ward its OrganId: that ward is addressed by sync instead.
    capture(docs.conn, docs.clock).write_many(
        [Write("unit", neighbour["id"], neighbour["unit"], {"organ_id": "000.35.16.H57"})],
        actor="test",
    )
    before = _count(docs)
    with pytest.raises(ValidationError, match=neighbour["name"]):
        docs.create(
            {"summary": "x", "edxml_to": [{"organ_id": "000.35.16.H57", "name": "Phường"}]},
            DRAFTER,
        )
    with pytest.raises(ValidationError, match="Văn bản mật"):
        docs.create({"secrecy": "mat", "edxml_to": [PROVINCE]}, DRAFTER)
    assert _count(docs) == before
    # A draft to the province cannot be made secret afterwards.
    doc = docs.create({"summary": "Về việc xác minh", "edxml_to": [PROVINCE]}, DRAFTER)
    with pytest.raises(ValidationError, match="không được đánh dấu mật"):
        docs.edit(doc["id"], {"secrecy": "mat"}, DRAFTER)
    kept = docs.get(doc["id"], DRAFTER)
    assert kept["secrecy"] == "none" and kept["summary"] == "Về việc xác minh"
    assert kept["edxml_to"] == ["000.00.20.H41"]
    assert kept["edxml_to_names"] == {"000.00.20.H41": PROVINCE["name"]}
    assert kept["outside"][0]["sent_at"] is None


def _new_form(client: FlaskClient, **fields: Any) -> Any:
    page = client.get("/van-ban/moi").get_data(as_text=True)
    data = {"csrf_token": csrf_of(page), "doc_type": "Công văn", "summary": "Về việc xác minh"}
    return client.post("/van-ban/moi", data={**data, **fields})


def test_the_form_takes_organ_ids_and_names_and_says_what_is_wrong(
    ward_app: Flask, client: FlaskClient
) -> None:
    ward_login(client, "specialist")
    page = client.get("/van-ban/moi").get_data(as_text=True)
    assert "Cơ quan nhận ngoài hệ thống" in page and 'name="edxml_organ"' in page
    before = _count(_docs(ward_app))
    bad = _new_form(client, edxml_organ=["000.00.2.H41", ""], edxml_name=["Tỉnh", ""])
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "không đúng dạng" in text and 'value="000.00.2.H41"' in text  # kept to be mended
    assert _count(_docs(ward_app)) == before
    good = _new_form(
        client,
        edxml_organ=["000.00.20.h41", "", ""],
        edxml_name=[PROVINCE["name"], "", ""],
    )
    assert good.status_code == 302
    doc_page = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "000.00.20.H41" in doc_page and PROVINCE["name"] in doc_page
    assert "Gửi khi phát hành" in doc_page
    # The agency is offered again on the next document.
    assert f'<option value="000.00.20.H41">{PROVINCE["name"]}</option>' in client.get(
        "/van-ban/moi"
    ).get_data(as_text=True)
