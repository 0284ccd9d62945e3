"""The real client behind a reverse proxy, believed only from the proxy (docs/operations.md,
"HTTPS").

Behind nginx every connection comes from the proxy's address, so the rate limits of the portal,
login throttling and the access log would see one client. The proxy says who its client was in
``X-Forwarded-For`` and whether it came over HTTPS in ``X-Forwarded-Proto``; anybody can send
those headers, so they are read only on connections whose peer is one of ``TRUSTED_PROXIES``
(addresses or networks). From any other peer they are not read: a forged ``X-Forwarded-For``
sent straight to the app changes neither the client's address nor the scheme. They are left in
place all the same, for what reads them as a sign that a proxy is involved (``/metrics`` is
then never "this machine's own" request, webapp/metrics.py).

No web framework is imported here except werkzeug's ``ProxyFix``: the app is any WSGI callable.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

from sync import ValidationError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(value: str | Iterable[str]) -> tuple[Network, ...]:
    """The networks of a ``TRUSTED_PROXIES`` setting: addresses or networks (``127.0.0.1``,
    ``10.46.0.0/24``, ``::1``) separated by commas or spaces; empty: none.

    Raises :class:`ValidationError` naming the first entry that is not an address."""
    words = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    found = []
    for word in words:
        try:
            found.append(ipaddress.ip_network(word.strip(), strict=False))
        except ValueError as exc:
            raise ValidationError(
                f"Thiết lập 'TRUSTED_PROXIES': '{word}' không phải địa chỉ IP hay dải địa chỉ "
                "(ví dụ 127.0.0.1 hoặc 10.46.0.0/24). Hãy ghi địa chỉ của máy chạy nginx.",
                code="bad_setting",
                field="TRUSTED_PROXIES",
            ) from exc
    return tuple(found)


def _peer_in(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # a dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d
    return any(ip in net for net in networks)


class TrustedProxies:
    """WSGI middleware: on a connection from one of ``networks``, the client's address and
    scheme are the proxy's ``X-Forwarded-For`` and ``X-Forwarded-Proto`` (one proxy: the last
    address it appends, werkzeug's ``ProxyFix``); from any other peer the peer is the client
    and the scheme the connection's."""

    def __init__(self, app: Callable[..., Any], networks: tuple[Network, ...]) -> None:
        self.app = app
        self.networks = networks
        self._fixed = ProxyFix(app, x_for=1, x_proto=1)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.networks and _peer_in(str(environ.get("REMOTE_ADDR", "")), self.networks):
            return self._fixed(environ, start_response)
        return self.app(environ, start_response)
