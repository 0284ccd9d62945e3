"""``GET /metrics`` on both apps: Prometheus' text format, for the city's operators.

Who may read it (docs/operations.md, "Giám sát"):

- a request made on the machine itself (the loopback address) that no proxy forwarded: a
  Prometheus, or an operator's ``curl``, on the same server. A request that carries a
  forwarding header (``X-Forwarded-For``, ``Forwarded``, ``X-Real-IP``) came through a proxy,
  whose own address is loopback, and is never taken as local: the proxy's public side must not
  open the metrics to the internet;
- a request with ``Authorization: Bearer`` and the ``METRICS_TOKEN`` setting's value (a
  Prometheus on another machine);
- a request with a user's bearer token (``POST /api/v1/auth/token``) of one of the roles the
  app names (the hub's ``admin``/``operator``, a ward's ``admin``).

Anyone else gets 401 (no credentials) or 403 (credentials that do not fit), as JSON.

What is exported is the app's: each app hands :func:`install_metrics` a function that yields
the metric families computed at scrape time from its store, and the registry of the
histograms and counters its views observe. With the environment variable
``PROMETHEUS_MULTIPROC_DIR`` set (several hub processes on one port, ``serve --reuse-port``),
those are read from every process's files in that folder (prometheus-client's multiprocess
mode), so whichever process answers the scrape tells the sum of all.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, Response, current_app, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from .errors import error_json
from .session import bearer, token_user

# The setting both apps declare (each app's settings.py adds it): (name, default, help).
METRICS_SETTINGS: list[tuple[str, Any, str]] = [
    (
        "METRICS_TOKEN",
        "",
        "bearer token that lets a Prometheus on another machine read /metrics (empty: only "
        "from this machine, or with an administrator's API token)",
    ),
]

FORWARDED_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
METRICS_REFUSED = (
    "Chỉ đọc được số liệu giám sát từ chính máy chủ, hoặc gửi kèm mã METRICS_TOKEN hay mã "
    "truy cập của quản trị viên (Authorization: Bearer)."
)

Families = Callable[[], Iterable[Metric]]


class _Scrape(Collector):
    """What one scrape exports: the store's families, then the observed ones."""

    def __init__(self, families: Families, observed: CollectorRegistry) -> None:
        self.families, self.observed = families, observed

    def collect(self) -> Iterator[Metric]:
        yield from self.families()
        yield from _observed(self.observed).collect()


def _observed(registry: CollectorRegistry) -> CollectorRegistry:
    """The histograms and counters: this process's, or every process's in multiprocess mode."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return registry
    merged = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(merged, path=folder)  # type: ignore[no-untyped-call]
    return merged


def is_local_request() -> bool:
    """Whether this request comes from the machine itself, straight (no proxy forwarded it)."""
    if any(request.headers.get(name) for name in FORWARDED_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def metrics_allowed(roles: tuple[str, ...]) -> int | None:
    """``None`` when this request may read the metrics, else the status to refuse it with."""
    token = bearer()
    if token is None:
        return None if is_local_request() else 401
    expected = str(current_app.config.get("METRICS_TOKEN") or "")
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return None
    user = token_user()
    if user is not None and user.role in roles:
        return None
    return 403 if user is not None else 401


def install_metrics(
    app: Flask, families: Families, observed: CollectorRegistry, roles: tuple[str, ...]
) -> None:
    """Serve ``GET /metrics`` on ``app``: ``families()`` (computed at each scrape) and the
    metrics of ``observed``, to the readers the module's docstring names; ``roles`` are the
    users' roles whose API token is enough."""

    def metrics() -> Response:
        refused = metrics_allowed(roles)
        if refused is not None:
            resp = error_json(refused, "metrics_refused", METRICS_REFUSED)
            if refused == 401:
                resp.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return resp
        body = generate_latest(_Scrape(families, observed))
        # The text format 0.0.4, which every Prometheus reads (Debian 12's 2.42 among them).
        resp = Response(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])
