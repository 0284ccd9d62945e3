"""Shared pieces of the browser tests: the system Chromium, its launch arguments, the marks that
skip a browser test where it cannot run, and adding staff users to a ward node."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cluster import PASSWORD, run

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


def add_user(data: Path, username: str, role: str, full_name: str) -> None:
    """Add a user to a ward node's store with the cluster's password, through the CLI."""
    run(
        "ward_node",
        "user",
        "add",
        "--data",
        str(data),
        "--username",
        username,
        "--role",
        role,
        "--full-name",
        full_name,
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
