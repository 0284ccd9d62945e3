"""SMS at the hub: the dispatcher that sends the notices wards queue (``dispatch.py``), the
providers it sends through (``providers.py``), the JSON API (``api.py``) and the console's
page (``pages.py``)."""

from .api import bp as api_bp
from .dispatch import DispatchWorker
from .pages import bp as pages_bp

BLUEPRINTS = [api_bp, pages_bp]

__all__ = ["BLUEPRINTS", "DispatchWorker"]
