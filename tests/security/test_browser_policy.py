"""The browser policy on every answer of both apps and the portal (docs/security.md, "Browser
policy"): a Content-Security-Policy (the page policy on HTML, an inert sandbox on anything
else), no sniffing, no framing, a referrer policy, and ``Cache-Control: no-store`` on
everything but the static assets; and no template relies on what that policy refuses.

Every GET route of each app's URL map is requested, logged in as an administrator (so the
pages answer as pages, not as redirects to the login); routes with parameters are requested
with placeholder values, so their error answers are checked too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from tests.support import Api, console_login, ward_login

ROOT = Path(__file__).resolve().parents[2]
STATIC_FILES = {
    "static": "style.css",  # the ward's, and the portal's below
    "console.static": "console.css",
    "_asset": "base.css",
}
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|<[a-z][^>]*\s(?:style|on[a-z]+)\s*=|javascript:",
    re.IGNORECASE,
)


def _url(app: Flask, rule: Rule) -> str:
    values: dict[str, Any] = {}
    for arg in rule.arguments:
        if arg in ("filename", "name"):
            values[arg] = STATIC_FILES.get(rule.endpoint, "public.css")
            if rule.endpoint == "static" and app.name == "central_hub":
                values[arg] = "public.css"
        elif arg == "sha256":
            values[arg] = "a" * 64
        elif type(rule._converters[arg]).__name__ == "IntegerConverter":
            values[arg] = 1
        else:
            values[arg] = "x"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _answers(client: FlaskClient) -> list[tuple[str, str, Any]]:
    app = client.application
    answers = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()):
            continue
        url = _url(app, rule)
        resp = client.get(url)
        answers.append((rule.endpoint, url, resp))
        resp.close()
    answers.append(("unknown", "/khong-co", client.get("/khong-co")))
    return answers


def _check(endpoint: str, url: str, resp: Any) -> None:
    where = f"{url} ({endpoint}, {resp.status_code})"
    headers = resp.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert headers.get("X-Frame-Options") == "DENY", where
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, where
    assert "base-uri 'none'" in csp and "unsafe-inline" not in csp, where
    if resp.mimetype == "text/html":
        assert "script-src 'self'" in csp and "style-src 'self'" in csp, where
        assert "form-action 'self'" in csp, where
    else:
        assert "sandbox" in csp and "default-src 'none'" in csp, where
    static = endpoint == "_asset" or endpoint.endswith("static")
    if static and resp.status_code == 200:  # stylesheets and scripts stay cacheable
        assert "no-store" not in headers.get("Cache-Control", ""), where
    else:
        assert headers.get("Cache-Control") == "no-store", where


@pytest.fixture
def ward_admin(client: FlaskClient) -> FlaskClient:
    ward_login(client, "admin")
    return client


@pytest.fixture
def hub_admin(tmp_path: Path, hub: FlaskClient) -> FlaskClient:
    console_login(hub, tmp_path / "hub", "admin")
    return hub


def test_every_answer_of_the_ward_carries_the_browser_policy(ward_admin: FlaskClient) -> None:
    answers = _answers(ward_admin)
    assert len(answers) > 40
    pages = [a for a in answers if a[2].mimetype == "text/html" and a[2].status_code == 200]
    assert len(pages) > 20  # the pages themselves answered, not only their errors
    for endpoint, url, resp in answers:
        _check(endpoint, url, resp)


def test_every_answer_of_the_hub_console_and_portal_carries_the_browser_policy(
    hub_admin: FlaskClient,
) -> None:
    answers = _answers(hub_admin)
    assert len(answers) > 60
    pages = [a for a in answers if a[2].mimetype == "text/html" and a[2].status_code == 200]
    assert {"/", "/console/", "/nop-ho-so", "/tra-cuu"} <= {url for _, url, _ in pages}
    for endpoint, url, resp in answers:
        _check(endpoint, url, resp)


def test_authenticated_api_answers_and_posts_are_never_cached(
    client: FlaskClient, api: Api, hub: FlaskClient
) -> None:
    for resp in (
        api.get("/dossiers"),
        api.get("/sync/status"),
        api.post("/dossiers", json={"procedure_code": "1.001193", "applicant": {}}),
        client.post("/login", data={"username": "x", "password": "y"}),
        hub.post("/sync/v1/push", data=b"not an envelope"),
        hub.post("/nop-ho-so", data={}),
    ):
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


def test_no_template_has_inline_script_style_or_handlers() -> None:
    # The page policy refuses them: they would silently stop working (docs/security.md).
    found = []
    for app in ("ward_node", "central_hub"):
        for path in sorted((ROOT / app / "templates").rglob("*.html")):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if INLINE.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == []
