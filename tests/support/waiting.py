"""Waiting on a condition: poll it with a deadline instead of sleeping a fixed time, so a test
is as fast as the system allows and says what it waited for when it fails."""

from __future__ import annotations

import time
from typing import Any


def wait_until(
    predicate: Any, timeout: float = 30, interval: float = 0.1, what: str = "condition"
) -> Any:
    """Poll ``predicate`` until it returns a truthy value and return that value; fail with
    ``what`` in the message after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
