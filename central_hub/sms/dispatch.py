"""The hub's SMS dispatcher: it sends the notices wards queue, through a pluggable provider.

A ward queues an ``sms`` record (status ``queued``) in the same transaction as the dossier
change it tells of (``ward_node/dossiers/sms.py``); sync carries it here. The dispatcher claims one
due message at a time, calls the provider outside any transaction, and writes each outcome
through the hub's write path, so ``sending``, ``sent``, ``failed`` and, from the gateway's
receipt, ``delivered`` are routed back to the owning ward like an administrator's edit
(``journal.routes_for``). It never raises out of a round: a failing gateway delays notices,
never a dossier (docs/domain.md, "SMS notices").

Retry policy. A message is tried at most ``max_attempts`` times (``SMS_MAX_ATTEMPTS``). After a
transient failure (5xx, 408, 429, 401/403, a timeout, the gateway unreachable) it is marked
``failed`` with the error and tried again ``retry_base × 4^(n−1)`` seconds after its n-th attempt
(1, 4, 16, 64 minutes by default, capped at 6 hours); a permanent refusal (any other 4xx) or
the last attempt ends it. When the gateway cannot be reached at all the round stops at once:
the other messages are not charged an attempt for an outage.

The bookkeeping of retries stays at the hub, in the local table ``sms_dispatch`` (when a
message may next be tried; whether it is done), not in the synced record: a ward has no use
for it, and every write of it would travel. Claiming a message writes ``sending`` and counts
the attempt first; if the hub dies before the outcome is written, the message is tried again
once its claim has expired (``lease`` seconds): after a crash a notice may be sent twice,
never lost. The request carries the message id as ``Idempotency-Key`` for gateways that
deduplicate.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync import ChangeCapture, Replica, ValidationError, atomic

from ..store import capture as hub_capture
from ..store import connect as store_connect
from ..store import sms as sms_store
from .providers import (
    PermanentSmsError,
    Provider,
    TransientSmsError,
    iso_seconds,
    provider_from_settings,
)

log = logging.getLogger("central_hub.sms")

ACTOR = "sms-dispatcher"
RETRY_BASE = 60.0  # seconds before the second attempt
RETRY_FACTOR = 4
RETRY_MAX = 6 * 3600.0
SENDING_LEASE = 600.0  # a claim older than this was left by a crash
RECEIPT_KEEP = 7 * 24 * 3600.0  # receipts for ids never seen are dropped after a week
STATUSES = ("queued", "sending", "sent", "delivered", "failed")


@dataclass
class DispatchReport:
    """What one round did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    stopped: str | None = None  # why the round ended early (gateway unreachable, an error)


class Dispatcher:
    """Sends due ``sms`` records of the hub's store over ``conn`` through ``provider``.

    ``capture`` is the hub's write path (:func:`central_hub.setup.capture`); ``clock`` gives
    the time in seconds (tests pass a fake one to skip the waits between retries).
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        capture: ChangeCapture,
        provider: Provider,
        *,
        max_attempts: int = 5,
        retry_base: float = RETRY_BASE,
        lease: float = SENDING_LEASE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.conn = conn
        self.capture = capture
        self.provider = provider
        self.max_attempts = max(1, max_attempts)
        self.retry_base = retry_base
        self.lease = lease
        self.clock = clock
        self.cancelled: Callable[[], bool] = lambda: False  # checked between two messages

    def retry_delay(self, attempts: int) -> float:
        """Seconds between attempt number ``attempts`` and the next."""
        return min(RETRY_MAX, self.retry_base * float(RETRY_FACTOR ** max(0, attempts - 1)))

    def run_once(self, limit: int = 100) -> DispatchReport:
        """Try up to ``limit`` due messages; never raises (errors are logged and reported)."""
        report = DispatchReport()
        try:
            for _ in range(limit):
                if self.cancelled():
                    break
                sms = self._claim()
                if sms is None:
                    break
                if not self._send(sms, report):
                    report.stopped = "unreachable"
                    break
        except Exception as exc:  # a locked store or a bug must not kill the dispatcher thread
            log.exception("SMS round failed")
            report.stopped = f"{type(exc).__name__}: {exc}"
        return report

    def _claim(self) -> dict[str, Any] | None:
        """Mark the next due message ``sending`` and count its attempt, in one transaction."""
        replica = Replica(self.conn)
        with atomic(self.conn):
            now = self.clock()
            while True:
                due = sms_store.next_due(self.conn, now)
                if due is None:
                    return None
                sms = replica.get("sms", due)
                assert sms is not None
                attempts = int(sms.get("attempts") or 0)
                if attempts >= self.max_attempts:  # a claim left by a crash on its last try
                    self._write(
                        sms,
                        {"status": "failed", "last_error": _exhausted(sms, self.max_attempts)},
                    )
                    self._schedule(sms["id"], now, done=True)
                    continue
                fields: dict[str, Any] = {
                    "status": "sending",
                    "attempts": attempts + 1,
                    "provider": self.provider.name,
                }
                self._write(sms, fields)
                self._schedule(sms["id"], now + self.lease, done=False)
                return {**sms, **fields}

    def _send(self, sms: dict[str, Any], report: DispatchReport) -> bool:
        """Send one claimed message and record the outcome; False when the gateway is down."""
        try:
            provider_id = self.provider.send(sms["phone"], sms["text"], ref=sms["id"])
        except TransientSmsError as exc:
            self._failed(sms, exc.message, retry=True, report=report)
            return not exc.unreachable
        except PermanentSmsError as exc:
            self._failed(sms, exc.message, retry=False, report=report)
            return True
        except Exception as exc:  # a provider bug counts as a transient failure
            log.exception("SMS provider crashed")
            self._failed(sms, f"Lỗi khi gửi: {type(exc).__name__}", retry=True, report=report)
            return True
        with atomic(self.conn):
            now = self.clock()
            fields: dict[str, Any] = {
                "status": "sent",
                "sent_at": iso_seconds(now),
                "provider_id": provider_id,
                "last_error": None,
            }
            early = _take_receipt(self.conn, provider_id)
            if early is not None:  # the gateway's receipt came before this write
                fields.update(_receipt_fields(early[0], early[1], now))
            self._write(sms, fields)
            self._schedule(sms["id"], now, done=True)
        report.sent += 1
        return True

    def _failed(
        self, sms: dict[str, Any], error: str, *, retry: bool, report: DispatchReport
    ) -> None:
        attempts = int(sms["attempts"])
        again = retry and attempts < self.max_attempts
        if retry and not again:
            error = f"{error} {_exhausted(sms, self.max_attempts)}"
        with atomic(self.conn):
            now = self.clock()
            self._write(sms, {"status": "failed", "last_error": error[:500]})
            if again:
                self._schedule(sms["id"], now + self.retry_delay(attempts), done=False)
            else:
                self._schedule(sms["id"], now, done=True)
        if again:
            report.retrying += 1
        else:
            report.failed += 1

    def _write(self, sms: dict[str, Any], fields: dict[str, Any]) -> None:
        self.capture.write("sms", sms["id"], sms["unit"], fields, actor=ACTOR)

    def _schedule(self, sms_id: str, at: float, *, done: bool) -> None:
        sms_store.schedule(self.conn, sms_id, at, done=done)


def apply_receipt(
    conn: sqlite3.Connection,
    capture: ChangeCapture,
    provider_id: str,
    status: str,
    error: str | None = None,
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """Record a gateway's delivery receipt (``delivered`` or ``failed``) for ``provider_id``.

    Returns ``{"id", "status"}`` of the message, or ``{"id": None, "pending": True}`` when no
    sent message has this id yet (a fast gateway can answer before the send is recorded: the
    receipt is kept and applied then). A receipt never moves a delivered message back.
    """
    if status not in ("delivered", "failed"):
        raise ValidationError("Trạng thái phải là delivered hoặc failed.", field="status")
    at = time.time() if now is None else now
    with atomic(conn):
        sms = sms_store.by_provider_id(conn, provider_id)
        if sms is None:
            sms_store.keep_receipt(conn, provider_id, status, error, at, RECEIPT_KEEP)
            return {"id": None, "provider_id": provider_id, "pending": True}
        current = sms["status"]
        if current != "delivered" and (status == "delivered" or current == "sent"):
            fields = _receipt_fields(status, error, at)
            capture.write("sms", sms["id"], sms["unit"], fields, actor=ACTOR)
            current = fields["status"]
        return {"id": sms["id"], "provider_id": provider_id, "status": current}


def _take_receipt(
    conn: sqlite3.Connection, provider_id: str | None
) -> tuple[str, str | None] | None:
    if not provider_id:
        return None
    return sms_store.take_receipt(conn, provider_id)


def _receipt_fields(status: str, error: str | None, now: float) -> dict[str, Any]:
    if status == "delivered":
        return {"status": "delivered", "delivered_at": iso_seconds(now)}
    reason = "Nhà mạng báo không chuyển được tin" + (f": {error}" if error else ".")
    return {"status": "failed", "last_error": reason[:500]}


def list_sms(
    conn: sqlite3.Connection,
    *,
    status: str | None = None,
    unit: str | None = None,
    dossier_code: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The SMS log, newest first, each message with ``next_attempt_at`` (when a retry waits)."""
    clauses, params = [], []
    for column, value in (("s.status", status), ("s.unit", unit), ("s.dossier_code", dossier_code)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if cursor:
        clauses.append("s.id < ?")
        params.append(cursor)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = sms_store.sms_log(conn, where, params, limit + 1)
    items = []
    for item, next_attempt_at, done in rows[:limit]:
        waiting = next_attempt_at is not None and not done and item["status"] == "failed"
        item["next_attempt_at"] = iso_seconds(next_attempt_at) if waiting else None
        items.append(item)
    return items, (items[-1]["id"] if len(rows) > limit else None)


class DispatchWorker:
    """Runs a :class:`Dispatcher` every ``interval`` seconds in a daemon thread (``serve``)."""

    def __init__(
        self, data_dir: Path, provider: Provider, *, interval: float, max_attempts: int
    ) -> None:
        self.data_dir = data_dir
        self.provider = provider
        self.interval = interval
        self.max_attempts = max_attempts
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sms-dispatcher", daemon=True)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], data_dir: Path) -> DispatchWorker:
        """A worker as the hub's settings describe it (``SMS_*``)."""
        return cls(
            data_dir,
            provider_from_settings(settings, data_dir),
            interval=float(settings["SMS_INTERVAL"]),
            max_attempts=int(settings["SMS_MAX_ATTEMPTS"]),
        )

    def start(self) -> None:
        """Start the thread (a first round runs at once)."""
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Ask the thread to stop after its current message, and wait for it."""
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        conn = store_connect(self.data_dir)
        try:
            dispatcher = Dispatcher(
                conn, hub_capture(conn), self.provider, max_attempts=self.max_attempts
            )
            dispatcher.cancelled = self._stop.is_set
            while not self._stop.is_set():
                report = dispatcher.run_once()
                if report.sent or report.failed or report.stopped:
                    log.info("SMS round: %s", report)
                self._stop.wait(self.interval)
        finally:
            conn.close()
            self.provider.close()


def _exhausted(sms: dict[str, Any], max_attempts: int) -> str:
    return f"(đã thử {max(int(sms.get('attempts') or 0), max_attempts)} lần, ngừng gửi)"
