"""Concurrent edits the hub detected (docs/conflicts.md): the inbox (kept in ``store/conflicts.py``), their
resolution (``resolution.py``), the notices that tell the owning unit (``notices.py``), and
the JSON API (``api.py``) and the console's conflict pages (``pages.py``)."""

from ..store.conflicts import (
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
from .api import bp
from .notices import after_merge, publish

# The pages read the names above through this package, so they load last.
from .pages import bp as pages_bp  # noqa: E402
from .resolution import RULES, resolve, resolve_many

BLUEPRINTS = [bp, pages_bp]

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
