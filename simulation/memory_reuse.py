"""Keep freed memory in the process so the next simulation reuses pages already mapped.

On virtual machines that hand freed memory back to the host (balloon free-page reporting, DAMON
reclaim, as on this project's CI machines) a page touched for the first time costs ~10x a reused
one: measured here, 4 GB touched for the first time took 10.9 s, the same 4 GB reused 0.65 s.
glibc serves arrays above its mmap threshold (128 KiB, rising to at most 32 MiB; a 1e6-person
(n, 3) table is 24 MiB, a 1e7 one 240 MiB) with their own mapping, returned on free, and trims its
heap's free top: each run then faults in fresh pages.

`keep_freed_memory()` tells glibc to serve every array from its heap and never to trim it, so the
memory a finished Result frees is reused by the next. Measured on this machine: `simulate` at 1e7
persons 4.5 -> 2.5 s a run after the first; the app's slider redraw at 1e6 0.58 -> 0.35 s median;
a 10-year projection at 1e6 about 11 s either way without the heap's top pad, 14 s with it (see
_TOP_PAD: the trade is made for the slider).

The cost: the process keeps its high-water mark of memory (freed memory stays with it, available
to it, not to other processes); `reusable_bytes()` reports that memory so the size checks in
`simulation.limits` count it. Applied when `simulation` is imported unless SIMULATION_KEEP_MEMORY
is `off`; elsewhere than glibc (macOS, musl, Windows) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

import numpy as np

ENV = "SIMULATION_KEEP_MEMORY"
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_MAX = -1, -2, -4  # glibc malloc.h
# the heap grows 64 MiB beyond each request: the app's slider runs then find room without growing
# it every run (redraw 0.55 -> 0.35 s at 1e6), though runs that keep growing fault more small pages
# (10-year projection at 1e6 ~11 -> ~14 s); 256 MiB measured the same as 64
_TOP_PAD = 64 * 2**20
_applied = False


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                     "fordblks", "keepcost")
    ]  # fmt: skip


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") else None


def enabled() -> bool:
    return os.environ.get(ENV, "on").strip().lower() not in ("off", "0", "false", "no")


def keep_freed_memory() -> bool:
    """Apply the setting (idempotent); True when glibc accepted it."""
    global _applied
    if _applied:
        return True
    libc = _libc()
    if libc is None or not enabled():
        return False
    ok = (
        libc.mallopt(_M_MMAP_MAX, 0)  # every array from the heap, which is kept ...
        and libc.mallopt(_M_TRIM_THRESHOLD, -1)  # ... never trimmed (-1 is read as SIZE_MAX)
        and libc.mallopt(_M_TOP_PAD, _TOP_PAD)
    )
    _applied = bool(ok)
    return _applied


def reusable_bytes() -> int:
    """Bytes the process has freed and kept (glibc's free heap), 0 when unknown."""
    libc = _libc()
    if libc is None or not _applied or not hasattr(libc, "mallinfo2"):
        return 0
    libc.mallinfo2.restype = _Mallinfo2
    return int(libc.mallinfo2().fordblks)


def prefault(nbytes: int, chunk: int = 8 * 2**20) -> int:
    """Touch `nbytes` of the calling thread's heap in `chunk`-sized arrays and free them again, so
    the arrays this thread allocates next reuse pages already mapped instead of faulting in fresh
    ones; returns the bytes touched (0 when the setting is not applied: freed memory would then
    go back to the system and nothing would be gained).

    glibc gives each thread its own heaps: call it on the thread that will allocate (the app's
    compute thread, before its run store fills). Chunks below the 64 MiB of a thread's heap
    coalesce, once freed, into free space that a run's arrays are carved from."""
    if not _applied or nbytes <= 0:
        return 0
    held = []
    for _ in range(max(1, nbytes // chunk)):
        a = np.empty(chunk // 8)
        a.fill(0.0)  # the pages are mapped when written, not when allocated
        held.append(a)
    touched = sum(a.nbytes for a in held)
    held.clear()
    return touched
