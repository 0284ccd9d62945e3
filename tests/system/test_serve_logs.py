"""What ``serve`` logs (docs/operations.md, "Logs"), from real processes: lines stamped in Huế
time, one access line per request with its user and client but no query string, body,
password, phone number or dossier code; JSON lines for a collector; the level from the
setting or the option; a bad value refused at start in Vietnamese."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from tests.support import (
    PASSWORD,
    Server,
    add_hub_user,
    free_port,
    make_ward_data,
    run,
    wait_until,
    web_session,
)

PHONE = "0905123456"
CCCD = "046090001234"
CODE = "H57.19786-261207-0001"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00 [A-Z]+ [\w.]+: ")


def _ward(tmp_path: Path, *args: str, **env: str) -> Server:
    data = make_ward_data(tmp_path / "ward")
    return Server("ward_node", data, free_port(), "--sync-interval", "0", *args, **env)


def _json_lines(server: Server) -> list[dict[str, Any]]:
    text = server.log.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _wait_for_access(server: Server, *wanted: tuple[str, str]) -> list[dict[str, Any]]:
    """The access lines, once there is one for each ``(method, path)`` of ``wanted`` (as many
    as it names each). A line is written once its answer has left, so the last may follow the
    client's read; and the start's probes of ``/healthz`` (one, or more on a loaded machine)
    are lines too, so lines are waited for by what they are, not counted."""

    def lines() -> list[dict[str, Any]]:
        return [r for r in _json_lines(server) if r["logger"] == "wardsync.access"]

    def arrived() -> bool:
        seen = Counter((r["method"], r["path"]) for r in lines())
        return not Counter(wanted) - seen

    wait_until(arrived, 10, what=f"access lines {wanted} in {server.log}")
    return lines()


def test_a_wards_access_lines_say_who_and_where_and_nothing_personal(tmp_path: Path) -> None:
    ward = _ward(tmp_path, "--log-format", "json")
    try:
        desk = web_session(ward.url, "/login", "officer")
        assert desk.get(ward.url + "/", params={"q": PHONE}, timeout=10).status_code == 200
        assert desk.get(ward.url + "/", params={"q": CCCD}, timeout=10).status_code == 200
        lookup = requests.get(
            f"{ward.url}/api/v1/public/dossiers/{CODE}", params={"phone": PHONE}, timeout=10
        )
        assert lookup.status_code == 404
        refused = requests.post(
            ward.url + "/api/v1/auth/token",
            json={"username": "officer", "password": PASSWORD + "-sai"},
            timeout=10,
        )
        assert refused.status_code == 401
        lines = _wait_for_access(
            ward,
            ("GET", "/login"),
            ("POST", "/login"),
            ("GET", "/"),
            ("GET", "/"),
            ("GET", "/api/v1/public/dossiers/<code>"),
            ("POST", "/api/v1/auth/token"),
        )
    finally:
        ward.stop()

    text = ward.log.read_text(encoding="utf-8")
    for secret in (PHONE, CCCD, CODE, PASSWORD):
        assert secret not in text, secret
    every = _json_lines(ward)
    now = datetime.now(UTC)
    for line in every:
        at = datetime.fromisoformat(line["time"])
        assert line["time"].endswith("+07:00") and at.utcoffset() == timedelta(hours=7)
        assert abs(at - now) < timedelta(minutes=5)
    searches = [r for r in lines if r["path"] == "/" and r["method"] == "GET"]
    assert [(r["status"], r["user"], r["client"]) for r in searches] == [
        (200, "officer", "127.0.0.1")
    ] * 2
    login = next(r for r in lines if r["path"] == "/login" and r["method"] == "POST")
    assert (login["status"], login["user"]) == (302, "officer")
    lookup_line = next(r for r in lines if r["path"].startswith("/api/v1/public/"))
    assert lookup_line["path"] == "/api/v1/public/dossiers/<code>"
    assert (lookup_line["status"], lookup_line["user"]) == (404, None)
    token = next(r for r in lines if r["path"] == "/api/v1/auth/token")
    assert token["status"] == 401 and token["duration_ms"] >= 0
    assert all(isinstance(r["duration_ms"], float | int) for r in lines)


def test_the_level_comes_from_the_setting_and_the_option_wins(tmp_path: Path) -> None:
    quiet = _ward(tmp_path / "quiet", WARD_NODE_LOG_LEVEL="WARNING")
    try:
        assert requests.get(quiet.url + "/healthz", timeout=10).status_code == 200
    finally:
        quiet.stop()
    assert "wardsync.access" not in quiet.log.read_text(encoding="utf-8")

    loud = _ward(tmp_path / "loud", "--log-level", "info", WARD_NODE_LOG_LEVEL="WARNING")
    try:
        assert requests.get(loud.url + "/healthz?x=1", timeout=10).status_code == 200

        def access() -> list[str]:
            text = loud.log.read_text(encoding="utf-8")
            return [ln for ln in text.splitlines() if "wardsync.access" in ln]

        wait_until(lambda: any("/healthz" in ln for ln in access()), 10, what="an access line")
    finally:
        loud.stop()
    line = next(ln for ln in access() if "/healthz" in ln)
    assert STAMP.match(line), line
    assert re.search(r"INFO wardsync\.access: GET /healthz 200 [\d.]+ms client=127\.0\.0\.1$", line)
    # waitress's own INFO line, dropped before serve configured logging, is there too.
    assert re.search(r"INFO waitress: Serving on", loud.log.read_text(encoding="utf-8"))


def test_a_bad_log_setting_stops_serve_with_what_to_do(tmp_path: Path) -> None:
    data = make_ward_data(tmp_path / "ward")
    bad = run("ward_node", "serve", "--data", str(data), check=False, WARD_NODE_LOG_FORMAT="xml")
    assert bad.returncode == 1
    assert "Dạng nhật ký 'xml' không có; hãy dùng 'text' hoặc 'json'." in bad.stderr
    option = run("ward_node", "serve", "--data", str(data), "--log-level", "LOUD", check=False)
    assert option.returncode == 2 and "--log-level" in option.stderr
    proxies = run(
        "ward_node",
        "serve",
        "--data",
        str(data),
        check=False,
        WARD_NODE_TRUSTED_PROXIES="nginx",
    )
    assert proxies.returncode == 1 and "TRUSTED_PROXIES" in proxies.stderr


def test_the_hubs_console_login_is_one_line_with_its_user(tmp_path: Path) -> None:
    run("central_hub", "init", "--data", str(tmp_path / "hub"))
    add_hub_user(tmp_path / "hub", "admin", "admin")
    hub = Server(
        "central_hub",
        tmp_path / "hub",
        free_port(),
        "--log-format",
        "json",
        CENTRAL_HUB_SMS_INTERVAL="0",
    )
    try:
        console = web_session(hub.url, "/console/dang-nhap", "admin")
        assert console.get(hub.url + "/console/", timeout=10).status_code == 200
        lines = _wait_for_access(
            hub,
            ("GET", "/console/dang-nhap"),
            ("POST", "/console/dang-nhap"),
            ("GET", "/console/"),
        )
    finally:
        hub.stop()
    assert PASSWORD not in hub.log.read_text(encoding="utf-8")
    login = next(r for r in lines if r["path"] == "/console/dang-nhap" and r["method"] == "POST")
    assert (login["status"], login["user"], login["client"]) == (302, "admin", "127.0.0.1")
    home = next(r for r in lines if r["path"] == "/console/")
    assert (home["status"], home["user"]) == (200, "admin")
