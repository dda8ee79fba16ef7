"""How rules are compiled: `@rule` makes a scalar rule a numba function inlined into the loops that
call it (simulation.kernels), so each rule is written once and costs no call.

`NUMBA_DISABLE_JIT=1` (numba's own switch) runs every rule and every loop as plain Python, the
same operations in the same order: for debugging, and for following one family through the rules.
A compiled rule is also callable from Python (`rule(x, ...)`), and `rule.py_func` is its source.

The loops are cached on disk (`cache=True`). numba keeps a cached function while the source file
that defines it is unchanged, but a rule inlined into a loop lives in another file
(`simulation/rules/*.py`), and the tables' constants in `parameters.py`: an edited rule would leave
the loops running the old one. So the package's functions are cached under a stamp of their own
file and of the rule modules, this one and `parameters.py` (`_RULE_SOURCES`): editing any of them
compiles the loops again.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from numba import njit
from numba.core import caching

PACKAGE = Path(__file__).resolve().parent
_RULE_SOURCES = (PACKAGE / "jit.py", PACKAGE / "parameters.py", PACKAGE / "rules")


def rule(fn):
    """A rule of one record: named scalars in, scalars (or a tuple of them) out; no arrays."""
    return njit(cache=True, nogil=True, inline="always")(fn)


@functools.cache
def rules_digest() -> str:
    """sha256 of the sources a compiled loop inlines (the rule modules, this one, parameters.py)."""
    h = hashlib.sha256()
    for src in _RULE_SOURCES:
        for path in sorted(src.glob("*.py")) if src.is_dir() else [src]:
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _with_rules(base):
    """numba's cache locator `base`, its stamp extended by the rules' digest for the package's files."""

    class Locator(base):
        @classmethod
        def from_function(cls, py_func, py_file):
            if PACKAGE not in Path(py_file).resolve().parents:
                return None  # not the package's: numba's own locators
            return super().from_function(py_func, py_file)

        def get_source_stamp(self):
            return (super().get_source_stamp(), rules_digest())

    Locator.__name__ = Locator.__qualname__ = f"RulesAware{base.__name__}"
    return Locator


for _base in (caching.UserProvidedCacheLocator, caching.InTreeCacheLocator):
    _classes = caching.CacheImpl._locator_classes
    if not any(getattr(c, "__name__", "") == f"RulesAware{_base.__name__}" for c in _classes):
        _classes.insert(_classes.index(_base), _with_rules(_base))
