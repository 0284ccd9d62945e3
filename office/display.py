"""How times and money read on every page of both apps (docs/architecture.md,
"Times, dates and money").

Records keep times as ISO 8601 strings in UTC; people read them as local ``dd/mm/yyyy HH:MM``
in Huế (Asia/Ho_Chi_Minh, no daylight saving time); amounts are in đồng with "." between
thousands; QR codes are inline SVG. The ward node and the hub register these as Jinja
filters.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from typing import Any, Literal, overload
from zoneinfo import ZoneInfo

import qrcode
from qrcode.image.svg import SvgPathImage

from sync import ValidationError

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def local_time(value: Any) -> datetime | None:
    """``value`` (ISO string or datetime) in Vietnam time; ``None`` when empty or unreadable."""
    if not value:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # stored times are UTC even without an offset
    return moment.astimezone(VIETNAM)


def vn_datetime(value: Any) -> str:
    """``"2026-11-27T03:05:00+00:00"`` → ``"27/11/2026 10:05"``; ``""`` for ``None``.

    A string that is not a time is shown as it is rather than hidden.
    """
    moment = local_time(value)
    if moment is None:
        return "" if not value else str(value)
    return moment.strftime("%d/%m/%Y %H:%M")


def vn_date(value: Any) -> str:
    """``"2026-11-27T18:00:00+00:00"`` → ``"28/11/2026"`` (the local date); ``""`` for ``None``."""
    moment = local_time(value)
    if moment is None:
        return "" if not value else str(value)
    return moment.strftime("%d/%m/%Y")


def vnd(value: Any) -> str:
    """An amount in đồng with "." between thousands: ``8000`` → ``"8.000 đ"``; ``""`` for ``None``."""
    if value is None or value == "":
        return ""
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{amount:,}".replace(",", ".") + " đ"


def qr_svg(text: str, label: str) -> str:
    """``text`` as a QR code in inline SVG (medium error correction, 2-module quiet zone), an
    image named ``label`` for screen readers. Safe to embed: the label is escaped."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, image_factory=SvgPathImage
    )
    code.add_data(text)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg).replace(' id="qr-path"', "")
    named = f'<svg class="qr" role="img" aria-label="{html.escape(label, quote=True)}" '
    return svg.replace("<svg ", named, 1)


@overload
def form_day(text: str, field: str, label: str, *, required: Literal[True]) -> date: ...


@overload
def form_day(text: str, field: str, label: str, *, required: bool = False) -> date | None: ...


def form_day(text: str, field: str, label: str, *, required: bool = False) -> date | None:
    """A date a person typed as ``dd/mm/yyyy`` in a form; ``None`` when left empty (unless
    ``required``). :class:`ValidationError` naming ``field``, in Vietnamese, otherwise."""
    text = text.strip()
    if not text and not required:
        return None
    try:
        return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        raise ValidationError(
            f"{label} phải ghi theo dạng ngày/tháng/năm, ví dụ 05/12/2026.", field=field
        ) from None


def form_time(text: str, field: str, label: str, *, required: bool = False) -> datetime | None:
    """A time a person typed as ``dd/mm/yyyy hh:mm`` (Huế time) in a form, aware; ``None``
    when left empty (unless ``required``). :class:`ValidationError` naming ``field``, in
    Vietnamese, otherwise. The shared date entry (webapp/templates/webapp/inputs.html) sends
    this form everywhere, never the browser's own picker's."""
    text = " ".join(text.split())
    if not text and not required:
        return None
    try:
        return datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=VIETNAM)
    except ValueError:
        raise ValidationError(
            f"{label} phải ghi theo dạng ngày/tháng/năm giờ:phút, ví dụ 05/12/2026 14:30.",
            field=field,
        ) from None
