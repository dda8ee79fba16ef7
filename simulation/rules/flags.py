"""Flags of illness-induced poverty: 支出型贫困 type 1 and 2 (沪府办规〔2022〕19号 四), catastrophic
health expenditure (SDG 3.8.2) and the scenario's early-warning rules (临安 封顶制方案 三(一))."""

from __future__ import annotations

import numpy as np

from ..jit import rule
from ..parameters import SCHEMES, ScenarioModel, or_inf, terms


@rule
def oop_share(oop, income):
    """OOP / income; a household with no income and any OOP has an infinite share."""
    if income > 0:
        return oop / income
    return np.inf if oop > 0 else 0.0


@rule
def expenditure_poor(income, oop, counted, size, income_limit, share, dibao_monthly):
    """(type 2, type 1) tests of one household (沪府办规〔2022〕19号 四).

    Type 2: 家庭年医疗费用支出达到或超过家庭年可支配收入40%, the cost counted being 在本市医保定点
    医疗机构发生的由个人实际负担的医疗费用: `counted`, the household's OOP less its part on
    out-of-city care the city does not settle (the care the assistance base leaves out, 二(二)3;
    `engine` apportions a person's OOP over their claims by what each leaves after basic
    insurance), at least the share of household disposable income.
    Type 1: 因医疗费用等必需支出过大，导致家庭月人均可支配收入低于本市城乡居民最低生活保障标准: the
    medical cost (`oop`, all of it) must cause the fall, so monthly income per head is at or above
    the dibao standard before the OOP and below it after (a household already below the line is a
    低保 matter, not one the cost caused).
    Both need some OOP and per-capita income below the scenario's limit (inf: none)."""
    m = max(size, 1)
    ok = income / m < income_limit
    type2 = ok and counted > 0 and counted >= share * income
    before, after = income / m / 12.0, (income - oop) / m / 12.0
    type1 = ok and oop > 0 and before >= dibao_monthly and after < dibao_monthly
    return type2, type1


@rule
def warning_applies(rule_scheme, scheme, assistance_objects_only, poor):
    """Whether an early-warning rule (临安 封顶制方案 三(一)) watches the person: its scheme (-1: any)
    and, for the assistance objects' line, persons in an assistance category only."""
    if rule_scheme >= 0 and rule_scheme != scheme:
        return False
    return poor or not assistance_objects_only


@rule
def warned(oop, threshold, inclusive):
    """A warning fires on OOP above the rule's line (超过), or at or above it where the rule says
    so (`inclusive`: 临安 封顶制方案 三(一) 超过2万元及以上, i.e. ≥ 20,000)."""
    return oop >= threshold if inclusive else oop > threshold


@terms("threshold", "scheme", "assistance_only", "inclusive")
def warning_terms(p: ScenarioModel) -> dict:
    """Per warning rule: its threshold, scheme (-1: any), whether it reads assistance objects only
    and whether the line itself fires (kernels._warnings_range)."""
    rules = p.flags.warning
    return dict(
        threshold=np.array([r.threshold for r in rules], dtype=float),
        scheme=np.array([-1 if r.scheme is None else SCHEMES.index(r.scheme) for r in rules], dtype=np.int64),
        assistance_only=np.array([r.assistance_objects for r in rules], dtype=bool),
        inclusive=np.array([r.inclusive for r in rules], dtype=bool),
    )


@terms("income_limit", "share", "dibao_monthly")
def found_terms(p: ScenarioModel) -> dict:
    """政策找人's type-1/2 tests (kernels._found_range): the per-capita income limit (inf: none),
    the OOP share of income and the monthly 低保 standard."""
    fl = p.flags
    return dict(
        income_limit=or_inf(fl.expenditure_poor_income_limit_per_capita),
        share=fl.expenditure_poor_share,
        dibao_monthly=fl.dibao_monthly,
    )


@terms("catastrophic", "income_limit", "share")
def household_terms(p: ScenarioModel) -> dict:
    """The households' weighted counts (kernels._household_counts): the catastrophic share and
    the 支出型贫困 tests' income limit and share."""
    fl = p.flags
    return dict(
        catastrophic=fl.catastrophic_threshold,
        income_limit=or_inf(fl.expenditure_poor_income_limit_per_capita),
        share=fl.expenditure_poor_share,
    )
