"""The units page at a province's scale (``/console/`` and its JSON, ``/console/api/units``):
what its query string asks (state, province, district, a search, the sort and its direction,
the page), the page of nodes that answers it and the links the page shows (totals by state,
sortable headings, page numbers).

Everything is in the query string, so a link can be shared and ``console.js`` refreshes the
very page shown. The database filters, sorts and pages (``central_hub/store/fleet.py``); only
the rows of the page shown are read in full.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from flask import url_for
from werkzeug.datastructures import MultiDict

from sync import fold, nfc

from ..store import fleet
from ..web import db
from .unit_state import STATE_WORDS, moments, state_rows

PER_PAGE = 50
MAX_SEARCH = 100  # characters of a search kept
MAX_PAGE = 100_000  # a page past the last shows none; a number past the store's integers, a 500
# What each sortable column is called when a link announces its order (_units_head.html).
SORT_NAMES = {
    "name": "tên đơn vị",
    "state": "trạng thái",
    "seen": "liên lạc lần cuối",
    "pending": "số thay đổi chờ gửi lên",
    "waiting": "số thay đổi chờ nhận",
}
# The order a first click on a column sorts by: the most urgent first.
FIRST_DESCENDING = {"pending", "waiting"}


@dataclass(frozen=True)
class Listing:
    """What the query string asks; anything unknown or malformed is taken as its default, so
    an old or edited link still shows a page."""

    state: str = ""
    province: str = ""
    district: str = ""
    q: str = ""
    sort: str = "name"
    order: str = "asc"
    page: int = 1

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> Listing:
        """The listing the request's arguments ask for."""

        def text(name: str, limit: int = 100) -> str:
            return nfc(args.get(name, "")).strip()[:limit]

        state = args.get("state", "")
        sort = args.get("sort", "name")
        try:
            page = min(max(1, int(args.get("page", "1"))), MAX_PAGE)
        except ValueError:
            page = 1
        return cls(
            state=state if state in fleet.STATES else "",
            province=text("province"),
            district=text("district"),
            q=text("q", MAX_SEARCH),
            sort=sort if sort in fleet.SORTS else "name",
            order="desc" if args.get("order") == "desc" else "asc",
            page=page,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this listing with ``changes``, defaults left out."""
        default = Listing()
        chosen = asdict(replace(self, **changes))
        return {k: v for k, v in chosen.items() if v != getattr(default, k)}

    def url(self, endpoint: str = "console.dashboard", **changes: Any) -> str:
        """This listing's page (or JSON) with ``changes``."""
        return url_for(endpoint, **self.args(**changes))

    @property
    def filter(self) -> fleet.FleetFilter:
        """The store's filter for this listing."""
        return fleet.FleetFilter(
            state=self.state or None,
            province=self.province or None,
            district=self.district or None,
            search=self.q,
        )


def count_text(n: int) -> str:
    """A count as Vietnamese writes it: ``3.321``."""
    return f"{n:,}".replace(",", ".")


def fleet_page(listing: Listing, now: datetime) -> dict[str, Any]:
    """The page ``listing`` asks for at ``now``: its rows (as ``unit_state.state_rows``), the
    totals by state of the nodes its other filters select, how many it selects and which page
    of how many this is (a page past the last shows the last)."""
    conn = db()
    at = moments(now)
    flt = listing.filter
    totals = fleet.state_totals(conn, flt, at)
    total = totals[listing.state] if listing.state else sum(totals.values())
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(listing.page, pages)
    listed = fleet.node_page(
        conn,
        flt,
        at,
        sort=listing.sort,
        descending=listing.order == "desc",
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
    )
    return {
        "items": state_rows(listed, now),
        "totals": totals,
        "total": total,
        "page": page,
        "pages": pages,
        "first": (page - 1) * PER_PAGE + 1 if total else 0,
        "last": (page - 1) * PER_PAGE + len(listed),
    }


def page_context(listing: Listing, got: dict[str, Any]) -> dict[str, Any]:
    """What the template needs beyond the rows: the totals as filter links, the filters'
    choices, the sortable headings and the page links."""
    listing = replace(listing, page=got["page"])
    everyone = sum(got["totals"].values())
    totals = [
        {
            "state": "",
            "label": "Tất cả",
            "count": count_text(everyone),
            "url": listing.url(state="", page=1),
            "current": not listing.state,
        }
    ] + [
        {
            "state": code,
            "label": STATE_WORDS[code],
            "count": count_text(got["totals"][code]),
            "url": listing.url(state=code, page=1),
            "current": listing.state == code,
        }
        for code in fleet.STATES
    ]
    places = fleet.places(db())
    provinces = sorted({p for p, _, _ in places} | ({listing.province} - {""}), key=fold)
    districts = sorted(
        {d for p, d, _ in places if d and (not listing.province or p == listing.province)},
        key=fold,
    )
    return {
        "listing": listing,
        "totals": totals,
        "provinces": provinces,
        "districts": districts,
        "sorting": _headings(listing),
        "page_links": _page_links(listing, got["page"], got["pages"]),
        "source": listing.url("console.api_units"),
        "summary": summary_text(got),
        # Nodes enrolled, none of them selected: say so rather than "no node enrolled".
        "nothing_matches": summary_text(got) if everyone and not got["total"] else "",
    }


def summary_text(got: dict[str, Any]) -> str:
    """``Nút 51–100 trong 3.321 nút · trang 2/67`` (or that none matches)."""
    if not got["total"]:
        return "Không có nút nào khớp với bộ lọc."
    return (
        f"Nút {count_text(got['first'])}–{count_text(got['last'])} trong "
        f"{count_text(got['total'])} nút · trang {got['page']}/{got['pages']}"
    )


def _headings(listing: Listing) -> dict[str, dict[str, str]]:
    """Each sortable column's link, its ``aria-sort`` and the words a screen reader says."""
    headings = {}
    for key, name in SORT_NAMES.items():
        current = listing.sort == key
        if current:
            order = "desc" if listing.order == "asc" else "asc"
            now = "tăng dần" if listing.order == "asc" else "giảm dần"
            said = f"đang sắp xếp theo {name} {now}; bấm để sắp xếp " + (
                "giảm dần" if order == "desc" else "tăng dần"
            )
        else:
            order = "desc" if key in FIRST_DESCENDING else "asc"
            said = f"sắp xếp theo {name} " + ("giảm dần" if order == "desc" else "tăng dần")
        headings[key] = {
            "url": listing.url(sort=key, order=order, page=1),
            "aria_sort": (
                ("ascending" if listing.order == "asc" else "descending") if current else ""
            ),
            "mark": ("▲" if listing.order == "asc" else "▼") if current else "",
            "said": said,
        }
    return headings


def _page_links(listing: Listing, page: int, pages: int) -> list[dict[str, Any]]:
    """The pager: previous, the first and last pages, two either side of this one, next;
    gaps as ``…``."""
    if pages <= 1:
        return []
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    links: list[dict[str, Any]] = []
    if page > 1:
        links.append({"text": "« Trang trước", "url": listing.url(page=page - 1), "rel": "prev"})
    previous = 0
    for number in shown:
        if number > previous + 1:
            links.append({"text": "…"})
        links.append(
            {
                "text": str(number),
                "url": listing.url(page=number),
                "current": number == page,
                "label": f"Trang {number}",
            }
        )
        previous = number
    if page < pages:
        links.append({"text": "Trang sau »", "url": listing.url(page=page + 1), "rel": "next"})
    return links
