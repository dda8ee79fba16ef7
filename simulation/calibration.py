"""Calibration: the generated value of each target in the scenario's `population.targets`, its gap
and whether the gap is inside the tolerance the scenario states.

`python -m simulation calibrate SCENARIO [--persons N] [--seed S]` prints one line a target.
Figures that need the rules (policy-range reimbursement rate, fund spending per insured person)
come from `simulate` on the generated population; every figure is weighted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .api import simulate
from .funds import fund_flows
from .population.generator import generate_population
from .population.spec import population_spec
from .registry import calibration_figure, cite_text

DEFAULT_PERSONS = 50_000


@dataclass(frozen=True)
class TargetCheck:
    name: str
    target: float
    generated: float
    tolerance: float
    relative: bool
    citation: str
    known_gap: str | None = None

    @property
    def gap(self) -> float:
        """generated − target, as a fraction of the target when the tolerance is relative."""
        d = self.generated - self.target
        return d / self.target if self.relative and self.target != 0 else d

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.generated)) and abs(self.gap) <= self.tolerance + 1e-12


def top_share(values: np.ndarray, weights: np.ndarray, top: float) -> float:
    """Share of the weighted total carried by the top `top` fraction (by weight) of `values`."""
    m = values > 0
    v, w = values[m], weights[m]
    if len(v) == 0:
        return float("nan")
    order = np.argsort(-v, kind="stable")
    v, w = v[order], w[order]
    cw = np.cumsum(w)
    cut = top * cw[-1]
    full = cw <= cut
    taken = np.dot(v[full], w[full])
    k = int(full.sum())
    if k < len(v):  # part of the boundary row
        prev = cw[k - 1] if k > 0 else 0.0
        taken += v[k] * (cut - prev)
    return float(taken / np.dot(v, w))


def generated_values(pop, scenario, res=None) -> dict[str, float]:
    """Every calibration metric the spec knows, computed from a population (and its simulation)."""
    p, c = pop.persons, pop.claims
    w = p["weight"].to_numpy(dtype=float)
    emp = (p["scheme"].astype(str) == "employee").to_numpy()
    pid = p["person_id"].to_numpy()
    pos = pd.Index(pid).get_indexer(c["person_id"].to_numpy())
    cw = w[pos]
    setting = c["setting"].astype(str).to_numpy()
    inp = setting == "inpatient"
    total = c["total_cost"].to_numpy(dtype=float)
    out: dict[str, float] = {}
    out["hospitalization_rate"] = float(cw[inp].sum() / w.sum())
    for name, m in (("employee", emp), ("resident", ~emp)):
        out[f"hospitalization_rate_{name}"] = float(cw[inp & m[pos]].sum() / w[m].sum()) if m.any() else 0.0
        sel = inp & m[pos]
        out[f"inpatient_cost_{name}"] = (
            float(np.dot(cw[sel], total[sel]) / cw[sel].sum()) if sel.any() else 0.0
        )
    out["inpatient_cost"] = float(np.dot(cw[inp], total[inp]) / cw[inp].sum()) if inp.any() else 0.0
    lvl = c["hospital_level"].astype(str).to_numpy()
    for lv in scenario.params.hospital_levels:
        sel = inp & (lvl == lv)
        out[f"inpatient_cost_level_{lv}"] = (
            float(np.dot(cw[sel], total[sel]) / cw[sel].sum()) if sel.any() else float("nan")
        )
    out["employee_share"] = float(w[emp].sum() / w.sum())
    inc = p["income"].to_numpy(dtype=float)
    out["income_per_capita"] = float(np.dot(w, inc) / w.sum())
    if "urban" in p.columns:
        urb = p["urban"].to_numpy(dtype=bool)
        for name, m in (("urban", urb), ("rural", ~urb)):
            out[f"income_per_capita_{name}"] = float(np.dot(w[m], inc[m]) / w[m].sum()) if m.any() else 0.0
    hh_codes = pd.factorize(p["household_id"].to_numpy())[0]
    out["household_size"] = float(len(p) / (hh_codes.max() + 1))
    cat = p["category"].astype(str).to_numpy()
    out["poor_share"] = float(w[cat != "none"].sum() / w.sum())
    uniq = pd.unique(cat)
    for code in {part for u in uniq for part in u.split("|")} - {"none"}:
        holds = np.isin(cat, [u for u in uniq if code in u.split("|")])
        out[f"category_share_{code}"] = float(w[holds].sum() / w.sum())
    person_total = np.bincount(pos, weights=total, minlength=len(p))
    person_inp = np.bincount(pos[inp], weights=total[inp], minlength=len(p))
    out["top1_share"] = top_share(person_total, w, 0.01)
    out["top10_share"] = top_share(person_total, w, 0.10)
    out["top10_share_inpatient"] = top_share(person_inp, w, 0.10)
    if res is None:
        res = simulate(pop, scenario)
    s = res.summary
    out["policy_reimbursement_rate_employee"] = float(s["policy_reimbursement_rate_employee"])
    out["policy_reimbursement_rate_resident"] = float(s["policy_reimbursement_rate_resident"])
    for k in ("catastrophic_rate_10_persons", "catastrophic_rate_25_persons", "catastrophic_rate_ctp40"):
        out[k] = float(s[k])
    flows = fund_flows(res)
    enrolled = p["enrolled"].to_numpy(dtype=bool)
    n_emp = float(w[emp & enrolled].sum())
    n_res = float(w[~emp & enrolled].sum())
    e_emp, e_res = flows["employee_pool"][1], flows["resident_pool"][1]
    out["fund_spending_per_insured_employee"] = e_emp / n_emp if n_emp else 0.0
    out["fund_spending_per_insured_resident"] = e_res / n_res if n_res else 0.0
    out["fund_spending_per_insured"] = (e_emp + e_res) / (n_emp + n_res) if n_emp + n_res else 0.0
    return out


def calibrate(scenario, persons: int = DEFAULT_PERSONS, seed: int = 7, pop=None) -> list[TargetCheck]:
    """Generate (unless `pop` is given), simulate and compare with every target of the scenario."""
    spec = population_spec(scenario)
    if pop is None:
        pop = generate_population(scenario, persons=persons, seed=seed)
    values = generated_values(pop, scenario)
    checks = []
    for name, t in spec.targets.items():
        cite = scenario.source(f"population.targets.{name}.value") or scenario.source(
            f"population.targets.{name}"
        )
        citation = cite.get("source") or (f"assumption: {cite['assumption']}" if "assumption" in cite else "")
        checks.append(
            TargetCheck(
                name, t.value, values.get(name, float("nan")), t.tolerance, t.relative, citation, t.known_gap
            )
        )
    return checks


_WORDS = {  # the table's headings, the verdicts and the note on a known gap
    "zh": ("指标", "目标值", "生成值", "差距", "容差", "达标", "是", "否（差距已说明）", "否", "差距说明："),
    "en": ("target", "value", "generated", "gap", "tolerance", "ok")
    + ("yes", "NO (known gap)", "NO", "known gap: "),
}


def _pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (a Chinese character takes two)."""
    return text + " " * max(width - sum(2 if ord(c) > 0x2E80 else 1 for c in text), 1)


def format_checks(checks: list[TargetCheck], lang: str = "en", scenario=None) -> str:
    """One line a target: its label (the registry's calibration figures; the scenario's hospital
    levels name the levels), target, generated value, gap and tolerance, then its citation."""
    w = _WORDS["zh" if lang == "zh" else "en"]
    levels = {}
    if scenario is not None:
        levels = {k: (v.label, v.label_en or v.label) for k, v in scenario.params.hospital_levels.items()}
    width = 34 if lang == "zh" else 46
    head = [f"{x:>{n - sum(ord(c) > 0x2E80 for c in x)}}" for x, n in zip(w[1:5], (14, 14, 10, 11))]
    lines = [_pad(w[0], width) + "".join(head) + f"  {w[5]}"]
    for ch in checks:
        unit = "%" if ch.relative else ""
        gap = f"{ch.gap:+.1%}" if ch.relative else f"{ch.gap:+.4f}"
        tol = f"±{ch.tolerance:.0%}" if ch.relative else f"±{ch.tolerance:.3f}{unit}"
        name = calibration_figure(ch.name, lang, levels)[0]
        lines.append(
            f"{_pad(name, width)}{ch.target:>14,.4g}{ch.generated:>14,.4g}{gap:>10}{tol:>11}  "
            f"{w[6] if ch.ok else w[7] if ch.known_gap else w[8]}"
        )
        if ch.citation:
            lines.append(f"    {cite_text(ch.citation, '', lang)[:150]}")
        if ch.known_gap:
            lines.append(f"    {w[9]}{ch.known_gap[:150]}")
    bad = sum(not ch.ok for ch in checks)
    known = sum(not ch.ok and bool(ch.known_gap) for ch in checks)
    if lang == "zh":
        note = f"（其中 {known} 项超出容差，差距已说明）" if known else ""
        lines.append(f"{len(checks)} 项目标中 {len(checks) - bad} 项在容差内{note}")
    else:
        note = f" ({known} outside with a stated known gap)" if known else ""
        lines.append(f"{len(checks) - bad} of {len(checks)} targets within tolerance{note}")
    return "\n".join(lines)
