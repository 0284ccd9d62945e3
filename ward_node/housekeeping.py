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
import threading
import time
from pathlib import Path

from sync import BlobStore, connect
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


class Housekeeper:
    """Runs :func:`run_once` every ``interval`` seconds in a daemon thread (``serve``)."""

    def __init__(self, data_dir: Path, *, interval: float) -> None:
        self.data_dir = data_dir
        self.interval = interval
        self.rounds = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="housekeeping", daemon=True)

    def start(self) -> None:
        """Start the thread (a first round runs at once)."""
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Ask the thread to stop after its current round, and wait for it."""
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        conn = connect(self.data_dir / STORE_FILE)
        try:
            while not self._stop.is_set():
                try:
                    done = run_once(conn, self.data_dir)
                    if any(done.values()):
                        log.info("housekeeping: %s", done)
                except Exception:  # a locked store or a bug must not end the thread
                    log.exception("housekeeping round failed")
                self.rounds += 1
                self._stop.wait(self.interval)
        finally:
            conn.close()
