"""Directives at the ward: those addressed to it by the city or another unit, which it answers
with its progress reports, and those its leader issues, which it confirms, sends back or
extends. What ward and hub read the same way (shown status, time class, what the issuer
writes) is the office's rule (``office/directives.py``).

- ``service.py``: the directive operations of one ward;
- ``pages.py``, ``api.py``: the directive pages (``/directives``) and ``/api/v1/directives``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .service import ACTION_RULES, ISSUERS, PRIORITY_NAMES, Directives, today

if TYPE_CHECKING:
    from flask import Blueprint

__all__ = ["ACTION_RULES", "ISSUERS", "PRIORITY_NAMES", "Directives", "blueprints", "today"]


def blueprints() -> list[Blueprint]:
    """The directive API and pages, for ``create_app`` to register."""
    from . import api, pages

    return [api.bp, pages.bp]
