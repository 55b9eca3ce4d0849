"""The C library's memory allocator, tuned for a process xlcrm owns; where it is glibc's (Linux), else untouched.

glibc gives each new thread that allocates an arena of its own (up to eight per core), and memory freed in one
arena serves only the threads of that arena. A big workbook is read on several
threads at once (the sheet's XML inflated on one and scanned in pieces on two, the zip checked on another), each
allocating and freeing arrays of megabytes: with an arena per thread, what one thread freed is not reused by the
next, which takes fresh pages from the system instead. One arena for the whole process lets every thread reuse
what any freed; the threads allocate little often enough for its lock to be worth it.

Measured on the benchmark's 100,000 / 1,000,000 workbook, alternating runs (README, *Performance*): the main
process of a first night's refresh peaked at 1,064-1,076 MiB instead of 1,174-1,176 MiB, the helper process
reading Interactions for ``validate`` at 460-462 MiB instead of 508-571 MiB; wall times within the runs' spread.

Only processes xlcrm owns do this, first thing: the ``xlcrm`` program and the helper processes it starts. Library
functions never do, since an application that embeds xlcrm owns its allocator; nor does a process whose
environment sets the arenas itself (``MALLOC_ARENA_MAX``, ``GLIBC_TUNABLES``). The same holds for giving freed
memory back to the system (``give_back_freed_memory``): a library function may ask for it, and it happens only in
a process xlcrm owns.
"""

from __future__ import annotations

import ctypes
import os
import sys

# glibc's mallopt parameter for the most arenas a process may have (malloc.h).
_M_ARENA_MAX = -8
# Whether this process is one xlcrm owns (``one_arena`` was called): the program or one of its helper processes.
_owned = False


def _glibc() -> ctypes.CDLL | None:
    """glibc, when this process runs on it and it has the functions used here."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):  # glibc answers "glibc 2.36"; another C library does not
            return None
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018  # a library posing as glibc may lack them
    except (OSError, ValueError, AttributeError):
        return None
    return libc


def _arenas_set_by_user() -> bool:
    """Whether the environment sets the arenas itself (``MALLOC_ARENA_MAX``, or glibc's tunables): a choice of the
    user's, which xlcrm keeps."""
    return "MALLOC_ARENA_MAX" in os.environ or "glibc.malloc.arena_max" in os.environ.get("GLIBC_TUNABLES", "")


def one_arena() -> bool:
    """Serve the threads this process starts from now on from glibc's main arena; True when glibc took that
    setting, False where the allocator is not glibc's or the environment sets the arenas itself.

    Call it first thing, before any thread starts: a thread that has allocated already keeps its arena, a new
    thread may take over the arena of one that ended, and once glibc has made more than eight arenas it keeps
    its own limit."""
    global _owned
    _owned = True
    libc = _glibc()
    return libc is not None and not _arenas_set_by_user() and libc.mallopt(_M_ARENA_MAX, 1) == 1


def give_back_freed_memory() -> None:
    """Return the freed memory glibc keeps to the system (a few hundred MB after a million rows were read); does
    nothing where the allocator is not glibc's, or in a process xlcrm does not own (``one_arena`` never called
    there): an application that embeds xlcrm decides when its memory goes back."""
    libc = _glibc() if _owned else None
    if libc is not None:
        libc.malloc_trim(0)
