"""Official documents at the ward (Decree 30/2020/NĐ-CP): the ward's outgoing documents from
draft to release, incoming ones from arrival to done, their registers and their files.

- ``reading.py``: reading a document with this ward's receipt and each recipient's status,
  the registers, the labels; the units a ward may address;
- ``service.py``: the state machines and writes (it explains the model);
- ``pages.py``, ``api.py``: the document pages (``/van-ban``) and ``/api/v1/documents``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .reading import (
    CODE_NAMES,
    COMPETENCE,
    SECRECY,
    STATUS_NAMES,
    TYPE_CODES,
    URGENCY,
    DocumentReader,
)
from .service import Documents

if TYPE_CHECKING:
    from flask import Blueprint

__all__ = [
    "CODE_NAMES",
    "COMPETENCE",
    "SECRECY",
    "STATUS_NAMES",
    "TYPE_CODES",
    "URGENCY",
    "DocumentReader",
    "Documents",
    "blueprints",
]


def blueprints() -> list[Blueprint]:
    """The document pages and the documents API, for ``create_app`` to register."""
    from . import api, pages

    return [api.bp, pages.bp]
