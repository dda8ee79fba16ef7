"""Derived populations: the base population's tables with some encoded arrays replaced.

A projected year (new weights, incomes, costs, categories) and the year's effective enrolment
(`rules.enrolment`) are such populations: nothing is re-validated or re-sorted, and every rule reads
the arrays, so the base year's persons/claims DataFrames are shared, not copied.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .model import Population


def derived_population(base: Population, **arrays: np.ndarray) -> Population:
    """A Population sharing the base tables with some encoded arrays replaced (no re-validation,
    no re-sorting). Its persons/claims DataFrames stay the base year's; every rule reads arrays."""
    pop = Population.trusted(base.persons, base.claims, source=base.source)
    # the same persons table: what is computed from it (district codes) is computed once, on the base
    pop.__dict__["_same_persons_as"] = base.__dict__.get("_same_persons_as", base)
    for v in arrays.values():
        v.flags.writeable = False
    derived = dataclasses.replace(base.arrays, **arrays)
    # orders computed from unchanged arrays carry over (cached properties are not fields)
    keep = {"household_starts": ("household",), "claim_offsets": ("claim_person",),
            "claim_ps_order": ("claim_person", "claim_setting"),
            "claim_ps_inverse": ("claim_person", "claim_setting")}  # fmt: skip
    for name, inputs in keep.items():
        if any(k in arrays for k in inputs):
            continue
        if name in ("household_starts", "claim_offsets"):  # every compiled run reads them: kept on the base
            getattr(base.arrays, name)  # (else each derived population, one a run, sorts them anew)
        if name in base.arrays.__dict__:
            derived.__dict__[name] = base.arrays.__dict__[name]
    pop.__dict__["arrays"] = derived
    return pop
