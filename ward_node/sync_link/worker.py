"""The background sync worker of ``ward-node serve``: a thread that never blocks a request.

It syncs every ``interval`` seconds and when asked (``POST /api/v1/sync/run``); while the hub
cannot be reached it waits with exponential backoff and jitter, so 27 wards coming back after
an outage do not hit the hub in step. A hub under pressure answers "later" with the seconds to
wait (:class:`sync.HubBusy`): the worker waits that long plus a random part of it, so
thousands of nodes refused at once come back spread out, and counts no failure (the hub is
there; docs/operations.md, "Under pressure"). After a successful sync in which the hub passed on an
administrator's request to rotate the node's keys, it rotates them (``rotation.py``).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from pathlib import Path

from sync import HubBusy, SyncError, SyncLockBusy, TransportError, sync_lock

from . import rotation
from .session import run_sync

log = logging.getLogger("ward_node.worker")


class SyncWorker:
    """Runs :func:`ward_node.sync_link.run_sync` in a daemon thread."""

    def __init__(
        self,
        data_dir: Path,
        *,
        interval: float,
        backoff_max: float,
        chunk: int,
        sync: Callable[..., object] = run_sync,
        rotate: Callable[[Path], str] = rotation.rotate_keys,
    ) -> None:
        self.data_dir = data_dir
        self.interval = interval
        self.backoff_max = backoff_max
        self.chunk = chunk
        self._sync = sync
        self._rotate = rotate
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._failures = 0
        self._busy_delay: float | None = None  # seconds a busy hub asked to wait, jittered
        self.paused = False
        self._thread = threading.Thread(target=self._loop, name="sync-worker", daemon=True)

    def start(self) -> None:
        """Start the thread (a first sync runs at once)."""
        self._wake.set()
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Ask the thread to stop and wait for it."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def trigger(self) -> None:
        """Start a sync now (returns at once)."""
        self._failures = 0
        self._wake.set()

    def next_delay(self) -> float:
        """Seconds until the next attempt: what a busy hub asked for (jittered), the interval,
        or a jittered backoff after failures."""
        if self._busy_delay is not None:
            return self._busy_delay
        if self._failures == 0:
            return self.interval
        base = min(self.backoff_max, 2.0 ** min(self._failures, 16))
        return min(self.backoff_max, base * random.uniform(0.5, 1.5))

    def rotate_if_requested(self) -> str | None:
        """Rotate the node's keys if the hub asked for it; return the new fingerprint.

        Under the sync lock, so no sync signs with a key being retired; a crash half-way is
        finished by the next sync (``rotation.recover``), and no pending change is lost.
        """
        if not rotation.requested(self.data_dir):
            return None
        with sync_lock(self.data_dir, wait=0):
            fingerprint = self._rotate(self.data_dir)
        log.info("keys rotated at the hub's request: %s", fingerprint)
        return fingerprint

    def hub_busy(self, retry_after: float) -> None:
        """The hub asked to come back after ``retry_after`` seconds: the next attempt waits
        that long plus a random part of it, up to as long again (at least a second)."""
        self._failures = 0
        self._busy_delay = retry_after + random.uniform(0, max(1.0, retry_after))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.next_delay())
            self._wake.clear()
            self._busy_delay = None  # waited (or woken by a person): once only
            if self._stop.is_set():
                return
            if self.paused:
                continue
            try:
                self._sync(self.data_dir, chunk=self.chunk, wait=0)
                self.rotate_if_requested()
                self._failures = 0
            except SyncLockBusy:
                continue  # another process (ward-node sync) is syncing this node right now
            except HubBusy as exc:
                self.hub_busy(exc.retry_after)
                log.info("hub busy, next sync in %.1f s", self.next_delay())
            except TransportError as exc:
                self._failures += 1
                log.warning("sync failed: %s", exc.message)
            except SyncError as exc:
                self._failures += 1
                log.error("sync refused: %s", exc.message)
            except Exception:  # the worker must outlive any bug in one run
                self._failures += 1
                log.exception("sync crashed")
