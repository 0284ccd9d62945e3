"""JSON read from requests, with a bound on nesting depth (docs/security.md, "Resource bounds").

Python's parser answers ``[[[[…]]]]`` a thousand levels deep with ``RecursionError``, which no
error handler expects (a 500), and a few hundred levels still reach the recursion limit in the
code that walks the value afterwards (schema validation, canonical encoding). No body the apps
take is nested more than a few levels, so anything deeper than :data:`MAX_DEPTH` is refused
with :class:`JsonTooDeep`, a 400 that says so.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import SyncError

MAX_DEPTH = 32


class JsonTooDeep(SyncError):
    """Raised when a JSON body nests arrays and objects deeper than :data:`MAX_DEPTH`."""

    status = 400
    code = "json_too_deep"


def loads_bounded(data: str | bytes | bytearray, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """``json.loads(data)``, refusing values nested deeper than ``max_depth``.

    Raises :class:`JsonTooDeep` for a too-deep value and ``ValueError`` for text that is not
    JSON, as ``json.loads`` does.
    """
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise _too_deep(max_depth) from None
    if depth(value) > max_depth:
        raise _too_deep(max_depth)
    return value


def depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (0 for a scalar); no recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        stack.extend((child, level) for child in children)
    return deepest


def _too_deep(max_depth: int) -> JsonTooDeep:
    return JsonTooDeep(
        f"Nội dung JSON lồng nhau quá sâu (tối đa {max_depth} tầng). Hãy gửi dữ liệu phẳng hơn.",
        max_depth=max_depth,
    )
