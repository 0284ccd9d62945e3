"""Meetings and invitations at the ward: the meetings it registers (the city office approves
them at the hub), the weekly schedule and its ``.ics``, the invitations it receives and
answers, and those it sends to other units.

- ``service.py``: the meeting and invitation operations of one ward;
- ``pages.py``, ``api.py``: the meeting pages and ``/api/v1/meetings``, ``/api/v1/invitations``.
"""

from __future__ import annotations

from .service import INVITATION_KINDS, MEETING_STATUS, Meetings

__all__ = ["INVITATION_KINDS", "MEETING_STATUS", "Meetings"]
