"""Jinja filters of the ward node's pages: times in Asia/Ho_Chi_Minh, money in VND.

Records keep times as ISO 8601 strings in UTC; staff read them as local ``dd/mm/yyyy HH:MM``
(DESIGN.md, "Operations").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask

from .deadlines import VIETNAM


def _local(value: Any) -> datetime | None:
    """``value`` (ISO string or datetime) in Vietnam time; ``None`` when empty or unreadable."""
    if not value:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # stored times are UTC even without an offset
    return moment.astimezone(VIETNAM)


def vn_datetime(value: Any) -> str:
    """``"2026-11-27T03:05:00+00:00"`` → ``"27/11/2026 10:05"``; ``""`` for ``None``.

    A string that is not a time is shown as it is rather than hidden.
    """
    moment = _local(value)
    if moment is None:
        return "" if not value else str(value)
    return moment.strftime("%d/%m/%Y %H:%M")


def vn_date(value: Any) -> str:
    """``"2026-11-27T18:00:00+00:00"`` → ``"28/11/2026"`` (the local date); ``""`` for ``None``."""
    moment = _local(value)
    if moment is None:
        return "" if not value else str(value)
    return moment.strftime("%d/%m/%Y")


def vnd(value: Any) -> str:
    """An amount in đồng with "." between thousands: ``8000`` → ``"8.000 đ"``; ``""`` for ``None``."""
    if value is None or value == "":
        return ""
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{amount:,}".replace(",", ".") + " đ"


def register(app: Flask) -> None:
    """Add the filters ``vn_datetime``, ``vn_date`` and ``vnd`` to ``app``'s templates."""
    app.add_template_filter(vn_datetime, "vn_datetime")
    app.add_template_filter(vn_date, "vn_date")
    app.add_template_filter(vnd, "vnd")
