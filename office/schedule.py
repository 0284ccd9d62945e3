"""The weekly meeting schedule, shared by the ward node and the hub's console (docs/domain.md,
"Meetings and invitations"): the Monday–Sunday week in Huế time, the schedule's rows in
docs/domain.md's columns, and the RFC 5545 ``.ics`` export of those rows.

Pure functions over records as stored (ISO 8601 times in UTC); no store, no web framework.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from icalendar import Calendar, Event

from sync import ValidationError

from .display import VIETNAM

# Approved meetings and the later states the city publishes go into the weekly schedule;
# a meeting awaiting approval (``registered``) or cancelled does not.
SCHEDULED = ("approved", "published", "postponed")
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
# The domain of every event's UID: one meeting keeps one UID in every calendar it lands in.
UID_DOMAIN = "wardsync.hue.gov.vn"


def week_of(day: date | str | None) -> tuple[date, datetime, datetime]:
    """(Monday, start, end) of the Monday–Sunday week holding ``day`` in Huế time.

    ``day`` is a date, an ISO ``YYYY-MM-DD`` string, or ``None`` (or ``""``) for this week.
    ``start`` and ``end`` are aware UTC instants, end exclusive. Raises
    :class:`ValidationError` (field ``week``) when the string is not a date.
    """
    if day is None or day == "":
        day = datetime.now(UTC).astimezone(VIETNAM).date()
    elif isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            raise ValidationError("Tuần phải ghi theo dạng YYYY-MM-DD.", field="week") from None
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), VIETNAM)
    return monday, start.astimezone(UTC), (start + timedelta(days=7)).astimezone(UTC)


def schedule_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The weekly schedule's rows, in time order, with the columns of docs/domain.md,
    "Meetings and invitations": day, time, content, presiding leader, place, participants,
    preparing office, notes.

    ``items`` are meetings or invitations (both carry id, subject, starts_at; ends_at, place,
    chair ... when known). Each row also keeps ``id``, ``date`` (ISO, Huế),
    ``starts_at`` and ``ends_at`` as stored.
    """
    rows = []
    for item in sorted(items, key=lambda m: (m["starts_at"], m["id"])):
        start = datetime.fromisoformat(item["starts_at"]).astimezone(VIETNAM)
        end = item.get("ends_at")
        hours = start.strftime("%H:%M")
        if end:
            hours += " – " + datetime.fromisoformat(end).astimezone(VIETNAM).strftime("%H:%M")
        notes = [item.get("notes") or ""]
        if item.get("symbol"):
            notes.insert(0, f"Giấy mời số {item['symbol']}")
        if item.get("status") == "postponed" or item.get("kind") == "postponement":
            notes.insert(0, "Đã hoãn, họp lại theo lịch này")
        rows.append(
            {
                "id": item["id"],
                "date": start.date().isoformat(),
                "day": f"{WEEKDAYS[start.weekday()]}, {start:%d/%m/%Y}",
                "time": hours,
                "content": item["subject"],
                "chair": item.get("chair") or "",
                "place": item.get("place") or "",
                "participants": item.get("participants") or item.get("invited") or "",
                "preparing_office": item.get("preparing_office") or "",
                "notes": "; ".join(n for n in notes if n),
                "starts_at": item["starts_at"],
                "ends_at": end,
            }
        )
    return rows


def to_ics(rows: list[dict[str, Any]], name: str, *, stamp: datetime | None = None) -> bytes:
    """The schedule ``rows`` (from :func:`schedule_rows`) as an RFC 5545 calendar named
    ``name``, one event per row, times in UTC; an event without an end lasts an hour.

    ``stamp`` is every event's DTSTAMP (now when ``None``). Returns the calendar's bytes.
    """
    cal = Calendar()
    cal.add("prodid", "-//wardsync//lich hop tuan//VI")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    stamp = stamp or datetime.now(UTC).replace(microsecond=0)
    for row in rows:
        event = Event()
        event.add("uid", f"{row['id']}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        start = datetime.fromisoformat(row["starts_at"]).astimezone(UTC)
        event.add("dtstart", start)
        end = row.get("ends_at")
        event.add(
            "dtend",
            datetime.fromisoformat(end).astimezone(UTC) if end else start + timedelta(hours=1),
        )
        event.add("summary", row["content"])
        if row["place"]:
            event.add("location", row["place"])
        details = [
            f"Chủ trì: {row['chair']}" if row["chair"] else "",
            f"Thành phần: {row['participants']}" if row["participants"] else "",
            f"Chuẩn bị: {row['preparing_office']}" if row["preparing_office"] else "",
            row["notes"],
        ]
        event.add("description", "\n".join(d for d in details if d))
        cal.add_component(event)
    ics: bytes = cal.to_ical()
    return ics
