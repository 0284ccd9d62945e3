"""What a kind of file is (``filetypes.py``, ``officefiles.py``): its own module, so the two
can name it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileKind:
    """A kind of file the offices use: its media type, its name for people, whether a browser
    may show it in the page (else it is only downloaded), and its usual extension."""

    mime: str
    label: str
    inline: bool
    extension: str
