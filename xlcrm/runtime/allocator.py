"""The C library's memory allocator, tuned for a process xlcrm owns; where it is glibc's (Linux), else untouched.

glibc gives a thread that allocates while another thread holds the main arena an arena of its own (up to eight
per core), and memory freed in one arena serves only the threads of that arena. A big workbook is read on several
threads at once (the sheet's XML inflated on one and scanned in pieces on two, the zip checked on another), each
allocating and freeing arrays of megabytes: with an arena per thread, what one thread freed is not reused by the
next, which takes fresh pages from the system instead. One arena for the whole process lets every thread reuse
what any freed; the threads allocate little often enough for its lock to be worth it.

Measured on the benchmark's 100,000 / 1,000,000 workbook, alternating runs (README, *Performance*): the main
process of a first night's refresh peaked at 1,064-1,076 MiB instead of 1,174-1,176 MiB, the helper process
reading Interactions for ``validate`` at 460-462 MiB instead of 508-571 MiB; wall times within the runs' spread.

Only processes xlcrm owns do this: the ``xlcrm`` program and the helper processes it starts. Library functions
never do, since an application that embeds xlcrm owns its allocator.
"""

from __future__ import annotations

import ctypes
import sys

# glibc's mallopt parameter for the most arenas a process may have (malloc.h).
_M_ARENA_MAX = -8


def _glibc() -> ctypes.CDLL | None:
    """glibc, when this process runs on it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018  # only glibc has it (musl's libc does not)
    except (OSError, AttributeError):
        return None
    return libc


def one_arena() -> bool:
    """Serve every thread of this process started from now on from glibc's main arena; True when that was set,
    False where the allocator is not glibc's. Call it before the threads start: one that has allocated already
    keeps the arena it has."""
    libc = _glibc()
    return libc is not None and libc.mallopt(_M_ARENA_MAX, 1) == 1


def give_back_freed_memory() -> None:
    """Return the freed memory glibc keeps to the system (a few hundred MB after a million rows were read); does
    nothing where the allocator is not glibc's."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
