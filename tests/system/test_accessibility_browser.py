"""Accessibility: axe-core (the WCAG 2.1 A and AA rules) finds no violation on the pages of the
ward node, the city's console and the citizens' portal, opened in headless Chromium with real
records behind them (issue [11]).

axe-core is the copy the pinned PyPI package ``axe-playwright-python`` ships (setup.cfg, the
``test`` extra): nothing is fetched at run time. Each page list below is plain data: a page
added to an app is one more line here, with ``{name}`` for a seeded record's value
(:func:`_values`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.security.test_csp_pages_browser import PROCEDURE, UNIT, _seed
from tests.support import BROWSER_MARKS, log_in, running_cluster

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Browser, Page
except ImportError:  # skipped by BROWSER_MARKS (or the test extra is missing: fails in CI)
    pass

pytestmark = BROWSER_MARKS

# The rules of WCAG 2.0 and 2.1, levels A and AA (axe-core's tags).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

WARD_PAGES = [
    "/",
    "/dossiers/new",
    "/dossiers/{dossier}",
    "/dossiers/{dossier}/in/01",
    "/viec/hom-nay",
    "/viec/cua-toi",
    "/viec/qua-han",
    "/thong-ke",
    "/van-ban/den",
    "/van-ban/di",
    "/van-ban/moi?direction=incoming",
    "/van-ban/{document}",
    "/directives",
    "/directives/new",
    "/directives/{directive}",
    "/meetings",
    "/invitations",
    "/sync",
]
CONSOLE_PAGES = [
    "/console/",
    "/console/don-vi/{unit}",
    "/console/ho-so",
    "/console/ho-so?q=nguyen+van+minh",
    "/console/ho-so/{dossier}",
    "/console/xung-dot",
    "/console/thu-tuc",
    "/console/lich",
    "/console/thong-ke",
    "/console/thong-ke/qua-han",
    "/console/dieu-hanh/van-ban",
    "/console/dieu-hanh/chi-dao",
    "/console/dieu-hanh/lien-thong",
    "/console/dieu-hanh/lien-thong/{outside}",
    "/console/man-hinh-chi-dao",
]
PORTAL_PAGES = [
    "/",
    "/tra-cuu",
    "/tra-cuu/{code}",
    "/nop-ho-so",
    "/thu-tuc",
    "/thu-tuc?q=khai+sinh",
    "/thu-tuc/{procedure}",
    "/cong-khai/ket-qua",
    "/man-hinh/{unit}",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A hub and a ward with records behind every kind of page (the CSP test's records)."""
    admin = ("quantri", "admin", "Quản trị phường")
    with running_cluster(tmp_path_factory.mktemp("a11y"), UNIT, users={UNIT: [admin]}) as cluster:
        yield {
            "hub": cluster.hub_url,
            "ward": cluster.wards[UNIT].url,
            "values": _values(_seed(cluster, cluster.wards[UNIT].url)),
        }


def _values(seeded: dict[str, Any]) -> dict[str, str]:
    return {
        "dossier": seeded["dossier"]["id"],
        "code": seeded["dossier"]["code"],
        "document": seeded["document"]["id"],
        "directive": seeded["directive"]["id"],
        "unit": UNIT,
        "procedure": PROCEDURE,
        "outside": seeded["outside"],
    }


def _violations(page: Page, url: str) -> list[str]:
    """axe-core's violations on ``url`` as lines: rule, impact, where, what to fix."""
    resp = page.goto(url)
    page.wait_for_load_state("load")
    if resp is None or resp.status != 200:
        return [f"{url}: status {resp.status if resp else 0}"]
    result = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    lines = []
    for v in result.response["violations"]:
        targets = [" ".join(map(str, n["target"])) for n in v["nodes"][:3]]
        lines.append(f"{url}: {v['id']} ({v['impact']}) at {targets}: {v['help']}")
    return lines


def _walk(
    browser: Browser,
    base: str,
    login: str | None,
    user: str,
    urls: list[str],
    values: dict[str, str],
    shots: Path,
) -> tuple[list[str], int]:
    context = browser.new_context(base_url=base, locale="vi-VN")
    context.set_default_timeout(15_000)
    problems: list[str] = []
    try:
        page = context.new_page()
        if login:
            problems += _violations(page, login)
            log_in(page, login, user)
            page.wait_for_load_state()
        for n, template in enumerate(urls):
            url = template.format(**values)
            problems += _violations(page, url)
            page.screenshot(path=str(shots / f"{user}-{n:02d}.png"), full_page=True)
    finally:
        context.close()
    return problems, len(urls) + (1 if login else 0)


def test_no_page_of_the_ward_the_console_or_the_portal_violates_wcag_21_aa(
    browser: Browser, site: dict[str, Any], tmp_path: Path
) -> None:
    values = site["values"]
    # Each page's screenshot, to look at (SHOTS_DIR, else the test's own folder).
    shots = Path(os.environ.get("SHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    problems, ward = _walk(browser, site["ward"], "/login", "quantri", WARD_PAGES, values, shots)
    more, console = _walk(
        browser, site["hub"], "/console/dang-nhap", "admin", CONSOLE_PAGES, values, shots
    )
    problems += more
    more, portal = _walk(browser, site["hub"], None, "portal", PORTAL_PAGES, values, shots)
    problems += more
    assert ward + console + portal >= 20
    assert problems == [], "\n".join(problems)
