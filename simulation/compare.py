"""Reform comparison: `compare(baseline, reform)` of two Results (or two Projections) on the same
population: fund cost differences by tier and year, coverage and out-of-pocket changes by category
and by income decile, and the households better off / worse off.

Every figure is weighted. `change = reform − baseline`; comparing a run with itself gives zeros.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import WorkbenchError
from .projection import Projection
from .registry import PAID_COLUMNS, PUBLIC_PAYERS, coverage, per
from .result import Result

# every payer of the result's identity, in settlement order, between the cost and what is left
TIERS = ("total_cost", *PAID_COLUMNS, "premium_subsidy", "oop")
# the public payers (basic, critical, assistance, other, cap, premium subsidies): from the registry
PUBLIC_TIERS = PUBLIC_PAYERS
TOLERANCE = 0.01  # yuan: a household whose OOP moves less than this is unchanged
# winners and losers in five bands of the change in out-of-pocket as a share of household income
# (a gain is a fall in OOP): the usual distributional chart of a reform, the 5% line between a
# small and a large change; a household without income whose OOP moves falls in a large band
BAND_SHARE = 0.05
BANDS = ("gain_large", "gain_small", "unchanged", "lose_small", "lose_large")


@dataclass
class Comparison:
    tiers: pd.DataFrame  # index (year, tier): baseline, reform, change
    funds: pd.DataFrame | None  # index (year, fund): income/expenditure/balance, baseline/reform/change
    by_category: pd.DataFrame  # index category: persons, cost, oop, coverage, baseline/reform/change
    by_decile: pd.DataFrame  # index decile 1..10 of household per-capita income
    households: pd.Series  # better_off, worse_off, unchanged (weighted household counts)
    summary: pd.DataFrame  # every summary figure: baseline, reform, change
    # financial protection, first year (Result.protection): the catastrophic headcount over the
    # thresholds (index threshold; columns <figure>_baseline/_reform/_change of the curve's columns)
    # and the protection figures by income quintile (of the baseline's household per-capita income)
    protection: pd.DataFrame | None = None
    protection_by_quintile: pd.DataFrame | None = None
    # winners and losers, first year: share of persons (households weighted by their members) in
    # each of BANDS, by household income decile (1-10), by the household's category and by district
    # (index the group; columns BANDS, summing to 1, and `persons`)
    bands_by_decile: pd.DataFrame | None = None
    bands_by_category: pd.DataFrame | None = None
    bands_by_district: pd.DataFrame | None = None

    @property
    def added_public_cost(self) -> float:
        """Change in what the public payers spend (basic + critical + assistance + cap + subsidies)."""
        t = self.tiers.xs(self.tiers.index.get_level_values(0)[0], level=0)
        return float(t.loc[list(PUBLIC_TIERS), "change"].sum())


def _results(x) -> list:
    if isinstance(x, Projection):
        return list(x.results)
    if isinstance(x, Result):
        return [x]
    raise TypeError(f"compare: expected a Result or a Projection, got {type(x).__name__}")


def _same_population(b, r) -> None:
    pb, pr = b._population, r._population  # (not _y: a projection's years would be rebuilt)
    if pb is pr or pb.persons is pr.persons:
        return
    ib, ir = pb.persons["person_id"].to_numpy(), pr.persons["person_id"].to_numpy()
    if len(ib) != len(ir) or not np.array_equal(ib, ir):
        raise WorkbenchError("compare: the two results are not of the same population (person ids differ)")


def _weighted_groups(res, key: np.ndarray, hh: bool) -> pd.DataFrame:
    if hh:
        h = res._household_arrays
        w, cost, oop, income = h["weight"], h["total_cost"], h["oop"], h["income"]
        size = h["size"]
    else:
        pa = res._person_arrays
        w = res._y.population.arrays.weight
        cost, oop, income, size = pa["total_cost"], pa["oop"], res._y.population.arrays.income, 1
    df = pd.DataFrame(
        {
            "key": key,
            "persons": w * size,
            "total_cost": w * cost,
            "oop": w * oop,
            "income": w * income,
        }
    )
    g = df.groupby("key", sort=True).sum()
    g["coverage"] = coverage(g["oop"], g["total_cost"])
    g["oop_per_person"] = per(g["oop"], g["persons"])
    g["oop_share"] = per(g["oop"], g["income"])
    return g.drop(columns="income")


def _side_by_side(base: pd.DataFrame, reform: pd.DataFrame) -> pd.DataFrame:
    fixed = [c for c in ("persons", "per_capita_income") if c in base.columns]  # the same in both
    cols = [c for c in base.columns if c not in fixed]
    out = pd.DataFrame(index=base.index.union(reform.index))
    for c in fixed:
        out[c] = base[c].reindex(out.index)
    for c in cols:
        b = base[c].reindex(out.index)
        r = reform[c].reindex(out.index)
        out[f"{c}_baseline"] = b
        out[f"{c}_reform"] = r
        out[f"{c}_change"] = r - b
    return out


def income_deciles(res) -> np.ndarray:
    """Decile 1..10 of each household by per-capita income (weighted by persons)."""
    h = res._household_arrays
    pc = h["income"] / np.maximum(h["size"], 1)
    order = np.argsort(pc, kind="stable")
    wp = (h["weight"] * h["size"])[order]
    cum = np.cumsum(wp)
    total = cum[-1] if len(cum) else 0.0
    dec = np.empty(len(pc), dtype=np.int64)
    dec[order] = np.minimum((10 * (cum - wp / 2) / max(total, 1e-300)).astype(np.int64) + 1, 10)
    return dec


def change_band(d_oop: np.ndarray, income: np.ndarray) -> np.ndarray:
    """Band (index into BANDS) of each household from its change in out-of-pocket (reform −
    baseline, yuan) and its income: |change| ≤ TOLERANCE unchanged; otherwise a gain (OOP falls) or
    a loss, large when the change exceeds BAND_SHARE of income (always, without income)."""
    d = np.asarray(d_oop, dtype=float)
    inc = np.asarray(income, dtype=float)
    large = np.abs(d) > BAND_SHARE * np.maximum(inc, 0.0)
    band = np.where(d < 0, np.where(large, 0, 1), np.where(large, 4, 3))
    return np.where(np.abs(d) <= TOLERANCE, 2, band).astype(np.int64)


def band_shares(band: np.ndarray, group: np.ndarray, persons: np.ndarray, names) -> pd.DataFrame:
    """Share of `persons` (weighted persons per household) in each band, per group (codes into
    `names`); a `persons` column holds each group's weighted persons."""
    k = len(names)
    counts = np.zeros((k, len(BANDS)))
    np.add.at(counts, (np.asarray(group, dtype=np.int64), band), persons)
    total = counts.sum(axis=1)
    shares = np.divide(counts, total[:, None], out=np.zeros_like(counts), where=total[:, None] > 0)
    df = pd.DataFrame(shares, columns=list(BANDS), index=pd.Index(list(names)))
    df["persons"] = total
    return df


def _bands(b, r) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Winners and losers of the first year by income decile, household category and district."""
    hb, hr = b._household_arrays, r._household_arrays
    band = change_band(hr["oop"] - hb["oop"], hb["income"])
    persons = hb["weight"] * hb["size"]
    dec = income_deciles(b)
    by_decile = band_shares(band, dec - 1, persons, list(range(1, 11)))
    by_decile.index.name = "decile"
    cats, cat_codes = np.unique(np.asarray(b.household_category, dtype=str), return_inverse=True)
    by_category = band_shares(band, cat_codes, persons, [str(c) for c in cats])
    by_category.index.name = "category"
    pop = b._population
    codes, names = pop.districts
    hd = np.zeros(len(persons), dtype=np.int64)
    hd[pop.arrays.household] = codes
    by_district = band_shares(band, hd, persons, [str(n) for n in names])
    by_district.index.name = "district"
    return by_decile, by_category, by_district


def compare(baseline, reform) -> Comparison:
    """Compare a reform with a baseline (two Results, or two Projections of the same years)."""
    rb, rr = _results(baseline), _results(reform)
    if len(rb) != len(rr) or [r.year for r in rb] != [r.year for r in rr]:
        raise WorkbenchError("compare: the baseline and the reform cover different years")
    for b, r in zip(rb, rr):
        _same_population(b, r)

    rows = []
    for b, r in zip(rb, rr):
        for tier in TIERS:
            vb, vr = float(b.summary[tier]), float(r.summary[tier])
            rows.append({"year": b.year, "tier": tier, "baseline": vb, "reform": vr, "change": vr - vb})
        vb = sum(float(b.summary[t]) for t in PUBLIC_TIERS)
        vr = sum(float(r.summary[t]) for t in PUBLIC_TIERS)
        rows.append({"year": b.year, "tier": "public_total", "baseline": vb, "reform": vr, "change": vr - vb})
    tiers = pd.DataFrame(rows).set_index(["year", "tier"])

    funds = None
    if isinstance(baseline, Projection) and isinstance(reform, Projection):
        fb = baseline.funds.set_index(["year", "fund"])
        fr = reform.funds.set_index(["year", "fund"])
        funds = pd.DataFrame(index=fb.index)
        for c in ("income", "expenditure", "balance"):
            funds[f"{c}_baseline"] = fb[c]
            funds[f"{c}_reform"] = fr[c]
            funds[f"{c}_change"] = fr[c] - fb[c]

    # distribution: first year (the reform's immediate effect)
    b, r = rb[0], rr[0]
    cats = b._y.population.persons["category"].to_numpy()
    by_category = _side_by_side(_weighted_groups(b, cats, False), _weighted_groups(r, cats, False))
    by_category.index.name = "category"
    dec = income_deciles(b)
    by_decile = _side_by_side(_weighted_groups(b, dec, True), _weighted_groups(r, dec, True))
    by_decile.index.name = "decile"
    hb, hr = b._household_arrays, r._household_arrays
    d = hr["oop"] - hb["oop"]
    hw = hb["weight"]
    households = pd.Series(
        {
            "better_off": float(hw[d < -TOLERANCE].sum()),
            "worse_off": float(hw[d > TOLERANCE].sum()),
            "unchanged": float(hw[np.abs(d) <= TOLERANCE].sum()),
        },
        name="households",
    )
    keys = [k for k in b.summary if k in r.summary]
    summary = pd.DataFrame(
        {
            "baseline": [float(b.summary[k]) for k in keys],
            "reform": [float(r.summary[k]) for k in keys],
        },
        index=pd.Index(keys, name="figure"),
    )
    summary["change"] = summary["reform"] - summary["baseline"]
    pb, pr = b.protection(), r.protection()
    protection = _side_by_side(pb.curve, pr.curve)
    protection.index.name = "threshold"
    # a reform moves OOP, not income: the quintiles hold the same households in both runs
    by_quintile = _side_by_side(pb.by_quintile, pr.by_quintile)
    by_quintile.index.name = "quintile"
    bands_by_decile, bands_by_category, bands_by_district = _bands(b, r)
    return Comparison(
        tiers=tiers,
        funds=funds,
        by_category=by_category,
        by_decile=by_decile,
        households=households,
        summary=summary,
        protection=protection,
        protection_by_quintile=by_quintile,
        bands_by_decile=bands_by_decile,
        bands_by_category=bands_by_category,
        bands_by_district=bands_by_district,
    )
