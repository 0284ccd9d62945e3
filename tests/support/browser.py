"""The browser clients: the system Chromium, its launch arguments, the marks that skip a
browser test where it cannot run, and the one way to log in through the login form, to the
ward's desk (``/login``) and to the city's console (``/console/dang-nhap``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.users import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
# FACTS.md, "Browser tests"; no proxy: the servers are on loopback.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
]
try:
    import playwright  # noqa: F401
except ImportError:  # the "test" extra is not installed
    HAS_PLAYWRIGHT = False
else:
    HAS_PLAYWRIGHT = True

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not HAS_PLAYWRIGHT,
        reason="the Python package playwright is not installed (pip install 'playwright>=1.45,<2')",
    ),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"no system Chromium at {CHROMIUM} to drive headless"
    ),
]


def new_page(
    browser: Any,
    base_url: str,
    *,
    viewport: tuple[int, int] = (1366, 900),
    locale: str | None = "vi-VN",
    timeout: float = 10_000,
) -> Any:
    """A page in a fresh context (its own cookies) of ``browser`` on ``base_url``."""
    options: dict[str, Any] = {
        "base_url": base_url,
        "viewport": {"width": viewport[0], "height": viewport[1]},
    }
    if locale:
        options["locale"] = locale
    context = browser.new_context(**options)
    context.set_default_timeout(timeout)
    return context.new_page()


def log_in(page: Any, path: str, username: str, password: str = PASSWORD) -> None:
    """Open ``path`` (a login form, or a page that shows it) and submit the form; the caller
    waits for the page it expects next. The ward's and the console's forms have the same
    labels."""
    page.goto(path)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def desk_page(
    browser: Any, base_url: str, username: str = "canbo", *, next: str | None = None, **kw: Any
) -> Any:
    """A new page logged in to the ward's desk as ``username``: on the desk's home, or on
    ``next`` when given (``kw`` as for :func:`new_page`)."""
    from playwright.sync_api import expect

    page = new_page(browser, base_url, **kw)
    log_in(page, "/login" if next is None else f"/login?next={next}", username)
    if next is None:
        expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    else:
        page.wait_for_url(f"**{next}")
    return page


def console_page(browser: Any, hub_url: str, username: str = "admin", **kw: Any) -> Any:
    """A new page logged in to the city's console as ``username``, on its dashboard."""
    from playwright.sync_api import expect

    page = new_page(browser, hub_url, **kw)
    log_in(page, "/console/", username)
    expect(page.get_by_role("heading", name="Các đơn vị")).to_be_visible()
    return page
