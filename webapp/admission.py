"""Admission control: a server with more requests in flight than it can serve promptly answers
a machine's request at once with 503 and ``Retry-After`` instead of queueing it
(docs/operations.md, "Under pressure").

When a city's network comes back after an outage, every node pulls at once; queued behind
each other, thousands of requests wait seconds, time out, and are sent again on top of the
queue. Refused in a fraction of a millisecond with a time to come back, they return spread
out (each node adds its own jitter) while the requests admitted are served without waiting.

A request is in flight from the moment the WSGI server hands it to a thread until the app
returns, plus those the server holds waiting for a thread (``waiting``, which
:func:`webapp.serve` gives from waitress's queue). Only paths under ``paths`` (the node
protocol) are refused: a person's page waits its turn rather than show an error.

No web framework is imported here: the app is any WSGI callable.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from sync import HubBusy

PER_THREAD = 4  # requests in flight per server thread, when no bound is set
RETRY_AFTER = 1  # seconds a refused client waits at least
RETRY_MAX = 30  # seconds a refused client waits at most
QUEUE_SECONDS = 2.0  # what may wait: as many requests as the server finishes in this time
RATE_WINDOW = 2.0  # seconds of finished requests the throughput is measured over
MESSAGE = (
    "Máy chủ trung tâm đang bận vì nhiều nơi đồng bộ cùng lúc. Phường sẽ tự thử lại sau "
    "{seconds} giây; dữ liệu vẫn được lưu an toàn ở phường."
)


class Admission:
    """WSGI middleware around ``app`` answering 503 to requests under ``paths`` while more
    than ``limit`` requests are in flight.

    ``limit`` 0 refuses every such request; ``None`` means :data:`PER_THREAD` per server
    thread, set by :meth:`attach` (8 threads until then), or as many as the server finishes in
    :data:`QUEUE_SECONDS` at the rate it is finishing them now, whichever is more.
    ``refused`` counts the refusals.

    A refused client is told to come back when what is in flight will have been served
    (``Retry-After``: the excess over the current rate, 1 to 30 s), and adds its own jitter:
    a burst of thousands returns spread over the time the server needs, instead of all
    again a second later.
    """

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        *,
        limit: int | None,
        paths: tuple[str, ...],
    ) -> None:
        self.app = app
        self.paths = paths
        self.fixed = limit
        self.limit = limit if limit is not None else PER_THREAD * 8
        self.waiting: Callable[[], int] = lambda: 0
        self.in_flight = 0
        self.refused = 0
        self._lock = threading.Lock()
        self._finished: deque[float] = deque()

    def attach(self, threads: int, waiting: Callable[[], int]) -> None:
        """Serve with ``threads`` threads; ``waiting()`` says how many requests the server
        holds waiting for one."""
        if self.fixed is None:
            self.limit = PER_THREAD * threads
        self.waiting = waiting

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        with self._lock:
            self.in_flight += 1
            load = self.in_flight + self.waiting()
            rate = self._rate(time.monotonic())
        refused = False
        try:
            bound = self.limit if self.fixed is not None else max(self.limit, rate * QUEUE_SECONDS)
            if load > bound and str(environ.get("PATH_INFO", "")).startswith(self.paths):
                refused = True
                with self._lock:
                    self.refused += 1
                wait = (load - bound) / rate if rate > 0 else RETRY_AFTER
                seconds = min(RETRY_MAX, max(RETRY_AFTER, math.ceil(wait)))
                return self._later(start_response, seconds)
            return self.app(environ, start_response)
        finally:
            with self._lock:
                self.in_flight -= 1
                if not refused:
                    self._finished.append(time.monotonic())

    def _rate(self, now: float) -> float:
        """Requests finished a second over the last :data:`RATE_WINDOW` (the caller holds the
        lock)."""
        while self._finished and self._finished[0] < now - RATE_WINDOW:
            self._finished.popleft()
        return len(self._finished) / RATE_WINDOW

    @staticmethod
    def _later(start_response: Callable[..., Any], seconds: int) -> list[bytes]:
        """503 with ``Retry-After``, the error as the node protocol's JSON body."""
        error = HubBusy(MESSAGE.format(seconds=seconds), retry_after=seconds)
        body = json.dumps(error.to_json(), ensure_ascii=False).encode()
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Retry-After", str(seconds)),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]
