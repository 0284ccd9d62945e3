"""One-stop dossiers (hồ sơ một cửa) at the ward: reception, the status machine, due dates,
edits and search, the applicant's details and the SMS notices their changes send.

- ``rules.py``: the national statuses 1–10, channels, how times are stored;
- ``actions.py``: the status machine, one table: who may do each action, from which statuses,
  to which status, and what else it writes;
- ``service.py``: the dossier operations of one ward (``Dossiers``);
- ``catalogue.py``: a procedure of the catalogue by its code, or a code it had before;
- ``papers.py``: the reception checklist (the papers handed in) and the fee it sets;
- ``deadlines.py``: the working calendar and every due date a dossier gets or moves;
- ``sms.py``: which changes are told to the applicant, and in what words;
- ``pages.py``, ``api.py``: the dossier pages (the ward's home page) and ``/api/v1/dossiers``.

The desk's work lists, forms, register and statistics are ``desk/``; an applicant's name, ID
number and phone are checked by ``office/people.py``, as at the citizens' portal.
"""

from __future__ import annotations

from .actions import ACTIONS, Action
from .catalogue import find_procedure
from .deadlines import WorkCalendar, calendar_from_records, due_at
from .rules import (
    CHANNELS,
    LAST_DESK_NUMBER,
    RETURN_METHODS,
    STATUS_NAMES,
    STEP_NAMES,
    iso,
    now_utc,
)
from .service import Dossiers, staff
from .sms import notice_for

__all__ = [
    "ACTIONS",
    "Action",
    "CHANNELS",
    "LAST_DESK_NUMBER",
    "RETURN_METHODS",
    "STATUS_NAMES",
    "STEP_NAMES",
    "Dossiers",
    "WorkCalendar",
    "calendar_from_records",
    "due_at",
    "find_procedure",
    "iso",
    "notice_for",
    "now_utc",
    "staff",
]
