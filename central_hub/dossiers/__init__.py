"""The wards' dossiers as the hub holds them after sync: the administrators' JSON API
(``api.py``), the city-wide overdue list (``overdue.py``; the rule itself is
``office/dossier_time.py``) and the statistics of a period per ward (``stats.py``)."""

from .api import bp

BLUEPRINTS = [bp]

__all__ = ["BLUEPRINTS"]
