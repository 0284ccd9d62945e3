"""What a node of another release can take: the hub judges each change it would send.

Wards are upgraded on different days, so the hub talks to nodes of older releases
(docs/upgrades.md, "The promise"). A node tells the hub which record schemas it knows: from
release 0.2.0 a fingerprint in every request (``status.schema_fingerprint``) and the schemas
themselves once, when the hub asks; nodes of release 0.1.0 report only their software, and
the hub keeps their schemas (``schemas/releases/0.1.0.json``).

A :class:`Receiver` holds what one node knows and judges a change against it:

- a change the node can take is sent as it is;
- fields the node does not know yet (an optional field a newer release added) are sent to a
  node that keeps them aside (release 0.2.0 and later, ``_extra`` in ``sync/replica.py``);
  to a node of release 0.1.0, which would refuse the whole batch, the hub sends the fields it
  knows and keeps the rest waiting for its upgrade (per-field last-writer-wins makes a change
  delivered in two parts converge to the same record);
- a record type the node does not know, or a value its schema refuses (a new status, a
  longer text), needs the newer release: the whole change waits, and so does every later
  change of the same record, so the node never holds a record its release cannot read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jsonschema_rs

from schemas import SCHEMA_DIR

from .schemas import record_schemas, schema_fingerprint

# This release, as both apps record it in their stores' migrations and report it. The package
# version (ward_node.__version__, which setup.cfg reads) is the same; a test holds them equal.
RELEASE = "0.2.0"
# The release whose nodes report no schema fingerprint: the last one before them.
LEGACY_RELEASE = "0.1.0"
_RELEASE = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def release_of(software: str | None) -> tuple[int, int, int] | None:
    """The ``(major, minor, patch)`` in a software string (``wardsync 0.2.0``), or ``None``."""
    found = _RELEASE.search(software or "")
    return None if found is None else (int(found[1]), int(found[2]), int(found[3]))


@dataclass(frozen=True)
class Verdict:
    """What of one change a node gets now, and what waits for its upgrade."""

    send: dict[str, Any] | None  # the fields sent now; None when nothing is
    waiting: tuple[str, ...]  # the fields that wait (all of them when ``whole``)
    whole: bool
    reason: str


@dataclass
class Receiver:
    """The record schemas one node knows, and whether it keeps fields it does not know."""

    key: str  # the node's schema fingerprint, or "release:<version>" for a legacy node
    schemas: dict[str, dict[str, Any]] = field(repr=False)
    keeps_unknown: bool
    _validators: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def current(cls) -> Receiver:
        """A node of this very release: it takes everything."""
        return _current()

    @classmethod
    def legacy(cls) -> Receiver:
        """A node of release 0.1.0, which reports no fingerprint and refuses unknown fields."""
        return _legacy()

    @property
    def everything(self) -> bool:
        """Whether the node knows exactly the record schemas of this release."""
        return self.key == schema_fingerprint()

    def judge(self, type_name: str, fields: dict[str, Any]) -> Verdict | None:
        """``None`` when the node takes the change as it is; else what it gets now and what
        waits for its upgrade, with why (in Vietnamese, for the console)."""
        schema = self.schemas.get(type_name)
        if schema is None:
            return Verdict(
                None,
                tuple(fields),
                True,
                f"loại bản ghi '{type_name}' chưa có ở phiên bản của nút",
            )
        props = schema.get("properties", {})
        known = {k: v for k, v in fields.items() if k in props}
        if not self._valid(type_name, schema, known):
            bad = next((k for k in known if not self._valid(type_name, schema, {k: known[k]})), "?")
            return Verdict(
                None, tuple(fields), True, f"giá trị trường '{bad}' cần phiên bản mới hơn"
            )
        unknown = tuple(k for k in fields if k not in props)
        if not unknown or self.keeps_unknown:
            return None
        return Verdict(
            known or None,
            unknown,
            False,
            f"trường {', '.join(unknown)} chưa có ở phiên bản của nút",
        )

    def _valid(self, type_name: str, schema: dict[str, Any], fields: dict[str, Any]) -> bool:
        check = self._validators.get(type_name)
        if check is None:
            partial = {k: v for k, v in schema.items() if k != "required"}
            check = self._validators[type_name] = jsonschema_rs.Draft202012Validator(
                partial, offline=True
            )
        try:
            return bool(check.is_valid(fields))
        except ValueError:
            return False


@cache
def _current() -> Receiver:
    return Receiver(schema_fingerprint(), record_schemas(), keeps_unknown=True)


@cache
def _legacy() -> Receiver:
    path = SCHEMA_DIR / "releases" / f"{LEGACY_RELEASE}.json"
    schemas: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return Receiver(f"release:{LEGACY_RELEASE}", schemas, keeps_unknown=False)
