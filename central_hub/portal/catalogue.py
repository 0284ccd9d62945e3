"""The public procedure catalogue (docs/portal.md, "Procedure catalogue"): the same synced
``procedure`` records the wards' desks use, at ``/thu-tuc`` (the list, searchable without
diacritics) and ``/thu-tuc/<code>`` (one procedure: papers, fee, time limit, where to submit,
its declaration forms to download at ``/thu-tuc/<code>/mau/<id>``).

The catalogue is reference data that later releases may extend (issue [11] adds fields to
procedures), so every field but ``code`` and ``name`` is read defensively: a field missing,
``null`` or of an unexpected shape shows as "not stated", never as an error. A procedure
lists the wards it is handled at when it carries ``units`` (a list of unit codes); without
it, every current ward handles it, as the desks' catalogue does today.

Declaration forms are ``attachment`` records whose parent is the procedure
(``parent_type = 'procedure'``), stored in the hub's blob store like the city's documents.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request

from office import vnd
from sync import NotFound, SyncError, fold

from .. import files
from ..web import records
from .pages import PAPER_KINDS, current_wards, refusal, time_limit

bp = Blueprint("catalogue", __name__)
bp.errorhandler(SyncError)(refusal)

MAX_QUERY = 200


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _papers(procedure: dict[str, Any]) -> list[dict[str, Any]]:
    """The procedure's papers as ``{name, kind_name, sets}``, whatever shape each has."""
    papers = procedure.get("papers")
    shown = []
    for paper in papers if isinstance(papers, list) else []:
        if isinstance(paper, str):
            paper = {"name": paper}
        if not isinstance(paper, dict) or not _text(paper.get("name")):
            continue
        sets = paper.get("sets")
        shown.append(
            {
                "name": _text(paper["name"]),
                "kind_name": PAPER_KINDS.get(_text(paper.get("kind")), ""),
                "sets": sets if isinstance(sets, int) and sets > 1 else 1,
            }
        )
    return shown


def _fee(procedure: dict[str, Any]) -> str:
    fee = procedure.get("fee")
    if not isinstance(fee, int | float) or isinstance(fee, bool):
        return "Chưa công bố"
    return "Không thu phí" if fee == 0 else vnd(int(fee))


def _where(procedure: dict[str, Any], wards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The current wards that handle ``procedure``: those its ``units`` name, else all."""
    named = procedure.get("units")
    if isinstance(named, list) and named:
        codes = {str(u) for u in named}
        return [w for w in wards if w["code"] in codes]
    return wards


def shown(procedure: dict[str, Any]) -> dict[str, Any]:
    """A procedure as the catalogue shows it: code, name, field, time limit and fee in words,
    papers, and its folded search text."""
    name = _text(procedure.get("name")) or str(procedure["code"])
    field = _text(procedure.get("field"))
    try:
        limit = time_limit(procedure)
    except (TypeError, ValueError):
        limit = ""
    return {
        "id": procedure.get("id"),
        "code": str(procedure["code"]),
        "name": name,
        "field": field or "Lĩnh vực khác",
        "time_limit": limit or "Chưa công bố",
        "fee": _fee(procedure),
        "papers": _papers(procedure),
        "online": procedure.get("online", True) is not False,
        "search": fold(" ".join([str(procedure["code"]), name, field])),
    }


def matches(item: dict[str, Any], query: str) -> bool:
    """Whether every word of ``query``, folded (no diacritics, đ→d, lower case), is in the
    procedure's folded code, name or field: "dang ky ket hon" finds "Đăng ký kết hôn"."""
    return all(word in item["search"] for word in fold(query).split())


def active_procedures() -> list[dict[str, Any]]:
    """The active procedures as shown, by field then name (folded)."""
    items = [shown(p) for p in records("procedure", "WHERE active = 1")]
    return sorted(items, key=lambda p: (fold(p["field"]), fold(p["name"]), p["code"]))


@bp.get("/thu-tuc")
def catalogue() -> str:
    """The catalogue, narrowed by ``?q=`` (words, with or without diacritics), by field."""
    query = " ".join(request.args.get("q", "").split())[:MAX_QUERY]
    items = [p for p in active_procedures() if matches(p, query)] if query else None
    listed = items if items is not None else active_procedures()
    fields: dict[str, list[dict[str, Any]]] = {}
    for item in listed:
        fields.setdefault(item["field"], []).append(item)
    return render_template("public/catalogue.html", fields=fields, query=query, count=len(listed))


def _procedure(code: str) -> dict[str, Any]:
    found = records("procedure", "WHERE code = ? AND active = 1", (code,))
    if not found:
        raise NotFound(
            "Không có thủ tục này trong danh mục đang áp dụng. Hãy tìm lại trong danh mục."
        )
    return found[0]


def forms_of(procedure: dict[str, Any]) -> list[dict[str, Any]]:
    """The declaration forms attached to ``procedure``, in the order they were attached."""
    if not procedure.get("id"):
        return []
    return records(
        "attachment",
        "WHERE parent_type = 'procedure' AND parent_id = ? AND coalesce(deleted, 0) = 0 "
        "ORDER BY id",
        (procedure["id"],),
    )


@bp.get("/thu-tuc/<code>")
def procedure(code: str) -> str:
    """One procedure: what to bring, fee, time limit, where to submit, forms to download."""
    record = _procedure(code)
    return render_template(
        "public/procedure.html",
        p=shown(record),
        wards=_where(record, sorted(current_wards(), key=lambda w: fold(w["name"]))),
        forms=forms_of(record),
    )


@bp.get("/thu-tuc/<code>/mau/<attachment_id>")
def declaration_form(code: str, attachment_id: str) -> Response:
    """A declaration form of the procedure ``code``, downloaded; 404 when it is not one."""
    found = [f for f in forms_of(_procedure(code)) if f["id"] == attachment_id]
    if not found or not files.blob_store().has(found[0]["sha256"]):
        raise NotFound("Không có mẫu đơn, tờ khai này. Hãy tải lại trang thủ tục.")
    return files.file_response(found[0]["sha256"], found[0]["name"], download=True)
