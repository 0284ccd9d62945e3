"""Conflicts open on the ward's records, as the hub's notices tell them, and deciding one
(docs/conflicts.md).

- ``service.py``: the open conflicts of a record or of the ward, and writing a decision;
- ``pages.py``: the conflict list (``/xung-dot``) and the decision form's route.
"""

from __future__ import annotations

from .service import all_open, decide, fields_in_conflict, open_count, open_on

__all__ = ["all_open", "decide", "fields_in_conflict", "open_count", "open_on"]
