"""Files attached to the ward's records (dossiers, documents, progress reports): an upload
judged by its bytes and stored by its hash, the ``attachment`` record that names it, and the
download route ``/api/v1/attachments/<sha256>`` (docs/security.md, "Files").

- ``files.py``: storing an upload, serving a file, the download route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .files import store_upload

if TYPE_CHECKING:
    from flask import Blueprint

__all__ = ["blueprints", "store_upload"]


def blueprints() -> list[Blueprint]:
    """The download route, for ``create_app`` to register."""
    from .files import bp

    return [bp]
