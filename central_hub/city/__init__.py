"""The city's own work, sent to the wards: directives (the rules in ``directives.py``, their
JSON API in ``directives_api.py``), documents sent to units (``documents.py``), the weekly
meeting schedule (``meetings.py``), the city office's documents to agencies outside the city
and their recall (``outside.py``), and who at the hub sees a secret document (``secrecy.py``). The console's pages over them are in ``console/``."""

from . import directives, documents, meetings, outside
from .directives_api import bp as directives_bp
from .documents import bp as documents_bp
from .meetings import bp as meetings_bp
from .secrecy import masked, may_read, secret_record

BLUEPRINTS = [directives_bp, documents_bp, meetings_bp]

__all__ = [
    "BLUEPRINTS",
    "directives",
    "documents",
    "masked",
    "may_read",
    "meetings",
    "outside",
    "secret_record",
]
