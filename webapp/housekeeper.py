"""The thread of ``serve`` that prunes what grows with requests (docs/operations.md,
"Growth"): each app says what one round deletes, this runs it on a schedule."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync import connect

log = logging.getLogger("webapp.housekeeper")

Round = Callable[[sqlite3.Connection], dict[str, int]]


class Housekeeper:
    """Runs ``round_(conn)`` every ``interval`` seconds in a daemon thread named
    ``housekeeping``, on a connection of its own to the store (the SQLite file ``store``, or
    what the callable ``store`` opens), taken for each round so a database restarted between
    rounds is no matter; a first round runs at once. ``rounds`` counts the rounds done (tests
    and the operator's log read it)."""

    def __init__(self, store: Path | Callable[[], Any], round_: Round, *, interval: float) -> None:
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
        while not self._stop.is_set():
            try:
                conn = self.store() if callable(self.store) else connect(self.store)
                try:
                    done = self.round(conn)
                finally:
                    conn.close()
                if any(done.values()):
                    log.info("housekeeping: %s", done)
            except Exception:  # a locked store or a bug must not end the thread
                log.exception("housekeeping round failed")
            self.rounds += 1
            self._stop.wait(self.interval)
