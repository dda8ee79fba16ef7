"""Keep freed memory in the process so the next simulation reuses pages already mapped.

glibc hands every allocation above 32 MiB (a 1e6-person (n, 3) table is 24 MiB, a 1e7 one 240 MiB)
its own mmap and returns it to the OS on free; the next run then faults in fresh pages. On virtual
machines that hand freed memory back to the host (balloon free-page reporting, DAMON reclaim, as on
this project's CI machines) a fresh page costs ~10x a reused one: measured here, 4 GB touched for
the first time took 10.9 s, the same 4 GB reused 0.65 s, and `simulate` at 1e7 persons took 6.9 s
per run with the default allocator, 2.5 s with this setting (benchmarks/RESULTS.md).

`keep_freed_memory()` tells glibc to serve large arrays from its heap and not to trim it: memory a
finished Result frees is reused by the next one. The cost is that the process keeps its high-water
mark of memory (freed memory stays with it, available to it, not to other processes);
`reusable_bytes()` reports that memory so the size checks in `simulation.limits` count it.
It is applied when `simulation` is imported, unless SIMULATION_KEEP_MEMORY=off; elsewhere than
glibc (macOS, musl, Windows) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

ENV = "SIMULATION_KEEP_MEMORY"
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_MAX = -1, -2, -4  # glibc malloc.h
_TOP_PAD = 256 * 2**20  # grow the heap in 256 MiB steps: fewer brk calls for 1e7-person arrays
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
        libc.mallopt(_M_MMAP_MAX, 0)  # large arrays from the heap, which is kept ...
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
