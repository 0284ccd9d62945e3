"""Enrollment tokens: one use, for a unit that still exists, cancellable before use
(docs/security.md, "Enrollment")."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from central_hub import cli
from central_hub.reference.edit import put_units
from central_hub.store import open_store as open_hub
from sync import RemoteRefused, select_records
from tests.support import AppTransport, console_login, csrf_of, enrollment_token
from ward_node.sync_link import init_node

UNIT = "19786"


def _enroll(tmp_path: Path, hub: FlaskClient, token: str) -> None:
    init_node(
        tmp_path / "ward",
        unit=UNIT,
        hub_url="http://hub.test",
        token=token,
        transport=AppTransport(hub),
    )


def test_a_token_for_a_unit_that_has_since_ended_does_not_enroll(
    tmp_path: Path, hub: FlaskClient
) -> None:
    token = enrollment_token(tmp_path)
    conn = open_hub(tmp_path / "hub")
    try:
        unit = select_records(conn, "unit", "WHERE code = ?", (UNIT,))[0]
        yesterday = (date.today() - timedelta(days=2)).isoformat()
        put_units(conn, [{**unit, "valid_to": yesterday, "successor": None}], actor="admin")
    finally:
        conn.close()
    with pytest.raises(RemoteRefused, match="đã hết hiệu lực"):
        _enroll(tmp_path, hub, token)
    conn = open_hub(tmp_path / "hub")
    try:
        assert conn.execute("SELECT count(*) FROM nodes").fetchone()[0] == 0
    finally:
        conn.close()


def test_an_unused_token_is_listed_and_cancelled_from_the_command_line(
    tmp_path: Path, hub: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    token = enrollment_token(tmp_path)
    data = str(tmp_path / "hub")
    assert cli.main(["enrollment", "list", "--data", data]) == 0
    listed = capsys.readouterr().out.strip().splitlines()
    assert len(listed) == 1 and UNIT in listed[0]
    token_id = listed[0].split()[0]
    assert cli.main(["enrollment", "cancel", token_id, "--data", data]) == 0
    assert "Đã hủy" in capsys.readouterr().out
    assert cli.main(["enrollment", "list", "--data", data]) == 0
    assert "Không có mã đăng ký" in capsys.readouterr().out
    assert cli.main(["enrollment", "cancel", token_id, "--data", data]) == 1
    assert "Không có mã đăng ký chưa dùng" in capsys.readouterr().err
    with pytest.raises(RemoteRefused, match="đã bị hủy"):
        _enroll(tmp_path, hub, token)


def test_an_administrator_cancels_a_token_in_the_console_and_an_operator_cannot(
    tmp_path: Path, hub: FlaskClient
) -> None:
    token = enrollment_token(tmp_path)
    console_login(hub, tmp_path / "hub", "operator")
    page = hub.get("/console/")
    conn = open_hub(tmp_path / "hub")
    try:
        from central_hub.nodes import pending_tokens

        token_id = pending_tokens(conn)[0]["id"]
    finally:
        conn.close()
    refused = hub.post(f"/console/dang-ky/{token_id}/huy", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 403
    hub.post("/console/dang-xuat", data={"csrf_token": csrf_of(page.text)})
    console_login(hub, tmp_path / "hub", "admin")
    page = hub.get("/console/dang-ky")
    assert token_id in page.text
    done = hub.post(f"/console/dang-ky/{token_id}/huy", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 302
    page = hub.get("/console/dang-ky")
    assert "Đã hủy mã đăng ký" in page.text
    assert f"<code>{token_id}</code>" not in page.text
    with pytest.raises(RemoteRefused, match="đã bị hủy"):
        _enroll(tmp_path, hub, token)
