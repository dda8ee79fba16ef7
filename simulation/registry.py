"""One registry of what the workbench shows: every output figure and every lever.

Outputs. `OUTPUTS` maps each figure's key (a summary key, a derived indicator, a column of a
by-group table) to its Chinese and English label, its kind (money in yuan, rate as a fraction,
count of households, persons), the fund accounts that pay it, whether it is a term of the cost
identity (per person, to 0.01 yuan: total_cost = every `*_paid` column + oop) and whether it is
public spending. The payer columns (`PAID_COLUMNS`, in settlement order), the identity, the public
payers and the summary's person sums are read from it, as are the labels and kinds the CLI, the app
and the reports print (`metric_label`, `metric_kind`) and the one number formatter of each kind
(`fmt_money`, `fmt_rate`, `fmt_count`, `format_value`).

Levers. The parameter schema (`parameters.py`) carries each field's labels, unit and bounds;
`levers(params, meta, cite)` walks it and lists every numeric or boolean parameter of a scenario
with its composed labels (a leaf under a category, a hospital level, a scheme ... is qualified by
that key's label: 住院救助比例（低保对象）), unit, kind, bounds (the schema's, narrowed by the
scenario's `constraints`), value and citation. `Scenario.levers()` is the public entry.

Imports only `parameters` (and the standard library, numpy): the registry sits just above the
schema, below the rules, the engine and everything that prints.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .assumption_text import assumed, cited_in
from .parameters import (
    CARE_LEVEL_LABELS,
    CARE_SETTING_LABELS,
    CATEGORY_LABELS,
    GOVERNMENT_LABELS,
    LEVER_UNITS,
    SCHEME_LABELS,
    ScenarioModel,
)

# ---------------------------------------------------------------------------- kinds and units

# kind of an output -> its unit (zh, en); money is printed in 元, 万元 or 亿元 (see fmt_money)
KINDS: dict[str, tuple[str, str]] = {
    "money": ("元", "yuan"),
    "rate": ("%", "%"),
    "count": ("户", "households"),
    "persons": ("人", "persons"),
    "index": ("", ""),  # a dimensionless index (concentration index), a group number
}
MONEY_SCALES: dict[str, tuple[float, str, str]] = {
    "yuan": (1.0, "元", "yuan"),
    "wan": (1e4, "万元", "10k yuan"),
    "yi": (1e8, "亿元", "100m yuan"),
}

# ---------------------------------------------------------------------------- funds

FUND_LABELS: dict[str, tuple[str, str]] = {
    "employee_pool": ("职工医保统筹基金", "Employee pooled fund"),
    "resident_pool": ("居民医保基金", "Resident fund"),
    "critical_illness": ("大病保险资金", "Critical-illness insurance"),
    "assistance": ("医疗救助基金", "Medical assistance fund"),
    "charity": ("暖心基金", "Charity fund (Nuanxin)"),
    "long_term_care": ("长期护理保险基金", "Long-term care insurance fund"),
}
FUNDS: tuple[str, ...] = tuple(FUND_LABELS)

# ---------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Output:
    """One output figure: labels, kind, the fund accounts paying it, its place in the identity."""

    key: str
    label: str
    label_en: str
    kind: str  # money | rate | count | persons
    funds: tuple[str, ...] = ()  # fund accounts (FUNDS) that pay it
    identity: bool = False  # a term of total_cost = Σ *_paid + oop
    public: bool = False  # spent by a public payer (compare.added_public_cost)
    # a payer's tier: the scenario section whose rules pay it (the explanation's tier name and clause)
    tier: str = ""
    # a payer of the person's year as a whole, computed in the household part of the year's pass
    # after tiers 2-4 (kernels.year_pass's `payers`, engine.YearArrays.payers): its per-claim share
    # follows what each claim still leaves the person (settlements.apportion's rule B)
    per_person: bool = False
    # the settlement fields a payer is compared with in a back-test (settlements.codes.TIERS)
    settlement: str = ""

    @property
    def unit(self) -> str:
        return KINDS[self.kind][0]

    @property
    def unit_en(self) -> str:
        return KINDS[self.kind][1]

    def label_in(self, lang: str) -> str:
        return self.label if lang == "zh" else self.label_en

    @property
    def payer(self) -> bool:
        """A `_paid` column: a payer of the identity (oop is the identity's remainder)."""
        return self.identity and self.key.endswith("_paid")


def _o(key: str, zh: str, en: str, kind: str, **kw: Any) -> Output:
    return Output(key, zh, en, kind, **kw)


# order: the cost, then the payers in settlement order, then what is left; then everything else
_OUTPUTS: tuple[Output, ...] = (
    _o("persons", "参保人数", "insured persons", "persons"),
    _o("households", "家庭户数", "households", "count"),
    _o("total_cost", "医疗总费用", "total medical cost", "money"),
    _o("policy_cost", "政策范围内费用", "policy-range cost", "money"),
    _o(
        "basic_paid",
        "基本医保支付",
        "basic insurance paid",
        "money",
        funds=("employee_pool", "resident_pool"),
        identity=True,
        public=True,
        tier="basic_insurance",
        settlement="basic_paid",
    ),
    _o(
        "critical_paid",
        "大病保险支付",
        "critical-illness insurance paid",
        "money",
        funds=("critical_illness",),
        identity=True,
        public=True,
        tier="critical_illness",
        settlement="critical_paid",
    ),
    _o(
        "mutual_aid_paid",
        "医疗互助（职工互助、少儿住院互助基金）",
        "mutual aid paid",
        "money",
        identity=True,
        tier="mutual_aid",
        settlement="other_payers",
    ),
    _o(
        "assistance_paid",
        "医疗救助支付",
        "medical assistance paid",
        "money",
        funds=("assistance",),
        identity=True,
        public=True,
        tier="medical_assistance",
        settlement="assistance_paid",
    ),
    _o(
        "family_planning_paid",
        "计划生育利益导向资金救助（计生两户）",
        "family-planning fund aid",
        "money",
        identity=True,
        public=True,
        tier="medical_assistance",
        settlement="other_payers",
    ),
    _o(
        "supplement_paid",
        "商业补充保险支付",
        "supplementary insurance paid",
        "money",
        identity=True,
        tier="supplement",
        settlement="other_payers",
    ),
    _o(
        "other_paid",
        "部门梯次减负（残联、退役军人、工会等）",
        "other departments' subsidies",
        "money",
        identity=True,
        public=True,
        tier="other_subsidies",
        per_person=True,
        settlement="other_payers",
    ),
    _o(
        "cap_paid",
        "封顶制兜底（暖心基金）",
        "household cap paid (charity fund)",
        "money",
        funds=("charity",),
        identity=True,
        public=True,
        tier="family_cap",
        per_person=True,
        # paid after the year, outside the platform's settlement: the person bore it at settlement
        settlement="person_paid",
    ),
    _o(
        "hospital_paid",
        "医疗机构承担（超定额、超目录外比例）",
        "borne by hospitals",
        "money",
        identity=True,
        tier="hospital_liability",
        settlement="hospital_paid",
    ),
    _o("oop", "个人负担", "out-of-pocket", "money", identity=True),
    _o("premium_subsidy", "资助参保", "premium subsidies", "money", funds=("assistance",), public=True),
    _o("coverage_rate_poor", "困难群众综合保障率", "comprehensive coverage rate of the poor", "rate"),
    _o("personal_burden_rate", "个人负担率", "personal burden rate", "rate"),
    _o(
        "policy_reimbursement_rate_employee",
        "职工政策范围内住院报销比例",
        "employee policy-range inpatient reimbursement",
        "rate",
    ),
    _o(
        "policy_reimbursement_rate_resident",
        "居民政策范围内住院报销比例",
        "resident policy-range inpatient reimbursement",
        "rate",
    ),
    _o("insurer_premium", "大病保险筹资（保费）", "critical-illness premium", "money"),
    _o("insurer_claims", "大病保险赔付", "critical-illness claims", "money"),
    _o("insurer_margin", "承办机构盈利", "insurer margin", "money"),
    _o("insurer_margin_rate", "承办机构盈利率", "insurer margin rate", "rate"),
    _o("insurer_surplus_returned", "结余返还基金", "surplus returned to the fund", "money"),
    _o("insurer_loss_compensation", "政策性亏损分担", "policy-loss compensation", "money"),
    _o("quality_deposit", "质量保证金", "quality deposit", "money"),
    _o("catastrophic_rate", "灾难性卫生支出发生率", "catastrophic health expenditure rate", "rate"),
    _o(
        "catastrophic_rate_25",
        "灾难性卫生支出发生率（25%）",
        "catastrophic health expenditure rate (25%)",
        "rate",
    ),
    _o("mutual_aid_subsidy", "互助基金个人缴费资助", "mutual-aid contributions subsidised", "money"),
    _o("premium_subsidy_province", "资助参保：省级承担", "premium subsidies: province", "money"),
    _o("premium_subsidy_city", "资助参保：市级承担", "premium subsidies: city", "money"),
    _o("premium_subsidy_county", "资助参保：县级承担", "premium subsidies: county", "money"),
    _o("warnings", "因病致贫预警户数", "households flagged by early warning", "count"),
    # the district view (simulation.districts): shares of a district's households
    _o("warning_rate", "预警户占比", "share of households flagged", "rate"),
    _o("catastrophic_households", "灾难性支出家庭户数", "households with catastrophic spending", "count"),
    _o(
        "warning_cleared_rate",
        "高额医疗费用动态清零化解率",
        "share of warned households brought below the line",
        "rate",
    ),
    _o("expenditure_poor_households", "支出型贫困家庭户数", "expenditure-poor households", "count"),
    _o("newly_identified_households", "政策找人新识别户数", "households newly found (政策找人)", "count"),
    _o("poor_persons", "困难群众人数", "persons in an assistance category", "persons"),
    _o("unreferred_extra", "未转诊增加的个人负担", "extra cost of unreferred care", "money"),
    _o("enrolled_rate", "参保率", "insured rate", "rate"),
    _o("enrolled_persons", "参保人数（已参保）", "enrolled persons", "persons"),
    # 嘉兴 长期护理保险 (an independent fund; zeros where the scenario has none)
    _o("ltc_insured", "长期护理保险参保人数", "long-term care: insured persons", "persons"),
    _o("ltc_beneficiaries", "长期护理保险待遇享受人数", "long-term care: beneficiaries", "persons"),
    _o("ltc_cost", "长期护理服务费用", "long-term care: cost of care", "money"),
    _o(
        "ltc_benefit",
        "长期护理保险基金支付",
        "long-term care: benefits paid",
        "money",
        funds=("long_term_care",),
    ),
    _o("ltc_oop", "长期护理个人负担", "long-term care: out-of-pocket", "money"),
    _o("ltc_individual", "长期护理保险个人缴费", "long-term care: individual contributions", "money"),
    _o(
        "ltc_contribution_subsidy",
        "长期护理保险个人缴费资助",
        "long-term care: contributions subsidised",
        "money",
    ),
    _o("ltc_pool_transfer", "医保统筹基金划转", "long-term care: transfer from the medical pool", "money"),
    _o(
        "ltc_pool_transfer_employee",
        "医保统筹基金划转（职工）",
        "long-term care: transfer from the employee pool",
        "money",
    ),
    _o("ltc_fiscal", "长期护理保险财政补助", "long-term care: government subsidy", "money"),
    _o("ltc_income", "长期护理保险基金收入", "long-term care: fund income", "money"),
    _o("ltc_benefit_rate", "长期护理保险基金支付比例", "long-term care: share of the cost paid", "rate"),
    # 临安 大病无忧: persons enrolled by the government and the premiums it pays for them
    _o(
        "supplement_fiscal_enrollees",
        "财政代缴商业补充保险人数",
        "supplement: persons enrolled by the state",
        "persons",
    ),
    _o(
        "supplement_fiscal_premium",
        "财政代缴商业补充保险保费",
        "supplement: premiums paid by the state",
        "money",
    ),
    # financial protection as WHO and the World Bank report it (CONTRACT.md), persons-weighted
    _o(
        "catastrophic_rate_10_persons",
        "灾难性卫生支出发生率（10%，按人）",
        "catastrophic spending, 10% of income (persons)",
        "rate",
    ),
    _o(
        "catastrophic_rate_25_persons",
        "灾难性卫生支出发生率（25%，按人）",
        "catastrophic spending, 25% of income (persons)",
        "rate",
    ),
    _o(
        "catastrophic_rate_ctp40",
        "灾难性卫生支出发生率（支付能力40%）",
        "catastrophic spending, 40% of capacity to pay",
        "rate",
    ),
    _o("impoverished_rate", "因病致贫率", "impoverished by out-of-pocket spending", "rate"),
    _o("further_impoverished_rate", "因病加深贫困率", "further impoverished", "rate"),
    _o(
        "poverty_gap_before_oop",
        "自付前人均贫困缺口",
        "poverty gap before out-of-pocket, per person",
        "money",
    ),
    _o("poverty_gap_after_oop", "自付后人均贫困缺口", "poverty gap after out-of-pocket, per person", "money"),
    _o(
        "mean_positive_overshoot_10", "灾难性支出平均超出幅度（10%）", "mean positive overshoot (10%)", "rate"
    ),
    # columns of Result.protection()'s curve and quintile tables
    _o("threshold", "阈值（自付占收入）", "threshold (share of income)", "rate"),
    _o(
        "catastrophic_rate_persons",
        "灾难性卫生支出发生率（按人）",
        "catastrophic spending (persons)",
        "rate",
    ),
    _o(
        "catastrophic_rate_households",
        "灾难性卫生支出发生率（按户）",
        "catastrophic spending (households)",
        "rate",
    ),
    _o(
        "catastrophic_rate_capacity",
        "灾难性卫生支出发生率（占支付能力）",
        "catastrophic spending (share of capacity to pay)",
        "rate",
    ),
    _o(
        "concentration_index", "集中指数（按人均收入）", "concentration index (over income per head)", "index"
    ),
    _o("quintile", "收入五等分组", "income quintile", "index"),
    # indicators derived per projected year from the fund table (targets.derived_indicators)
    _o(
        "assistance_balance_ratio",
        "医疗救助累计结余/当年筹资",
        "assistance balance / annual financing",
        "rate",
    ),
    _o("charity_fiscal_share", "暖心基金财政补助占比", "charity fund fiscal share", "rate"),
    _o("basic_fund_expenditure", "基本医保基金支出", "basic fund spending", "money"),
    _o("fund_spending_growth", "基本医保基金年支出增长率", "basic fund spending growth", "rate"),
    _o(
        "supplement_payout_share",
        "商业补充保险赔付占医疗总费用比例",
        "supplementary payouts / total medical cost",
        "rate",
    ),
    # figures of a group (category, income decile) in the app, compare and the reports
    _o("coverage", "综合保障率", "coverage rate", "rate"),
    _o("oop_share", "自付占收入比", "out-of-pocket share of income", "rate"),
    _o("oop_per_person", "人均个人负担", "out-of-pocket per person", "money"),
    _o("income", "收入", "income", "money"),
    _o("per_capita_income", "人均收入", "income per head", "money"),
    # decisions (contract.py, best_buy.py, sensitivity.py): the 大病 contract's price and risks
    _o("premium_per_capita", "大病保险人均筹资", "critical-illness premium per insured person", "money"),
    _o("expected_margin_rate", "承办机构预期盈利率", "insurer's expected margin rate", "rate"),
    _o("expected_margin", "承办机构预期盈利", "insurer's expected margin", "money"),
    _o("p_loss", "经营性亏损概率", "probability of an operating loss", "rate"),
    _o("p_surplus", "结余返还概率", "probability of a surplus returned", "rate"),
    _o("deposit", "质量保证金（考核风险金额）", "quality deposit at stake", "money"),
    _o("expected_loss", "预期经营性亏损", "expected operating loss", "money"),
    _o("p_loss_beyond_deposit", "亏损超过保证金的概率", "probability of a loss beyond the deposit", "rate"),
    _o("fund_cost", "医保基金净支出（保费−结余返还）", "net cost to the medical pools", "money"),
    _o("resident_fund_cost", "居民医保基金净支出", "net cost to the resident fund", "money"),
    # the best buy and the tornado
    _o("warnings_remaining", "未化解预警户数", "warned households not cleared", "count"),
    _o("public_cost", "公共支出合计", "public spending", "money"),
    _o("added_cost", "新增公共支出", "added public spending", "money"),
    _o("balance", "基金累计结存", "fund balance", "money"),
)
OUTPUTS: dict[str, Output] = {o.key: o for o in _OUTPUTS}

PAID_COLUMNS: tuple[str, ...] = tuple(o.key for o in _OUTPUTS if o.payer)  # settlement order
IDENTITY: tuple[str, ...] = (*PAID_COLUMNS, "oop")  # sums to total_cost, per person
PUBLIC_PAYERS: tuple[str, ...] = tuple(o.key for o in _OUTPUTS if o.public)
# the payers of the person's year computed after tiers 2-4 (engine.YearArrays.payers), in settlement order
PERSON_PAYERS: tuple[str, ...] = tuple(k for k in PAID_COLUMNS if OUTPUTS[k].per_person)
# the money columns of the persons table the summary sums with the weights (Result.summary)
PERSON_SUMS: tuple[str, ...] = ("total_cost", "policy_cost", *PAID_COLUMNS, "oop", "premium_subsidy")


def output(key: str) -> Output:
    """The registry's entry of a figure; KeyError if it has none."""
    return OUTPUTS[key]


def metric_label(key: str, lang: str = "zh") -> str:
    """A figure's label; an unregistered key is shown as itself (the tests keep every key registered)."""
    o = OUTPUTS.get(key)
    return o.label_in(lang) if o else key


def metric_kind(key: str) -> str:
    """'money', 'rate', 'count' (households) or 'persons'; 'number' for an unregistered key."""
    o = OUTPUTS.get(key)
    return o.kind if o else "number"


def metric_title(key: str, lang: str = "zh", scale: str = "yuan") -> str:
    """A figure's label with its unit, for a column or an axis: 医疗总费用（元）, Coverage rate (%)."""
    o = OUTPUTS.get(key)
    if o is None:
        return key
    u = unit_label(o.kind, lang, scale)
    label = o.label if lang == "zh" else f"{o.label_en[:1].upper()}{o.label_en[1:]}"
    if not u:
        return label
    return f"{label}（{u}）" if lang == "zh" else f"{label} ({u})"


def unit_label(kind: str, lang: str = "zh", scale: str = "yuan") -> str:
    """The unit a table states for a kind: money in `scale` (元/万元/亿元), %, 户, 人."""
    if kind == "money":
        _, zh, en = MONEY_SCALES[scale]
        return zh if lang == "zh" else en
    zh, en = KINDS.get(kind, ("", ""))
    return zh if lang == "zh" else en


def code_label(table: Mapping[str, tuple[str, str]], code: str, lang: str = "zh") -> str:
    """The label of a code in one of the code lists (categories, settings, schemes, funds)."""
    zh, en = table.get(code, (code, code))
    return zh if lang == "zh" else en


def category_label(code: str, lang: str = "zh") -> str:
    """Label of a category code, or of a combination `a|b` (labels joined by +)."""
    return "+".join(code_label(CATEGORY_LABELS, c, lang) for c in str(code).split("|"))


# ---------------------------------------------------------------------------- figures of a group


def coverage(oop, cost) -> np.ndarray:
    """综合保障率 of groups, 1 − oop / total_cost; a group without cost has nothing left unpaid (1.0,
    as `coverage_rate_poor` of a run without cost)."""
    oop, cost = np.asarray(oop, dtype=float), np.asarray(cost, dtype=float)
    return 1.0 - np.divide(oop, cost, out=np.zeros(np.shape(cost)), where=cost > 0)


def per(a, b) -> np.ndarray:
    """a / b of groups (oop share of income, oop per person); NaN where b is not positive."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.divide(a, b, out=np.full(np.shape(b), np.nan), where=b > 0)


# ---------------------------------------------------------------------------- number formatting


def _missing(x) -> bool:
    try:
        return x is None or not math.isfinite(float(x))
    except (TypeError, ValueError):
        return True


def fmt_money(
    x,
    lang: str = "zh",
    scale: str = "auto",
    digits: int | None = None,
    unit: bool = True,
    signed: bool = False,
) -> str:
    """Yuan as text. `scale` "auto" (cards): 亿元 / 万元 / 元 in Chinese, ¥ bn / m in English;
    "yuan", "wan" (万元) or "yi" (亿元) for a table whose caption states the unit (`unit=False`)."""
    if _missing(x):
        return "—"
    x = float(x)
    sign = "+" if signed else ""
    if scale == "auto" and lang != "zh":
        # the sign before the currency: -¥0.3, +¥1.20 m (never ¥-0.3)
        lead = "-" if x < 0 else "+" if signed and x > 0 else ""
        for factor, suffix in ((1e9, " bn"), (1e6, " m")):
            if abs(x) >= factor:
                return f"{lead}¥{abs(x) / factor:,.{2 if digits is None else digits}f}{suffix}"
        d = 0 if digits is None else digits
        text = f"{abs(x):,.{d}f}"
        while x != 0 and d < 6 and not any(c in "123456789" for c in text):
            d += 1
            text = f"{abs(x):,.{d}f}"
        return f"{lead}¥{text}"
    if scale == "auto":
        scale = "yi" if abs(x) >= 1e8 else "wan" if abs(x) >= 1e4 else "yuan"
    factor, zh, en = MONEY_SCALES[scale]
    d = (0 if scale == "yuan" else 2) if digits is None else digits
    text = f"{x / factor:{sign},.{d}f}"
    while x != 0 and d < 6 and not any(c in "123456789" for c in text):
        d += 1  # a non-zero figure never prints as 0.00 (2.13 万元 in 亿元 reads 0.0002)
        text = f"{x / factor:{sign},.{d}f}"
    return f"{text} {zh if lang == 'zh' else en}" if unit else text


def money_scale(values, lang: str = "zh") -> str:
    """The one scale ("yi", "wan" or "yuan") a chart or a table of money figures is drawn in: the
    largest at which the largest figure reads at least 1 and no non-zero figure rounds to 0.00
    (a waterfall with 30 亿元 beside a 2.13 万元 payment is drawn in 万元, not 0.00 亿元)."""
    v = np.abs(np.asarray([float(x) for x in np.ravel(values) if not _missing(x)], dtype=float))
    v = v[v > 0]
    if not len(v):
        return "yuan"
    for scale in ("yi", "wan"):
        factor = MONEY_SCALES[scale][0]
        if v.max() >= factor and v.min() / factor >= 0.005:
            return scale
    return "wan" if v.max() >= 1e4 and v.min() >= 50 else "yuan"


def money_unit(scale: str, lang: str = "zh") -> str:
    """The unit of a money scale: 亿元 / 100m yuan, 万元 / 10k yuan, 元 / yuan."""
    _, zh, en = MONEY_SCALES[scale]
    return zh if lang == "zh" else en


def money_factor(scale: str) -> float:
    return MONEY_SCALES[scale][0]


def fmt_rate(x, digits: int = 1) -> str:
    """A fraction in percent: 0.9 -> 90.0%."""
    return "—" if _missing(x) else f"{float(x) * 100:.{digits}f}%"


def fmt_points(x, lang: str = "zh", digits: int = 1) -> str:
    """A change of a rate in percentage points: +5.0个百分点 / +5.0 pp (never "5%")."""
    if _missing(x):
        return "—"
    return f"{float(x) * 100:+.{digits}f}" + ("个百分点" if lang == "zh" else " pp")


def fmt_count(x, digits: int = 0, signed: bool = False) -> str:
    """Households or persons (weighted): 12,345."""
    return "—" if _missing(x) else f"{float(x):{'+' if signed else ''},.{digits}f}"


def format_value(
    key: str,
    x,
    lang: str = "zh",
    *,
    scale: str = "auto",
    digits: int | None = None,
    unit: bool = True,
) -> str:
    """A figure as text in its kind (`metric_kind`): money by `fmt_money`, rates in %, counts."""
    kind = metric_kind(key)
    if kind == "rate":
        return fmt_rate(x, 1 if digits is None else digits)
    if kind in ("count", "persons"):
        return fmt_count(x, 0 if digits is None else digits)
    if kind == "money":
        return fmt_money(x, lang, scale, digits, unit)
    if kind == "index":
        return "—" if _missing(x) else f"{float(x):.{3 if digits is None else digits}f}"
    return "—" if _missing(x) else f"{float(x):,.4g}"


def format_change(key: str, x, lang: str = "zh", *, scale: str = "auto", unit: bool = True) -> str:
    """A difference of a figure: signed money, percentage points of a rate, signed counts."""
    kind = metric_kind(key)
    if kind == "rate":
        return fmt_points(x, lang)
    if kind in ("count", "persons"):
        return fmt_count(x, signed=True)
    if kind == "money":
        return fmt_money(x, lang, scale, unit=unit, signed=True)
    return "—" if _missing(x) else f"{float(x):+,.4g}"


# ---------------------------------------------------------------------------- calibration figures

# the figures `calibration.generated_values` computes, by name (a suffix qualifies the group):
# labels (zh, en) and kind; a `population.targets` name is one of these, possibly with a suffix
_CALIBRATION: dict[str, tuple[str, str, str]] = {
    "hospitalization_rate": ("住院率", "hospitalisation rate", "rate"),
    "inpatient_cost": ("次均住院费用", "cost per admission", "money"),
    "employee_share": ("职工医保参保人占比", "share insured as employees", "rate"),
    "income_per_capita": ("人均收入", "income per head", "money"),
    "household_size": ("平均家庭人口", "mean household size", "number"),
    "poor_share": ("困难群众占比", "share in an assistance category", "rate"),
    "category_share": ("救助类别人口占比", "share of the population", "rate"),
    "top1_share": ("费用最高 1% 人群的费用占比", "spending share of the top 1%", "rate"),
    "top10_share": ("费用最高 10% 人群的费用占比", "spending share of the top 10%", "rate"),
    "top10_share_inpatient": (
        "住院费用最高 10% 人群的住院费用占比",
        "inpatient spending share of the top 10%",
        "rate",
    ),
    "fund_spending_per_insured": ("人均基本医保基金支出", "basic fund spending per insured", "money"),
}
_GROUPS: dict[str, tuple[str, str]] = {
    "employee": ("职工", "employees"),
    "resident": ("居民", "residents"),
    "urban": ("城镇", "urban"),
    "rural": ("农村", "rural"),
}


def calibration_figure(
    name: str, lang: str = "zh", levels: Mapping[str, tuple[str, str]] | None = None
) -> tuple[str, str]:
    """Label and kind (rate, money, number) of a calibration figure by its name: 住院率（职工）,
    次均住院费用（三级）, 救助类别人口占比（低保对象）. `levels` maps a hospital level to its labels
    (the scenario's `hospital_levels`). A registered output (policy-range reimbursement,
    catastrophic spending) keeps its own label; a name the table does not know stays as it is."""
    if name in OUTPUTS:
        return metric_label(name, lang), metric_kind(name)
    i = 0 if lang == "zh" else 1
    for base in sorted(_CALIBRATION, key=len, reverse=True):
        if name != base and not name.startswith(base + "_"):
            continue
        zh, en, kind = _CALIBRATION[base]
        label = (zh, en)[i]
        rest = name[len(base) + 1 :]
        if not rest:
            return label, kind
        if rest.startswith("level_"):
            lv = rest[len("level_") :]
            q = (levels or {}).get(lv, (f"{lv}级", f"level {lv}"))[i]
        elif base == "category_share":
            q = category_label(rest, lang)
        elif rest in _GROUPS:
            q = _GROUPS[rest][i]
        else:
            break
        return (f"{label}（{q}）" if lang == "zh" else f"{label} ({q})"), kind
    return name, "number"


# status marks of the calibration file and the presets' citations (V verified, D derived,
# S secondary, R recalled, A assumption), read out in Chinese in the Chinese interface
_MARKS_ZH: tuple[tuple[str, str], ...] = (
    (r"\(recalled order of magnitude\)", "（凭记忆的数量级，待核实）"),
    (r"\(recalled\)", "（凭记忆，待核实）"),
    (r"\brecalled\b", "凭记忆、待核实"),
    (r"\bstatus ([VDSRA])\b", lambda m: _STATUS_ZH[m.group(1)]),
    (r"\(([VDSRA])\)", lambda m: f"（{_STATUS_ZH[m.group(1)]}）"),
    (r"\bcalibration/ ?", "全国校准资料："),
    (r"\bassumption: ", "假设："),
)
_STATUS_ZH = {"V": "已核实", "D": "推算", "S": "二手来源", "R": "凭记忆、待核实", "A": "假设"}


def cite_text(source: str = "", assumption: str = "", lang: str = "zh") -> str:
    """A citation as the interface shows it: the clause, or 假设：/ Assumption: and the assumption,
    with the status marks of the sources (recalled, V/D/S/R/A) in the interface's language."""
    if source:
        text = cited_in(str(source), lang)
        if text.startswith("assumption: "):  # a source that is an assumption (calibration targets)
            text = assumed(text.removeprefix("assumption: "), lang)
    elif assumption:
        text = assumed(str(assumption), lang)
    else:
        return "（无出处记录）" if lang == "zh" else "(no citation recorded)"
    if lang == "zh":
        for pattern, repl in _MARKS_ZH:
            text = re.sub(pattern, repl, text)
    return text


# ---------------------------------------------------------------------------- levers


@dataclass(frozen=True)
class Lever:
    """One parameter of a scenario a planner can move (see `Scenario.levers()`)."""

    path: str
    label: str
    label_en: str
    unit: str  # a key of parameters.LEVER_UNITS: %, 元, 元/月, 元/人·年, 岁, 月, 级, "" (a switch)
    unit_en: str
    kind: str  # rate (a fraction, shown in %) | money | number | switch
    bounds: tuple[float | None, float | None]  # the schema's, narrowed by the scenario's constraints
    value: Any
    tier: str  # top-level section (basic_insurance, medical_assistance, ...)
    tier_label: str
    tier_label_en: str
    source: str = ""  # the clause the value comes from
    assumption: str = ""  # or the assumption it rests on

    def label_in(self, lang: str) -> str:
        return self.label if lang == "zh" else self.label_en

    def unit_in(self, lang: str) -> str:
        return self.unit if lang == "zh" else self.unit_en

    def tier_in(self, lang: str) -> str:
        return self.tier_label if lang == "zh" else self.tier_label_en

    def titled(self, lang: str = "zh") -> str:
        """The label with its unit: 住院救助比例（低保对象）（%） / ... (%)."""
        u = self.unit_in(lang)
        if not u:
            return self.label_in(lang)
        return f"{self.label}（{u}）" if lang == "zh" else f"{self.label_en} ({u})"

    def format(self, value: Any = None, lang: str = "zh") -> str:
        """A value of this lever with its unit: 95%, 20,000 元, 60 岁, 是 / yes."""
        v = self.value if value is None else value
        if isinstance(v, bool):
            return ("是" if v else "否") if lang == "zh" else ("yes" if v else "no")
        if _missing(v):
            return "—"
        if self.kind == "rate":
            return f"{_trim(float(v) * 100)}%"
        u = self.unit_in(lang)
        return f"{_trim(float(v))} {u}".rstrip()


def _trim(x: float) -> str:
    """A number with thousands separators and no trailing zeros (up to 4 decimals)."""
    s = f"{x:,.4f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


@lru_cache(maxsize=1)
def _schema() -> dict:
    return ScenarioModel.model_json_schema()


def _resolve(node: dict, defs: dict) -> dict:
    while True:
        if "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = node["allOf"][0]
        else:
            return node


def _fits(node: dict, v: Any) -> bool:
    t = node.get("type")
    if isinstance(v, bool):
        return t == "boolean"
    if isinstance(v, (int, float)):
        return t in ("number", "integer")
    if isinstance(v, dict):
        return t == "object"
    if isinstance(v, list):
        return t == "array"
    return False


def _branch(node: dict, v: Any, defs: dict) -> dict | None:
    node = _resolve(node, defs)
    if "anyOf" in node:
        for b in node["anyOf"]:
            b = _resolve(b, defs)
            if _fits(b, v):
                return b
        return None
    return node if _fits(node, v) else None


@dataclass(frozen=True)
class _Field:
    label: str
    label_en: str
    unit: str
    keys: tuple[str, ...]
    prefix: bool  # a section's label prefixes its leaves (a tier's never does)


class _Walk:
    """Walks the schema alongside a scenario's values, composing each leaf's labels."""

    def __init__(self, params: ScenarioModel, meta: Mapping[str, dict], cite: Callable[[str], dict] | None):
        self.p, self.meta, self.cite = params, meta, cite
        self.defs = _schema().get("$defs", {})
        self.out: list[Lever] = []
        self.tier: tuple[str, str, str] = ("", "", "")

    def run(self) -> list[Lever]:
        values = self.p.model_dump(mode="python")
        for name, prop in _schema()["properties"].items():
            if "label" not in prop or values.get(name) is None:
                continue  # id, title, year, targets, constraints, population, projection: not levers
            self.tier = (name, prop["label"], prop["label_en"])
            f = self.field(prop, tier=True)
            self.value(prop, values[name], name, f, f.keys, (), ())
        return self.out

    @staticmethod
    def field(prop: dict, tier: bool = False) -> _Field:
        return _Field(
            prop.get("label", ""),
            prop.get("label_en", ""),
            prop.get("unit", ""),
            tuple(prop.get("keys", ())),
            not tier,
        )

    def key_label(self, domain: str | None, key: Any, value: Any, path: str) -> tuple[str, str]:
        m = self.meta.get(path, {})
        if m.get("label"):  # a key the scenario file labels itself (e.g. premium_sharing classes)
            return m["label"], m.get("label_en") or m["label"]
        k = str(key)
        if domain == "item":
            if isinstance(value, dict) and value.get("label"):
                return value["label"], value.get("label_en") or value["label"]
            if isinstance(key, int):
                return f"第{key + 1}项", f"item {key + 1}"
        elif domain == "band" and isinstance(key, int):
            return f"第{key + 1}段", f"band {key + 1}"
        elif domain == "level":
            lv = self.p.hospital_levels.get(k)
            if lv is not None:
                return lv.label, lv.label_en or lv.label
        elif domain == "government" and isinstance(key, int) and key < len(GOVERNMENT_LABELS):
            return list(GOVERNMENT_LABELS.values())[key]
        else:
            table = {
                "category": CATEGORY_LABELS,
                "scheme": SCHEME_LABELS,
                "care_level": CARE_LEVEL_LABELS,
                "care_setting": CARE_SETTING_LABELS,
                "fund": FUND_LABELS,
            }.get(domain or "", {})
            if k in table:
                return table[k]
        return k, k

    def value(self, node, v, path, f: _Field, keys, prefix, quals) -> None:
        if v is None or isinstance(v, str):
            return
        b = _branch(node, v, self.defs)
        if b is None:
            return
        if isinstance(v, dict) and "properties" in b:  # a section: its fields, prefixed by its label
            pre = prefix + ((f.label, f.label_en),) if f.prefix and f.label else prefix
            for name, prop in b["properties"].items():
                if name in v:
                    sub = self.field(prop)
                    self.value(prop, v[name], f"{path}.{name}", sub, sub.keys, pre, quals)
        elif isinstance(v, (dict, list)):
            items = v.items() if isinstance(v, dict) else enumerate(v)
            sub = b.get("additionalProperties" if isinstance(v, dict) else "items", {})
            for k, x in items:
                p = f"{path}.{k}"
                q = self.key_label(keys[0] if keys else None, k, x, p)
                self.value(sub, x, p, f, keys[1:], prefix, (*quals, q))
        else:
            self.leaf(b, v, path, f, prefix, quals)

    def leaf(self, node: dict, v, path: str, f: _Field, prefix, quals) -> None:
        zh = "".join(p[0] for p in prefix) + f.label if f.label else ""
        en = " ".join([*(p[1] for p in prefix if p[1]), f.label_en]) if f.label_en else ""
        if quals and zh:
            zh += "（" + "，".join(q[0] for q in quals) + "）"
        if quals and en:
            en += " (" + ", ".join(q[1] for q in quals) + ")"
        own = self.meta.get(path, {})  # a leaf the scenario file labels itself
        zh, en = own.get("label") or zh, own.get("label_en") or en
        en = en[:1].upper() + en[1:]  # a label stands alone: sentence case, as the outputs' labels
        unit = "" if isinstance(v, bool) else f.unit
        unit_en, kind = LEVER_UNITS.get(unit, ("", "number"))
        if isinstance(v, bool):
            kind = "switch"
        elif kind == "switch":  # a number whose field states no unit (a test fails on it)
            kind = "number"
        lo, hi = node.get("minimum"), node.get("maximum")
        c = self.p.constraints.get(path)
        if c and len(c) == 2:
            lo = c[0] if lo is None else max(lo, c[0])
            hi = c[1] if hi is None else min(hi, c[1])
        cite = self.cite(path) if self.cite else {}
        t, tzh, ten = self.tier
        self.out.append(
            Lever(
                path=path,
                label=zh,
                label_en=en,
                unit=unit,
                unit_en=unit_en,
                kind=kind,
                bounds=(lo, hi),
                value=v,
                tier=t,
                tier_label=tzh,
                tier_label_en=ten,
                source=str(cite.get("source", "") or ""),
                assumption=str(cite.get("assumption", "") or ""),
            )
        )


def levers(
    params: ScenarioModel,
    meta: Mapping[str, dict] | None = None,
    cite: Callable[[str], dict] | None = None,
) -> list[Lever]:
    """Every numeric or boolean parameter of the policy tiers, in schema order, with its labels,
    unit, kind, bounds and value; `meta` (the scenario file's labels by path) and `cite` (path ->
    {'source'|'assumption': text}) come from the Scenario (`Scenario.levers()`)."""
    return _Walk(params, meta or {}, cite).run()


def tiers() -> list[tuple[str, str, str]]:
    """(key, label, label_en) of each policy tier, in schema order."""
    props = _schema()["properties"]
    return [(k, p["label"], p["label_en"]) for k, p in props.items() if "label" in p]
