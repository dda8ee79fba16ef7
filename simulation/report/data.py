"""The report's tables, computed once from a Result (and an optional baseline) for every format.

Money stays in yuan here; each writer converts to 万元 (tables) or 亿元/万元 (cards) when it prints.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..best_buy import FIGURES as BUY_FIGURES
from ..best_buy import marginal_effects
from ..compare import compare, income_deciles
from ..contract import Pricing, price_critical_illness
from ..errors import WorkbenchError
from ..parameters import CATEGORY_LABELS, SETTING_LABELS
from ..projection import project
from ..protection import FIGURES as PROTECTION_FIGURES
from ..registry import (
    FUND_LABELS,
    category_label,
    code_label,
    coverage,
    format_value,
    metric_kind,
    metric_label,
    per,
)
from ..scenario import SCENARIO_DIR
from ..sensitivity import FIGURES as TORNADO_FIGURES
from ..sensitivity import Tornado, tornado
from ..settlements import tier_label
from ..uncertainty import monte_carlo
from ..version import __version__

CAVEAT = {
    "zh": "本报告为模型测算结果，不代表官方预算。",
    "en": "Model estimates only; this report is not an official budget.",
}

TEXT = {
    "zh": {
        "title": "医保政策测算报告",
        "summary": "摘要",
        "targets": "目标",
        "funds": "基金预测",
        "costs": "费用结构",
        "deciles": "收入分组",
        "warnings": "预警",
        "parameters": "参数",
        "provenance": "说明",
        "reform": "改革对比",
        "figure": "指标",
        "code": "代码",
        "value": "数值",
        "unit": "单位",
        "year": "年度",
        "fund": "基金",
        "income": "基金收入",
        "expenditure": "基金支出",
        "balance": "累计结存",
        "months_payable": "可支付月数",
        "p10": "结存P10",
        "p50": "结存P50",
        "p90": "结存P90",
        "p_exhausted": "穷底概率",
        "category": "救助类别",
        "setting": "就医类别",
        "decile": "收入十分位",
        "households": "家庭户数",
        "persons": "人数",
        "per_capita_income": "人均收入（元）",
        "oop_share": "自付占收入比",
        "coverage": "综合保障率",
        "warning": "预警户数",
        "expenditure_poor": "支出型贫困户数",
        "catastrophic": "灾难性支出户数",
        "newly_identified": "新识别户数",
        "path": "参数路径",
        "parameter": "参数",
        "source": "来源",
        "assumption": "假设",
        "baseline": "基线",
        "protection_curve": "经济风险保护：灾难性卫生支出发生率随阈值变化（按人加权）",
        "protection_quintiles": "经济风险保护：按家庭人均收入五等分组",
        "protection_reform": "经济风险保护：改革前后（灾难性卫生支出发生率，按人）",
        "protection_curve_sheet": "风险保护-阈值",
        "protection_quintiles_sheet": "风险保护-收入组",
        "protection_reform_sheet": "风险保护-改革对比",
        "reform_col": "改革",
        "change": "变化",
        "target_min": "下限",
        "target_max": "上限",
        "passed": "是否达标",
        "yes": "达标",
        "no": "未达标",
        "none": "—",
        "uncited": "未标注",
        "item": "项目",
        "wan": "万元",
        "yi": "亿元",
        "pct": "%",
        "count": "户/人",
        "deterministic": "确定性测算（draws=0）：P50 为单一路径，无区间",
        "mc": "蒙特卡洛 {draws} 次抽样的 P10/P50/P90",
        "kpis": "主要指标",
        "charts": "图表",
        "chart_funds": "各基金累计结存（单位：亿元）",
        "chart_tiers": "各就医类别费用分担（单位：亿元）",
        "chart_deciles": "各收入十分位自付占收入比（%）",
        "better_off": "负担减轻户数",
        "worse_off": "负担加重户数",
        "unchanged": "负担不变户数",
        "param_changes": "参数变动",
        "scenario": "情景",
        "scenario_title": "情景名称",
        "scenario_file": "情景文件",
        "scenario_sha256": "情景文件 SHA-256",
        "scenario_digest": "情景内容摘要",
        "seed": "随机种子",
        "population": "人口来源",
        "rows": "样本人数（行）",
        "weighted": "代表人数（加权）",
        "version": "软件版本",
        "date": "生成时间",
        "draws": "不确定性抽样次数",
        "sim_year": "测算年度",
        "tables_note": "金额单位为万元；比例为百分比；人数、户数为加权数。",
        "decisions": "决策分析",
        "dec_pricing": "大病保险合同定价（蒙特卡洛抽样）",
        "dec_pricing_sheet": "决策-大病定价",
        "dec_marginal": "最优投入：每1,000万元公共支出的效果",
        "dec_marginal_sheet": "决策-最优投入",
        "dec_tornado": "敏感性：各输入取区间两端时末年的结果",
        "dec_tornado_sheet": "决策-敏感性",
        "dec_chart": "末年基金累计结存对各输入的敏感性（相对中值，单位：亿元）",
        "contract_year": "合同年度",
        "solved_parameter": "求解参数",
        "solved_value": "求解值",
        "current_premium": "现行人均筹资（元）",
        "target_margin": "目标盈利率",
        "central_margin": "测算中值盈利率",
        "lever": "参数",
        "from_value": "现值",
        "to_value": "调整至",
        "per_budget": "每1,000万元",
        "reached": "可投满",
        "reached_yes": "是",
        "reached_no": "否",
        "input": "输入",
        "group": "类别",
        "low": "区间下端",
        "high": "区间上端",
        "at_low": "下端",
        "at_high": "上端",
        "range_from": "区间来源",
        "lever_group": "政策参数",
        "assumption_group": "测算假设",
        "bt_totals": "回测：模型测算与医保平台实际支付（各层级）",
        "bt_totals_sheet": "回测-层级",
        "bt_groups": "回测：按就医类别和救助类别",
        "bt_groups_sheet": "回测-分组",
        "bt_months": "回测：按月份",
        "bt_months_sheet": "回测-月份",
        "bt_gaps": "回测：差额最大的结算",
        "bt_gaps_sheet": "回测-最大差额",
        "bt_import": "回测：结算数据导入",
        "bt_import_sheet": "回测-导入",
        "bt_tier": "层级",
        "bt_observed": "实际支付",
        "bt_simulated": "模型测算",
        "bt_gap": "差额",
        "bt_rel": "相对差",
        "bt_month": "月份",
        "bt_level": "医院等级",
        "bt_setl": "结算ID",
        "bt_psn": "人员编号",
        "bt_abs_gap": "各层级差额绝对值之和",
        "bt_warning": "导入警告",
        "bt_count": "条数",
        "bt_note": "差额 = 模型测算 − 实际支付。基本医保在各层级精确；"
        "大病、救助、互助按就医类别和救助类别精确；其余按救助类别精确"
        "（按人分摊到结算的规则见 docs/CONTRACT-settlements.md）。",
        "params_note": "上表为各项政策参数；人口生成与基金预测的参数及全部参数路径见 Excel 报告的“参数”表。",
    },
    "en": {
        "title": "Medical-security policy report",
        "summary": "Summary",
        "targets": "Targets",
        "funds": "Funds",
        "costs": "Costs",
        "deciles": "Income deciles",
        "warnings": "Warnings",
        "parameters": "Parameters",
        "provenance": "Provenance",
        "reform": "Reform",
        "figure": "Figure",
        "code": "Code",
        "value": "Value",
        "unit": "Unit",
        "year": "Year",
        "fund": "Fund",
        "income": "Income",
        "expenditure": "Expenditure",
        "balance": "Balance",
        "months_payable": "Months payable",
        "p10": "Balance P10",
        "p50": "Balance P50",
        "p90": "Balance P90",
        "p_exhausted": "P(exhausted)",
        "category": "Category",
        "setting": "Setting",
        "decile": "Income decile",
        "households": "Households",
        "persons": "Persons",
        "per_capita_income": "Income per head (yuan)",
        "oop_share": "OOP / income",
        "coverage": "Coverage rate",
        "warning": "Warnings",
        "expenditure_poor": "Expenditure-poor",
        "catastrophic": "Catastrophic",
        "newly_identified": "Newly identified",
        "path": "Path",
        "parameter": "Parameter",
        "source": "Source",
        "assumption": "Assumption",
        "baseline": "Baseline",
        "protection_curve": "Financial protection: catastrophic spending by threshold (persons-weighted)",
        "protection_quintiles": "Financial protection by household income quintile (per capita)",
        "protection_reform": "Financial protection before and after the reform (catastrophic spending)",
        "protection_curve_sheet": "Protection by threshold",
        "protection_quintiles_sheet": "Protection by quintile",
        "protection_reform_sheet": "Protection reform",
        "reform_col": "Reform",
        "change": "Change",
        "target_min": "Min",
        "target_max": "Max",
        "passed": "Met",
        "yes": "met",
        "no": "missed",
        "none": "—",
        "uncited": "not cited",
        "item": "Item",
        "wan": "10k yuan",
        "yi": "100m yuan",
        "pct": "%",
        "count": "count",
        "deterministic": "Deterministic projection (draws=0): P50 is a single path, no band",
        "mc": "P10/P50/P90 of {draws} Monte Carlo draws",
        "kpis": "Key figures",
        "charts": "Charts",
        "chart_funds": "Fund balances (100m yuan)",
        "chart_tiers": "Who pays, by setting (100m yuan)",
        "chart_deciles": "Out-of-pocket share of income by income decile (%)",
        "better_off": "Households better off",
        "worse_off": "Households worse off",
        "unchanged": "Households unchanged",
        "param_changes": "Parameter changes",
        "scenario": "Scenario",
        "scenario_title": "Scenario title",
        "scenario_file": "Scenario file",
        "scenario_sha256": "Scenario file SHA-256",
        "scenario_digest": "Scenario content digest",
        "seed": "Seed",
        "population": "Population",
        "rows": "Sample persons (rows)",
        "weighted": "Persons represented (weighted)",
        "version": "Package version",
        "date": "Generated",
        "draws": "Uncertainty draws",
        "sim_year": "Simulated year",
        "tables_note": "Money in 10k yuan (万元); rates in %; persons and households weighted.",
        "decisions": "Decisions",
        "dec_pricing": "Pricing the critical-illness contract (Monte Carlo)",
        "dec_pricing_sheet": "Decisions-contract",
        "dec_marginal": "Best buy: what 10 million yuan of public spending buys",
        "dec_marginal_sheet": "Decisions-best buy",
        "dec_tornado": "Sensitivity: the final year at both ends of each input's range",
        "dec_tornado_sheet": "Decisions-tornado",
        "dec_chart": "Final-year fund balance against each input (change from central, 100m yuan)",
        "contract_year": "Contract year",
        "solved_parameter": "Solved for",
        "solved_value": "Solved value",
        "current_premium": "Current premium per person (yuan)",
        "target_margin": "Target margin rate",
        "central_margin": "Margin rate, central assumptions",
        "lever": "Lever",
        "from_value": "Now",
        "to_value": "Moved to",
        "per_budget": "per 10 million yuan",
        "reached": "Absorbs it",
        "reached_yes": "yes",
        "reached_no": "no",
        "input": "Input",
        "group": "Kind",
        "low": "Low end",
        "high": "High end",
        "at_low": "low",
        "at_high": "high",
        "range_from": "Range from",
        "lever_group": "lever",
        "assumption_group": "assumption",
        "bt_totals": "Back-test: the model against what the platform paid, by tier",
        "bt_totals_sheet": "Backtest tiers",
        "bt_groups": "Back-test by setting and category",
        "bt_groups_sheet": "Backtest groups",
        "bt_months": "Back-test by month",
        "bt_months_sheet": "Backtest months",
        "bt_gaps": "Back-test: the settlements of the largest gaps",
        "bt_gaps_sheet": "Backtest largest gaps",
        "bt_import": "Back-test: the settlement import",
        "bt_import_sheet": "Backtest import",
        "bt_tier": "Tier",
        "bt_observed": "Observed",
        "bt_simulated": "Simulated",
        "bt_gap": "Gap",
        "bt_rel": "Relative gap",
        "bt_month": "Month",
        "bt_level": "Hospital level",
        "bt_setl": "Settlement id",
        "bt_psn": "Person id",
        "bt_abs_gap": "Sum of the tiers' absolute gaps",
        "bt_warning": "Import warning",
        "bt_count": "Count",
        "bt_note": "Gap = simulated − observed. Basic insurance is exact at every level; critical illness, "
        "assistance and mutual aid by setting and category; the rest by category (the rule apportioning "
        "a person's year to the settlements: docs/CONTRACT-settlements.md).",
        "params_note": (
            "The policy parameters; the population generator's and the projection's inputs and every "
            "parameter's path are in the Excel report's Parameters sheet."
        ),
    },
}


def tier_columns(frame) -> list[str]:
    """total_cost, every payer column (`*_paid`, in the frame's order; tiers added later join), oop."""
    paid = [c for c in frame.columns if str(c).endswith("_paid")]
    return ["total_cost", *paid, "oop"]


def kind_of(key: str) -> str:
    """'money', 'rate', 'count' or 'persons' for a summary or target key (the registry's kind)."""
    return metric_kind(key)


def label(table: dict, key: str, lang: str) -> str:
    """The label of a code in a code list (categories, settings, funds: `registry.code_label`)."""
    return code_label(table, key, lang)


def fmt_value(key: str, v: float, lang: str = "zh") -> str:
    """A figure for a card: money compact (亿元 / 万元), rates in %, counts (`registry.format_value`)."""
    return format_value(key, v, lang)


@dataclass
class ReportData:
    lang: str
    title: str
    scenario_id: str
    year: int
    summary: pd.DataFrame  # key, label, kind, value (yuan / fraction / count)
    targets: pd.DataFrame  # key, label, value, min, max, passed, source
    funds: pd.DataFrame  # year, fund, fund_label, income, expenditure, balance, months_payable, p10, p50, p90
    fund_note: str
    exhaustion: pd.Series | None
    costs: pd.DataFrame  # category, setting, total_cost, each *_paid, oop (yuan, weighted)
    deciles: pd.DataFrame  # decile, households, persons, per_capita_income, total_cost, oop, oop_share, ...
    warnings: pd.DataFrame  # category, households, warning, expenditure_poor, catastrophic, newly_identified
    # path, label (a lever's, else empty), value, (baseline), source, assumption, and value_shown
    # (baseline_shown): the value in the lever's unit (95%, 20,000 元)
    parameters: pd.DataFrame
    provenance: list[tuple[str, str]]
    reform: dict | None = None  # summary/tiers/deciles/households/changes when a baseline is given
    extra: dict = field(default_factory=dict)
    # financial protection (Result.protection): tables of registry keys, each a ProtectionTable
    protection: list = field(default_factory=list)
    # decisions (contract pricing, best buy, tornado), each a ProtectionTable; empty unless asked for
    decisions: list = field(default_factory=list)
    tornado: pd.DataFrame | None = None  # the tornado's bars (label, change at low / high end, yuan)
    # a back-test against the platform's settlements (simulation.settlements), tables as protection's
    backtest: list = field(default_factory=list)


@dataclass
class ProtectionTable:
    """One table of the financial-protection section: its sheet name, title, headings, the registry
    kind of each column (rate, money, index) and its rows (values in yuan / fractions)."""

    sheet: str
    title: str
    head: list[str]
    kinds: list[str]
    rows: list[list]


def _heading(key: str, lang: str, suffix: str = "") -> str:
    text = metric_label(key, lang)
    text = text if lang == "zh" else text[:1].upper() + text[1:]
    return f"{text}：{suffix}" if suffix and lang == "zh" else f"{text}: {suffix}" if suffix else text


def _protection(res, baseline, lang: str) -> list:
    """The curve over 5%-50%, the quintile table and, with a baseline, the curve and the quintiles'
    rates before and after the reform."""
    t = TEXT[lang]
    p = res.protection()
    curve_cols = ("catastrophic_rate_persons", "catastrophic_rate_households", "catastrophic_rate_capacity")
    c = p.curve
    tables = [
        ProtectionTable(
            t["protection_curve_sheet"],
            t["protection_curve"],
            [_heading(k, lang) for k in ("threshold", *curve_cols, "concentration_index")],
            ["rate", "rate", "rate", "rate", "index"],
            [[th, *(c.at[th, k] for k in curve_cols), c.at[th, "concentration_index"]] for th in c.index],
        )
    ]
    q = p.by_quintile
    qcols = ("per_capita_income", *PROTECTION_FIGURES)
    tables.append(
        ProtectionTable(
            t["protection_quintiles_sheet"],
            t["protection_quintiles"],
            [_heading("quintile", lang), t["persons"], *(_heading(k, lang) for k in qcols)],
            ["count", "persons", *(metric_kind(k) for k in qcols)],
            [[int(i), q.at[i, "persons"], *(q.at[i, k] for k in qcols)] for i in q.index],
        )
    )
    if baseline is not None:
        pb = baseline.protection()
        head = [_heading("threshold", lang)]
        kinds = ["rate"]
        rows = [[th] for th in c.index]
        for k in ("catastrophic_rate_persons", "catastrophic_rate_capacity"):
            head += [_heading(k, lang, t["baseline"]), _heading(k, lang, t["reform_col"])]
            kinds += ["rate", "rate"]
            for row, th in zip(rows, c.index):
                row += [pb.curve.at[th, k], c.at[th, k]]
        tables.append(
            ProtectionTable(t["protection_reform_sheet"], t["protection_reform"], head, kinds, rows)
        )
    return tables


def _backtest(bt, lang: str) -> list:
    """The back-test's tables: totals per tier, by setting x category, by month, the settlements of
    the largest gaps and the import's warnings (money in yuan, relative gaps as fractions)."""
    if bt is None:
        return []
    t = TEXT[lang]
    head = [t["bt_tier"], t["bt_observed"], t["bt_simulated"], t["bt_gap"], t["bt_rel"]]
    kinds = ["text", "money", "money", "money", "rate"]

    def vals(r):
        return [tier_label(str(r["tier"]), lang), r["observed"], r["simulated"], r["gap"], r["relative_gap"]]

    tot = bt.totals().reset_index()
    tables = [
        ProtectionTable(
            t["bt_totals_sheet"], t["bt_totals"], head, kinds, [vals(r) for _, r in tot.iterrows()]
        )
    ]
    g = bt.table(("setting", "category"))
    tables.append(
        ProtectionTable(
            t["bt_groups_sheet"],
            t["bt_groups"],
            [t["setting"], t["category"], *head],
            ["text", "text", *kinds],
            [
                [label(SETTING_LABELS, r["setting"], lang), category_label(r["category"], lang), *vals(r)]
                for _, r in g.iterrows()
            ],
        )
    )
    g = bt.table(("month",))
    tables.append(
        ProtectionTable(
            t["bt_months_sheet"],
            t["bt_months"],
            [t["bt_month"], *head],
            ["text", *kinds],
            [[str(int(r["month"])), *vals(r)] for _, r in g.iterrows()],
        )
    )
    levels = bt.scenario.params.hospital_levels
    gaps = bt.largest_gaps(20)
    tables.append(
        ProtectionTable(
            t["bt_gaps_sheet"],
            t["bt_gaps"],
            [
                t["bt_setl"],
                t["bt_psn"],
                t["setting"],
                t["bt_level"],
                t["category"],
                t["bt_month"],
                t["bt_abs_gap"],
            ],
            ["text"] * 6 + ["money"],
            [
                [
                    r["setl_id"],
                    r["psn_no"],
                    label(SETTING_LABELS, r["setting"], lang),
                    _level_label(levels, r["hospital_level"], lang),
                    category_label(r["category"], lang),
                    str(int(r["month"])),
                    r["abs_gap"],
                ]
                for _, r in gaps.iterrows()
            ],
        )
    )
    rep = bt.observed.report
    rows = [[w.message(lang), w.count] for w in rep.warnings]
    if rep.unmapped:
        rows.append(
            [
                ("未映射的列：" if lang == "zh" else "Unmapped columns: ") + ", ".join(rep.unmapped),
                len(rep.unmapped),
            ]
        )
    tables.append(
        ProtectionTable(
            t["bt_import_sheet"], t["bt_import"], [t["bt_warning"], t["bt_count"]], ["text", "count"], rows
        )
    )
    return tables


def _level_label(levels, code: str, lang: str) -> str:
    lv = levels.get(str(code))
    if lv is None:
        return str(code)
    return lv.label if lang == "zh" else (lv.label_en or lv.label)


def _projection(res):
    return project(res._y.population, res.scenario, start_year=res.year, first_result=res)


def _summary(res, lang: str) -> pd.DataFrame:
    rows = [
        {"key": k, "label": metric_label(k, lang), "kind": kind_of(k), "value": float(v)}
        for k, v in res.summary.items()
    ]
    return pd.DataFrame(rows)


def _targets(proj, year: int, lang: str) -> pd.DataFrame:
    t = proj.targets
    t = t[t["year"] == year].copy()
    t["label"] = t["label"] if lang == "zh" else t["label_en"]
    return t[["target", "label", "value", "min", "max", "passed", "source"]].rename(columns={"target": "key"})


def _funds(res, proj, lang: str, draws: int, seed: int, persons: int | None):
    f = proj.funds[["year", "fund", "income", "expenditure", "balance", "months_payable"]].copy()
    exhaustion = None
    if draws and draws > 0:
        n = persons or len(res._y.population.persons)
        pop = res._y.population
        trusted = not str(getattr(pop, "source", "")).startswith("generated")
        mc = monte_carlo(
            res.scenario,
            persons=n,
            draws=int(draws),
            years=len(proj.years),
            seed=seed,
            population_factory=(lambda s: pop) if trusted else None,
        )
        b = mc.bands.copy()
        b["year"] = b["year"].astype(int)
        f = f.merge(b, on=["year", "fund"], how="left")
        note = TEXT[lang]["mc"].format(draws=int(draws))
        exhaustion = mc.exhaustion
    else:
        f["p10"] = np.nan
        f["p50"] = f["balance"]
        f["p90"] = np.nan
        note = TEXT[lang]["deterministic"]
    f.insert(2, "fund_label", [label(FUND_LABELS, x, lang) for x in f["fund"]])
    return f, note, exhaustion


def _costs(res) -> pd.DataFrame:
    c = res.claims
    p = res.persons
    w = p["weight"].reindex(c["person_id"]).to_numpy()
    cat = p["category_applied"].reindex(c["person_id"]).to_numpy()
    df = pd.DataFrame({"category": cat, "setting": c["setting"].astype(str).to_numpy()})
    for col in tier_columns(c):
        df[col] = c[col].to_numpy(dtype=float) * w
    out = df.groupby(["category", "setting"], sort=False).sum().reset_index()
    cat_order = {k: i for i, k in enumerate(CATEGORY_LABELS)}
    set_order = {k: i for i, k in enumerate(SETTING_LABELS)}
    out["_c"] = out["category"].map(cat_order).fillna(99)
    out["_s"] = out["setting"].map(set_order).fillna(99)
    return out.sort_values(["_c", "_s"]).drop(columns=["_c", "_s"]).reset_index(drop=True)


def _deciles(res) -> pd.DataFrame:
    h = res.households
    dec = income_deciles(res)
    w = h["weight"].to_numpy()
    df = pd.DataFrame(
        {
            "decile": dec,
            "households": w,
            "persons": w * h["size"].to_numpy(),
            "income": w * h["income"].to_numpy(),
            "total_cost": w * h["total_cost"].to_numpy(),
            "oop": w * h["oop"].to_numpy(),
            "warning": w * h["warning"].to_numpy(dtype=float),
            "catastrophic": w * h["catastrophic"].to_numpy(dtype=float),
        }
    )
    g = df.groupby("decile").sum().reindex(range(1, 11), fill_value=0.0)
    g["per_capita_income"] = per(g["income"], g["persons"])
    g["oop_share"] = per(g["oop"], g["income"])
    g["coverage"] = coverage(g["oop"], g["total_cost"])
    return g.reset_index()


def _warnings(res) -> pd.DataFrame:
    h = res.households
    w = h["weight"].to_numpy()
    df = pd.DataFrame(
        {
            "category": h["category"].astype(str).to_numpy(),
            "households": w,
            "warning": w * h["warning"].to_numpy(dtype=float),
            "expenditure_poor": w * h["expenditure_poor"].to_numpy(dtype=float),
            "catastrophic": w * h["catastrophic"].to_numpy(dtype=float),
            "newly_identified": w * h["newly_identified"].to_numpy(dtype=float),
        }
    )
    g = df.groupby("category").sum()
    order = [c for c in CATEGORY_LABELS if c in g.index] + [c for c in g.index if c not in CATEGORY_LABELS]
    g = g.reindex(order)
    g.loc["__total__"] = g.sum()
    return g.reset_index()


def _shown(spec, v, lang: str) -> str:
    """A parameter's value as text: in the lever's unit (95%, 20,000 元), else as it is."""
    if v is None:
        return "—"
    return spec.format(v, lang) if spec is not None else str(v)


def _parameters(scn, base_scn=None, lang: str = "zh") -> pd.DataFrame:
    base = dict(base_scn.leaves()) if base_scn is not None else None
    levers = {lv.path: lv for lv in scn.levers()}
    rows = []
    for path, value in scn.leaves():
        src = scn.source(path)
        spec = levers.get(path)
        row = {"path": path, "label": spec.label_in(lang) if spec else "", "value": value}
        if base is not None:
            row["baseline"] = base.get(path)
        row["source"] = src.get("source", "")
        row["assumption"] = src.get("assumption", "")
        row["value_shown"] = _shown(spec, value, lang)
        if base is not None:
            row["baseline_shown"] = _shown(spec, row["baseline"], lang)
        rows.append(row)
    return pd.DataFrame(rows)


def scenario_file(scn) -> Path | None:
    """The YAML file a scenario was loaded from (a preset name resolves into scenarios/)."""
    for cand in (getattr(scn, "path", None), getattr(scn, "preset", None)):
        if not cand:
            continue
        for p in (Path(str(cand)), SCENARIO_DIR / f"{cand}.yaml"):
            if p.is_file():
                return p.resolve()
    return None


def _file_sha256(path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except (OSError, TypeError):
        return ""


def _git_commit() -> str:
    """The checkout's commit, read from .git without running git ('' outside a checkout)."""
    git = Path(__file__).resolve().parents[2] / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if head.startswith("ref: "):
            ref = head[5:]
            f = git / ref
            if f.is_file():
                return f.read_text().strip()[:12]
            for line in (git / "packed-refs").read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split()[0][:12]
            return ""
        return head[:12]
    except OSError:
        return ""


def _provenance(res, lang: str, seed, draws: int) -> list[tuple[str, str]]:
    t = TEXT[lang]
    scn = res.scenario
    pop = res._y.population
    src = str(getattr(pop, "source", "") or "")
    if seed is None:
        m = re.search(r"seed=(\d+)", src)
        seed = m.group(1) if m else t["none"]
    path = scenario_file(scn)
    return [
        (t["scenario"], scn.name_in(lang)),
        (t["scenario_title"], scn.params.title),
        (t["scenario_file"], str(path) if path else t["none"]),
        (t["scenario_sha256"], _file_sha256(path) or t["none"]),
        (t["scenario_digest"], scn.digest()),
        (t["sim_year"], str(res.year)),
        (t["seed"], str(seed)),
        (t["population"], src or t["none"]),
        (t["rows"], f"{len(pop.persons):,}"),
        (t["weighted"], f"{res.summary['persons']:,.0f}"),
        (t["draws"], str(int(draws or 0))),
        (t["version"], f"simulation {__version__}" + (f" (git {_git_commit()})" if _git_commit() else "")),
        (t["date"], datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %z")),
    ]


def _reform(res, baseline, lang: str) -> dict:
    cmp = compare(baseline, res)
    s = cmp.summary.reset_index()
    s["label"] = [metric_label(k, lang) for k in s["figure"]]
    s["kind"] = [kind_of(k) for k in s["figure"]]
    tiers = cmp.tiers.reset_index()
    tiers["label"] = [
        metric_label(k, lang)
        if k != "public_total"
        else ("公共支出合计" if lang == "zh" else "public payers total")
        for k in tiers["tier"]
    ]
    changes = pd.DataFrame(baseline.scenario.diff(res.scenario))
    for c in ("source", "assumption"):  # a change cites one of the two: the other is empty, not NaN
        if c in changes:
            changes[c] = changes[c].fillna("")
    if len(changes):  # each change with its lever's label and its values in the lever's unit
        levers = {lv.path: lv for lv in res.scenario.levers()}
        specs = [levers.get(p) for p in changes["path"]]
        changes["label"] = [s.label_in(lang) if s else "" for s in specs]
        changes["base_shown"] = [_shown(s, v, lang) for s, v in zip(specs, changes["base"])]
        changes["value_shown"] = [_shown(s, v, lang) for s, v in zip(specs, changes["value"])]
    return {
        "summary": s,
        "tiers": tiers,
        "deciles": cmp.by_decile.reset_index(),
        "households": cmp.households,
        "changes": changes,
        "added_public_cost": cmp.added_public_cost,
    }


def build(
    res,
    lang: str = "zh",
    baseline=None,
    *,
    draws: int = 0,
    seed=None,
    mc_seed: int = 0,
    persons: int | None = None,
    decisions=False,
    backtest=None,
) -> ReportData:
    """Every table of the report. `draws` > 0 adds Monte Carlo P10/P50/P90 to the fund table;
    `decisions` adds the decision tables: True computes them (the contract priced on 20 draws, every
    lever's best buy, the tornado of every input: many runs), or a dict with any of `pricing`
    (a Pricing), `marginal` (marginal_effects' table) and `tornado` (a Tornado) already computed;
    `backtest` (a simulation.settlements.Backtest of `res`) adds the back-test's tables."""
    if lang not in TEXT:
        raise WorkbenchError(f"report: lang must be 'zh' or 'en', got {lang!r}")
    proj = _projection(res)
    funds, note, exhaustion = _funds(res, proj, lang, draws, mc_seed, persons)
    return ReportData(
        lang=lang,
        title=res.scenario.params.title,
        scenario_id=res.scenario.id,
        year=res.year,
        summary=_summary(res, lang),
        targets=_targets(proj, res.year, lang),
        funds=funds,
        fund_note=note,
        exhaustion=exhaustion,
        costs=_costs(res),
        deciles=_deciles(res),
        warnings=_warnings(res),
        parameters=_parameters(res.scenario, baseline.scenario if baseline is not None else None, lang),
        provenance=_provenance(res, lang, seed, draws),
        reform=_reform(res, baseline, lang) if baseline is not None else None,
        protection=_protection(res, baseline, lang),
        **_decisions(res, lang, decisions),
        backtest=_backtest(backtest, lang),
    )


# ---------------------------------------------------------------------------- decisions


def _decisions(res, lang: str, decisions) -> dict:
    """The decision tables and the tornado's bars (`build(decisions=...)`)."""
    if not decisions:
        return {}
    given = decisions if isinstance(decisions, dict) else {}
    unknown = set(given) - {"pricing", "marginal", "tornado"}
    if unknown:
        raise WorkbenchError(
            f"report: decisions takes pricing, marginal and tornado, not {', '.join(sorted(unknown))}"
        )
    pop, scn = res._y.population, res.scenario
    pr, me, tn = given.get("pricing"), given.get("marginal"), given.get("tornado")
    if decisions is True:
        if scn.params.critical_illness.enabled:
            pr = price_critical_illness(pop, scn, draws=20)
        me = marginal_effects(pop, scn)
        tn = tornado(pop, scn)
    tables = []
    if pr is not None:
        tables.append(_pricing_table(pr, lang))
    if me is not None:
        tables.append(_marginal_table(me, scn, lang))
    bars = None
    if tn is not None:
        tables.append(_tornado_table(tn, lang))
        top = tn.top(15, "balance")
        c = tn.central["balance"]
        bars = pd.DataFrame(
            {
                "label": top["label"] if lang == "zh" else top["label_en"],
                "low": top["balance_low"] - c,
                "high": top["balance_high"] - c,
            }
        )
    return {"decisions": tables, "tornado": bars}


def _pricing_table(pr: Pricing, lang: str) -> ProtectionTable:
    t = TEXT[lang]
    lever = pr.scenario.lever(pr.parameter)
    head = [
        t["contract_year"],
        t["solved_parameter"],
        t["solved_value"],
        t["current_premium"],
        t["target_margin"],
    ]
    kinds = ["text", "text", "text", "num", "rate"]
    row = [str(pr.year), lever.label_in(lang), lever.format(pr.value, lang), pr.current_premium, pr.target]
    for k in ("expected_margin_rate", "p_loss", "p_surplus", "deposit", "expected_loss", "fund_cost",
              "resident_fund_cost"):  # fmt: skip
        head.append(_heading(k, lang))
        kinds.append(metric_kind(k))
        row.append(getattr(pr, k))
    head.append(t["central_margin"])
    kinds.append("rate")
    row.append(pr.central["insurer_margin_rate"])
    return ProtectionTable(t["dec_pricing_sheet"], t["dec_pricing"], head, kinds, [row])


def _marginal_table(me: pd.DataFrame, scn, lang: str) -> ProtectionTable:
    t = TEXT[lang]
    levers = {lv.path: lv for lv in scn.levers()}
    head = [t["lever"], t["from_value"], t["to_value"], _heading("added_cost", lang)]
    head += [_heading(k, lang, t["per_budget"]) for k in BUY_FIGURES]
    head.append(t["reached"])
    kinds = ["text", "text", "text", "money", "rate", "rate", "num", "text"]
    rows = []
    for r in me.head(30).itertuples():
        lv = levers[r.path]
        rows.append(
            [lv.label_in(lang), lv.format(r.value, lang), lv.format(r.new_value, lang), r.added_cost]
            + [getattr(r, f"per_budget_{k}") for k in BUY_FIGURES]
            + [t["reached_yes"] if r.reached else t["reached_no"]]
        )
    return ProtectionTable(t["dec_marginal_sheet"], t["dec_marginal"], head, kinds, rows)


def _tornado_table(tn: Tornado, lang: str) -> ProtectionTable:
    t = TEXT[lang]
    head = [t["input"], t["group"], t["low"], t["high"]]
    kinds = ["text", "text", "num", "num"]
    for f in TORNADO_FIGURES:
        head += [_heading(f, lang, t["at_low"]), _heading(f, lang, t["at_high"])]
        kinds += [metric_kind(f)] * 2
    head.append(t["range_from"])
    kinds.append("text")
    rows = []
    for r in tn.top(30).to_dict("records"):
        row = [r["label"] if lang == "zh" else r["label_en"], t[f"{r['group']}_group"], r["low"], r["high"]]
        for f in TORNADO_FIGURES:
            row += [r[f"{f}_low"], r[f"{f}_high"]]
        row.append(r["range_source"] if lang == "zh" else r["range_source_en"])
        rows.append(row)
    return ProtectionTable(t["dec_tornado_sheet"], t["dec_tornado"], head, kinds, rows)
