"""Directives at the ward: those addressed to it by the city or another unit, which it answers
with its progress reports, and those its leader issues, which it confirms, sends back or
extends. What ward and hub read the same way (shown status, time class, what the issuer
writes) is the office's rule (``office/directives.py``).

- ``service.py``: the directive operations of one ward;
- ``pages.py``, ``api.py``: the directive pages (``/directives``) and ``/api/v1/directives``.
"""

from __future__ import annotations

from .service import ACTION_RULES, ISSUERS, PRIORITY_NAMES, Directives, today

__all__ = ["ACTION_RULES", "ISSUERS", "PRIORITY_NAMES", "Directives", "today"]
