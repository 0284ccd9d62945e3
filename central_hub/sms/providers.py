"""The SMS providers the hub's dispatcher (``dispatch.py``) sends through: a log file (the default,
and demos) or an HTTP gateway, chosen by the hub's settings; and how a failure to send is
classed, transient (try again later) or permanent (another try would fail alike)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import requests

from sync import ValidationError, append_private, new_id


class SmsError(Exception):
    """Base of a provider's failure to send one message; ``message`` says why, for the log."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransientSmsError(SmsError):
    """Raised when the gateway failed now and may succeed later (5xx, timeout, unreachable)."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


class PermanentSmsError(SmsError):
    """Raised when the gateway refused the message itself: another try would fail alike."""


class Provider(Protocol):
    """Sends one SMS. ``name`` is recorded on the message."""

    name: str

    def send(self, phone: str, text: str, *, ref: str | None = None) -> str | None:
        """Send ``text`` to ``phone`` (E.164); return the provider's message id, if it gives one.

        ``ref`` is the message's own id, stable across retries. Raises
        :class:`TransientSmsError` or :class:`PermanentSmsError`.
        """
        ...

    def close(self) -> None:
        """Release the provider's connections."""
        ...


LOG_MAX_BYTES = 10 * 1024 * 1024  # sms.log is rotated past this size
LOG_KEEP = 5  # rotated files kept: sms.log.1 (newest) to sms.log.5


class LogProvider:
    """Sends nothing: appends each message as a JSON line to a file (the default, and demos).

    The file is rotated by size so a hub that sends for years keeps at most ``max_bytes`` in
    each of ``keep`` + 1 files (docs/operations.md, "Growth"): before a line would take it past
    ``max_bytes``, ``sms.log.N`` is dropped, the others move up one and ``sms.log`` becomes
    ``sms.log.1``. Renaming keeps each file's mode, 0600, and the new one is made 0600.
    """

    name = "log"

    def __init__(self, path: Path, *, max_bytes: int = LOG_MAX_BYTES, keep: int = LOG_KEEP) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.keep = keep
        self._lock = threading.Lock()

    def send(self, phone: str, text: str, *, ref: str | None = None) -> str | None:
        provider_id = "log-" + new_id()
        line = {
            "at": iso_seconds(time.time()),
            "id": provider_id,
            "ref": ref,
            "to": phone,
            "text": text,
        }
        text = json.dumps(line, ensure_ascii=False) + "\n"
        try:
            with self._lock:
                self._rotate(len(text.encode()))
                with append_private(self.path) as f:
                    f.write(text)
        except OSError as exc:
            raise TransientSmsError(f"Không ghi được nhật ký SMS {self.path}: {exc}") from None
        return provider_id

    def _rotate(self, incoming: int) -> None:
        """Rotate when ``incoming`` more bytes would take the file past ``max_bytes``."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size == 0 or size + incoming <= self.max_bytes:
            return
        if self.keep < 1:
            self.path.unlink()
            return
        older = self.path.with_name(f"{self.path.name}.{self.keep}")
        older.unlink(missing_ok=True)
        for n in range(self.keep - 1, 0, -1):
            src = self.path.with_name(f"{self.path.name}.{n}")
            if src.exists():
                src.rename(self.path.with_name(f"{self.path.name}.{n + 1}"))
        self.path.rename(self.path.with_name(f"{self.path.name}.1"))

    def close(self) -> None:
        pass


class HttpGatewayProvider:
    """Sends through an HTTP gateway: ``POST url`` with ``{"to", "text"}`` and a bearer token.

    2xx: sent, the id taken from the answer's ``id`` (or ``message_id``). 5xx, 408, 429 and
    timeouts are transient; so are 401 and 403, a wrong token being the hub's configuration
    to fix, not the message's fault. Any other answer is a permanent refusal.
    """

    name = "http"

    def __init__(
        self,
        url: str,
        token: str = "",
        timeout: float = 10,
        session: requests.Session | None = None,
    ) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout
        self.session = session or requests.Session()

    def send(self, phone: str, text: str, *, ref: str | None = None) -> str | None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if ref:
            headers["Idempotency-Key"] = ref
        try:
            resp = self.session.post(
                self.url, json={"to": phone, "text": text}, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            raise TransientSmsError(
                f"Cổng SMS không trả lời sau {self.timeout:g} giây.", unreachable=True
            ) from None
        except requests.RequestException as exc:
            raise TransientSmsError(
                f"Không kết nối được cổng SMS ({type(exc).__name__}).", unreachable=True
            ) from None
        status = resp.status_code
        if 200 <= status < 300:
            try:
                body = resp.json()
            except ValueError:
                body = None
            found = (body.get("id") or body.get("message_id")) if isinstance(body, dict) else None
            return str(found)[:200] if found else None
        error = f"Cổng SMS trả lỗi {status}: {resp.text[:200]}".strip().rstrip(":")
        if status >= 500 or status in (401, 403, 408, 429):
            raise TransientSmsError(error)
        raise PermanentSmsError(error)

    def close(self) -> None:
        self.session.close()


def provider_from_settings(settings: Mapping[str, Any], data_dir: Path) -> Provider:
    """The provider the hub's settings name; :class:`ValidationError` when misconfigured."""
    kind = settings["SMS_PROVIDER"]
    if kind == "log":
        return LogProvider(data_dir / "sms.log")
    if kind == "http":
        if not settings["SMS_GATEWAY_URL"]:
            raise ValidationError(
                "SMS_PROVIDER là http nhưng chưa đặt SMS_GATEWAY_URL (địa chỉ cổng SMS).",
                code="bad_setting",
                field="SMS_GATEWAY_URL",
            )
        return HttpGatewayProvider(
            settings["SMS_GATEWAY_URL"],
            settings["SMS_GATEWAY_TOKEN"] or "",
            float(settings["SMS_GATEWAY_TIMEOUT"]),
        )
    raise ValidationError(
        f"SMS_PROVIDER phải là log hoặc http, không phải '{kind}'.",
        code="bad_setting",
        field="SMS_PROVIDER",
    )


def iso_seconds(seconds: float) -> str:
    """A Unix time as ISO 8601 in UTC, to the second."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
