"""The office's rules both apps apply, that are not the sync engine: Huế time and the display
of dates, money and QR codes, the weekly schedule, the time class of a directive, what the
system holds of a secret document, and the values people type into a record's fields.

The apps import from this package only, never from its inner modules (docs/architecture.md).
"""

from . import fieldvalues
from .display import VIETNAM, form_day, local_time, qr_svg, vn_date, vn_datetime, vnd
from .schedule import SCHEDULED, WEEKDAYS, schedule_rows, to_ics, week_of
from .secrecy import (
    SECRET_RESULT,
    SECRET_SUMMARY,
    SecretContent,
    check_secret_changes,
    is_secret,
    secret_content,
    strip_secret_content,
)
from .timeclass import TIME_CLASSES, done_report, shown_status, time_class

__all__ = [
    "SCHEDULED",
    "SECRET_RESULT",
    "SECRET_SUMMARY",
    "SecretContent",
    "TIME_CLASSES",
    "VIETNAM",
    "WEEKDAYS",
    "check_secret_changes",
    "done_report",
    "fieldvalues",
    "form_day",
    "is_secret",
    "local_time",
    "qr_svg",
    "schedule_rows",
    "secret_content",
    "shown_status",
    "strip_secret_content",
    "time_class",
    "to_ics",
    "vn_date",
    "vn_datetime",
    "vnd",
    "week_of",
]
