"""The conflict pages: every conflict open on the ward's records (``/xung-dot``) and the form
that decides one, posted from the record's page or the list (docs/conflicts.md). What a
conflict is and how a decision is written: ``service.py``.

The routes belong to the ward's ``pages`` blueprint (``dossiers/pages.py`` adds them with
:func:`add_to`): the base template links to them as ``pages.open_conflicts``.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from sync import SyncError, select_records

from ..permissions import may_read_document
from ..web import current_user, db, require, state
from . import service as conflicts


def add_to(pages: Blueprint) -> None:
    """Route ``/xung-dot`` and ``/xung-dot/<notice_id>`` on the ``pages`` blueprint."""
    pages.add_url_rule("/xung-dot", view_func=open_conflicts, methods=["GET"])
    pages.add_url_rule("/xung-dot/<notice_id>", view_func=resolve_conflict, methods=["POST"])


# The pages a conflict form comes back to: a record's (dossier, document, directive), the list.
_RECORD_PAGE = re.compile(r"/(dossiers|van-ban|directives)/[0-9a-f-]{36}|/xung-dot")


@require()
def open_conflicts() -> str:
    """Every conflict open on the ward's records, each with a link to its record's page and,
    for a leader or an administrator, the form that decides it (a meeting, an invitation have
    no page of their own: they are decided here)."""
    user = current_user()

    def may_see(type_name: str, record: dict[str, Any]) -> bool:
        # A secret document is shown only to whom may read it, its receipt likewise.
        if type_name == "document_receipt":
            found = select_records(db(), "document", "WHERE id = ?", (record.get("document_id"),))
            record = found[0] if found else {}
        if type_name in ("document", "document_receipt"):
            return may_read_document(user, record)
        return True

    items = conflicts.all_open(db(), may_see)
    return render_template("conflicts.html", conflicts=items, conflicted=set())


@require()
def resolve_conflict(notice_id: str) -> Response:
    """Decide an open conflict from the record's page (a leader or an administrator of the
    ward): keep one of the two values or type another; back to the record's page."""
    back = request.form.get("back", "")
    if not _RECORD_PAGE.fullmatch(back):
        back = url_for("pages.index")
    user = current_user()
    assert user is not None
    try:
        decided = conflicts.decide(db(), state().clock, notice_id, request.form, user)
    except SyncError as exc:
        flash(f"Chưa giải quyết được xung đột: {exc.message}", "error")
        return redirect(f"{back}#xung-dot-{notice_id}")
    flash(
        f"Đã giải quyết xung đột số {decided['number']}; giá trị đã chọn sẽ tới máy chủ trung "
        "tâm ở lần đồng bộ tới.",
        "ok",
    )
    return redirect(back)
