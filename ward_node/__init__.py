"""The ward node: the ward's Flask app (pages + JSON API), its store, sync worker and CLI.

Importing the package imports nothing heavy: the tray app (``ward_node.tray``) runs on the
front-desk PCs, Windows ones included, without the server's dependencies. The app factory is
``app.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.2.0"  # the package version (setup.cfg reads it): what nodes report to the hub


def create_app(config: dict[str, Any] | None = None, *, start_worker: bool = False) -> Flask:
    """Build the node's app (``app.create_app``, imported on use to keep the tray light)."""
    from .app import create_app as build

    return build(config, start_worker=start_worker)
