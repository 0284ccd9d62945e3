"""What both apps tell the browser with every answer (docs/security.md, "Browser policy").

Pages run only the apps' own scripts and stylesheets (no inline script, style or event
handler), cannot be framed, and never post a form elsewhere; stored files are served as inert
documents (:data:`FILE_HEADERS`); nothing but the static assets is kept in a cache, so a
shared desk PC's back button shows no dossier after logout. The apps apply this in an
``after_request`` hook (:func:`apply_policy`); no web framework is imported here.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path

from flask import Response, send_file

from sync import download_name, kind_of

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Anything that is not a page (JSON, a file) must never run as one, even if a browser is
# tricked into opening it as a document: no script, no plugin, no frame, an opaque origin.
INERT_CSP = (
    "default-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'; sandbox"
)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # same-origin forms keep their Origin header
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
NO_STORE = "no-store"
FILE_HEADERS = {
    **COMMON_HEADERS,
    "Content-Security-Policy": INERT_CSP,
    "Cache-Control": NO_STORE,
}


def apply_policy(headers: MutableMapping[str, str], mimetype: str | None, *, static: bool) -> None:
    """Add the browser policy to an answer's ``headers``: the common headers, the page CSP on
    HTML and the inert one on anything else (unless the view set its own), and
    ``Cache-Control: no-store`` on everything but static assets (``static``)."""
    for name, value in COMMON_HEADERS.items():
        headers.setdefault(name, value)
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = PAGE_CSP if mimetype == "text/html" else INERT_CSP
    if not static:
        headers["Cache-Control"] = NO_STORE


# The same inert file, which the app's own pages may show in a frame (a scan viewed in place
# on the dossier's page): no other site may frame it.
FRAMABLE_FILE_HEADERS = {
    **FILE_HEADERS,
    "Content-Security-Policy": INERT_CSP.replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'"
    ),
    "X-Frame-Options": "SAMEORIGIN",
}


def send_stored_file(
    path: Path, sha: str, name: str, *, download: bool = False, framable: bool = False
) -> Response:
    """A stored file for a person's browser: its media type from its bytes (never from a
    record), shown in the page only if a PDF, JPEG or PNG (and not ``download``), otherwise
    downloaded under a name whose extension matches; inert (sandboxed, no sniffing) and never
    cached (:data:`FILE_HEADERS`). With ``framable``, the app's own pages may frame it
    (:data:`FRAMABLE_FILE_HEADERS`), still sandboxed."""
    kind = kind_of(path)
    inline = kind is not None and kind.inline and not download
    resp = send_file(
        path,
        mimetype=kind.mime if kind else "application/octet-stream",
        as_attachment=not inline,
        download_name=download_name(name, kind),
        etag=sha,
    )
    resp.headers.update(FRAMABLE_FILE_HEADERS if framable and inline else FILE_HEADERS)
    return resp
