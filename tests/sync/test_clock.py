"""The hybrid logical clock only moves forward: local ticks, received stamps, restarts."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.clock import LOGICAL_MASK, HybridClock, Version, pack, physical_ms
from sync.store import atomic, connect, create_meta, get_meta, set_meta

START_MS = 1_764_300_000_000  # late November 2025, in Unix milliseconds
HOUR_MS = 3_600_000

# One step of the wall clock between two readings: standing still, creeping either way, or
# jumping (an NTP correction, a dead CMOS battery, a user fixing the date by hand).
wall_steps = st.one_of(
    st.just(0),
    st.integers(min_value=-5, max_value=5),
    st.integers(min_value=-48 * HOUR_MS, max_value=48 * HOUR_MS),
)
remote_stamps = st.builds(
    pack,
    st.integers(min_value=START_MS - 48 * HOUR_MS, max_value=START_MS + 48 * HOUR_MS),
    st.integers(min_value=0, max_value=LOGICAL_MASK),
)
origins = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._@", min_size=1, max_size=12)

fast = settings(max_examples=100, deadline=None)


class Wall:
    """A wall clock that reads out a scripted sequence, then stands still at the last reading."""

    def __init__(self, readings: Iterable[int]) -> None:
        self._readings: Iterator[int] = iter(readings)
        self.last = START_MS
        self.reads: list[int] = []

    def __call__(self) -> int:
        self.last = next(self._readings, self.last)
        self.reads.append(self.last)
        return self.last


def readings_from(steps: list[int]) -> list[int]:
    out, now = [], START_MS
    for step in steps:
        now += step
        out.append(now)
    return out


def assert_strictly_increasing(stamps: list[int]) -> None:
    for earlier, later in zip(stamps, stamps[1:], strict=False):
        assert later > earlier, (earlier, later)


@fast
@given(st.lists(wall_steps, min_size=1, max_size=60))
def test_tick_strictly_increases_whatever_the_wall_clock_does(steps: list[int]) -> None:
    wall = Wall(readings_from(steps))
    clock = HybridClock(now=wall)
    stamps = [clock.tick() for _ in steps]
    assert_strictly_increasing(stamps)
    # The physical part never lags the wall clock it read (Kulkarni et al., l >= pt).
    for stamp, read in zip(stamps, wall.reads, strict=True):
        assert physical_ms(stamp) >= read
    assert clock.last == stamps[-1]


@fast
@given(
    st.lists(
        st.tuples(wall_steps, st.one_of(st.none(), remote_stamps)),
        min_size=1,
        max_size=60,
    )
)
def test_receive_returns_more_than_both_the_clock_and_the_remote_stamp(
    events: list[tuple[int, int | None]],
) -> None:
    wall = Wall(readings_from([step for step, _ in events]))
    clock = HybridClock(now=wall)
    previous = clock.last
    for _step, remote in events:
        if remote is None:
            value = clock.tick()
        else:
            value = clock.receive(remote)
            assert value > remote
        assert value > previous
        assert clock.last == value
        previous = value


@fast
@given(
    st.lists(wall_steps, min_size=1, max_size=30),
    st.integers(min_value=1, max_value=72 * HOUR_MS),
    st.lists(wall_steps, min_size=1, max_size=30),
)
def test_clock_never_goes_backward_across_a_restart(
    before: list[int], set_back_ms: int, after: list[int]
) -> None:
    clock = HybridClock(now=Wall(readings_from(before)))
    for _ in before:
        clock.tick()
    persisted = clock.last

    # The PC restarts with its wall clock set back; the node reads its persisted stamp.
    restarted_wall = [r - set_back_ms for r in readings_from(after)]
    resumed = HybridClock(last=persisted, now=Wall(restarted_wall))
    observed = HybridClock(now=Wall(restarted_wall))
    observed.observe(persisted)
    for clock_after in (resumed, observed):
        stamps = [clock_after.tick() for _ in after]
        assert stamps[0] > persisted
        assert_strictly_increasing(stamps)


@fast
@given(remote_stamps, remote_stamps)
def test_observe_never_lowers_the_clock(first: int, second: int) -> None:
    clock = HybridClock(last=first, now=lambda: 0)
    clock.observe(second)
    assert clock.last == max(first, second)


def test_clock_persisted_in_the_store_survives_reopening(tmp_path) -> None:
    path = tmp_path / "node.db"
    wall = Wall([START_MS + 2 * HOUR_MS] * 5)  # the clock ran two hours fast before the restart
    clock = HybridClock(now=wall)
    conn = connect(path)
    create_meta(conn)
    for _ in range(5):
        with atomic(conn):
            set_meta(conn, "hlc", clock.tick())
    before_restart = clock.last
    conn.close()

    conn = connect(path)
    try:
        persisted = get_meta(conn, "hlc")
        assert persisted == before_restart
        resumed = HybridClock(last=persisted, now=Wall([START_MS, START_MS - 1, START_MS]))
        stamps = [resumed.tick() for _ in range(3)]
    finally:
        conn.close()
    assert stamps[0] > before_restart
    assert_strictly_increasing(stamps)


@fast
@given(
    st.integers(min_value=1, max_value=30 * 24 * HOUR_MS),
    st.integers(min_value=0, max_value=LOGICAL_MASK),
    st.lists(wall_steps, min_size=1, max_size=40),
)
def test_ticks_after_a_stamp_from_the_future_stay_above_it(
    ahead_ms: int, logical: int, steps: list[int]
) -> None:
    wall = Wall([START_MS, *readings_from(steps)])
    clock = HybridClock(now=wall)
    clock.tick()
    future = pack(START_MS + ahead_ms, logical)
    received = clock.receive(future)
    assert received > future
    stamps = [clock.tick() for _ in steps]
    assert stamps[0] > received
    assert_strictly_increasing(stamps)


def test_full_logical_counter_borrows_a_millisecond_on_tick() -> None:
    clock = HybridClock(last=pack(START_MS, LOGICAL_MASK - 1), now=lambda: START_MS)
    assert clock.tick() == pack(START_MS, LOGICAL_MASK)
    assert clock.tick() == pack(START_MS + 1, 0)
    assert clock.tick() == pack(START_MS + 1, 1)


def test_full_logical_counter_borrows_a_millisecond_on_receive() -> None:
    clock = HybridClock(last=pack(START_MS, 3), now=lambda: START_MS)
    remote = pack(START_MS + 10, LOGICAL_MASK)
    assert clock.receive(remote) == pack(START_MS + 11, 0)
    assert clock.tick() == pack(START_MS + 11, 1)


def test_frozen_wall_clock_overflows_the_counter_without_wrapping() -> None:
    clock = HybridClock(now=lambda: START_MS)
    stamps = [clock.tick() for _ in range(LOGICAL_MASK + 10)]
    assert_strictly_increasing(stamps)
    assert stamps[LOGICAL_MASK] == pack(START_MS, LOGICAL_MASK)
    assert stamps[LOGICAL_MASK + 1] == pack(START_MS + 1, 0)
    assert physical_ms(stamps[-1]) == START_MS + 1


def test_concurrent_ticks_are_all_distinct() -> None:
    clock = HybridClock(now=lambda: START_MS)
    results: list[list[int]] = [[] for _ in range(4)]

    def work(out: list[int]) -> None:
        for _ in range(2000):
            out.append(clock.tick())

    threads = [threading.Thread(target=work, args=(out,)) for out in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [stamp for out in results for stamp in out]
    assert len(set(every)) == len(every)
    for out in results:
        assert_strictly_increasing(out)


@fast
@given(st.integers(min_value=0, max_value=2**63 - 1), origins)
def test_version_encoding_round_trips(hlc: int, origin: str) -> None:
    version = Version(hlc, origin)
    assert Version.decode(version.encode()) == version


@fast
@given(
    st.integers(min_value=0, max_value=2**63 - 1),
    origins,
    st.integers(min_value=0, max_value=2**63 - 1),
    origins,
)
def test_encoded_versions_sort_like_versions(h1: int, o1: str, h2: int, o2: str) -> None:
    # The merge compares encoded versions as strings; that must agree with (hlc, origin).
    a, b = Version(h1, o1), Version(h2, o2)
    assert (a < b) == (a.encode() < b.encode())
    assert (a == b) == (a.encode() == b.encode())
