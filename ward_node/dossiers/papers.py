"""The reception checklist at the ward (docs/domain.md, "Reception checklist").

The desk ticks the papers actually handed in, each as an original or a copy, how many and,
where the fee counts them, how many pages: the dossier's ``papers_received``, which sets its
``fee`` (``office/papers.py``). It is recorded at reception and may be corrected while the
dossier is at the desk (status 2) or waiting for a supplement (status 5), when the citizen
brings more; the receipt (form 01) prints exactly it.

This module reads the reception page's check boxes into such a list
(:func:`papers_from_form`) and records a corrected list on a dossier (:func:`record_papers`);
``Dossiers.receive`` takes the list at reception through :func:`reception_papers`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any, Protocol

from office import clean_papers, fee_for, paper_form_of
from sync import Conflict, HybridClock, ValidationError, atomic
from webapp import User

from ..permissions import check
from ..store import capture
from .catalogue import find_procedure


class DossierStore(Protocol):
    """What recording the papers reads of the dossier operations (``service.Dossiers`` is
    one), named here so that this module does not import the service that imports it."""

    conn: sqlite3.Connection
    clock: HybridClock

    def get(self, dossier_id: str) -> dict[str, Any]: ...


__all__ = [
    "EDITABLE_STATUSES",
    "EXTRA_LINES",
    "checklist_rows",
    "papers_from_form",
    "reception_papers",
    "record_papers",
]

EDITABLE_STATUSES = (2, 5)  # at the desk after reception, waiting for a supplement
EXTRA_LINES = 3  # papers named by hand, beyond the catalogue's list, on the page


def reception_papers(
    procedure: dict[str, Any], raw: Any
) -> tuple[list[dict[str, Any]] | None, int]:
    """The checked list of papers handed in and the fee they set, for a dossier received under
    ``procedure``. ``raw`` ``None`` (a caller of the API that sends no checklist, as before the
    checklist existed) gives no list and the procedure's plain fee.
    :class:`ValidationError` as :func:`office.clean_papers` and :func:`office.fee_for`."""
    if raw is None:
        return None, int(procedure.get("fee") or 0)
    papers = clean_papers(raw, procedure.get("papers") or [])
    fee, _lines = fee_for(procedure, papers)
    return papers, fee


def record_papers(dossiers: DossierStore, dossier_id: str, raw: Any, user: User) -> dict[str, Any]:
    """Replace the papers handed in of a dossier at status 2 or 5 with ``raw`` and recompute its
    fee; return the dossier. :class:`Forbidden` unless the user works at the desk,
    :class:`Conflict` (409) at another status, :class:`ValidationError` for a bad list."""
    check(user, "dossier.papers")
    with atomic(dossiers.conn):
        dossier = dossiers.get(dossier_id)
        check(user, "dossier.papers", dossier)
        if int(dossier["status"]) not in EDITABLE_STATUSES:
            raise Conflict(
                "Chỉ sửa giấy tờ đã nhận khi hồ sơ đang ở bộ phận một cửa (mới tiếp nhận) "
                "hoặc đang chờ bổ sung.",
                code="papers_not_editable",
            )
        # A procedure the catalogue no longer has keeps the fee the dossier was received with.
        procedure = find_procedure(dossiers.conn, dossier["procedure_code"]) or {
            "fee": dossier.get("fee")
        }
        papers = clean_papers(raw, procedure.get("papers") or [])
        fee, _lines = fee_for(procedure, papers)
        fields = {"papers_received": papers, "fee": fee}
        capture(dossiers.conn, dossiers.clock).write(
            "dossier", dossier_id, dossier["unit"], fields, actor=user.username
        )
    return dossiers.get(dossier_id)


def papers_from_form(
    form: Mapping[str, str], procedure: dict[str, Any] | None, prefix: str = ""
) -> list[dict[str, Any]]:
    """The papers ticked on a page's checklist (``templates/dossiers/_papers.html``), its field
    names starting with ``prefix``: for each catalogue paper ``i`` of ``procedure``,
    ``paper-i`` (ticked), ``paper-i-form``, ``paper-i-count``, ``paper-i-pages``; for each paper
    named by hand ``j`` (0, 1, … while the page has them), ``extra-j-name``, ``extra-j-form``,
    ``extra-j-count``, ``extra-j-pages``, a line without a name left out. Values are checked
    later, by :func:`office.clean_papers`; none ticked is a :class:`ValidationError`."""
    papers = []
    for i, paper in enumerate((procedure or {}).get("papers") or []):
        if form.get(f"{prefix}paper-{i}"):
            papers.append(_line(form, f"{prefix}paper-{i}", str(paper.get("name") or "")))
    j = 0
    while f"{prefix}extra-{j}-name" in form:
        name = (form.get(f"{prefix}extra-{j}-name") or "").strip()
        if name:
            papers.append(_line(form, f"{prefix}extra-{j}", name))
        j += 1
    if not papers:
        raise ValidationError(
            "Hãy đánh dấu giấy tờ công dân đã nộp (ít nhất một), chọn bản chính hay bản sao "
            "và ghi số lượng.",
            field="papers_received",
        )
    return papers


def _line(form: Mapping[str, str], key: str, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "form": form.get(f"{key}-form") or "original",
        "count": form.get(f"{key}-count") or "1",
        "pages": form.get(f"{key}-pages") or None,
    }


def checklist_rows(
    procedure: dict[str, Any] | None, received: list[dict[str, Any]] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What a checklist shows: a row per catalogue paper (``ticked`` and its values when
    ``received`` has a paper of that name, else the catalogue's suggested form and count), and
    the papers named by hand, followed by :data:`EXTRA_LINES` empty ones."""
    received = list(received or [])
    rows = []
    for paper in (procedure or {}).get("papers") or []:
        name = str(paper.get("name") or "")
        found = next((r for r in received if r["name"] == name), None)
        if found is not None:
            received.remove(found)
        rows.append(
            {
                "name": name,
                "kind": paper.get("kind"),
                "ticked": found is not None,
                "form": found["form"] if found else paper_form_of(paper.get("kind")),
                "count": found["count"] if found else int(paper.get("sets") or 1),
                "pages": (found or {}).get("pages"),
            }
        )
    extras = [dict(r) for r in received]
    extras += [{"name": "", "form": "original", "count": 1, "pages": None}] * EXTRA_LINES
    return rows, extras
