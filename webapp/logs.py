"""What ``serve`` writes to its log (docs/operations.md, "Logs").

:func:`configure_logging` sends every logger of the process to stderr (journald keeps and
rotates it under systemd), at ``LOG_LEVEL``, each line stamped in Huế time (ISO 8601 with
``+07:00``), as text for a person or as JSON lines (``LOG_FORMAT`` ``json``) for a collector.

:class:`AccessLog` writes one line per request to the logger ``wardsync.access``: method, path,
status, duration in ms, the user or node it was made by, and the client's address (the proxy's
client when it came through a trusted proxy, ``proxy.py``). What could carry a secret or a
citizen's data is never written: no query string (the portal's look-ups, a ``next=``), no body,
no header; a path whose rule has a ``code`` or ``token`` part (a dossier looked up by its code, a
submission's confirmation) is written as its rule, ``/tra-cuu/<code>``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from sync import ValidationError

ACCESS = logging.getLogger("wardsync.access")
HUE = ZoneInfo("Asia/Ho_Chi_Minh")  # Huế time, as every time the apps show (docs/domain.md)
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("text", "json")
# Route parts that name a citizen's dossier or a one-time secret: logged as the rule's name.
SECRET_PARTS = frozenset({"code", "token"})
MAX_PATH = 200  # a longer path (a scanner's junk) is cut
ENVIRON_KEY = "wardsync.access"  # what the app tells the log about a request: path, user


def _stamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, HUE).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """``2026-12-07T09:12:03.120+07:00 INFO logger: message``, a traceback below it."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_stamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time``, ``level``, ``logger``, ``message``, the access
    line's fields (``method``, ``path``, ``status``, ``duration_ms``, ``user``, ``node``,
    ``client``) when it is one, ``exception`` when there is a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _stamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "access", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def log_options(level: str, fmt: str) -> tuple[int, str]:
    """The level (a ``logging`` number) and format of ``LOG_LEVEL`` / ``LOG_FORMAT`` values;
    :class:`ValidationError` says which values are allowed."""
    name = str(level).strip().upper()
    if name not in LEVELS:
        raise ValidationError(
            f"Mức ghi nhật ký '{level}' không có; hãy dùng một trong: {', '.join(LEVELS)}.",
            code="bad_setting",
            field="LOG_LEVEL",
        )
    kind = str(fmt).strip().lower()
    if kind not in FORMATS:
        raise ValidationError(
            f"Dạng nhật ký '{fmt}' không có; hãy dùng 'text' hoặc 'json'.",
            code="bad_setting",
            field="LOG_FORMAT",
        )
    return getattr(logging, name), kind


def configure_logging(level: str, fmt: str, stream: IO[str] | None = None) -> logging.Handler:
    """Send every logger to ``stream`` (stderr) at ``level`` in ``fmt`` (``text`` or
    ``json``), replacing what a previous call set; return the handler."""
    number, kind = log_options(level, fmt)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if kind == "json" else TextFormatter())
    handler.set_name("wardsync")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "wardsync"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(number)
    return handler


def add_log_options(parser: Any) -> None:
    """Add ``--log-level`` and ``--log-format`` to a ``serve`` command's ``parser``: they
    override the ``LOG_LEVEL`` and ``LOG_FORMAT`` settings."""
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LEVELS,
        help="mức ghi nhật ký (mặc định thiết lập LOG_LEVEL, INFO)",
    )
    parser.add_argument(
        "--log-format",
        type=str.lower,
        choices=FORMATS,
        help="dạng nhật ký: text, hoặc json cho bộ thu gom (mặc định thiết lập LOG_FORMAT)",
    )


def log_settings(args: Any) -> dict[str, str]:
    """The settings a ``serve`` command's ``--log-level`` and ``--log-format`` give."""
    given = {"LOG_LEVEL": args.log_level, "LOG_FORMAT": args.log_format}
    return {key: value for key, value in given.items() if value}


def note_request(environ: dict[str, Any], *, path: str, user: str | None, node: str | None) -> None:
    """What the app knows of a request that the access line needs: the path to write (its
    rule when it has a secret part) and who made it."""
    environ[ENVIRON_KEY] = {"path": path, "user": user, "node": node}


def logged_path(rule: str | None, arguments: Iterable[str], path: str) -> str:
    """The path an access line writes: ``rule`` when one of its ``arguments`` is a secret
    part, else ``path``; cut at :data:`MAX_PATH`."""
    if rule is not None and SECRET_PARTS.intersection(arguments):
        return rule
    return path if len(path) <= MAX_PATH else path[:MAX_PATH] + "…"


class AccessLog:
    """WSGI middleware writing one line per request to ``wardsync.access`` once its answer
    has been sent (the duration counts the body), or when the app raised."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not ACCESS.isEnabledFor(logging.INFO):
            return self.app(environ, start_response)
        started = time.monotonic()
        status: list[int] = [0]

        def watched(line: str, headers: list[Any], exc_info: Any = None) -> Any:
            status[0] = int(line.split(" ", 1)[0])
            return start_response(line, headers, exc_info)

        try:
            body = self.app(environ, watched)
        except BaseException:
            status[0] = status[0] or 500
            _write(environ, status[0], started)
            raise
        return _Closing(body, lambda: _write(environ, status[0], started))


class _Closing:
    """An answer's body that writes the access line when the server closes it."""

    def __init__(self, body: Iterable[bytes], done: Callable[[], None]) -> None:
        self.body = body
        self.done = done

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.done()


def _write(environ: dict[str, Any], status: int, started: float) -> None:
    noted = environ.get(ENVIRON_KEY) or {}
    fields = {
        "method": str(environ.get("REQUEST_METHOD", "?")),
        "path": noted.get("path") or logged_path(None, (), str(environ.get("PATH_INFO", ""))),
        "status": status,
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
        "user": noted.get("user"),
        "node": noted.get("node"),
        "client": str(environ.get("REMOTE_ADDR") or "?"),
    }
    who = (
        f" user={fields['user']}"
        if fields["user"]
        else (f" node={fields['node']}" if fields["node"] else "")
    )
    ACCESS.info(
        "%s %s %s %sms%s client=%s",
        fields["method"],
        fields["path"],
        status,
        fields["duration_ms"],
        who,
        fields["client"],
        extra={"access": fields},
    )
