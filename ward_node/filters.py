"""Jinja filters of the ward node's pages: times in Asia/Ho_Chi_Minh, money in VND
(the functions are the engine's, shared with the hub: ``sync/display.py``)."""

from __future__ import annotations

from flask import Flask

from office import vn_date, vn_datetime, vnd


def register(app: Flask) -> None:
    """Add the filters ``vn_datetime``, ``vn_date`` and ``vnd`` to ``app``'s templates."""
    app.add_template_filter(vn_datetime, "vn_datetime")
    app.add_template_filter(vn_date, "vn_date")
    app.add_template_filter(vnd, "vnd")
