"""The citizens' portal (online public service, issue [6] "Citizens"): the home page and the
dossier look-up as pages (``pages.py``), the public look-up API (``lookup.py``), online
submission (``submission.py``) and the checks of what a citizen sends (``citizen_input.py``);
public disclosure (issue [11]): the procedure catalogue (``catalogue.py``), the results by
month and a ward's hall screen (``disclosure.py``)."""

from .catalogue import bp as catalogue_bp
from .disclosure import bp as disclosure_bp
from .lookup import bp as lookup_bp
from .pages import bp as pages_bp
from .pages import error_page
from .submission import MAX_SCAN_BYTES, MAX_SCANS
from .submission import bp as submission_bp

BLUEPRINTS = [lookup_bp, submission_bp, pages_bp, catalogue_bp, disclosure_bp]

__all__ = ["BLUEPRINTS", "MAX_SCAN_BYTES", "MAX_SCANS", "error_page"]
