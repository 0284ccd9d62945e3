"""The front desk's day (bộ phận một cửa): its work lists (today, mine, overdue, due soon), the
printed forms, the dossier register, the period's statistics and the citizens' status look-up.
The dossier itself (reception, status machine, due dates) is ``dossiers/``.

- ``pages.py``: the desk's pages (blueprint ``desk``);
- ``queries.py``: the read-only queries behind the lists, the forms and the statistics;
- ``editions.py``: the legal templates of the forms, by edition (Circular 01/2018/TT-VPCP,
  Circular 03/2025/TT-VPCP): numbers, titles, the labels each requires;
- ``forms.py``: what the printed forms say;
- ``stats.py``: the statistics of a period and their CSV and Excel exports.
"""

from __future__ import annotations

from .editions import EDITIONS, Edition, FormTemplate, edition_for, edition_on
from .forms import place_name
from .stats import PeriodStats

__all__ = [
    "EDITIONS",
    "Edition",
    "FormTemplate",
    "PeriodStats",
    "edition_for",
    "edition_on",
    "place_name",
]
