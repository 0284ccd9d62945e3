"""HTTP transport of the node protocol: envelopes in, envelopes out, errors as exceptions."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ReadTimeoutError

from .errors import HubBusy, RemoteRefused, TransportError

ENVELOPE_TYPE = "application/vnd.wardsync.envelope"


def _unreachable(url: str, exc: requests.RequestException) -> str:
    """Why the hub could not be reached, in words (the exception class stays in the log)."""
    if isinstance(exc, requests.Timeout):
        why = "máy chủ không trả lời kịp (quá thời gian chờ)"
    elif isinstance(exc, requests.ConnectionError):
        why = "máy chủ đang tắt hoặc đường truyền bị mất"
    else:
        why = "lỗi đường truyền"
    return f"Không kết nối được máy chủ trung tâm {url}: {why}. Dữ liệu vẫn lưu ở phường và sẽ gửi khi có mạng."


# A hub that hangs (a stopped process, a router that black-holes packets: the connection is
# accepted and nothing answers) must read as offline within a minute, not leave the desk
# looking at "syncing" (docs/sync.md, "A hanging link"). A handshake on the city's network
# takes milliseconds; the hub applies a push of 5,000 changes in about a second and answers a
# pull at once, so 30 s without a byte is a dead link; and no request, however it trickles,
# takes longer than two minutes.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
REQUEST_DEADLINE = 120.0
_READ_BLOCK = 64 * 1024


class _Watch:
    """The connections one request uses, cut when its overall deadline passes.

    A socket's timeout bounds each read, never their sum: a peer that trickles a byte every
    few seconds, in the head or the body, would hold the request for hours. Shutting the
    socket down from a timer wakes the blocked read at once.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._conns: list[Any] = []
        self._done = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self._timer.start()

    def add(self, conn: Any) -> None:
        with self._lock:
            self._conns.append(conn)

    def finish(self) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()

    def _cut(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for conn in self._conns:
                sock = getattr(conn, "sock", None)
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass


_current = threading.local()  # the _Watch of the request this thread is making


def _watched(base: type[HTTPConnectionPool]) -> type[HTTPConnectionPool]:
    class Watched(base):  # type: ignore[valid-type,misc]
        """A pool that shows the current request's watch the connection it sends on."""

        def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
            watch = getattr(_current, "watch", None)
            if watch is not None:
                watch.add(conn)
            return super()._make_request(conn, *args, **kwargs)

    return Watched


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _watched(HTTPConnectionPool),
            "https": _watched(HTTPSConnectionPool),
        }


@dataclass(frozen=True)
class Reply:
    """An answer read in full: its status, body and headers."""

    status_code: int
    content: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The body as JSON (ValueError when it is not)."""
        return json.loads(self.content)


class HttpTransport:
    """Posts envelopes to a hub (or any peer) over HTTP or HTTPS; the envelope is the security.

    Every request has a connect deadline, a deadline between bytes and an overall deadline;
    past any of them it fails with :class:`TransportError` (code ``timeout``). Over HTTPS the
    hub's certificate is checked against ``ca_bundle`` (a PEM file of the CAs to trust, the
    city's own CA) when given, else against the CAs ``requests`` ships (certifi): a
    certificate neither trusts fails as ``tls`` (docs/security.md, "HTTPS").
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = READ_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        deadline: float = REQUEST_DEADLINE,
        ca_bundle: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self.deadline = max(deadline, timeout)
        self.session = requests.Session()
        # The intranet has no proxy; never let an environment proxy see sync traffic.
        self.session.trust_env = False
        self.session.verify = ca_bundle or True
        self.session.mount("http://", _WatchedAdapter())
        self.session.mount("https://", _WatchedAdapter())

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def post(self, path: str, body: bytes) -> bytes:
        """POST an envelope; return the reply body.

        Raises :class:`TransportError` when the peer cannot be reached or fails (5xx),
        :class:`HubBusy` when it answers 503 with a time to come back (``Retry-After``), and
        :class:`RemoteRefused` when it refuses with a 4xx (its message kept).
        """
        resp = self._request("POST", path, data=body, headers={"Content-Type": ENVELOPE_TYPE})
        return self._check(resp)

    def get_json(self, path: str) -> Any:
        """GET a JSON document (the hub's public identity)."""
        resp = self._request("GET", path)
        self._check(resp)
        try:
            return resp.json()
        except ValueError as exc:
            raise TransportError(
                "Máy chủ trung tâm trả lời không phải JSON.", code="bad_reply"
            ) from exc

    def _request(self, method: str, path: str, **kwargs: Any) -> Reply:
        """One request within the three deadlines, its body read in full."""
        watch = _current.watch = _Watch(self.deadline)
        try:
            resp = self.session.request(
                method,
                self.base_url + path,
                timeout=(self.connect_timeout, self.timeout),
                stream=True,
                **kwargs,
            )
            with resp:
                body = b"".join(resp.iter_content(_READ_BLOCK))
            if watch.expired:  # an answer without a length looks whole when its socket is cut
                raise requests.Timeout("overall deadline")
            return Reply(resp.status_code, body, resp.headers)
        except requests.RequestException as exc:
            # requests reports a stall in the body as a ConnectionError around urllib3's
            # timeout; a request cut at the overall deadline fails however it can.
            stalled = (
                watch.expired
                or isinstance(exc, requests.Timeout)
                or any(isinstance(arg, ReadTimeoutError) for arg in exc.args)
            )
            if isinstance(exc, requests.exceptions.SSLError):
                raise TransportError(
                    f"Không tin được chứng chỉ HTTPS của máy chủ trung tâm {self.base_url}: "
                    "hãy kiểm tra thiết lập HUB_CA_BUNDLE (tệp chứng chỉ CA của thành phố) và "
                    "địa chỉ máy chủ. Dữ liệu vẫn lưu ở phường.",
                    code="tls",
                ) from exc
            raise TransportError(
                _unreachable(self.base_url, requests.Timeout() if stalled else exc),
                code="timeout" if stalled else "unreachable",
            ) from exc
        finally:
            watch.finish()
            _current.watch = None

    @staticmethod
    def _check(resp: Any) -> bytes:
        """The body of a 2xx answer (``resp``: a :class:`Reply` or alike); the error otherwise."""
        if resp.status_code < 300:
            return bytes(resp.content)
        code, message = "refused", f"Máy chủ trung tâm trả lời HTTP {resp.status_code}."
        try:
            err = resp.json()["error"]
            code, message = str(err["code"]), str(err["message"])
        except (ValueError, KeyError, TypeError):
            pass
        if resp.status_code == 503 and (code == HubBusy.code or _header(resp, "Retry-After")):
            # The hub is under pressure and said when to come back: not an outage
            # (docs/operations.md, "Under pressure").
            raise HubBusy(message, retry_after=retry_after(_header(resp, "Retry-After")))
        if resp.status_code >= 500:
            raise TransportError(message, code="hub_error", http_status=resp.status_code)
        raise RemoteRefused(message, code=code, http_status=resp.status_code)


BUSY_RETRY_DEFAULT = 2.0  # seconds, when a busy hub's Retry-After is missing or unreadable
BUSY_RETRY_MAX = 60.0  # a hub asking for longer is waited for this long at most


def retry_after(value: str | None) -> float:
    """Seconds to wait from a ``Retry-After`` header (a number of seconds; an HTTP date or
    garbage counts as :data:`BUSY_RETRY_DEFAULT`), within 0 and :data:`BUSY_RETRY_MAX`."""
    try:
        seconds = float(value) if value is not None else BUSY_RETRY_DEFAULT
    except ValueError:
        seconds = BUSY_RETRY_DEFAULT
    if seconds != seconds:  # NaN
        seconds = BUSY_RETRY_DEFAULT
    return min(max(seconds, 0.0), BUSY_RETRY_MAX)


def _header(resp: Any, name: str) -> str | None:
    """A header of ``resp`` (a :class:`Reply` or alike; one without headers has none)."""
    headers = getattr(resp, "headers", None) or {}
    value = headers.get(name)
    return None if value is None else str(value)
