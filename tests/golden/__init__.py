"""Golden outputs: every preset's per-person, per-household and per-claim tables, summary and fund
table, as digests, on a fixed set of variants, so that any change of a figure is seen.

A golden file (`tests/golden/<preset>.json`) changes only in a commit whose message says which
figures moved, by how much and why. Regenerate with `python -m tests.golden --write` and read the
diff it prints first (`python -m tests.golden` compares without writing).

Variants (each at 1e4 and 1e5 persons, generated with a fixed seed):
- `published`: the preset as published;
- `finds_people`: 政策找人 on (flags.policy_finds_people);
- `every_subsidy`: a departments' subsidy of every eligibility kind and premium subsidies with age
  bands and schemes, on top of the preset's own;
- `scattered`: the published preset on the same persons in a shuffled order (households not
  contiguous), which the engine runs without its household blocks;
- `perturbed_0` .. `perturbed_4`: 1-4 payment levers changed to values drawn from a seeded
  generator (the drawn changes are stored in the golden file, so they can be read and replayed).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from simulation import Population, ScenarioError, generate_population, load_scenario, simulate
from simulation.scenario import Scenario

HERE = Path(__file__).parent
PRESETS = ("shanghai_2023", "linan_2024", "bijie_2019", "shuozhou_2021", "jiaxing_2025")
SIZES = (10_000, 100_000)
SEED = 20261205
VARIANTS = ("published", "finds_people", "every_subsidy", "scattered") + tuple(
    f"perturbed_{k}" for k in range(5)
)

# the payment levers a perturbation may touch (as tests/test_properties.PERTURBABLE)
PERTURBABLE = re.compile(
    r"^(basic_insurance|critical_illness\.(terms|tilts)|medical_assistance|supplement|family_cap|"
    r"other_subsidies)\..*(ratio|deductible|threshold|cap|limit|share|bonus|upto)"
)


# ---------------------------------------------------------------------------- variants
def perturbation(scn, k: int) -> dict:
    """Changes of the k-th perturbed variant: a seeded draw of 1-4 payment levers (a draw the
    scenario refuses is drawn again), and 政策找人 on or off."""
    rng = np.random.default_rng([SEED, PRESETS.index(scn.id) if scn.id in PRESETS else 99, k])
    leaves = [
        (path, v)
        for path, v in scn.leaves()
        if isinstance(v, (int, float))
        and not isinstance(v, bool)
        and PERTURBABLE.search(path)
        and "retirement_age" not in path
    ]
    changes: dict = {}
    out, wanted = scn, int(rng.integers(1, 5))
    for _ in range(40):
        if len(changes) == wanted:
            break
        path, v = leaves[int(rng.integers(len(leaves)))]
        if re.search(r"ratio|share|bonus|threshold_factor", path.rsplit(".", 1)[-1]) or "ratio" in path:
            new = round(float(rng.uniform(0.0, 1.0)), 4)
        elif rng.random() < 0.2:
            new = 0.0
        else:
            new = round(float(rng.uniform(0.0, max(2.0 * float(v), 1000.0))), 2)
        try:
            out = out.with_changes({path: new})
        except ScenarioError:
            continue
        changes[path] = new
    changes["flags.policy_finds_people"] = bool(rng.random() < 0.5)
    return changes


def every_subsidy(scn) -> dict:
    """A departments' subsidy of every eligibility kind and premium rules with age bands and schemes."""
    cats = [c for c in scn.params.categories if c != "none"]
    rules = list(scn.raw.get("other_subsidies") or []) + [
        {"label": "all", "eligible": "all", "ratio": 0.02, "annual_limit": 800},
        {"label": "poor", "eligible": "poor", "categories": cats[:1], "ratio": 0.05},
        {"label": "disabled", "eligible": "disabled", "ratio": 0.10, "annual_limit": 3000},
        {"label": "veteran", "eligible": "veteran", "categories": cats, "ratio": 0.08},
        {"label": "union", "eligible": "union_member", "ratio": 0.15, "annual_limit": 1500},
    ]
    premium = [
        {"label": "kids", "categories": cats[:2], "amount": 200, "max_age": 17},
        {
            "label": "old",
            "categories": cats[-2:],
            "amount": "full",
            "min_age": 60,
            "schemes": ["resident", "employee"],
        },
    ]
    return {"other_subsidies": rules, "premium_subsidy": premium}


def variant_changes(scn, variant: str) -> dict:
    if variant in ("published", "scattered"):
        return {}
    if variant == "finds_people":
        return {"flags.policy_finds_people": True}
    if variant == "every_subsidy":
        return every_subsidy(scn)
    return perturbation(scn, int(variant.rsplit("_", 1)[1]))


def host_independent(pop: Population) -> Population:
    """The generated population with its money columns rounded to the fen. The generator's log-normal
    draws go through numpy's exp, whose SIMD kernels differ by an ulp between hosts with and without
    AVX-512; rounding makes the engine's inputs, and so the goldens, the same on every host."""
    persons, claims = pop.persons.copy(), pop.claims.copy()
    for df, cols in ((persons, ("income",)), (claims, ("total_cost", "policy_cost"))):
        for col in cols:
            df[col] = np.round(df[col].to_numpy(), 2)
    return Population(persons, claims)


def shuffled(pop: Population, seed: int) -> Population:
    """The same persons and claims in a shuffled person order: households no longer contiguous."""
    persons = pop.persons
    order = np.random.default_rng(seed).permutation(len(persons))
    return Population(persons.iloc[order].reset_index(drop=True), pop.claims)


# ---------------------------------------------------------------------------- digests
def digest(values) -> str:
    """sha256 (first 16 hex digits) of an array's bytes; text columns by their joined values."""
    a = np.asarray(values)
    if a.dtype.kind in "OUS" or str(getattr(values, "dtype", "")) in ("category", "str", "string"):
        data = "\x1f".join(map(str, list(values))).encode()
    else:
        data = np.ascontiguousarray(a).tobytes() + str(a.dtype).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def scalar(v):
    if isinstance(v, (float, np.floating)):
        return float(v).hex()
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return str(v)


def table_digest(df: pd.DataFrame) -> dict[str, str]:
    out = {"__index__": digest(df.index.to_numpy())}
    for col in df.columns:
        out[str(col)] = digest(df[col].to_numpy())
    return out


def outputs(res) -> dict:
    """Everything a run produces: arrays as digests, the summary and fund table as exact hex."""
    funds = res.funds
    return {
        "person_arrays": {k: digest(v) for k, v in res.person_arrays().items()},
        "household_arrays": {k: digest(v) for k, v in res.household_arrays().items()},
        "household_category": digest(res.household_category),
        "persons": table_digest(res.persons),
        "households": table_digest(res.households),
        "claims": table_digest(res.claims),
        "summary": {k: scalar(v) for k, v in res.summary.items()},
        "funds": [{k: scalar(v) for k, v in row.items()} for row in funds.to_dict("records")],
    }


def run(preset: str, variant: str, size: int) -> dict:
    scn = load_scenario(preset)
    changes = variant_changes(scn, variant)
    if variant == "every_subsidy":  # whole lists, which a preset without them has no key for
        scn = Scenario({**copy.deepcopy(scn.raw), **changes}, scn.path, changes=changes, preset=scn.preset)
    elif changes:
        scn = scn.with_changes(changes)
    pop = host_independent(generate_population(scn, persons=size, seed=SEED % 10_000))
    if variant == "scattered":
        pop = shuffled(pop, SEED)
    if variant == "every_subsidy":  # the rules added to the preset's own (which the preset file holds)
        n_own = len(scn.raw.get("other_subsidies") or []) - 5
        shown = {"other_subsidies (added)": changes["other_subsidies"][max(n_own, 0) :], **changes}
        del shown["other_subsidies"]
    else:
        shown = changes
    entry = {"changes": json.loads(json.dumps(shown, default=str))} if changes else {}
    entry["population"] = {
        "persons": table_digest(pop.persons),
        "claims": table_digest(pop.claims),
    }
    entry.update(outputs(simulate(pop, scn)))
    return entry


def path_of(preset: str) -> Path:
    return HERE / f"{preset}.json"


def load(preset: str) -> dict:
    return json.loads(path_of(preset).read_text(encoding="utf-8"))


def compute(preset: str) -> dict:
    return {variant: {str(size): run(preset, variant, size) for size in SIZES} for variant in VARIANTS}


def differences(old, new, prefix: str = "") -> list[str]:
    """Readable differences between two golden entries (summary values as decimals)."""
    out = []
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new), key=str):
            if k not in old or k not in new:
                out.append(f"{prefix}{k}: {'added' if k not in old else 'removed'}")
            else:
                out += differences(old[k], new[k], f"{prefix}{k}.")
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (x, y) in enumerate(zip(old, new)):
            out += differences(x, y, f"{prefix}{i}.")
    elif old != new:
        out.append(f"{prefix.rstrip('.')}: {readable(old)} -> {readable(new)}")
    return out


def readable(v):
    if isinstance(v, str) and v.startswith(("0x", "-0x")):
        x = float.fromhex(v)
        return f"{x:,.6f}"
    return v
