"""How rules are compiled: `@rule` makes a scalar rule a numba function inlined into the loops that
call it (simulation.kernels), so each rule is written once and costs no call.

`NUMBA_DISABLE_JIT=1` (numba's own switch) runs every rule and every loop as plain Python, the
same operations in the same order: for debugging, and for following one family through the rules.
A compiled rule is also callable from Python (`rule(x, ...)`), and `rule.py_func` is its source.
"""

from __future__ import annotations

from numba import njit


def rule(fn):
    """A rule of one record: named scalars in, scalars (or a tuple of them) out; no arrays."""
    return njit(cache=True, nogil=True, inline="always")(fn)
