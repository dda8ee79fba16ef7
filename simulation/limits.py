"""Memory limits: a population that would not fit in memory is refused up front, with an estimate,
instead of ending in an out-of-memory kill halfway through a run.

    from simulation.limits import estimate_bytes, available_memory, check_persons
    estimate_bytes(10_000_000)            # bytes for generate → simulate → result tables
    available_memory()                    # MemAvailable, or the cgroup's free room if lower
    check_persons(50_000_000)             # raises PopulationTooLargeError when it would not fit

The estimate counts rows (persons and claims) at ROW_BYTES each, times SAFETY for what a session
builds on top (households, projection, report tables). ROW_BYTES was measured as the peak resident
memory above the interpreter's baseline (ru_maxrss) for generate_population + simulate +
res.persons + res.households: at 1e6 persons 996-1,074 bytes a person (0.92-1.02 claims each) over
linan_2024, shanghai_2023, bijie_2019 and jiaxing_2025 at c38e044, 1,173-1,204 at 363a5ed (more
person columns, compiled kernels), 824-921 at 5766af8 (categorical text columns, no person columns
in the summary, fewer temporaries); at 1e5 fixed costs weigh more (1,756 incl. the kernels' JIT),
which MIN_BYTES covers. Loading files adds the parse: CSV text is held as bytes, decoded text and
per-cell strings (1e6 persons from CSV: 1,086-1,293 bytes a person, from Parquet: 1,028).

Overrides (environment): SIMULATION_MEMORY_CHECK=off skips the check; SIMULATION_MEMORY_AVAILABLE
(bytes, or with a K/M/G/T suffix, e.g. "64G") replaces the measured available memory.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from .errors import PopulationTooLargeError
from .memory_reuse import reusable_bytes

CLAIMS_PER_PERSON = 0.95  # what the generator draws (0.92-1.02 over the presets)
ROW_BYTES = 500  # per person or claim row: 975 bytes a person at 0.95 claims (measured ≤ 921)
SAFETY = 1.25  # households, projection and report tables built on top of the result
CSV_PARSE_FACTOR = 2.0  # extra bytes per CSV file byte while parsing (raw bytes + decoded text)
MIN_BYTES = 256 * 2**20  # never refuse anything smaller than this
CHECK_ENV = "SIMULATION_MEMORY_CHECK"
AVAILABLE_ENV = "SIMULATION_MEMORY_AVAILABLE"
DASK_HINT = "python -m simulation run SCENARIO --population DIR --dask local"
_SAMPLE = 1 << 20  # bytes of a CSV read to count its lines


def gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"


def estimate_bytes(persons: int, claims: int | None = None) -> int:
    """Bytes a population needs through generate/load → simulate → result tables."""
    claims = round(persons * CLAIMS_PER_PERSON) if claims is None else claims
    return int((max(persons, 0) + max(claims, 0)) * ROW_BYTES * SAFETY)


def bytes_per_person() -> float:
    return estimate_bytes(1_000_000) / 1_000_000


def _parse_size(raw: str) -> int | None:
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)i?b?\s*", raw, re.IGNORECASE)
    if not m:
        return None
    mult = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


def _read_int(path: str) -> int | None:
    try:
        raw = Path(path).read_text().strip()
    except OSError:
        return None
    return int(raw) if raw.isdigit() else None  # "max" (no limit) → None


def available_memory() -> tuple[int | None, str]:
    """(bytes available, where the figure comes from); (None, reason) when unknown."""
    env = os.environ.get(AVAILABLE_ENV)
    if env:
        n = _parse_size(env)
        if n is not None:
            return n, f"{AVAILABLE_ENV}={env}"
    found: list[tuple[int, str]] = []
    kept = reusable_bytes()  # freed memory this process keeps for reuse (memory_reuse) counts too
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found.append((int(line.split()[1]) * 1024 + kept, "MemAvailable"))
                    break
    except OSError:
        pass
    for limit, current, name in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current", "cgroup memory.max"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
            "cgroup memory.limit_in_bytes",
        ),
    ):
        lim = _read_int(limit)
        if lim is not None and lim < 2**60:  # cgroup v1 writes a huge number for "no limit"
            found.append((max(lim - (_read_int(current) or 0), 0) + kept, name))
            break
    if not found:
        return None, "unknown"
    return min(found)


def check_enabled() -> bool:
    return os.environ.get(CHECK_ENV, "on").strip().lower() not in ("off", "0", "false", "no")


def _refuse(what: str, need: int, persons: int | None) -> None:
    """Raise PopulationTooLargeError when `need` bytes exceed what is available."""
    if not check_enabled() or need <= MIN_BYTES:
        return
    avail, source = available_memory()
    if avail is None or need <= avail:
        return
    fits = int(avail / bytes_per_person() // 1000 * 1000)
    smaller = f"at most about {fits:,} persons here" if fits > 0 else "a much smaller population"
    smaller_zh = f"本机最多约 {fits:,} 人" if fits > 0 else "小得多的人口"
    raise PopulationTooLargeError(
        f"{what} would need about {gib(need)} of memory "
        f"(estimate: {bytes_per_person():,.0f} bytes a person with ~{CLAIMS_PER_PERSON} claims each) "
        f"but only {gib(avail)} is available ({source}); "
        f"use a smaller population ({smaller}), or save it in Parquet partitions and run it out of core: "
        f"{DASK_HINT}. To try anyway set {CHECK_ENV}=off.",
        zh=f"这个人口约需 {gib(need)} 内存（按每人约 {bytes_per_person():,.0f} 字节、"
        f"每人约 {CLAIMS_PER_PERSON} 条就诊记录估算），但只有 {gib(avail)} 可用；请改用更小的人口"
        f"（{smaller_zh}），或保存为分区 Parquet 文件后分块计算",
    )


def check_persons(persons, where: str = "generate_population") -> None:
    """Refuse generating `persons` persons that would not fit in memory (bad values pass through:
    the generator reports them itself)."""
    if isinstance(persons, bool) or not isinstance(persons, int) and not hasattr(persons, "__index__"):
        return
    n = int(persons)
    if n > 0:
        _refuse(f"{where}: {n:,} persons", estimate_bytes(n), n)


# ---------------------------------------------------------------------------- files
def _csv_rows(head: bytes, size: int) -> int:
    lines = head.count(b"\n")
    if size <= len(head):
        return max(lines - 1 + (not head.endswith(b"\n")), 0)
    return int(size * max(lines, 1) / max(len(head), 1))


def _parquet_rows(source) -> int | None:
    try:
        import pyarrow.parquet as pq

        f = io.BytesIO(source) if isinstance(source, bytes) else source
        return int(pq.read_metadata(f).num_rows)
    except Exception:  # not readable: the loader reports it
        return None


def table_rows(source: str | Path | bytes) -> tuple[int, int, bool]:
    """(estimated rows, file bytes, is CSV) of a persons/claims file or upload; (0, 0, False) when
    the file cannot be inspected (the loader then reports the problem)."""
    try:
        if isinstance(source, bytes):
            if source[:4] == b"PAR1":
                return _parquet_rows(source) or 0, len(source), False
            return _csv_rows(source, len(source)), len(source), True
        p = Path(source)
        if not p.is_file():
            return 0, 0, False
        size = p.stat().st_size
        if p.suffix.lower() in (".parquet", ".pq"):
            return _parquet_rows(str(p)) or 0, size, False
        with open(p, "rb") as f:
            head = f.read(_SAMPLE)
        return _csv_rows(head, size), size, True
    except (OSError, ValueError, TypeError):
        return 0, 0, False


def estimate_load_bytes(persons, claims) -> tuple[int, int, int]:
    """(bytes, persons rows, claims rows) to load two files and simulate them."""
    pr, ps, pcsv = table_rows(persons)
    cr, cs, ccsv = table_rows(claims)
    parse = CSV_PARSE_FACTOR * (ps * pcsv + cs * ccsv)
    return int(estimate_bytes(pr, cr) + parse * SAFETY), pr, cr


def check_files(persons, claims, where: str = "load_population") -> None:
    """Refuse loading files whose population would not fit in memory (estimated from the file
    sizes: Parquet row counts from its metadata, CSV lines counted in the first MiB)."""
    if not check_enabled():
        return
    need, pr, cr = estimate_load_bytes(persons, claims)
    _refuse(f"{where}: files of ~{pr:,} persons and ~{cr:,} claims", need, pr)


__all__ = [
    "PopulationTooLargeError",
    "available_memory",
    "bytes_per_person",
    "check_files",
    "check_persons",
    "estimate_bytes",
    "estimate_load_bytes",
    "table_rows",
]
