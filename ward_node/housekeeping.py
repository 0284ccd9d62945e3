"""The ward node's housekeeping: what grows with requests is pruned on a schedule
(docs/operations.md, "Growth").

Every ``HOUSEKEEPING_INTERVAL`` seconds (an hour by default; a first round at start) a daemon
thread of ``serve`` deletes failed logins older than their hour (``webapp/throttle.py``),
rate-limit rows of the public look-up older than their minute (``webapp/ratelimit.py``), and
downloads of files left unfinished for three days (the next sync starts them again). Each
table is pruned in transactions of 5,000 rows, at most :data:`ROUND_BUDGET` a round, so a
request never waits on it for long. The node's sync status is a handful of ``meta`` keys,
overwritten at each run: it does not grow.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import webapp
from sync import BlobStore
from webapp import prune_login_failures, prune_lookups

from .store import STORE_FILE

log = logging.getLogger("ward_node.housekeeping")

ROUND_BUDGET = 100_000  # rows one round deletes at most per table
PARTIAL_MAX_AGE = 3 * 24 * 3600  # an unfinished download untouched this long starts over


def run_once(
    conn: sqlite3.Connection, data_dir: Path, *, now: float | None = None
) -> dict[str, int]:
    """One round of housekeeping; returns how many rows (or files) each part deleted."""
    now = time.time() if now is None else now
    return {
        "login_failures": prune_login_failures(conn, now=now, budget=ROUND_BUDGET),
        "public_lookups": prune_lookups(conn, now=now, budget=ROUND_BUDGET),
        "partial_files": BlobStore(data_dir / "blobs").expire_partials(PARTIAL_MAX_AGE, now=now),
    }


class Housekeeper(webapp.Housekeeper):
    """:func:`run_once` every ``interval`` seconds in a daemon thread of ``serve``."""

    def __init__(self, data_dir: Path, *, interval: float) -> None:
        self.data_dir = data_dir
        super().__init__(
            data_dir / STORE_FILE, lambda conn: run_once(conn, data_dir), interval=interval
        )
