"""Sensitivity: a tornado of the levers and the projection assumptions.

Each input is swung to the low and to the high end of its range, everything else at the scenario's
values, and the projection run again (`projection.project`): the bars are the final year's fund
balance (the horizon's last year, year 5 of the presets), 综合保障率 and public cost at the two
ends, ordered by the width of the swing.

    tn = tornado(pop, scn)                      # every numeric lever and every assumption
    tn.table                                    # one row an input: low, high, the figures at both ends
    tn.top(15, by="balance")

The range of an input is the one the scenario states, else a default stated here (`DEFAULTS`),
and each row says which (`range_source`):

* a lever with a `constraints:` range in the scenario swings over it (e.g. Shanghai's 支出型贫困
  ratio 50%-70%); any other lever over its default (a rate ±5 points, an amount or count ±10%,
  within its bounds; an amount at 0 has no relative range and is left out);
* a growth assumption swings over its `projection.ranges` entry (the Monte Carlo's ranges, each
  cited in the preset), or ±2 points around its value where the scenario gives no range;
* the utilisation elasticity (`projection.behaviour.elasticity`, RAND −0.2) from −0.4 to 0, with
  the behavioural response switched on for the swing (the presets' static baseline equals an
  elasticity of 0);
* 惠民保 uptake (`supplement.uptake`) as a rate lever, and the opening reserve
  (`financing.opening_reserve_months.<fund>`) ±3 months, are counted among the assumptions: they
  describe the market and the starting books, not a policy choice.

Switches are not swung (they have no range, only two states).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from .assumptions import DEFAULT_SOURCES, GROWTH_KEYS, projection_config
from .compare import PUBLIC_TIERS
from .errors import ScenarioError, WorkbenchError
from .projection import project
from .registry import FUND_LABELS, Lever, fmt_rate, format_value, metric_label
from .scenario import Scenario

# the figures of a tornado, read in the projection's last year
FIGURES = ("balance", "coverage_rate_poor", "public_cost")
# default ranges where the scenario states none, and what each row says about it
DEFAULTS = {
    "rate": 0.05,  # ± points of a rate lever
    "relative": 0.10,  # ± share of an amount or a count
    "growth": 0.02,  # ± points of a growth rate without a projection.ranges entry
    "elasticity": (-0.4, 0.0),
    "reserve_months": 3.0,
}
DEFAULT_NOTES = {
    "rate": ("默认区间：±5个百分点（情景未给出区间）", "default range: ±5 points (the scenario states none)"),
    "relative": ("默认区间：±10%（情景未给出区间）", "default range: ±10% (the scenario states none)"),
    "growth": (
        "默认区间：±2个百分点（情景未给出区间）",
        "default range: ±2 points (the scenario states none)",
    ),
    "elasticity": (
        "默认区间：−0.4 至 0（RAND −0.2 的两倍至无响应），测算时开启行为响应",
        "default range: −0.4 to 0 (twice RAND's −0.2, to no response), the response switched on",
    ),
    "reserve_months": (
        "默认区间：±3个月（情景未给出区间）",
        "default range: ±3 months (the scenario states none)",
    ),
}
# inputs among the levers that are assumptions about the market or the books, not policy choices
ASSUMPTION_LEVERS = ("supplement.uptake",)
RESERVE_PREFIX = "financing.opening_reserve_months."
GROWTH_LABELS = {
    "medical_cost_growth": ("医疗费用增长率", "medical cost growth"),
    "income_growth": ("收入增长率", "income growth"),
    "old_age_weight_growth": ("老龄人口相对增长率", "relative growth of the old"),
    "employee_contribution_growth": ("职工缴费增长率", "employee contribution growth"),
    "resident_individual_growth": ("居民个人缴费增长率", "resident contribution growth"),
    "resident_subsidy_growth": ("居民财政补助增长率", "resident subsidy growth"),
    "assistance_fiscal_growth": ("医疗救助财政投入增长率", "assistance budget growth"),
    "charity_donations_growth": ("暖心基金捐赠增长率", "charity donations growth"),
    "charity_fiscal_growth": ("暖心基金财政补助增长率", "charity fiscal top-up growth"),
    "critical_premium_growth": ("大病保险筹资增长率", "critical-illness premium growth"),
    "enrolment_growth.employee": ("职工参保人数增长率", "employee enrolment growth"),
    "enrolment_growth.resident": ("居民参保人数增长率", "resident enrolment growth"),
    "behaviour.elasticity": ("医疗服务利用价格弹性", "utilisation price elasticity"),
}


@dataclass(frozen=True)
class Swing:
    """One input swung: its key (a lever path or an assumption), labels, the two ends and how each
    end is run (scenario changes and projection overrides), and where the range comes from."""

    key: str
    group: str  # "lever" or "assumption"
    label: str
    label_en: str
    kind: str  # rate | money | number | growth | elasticity
    central: float
    low: float
    high: float
    range_source: str
    range_source_en: str
    low_changes: dict = field(default_factory=dict)
    high_changes: dict = field(default_factory=dict)
    low_overrides: dict = field(default_factory=dict)
    high_overrides: dict = field(default_factory=dict)

    def label_in(self, lang: str) -> str:
        return self.label if lang == "zh" else self.label_en


@dataclass
class Tornado:
    """The swings and their effects (`table`), ordered by the swing of `by`."""

    scenario: Scenario
    year: int  # the final year the figures are read in
    fund: str | None  # the fund whose balance is read (None: every fund summed)
    by: str
    central: dict  # the figures of the scenario as it is
    table: pd.DataFrame
    swings: list[Swing]

    def top(self, n: int = 15, by: str | None = None) -> pd.DataFrame:
        b = by or self.by
        if b not in FIGURES:
            raise WorkbenchError(f"by: expected one of {', '.join(FIGURES)}, got {b!r}")
        return (
            self.table.sort_values(f"swing_{b}", ascending=False, kind="stable")
            .head(n)
            .reset_index(drop=True)
        )

    def __repr__(self) -> str:
        return f"Tornado({self.scenario.id}, {len(self.swings)} inputs, year {self.year}, by {self.by})"


def final_figures(proj, fund: str | None = None) -> dict[str, float]:
    """The tornado's figures in a projection's last year: the fund balance (one fund or all summed),
    综合保障率 and the public payers' total (`compare.PUBLIC_TIERS`)."""
    last = proj.years[-1]
    f = proj.funds[proj.funds["year"] == last]
    if fund is not None:
        f = f[f["fund"] == fund]
    s = proj.results[-1].summary
    return {
        "balance": float(f["balance"].sum()),
        "coverage_rate_poor": float(s["coverage_rate_poor"]),
        "public_cost": float(sum(s[k] for k in PUBLIC_TIERS)),
    }


def _lever_swing(scn: Scenario, lv: Lever) -> Swing | None:
    v = float(lv.value)
    c = scn.params.constraints.get(lv.path)
    reserve = lv.path.startswith(RESERVE_PREFIX)
    if c and len(c) == 2:
        lo, hi = float(c[0]), float(c[1])
        cite = scn.source(f"constraints.{lv.path}")
        text = cite.get("source") or cite.get("assumption") or ""
        src = (f"情景约束区间：{text}", f"the scenario's constraint: {text}")
    else:
        if reserve:
            d, note = DEFAULTS["reserve_months"], DEFAULT_NOTES["reserve_months"]
        elif lv.kind == "rate":
            d, note = DEFAULTS["rate"], DEFAULT_NOTES["rate"]
        else:
            if v == 0.0:
                return None
            d = DEFAULTS["relative"] * abs(v)
            if lv.kind == "number":
                d = max(d, 1.0)
            note = DEFAULT_NOTES["relative"]
        lo, hi = v - d, v + d
        src = note
    blo, bhi = lv.bounds
    lo = lo if blo is None else max(lo, float(blo))
    hi = hi if bhi is None else min(hi, float(bhi))
    if isinstance(lv.value, int):
        lo, hi = float(round(lo)), float(round(hi))
    if lo == hi:
        return None
    cast = int if isinstance(lv.value, int) else float
    group = "assumption" if (reserve or lv.path in ASSUMPTION_LEVERS) else "lever"
    return Swing(
        key=lv.path,
        group=group,
        label=lv.label,
        label_en=lv.label_en,
        kind=lv.kind,
        central=v,
        low=lo,
        high=hi,
        range_source=src[0],
        range_source_en=src[1],
        low_changes={lv.path: cast(lo)},
        high_changes={lv.path: cast(hi)},
    )


def assumption_swings(scn: Scenario) -> list[Swing]:
    """The projection's assumptions as swings: each growth rate (its `projection.ranges` entry, else
    ±2 points), each scheme's enrolment growth, and the utilisation elasticity."""
    cfg = projection_config(scn)
    out = []
    keys = [*GROWTH_KEYS, *(f"enrolment_growth.{k}" for k in ("employee", "resident"))]
    for k in keys:
        v = (
            cfg.enrolment_growth.get(k.split(".", 1)[1], 0.0)
            if k.startswith("enrolment_growth.")
            else getattr(cfg, k)
        )
        if k in cfg.ranges:
            lo, hi = (float(x) for x in cfg.ranges[k])
            cite = scn.source(f"projection.ranges.{k}")
            text = cite.get("source") or cite.get("assumption") or DEFAULT_SOURCES.get(k, "")
            src = (f"情景预测区间：{text}", f"the scenario's projection range: {text}")
        else:
            lo, hi = v - DEFAULTS["growth"], v + DEFAULTS["growth"]
            src = DEFAULT_NOTES["growth"]
        zh, en = GROWTH_LABELS[k]
        out.append(
            Swing(k, "assumption", zh, en, "growth", float(v), lo, hi, src[0], src[1],
                  low_overrides={k: lo}, high_overrides={k: hi})
        )  # fmt: skip
    beh = cfg.behaviour
    lo, hi = DEFAULTS["elasticity"]
    base = beh.model_dump()
    zh, en = GROWTH_LABELS["behaviour.elasticity"]
    src = DEFAULT_NOTES["elasticity"]
    out.append(
        Swing(
            "behaviour.elasticity",
            "assumption",
            zh,
            en,
            "elasticity",
            float(beh.elasticity) if beh.utilisation_response else 0.0,
            lo,
            hi,
            src[0],
            src[1],
            low_overrides={"behaviour": {**base, "utilisation_response": True, "elasticity": lo}},
            high_overrides={"behaviour": {**base, "utilisation_response": True, "elasticity": hi}},
        )
    )
    return out


def swings(
    scn: Scenario, levers: Sequence[str] | None = None, assumptions: bool | Sequence[str] = True
) -> list[Swing]:
    """The inputs of a tornado: the numeric levers (`levers` paths, default all but the switches)
    and the assumptions (`assumptions` True for all, or their keys)."""
    out = []
    cands = (
        [lv for lv in scn.levers() if lv.kind != "switch"]
        if levers is None
        else [scn.lever(p) for p in levers]
    )
    for lv in cands:
        if lv.kind == "switch" or isinstance(lv.value, bool) or not isinstance(lv.value, (int, float)):
            if levers is not None:
                raise WorkbenchError(f"{lv.path}: a switch has no range to swing / 开关参数没有可摆动的区间")
            continue
        s = _lever_swing(scn, lv)
        if s is not None:
            out.append(s)
    if assumptions:
        extra = assumption_swings(scn)
        if assumptions is not True:
            wanted = set(assumptions)
            unknown = wanted - {s.key for s in extra}
            if unknown:
                raise WorkbenchError(f"assumptions: unknown {', '.join(sorted(unknown))}")
            extra = [s for s in extra if s.key in wanted]
        out.extend(extra)
    return out


def run_end(pop, scn: Scenario, swing: Swing, end: str, years: int | None, fund: str | None) -> dict:
    """The figures at one end ("low" or "high") of a swing: the projection of the scenario with the
    end's changes and overrides."""
    changes = swing.low_changes if end == "low" else swing.high_changes
    overrides = swing.low_overrides if end == "low" else swing.high_overrides
    s = scn.with_changes(changes) if changes else scn
    return final_figures(project(pop, s, years=years, overrides=overrides or None), fund)


def tornado(
    pop,
    scenario: Scenario,
    *,
    levers: Sequence[str] | None = None,
    assumptions: bool | Sequence[str] = True,
    years: int | None = None,
    fund: str | None = None,
    by: str = "balance",
) -> Tornado:
    """Swing every input (`swings`) to both ends and project; the table is ordered by the swing of
    `by` (one of FIGURES): |figure at high − figure at low|. `fund` picks the balance read (a fund
    key; None sums every fund); `years` the horizon (default the scenario's)."""
    if by not in FIGURES:
        raise WorkbenchError(f"by: expected one of {', '.join(FIGURES)}, got {by!r}")
    if fund is not None and fund not in FUND_LABELS:
        raise WorkbenchError(f"fund: expected one of {', '.join(FUND_LABELS)}, got {fund!r}")
    base_proj = project(pop, scenario, years=years)
    central = final_figures(base_proj, fund)
    inputs = swings(scenario, levers, assumptions)
    rows, kept = [], []
    for sw in inputs:
        try:
            lo = run_end(pop, scenario, sw, "low", years, fund)
            hi = run_end(pop, scenario, sw, "high", years, fund)
        except ScenarioError:  # an end the scenario's own rules refuse (an order between two levers)
            continue
        row = {
            "key": sw.key,
            "group": sw.group,
            "label": sw.label,
            "label_en": sw.label_en,
            "kind": sw.kind,
            "central_value": sw.central,
            "low": sw.low,
            "high": sw.high,
            "range_source": sw.range_source,
            "range_source_en": sw.range_source_en,
        }
        for f in FIGURES:
            row[f"{f}_low"] = lo[f]
            row[f"{f}_high"] = hi[f]
            row[f"swing_{f}"] = abs(hi[f] - lo[f])
        rows.append(row)
        kept.append(sw)
    table = pd.DataFrame(rows)
    if len(table):
        table = table.sort_values(f"swing_{by}", ascending=False, kind="stable").reset_index(drop=True)
        order = {k: i for i, k in enumerate(table["key"])}
        kept.sort(key=lambda s: order[s.key])
    return Tornado(scenario, base_proj.years[-1], fund, by, central, table, kept)


# ---------------------------------------------------------------------------- printing


def _end_value(kind: str, x: float, lang: str, lever: Lever | None) -> str:
    if lever is not None:
        return lever.format(x, lang)
    if kind == "growth":
        return fmt_rate(x)
    return f"{x:g}"


def tornado_table(tn: Tornado, lang: str = "zh", n: int | None = 15, by: str | None = None) -> pd.DataFrame:
    """The bars as text: input, its range and its source, each figure at the low and high end."""
    t = tn.top(len(tn.table) if n is None else n, by)
    levers = {lv.path: lv for lv in tn.scenario.levers()}
    zh = lang == "zh"
    rows = []
    for r in t.to_dict("records"):
        lv = levers.get(r["key"])
        row = {
            ("输入" if zh else "input"): r["label"] if zh else r["label_en"],
            ("类别" if zh else "kind"): {
                "lever": ("政策参数", "lever"),
                "assumption": ("测算假设", "assumption"),
            }[r["group"]][0 if zh else 1],
            ("区间" if zh else "range"): f"{_end_value(r['kind'], r['low'], lang, lv)} — "
            f"{_end_value(r['kind'], r['high'], lang, lv)}",
        }
        for f in FIGURES:
            lab = metric_label(f, lang)
            lo, hi = r[f"{f}_low"], r[f"{f}_high"]
            row[lab] = f"{format_value(f, lo, lang)} / {format_value(f, hi, lang)}"
        row[("区间来源" if zh else "range from")] = r["range_source"] if zh else r["range_source_en"]
        rows.append(row)
    return pd.DataFrame(rows)
