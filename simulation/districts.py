"""The district view of a run (临安 封顶制方案 三(二) 医保立体防贫地图:
"动态呈现重点检测对象分布情况及高频高额药品耗材和诊疗项目排名"): where the warned, the
heavy-burden households and the poor live, what each district's residents carry (个人负担率)
and how well its poor are covered; and the ranking of the diseases, care settings and hospital
levels that cost the most (高额) and are used the most (高频).

    from simulation.districts import district_table, cost_ranking
    district_table(res)                                # one row a district (town / street)
    cost_ranking(res, "hospital_level", district="锦城街道", top=10)

Every figure is weighted and additive over districts: the districts' persons, households, costs,
warnings and catastrophic households sum to the run's summary; the rates are computed per district
from those sums, the same way the summary computes them (`coverage`: 1 − oop / cost of the persons
in an assistance category; 个人负担率: oop / total cost). A household belongs to the district of its
members (the generator and real registers keep a household in one district; were one split, it
counts where its last listed member lives). The rankings read the claims of the run's year (a
projected year's re-priced costs) weighted by their person's weight; they need no per-claim run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import WorkbenchError
from .parameters import SETTING_LABELS, SETTINGS
from .registry import coverage, per

# the columns of district_table, in order (each registered in simulation.registry)
DISTRICT_COLUMNS = (
    "persons",
    "households",
    "poor_persons",
    "total_cost",
    "oop",
    "personal_burden_rate",
    "coverage_rate_poor",
    "warnings",
    "warning_rate",
    "catastrophic_households",
    "catastrophic_rate",
)
RANKINGS = ("disease", "setting", "hospital_level")  # what cost_ranking groups the claims by
RANKING_COLUMNS = ("claims", "patients", "total_cost", "cost_share", "cost_per_claim")


def household_district(res) -> tuple[np.ndarray, np.ndarray]:
    """(district code of each household, in the row order of `household_arrays()`, district names)."""
    pop = res._y.population
    codes, names = pop.districts
    out = np.zeros(pop.arrays.n_households, dtype=np.int64)
    out[pop.arrays.household] = codes
    return out, np.asarray(names, dtype=object)


def district_table(res) -> pd.DataFrame:
    """One row a district (its name the index), the columns of `DISTRICT_COLUMNS`: weighted persons,
    households and persons in an assistance category; total cost and out-of-pocket (yuan); 个人负担率;
    the coverage of the poor (综合保障率); households flagged by the early warning and with catastrophic
    spending (counts, and their share of the district's households)."""
    y = res._y
    a = y.population.arrays
    codes, names = y.population.districts
    k = len(names)
    w = a.weight
    pa = res._person_arrays
    poor = y.cat_mask != 0  # the summary's definition (the year's categories, 政策找人 included)

    def tot(x):
        return np.bincount(codes, weights=w * x, minlength=k)

    cost, oop = tot(pa["total_cost"]), tot(pa["oop"])
    cost_p, oop_p = tot(pa["total_cost"] * poor), tot(pa["oop"] * poor)
    h = res._household_arrays
    hd, _ = household_district(res)
    hw = h["weight"]

    def htot(x):
        return np.bincount(hd, weights=hw * x, minlength=k)

    households = htot(np.ones(len(hw)))
    warnings = htot(h["warning"].astype(float))
    catastrophic = htot(h["catastrophic"].astype(float))
    df = pd.DataFrame(
        {
            "persons": tot(np.ones(len(w))),
            "households": households,
            "poor_persons": tot(poor.astype(float)),
            "total_cost": cost,
            "oop": oop,
            "personal_burden_rate": np.divide(oop, cost, out=np.zeros(k), where=cost > 0),
            "coverage_rate_poor": coverage(oop_p, cost_p),
            "warnings": warnings,
            "warning_rate": per(warnings, households),
            "catastrophic_households": catastrophic,
            "catastrophic_rate": per(catastrophic, households),
        },
        index=pd.Index([str(n) for n in names], name="district"),
    )
    # a district without poor persons has no coverage of the poor to report (not a perfect 100%)
    df.loc[df["poor_persons"] <= 0, "coverage_rate_poor"] = np.nan
    return df


def ranking_labels(scenario, by: str, lang: str = "zh") -> dict[str, str]:
    """Labels of the groups of a ranking: a disease's and a hospital level's from the scenario
    (`hospital_liability.disease_quota`, `hospital_levels`), a care setting's from the schema."""
    p = scenario.params if hasattr(scenario, "params") else scenario
    if by == "disease":
        items = p.hospital_liability.disease_quota.items()
        return {k: (d.label if lang == "zh" else d.label_en or d.label) for k, d in items}
    if by == "hospital_level":
        return {k: (v.label if lang == "zh" else v.label_en or v.label) for k, v in p.hospital_levels.items()}
    if by == "setting":
        return {k: v[0] if lang == "zh" else v[1] for k, v in SETTING_LABELS.items()}
    raise WorkbenchError(f"cost_ranking: by is one of {', '.join(RANKINGS)}, got {by!r}")


def has_diseases(res) -> bool:
    """Whether the run's claims carry disease codes (a generated Bijie population does; Lin'an's not)."""
    a = res._y.population.arrays
    return bool(np.any(np.asarray(a.disease_names, dtype=object)[a.claim_disease] != ""))


def cost_ranking(
    res, by: str = "hospital_level", district: str | None = None, top: int | None = 10
) -> pd.DataFrame:
    """The groups of claims (`by`: disease, setting or hospital_level) ranked by weighted total cost,
    in one district or all: weighted claims (高频), weighted patients (persons with at least one such
    claim), total cost (高额, yuan), its share of the cost ranked and the mean cost per claim.
    Claims without a disease code are left out of the disease ranking. Index: the group's code."""
    if by not in RANKINGS:
        raise WorkbenchError(f"cost_ranking: by is one of {', '.join(RANKINGS)}, got {by!r}")
    y = res._y
    a = y.population.arrays
    if by == "disease":
        group, names = a.claim_disease, np.asarray(a.disease_names, dtype=object)
    elif by == "hospital_level":
        group, names = a.claim_level, np.asarray(a.level_names, dtype=object)
    else:
        group, names = a.claim_setting.astype(np.int64), np.asarray(SETTINGS, dtype=object)
    person = a.claim_person
    keep = np.ones(len(group), dtype=bool)
    if by == "disease":
        keep &= names[group] != ""
    if district is not None:
        codes, dnames = y.population.districts
        hit = np.flatnonzero(np.asarray(dnames, dtype=object) == district)
        if not len(hit):
            raise WorkbenchError(f"cost_ranking: no district {district!r} in the population")
        keep &= codes[person] == hit[0]
    group, person = group[keep], person[keep]
    w = a.weight[person]
    k = len(names)
    claims = np.bincount(group, weights=w, minlength=k)
    cost = np.bincount(group, weights=w * a.claim_total[keep], minlength=k)
    # a patient counts once per group: the distinct (person, group) pairs
    pairs = np.unique(person.astype(np.int64) * k + group)
    patients = np.bincount(pairs % k, weights=a.weight[pairs // k], minlength=k)
    total = cost.sum()
    df = pd.DataFrame(
        {
            "claims": claims,
            "patients": patients,
            "total_cost": cost,
            "cost_share": cost / total if total > 0 else np.zeros(k),
            "cost_per_claim": per(cost, claims),
        },
        index=pd.Index([str(n) for n in names], name=by),
    )
    df = df[df["claims"] > 0].sort_values(["total_cost", "claims"], ascending=False, kind="stable")
    return df if top is None else df.head(int(top))
