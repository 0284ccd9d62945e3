"""How both apps' ``serve`` run waitress: every limit chosen, none left to its default.

waitress's defaults hold 100 connections and close an idle one after 120 s, so 110 clients
that open a connection and never finish their headers (slowloris) kept a ward's desk waiting
for minutes. Here (docs/security.md, "Resource bounds"):

- ``MAX_CONNECTIONS`` connections (default 500) are held, watched with ``poll`` (``select``
  cannot watch more than 1024 descriptors) and the process's descriptor limit raised to fit;
- a connection must send its request's headers within ``HEADER_TIMEOUT`` seconds of their
  first byte, however slowly it drips them, and an idle one is closed after
  ``CONNECTION_TIMEOUT`` seconds; the sweep runs every few seconds;
- headers are bounded, and bodies to the app's own ``MAX_CONTENT_LENGTH``, so waitress refuses
  an oversized body before buffering it; what waitress itself refuses is answered like the
  apps' own errors, in Vietnamese (JSON under the machine paths, a short page elsewhere);
- an app's admission control (``app.extensions["admission"]``, ``admission.py``) is told the
  threads and counts the requests waiting for one.

No web framework is imported here: the app is any WSGI callable.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

MAX_HEADER_BYTES = 64 * 1024
CLEANUP_INTERVAL = 2  # seconds between sweeps for idle and slow connections
BACKLOG = 1024
RECV_BYTES = 64 * 1024


def waitress_options(
    settings: Mapping[str, Any], *, threads: int, max_body: int, ident: str
) -> dict[str, Any]:
    """waitress's settings for an app with these ``settings`` and largest body ``max_body``."""
    return {
        "threads": threads,
        "ident": ident,
        "connection_limit": int(settings["MAX_CONNECTIONS"]),
        "channel_timeout": int(settings["CONNECTION_TIMEOUT"]),
        "cleanup_interval": CLEANUP_INTERVAL,
        "max_request_header_size": MAX_HEADER_BYTES,
        # waitress refuses a Content-Length >= its limit; the app accepts up to max_body.
        "max_request_body_size": max_body + 1,
        "recv_bytes": RECV_BYTES,
        "backlog": BACKLOG,
        "asyncore_use_poll": True,
        "expose_tracebacks": False,
        # waitress would drop every X-Forwarded-* header (it trusts one proxy address at most);
        # the apps decide themselves whom to believe, from TRUSTED_PROXIES networks
        # (webapp/proxy.py).
        "clear_untrusted_proxy_headers": False,
    }


def serve(
    app: Any,
    *,
    host: str,
    port: int,
    threads: int,
    ident: str,
    background: Iterable[Any | None] = (),
    reuse_port: bool = False,
) -> None:
    """Run the Flask ``app`` on waitress at ``host:port`` until interrupted, with its settings
    (``app.config``: connections, timeouts, the body limit); then stop the ``background``
    threads it started (each has ``stop()``; ``None`` for one turned off).

    With ``reuse_port`` the port is opened with ``SO_REUSEPORT``: several processes serve it
    together and the kernel spreads new connections between them (Linux;
    docs/operations.md, "Several hub processes")."""
    try:
        _serve(
            app,
            app.config,
            host=host,
            port=port,
            threads=threads,
            ident=ident,
            reuse_port=reuse_port,
        )
    finally:
        for thread in background:
            if thread is not None:
                thread.stop()


def _serve(
    app: Callable[..., Any],
    settings: Mapping[str, Any],
    *,
    host: str,
    port: int,
    threads: int,
    ident: str,
    reuse_port: bool = False,
) -> None:
    import waitress

    max_body = int(settings["MAX_CONTENT_LENGTH"])
    extensions = getattr(app, "extensions", {})
    admission = extensions.get("admission")

    options = waitress_options(settings, threads=threads, max_body=max_body, ident=ident)
    _raise_descriptor_limit(int(settings["MAX_CONNECTIONS"]) + 256)
    header_timeout = float(settings["HEADER_TIMEOUT"])

    def create(application: Any, **kw: Any) -> Any:
        from waitress.server import BaseWSGIServer, create_server

        server = create_server(application, **kw)
        if admission is not None:
            # What waits in waitress's queue for a thread is in flight too (webapp/admission.py).
            queue = server.task_dispatcher.queue
            admission.attach(threads, lambda: len(queue))
        # One listening server, or several (a host name with IPv4 and IPv6 addresses).
        listening = [server] if isinstance(server, BaseWSGIServer) else server.map.values()
        for each in listening:
            if isinstance(each, BaseWSGIServer):
                each.channel_class = _deadline_channel(each.channel_class, header_timeout)
        return server

    if reuse_port:
        waitress.serve(app, sockets=[_shared_socket(host, port)], _server=create, **options)
    else:
        waitress.serve(app, host=host, port=port, _server=create, **options)


def _shared_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` that other processes may bind too (``SO_REUSEPORT``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _deadline_channel(base: type, header_timeout: float) -> type:
    """``base`` (waitress's HTTP channel) closing connections slow to send their headers."""

    class DeadlineChannel(base):  # type: ignore[misc]
        # When the request now being read got its first byte (monotonic clock).
        _request_started: float | None = None

        def received(self, data: bytes) -> bool:
            if self.request is None and data:
                self._request_started = time.monotonic()
            return bool(super().received(data))

        def readable(self) -> bool:
            # The main loop asks every channel this about once a second: a request whose
            # headers are still incomplete after the deadline is dropped, however slowly
            # its client keeps dripping bytes to look alive.
            started = self._request_started
            request = self.request
            if (
                started is not None
                and request is not None
                and not request.headers_finished
                and time.monotonic() - started > header_timeout
            ):
                self.will_close = True
            return bool(super().readable())

    waitress_channel: Any = base
    DeadlineChannel.error_task_class = _vietnamese_errors(waitress_channel.error_task_class)
    DeadlineChannel.__name__ = DeadlineChannel.__qualname__ = "DeadlineChannel"
    return DeadlineChannel


# What waitress refuses before the app sees the request, said as the apps say it.
ERRORS = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    413: ("payload_too_large", "Nội dung gửi lên quá lớn. Hãy gửi tệp hoặc dữ liệu nhỏ hơn."),
    431: (
        "headers_too_large",
        "Phần đầu của yêu cầu quá lớn. Hãy xóa cookie của trang này rồi thử lại.",
    ),
}
MACHINE_PATHS = ("/api/", "/sync/", "/console/api/", "/healthz")


def _vietnamese_errors(base: type) -> type:
    """``base`` (waitress's error task) answering in the apps' words."""

    class VietnameseErrorTask(base):  # type: ignore[misc]
        def execute(self) -> None:
            error = self.request.error
            code, message = ERRORS.get(error.code, ("bad_request", ERRORS[400][1]))
            path = str(getattr(self.request, "path", "") or "")
            if path.startswith(MACHINE_PATHS):
                kind = "application/json"
                body = json.dumps(
                    {"error": {"code": code, "message": message}}, ensure_ascii=False
                ).encode()
            else:
                kind = "text/html"
                body = (
                    '<!doctype html><html lang="vi"><meta charset="utf-8"><title>Lỗi</title>'
                    f"<p>{message}</p></html>"
                ).encode()
            self.status = f"{error.code} {error.reason}"
            self.response_headers.append(("Content-Type", f"{kind}; charset=utf-8"))
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    return VietnameseErrorTask


def _raise_descriptor_limit(wanted: int) -> None:
    """Raise the soft limit on open files towards ``wanted`` (within the hard limit)."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
