"""Official documents at the ward (Decree 30/2020/NĐ-CP): the ward's outgoing documents from
draft to release, incoming ones from arrival to done, their registers and their files.

- ``reading.py``: reading a document with this ward's receipt and each recipient's status,
  the registers, the labels; the units a ward may address;
- ``service.py``: the state machines and writes (it explains the model);
- ``outside.py``: agencies outside the city a document is sent to over the national platform
  (docs/edxml.md, "A ward's documents"), and what the hub reports back of them;
- ``pages.py``, ``api.py``: the document pages (``/van-ban``) and ``/api/v1/documents``.
"""

from __future__ import annotations

from .outside import known_agencies, outside_rows
from .reading import (
    CODE_NAMES,
    COMPETENCE,
    SECRECY,
    STATUS_NAMES,
    TYPE_CODES,
    URGENCY,
    DocumentReader,
    leaders,
)
from .service import Documents

__all__ = [
    "CODE_NAMES",
    "COMPETENCE",
    "SECRECY",
    "STATUS_NAMES",
    "TYPE_CODES",
    "URGENCY",
    "DocumentReader",
    "Documents",
    "known_agencies",
    "outside_rows",
    "leaders",
]
