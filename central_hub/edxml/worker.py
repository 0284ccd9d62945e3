"""The edXML exchange of ``serve`` (docs/edxml.md, "Drop folders"): every ``EDXML_INTERVAL``
seconds a daemon thread takes the messages a platform connector dropped in
``DATA/edxml/inbox`` and writes what is due to ``DATA/edxml/outbox``
(``outbound.exchange_round``, ``revocation.revocation_round``).

A file is taken when it is a regular file whose name does not start with ``.`` nor end with
``.tmp`` or ``.part`` (a connector writes under such a name and renames), at most
:data:`FILES_PER_ROUND` a round, oldest first, each at most ``MAX_BODY_BYTES``. Taken, it moves
to ``inbox/processed/``; refused, to ``inbox/refused/`` with ``<name>.ly-do.txt`` beside it
saying why in Vietnamese. Restart-safe: a file is moved only after its message committed, and
a file taken again after a crash is recognised by its bytes (``inbound.take``: nothing is done
twice) and moved.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask

from office import VIETNAM
from sync import SyncError

from .inbound import take
from .outbound import INBOX, exchange_round, folder
from .revocation import revocation_round

log = logging.getLogger("central_hub.edxml")
FILES_PER_ROUND = 50
_SKIPPED_SUFFIXES = (".tmp", ".part", ".ly-do.txt")


def pending(inbox: Path) -> list[Path]:
    """The files waiting in ``inbox``, oldest first, at most :data:`FILES_PER_ROUND`."""
    found = []
    with os.scandir(inbox) as entries:
        for entry in entries:
            if entry.name.startswith(".") or entry.name.endswith(_SKIPPED_SUFFIXES):
                continue
            if entry.is_file(follow_symlinks=False):
                found.append((entry.stat().st_mtime, entry.name))
    return [inbox / name for _, name in sorted(found)[:FILES_PER_ROUND]]


def _move(path: Path, to: Path) -> Path:
    to.mkdir(exist_ok=True, mode=0o700)
    stamp = datetime.now(VIETNAM).strftime("%Y%m%d-%H%M%S")
    target = to / f"{stamp}-{path.name}"
    n = 1
    while target.exists():
        target = to / f"{stamp}-{n}-{path.name}"
        n += 1
    os.replace(path, target)
    return target


def take_inbox(limit_bytes: int) -> dict[str, int]:
    """Take the waiting files (see the module); returns how many were taken and refused.
    Runs in an app context."""
    inbox = folder(INBOX)
    done = {"taken": 0, "refused": 0}
    for path in pending(inbox):
        reason: dict[str, Any] | None = None
        try:
            if path.stat().st_size > limit_bytes:
                reason = {
                    "code": "too_large",
                    "message": f"Tệp lớn hơn giới hạn {limit_bytes // (1024 * 1024)} MB của máy "
                    "chủ (MAX_BODY_BYTES).",
                }
            else:
                result = take(path.read_bytes(), source="inbox", actor="edxml", file_name=path.name)
                log.info("edXML %s: %s", path.name, json.dumps(result, ensure_ascii=False))
        except SyncError as exc:
            reason = {"code": exc.code, "message": exc.message, "status": exc.status}
        if reason is None:
            _move(path, inbox / "processed")
            done["taken"] += 1
        else:
            moved = _move(path, inbox / "refused")
            Path(f"{moved}.ly-do.txt").write_text(
                f"{reason['message']}\n\nMã lỗi: {reason['code']}\n", encoding="utf-8"
            )
            log.warning("edXML %s refused: %s", path.name, reason["message"])
            done["refused"] += 1
    return done


def run_once(app: Flask) -> dict[str, int]:
    """One round: the inbox, then the outbox (document and status messages, then the
    revocations of documents recalled after their message went out); how many of each."""
    with app.app_context():
        done = take_inbox(int(app.config["MAX_BODY_BYTES"]))
        done.update(exchange_round())
        done["revocations"] = revocation_round()
        return done


class ExchangeWorker:
    """The daemon thread of ``serve`` running :func:`run_once` every ``interval`` seconds."""

    def __init__(self, app: Flask, interval: float) -> None:
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="edxml-exchange", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                run_once(self.app)
            except Exception:  # noqa: BLE001 - a round that fails is logged, the next tries again
                log.exception("edXML exchange round failed")
            self._stop.wait(self.interval)
