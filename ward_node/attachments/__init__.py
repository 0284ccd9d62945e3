"""Files attached to the ward's records (dossiers, documents, progress reports): an upload
judged by its bytes and stored by its hash, the ``attachment`` record that names it, and the
download route ``/api/v1/attachments/<sha256>`` (docs/security.md, "Files").

- ``files.py``: storing an upload, serving a file;
- ``download.py``: the download route.
"""

from __future__ import annotations

from .files import accept_upload, attach, blobs, check_upload_size, store_upload

__all__ = ["accept_upload", "attach", "blobs", "check_upload_size", "store_upload"]
