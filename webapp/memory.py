"""Process memory tuning for the servers.

glibc gives each thread that allocates its own malloc arena. A waitress server answers sync
requests on up to 8 threads, each briefly holding a whole changeset in memory, and each arena
keeps its high-water mark: the hub's memory grew with the number of threads times the largest
changeset (655 MB for a 100,000-change backlog, 240 MB with two arenas; ``bench/bench_sync.py``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_ARENA_MAX = -8  # from glibc's malloc.h


def limit_malloc_arenas(count: int = 2) -> bool:
    """Cap glibc's malloc arenas (as ``MALLOC_ARENA_MAX`` would); True when it applied.

    Call before the server starts its threads. Does nothing on other C libraries.
    """
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_ARENA_MAX, count))
    except (OSError, AttributeError):
        return False
