"""Resource bounds of both apps (docs/security.md, "Resource bounds"): connections that never
finish their headers do not starve a real ``serve`` process, and JSON nested too deep is a 400
that says so on every endpoint, never a 500."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from central_hub import create_app as create_hub
from central_hub.setup import init_hub
from tests.security.test_csrf import unsafe_routes
from tests.support import PASSWORD, Server, free_port, make_ward_data, run, wait_until
from ward_node import create_app

SLOW_CLIENTS = 150  # more than waitress's default connection limit (100)


def _serve(kind: str, tmp_path: Path, **env: str) -> Server:
    if kind == "ward":
        data = make_ward_data(tmp_path / "ward")
        return Server("ward_node", data, free_port(), "--sync-interval", "0", **env)
    run("central_hub", "init", "--data", str(tmp_path / "hub"))
    env.setdefault("CENTRAL_HUB_SMS_INTERVAL", "0")
    return Server("central_hub", tmp_path / "hub", free_port(), **env)


class Slowloris:
    """Connections that send a request's headers one line at a time and never finish them."""

    def __init__(self, port: int, count: int) -> None:
        self.socks = []
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.socks.append(s)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self) -> None:
        while not self.stop.wait(0.5):  # a byte-trickle that keeps each connection "active"
            for s in self.socks:
                try:
                    s.sendall(b"X-a: b\r\n")
                except OSError:
                    pass

    def closed_by_server(self, s: socket.socket) -> bool:
        s.settimeout(0.2)
        try:
            return s.recv(1024) == b""
        except TimeoutError:
            return False
        except OSError:
            return True

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for s in self.socks:
            s.close()


@pytest.fixture(params=["ward", "hub"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.slow
def test_slow_clients_do_not_starve_a_normal_request(kind: str, tmp_path: Path) -> None:
    server = _serve(kind, tmp_path)
    slow = Slowloris(server.port, SLOW_CLIENTS)
    try:
        for _ in range(3):
            resp = requests.get(server.url + "/healthz", timeout=5)
            assert resp.status_code == 200
        login = requests.post(
            server.url + "/api/v1/auth/token",
            json={"username": "admin", "password": PASSWORD},
            timeout=5,
        )
        assert login.status_code in (200, 401)  # answered, whoever admin is
    finally:
        slow.close()
        server.stop()


@pytest.mark.slow
def test_a_client_dripping_its_headers_is_cut_off_at_the_deadline(
    kind: str, tmp_path: Path
) -> None:
    prefix = "WARD_NODE" if kind == "ward" else "CENTRAL_HUB"
    server = _serve(kind, tmp_path, **{f"{prefix}_HEADER_TIMEOUT": "2"})
    slow = Slowloris(server.port, 3)
    try:
        for s in slow.socks:
            wait_until(lambda s=s: slow.closed_by_server(s), 20, what="the server to hang up")
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
        huge = {"X-Big": "a" * (100 * 1024)}
        refused = requests.get(server.url + "/healthz", headers=huge, timeout=5)
        assert refused.status_code == 431
        assert "Phần đầu của yêu cầu quá lớn" in refused.text
    finally:
        slow.close()
        server.stop()


@pytest.mark.slow
def test_a_body_over_the_apps_limit_is_refused_before_it_is_sent(kind: str, tmp_path: Path) -> None:
    limit = {"ward": {"WARD_NODE_ATTACHMENT_MAX_BYTES": "1000"}, "hub": {}}[kind]
    if kind == "hub":
        limit["CENTRAL_HUB_MAX_BODY_BYTES"] = "100000"
    server = _serve(kind, tmp_path, **limit)
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(
                b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n"
            )
            answer = b""
            while b"}}" not in answer:  # the headers alone get the answer: no body was sent
                chunk = s.recv(4096)
                assert chunk, answer
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413")
        error = json.loads(body)["error"]
        assert error["code"] == "payload_too_large" and "quá lớn" in error["message"]
    finally:
        server.stop()


# -- nested JSON --------------------------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000  # past the parser's own recursion limit
NESTED = '{"username": ' + "[" * 200 + "]" * 200 + "}"  # parsed, then too deep to walk


@pytest.fixture
def ward_plain(tmp_path: Path) -> Iterator[Flask]:
    """The ward's app as it serves (no TESTING: an unexpected exception is a 500)."""
    yield create_app({"DATA": str(make_ward_data(tmp_path / "ward")), "SYNC_INTERVAL": 0})


@pytest.fixture
def hub_plain(tmp_path: Path) -> Flask:
    from central_hub.store import ROLES, open_store
    from webapp import add_user

    init_hub(tmp_path / "hub", name="Hub thử")
    conn = open_store(tmp_path / "hub")
    add_user(conn, "admin", PASSWORD, "admin", ROLES)
    conn.close()
    return create_hub({"DATA": str(tmp_path / "hub")})


def _bearer(client: Any) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": "Bearer " + resp.get_json()["token"]}


@pytest.mark.parametrize("body", [DEEP, NESTED], ids=["deep", "nested"])
def test_deeply_nested_json_to_a_login_endpoint_is_a_400(
    ward_plain: Flask, hub_plain: Flask, body: str
) -> None:
    for app in (ward_plain, hub_plain):
        resp = app.test_client().post(
            "/api/v1/auth/token", data=body, content_type="application/json"
        )
        assert resp.status_code == 400, (app.name, resp.status_code)
        error = resp.get_json()["error"]
        assert error["code"] == "json_too_deep" and "lồng nhau quá sâu" in error["message"]


@pytest.mark.parametrize("body", [DEEP, NESTED], ids=["deep", "nested"])
def test_deeply_nested_json_is_never_a_500_on_any_endpoint(
    ward_plain: Flask, hub_plain: Flask, body: str
) -> None:
    failures = {}
    for app in (ward_plain, hub_plain):
        client = app.test_client()
        headers = _bearer(client)
        # The sync protocol's bodies are sealed envelopes, bounded in central_hub/protocol/envelopes.py.
        routes = [r for r in unsafe_routes(app) if not r[1].startswith("/sync/")]
        for method, url in routes:
            resp = client.open(
                url, method=method, data=body, content_type="application/json", headers=headers
            )
            if resp.status_code >= 500:
                failures[(app.name, method, url)] = resp.status_code
    assert not failures
    # The endpoints that read a JSON body say why they refuse it.
    for app, method, url in (
        (ward_plain, "POST", "/api/v1/dossiers"),
        (ward_plain, "POST", "/api/v1/meetings"),
        (hub_plain, "PUT", "/api/v1/procedures"),
        (hub_plain, "POST", "/api/v1/directives"),
    ):
        client = app.test_client()
        resp = client.open(
            url, method=method, data=body, content_type="application/json", headers=_bearer(client)
        )
        assert resp.status_code == 400, (url, resp.status_code, resp.get_data(as_text=True)[:200])
        assert resp.get_json()["error"]["code"] == "json_too_deep"
