"""Keep freed memory in the process so the next simulation reuses pages already mapped.

On virtual machines that hand freed memory back to the host (balloon free-page reporting, DAMON
reclaim, as on this project's CI machines) a page touched for the first time costs ~10x a reused
one: measured here, 4 GB touched for the first time took 10.9 s, the same 4 GB reused 0.65 s.
glibc serves arrays above its mmap threshold (128 KiB, rising to at most 32 MiB) with their own
mapping, returned on free, and trims its heap's free top: the next run faults in fresh pages.

`keep_freed_memory()` sets SIMULATION_KEEP_MEMORY's mode (default `heap`):
- `heap`: arrays up to 32 MiB (every per-person array up to 1.3 million persons) from the heap,
  which is never trimmed; larger ones keep their own mapping (with transparent huge pages, so a
  fresh one is cheap to fault in).
- `all`: every array from the kept heap; best for repeating runs of one large population
  (`simulate` at 1e7 persons 4.5 -> 2.3 s a run), worse for runs that keep growing (a 10-year
  projection at 1e6: 10 -> 14 s, the heap's fresh pages not being huge pages).
- `off`: glibc's defaults.
Measured at 1e6 persons (median slider redraw in the app over 12 moves / 10-year projection):
heap 0.46 s / 9-11 s, all 0.36 s / 14-15 s, off 0.58 s / 11 s.

The cost: the process keeps its high-water mark of memory (freed memory stays with it, available
to it, not to other processes); `reusable_bytes()` reports that memory so the size checks in
`simulation.limits` count it. Applied when `simulation` is imported; elsewhere than glibc (macOS,
musl, Windows) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

ENV = "SIMULATION_KEEP_MEMORY"
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -2, -3, -4  # glibc malloc.h
_HEAP_MAX = 32 * 2**20  # glibc's largest mmap threshold (64-bit)
MODES = ("heap", "all", "off")
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


def mode() -> str:
    """The mode SIMULATION_KEEP_MEMORY asks for (`heap` when unset or not one of MODES)."""
    raw = os.environ.get(ENV, "heap").strip().lower()
    return "off" if raw in ("off", "0", "false", "no") else raw if raw in MODES else "heap"


def enabled() -> bool:
    return mode() != "off"


def keep_freed_memory() -> bool:
    """Apply the setting (idempotent); True when glibc accepted it."""
    global _applied
    if _applied:
        return True
    libc = _libc()
    if libc is None or not enabled():
        return False
    ok = libc.mallopt(_M_TRIM_THRESHOLD, -1)  # the heap is never trimmed (-1 is read as SIZE_MAX)
    if mode() == "all":  # every array from the heap
        ok = ok and libc.mallopt(_M_MMAP_MAX, 0) and libc.mallopt(_M_TOP_PAD, _TOP_PAD)
    else:  # arrays up to 32 MiB from the heap (a fixed threshold, not glibc's rising one)
        ok = ok and libc.mallopt(_M_MMAP_THRESHOLD, _HEAP_MAX)
    _applied = bool(ok)
    return _applied


def reusable_bytes() -> int:
    """Bytes the process has freed and kept (glibc's free heap), 0 when unknown."""
    libc = _libc()
    if libc is None or not _applied or not hasattr(libc, "mallinfo2"):
        return 0
    libc.mallinfo2.restype = _Mallinfo2
    return int(libc.mallinfo2().fordblks)
