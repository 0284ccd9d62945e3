"""What a citizen is told to bring: the papers a supplement request lists (form 02,
docs/domain.md, "Supplements"), read the same way by the ward's forms and the hub's portal.

A request lists its papers in the step's note, one per line (or per ";"), as the desk types
them; a step that carries a structured ``papers`` list (a later release may write one) is read
from that list instead, and its note is then a separate remark to the citizen.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["paper_lines", "supplement_papers"]

_BULLET = re.compile(r"^\s*(?:[-–•*+]|\d{1,2}[.)])\s*")


def paper_lines(note: str | None) -> list[str]:
    """The papers written in a note: one per line (or per ";"), without the bullets or
    numbers the clerk typed; ``[]`` for an empty note."""
    parts = (_BULLET.sub("", part).strip() for part in re.split(r"[\n;]+", note or ""))
    return [part for part in parts if part]


def supplement_papers(step: dict[str, Any]) -> tuple[list[str], str | None]:
    """The papers a supplement request ``step`` asks for, and the remark to show beside them
    (None when the note is the list itself). Reads a structured ``papers`` list (names, or
    objects with a ``name``) when the step has one, else the note's lines."""
    listed = step.get("papers")
    note = (step.get("note") or "").strip() or None
    if isinstance(listed, list) and listed:
        names = [
            str(p.get("name") if isinstance(p, dict) else p).strip()
            for p in listed
            if (p.get("name") if isinstance(p, dict) else p)
        ]
        return [n for n in names if n], note
    return paper_lines(note), None
