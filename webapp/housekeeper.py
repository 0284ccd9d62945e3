"""The thread of ``serve`` that prunes what grows with requests (docs/operations.md,
"Growth"): each app says what one round deletes, this runs it on a schedule."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from sync import connect

log = logging.getLogger("webapp.housekeeper")

Round = Callable[[sqlite3.Connection], dict[str, int]]


class Housekeeper:
    """Runs ``round_(conn)`` every ``interval`` seconds in a daemon thread named
    ``housekeeping``, on its own connection to the store at ``store``; a first round runs at
    once. ``rounds`` counts the rounds done (tests and the operator's log read it)."""

    def __init__(self, store: Path, round_: Round, *, interval: float) -> None:
        self.store = store
        self.round = round_
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
        conn = connect(self.store)
        try:
            while not self._stop.is_set():
                try:
                    done = self.round(conn)
                    if any(done.values()):
                        log.info("housekeeping: %s", done)
                except Exception:  # a locked store or a bug must not end the thread
                    log.exception("housekeeping round failed")
                self.rounds += 1
                self._stop.wait(self.interval)
        finally:
            conn.close()
