"""The front desk's day (bộ phận một cửa): its work lists (today, mine, overdue, due soon), the
printed forms, the dossier register, the period's statistics and the citizens' status look-up.
The dossier itself (reception, status machine, due dates) is ``dossiers/``.

- ``pages.py``: the desk's pages (blueprint ``desk``);
- ``queries.py``: the read-only queries behind the lists, the forms and the statistics;
- ``forms.py``: what the printed forms 01–07 say;
- ``stats.py``: the statistics of a period and their CSV and Excel exports.
"""

from __future__ import annotations

from .forms import FORMS, place_name
from .stats import PeriodStats

__all__ = ["FORMS", "PeriodStats", "place_name"]
