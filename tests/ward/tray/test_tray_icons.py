"""The tray's icons (``ward_node/tray/icons.py``): each state rendered to PNG and checked pixel by
pixel — right size, not blank, the state's colour, and a mark that differs from every other one
even without colour. The PNGs are kept in ``$TMPDIR/ward-tray-icons/`` to look at.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("PIL", reason="the tray extra (Pillow) is not installed")

from PIL import Image, ImageChops, ImageStat  # noqa: E402

from ward_node.tray.icons import draw, icon_for  # noqa: E402
from ward_node.tray.state import LOOKS, TrayState  # noqa: E402

OUT = Path(tempfile.gettempdir()) / "ward-tray-icons"
WHITE = (255, 255, 255)


def render(kind: str, **extra: int) -> Image.Image:
    colour, mark = LOOKS[kind]
    state = TrayState(kind, "", colour, mark, **extra)  # type: ignore[arg-type]
    image = icon_for(state)
    OUT.mkdir(exist_ok=True)
    suffix = "".join(f"-{k}{v}" for k, v in extra.items())
    image.save(OUT / f"{kind}{suffix}.png")
    return image


def rgb(image: Image.Image, x: int, y: int) -> tuple[int, int, int]:
    r, g, b, a = image.getpixel((x, y))  # type: ignore[misc]
    assert a > 200, f"pixel {(x, y)} is transparent"
    return (r, g, b)


def near(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def pixels(image: Image.Image) -> list[tuple[int, ...]]:
    """Every pixel as a tuple of its bands (``getdata`` is deprecated in Pillow 13)."""
    raw, bands = image.tobytes(), len(image.getbands())
    return [tuple(raw[i : i + bands]) for i in range(0, len(raw), bands)]


def share(image: Image.Image, colour: tuple[int, int, int]) -> float:
    """The fraction of the icon's pixels that are ``colour`` (opaque, within a tolerance)."""
    every = pixels(image)
    return sum(1 for p in every if p[3] > 200 and near(p[:3], colour)) / len(every)


ALL = {
    "synced": {},
    "syncing": {"percent": 45},
    "offline": {"count": 37},
    "offline_long": {},
    "error": {},
    "paused": {},
    "down": {},
}


@pytest.mark.parametrize("kind", sorted(ALL))
def test_every_state_is_a_64_pixel_icon_in_its_colour(kind: str) -> None:
    image = render(kind, **ALL[kind])
    assert image.size == (64, 64) and image.mode == "RGBA"
    opaque = sum(1 for p in pixels(image) if p[3] > 200)
    assert opaque > 0.35 * 64 * 64, "the icon is (nearly) blank"
    assert image.getpixel((0, 0))[3] == 0, "the corners stay transparent"  # type: ignore[index]
    colour = LOOKS[kind][0]
    assert share(image, colour) > 0.15, f"too little of {colour} in the {kind} icon"
    for other, (other_colour, _) in LOOKS.items():
        if other_colour != colour:
            assert share(image, other_colour) < 0.05, f"the {kind} icon looks {other}"


def test_the_marks_differ_even_in_grey() -> None:
    # Colour is not the only signal: compare the icons as a colour-blind eye would.
    grey = {kind: render(kind, **extra).convert("LA") for kind, extra in ALL.items()}
    for a, b in itertools.combinations(grey, 2):
        diff = ImageChops.difference(grey[a], grey[b])
        changed = sum(1 for p in pixels(diff) if max(p) > 60)
        assert changed > 150, f"{a} and {b} look alike without colour ({changed} pixels differ)"


def test_synced_has_a_check_and_offline_long_a_cross() -> None:
    synced, cross = render("synced"), render("offline_long")
    assert near(rgb(synced, 27, 43), WHITE, 10)  # the check's lowest point
    assert near(rgb(synced, 32, 32), LOOKS["synced"][0])  # the middle stays green
    assert near(rgb(cross, 32, 32), WHITE, 10)  # where the strokes cross
    assert near(rgb(cross, 22, 22), WHITE, 10) and near(rgb(cross, 42, 22), WHITE, 10)


def test_the_progress_arc_grows_clockwise_from_twelve() -> None:
    blue = LOOKS["syncing"][0]
    track = tuple((c + 255) // 2 for c in blue)
    at_three, at_nine = (55, 32), (9, 32)  # on the ring
    none, half, full = (render("syncing", percent=p) for p in (0, 50, 100))
    assert near(rgb(none, *at_three), track) and near(rgb(none, *at_nine), track)
    assert near(rgb(half, *at_three), WHITE, 10) and near(rgb(half, *at_nine), track)
    assert near(rgb(full, *at_three), WHITE, 10) and near(rgb(full, *at_nine), WHITE, 10)


def test_the_offline_icon_counts_waiting_changes_in_a_badge() -> None:
    amber = LOOKS["offline"][0]
    empty, three, many, lots = (render("offline", count=n) for n in (0, 3, 37, 250))
    badge = (46, 57)  # inside the badge, below its digits
    assert near(rgb(empty, *badge), amber)
    assert near(rgb(three, *badge), (33, 33, 33)) and near(rgb(many, *badge), (33, 33, 33))
    # Digits are drawn inside the badge (white, within its white rim).
    centre = (46.5, 46.5)
    for image in (three, many, lots):
        digits = [
            (x, y)
            for x in range(30, 64)
            for y in range(30, 64)
            if (x - centre[0]) ** 2 + (y - centre[1]) ** 2 < 11**2
            and near(rgb(image, x, y), WHITE, 40)
        ]
        assert len(digits) > 20, "the badge has no number in it"
    box = (34, 34, 64, 64)
    assert ImageStat.Stat(ImageChops.difference(three, many).crop(box)).sum[0] > 0
    assert ImageStat.Stat(ImageChops.difference(many, lots).crop(box)).sum[0] > 0
    # The arrow itself does not move with the count.
    arrow = (4, 4, 34, 34)
    assert ImageStat.Stat(ImageChops.difference(empty, many).crop(arrow)).sum[0] == 0


def test_error_is_a_triangle_and_down_an_empty_circle() -> None:
    error, down = render("error"), render("down")
    assert error.getpixel((4, 6))[3] == 0 and error.getpixel((60, 6))[3] == 0  # type: ignore[index]
    assert rgb(error, 4, 56) == LOOKS["error"][0]  # bottom corners filled
    assert near(rgb(error, 32, 30), WHITE, 10)  # the exclamation mark
    assert near(rgb(down, 32, 37), (245, 245, 245))  # empty middle, under the power sign
    assert near(rgb(down, 32, 4), LOOKS["down"][0])  # the grey rim


def test_an_unknown_mark_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown tray mark"):
        draw("smiley", (0, 0, 0))
