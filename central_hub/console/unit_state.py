"""What the console's dashboard says of each enrolled node: its state (in sync, behind,
offline since, error) from its last contact and latest sync outcome, what it last reported of
itself (pending changes and the age of the oldest, software, store schema), its keys, what
waits for it at the hub and its unit's overdue dossiers. Pure formatting is kept apart from
the one query function, :func:`unit_rows`, which ``console.js`` polls as JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, url_for

from office import VIETNAM, local_time, vn_datetime
from sync import RELEASE, release_of

from .. import nodes
from ..dossiers.overdue import overdue_counts
from ..store import Journal, fleet, sync_history, upgrades
from ..web import db, state

SYNCED_WITHIN = timedelta(minutes=2)
OFFLINE_AFTER = timedelta(minutes=10)


def _since(moment: datetime, now: datetime) -> str:
    local = moment.astimezone(VIETNAM)
    if local.date() == now.astimezone(VIETNAM).date():
        return local.strftime("%H:%M")
    return local.strftime("%d/%m/%Y %H:%M")


def age_text(seconds: float) -> str:
    """A duration as an administrator says it: ``dưới 1 phút``, ``5 phút``, ``3 giờ``, ``2 ngày``."""
    minutes = int(max(0, seconds) // 60)
    if minutes < 1:
        return "dưới 1 phút"
    if minutes < 60:
        return f"{minutes} phút"
    if minutes < 48 * 60:
        return f"{minutes // 60} giờ"
    return f"{minutes // (24 * 60)} ngày"


def pending_text(node: dict[str, Any], now: datetime) -> tuple[str, str]:
    """The node's own count of changes waiting to reach the hub and the age of the oldest
    (``12 · cũ nhất 3 giờ``; ``—`` when none), and a note with the time of the report when it
    is not fresh (``(báo lúc 14:05)``): an offline node's count may have grown since."""
    reported = local_time(node.get("status_reported_at"))
    if reported is None:
        return "Chưa báo", ""
    count = int(node.get("pending_changes") or 0)
    oldest = local_time(node.get("oldest_pending_at"))
    if not count:
        text = "—"
    elif oldest is None:
        text = str(count)
    else:
        text = f"{count} · cũ nhất {age_text((now - oldest).total_seconds())}"
    note = f"(báo lúc {_since(reported, now)})" if now - reported > SYNCED_WITHIN else ""
    return text, note


def hub_software() -> str:
    """This hub's software as a node reports its own (``wardsync 0.2.0``): the release of
    the code running, whatever an installed package's metadata says."""
    return f"wardsync {RELEASE}"


def release_note(software: str | None) -> tuple[str, str]:
    """How a node's release stands against the hub's (docs/upgrades.md, "The promise"):
    (``same`` | ``behind`` | ``ahead`` | ``unknown``, a short Vietnamese note)."""
    mine, theirs = release_of(RELEASE), release_of(software)
    if theirs is None:
        return "unknown", ""
    if theirs == mine:
        return "same", ""
    if mine is not None and theirs > mine:
        return "ahead", "mới hơn máy chủ: hãy nâng cấp máy chủ trung tâm trước"
    return "behind", "cũ hơn máy chủ: nâng cấp khi thuận tiện"


def key_status(node: dict[str, Any]) -> tuple[str, str]:
    """A node's keys in words: (status, detail) — active since, rotation asked, revoked."""
    if node["status"] != "active":
        since = vn_datetime(node.get("revoked_at"))[:10]
        return "Đã thu hồi", f"từ {since}" if since else ""
    if node.get("rotate_requested_at"):
        return "Chờ đổi khóa", f"yêu cầu lúc {vn_datetime(node['rotate_requested_at'])}"
    since = vn_datetime(node.get("keys_since"))[:10]
    return "Hoạt động", f"từ {since}" if since else ""


STATE_WORDS = {
    "synced": "Đồng bộ",
    "behind": "Chậm",
    "offline": "Mất liên lạc",
    "error": "Lỗi",
    "revoked": "Đã thu hồi",
    "never": "Chưa kết nối",
}


def moments(now: datetime) -> fleet.Moments:
    """The times a node's last contact is compared with at ``now`` (in sync within 2
    minutes, offline after 10)."""
    return fleet.Moments.at(now, SYNCED_WITHIN, OFFLINE_AFTER)


def unit_rows(now: datetime | None = None, *, unit: str | None = None) -> list[dict[str, Any]]:
    """Every enrolled node (of ``unit`` when given) with its state, as the dashboard shows it."""
    now = now or datetime.now(UTC)
    listed = fleet.node_page(db(), fleet.FleetFilter(unit=unit), moments(now), limit=None)
    return state_rows(listed, now)


def state_rows(listed: list[tuple[str, str]], now: datetime) -> list[dict[str, Any]]:
    """The dashboard's rows (JSON-ready) of the nodes ``listed`` as ``(node_id, state)`` by
    :func:`central_hub.store.fleet.node_page`, in that order: what each row shows is read for
    those nodes only, so a page costs the same in a fleet of 27 or 3,321."""
    conn = db()
    drift = int(current_app.config["DRIFT_SECONDS"])
    journal = Journal(conn, state().hub_id)
    states = dict(listed)
    found = nodes.list_nodes(conn, [node_id for node_id, _ in listed])
    units = sorted({node["unit"] for node in found})
    overdue = overdue_counts(conn, now.isoformat(timespec="seconds"), units)
    hub = hub_software()
    waiting_upgrade = upgrades.waiting_counts(conn, list(states))
    rows = []
    for node in found:
        code = states[node["node_id"]]
        words = STATE_WORDS[code]
        detail = ""
        if code == "error":
            refused = sync_history.refused_now(conn, node["node_id"], node["unit"])
            detail = refused[0] if refused is not None else ""
        seen = local_time(node["last_seen_at"])
        if code == "offline" and seen is not None:
            words = f"Mất liên lạc từ {_since(seen, now)}"
        offset = node["clock_offset_s"]
        pending, pending_note = pending_text(node, now)
        keys, keys_detail = key_status(node)
        release, release_text = release_note(node["software"])
        rows.append(
            {
                **node,
                "state": code,
                "state_text": words,
                "state_detail": detail,
                "last_seen": vn_datetime(node["last_seen_at"]) or "Chưa có",
                "clock_offset": "" if offset is None else f"{round(offset):+d} giây",
                "clock_warning": offset is not None and abs(offset) > drift,
                "key_status": keys,
                "key_detail": keys_detail,
                "fingerprint_short": " ".join(
                    node["fingerprint"][i : i + 4] for i in range(0, 16, 4)
                ),
                "pending": pending,
                "pending_note": pending_note,
                # The migration's number is enough to compare wards; its full name is a tooltip.
                "schema_number": (node["schema_version"] or "").split("_", 1)[0],
                "software_mismatch": bool(hub and node["software"] and node["software"] != hub),
                "hub_software": hub,
                "release": release,
                "release_note": release_text,
                # What the hub holds until this node is upgraded (docs/upgrades.md).
                "upgrade_waiting": waiting_upgrade.get(node["node_id"], 0),
                "waiting": journal.count_routed(node["unit"], int(node["pulled_cursor"] or 0)),
                "overdue": overdue.get(node["unit"], 0),
                "overdue_url": url_for("console_stats.overdue", unit=node["unit"]),
                "url": url_for("console.unit", unit=node["unit"]),
            }
        )
    return rows
