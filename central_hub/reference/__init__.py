"""The reference data every ward receives (units, the procedure catalogue, the calendar of
days off): the seed content (``data.py``) and its records (``seed.py``), editing it
(``edit.py``), its JSON API (``api.py``; a procedure's declaration forms: ``forms.py``) and
the console's pages: the procedures and the calendar
(``pages.py``), the units of the city (``unit_pages.py``)."""

from .api import bp as api_bp
from .forms import bp as forms_bp
from .pages import bp as pages_bp
from .seed import WARDS, seed_calendar, seed_procedures, seed_units
from .unit_pages import bp as unit_pages_bp

BLUEPRINTS = [api_bp, forms_bp, pages_bp, unit_pages_bp]

__all__ = ["BLUEPRINTS", "WARDS", "seed_calendar", "seed_procedures", "seed_units"]
