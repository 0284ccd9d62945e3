"""Hybrid logical clock (Kulkarni et al., 2014), packed into one sortable 64-bit integer.

A timestamp is ``(physical milliseconds << 16) | logical counter``. The clock never goes
backward: it is advanced on every local write (:meth:`HybridClock.tick`) and on every received
change (:meth:`HybridClock.receive`), and its last value is persisted by the caller in the same
transaction as the write it stamped, so a restart resumes from at least that value.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

LOGICAL_BITS = 16
LOGICAL_MASK = (1 << LOGICAL_BITS) - 1


def pack(physical_ms: int, logical: int) -> int:
    """Pack a physical time in ms and a logical counter into one timestamp."""
    return (physical_ms << LOGICAL_BITS) | logical


def physical_ms(ts: int) -> int:
    """The physical part (Unix milliseconds) of a timestamp."""
    return ts >> LOGICAL_BITS


def wall_ms() -> int:
    """Now, in Unix milliseconds."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, order=True)
class Version:
    """The version of a field value: ordered by HLC, then by origin to break ties."""

    hlc: int
    origin: str

    def encode(self) -> str:
        """A string whose lexicographic order is the version order."""
        return f"{self.hlc:016x}@{self.origin}"

    @classmethod
    def decode(cls, text: str) -> Version:
        """Inverse of :meth:`encode`."""
        hlc, _, origin = text.partition("@")
        return cls(int(hlc, 16), origin)


class HybridClock:
    """A thread-safe hybrid logical clock.

    ``last`` is the last timestamp issued or received; ``now`` supplies wall milliseconds
    (replaceable in tests to simulate skew).
    """

    def __init__(self, last: int = 0, now: Callable[[], int] = wall_ms) -> None:
        self._last = last
        self._now = now
        self._lock = threading.Lock()

    @property
    def last(self) -> int:
        """The last timestamp issued or received."""
        return self._last

    def tick(self) -> int:
        """Return a new timestamp for a local event, greater than every earlier one."""
        with self._lock:
            wall = self._now()
            if wall > physical_ms(self._last):
                self._last = pack(wall, 0)
            else:
                self._last = self._bump(self._last)
            return self._last

    def receive(self, remote: int) -> int:
        """Merge a timestamp received from another node; return the new clock value."""
        with self._lock:
            wall = self._now()
            top = max(self._last, remote)
            if wall > physical_ms(top):
                self._last = pack(wall, 0)
            else:
                self._last = self._bump(top)
            return self._last

    def observe(self, persisted: int) -> None:
        """Raise the clock to at least ``persisted`` (a value read back from the store)."""
        with self._lock:
            self._last = max(self._last, persisted)

    @staticmethod
    def _bump(ts: int) -> int:
        if ts & LOGICAL_MASK == LOGICAL_MASK:
            # The counter is full: borrow one millisecond rather than wrap.
            return pack(physical_ms(ts) + 1, 0)
        return ts + 1
