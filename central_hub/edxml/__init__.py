"""Document exchange with agencies outside the city as edXML messages (QCVN 102:2016/BTTTT;
docs/edxml.md): reading a message safely (``message.py``), taking it in (``inbound.py``),
writing messages out (``build.py``, ``outbound.py``; revocations of recalled documents,
``revocation.py``), XML signatures (``signature.py``), the
city office's clerk on documents from outside (``clerk.py``), the drop folders' worker
(``worker.py``), the API (``api.py``) and the console's pages (``pages.py``)."""

from . import clerk, inbound, outbound, revocation
from .api import bp as api_bp
from .message import EdxmlRefused, parse
from .pages import bp as pages_bp
from .worker import ExchangeWorker, run_once

BLUEPRINTS = [api_bp, pages_bp]

__all__ = [
    "BLUEPRINTS",
    "EdxmlRefused",
    "ExchangeWorker",
    "clerk",
    "inbound",
    "outbound",
    "parse",
    "revocation",
    "run_once",
]
