"""The background threads an app runs under ``serve`` (the sync worker, the SMS dispatcher,
the edXML exchange, housekeeping), kept in one list on the app so whoever started them stops
them all: ``serve`` when it returns, a test or a tool that built the app in its own process when
it is done with it (docs/operations.md, "Background threads").

A thread left running after its app is gone keeps opening the store its data folder named, a
folder a later test may have deleted or pointed at another database; each such round logs an
error with a traceback from a thread nobody watches.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask import Flask

EXTENSION = "background"


class Worker(Protocol):
    def start(self) -> None: ...

    def stop(self, timeout: float = ...) -> None: ...


def run_in_background(app: Flask, worker: Any) -> Any:
    """Start ``worker`` (anything with ``start()`` and ``stop()``) as one of ``app``'s background
    threads, and return it."""
    app.extensions.setdefault(EXTENSION, []).append(worker)
    worker.start()
    return worker


def background_workers(app: Flask) -> list[Any]:
    """The workers :func:`run_in_background` started for ``app``, oldest first."""
    return list(app.extensions.get(EXTENSION, []))


def stop_background(app: Flask) -> None:
    """Stop every background thread of ``app``, newest first, and wait for each; a second call
    does nothing."""
    workers = app.extensions.get(EXTENSION, [])
    app.extensions[EXTENSION] = []
    for worker in reversed(workers):
        worker.stop()
