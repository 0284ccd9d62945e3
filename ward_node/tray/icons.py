"""The tray's icons, drawn with Pillow: 64×64 RGBA, one shape or mark per state.

Colour is never the only signal (a colour-blind officer, a grey-scale screenshot): each kind
has its own mark, and the syncing and offline icons carry their number (a progress arc, a count
badge). Icons are drawn four times larger and scaled down, for smooth edges without a drawing
library beyond Pillow.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

from .state import TrayState

SIZE = 64
SCALE = 4
WHITE = (255, 255, 255, 255)
INK = (33, 33, 33, 255)  # marks on the amber icon, where white would not stand out

Colour = tuple[int, int, int]


def icon_for(state: TrayState, size: int = SIZE) -> Image.Image:
    """The icon for ``state`` (its colour and mark, with its percentage or count)."""
    return draw(state.mark, state.colour, percent=state.percent, count=state.count, size=size)


def draw(
    mark: str,
    colour: Colour,
    *,
    percent: int | None = None,
    count: int = 0,
    size: int = SIZE,
) -> Image.Image:
    """A ``size``×``size`` RGBA icon: ``mark`` (see ``state.LOOKS``) on ``colour``.

    Raises ``ValueError`` for an unknown mark.
    """
    big = SIZE * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    fill = (*colour, 255)
    if mark == "exclamation":
        _exclamation(pen, fill)
    elif mark == "power":
        _power(pen, fill)
    else:
        pen.ellipse((8, 8, big - 8, big - 8), fill=fill)
        if mark == "check":
            pen.line([(68, 134), (110, 178), (190, 86)], fill=WHITE, width=30, joint="curve")
        elif mark == "arrows":
            _arrows(pen, colour, percent)
        elif mark == "up_arrow":
            _up_arrow(pen, count)
        elif mark == "cross":
            pen.line([(80, 80), (176, 176)], fill=WHITE, width=30)
            pen.line([(80, 176), (176, 80)], fill=WHITE, width=30)
        elif mark == "pause":
            pen.rounded_rectangle((78, 70, 114, 186), radius=8, fill=WHITE)
            pen.rounded_rectangle((142, 70, 178, 186), radius=8, fill=WHITE)
        else:
            raise ValueError(f"unknown tray mark {mark!r}")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _arrows(pen: ImageDraw.ImageDraw, colour: Colour, percent: int | None) -> None:
    """Two arrows chasing each other round, inside a progress ring (12 o'clock, clockwise)."""
    track = tuple((c + 255) // 2 for c in colour) + (255,)
    ring = (26, 26, 230, 230)
    pen.arc(ring, 0, 360, fill=track, width=20)
    if percent:
        pen.arc(ring, -90, -90 + 360 * min(max(percent, 0), 100) / 100, fill=WHITE, width=20)
    box = (72, 72, 184, 184)
    for start in (200, 20):
        pen.arc(box, start, start + 115, fill=WHITE, width=20)
        _arrowhead(pen, start + 115)


def _arrowhead(pen: ImageDraw.ImageDraw, angle: float) -> None:
    """A head at ``angle`` (degrees, clockwise from 3 o'clock) on the arrows' circle, pointing on."""
    centre, radius, half, length = 128, 56, 24, 34
    a = math.radians(angle)
    x, y = centre + radius * math.cos(a), centre + radius * math.sin(a)
    out = (math.cos(a), math.sin(a))  # away from the centre
    ahead = (-math.sin(a), math.cos(a))  # clockwise tangent
    pen.polygon(
        [
            (x + out[0] * half, y + out[1] * half),
            (x - out[0] * half, y - out[1] * half),
            (x + ahead[0] * length, y + ahead[1] * length),
        ],
        fill=WHITE,
    )


def _up_arrow(pen: ImageDraw.ImageDraw, count: int) -> None:
    """An arrow going up (changes waiting to be sent) and a badge with how many."""
    pen.polygon([(104, 34), (164, 108), (44, 108)], fill=INK)
    pen.rectangle((86, 104, 122, 200), fill=INK)
    if count <= 0:
        return
    text = str(count) if count < 100 else "99+"
    centre, radius = (186, 186), 66
    box = (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius)
    pen.ellipse(box, fill=INK, outline=WHITE, width=10)
    _numerals(pen, text, centre)


#: Seven segments (a top, b top right, c bottom right, d bottom, e bottom left, f top left,
#: g middle) as line ends on a unit box; the badge's digits are drawn, not typeset: Pillow's
#: FreeType clashes with the one GTK loads (text comes out blank once pystray is imported),
#: and a desk PC may lack any given font.
SEGMENTS = {
    "a": ((0, 0), (1, 0)),
    "b": ((1, 0), (1, 0.5)),
    "c": ((1, 0.5), (1, 1)),
    "d": ((0, 1), (1, 1)),
    "e": ((0, 0.5), (0, 1)),
    "f": ((0, 0), (0, 0.5)),
    "g": ((0, 0.5), (1, 0.5)),
}
DIGITS = {
    "0": "abcdef",
    "1": "bc",
    "2": "abged",
    "3": "abgcd",
    "4": "fgbc",
    "5": "afgcd",
    "6": "afgedc",
    "7": "abc",
    "8": "abcdefg",
    "9": "abcdfg",
}


def _numerals(pen: ImageDraw.ImageDraw, text: str, centre: tuple[int, int]) -> None:
    """``text`` (digits and ``+``) in white strokes, centred on ``centre``."""
    width, height, stroke, gap = {1: (38, 66, 13, 0), 2: (28, 56, 10, 14)}.get(
        len(text), (22, 44, 8, 8)
    )
    left = centre[0] - (len(text) * width + (len(text) - 1) * gap) / 2
    top = centre[1] - height / 2
    for i, char in enumerate(text):
        x = left + i * (width + gap)
        if char == "+":
            lines = [((0, 0.5), (1, 0.5)), ((0.5, 0.25), (0.5, 0.75))]
        else:
            lines = [SEGMENTS[s] for s in DIGITS[char]]
        for (x0, y0), (x1, y1) in lines:
            ends = [(x + x0 * width, top + y0 * height), (x + x1 * width, top + y1 * height)]
            pen.line(ends, fill=WHITE, width=stroke)
            for ex, ey in ends:  # round caps and joints
                r = stroke / 2
                pen.ellipse((ex - r, ey - r, ex + r, ey + r), fill=WHITE)


def _exclamation(pen: ImageDraw.ImageDraw, fill: tuple[int, int, int, int]) -> None:
    """A warning triangle with an exclamation mark."""
    points = [(128, 14), (246, 232), (10, 232)]
    pen.polygon(points, fill=fill)
    pen.line([*points, points[0]], fill=fill, width=16, joint="curve")
    pen.rounded_rectangle((114, 74, 142, 170), radius=12, fill=WHITE)
    pen.ellipse((112, 184, 144, 216), fill=WHITE)


def _power(pen: ImageDraw.ImageDraw, fill: tuple[int, int, int, int]) -> None:
    """An empty circle with a power sign: the ward node is not running."""
    pen.ellipse((10, 10, 246, 246), fill=(245, 245, 245, 255), outline=fill, width=18)
    pen.arc((64, 64, 192, 192), -50, 230, fill=fill, width=22)
    pen.line([(128, 46), (128, 128)], fill=fill, width=22)
