"""The policy texts' targets, checked per projected year: value, bounds, pass/fail.

No policy target lives here: each preset's goals are its own `targets:` (summary key -> {label,
min, max}), each bound cited to the clause of its own text that sets it (`min: {value: 0.9,
source: ...}`), so Bijie is never judged against Jiaxing's 87%/72%. The one bound read from a
parameter is the charity fund's fiscal share, `financing.charity_fiscal_share_max` (临安 三(三)
1/3; 1, no limit, elsewhere). The indicators below are listed with their labels and what they
measure, and with `passed` = None unless the scenario bounds them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .registry import format_value

# key -> (label zh, label en, min, max, source)
STANDARD_TARGETS: dict[str, tuple[str, str, float | None, float | None, str]] = {
    "coverage_rate_poor": (
        "困难群众医疗费用综合保障率",
        "comprehensive coverage of the poor",
        None,
        None,
        "1 − OOP / total cost of persons in an assistance category",
    ),
    "policy_reimbursement_rate_employee": (
        "职工政策范围内住院报销比例（含大病）",
        "employee policy-range inpatient reimbursement",
        None,
        None,
        "(basic + 大病) / policy-range inpatient cost, employees",
    ),
    "policy_reimbursement_rate_resident": (
        "居民政策范围内住院报销比例（含大病）",
        "resident policy-range inpatient reimbursement",
        None,
        None,
        "(basic + 大病) / policy-range inpatient cost, residents",
    ),
    "insurer_margin_rate": (
        "大病保险承办机构盈利率",
        "insurer margin rate",
        None,
        None,
        "insurer margin / 大病 financing",
    ),
    "assistance_balance_ratio": (
        "医疗救助累计结余/当年筹资",
        "assistance balance / annual financing",
        None,
        None,
        "assistance fund balance / the year's income",
    ),
    "fund_spending_growth": (
        "基本医保基金年支出增长率",
        "basic fund spending growth",
        None,
        None,
        "growth of the basic pools' spending over the year before",
    ),
    "supplement_payout_share": (
        "商业补充保险赔付占医疗总费用比例",
        "supplementary payouts / total medical cost",
        None,
        None,
        "supplementary payouts / total medical cost (proxy of 卫生总费用)",
    ),
    "charity_fiscal_share": (
        "暖心基金财政补助占比",
        "charity fund fiscal share",
        None,
        None,
        "charity fund's fiscal income / its income; bounded by financing.charity_fiscal_share_max",
    ),
    "catastrophic_rate": (
        "灾难性卫生支出发生率（>10%收入）",
        "catastrophic health expenditure (>10% of income)",
        None,
        None,
        "SDG 3.8.2 (budget share 10%)",
    ),
    "catastrophic_rate_25": (
        "灾难性卫生支出发生率（>25%收入）",
        "catastrophic health expenditure (>25% of income)",
        None,
        None,
        "SDG 3.8.2 (budget share 25%)",
    ),
    "warnings": (
        "因病致贫预警户数",
        "households flagged by early warning",
        None,
        None,
        "临安 封顶制方案 三(一); 嘉兴 共富方案 二(二)5 大额医疗费用预警",
    ),
    "newly_identified_households": (
        "新识别支出型贫困户数",
        "newly found expenditure-poor households",
        None,
        None,
        "嘉兴 共富方案 二(二)5 精准识别和主动触发机制",
    ),
    "expenditure_poor_households": (
        "支出型贫困家庭户数",
        "expenditure-poor households",
        None,
        None,
        "沪府办规〔2022〕19号 四",
    ),
}


def derived_indicators(funds: pd.DataFrame, summaries: pd.DataFrame) -> pd.DataFrame:
    """Per-year indicators from the fund table: assistance balance ratio, charity fiscal share,
    basic fund spending growth, supplementary payout share."""
    f = funds.set_index(["fund", "year"])
    years = summaries.index
    out = pd.DataFrame(index=years)
    asst = f.loc["assistance"].reindex(years)
    out["assistance_balance_ratio"] = np.divide(
        asst["balance"].to_numpy(),
        asst["income"].to_numpy(),
        out=np.full(len(years), np.nan),
        where=asst["income"].to_numpy() > 0,
    )
    ch = f.loc["charity"].reindex(years)
    out["charity_fiscal_share"] = np.divide(
        ch["fiscal_income"].to_numpy(),
        ch["income"].to_numpy(),
        out=np.full(len(years), np.nan),
        where=ch["income"].to_numpy() > 0,
    )
    pools = (f.loc["employee_pool"]["expenditure"] + f.loc["resident_pool"]["expenditure"]).reindex(years)
    out["basic_fund_expenditure"] = pools
    out["fund_spending_growth"] = pools.pct_change()
    tc = summaries["total_cost"].to_numpy()
    out["supplement_payout_share"] = np.divide(
        summaries["supplement_paid"].to_numpy(), tc, out=np.full(len(years), np.nan), where=tc > 0
    )
    return out


def target_specs(scenario) -> dict[str, dict]:
    """key -> {label, label_en, min, max, source, scenario_target} for the table: the indicators,
    the charity fund's fiscal-share limit from `financing.charity_fiscal_share_max` (when below 1),
    then the scenario's own targets with the source of their bounds."""
    specs = {
        k: {"label": zh, "label_en": en, "min": lo, "max": hi, "source": src, "scenario_target": False}
        for k, (zh, en, lo, hi, src) in STANDARD_TARGETS.items()
    }
    limit = scenario.params.financing.charity_fiscal_share_max
    if limit < 1.0:
        cite = scenario.source("financing.charity_fiscal_share_max")
        specs["charity_fiscal_share"].update(
            max=limit,
            source=cite.get("source") or cite.get("assumption") or "financing.charity_fiscal_share_max",
        )
    for k, t in scenario.params.targets.items():
        cites = [scenario.meta.get(f"targets.{k}.{leaf}", {}) for leaf in ("min", "max", "label")]
        src = next((c["source"] for c in cites if "source" in c), None)
        if src is None:
            src = next((f"assumption: {c['assumption']}" for c in cites if "assumption" in c), None)
        specs[k] = {
            "label": t.label,
            "label_en": t.label_en or specs.get(k, {}).get("label_en", k),
            "min": t.min,
            "max": t.max,
            "source": src or specs.get(k, {}).get("source", "scenario"),
            "scenario_target": True,
        }
    return specs


def check(value: float, lo: float | None, hi: float | None) -> bool | None:
    """True/False against the bounds; None when there is no bound or no value."""
    if (lo is None and hi is None) or value is None or not np.isfinite(value):
        return None
    return bool((lo is None or value >= lo - 1e-12) and (hi is None or value <= hi + 1e-12))


def targets_table(projection) -> pd.DataFrame:
    """One row per (year, target): value, min, max, passed, label, source."""
    s = projection.summaries
    rows = []
    for key, spec in target_specs(projection.scenario).items():
        for year in s.index:
            v = float(s.at[year, key]) if key in s.columns else np.nan
            rows.append(
                {
                    "year": int(year),
                    "target": key,
                    "label": spec["label"],
                    "label_en": spec["label_en"],
                    "value": v,
                    "min": spec["min"],
                    "max": spec["max"],
                    "passed": check(v, spec["min"], spec["max"]),
                    "scenario_target": spec["scenario_target"],
                    "source": spec["source"],
                }
            )
    return pd.DataFrame(rows)


def _fmt(key: str, v, lang: str = "zh") -> str:
    """A target's value in its kind (a scenario's own target may be any figure, money included):
    money in 万元, rates in %, counts."""
    return format_value(key, v, lang, scale="wan")


def format_targets(table: pd.DataFrame, lang: str = "zh") -> str:
    """Wide text table: one line per target, one column per year (✓ pass, ✗ fail)."""
    years = sorted(table["year"].unique())
    lines = []
    label_col = "label" if lang == "zh" else "label_en"
    target, goal = ("指标", "目标") if lang == "zh" else ("Target", "Goal")
    head = f"{target:<34}{goal:>14}" + "".join(f"{y:>12}" for y in years)
    lines.append(head)
    for key, g in table.groupby("target", sort=False):
        g = g.set_index("year")
        lo, hi = g["min"].iloc[0], g["max"].iloc[0]
        lo = None if lo is None or (isinstance(lo, float) and np.isnan(lo)) else lo
        hi = None if hi is None or (isinstance(hi, float) and np.isnan(hi)) else hi
        goal = (
            f"{_fmt(key, lo, lang)}-{_fmt(key, hi, lang)}"
            if lo is not None and hi is not None
            else f"≥{_fmt(key, lo, lang)}"
            if lo is not None
            else f"≤{_fmt(key, hi, lang)}"
            if hi is not None
            else ""
        )
        cells = []
        for y in years:
            ok = g.at[y, "passed"]
            mark = "" if ok is None or (isinstance(ok, float) and np.isnan(ok)) else (" ✓" if ok else " ✗")
            cells.append(f"{_fmt(key, g.at[y, 'value'], lang) + mark:>12}")
        lines.append(f"{str(g[label_col].iloc[0])[:32]:<34}{goal:>14}" + "".join(cells))
    return "\n".join(lines)
