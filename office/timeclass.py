"""A deadline's time class, computed from dates and never stored (DOMAIN.md, "Directives").

Ward and hub show the same class for the same directive, so the rule lives here once:

- open work: ``within`` the deadline, ``due_soon`` (due within 3 days, today included),
  ``overdue`` (the deadline has passed), ``no_deadline``;
- finished work: ``done_on_time`` or ``done_late``, comparing the completion date with the
  deadline by date, not by time of day (as the dossier statistics do).
"""

from __future__ import annotations

from datetime import date, timedelta

DUE_SOON_DAYS = 3

TIME_CLASSES = {
    "within": "Trong hạn",
    "due_soon": "Sắp đến hạn",
    "overdue": "Quá hạn",
    "no_deadline": "Không có hạn",
    "done_on_time": "Hoàn thành đúng hạn",
    "done_late": "Hoàn thành quá hạn",
}


def _day(value: date | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def time_class(
    deadline: date | str | None, today: date | str, completed_on: date | str | None = None
) -> str:
    """The time class (a key of :data:`TIME_CLASSES`) of work due on ``deadline``.

    Takes dates or ISO strings (a timestamp counts by its date); ``completed_on`` is set only
    for finished work. A finished task without a deadline is ``done_on_time``.
    """
    due, done = _day(deadline), _day(completed_on)
    if done is not None:
        return "done_late" if due is not None and done > due else "done_on_time"
    if due is None:
        return "no_deadline"
    now = _day(today)
    assert now is not None
    if now > due:
        return "overdue"
    if due - now <= timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "within"
