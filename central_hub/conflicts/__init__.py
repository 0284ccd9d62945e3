"""Concurrent edits the hub detected (docs/conflicts.md): the inbox (``inbox.py``), their
resolution (``resolution.py``), the notices that tell the owning unit (``notices.py``), and
the JSON API (``api.py``)."""

from .api import bp
from .inbox import (
    HUB_PLACE,
    STATES,
    base_side,
    by_notice,
    get_conflict,
    list_conflicts,
    open_on,
    record_clashes,
    resolutions,
)
from .notices import after_merge, publish
from .resolution import RULES, resolve, resolve_many

BLUEPRINTS = [bp]

__all__ = [
    "BLUEPRINTS",
    "HUB_PLACE",
    "RULES",
    "STATES",
    "after_merge",
    "base_side",
    "by_notice",
    "get_conflict",
    "list_conflicts",
    "open_on",
    "publish",
    "record_clashes",
    "resolutions",
    "resolve",
    "resolve_many",
]
