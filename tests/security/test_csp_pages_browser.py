"""Every page of the ward node, the city's console and the citizens' portal, opened in headless
Chromium with the Content-Security-Policy in force: no page trips the policy (no violation
event, no console error) and none is left unstyled; a scanned PDF served sandboxed still
opens in the browser's viewer; and the console cannot be framed (docs/security.md, "Browser
policy").

The pages are every GET route of each app's URL map that answers HTML, with real records
(a dossier with a scan, a document and a directive from the city, an online submission) in
place of their parameters: a page added later is walked without changing this test, and one
with a parameter it cannot fill fails it until a value is given here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.hub.edxml.messages import document as edxml_document
from tests.support import (
    BROWSER_MARKS,
    Cluster,
    log_in,
    make_ward_data,
    query,
    running_cluster,
    scan_pdf,
    token,
    wait_until,
)

try:
    from playwright.sync_api import Browser, BrowserContext, Page
except ImportError:  # skipped by BROWSER_MARKS
    pass

pytestmark = BROWSER_MARKS

UNIT = "19786"
PROCEDURE = "1.001193"
NOT_PAGES = re.compile(
    r"^/(api|sync|assets|static|console/static|console/api)/|^/(healthz|metrics)$"
)
NOT_PAGE_SUFFIXES = (".csv", ".xlsx", ".ics")
FILE_ENDPOINTS = {
    "console_work.document_file",
    "console_directives.attachment",
    "dossier_files.dossier_file",  # a file, not a page: its answer is tested in test_scans_browser
    # Files too: tests/hub/edxml (a document's files and messages), test_dossier_list (a
    # dossier's), tests/hub/portal/test_disclosure (a procedure's declaration forms).
    "console_edxml.attachment",
    "console_edxml.original",
    "console_dossiers.dossier_file",
    "catalogue.declaration_form",
}
# Collects what the policy refuses, from before any script of the page runs.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") +
    " at " + e.sourceFile + ":" + e.lineNumber);
});
"""
STYLED = """() => {
  const links = [...document.querySelectorAll('link[rel="stylesheet"]')];
  const loaded = links.filter((l) => l.sheet && l.sheet.cssRules.length > 0).length;
  return {links: links.length, loaded, margin: getComputedStyle(document.body).marginTop};
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A hub and a ward with records behind every kind of page; their URLs and the values of
    the pages' parameters."""
    admin = ("quantri", "admin", "Quản trị phường")
    with running_cluster(tmp_path_factory.mktemp("csp"), UNIT, users={UNIT: [admin]}) as cluster:
        ward = cluster.wards[UNIT]
        values = _seed(cluster, ward.url)
        yield {"hub": cluster.hub_url, "ward": ward.url, "values": values}


def _seed(cluster: Cluster, ward_url: str) -> dict[str, Any]:
    ward_auth = token(ward_url, "quantri")
    hub_auth = token(cluster.hub_url, "admin")
    dossier = requests.post(
        ward_url + "/api/v1/dossiers",
        headers=ward_auth,
        json={"procedure_code": PROCEDURE, "applicant": {"full_name": "Lê Thị Hoa"}},
        timeout=10,
    ).json()
    scan = scan_pdf(5000)
    attached = requests.post(
        f"{ward_url}/api/v1/dossiers/{dossier['id']}/attachments",
        headers=ward_auth,
        files={"file": ("giay-to.pdf", scan, "application/pdf")},
        timeout=10,
    )
    assert attached.status_code == 201, attached.text
    document = requests.post(
        cluster.hub_url + "/api/v1/documents",
        headers=hub_auth,
        data={
            "document": '{"doc_type": "Công văn", "summary": "Về việc trực bão", '
            f'"units": ["{UNIT}"]}}'
        },
        files={"attachments": ("cong-van.pdf", scan_pdf(3000), "application/pdf")},
        timeout=10,
    ).json()
    directive = requests.post(
        cluster.hub_url + "/api/v1/directives",
        headers=hub_auth,
        json={
            "title": "Rà soát hồ sơ tồn đọng",
            "content": "Các phường rà soát và báo cáo.",
            "lead_unit": UNIT,
            "units": [],
            "deadline": "2099-12-31",
        },
        timeout=10,
    ).json()
    form = requests.get(cluster.hub_url + "/nop-ho-so", timeout=10).text
    submission = re.search(r'name="submission" value="([^"]+)"', form)
    assert submission is not None
    sent = requests.post(
        cluster.hub_url + "/nop-ho-so",
        data={
            "submission": submission.group(1),
            "unit": UNIT,
            "procedure_code": PROCEDURE,
            "full_name": "Nguyễn Văn Minh",
            "id_number": "046185000123",
            "birth_year": "1985",
            "sex": "nữ",
            "phone": "0905123456",
            "address": "1 Lê Lợi, Huế",
            "email": "",
            "notes": "",
        },
        files={"scans": ("cccd.jpg", b"\xff\xd8\xff\xe0" + bytes(500), "image/jpeg")},
        allow_redirects=False,
        timeout=10,
    )
    assert sent.status_code == 303, sent.text[:500]
    store = cluster.ward_data(UNIT) / "node.sqlite3"
    wait_until(
        lambda: (
            query(store, "SELECT 1 FROM document WHERE id = ?", document["id"])
            and query(store, "SELECT 1 FROM directive WHERE id = ?", directive["id"])
        ),
        60,
        what="the city's document and directive at the ward",
    )
    # A document from an agency outside the city, as the national exchange sends it.
    outside = requests.post(
        cluster.hub_url + "/api/v1/edxml",
        headers={**hub_auth, "Content-Type": "application/xml"},
        data=edxml_document(to="000.00.00.H57"),
        timeout=10,
    )
    assert outside.status_code == 201, outside.text
    return {
        "outside": outside.json()["created"][0]["document_id"],
        "dossier": dossier,
        "sha256": attached.json()["sha256"],
        "document": document,
        "directive": directive,
        "confirmation": sent.headers["Location"],
    }


def _pages(site: dict[str, Any], which: str) -> list[str]:
    """The URL of every HTML page of one app, its parameters filled from the seeded records."""
    values = site["values"]
    dossier, doc, directive = values["dossier"], values["document"], values["directive"]
    if which == "ward":
        from ward_node import create_app

        app = create_app(
            {"DATA": str(make_ward_data(site["scratch"] / "ward")), "SYNC_INTERVAL": 0}
        )
        fill = {
            "dossier_id": dossier["id"],
            "form": "01",
            "code": dossier["code"],
            "doc_id": doc["id"],
            "directive_id": directive["id"],
        }
        by_endpoint: dict[str, dict[str, str]] = {}
    else:
        from central_hub import create_app as create_hub
        from central_hub.setup import init_hub

        init_hub(site["scratch"] / "hub", name="Hub")
        app = create_hub({"DATA": str(site["scratch"] / "hub")})
        fill = {
            "unit": UNIT,
            "doc_id": doc["id"],
            "directive_id": directive["id"],
            "type_name": "dossier",
            "record_id": dossier["id"],
            "token": values["confirmation"].rsplit("/", 1)[1],
        }
        by_endpoint = {
            "console_units.edit_unit": {"code": UNIT},
            "console_units.end_unit": {"code": UNIT},
            "console_reference.procedure": {"code": PROCEDURE},
            "catalogue.procedure": {"code": PROCEDURE},
            "disclosure.hall": {"code": UNIT},
            "console_dossiers.dossier": {"dossier_id": dossier["id"]},
            "console_edxml.outside_document": {"doc_id": values["outside"]},
            "portal.lookup": {"code": dossier["code"]},
        }
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in (rule.methods or ()) or rule.endpoint in FILE_ENDPOINTS:
                continue
            if NOT_PAGES.search(rule.rule) or rule.rule.endswith(NOT_PAGE_SUFFIXES):
                continue
            args = {}
            for arg in rule.arguments:
                chosen = by_endpoint.get(rule.endpoint, {}).get(arg, fill.get(arg))
                assert chosen is not None, f"give {rule.endpoint} a value for '{arg}' here"
                args[arg] = chosen
            urls.append(url_for(rule.endpoint, **args))
    return urls


def _context(browser: Browser, base_url: str) -> BrowserContext:
    context = browser.new_context(base_url=base_url, locale="vi-VN")
    context.set_default_timeout(15_000)
    context.add_init_script(WATCH)
    return context


def _login(page: Page, path: str, username: str) -> None:
    log_in(page, path, username)
    page.wait_for_load_state()
    assert "dang-nhap" not in page.url and "/login" not in page.url, page.url


def _walk(page: Page, urls: list[str]) -> list[str]:
    """Open each URL; what went wrong on each, as lines."""
    problems: list[str] = []
    errors: list[str] = []
    failed: list[str] = []

    def console(message: Any) -> None:
        # A resource that failed is reported by its address below (the favicon, which no
        # app has, aside); every other console error counts.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: (
            failed.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    for url in urls:
        errors.clear()
        failed.clear()
        resp = page.goto(url)
        page.wait_for_load_state("load")
        status = resp.status if resp else 0
        if status != 200:
            problems.append(f"{url}: status {status}")
            continue
        policy = resp.all_headers().get("content-security-policy", "") if resp else ""
        if "script-src 'self'" not in policy or "frame-ancestors 'none'" not in policy:
            problems.append(f"{url}: not under the page policy ({policy!r})")
        violations = page.evaluate("window.__violations")
        styled = page.evaluate(STYLED)
        if violations:
            problems.append(f"{url}: CSP violations {violations}")
        if errors:
            problems.append(f"{url}: console errors {errors}")
        if failed:
            problems.append(f"{url}: failed to load {failed}")
        if not styled["links"] or styled["loaded"] != styled["links"]:
            problems.append(f"{url}: stylesheets loaded {styled['loaded']}/{styled['links']}")
        if styled["margin"] != "0px":
            problems.append(f"{url}: unstyled (body margin {styled['margin']})")
    return problems


@pytest.fixture(scope="module")
def scratch(site: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    site["scratch"] = tmp_path_factory.mktemp("maps")
    return site


def test_every_ward_page_keeps_to_the_policy_and_is_styled(
    browser: Browser, scratch: dict[str, Any]
) -> None:
    urls = _pages(scratch, "ward")
    assert len(urls) > 25
    context = _context(browser, scratch["ward"])
    try:
        page = context.new_page()
        problems = _walk(page, ["/login"])
        _login(page, "/login", "quantri")
        problems += _walk(page, urls)
        page.screenshot(path=str(Path(scratch["scratch"]) / "ward-last.png"), full_page=True)
    finally:
        context.close()
    assert problems == []


def test_every_console_and_portal_page_keeps_to_the_policy_and_is_styled(
    browser: Browser, scratch: dict[str, Any]
) -> None:
    urls = _pages(scratch, "hub")
    assert len(urls) > 30
    portal = [u for u in urls if not u.startswith("/console")]
    console = [u for u in urls if u.startswith("/console")]
    context = _context(browser, scratch["hub"])
    try:
        page = context.new_page()
        problems = _walk(page, portal + ["/console/dang-nhap"])
        _login(page, "/console/dang-nhap", "admin")
        problems += _walk(page, console)
    finally:
        context.close()
    assert problems == []


def test_a_scan_served_sandboxed_still_opens_in_the_browser(
    browser: Browser, scratch: dict[str, Any]
) -> None:
    context = _context(browser, scratch["ward"])
    try:
        page = context.new_page()
        _login(page, "/login", "quantri")
        resp = page.goto(f"/api/v1/attachments/{scratch['values']['sha256']}", wait_until="commit")
        assert resp is not None and resp.status == 200
        assert "sandbox" in resp.all_headers()["content-security-policy"]
        # The browser's PDF viewer takes the page: the file was shown, not refused.
        # Polled through Playwright's own waits: only they let its events (frames) arrive.
        for _ in range(75):
            if any(f.url.startswith("chrome-extension://") for f in page.frames):
                break
            page.wait_for_timeout(200)
        assert any(f.url.startswith("chrome-extension://") for f in page.frames), page.frames
    finally:
        context.close()


def test_the_console_cannot_be_framed_by_another_site(
    browser: Browser, scratch: dict[str, Any]
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()  # about:blank: another origin, and no policy of its own
        console = scratch["hub"] + "/console/dang-nhap"
        page.set_content(f'<iframe src="{console}"></iframe>')
        frame = page.frames[1]
        frame.wait_for_load_state()
        assert frame.url.startswith("chrome-error://"), frame.url
        assert frame.locator("form").count() == 0
    finally:
        context.close()
