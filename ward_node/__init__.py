"""The ward node: the ward's Flask app (pages + JSON API), its store, sync worker and CLI.

Its packages, by what they serve; each package's views (``api.py``, ``pages.py``) expose a
blueprint that ``app.py`` registers from one list, and its ``__init__`` names its rules and
services only:

- ``dossiers/``: one-stop dossiers: the status machine, due dates, applicants, SMS notices;
- ``desk/``: the front desk's day: work lists, printed forms, register, statistics, look-up;
- ``documents/``, ``directives/``, ``meetings/``: official documents, directives, meetings;
- ``conflicts/``: conflicts open on the ward's records and deciding one (its two pages are
  routes of the dossier pages' blueprint, ``pages``, under which the base template names them);
- ``attachments/``: files attached to records, stored by hash, and their download;
- ``sync_link/``: the ward's link to the hub; ``tray/``: the front-desk PCs' tray app.

The app's plumbing stays here: ``app.py`` (the app factory and its list of blueprints),
``web.py`` (the ward's part of the shared web plumbing: its store, errors, guard),
``permissions.py`` (who may do what, asked by every package), ``store.py``, ``settings.py``,
``errors.py``, ``housekeeping.py``, ``cli.py``.

Importing the package imports nothing heavy: the tray app (``ward_node.tray``) runs on the
front-desk PCs, Windows ones included, without the server's dependencies.
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
