"""What every part of the exchange asks of the running hub: the city office's OrganId and
the time in Huế."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from office import VIETNAM


def now_iso() -> str:
    """Now in Huế, to the second."""
    return datetime.now(VIETNAM).isoformat(timespec="seconds")


def hub_organ() -> str:
    """The city office's OrganId (``ORGAN_ID``)."""
    return str(current_app.config["ORGAN_ID"])
