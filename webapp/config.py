"""Settings loading shared by both apps: declared defaults, then the data folder's
``config.json``, then ``PREFIX_*`` environment variables, then explicit overrides."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sync import ValidationError

# The settings of the web plumbing, the same in both apps (each app's ``settings.py`` adds
# them to its own): (name, default, help).
WEB_SETTINGS: list[tuple[str, Any, str]] = [
    ("SECRET_KEY", None, "key signing session cookies (generated in the data folder if unset)"),
    ("PUBLIC_LOOKUP_PER_MINUTE", 20, "public status look-ups allowed per client address a minute"),
    (
        "SESSION_IDLE_MINUTES",
        120,
        "a login session unused this many minutes ends (the user logs in again)",
    ),
    ("SESSION_MAX_HOURS", 10, "a login session ends this many hours after the login, used or not"),
    (
        "HTTPS",
        False,
        "1 when people reach the app over HTTPS (a TLS proxy in front): session cookies are then "
        "sent over HTTPS only",
    ),
    ("MAX_CONNECTIONS", 500, "most client connections the server holds open at once"),
    (
        "HEADER_TIMEOUT",
        20,
        "seconds a client has to send a request's headers before its connection is closed",
    ),
    ("CONNECTION_TIMEOUT", 30, "seconds an idle kept-alive connection stays open"),
    (
        "TRUSTED_PROXIES",
        "",
        "addresses or networks of the reverse proxy (127.0.0.1, 10.46.0.0/24; comma-separated): "
        "only on connections from them are X-Forwarded-For and X-Forwarded-Proto believed; "
        "empty: never",
    ),
    ("LOG_LEVEL", "INFO", "what serve logs: DEBUG, INFO, WARNING or ERROR (--log-level)"),
    (
        "LOG_FORMAT",
        "text",
        "serve's log lines: text, or json (one JSON object a line, for a collector; --log-format)",
    ),
]


def load_settings(
    declared: Sequence[tuple[str, Any, str]],
    prefix: str,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Resolve every declared setting; :class:`ValidationError` names an unknown key.

    ``DATA`` is resolved first (override, then ``PREFIX_DATA``, then its default) because
    the data folder's ``config.json`` is one of the sources.
    """
    env = os.environ if environ is None else environ
    values = {name: default for name, default, _ in declared}
    overrides = dict(overrides or {})
    data = Path(overrides.get("DATA") or env.get(f"{prefix}_DATA") or values["DATA"])
    sources: list[tuple[str, Mapping[str, Any]]] = []
    cfg_file = data / "config.json"
    if cfg_file.exists():
        sources.append((str(cfg_file), json.loads(cfg_file.read_text(encoding="utf-8"))))
    sources.append(
        (
            f"${prefix}_*",
            {k[len(prefix) + 1 :]: v for k, v in env.items() if k.startswith(prefix + "_")},
        )
    )
    sources.append(("config", overrides))
    for where, source in sources:
        for key, value in source.items():
            if key not in values:
                raise ValidationError(
                    f"Thiết lập '{key}' (trong {where}) không tồn tại; các thiết lập: "
                    f"{', '.join(values)}.",
                    code="unknown_setting",
                    field=key,
                )
            default = values[key]
            if isinstance(default, bool) and isinstance(value, str):
                value = _boolean(key, value)
            if (
                isinstance(default, int)
                and not isinstance(default, bool)
                and isinstance(value, str)
            ):
                try:
                    value = int(value)
                except ValueError as exc:
                    raise ValidationError(
                        f"Thiết lập '{key}' phải là số nguyên.", code="bad_setting", field=key
                    ) from exc
            values[key] = value
    values["DATA"] = str(data)
    return values


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _boolean(key: str, value: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise ValidationError(
        f"Thiết lập '{key}' phải là 1 hoặc 0 (true hoặc false).", code="bad_setting", field=key
    )


def session_cookie(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The web apps' session cookie settings for ``settings``: never readable by scripts,
    not sent on cross-site requests other than top-level links, and over HTTPS only when
    ``HTTPS`` says the app is served that way (docs/security.md, "Sessions, tokens and CSRF")."""
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": bool(settings["HTTPS"]),
    }
