"""HTTPS the way a city runs it (docs/operations.md, "HTTPS"): the real nginx, running the
repository's own ``deploy/nginx/hub.conf`` and ``ward.conf`` with a certificate of the test's
own CA, in front of a real hub and ward node. The console and the desk in Chromium over
HTTP/2 with ``Secure`` cookies and HSTS; a ward enrolled and syncing through the proxy,
trusting the hub by ``HUB_CA_BUNDLE`` and nothing else; the portal's rate limit and the access
log seeing each citizen's own address, a forged ``X-Forwarded-For`` changing nothing."""

from __future__ import annotations

import http.client
import json
import os
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import (
    BROWSER_MARKS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Cluster,
    Server,
    console_page,
    desk_page,
    run,
    wait_until,
)
from tests.support.tls import NGINX, Nginx, Pki, make_pki

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (make sysdeps)"),
]

UNIT = "19786"
LOOKUP = "/api/v1/public/dossiers/H57.19786-261207-0001"
SHOTS = Path("/tmp/shots-ops1")


@dataclass
class Site:
    pki: Pki
    cluster: Cluster
    hub_proxy: Nginx
    ward: Server
    ward_proxy: Nginx


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("https")
    pki = make_pki(root / "pki")
    saved = os.environ.get("WARD_NODE_HUB_CA_BUNDLE")
    # Every ward command and the ward's serve trust the hub through the city's CA file.
    os.environ["WARD_NODE_HUB_CA_BUNDLE"] = str(pki.ca)
    cluster = Cluster(root, database_url="")
    proxies: list[Nginx] = []
    try:
        cluster.start_hub(
            CENTRAL_HUB_TRUSTED_PROXIES="127.0.0.1",
            CENTRAL_HUB_HTTPS="1",
            CENTRAL_HUB_PUBLIC_LOOKUP_PER_MINUTE="3",
            CENTRAL_HUB_LOG_FORMAT="json",
        )
        hub_proxy = Nginx("hub.conf", root / "nginx-hub", pki, cluster.hub_port)
        proxies.append(hub_proxy)
        cluster.hub_url = hub_proxy.https_url  # the token's address and init's: through nginx
        cluster.enroll(UNIT)
        ward = cluster.start_ward(
            UNIT,
            1,
            WARD_NODE_TRUSTED_PROXIES="127.0.0.1",
            WARD_NODE_HTTPS="1",
            WARD_NODE_LOG_FORMAT="json",
        )
        ward_proxy = Nginx("ward.conf", root / "nginx-ward", pki, ward.port)
        proxies.append(ward_proxy)
        yield Site(pki, cluster, hub_proxy, ward, ward_proxy)
    finally:
        for proxy in proxies:
            proxy.stop()
        cluster.close()
        if saved is None:
            os.environ.pop("WARD_NODE_HUB_CA_BUNDLE", None)
        else:
            os.environ["WARD_NODE_HUB_CA_BUNDLE"] = saved


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    """Chromium given the test's server key to trust (as a city's PCs are given its CA),
    rather than told to ignore certificate errors."""
    from playwright.sync_api import sync_playwright

    pin = f"--ignore-certificate-errors-spki-list={site.pki.spki}"
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, pin])
        try:
            yield chromium
        finally:
            chromium.close()


def _log(server: Server) -> list[dict[str, Any]]:
    """The JSON lines of a server's log (its other output, the start banner, left out)."""
    lines = []
    for line in server.log.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def _access(server: Server) -> list[dict[str, Any]]:
    return [r for r in _log(server) if r["logger"] == "wardsync.access"]


def _get(
    pki: Pki, port: int, path: str, *, source: str, tls: bool = True, headers: Any = None
) -> int:
    """GET ``path`` on 127.0.0.1:``port`` from the loopback address ``source``; the status."""
    if tls:
        context = ssl.create_default_context(cafile=str(pki.ca))
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, source_address=(source, 0), context=context, timeout=10
        )
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, source_address=(source, 0), timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def test_the_portals_rate_limit_sees_each_citizen_through_the_proxy(site: Site) -> None:
    pki, port = site.pki, site.hub_proxy.https_port
    # Two citizens, one proxy: each has the whole limit (3 a minute; 404: no such dossier).
    assert [_get(pki, port, LOOKUP, source="127.0.0.2") for _ in range(4)] == [404] * 3 + [429]
    # The other citizen claims to be the first: nginx sets the header to the address it saw.
    forged = {"X-Forwarded-For": "127.0.0.2"}
    statuses = [_get(pki, port, LOOKUP, source="127.0.0.3", headers=forged) for _ in range(4)]
    assert statuses == [404] * 3 + [429]
    # Straight to the app, from an address that is not the proxy: the header is not believed,
    # whatever it names, and the peer's own bucket fills.
    direct = site.cluster.hub_port
    claims = ["127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8"]
    statuses = [
        _get(pki, direct, LOOKUP, source="127.0.0.4", tls=False, headers={"X-Forwarded-For": c})
        for c in claims
    ]
    assert statuses == [404] * 3 + [429]

    def lookups() -> list[dict[str, Any]]:
        lines = _access(site.cluster.hub)
        return [r for r in lines if r["path"].startswith("/api/v1/public/")]

    # A line is written once its answer has left: the last one may follow the client's read.
    wait_until(lambda: len(lookups()) == 12, 10, what="the hub's access lines of 12 look-ups")
    clients = [r["client"] for r in lookups()]
    assert clients.count("127.0.0.2") == 4 and clients.count("127.0.0.3") == 4
    assert clients.count("127.0.0.4") == 4
    assert not set(claims) & set(clients)
    # The dossier's code is not written; the rule is.
    assert {r["path"] for r in lookups()} == {"/api/v1/public/dossiers/<code>"}
    assert "H57.19786-261207-0001" not in site.cluster.hub.log.read_text(encoding="utf-8")


def test_a_ward_syncs_through_the_proxy_trusting_only_the_citys_ca(site: Site) -> None:
    data = str(site.cluster.ward_data(UNIT))
    done = run("ward_node", "sync", "--data", data)
    assert "Đã đồng bộ" in done.stdout
    rotated = run("ward_node", "rotate-keys", "--data", data)  # the CLI's other hub link
    assert "Đã đổi khóa" in rotated.stdout
    # Without the city's CA the hub's certificate is not trusted: status 2, and says why.
    refused = run("ward_node", "sync", "--data", data, check=False, WARD_NODE_HUB_CA_BUNDLE="")
    assert refused.returncode == 2
    assert "HUB_CA_BUNDLE" in refused.stderr
    # The hub's access lines name the node whose envelope verified, and its address.
    node_id = json.loads(run("ward_node", "status", "--data", data, "--json").stdout)["node_id"]
    synced = [r for r in _access(site.cluster.hub) if r["path"] == "/sync/v1/pull"]
    assert synced and all(r["status"] == 200 for r in synced)
    assert {r["node"] for r in synced} == {node_id}
    assert {r["client"] for r in synced} == {"127.0.0.1"}


def test_the_metrics_are_not_this_machines_own_through_the_proxy(site: Site) -> None:
    # nginx and the citizen are both on loopback here: only the forwarded header tells them
    # apart, and through the proxy /metrics wants a token (README, "Giám sát (metrics)").
    pki = site.pki
    assert _get(pki, site.hub_proxy.https_port, "/metrics", source="127.0.0.1") == 401
    assert _get(pki, site.ward_proxy.https_port, "/metrics", source="127.0.0.1") == 401
    assert _get(pki, site.cluster.hub_port, "/metrics", source="127.0.0.1", tls=False) == 200


def test_plain_http_sends_people_to_https_and_passes_the_sync_protocol(site: Site) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", site.hub_proxy.http_port, timeout=10)
    try:
        conn.request("GET", "/console/")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 301
        assert resp.getheader("Location", "").startswith("https://")
        conn.request("GET", "/sync/v1/hello")
        resp = conn.getresponse()
        assert resp.status == 200 and "hub_id" in json.loads(resp.read())
    finally:
        conn.close()


def browser_test(fn: Any) -> Any:
    """``fn`` with the marks of a browser test (skipped without Chromium or Playwright)."""
    for mark in BROWSER_MARKS:
        fn = mark(fn)
    return fn


@browser_test
def test_the_console_over_https_and_http2_with_secure_cookies_and_a_rotation(
    site: Site, browser: Any
) -> None:
    from playwright.sync_api import expect

    page = console_page(browser, site.hub_proxy.https_url)
    assert page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol") == "h2"
    cookies = page.context.cookies()
    assert cookies and all(c["secure"] and c["httpOnly"] for c in cookies)
    answer = page.goto("/console/")
    assert answer is not None
    assert answer.headers["strict-transport-security"] == "max-age=31536000"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "console-https.png"), full_page=True)

    # Ask the ward for new keys on the console; its worker rotates after its next sync, and
    # serve's log (INFO) says so.
    page.goto(f"/console/don-vi/{UNIT}")
    page.get_by_label("Tôi xác nhận yêu cầu nút của đơn vị này đổi khóa.").check()
    page.get_by_role("button", name="Yêu cầu đổi khóa").click()
    expect(page.get_by_role("status")).to_contain_text("Đã yêu cầu")

    def rotated() -> bool:
        return any("keys rotated" in r["message"] for r in _log(site.ward))

    wait_until(rotated, 30, what="the ward's log line of the key rotation")
    line = next(r for r in _log(site.ward) if "keys rotated" in r["message"])
    assert line["level"] == "INFO" and line["time"].endswith("+07:00")
    page.context.close()


@browser_test
def test_the_desk_over_https_through_the_wards_proxy(site: Site, browser: Any) -> None:
    page = desk_page(browser, site.ward_proxy.https_url)
    assert page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol") == "h2"
    assert all(c["secure"] for c in page.context.cookies())
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "desk-https.png"), full_page=True)
    logins = [r for r in _access(site.ward) if r["path"] == "/login" and r["method"] == "POST"]
    assert logins and logins[-1]["client"] == "127.0.0.1" and logins[-1]["status"] == 302
    assert any(r.get("user") == "canbo" for r in _access(site.ward))
    page.context.close()
