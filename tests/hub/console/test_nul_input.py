"""U+0000 in anything sent to the hub is refused as bad input, never a crash, on both engines
(PostgreSQL cannot store it; docs/security.md, "Input"); the store is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from sync import ValidationError, validate_fields
from tests.support import add_hub_user, csrf_of, hub_query
from tests.support.users import PASSWORD


def test_a_record_field_holding_nul_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as refused:
        validate_fields("dossier", {"notes": "đã xác minh\x00"})
    assert refused.value.code == "nul_character" and refused.value.details["field"] == "notes"
    with pytest.raises(ValidationError, match="NUL"):
        validate_fields("dossier", {"applicant": {"full_name": "Lê\x00 Văn Tám"}})


def test_nul_in_logins_look_ups_and_tokens_is_a_refusal_not_a_crash(
    tmp_path: Path, hub: FlaskClient
) -> None:
    add_hub_user(tmp_path / "hub", "admin", "admin", "Cán bộ admin")
    before = hub_query(tmp_path / "hub", "SELECT count(*) FROM journal")
    page = hub.get("/console/dang-nhap").get_data(as_text=True)
    form = hub.post(
        "/console/dang-nhap",
        data={"csrf_token": csrf_of(page), "username": "ad\x00min", "password": PASSWORD},
    )
    assert form.status_code < 500
    token = hub.post("/api/v1/auth/token", json={"username": "ad\x00min", "password": "x\x00"})
    assert 400 <= token.status_code < 500
    lookup = hub.get("/tra-cuu", query_string={"code": "H57.19786-261206-0001\x00"})
    assert lookup.status_code < 500
    assert hub_query(tmp_path / "hub", "SELECT count(*) FROM journal") == before
