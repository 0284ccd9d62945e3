"""The public look-up by code at the hub: any ward's dossier, the name masked, no staff names,
rate-limited per client address (docs/domain.md, "Public look-up")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from central_hub.portal.lookup import STATUS_NAMES as HUB_STATUS_NAMES
from sync import NodeSync, mask_name
from tests.support import AppTransport, enrolled_node, enrollment_token, synced_session
from ward_node.dossiers import STATUS_NAMES, Dossiers
from ward_node.store import load_clock
from ward_node.sync_link import init_node
from webapp import User

OFFICER = User("canbo.hoa", "officer", "Phạm Thị Cán Bộ")
SPECIALIST = User("chuyenvien.nam", "specialist", "Võ Văn Chuyên Viên")
LIMIT = 5


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {"PUBLIC_LOOKUP_PER_MINUTE": LIMIT}


def _ward(tmp_path: Path, hub: FlaskClient, unit: str) -> tuple[NodeSync, Dossiers]:
    if unit == "19786":
        data, transport = enrolled_node(tmp_path, hub)
    else:
        transport = AppTransport(hub)
        data = tmp_path / f"ward-{unit}"
        token = enrollment_token(tmp_path, unit=unit)
        init_node(data, unit=unit, hub_url="http://hub.test", token=token, transport=transport)
    session, conn = synced_session(data, transport)
    return session, Dossiers(conn, load_clock(conn))


def _two_wards(tmp_path: Path, hub: FlaskClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dossier in processing at Phú Hội, one just received at Kim Long, both synced."""
    session, phu_hoi = _ward(tmp_path, hub, "19786")
    first = phu_hoi.receive(
        {
            "procedure_code": "1.001193",
            "applicant": {"full_name": "Nguyễn Văn An", "phone": "0905123456"},
            "notes": "Người nộp hẹn quay lại chiều thứ Sáu",
        },
        OFFICER,
    )
    first = phu_hoi.act(first["id"], {"action": "start", "note": "Giao anh Nam xử lý"}, SPECIALIST)
    session.run()
    session, kim_long = _ward(tmp_path, hub, "19774")
    second = kim_long.receive(
        {"procedure_code": "1.001193", "applicant": {"full_name": "Tôn Nữ Thị Đoan Trang"}},
        OFFICER,
    )
    session.run()
    return first, second


def test_the_hub_finds_a_dossier_of_any_ward_by_its_code(tmp_path: Path, hub: FlaskClient) -> None:
    first, second = _two_wards(tmp_path, hub)
    assert first["code"].startswith("H57.19786-") and second["code"].startswith("H57.19774-")
    resp = hub.get(f"/api/v1/public/dossiers/{first['code']}")
    assert resp.status_code == 200
    found = resp.get_json()
    assert found == {
        "code": first["code"],
        "unit": "19786",
        "unit_name": found["unit_name"],
        "procedure_name": first["procedure_name"],
        "applicant_name": "Nguyễn V* A*",
        "status": 4,
        "status_name": "Đang xử lý",
        "received_at": first["received_at"],
        "due_at": first["due_at"],
        "ended_at": None,  # neither refused, withdrawn nor stopped
        "ended_label": None,
        "refusal_reason": None,
        "supplement": None,
        "returned_at": None,
        "timeline": [
            {"at": s["at"], "status": s["to_status"], "status_name": STATUS_NAMES[s["to_status"]]}
            for s in first["steps"]
        ],
    }
    assert [t["status_name"] for t in found["timeline"]] == ["Được tiếp nhận", "Đang xử lý"]
    assert "Phú Hội" in found["unit_name"]
    other = hub.get(f"/api/v1/public/dossiers/{second['code'].lower()}")  # as a citizen types it
    assert other.status_code == 200
    assert other.get_json()["applicant_name"] == "Tôn N* T* Đ* T*"
    assert (other.get_json()["unit"], other.get_json()["status"]) == ("19774", 2)


def test_the_public_answer_names_no_staff_and_shows_no_personal_data(
    tmp_path: Path, hub: FlaskClient
) -> None:
    first, _second = _two_wards(tmp_path, hub)
    text = hub.get(f"/api/v1/public/dossiers/{first['code']}").get_data(as_text=True)
    assert "Nguyễn V* A*" in text  # the body is plain UTF-8: the checks below see the letters
    for secret in (
        "canbo.hoa",
        "chuyenvien.nam",
        "Cán Bộ",
        "Chuyên Viên",
        "Nguyễn Văn An",
        "905123456",
        "thứ Sáu",
        "anh Nam",
        "actor",
        "handler",
        "note",
        "phone",
    ):
        assert secret not in text, secret


def test_an_unknown_code_is_404_with_a_sentence(tmp_path: Path, hub: FlaskClient) -> None:
    resp = hub.get("/api/v1/public/dossiers/H57.19786-261127-9999")
    assert resp.status_code == 404
    error = resp.get_json()["error"]
    assert error["code"] == "not_found" and "mã" in error["message"]


def test_lookups_are_rate_limited_per_client_address(tmp_path: Path, hub: FlaskClient) -> None:
    first, _second = _two_wards(tmp_path, hub)
    codes = [first["code"], "H57.19786-261127-0002", "H57.19786-261127-0003"]
    # Guessing codes is what enumeration does: misses count toward the limit too.
    answers = [hub.get(f"/api/v1/public/dossiers/{codes[i % 3]}").status_code for i in range(LIMIT)]
    assert answers == [200, 404, 404, 200, 404]
    refused = hub.get(f"/api/v1/public/dossiers/{first['code']}")
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    elsewhere = hub.get(
        f"/api/v1/public/dossiers/{first['code']}", environ_base={"REMOTE_ADDR": "10.46.1.7"}
    )
    assert elsewhere.status_code == 200


def test_the_hub_masks_names_and_names_statuses_as_the_wards_do() -> None:
    assert HUB_STATUS_NAMES == STATUS_NAMES
    assert mask_name("  Đặng   thị  hoà ") == "Đặng t* h*"
