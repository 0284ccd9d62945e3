"""The rules of one-stop dossiers, apart from the code that applies them: the national
statuses 1–10, channels and return methods, what an edit may change, and how times are
stored. Which statuses are open, which have their clock running and when a dossier is
overdue are the office's rule, shared with the hub (``office/dossier_time.py``).

Statuses are the national 1–10 list (docs/domain.md, "Statuses and transitions"); the transitions between them, each
with who may do it, are one table in ``actions.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sync import labels

STATUS_NAMES = labels("dossier", "status")  # the national 1–10 list (schemas/dossier.json)
CHANNELS = labels("dossier", "channel")
RETURN_METHODS = labels("dossier", "return_method")
# Each step of a dossier's history in words, the portal's submission included
# (schemas/dossier_step.json): a page never shows an action's internal name.
STEP_NAMES = labels("dossier_step", "action")

EDITABLE_APPLICANT = ("phone", "address", "email")
# A ward numbers its own dossiers 0001-5000 a day; 5001-9999 are the hub's, for dossiers
# submitted online (central_hub/portal/submission.py), so the two counters never collide.
LAST_DESK_NUMBER = 5000


def now_utc() -> datetime:
    """Now, aware, in UTC (times are stored in UTC: docs/architecture.md,
    "Times, dates and money")."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime) -> str:
    """An aware datetime as stored: ISO 8601 in UTC with offset."""
    return dt.astimezone(UTC).isoformat(timespec="seconds")
