"""The policy texts' targets, checked per projected year: value, bounds, pass/fail.

Standard targets come from the five texts (each with its clause); a scenario's own `targets:`
(summary key -> {label, min, max}) are added or override a standard one of the same key.
Indicators without a numeric goal (catastrophic spending, warnings, newly found households) are
listed with `passed` = None so the table shows them next to the goals.
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
        0.90,
        None,
        "临安 封顶制方案 (达到90%); 嘉兴 共富方案 二(二)5 (90%左右)",
    ),
    "policy_reimbursement_rate_employee": (
        "职工政策范围内住院报销比例（含大病）",
        "employee policy-range inpatient reimbursement",
        0.87,
        None,
        "嘉兴 共富方案 2025: 职工 87%",
    ),
    "policy_reimbursement_rate_resident": (
        "居民政策范围内住院报销比例（含大病）",
        "resident policy-range inpatient reimbursement",
        0.72,
        None,
        "嘉兴 共富方案 2025: 居民 72%",
    ),
    "insurer_margin_rate": (
        "大病保险承办机构盈利率",
        "insurer margin rate",
        0.03,
        0.05,
        "朔州 大病保险方案 六(四) 盈利率为筹资总额的3%—5%",
    ),
    "assistance_balance_ratio": (
        "医疗救助累计结余/当年筹资",
        "assistance balance / annual financing",
        0.0,
        0.15,
        "嘉兴 共富方案 二(二)5 累计结余资金一般不超过当年筹资总额的15% (a deficit, below 0, fails too)",
    ),
    "fund_spending_growth": (
        "基本医保基金年支出增长率",
        "basic fund spending growth",
        None,
        0.10,
        "嘉兴 共富方案 三(17) 基金年支出增长率控制在10%以内",
    ),
    "supplement_payout_share": (
        "商业补充保险赔付占医疗总费用比例",
        "supplementary payouts / total medical cost",
        0.10,
        None,
        "嘉兴 共富方案 二(二)7 赔付支出占卫生总费用比例争取达到10%左右 (total cost as proxy)",
    ),
    "charity_fiscal_share": (
        "暖心基金财政补助占比",
        "charity fund fiscal share",
        None,
        1 / 3,
        "临安 封顶制方案 三(三) 财政资金补助占比原则上不超过1/3",
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
    """key -> {label, label_en, min, max, source, scenario_target} for the table."""
    specs = {
        k: {"label": zh, "label_en": en, "min": lo, "max": hi, "source": src, "scenario_target": False}
        for k, (zh, en, lo, hi, src) in STANDARD_TARGETS.items()
    }
    for k, t in scenario.params.targets.items():
        src = scenario.source(f"targets.{k}")
        specs[k] = {
            "label": t.label,
            "label_en": t.label_en or specs.get(k, {}).get("label_en", k),
            "min": t.min,
            "max": t.max,
            "source": src.get("source") or specs.get(k, {}).get("source", "scenario"),
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
    head = f"{'target':<34}{'goal':>14}" + "".join(f"{y:>12}" for y in years)
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
