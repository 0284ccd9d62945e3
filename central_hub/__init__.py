"""The central hub: the city's Flask app (node protocol, console, citizens' portal), its store
and CLI. The app factory is ``app.py``."""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
