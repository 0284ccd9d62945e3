"""The office's rules both apps apply, that are not the sync engine: Huế time and the display
of dates, money and QR codes, the weekly schedule, when a dossier's clock runs and when it is
overdue, a directive's shown status and time class and what its issuer writes, what the system
holds of a secret document, the values people type into a record's fields, the papers a
dossier was received with and the fee they set (``papers.py``), and people's names, personal ID
numbers and phone numbers (``people.py``: the ward's desk and the citizens' portal check them
alike), the papers a supplement request lists (``requested.py``), and what an edXML status
code says (``edxml_codes.py``).

The apps import from this package only, never from its inner modules (docs/architecture.md).
"""

from . import fieldvalues
from .directives import (
    check_new_deadline,
    confirmation_fields,
    decorate_directive,
    directive_now,
    directive_reports,
    done_report,
    send_back_fields,
    shown_status,
)
from .display import VIETNAM, form_day, form_time, local_time, qr_svg, vn_date, vn_datetime, vnd
from .dossier_time import (
    CLOCK_RUNNING,
    OPEN_STATUSES,
    OVERDUE_SQL,
    clock_running,
    is_overdue,
)
from .edxml_codes import EDXML_STATUS_NAMES
from .papers import PAPER_FORMS, FeeLine, clean_papers, fee_for, paper_form_of
from .people import (
    CCCD_PROVINCES,
    display_phone,
    id_number_birth_year,
    id_number_sex,
    normalize_name,
    normalize_phone,
    sort_key,
    validate_id_number,
)
from .requested import paper_lines, supplement_papers
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
from .timeclass import TIME_CLASSES, time_class

__all__ = [
    "EDXML_STATUS_NAMES",
    "CCCD_PROVINCES",
    "CLOCK_RUNNING",
    "OPEN_STATUSES",
    "OVERDUE_SQL",
    "PAPER_FORMS",
    "SCHEDULED",
    "SECRET_RESULT",
    "SECRET_SUMMARY",
    "FeeLine",
    "SecretContent",
    "TIME_CLASSES",
    "VIETNAM",
    "WEEKDAYS",
    "check_new_deadline",
    "check_secret_changes",
    "clean_papers",
    "clock_running",
    "confirmation_fields",
    "decorate_directive",
    "directive_now",
    "directive_reports",
    "done_report",
    "fee_for",
    "fieldvalues",
    "form_day",
    "form_time",
    "is_overdue",
    "is_secret",
    "local_time",
    "paper_form_of",
    "qr_svg",
    "schedule_rows",
    "secret_content",
    "send_back_fields",
    "shown_status",
    "strip_secret_content",
    "time_class",
    "to_ics",
    "vn_date",
    "vn_datetime",
    "vnd",
    "paper_lines",
    "supplement_papers",
    "validate_id_number",
    "sort_key",
    "normalize_phone",
    "normalize_name",
    "id_number_sex",
    "id_number_birth_year",
    "display_phone",
    "week_of",
]
