"""Shared bookkeeping of the fuzz suites (issue 8): inputs tried per entry point and outcomes by
type, written to tests/artifacts/fuzz_stats.json (gitignored) when each fuzz module finishes."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from simulation.errors import WorkbenchError

ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "fuzz_stats.json"
STATS: dict[str, Counter] = defaultdict(Counter)


def record(entry: str, outcome: str) -> None:
    STATS[entry]["inputs"] += 1
    STATS[entry][outcome] += 1


def outcome(entry: str, fn, *args, where: str | tuple[str, ...] = (), **kw):
    """Call fn; a result or a WorkbenchError (naming `where`) passes, anything else propagates."""
    try:
        out = fn(*args, **kw)
    except WorkbenchError as e:
        record(entry, type(e).__name__)
        msg = str(e)
        names = (where,) if isinstance(where, str) else where
        assert not names or any(n in msg for n in names), f"error does not name the input: {msg}"
        assert msg.strip(), "empty error message"
        return e
    except Exception as e:  # recorded, then re-raised so hypothesis reports it
        record(entry, f"UNEXPECTED {type(e).__name__}")
        raise
    record(entry, "ok")
    return out


def flush() -> None:
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    old = {}
    if ARTIFACT.exists():
        try:
            old = json.loads(ARTIFACT.read_text())
        except ValueError:
            old = {}
    for k, c in STATS.items():
        old[k] = dict(c)
    ARTIFACT.write_text(json.dumps(old, indent=2, ensure_ascii=False, sort_keys=True))


def test_collector_counts():
    record("_self_test", "ok")
    assert STATS["_self_test"]["inputs"] >= 1
    del STATS["_self_test"]
