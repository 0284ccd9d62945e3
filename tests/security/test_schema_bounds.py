"""Every list, string and open object a ward or the hub can send is bounded in its schema
(docs/security.md, "Resource bounds"): nothing on the wire can grow without a limit."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from schemas import SCHEMA_DIR

UNBOUNDED_PATTERN = re.compile(r"[+*]|\{\d+,\}")


def _repeats_without_bound(pattern: str) -> bool:
    """Whether a pattern lets some part repeat without a bound (``+``, ``*``, ``{n,}``)."""
    plain = re.sub(r"\\.", "", pattern)  # escaped characters (\+, \.) repeat nothing
    plain = re.sub(r"\[[^\]]*\]", "C", plain)  # a class ([+-]) is one character
    return bool(UNBOUNDED_PATTERN.search(plain))


def _unbounded(node: Any, path: str) -> list[str]:
    if not isinstance(node, dict):
        return []
    found = []
    kinds = node.get("type")
    kinds = {kinds} if isinstance(kinds, str) else set(kinds or ())
    if "string" in kinds and not {"maxLength", "enum", "const"} & node.keys():
        pattern = node.get("pattern")
        if pattern is None or _repeats_without_bound(pattern):
            found.append(f"{path}: string without maxLength")
    if "array" in kinds and "maxItems" not in node:
        found.append(f"{path}: array without maxItems")
    if (
        "object" in kinds
        and node.get("additionalProperties", True) is not False
        and "maxProperties" not in node
    ):
        found.append(f"{path}: open object without maxProperties")
    for name, sub in node.get("properties", {}).items():
        found += _unbounded(sub, f"{path}.{name}")
    for key in ("items", "additionalProperties"):
        found += _unbounded(node.get(key), f"{path}[{key}]")
    for key in ("anyOf", "oneOf"):
        for i, sub in enumerate(node.get(key, [])):
            found += _unbounded(sub, f"{path}|{key}{i}")
    return found


@pytest.mark.parametrize("path", sorted(SCHEMA_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_every_list_string_and_open_object_of_a_schema_is_bounded(path: Any) -> None:
    assert _unbounded(json.loads(path.read_text(encoding="utf-8")), path.stem) == []


def test_the_bound_check_sees_what_it_must() -> None:
    assert _unbounded({"type": "string", "pattern": "^[0-9]+$"}, "x")
    assert not _unbounded({"type": "string", "pattern": "^\\+84[0-9]{9}$"}, "x")
    assert _unbounded({"type": "array", "items": {"type": "integer"}}, "x")
    assert _unbounded({"type": "object"}, "x")
