"""The client behind the reverse proxy (docs/operations.md, "HTTPS"): ``X-Forwarded-For`` and
``X-Forwarded-Proto`` are believed only on connections from ``TRUSTED_PROXIES``; a forged
header sent straight to the app changes neither the rate limit's bucket nor the scheme; HSTS
and ``Secure`` cookies over HTTPS; a bad proxy address stops the app at start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from central_hub import create_app as create_hub
from central_hub.setup import init_hub
from sync import ValidationError
from webapp import trusted_networks

PROXY = "10.46.0.5"
LOOKUP = "/api/v1/public/dossiers/H57.19786-261207-0001"


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {"PUBLIC_LOOKUP_PER_MINUTE": 2, "TRUSTED_PROXIES": f"127.0.0.1, {PROXY}/32"}


def _lookups(hub: FlaskClient, peer: str, forwarded: str | None, times: int) -> list[int]:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return [
        hub.get(LOOKUP, headers=headers, environ_base={"REMOTE_ADDR": peer}).status_code
        for _ in range(times)
    ]


def test_clients_behind_the_trusted_proxy_get_their_own_buckets(hub: FlaskClient) -> None:
    # Two citizens through the same proxy: each has the whole limit (404: no such dossier).
    assert _lookups(hub, PROXY, "203.0.113.7", 3) == [404, 404, 429]
    assert _lookups(hub, PROXY, "203.0.113.8", 3) == [404, 404, 429]
    # The proxy appends the address it saw: only that last one counts, not what the client
    # wrote before it.
    assert _lookups(hub, PROXY, "198.51.100.1, 203.0.113.7", 1) == [429]


def test_a_forged_forwarded_for_from_elsewhere_changes_no_bucket(hub: FlaskClient) -> None:
    assert _lookups(hub, "192.0.2.50", "203.0.113.1", 2) == [404, 404]
    # Another address in the header, straight to the app: still the same client, refused.
    assert _lookups(hub, "192.0.2.50", "203.0.113.2", 1) == [429]
    assert _lookups(hub, "192.0.2.50", None, 1) == [429]
    # And the forged address's own bucket was never touched.
    assert _lookups(hub, PROXY, "203.0.113.1", 2) == [404, 404]


def test_https_through_the_proxy_gets_hsts_and_http_or_a_forged_scheme_does_not(
    hub: FlaskClient,
) -> None:
    secure = hub.get(
        "/", headers={"X-Forwarded-Proto": "https"}, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    )
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    forged = hub.get(
        "/", headers={"X-Forwarded-Proto": "https"}, environ_base={"REMOTE_ADDR": "192.0.2.9"}
    )
    assert "Strict-Transport-Security" not in forged.headers
    assert "Strict-Transport-Security" not in hub.get("/").headers


def test_session_cookies_are_secure_when_served_over_https(tmp_path: Path) -> None:
    init_hub(tmp_path / "hub", name="Hub thử")
    for https, secure in ((True, True), (False, False)):
        app = create_hub({"DATA": str(tmp_path / "hub"), "HTTPS": https})
        client = app.test_client()
        page = client.get("/console/dang-nhap")
        cookie = page.headers["Set-Cookie"]
        assert ("; Secure" in cookie) == secure, cookie


@pytest.mark.parametrize("bad", ["10.46.0.300", "nginx.local", "127.0.0.1;10.0.0.1"])
def test_a_proxy_that_is_not_an_address_stops_the_app(tmp_path: Path, bad: str) -> None:
    init_hub(tmp_path / "hub", name="Hub thử")
    with pytest.raises(ValidationError, match="TRUSTED_PROXIES"):
        create_hub({"DATA": str(tmp_path / "hub"), "TRUSTED_PROXIES": bad})


def test_trusted_networks_reads_addresses_and_networks() -> None:
    nets = trusted_networks("127.0.0.1, ::1 10.46.0.0/24")
    assert [str(n) for n in nets] == ["127.0.0.1/32", "::1/128", "10.46.0.0/24"]
    assert trusted_networks("") == ()
