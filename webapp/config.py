"""Settings loading shared by both apps: declared defaults, then the data folder's
``config.json``, then ``PREFIX_*`` environment variables, then explicit overrides."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sync import ValidationError


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
