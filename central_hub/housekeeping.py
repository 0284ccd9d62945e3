"""The hub's housekeeping: what grows with every request is pruned on a schedule, so a year
of 27 wards syncing every 30 seconds leaves the store the size of a few weeks of it
(docs/operations.md, "Growth").

Every ``HOUSEKEEPING_INTERVAL`` seconds (an hour by default; a first round at start) a daemon
thread of ``serve`` deletes, at most :data:`ROUND_BUDGET` rows a round in transactions of
:data:`~central_hub.sync_history.BATCH` rows, so a request never waits on it for long:

- ``sync_events`` rows older than ``HISTORY_DAYS`` (90 days), and beyond the newest
  :data:`~central_hub.sync_history.KEEP_PER_UNIT` of a unit; ``unverified_refusals`` days older
  than ``HISTORY_DAYS``;
- failed logins older than their hour (``webapp/throttle.py``), rate-limit rows older than their
  minute (``webapp/ratelimit.py``);
- uploads left unfinished for three days (``files.PARTIAL_MAX_AGE``).

``sms.log`` rotates by size as it is written (``sms_providers.LogProvider``).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import webapp
from sync import BlobStore, ValidationError
from webapp import prune_login_failures, prune_lookups

from . import files
from .store import connect as store_connect
from .store import sync_history

log = logging.getLogger("central_hub.housekeeping")

ROUND_BUDGET = 100_000  # rows one round deletes at most; a backlog takes a few rounds


def run_once(
    conn: sqlite3.Connection,
    data_dir: Path,
    *,
    history_days: int = sync_history.HISTORY_DAYS,
    now: float | None = None,
) -> dict[str, int]:
    """One round of housekeeping; returns how many rows (or files) each part deleted."""
    now = time.time() if now is None else now
    done = {"history": sync_history.prune(conn, days=history_days, now=now, budget=ROUND_BUDGET)}
    done["login_failures"] = prune_login_failures(conn, now=now, budget=ROUND_BUDGET)
    done["public_lookups"] = prune_lookups(conn, now=now, budget=ROUND_BUDGET)
    done["partial_files"] = BlobStore(data_dir / "blobs").expire_partials(
        files.PARTIAL_MAX_AGE, now=now
    )
    return done


def history_days(settings: Mapping[str, Any]) -> int:
    """The ``HISTORY_DAYS`` setting, checked: :class:`ValidationError` unless a whole number
    of days from 1 to 3,650."""
    try:
        days = int(settings["HISTORY_DAYS"])
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= 3650:
        raise ValidationError(
            "Thiết lập 'HISTORY_DAYS' phải là số ngày nguyên từ 1 đến 3650.",
            code="bad_setting",
            field="HISTORY_DAYS",
        )
    return days


class Housekeeper(webapp.Housekeeper):
    """:func:`run_once` every ``interval`` seconds in a daemon thread of ``serve``."""

    def __init__(self, data_dir: Path, *, interval: float, history_days: int) -> None:
        self.data_dir = data_dir
        self.history_days = history_days
        super().__init__(
            lambda: store_connect(data_dir),
            lambda conn: run_once(conn, data_dir, history_days=history_days),
            interval=interval,
        )
