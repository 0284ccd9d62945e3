"""Accounts on both apps (docs/security.md, "Accounts"; "Sessions, tokens and CSRF"): failed
logins are throttled per address, never per user alone; an unknown user costs what a wrong
password costs; a password reset, ``user disable`` and ``user revoke`` end sessions and tokens;
sessions end when idle and after a lifetime."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

import webapp.accounts
from central_hub.store import ROLES as HUB_ROLES
from central_hub.store import open_store as open_hub_store
from tests.support import PASSWORD, console_login, csrf_of, make_ward_data, run, ward_login
from ward_node import create_app
from ward_node.store import open_store
from webapp import LoginThrottled, add_user
from webapp import throttle as throttling

ATTACKER = {"REMOTE_ADDR": "10.6.6.6"}
OWNER = {"REMOTE_ADDR": "10.0.0.5"}


class CountingHasher:
    """Argon2's hasher, counting password checks (each one a memory-hard KDF run)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.verifies = 0

    def verify(self, digest: str, password: str) -> bool:
        self.verifies += 1
        return bool(self.real.verify(digest, password))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def hub_client(hub: FlaskClient, tmp_path: Path) -> FlaskClient:
    """The hub, with an ``admin`` (and an ``operator``) account."""
    conn = open_hub_store(tmp_path / "hub")
    try:
        for role in ("admin", "operator"):
            add_user(conn, role, PASSWORD, role, HUB_ROLES, f"Cán bộ {role}")
    finally:
        conn.close()
    return hub


# Each way in: (name, which app, how one login attempt is made) -> the status it answers.
Attempt = Callable[[FlaskClient, str, str, dict[str, str]], int]


def _token(client: FlaskClient, username: str, password: str, env: dict[str, str]) -> int:
    body = {"username": username, "password": password}
    return client.post("/api/v1/auth/token", json=body, environ_base=env).status_code


def _ward_page(client: FlaskClient, username: str, password: str, env: dict[str, str]) -> int:
    token = csrf_of(client.get("/login", environ_base=env).get_data(as_text=True))
    data = {"username": username, "password": password, "csrf_token": token}
    status = client.post("/login", data=data, environ_base=env).status_code
    with client.session_transaction() as sess:
        sess.clear()
    return status


def _console_page(client: FlaskClient, username: str, password: str, env: dict[str, str]) -> int:
    token = csrf_of(client.get("/console/dang-nhap", environ_base=env).get_data(as_text=True))
    data = {"username": username, "password": password, "csrf_token": token}
    status = client.post("/console/dang-nhap", data=data, environ_base=env).status_code
    with client.session_transaction() as sess:
        sess.clear()
    return status


SURFACES = {
    "ward_token": ("ward", _token),
    "ward_login_page": ("ward", _ward_page),
    "hub_token": ("hub", _token),
    "console_login_page": ("hub", _console_page),
}
OK = {_token: 200, _ward_page: 302, _console_page: 302}


@pytest.fixture(params=sorted(SURFACES))
def surface(request: pytest.FixtureRequest) -> tuple[FlaskClient, Attempt, str]:
    app, attempt = SURFACES[request.param]
    web: FlaskClient = request.getfixturevalue("client" if app == "ward" else "hub_client")
    return web, attempt, app


# -- cost of a refusal --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "username", "password", "status"),
    [
        ("wrong_password", "admin", "sai-mat-khau", 401),
        ("unknown_user", "khong-co-ai", "sai-mat-khau", 401),
        ("unknown_user_right_password", "khong-co-ai", PASSWORD, 401),
        ("right_password", "admin", PASSWORD, None),
    ],
)
def test_an_unknown_user_costs_one_password_hash_like_a_known_one(
    surface: tuple[FlaskClient, Attempt, str],
    monkeypatch: pytest.MonkeyPatch,
    who: str,
    username: str,
    password: str,
    status: int | None,
) -> None:
    client, attempt, _app = surface
    counter = CountingHasher(webapp.accounts._hasher)
    monkeypatch.setattr(webapp.accounts, "_hasher", counter)
    answered = attempt(client, username, password, OWNER)
    assert answered == (status or OK[attempt]), who
    assert counter.verifies == 1, f"{who}: {counter.verifies} password hashes"


# -- throttling ---------------------------------------------------------------------------------


def _failures(client: FlaskClient) -> list[tuple[str, str]]:
    data = Path(client.application.config["DATA"])
    store = data / ("node.sqlite3" if (data / "node.sqlite3").exists() else "hub.sqlite3")
    conn = sqlite3.connect(store)
    try:
        return [tuple(r) for r in conn.execute("SELECT address, username FROM login_failures")]
    finally:
        conn.close()


def test_an_attackers_address_is_throttled_and_the_owner_still_gets_in(
    surface: tuple[FlaskClient, Attempt, str],
) -> None:
    client, attempt, _app = surface
    for _ in range(throttling.PAIR_FREE):
        assert attempt(client, "admin", "doan-thu", ATTACKER) == 401
    assert set(_failures(client)) == {("10.6.6.6", "admin")}
    # Even the right password waits, from the attacker's address.
    assert attempt(client, "admin", PASSWORD, ATTACKER) == 429
    # The owner, from their own address, is not locked out.
    assert attempt(client, "admin", PASSWORD, OWNER) == OK[attempt]
    assert set(_failures(client)) == {("10.6.6.6", "admin")}


def test_a_throttled_answer_says_how_long_to_wait(client: FlaskClient) -> None:
    for _ in range(throttling.PAIR_FREE):
        _token(client, "leader", "sai-mat-khau", ATTACKER)
    resp = client.post(
        "/api/v1/auth/token",
        json={"username": "leader", "password": PASSWORD},
        environ_base=ATTACKER,
    )
    error = resp.get_json()["error"]
    assert resp.status_code == 429 and error["code"] == "too_many_attempts"
    assert 0 < error["retry_after"] <= throttling.FIRST_DELAY
    assert "Hãy đợi" in error["message"] and "giây" in error["message"]


def test_delays_grow_after_each_failure_and_a_success_clears_them(tmp_path: Path) -> None:
    conn = open_store(make_ward_data(tmp_path / "ward"))
    address, user, t0 = "10.0.0.9", "admin", 1_000_000.0
    for i in range(throttling.PAIR_FREE):
        throttling.check(conn, address, user, now=t0 + i)
        throttling.record_failure(conn, address, user, now=t0 + i)
    last = t0 + throttling.PAIR_FREE - 1
    waits = []
    for extra in range(4):
        with pytest.raises(LoginThrottled) as refused:
            throttling.check(conn, address, user, now=last + 1)
        waits.append(refused.value.details["retry_after"])
        delay = throttling.FIRST_DELAY * 2**extra
        throttling.check(conn, address, user, now=last + delay + 1)  # waited long enough
        last = last + delay + 1
        throttling.record_failure(conn, address, user, now=last)
    assert waits == [29, 59, 119, 239]
    # Another user from the same address, and the same user from another, are not slowed.
    throttling.check(conn, address, "leader", now=last + 1)
    throttling.check(conn, "10.0.0.10", user, now=last + 1)
    throttling.clear(conn, address, user)
    throttling.check(conn, address, user, now=last + 1)


def test_one_address_failing_on_many_names_is_throttled_for_every_name(tmp_path: Path) -> None:
    conn = open_store(make_ward_data(tmp_path / "ward"))
    now = 2_000_000.0
    for i in range(throttling.ADDRESS_FREE):
        throttling.record_failure(conn, "10.6.6.6", f"ten{i}", now=now)
    with pytest.raises(LoginThrottled):
        throttling.check(conn, "10.6.6.6", "admin", now=now + 1)
    throttling.check(conn, "10.0.0.5", "admin", now=now + 1)


@given(st.integers(0, 60), st.integers(0, 60))
def test_the_wait_never_shrinks_with_more_failures_and_is_capped(a: int, b: int) -> None:
    low, high = sorted((a, b))
    free, now = throttling.PAIR_FREE, 5_000.0
    w_low = throttling.wait_after(low, now, free, now)
    w_high = throttling.wait_after(high, now, free, now)
    assert 0 <= w_low <= w_high <= throttling.MAX_DELAY
    assert (w_low == 0) is (low < free)


# -- ending sessions and tokens -----------------------------------------------------------------


def _bearer(client: FlaskClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": "Bearer " + resp.get_json()["token"]}


def test_a_password_reset_ends_that_users_sessions_and_tokens_on_the_ward(
    client: FlaskClient, tmp_path: Path
) -> None:
    other = client.application.test_client()
    ward_login(client, "officer")
    ward_login(other, "leader")
    headers = _bearer(client, "officer")
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/dossiers", headers=headers).status_code == 200
    run(
        "ward_node",
        "user",
        "add",
        "--data",
        str(tmp_path / "ward"),
        "--username",
        "officer",
        "--role",
        "officer",
        "--password-stdin",
        stdin="mat-khau-moi-456\n",
    )
    gone = client.get("/")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    assert client.get("/api/v1/dossiers", headers=headers).status_code == 401
    assert other.get("/").status_code == 200  # another user's session lives on
    conn = open_store(tmp_path / "ward")
    assert (
        conn.execute("SELECT count(*) FROM api_tokens WHERE username = 'officer'").fetchone()[0]
        == 0
    )


def test_a_password_reset_ends_that_users_console_session_and_tokens(
    hub_client: FlaskClient, tmp_path: Path
) -> None:
    console_login(hub_client, tmp_path / "hub", "admin")
    headers = _bearer(hub_client, "admin")
    assert hub_client.get("/console/").status_code == 200
    conn = open_hub_store(tmp_path / "hub")
    add_user(conn, "admin", "mat-khau-moi-456", "admin", HUB_ROLES)
    conn.close()
    gone = hub_client.get("/console/")
    assert gone.status_code == 302 and "dang-nhap" in gone.headers["Location"]
    assert hub_client.get("/api/v1/nodes", headers=headers).status_code == 401


@pytest.mark.parametrize("app", ["ward", "hub"])
def test_a_disabled_user_can_neither_log_in_nor_use_old_sessions_or_tokens(
    app: str, client: FlaskClient, hub_client: FlaskClient, tmp_path: Path
) -> None:
    if app == "ward":
        web, module, data, user, home = client, "ward_node", tmp_path / "ward", "officer", "/"
        ward_login(web, user)
        attempt: Attempt = _ward_page
    else:
        web, module, data, user, home = (
            hub_client,
            "central_hub",
            tmp_path / "hub",
            "admin",
            "/console/",
        )
        console_login(web, data, user)
        attempt = _console_page
    headers = _bearer(web, user)
    out = run(module, "user", "disable", "--data", str(data), "--username", user)
    assert "Đã khóa tài khoản" in out.stdout
    assert web.get(home).status_code == 302
    assert (
        web.get(
            "/api/v1/dossiers" if app == "ward" else "/api/v1/nodes", headers=headers
        ).status_code
        == 401
    )
    refused = web.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "account_disabled"
    assert attempt(web, user, PASSWORD, OWNER) == 403
    assert attempt(web, user, "sai-mat-khau", OWNER) == 401  # no hint without the password
    run(module, "user", "enable", "--data", str(data), "--username", user)
    assert attempt(web, user, PASSWORD, OWNER) == 302


@pytest.mark.parametrize("module", ["ward_node", "central_hub"])
def test_user_list_and_revoke_work_on_a_real_data_folder(
    module: str, client: FlaskClient, hub_client: FlaskClient, tmp_path: Path
) -> None:
    web, data = (
        (client, tmp_path / "ward") if module == "ward_node" else (hub_client, tmp_path / "hub")
    )
    headers = _bearer(web, "admin")
    _bearer(web, "admin")
    listed = json.loads(run(module, "user", "list", "--data", str(data), "--json").stdout)
    admin = next(a for a in listed if a["username"] == "admin")
    assert admin["active"] is True and admin["tokens"] == 2 and admin["role"] == "admin"
    text = run(module, "user", "list", "--data", str(data)).stdout
    assert "admin\tadmin\tđang dùng\t2 mã truy cập" in text
    out = run(module, "user", "revoke", "--data", str(data), "--username", "admin")
    assert "Đã thu hồi 2 mã truy cập" in out.stdout
    probe = "/api/v1/dossiers" if module == "ward_node" else "/api/v1/nodes"
    assert web.get(probe, headers=headers).status_code == 401
    listed = json.loads(run(module, "user", "list", "--data", str(data), "--json").stdout)
    assert next(a for a in listed if a["username"] == "admin")["tokens"] == 0
    unknown = run(
        module, "user", "disable", "--data", str(data), "--username", "ai-do", check=False
    )
    assert unknown.returncode == 1 and "Không có tài khoản 'ai-do'" in unknown.stderr


# -- session lifetime ---------------------------------------------------------------------------


def test_a_ward_session_ends_when_idle_and_after_its_lifetime(tmp_path: Path) -> None:
    data = make_ward_data(tmp_path / "ward")
    app = create_app(
        {"DATA": str(data), "SYNC_INTERVAL": 0, "SESSION_IDLE_MINUTES": 30, "SESSION_MAX_HOURS": 8}
    )
    client = app.test_client()
    ward_login(client, "officer")
    with client.session_transaction() as sess:
        sess["seen"] = time.time() - 29 * 60
    assert client.get("/").status_code == 200  # used within the idle time: still on
    with client.session_transaction() as sess:
        assert time.time() - sess["seen"] < 60  # and its last use moved on
        sess["seen"] = time.time() - 31 * 60
    assert client.get("/").status_code == 302
    ward_login(client, "officer")
    with client.session_transaction() as sess:
        sess["at"] = time.time() - 8 * 3600 - 1
    assert client.get("/").status_code == 302


def test_a_console_session_ends_when_idle_and_after_its_lifetime(tmp_path: Path) -> None:
    from central_hub import create_app as create_hub
    from central_hub.setup import init_hub

    init_hub(tmp_path / "hub", name="Hub thử")
    hub = create_hub(
        {"DATA": str(tmp_path / "hub"), "SESSION_IDLE_MINUTES": 30, "SESSION_MAX_HOURS": 8}
    ).test_client()
    console_login(hub, tmp_path / "hub", "admin")
    assert hub.get("/console/").status_code == 200
    with hub.session_transaction() as sess:
        sess["seen"] = time.time() - 31 * 60
    assert hub.get("/console/").status_code == 302
    console_login(hub, tmp_path / "hub", "admin")
    with hub.session_transaction() as sess:
        sess["at"] = time.time() - 8 * 3600 - 1
    assert hub.get("/console/").status_code == 302
