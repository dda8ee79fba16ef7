"""结果 Results: KPI cards against the targets, who pays what, by category and income decile, and
the catastrophic-spending households. Fast path: res.summary and bincount aggregates only (no
person tables, no fund projection), so a slider move redraws quickly at 1e6 persons."""

import re

import numpy as np
import pandas as pd
import streamlit as st

from app_pages import _charts as charts
from app_pages._common import (
    PAYERS_SHOWN,
    assistance_ratio_paths,
    by_category,
    by_decile,
    cat_label,
    chart,
    figure_table,
    fmt_figure,
    label,
    lang,
    lever,
    money_columns,
    open_household,
    pct,
    population,
    population_key,
    preset_scenario,
    result,
    result_precision,
    scenario,
    t,
    table,
    title,
)
from simulation.protection import FIGURES as PROTECTION_FIGURES
from simulation.registry import fmt_points, metric_kind
from simulation.targets import check, target_specs

st.header(t("page_results"))
scn = scenario()

with st.expander(t("quick_levers"), expanded=True):
    items = assistance_ratio_paths(scn)
    base = preset_scenario(st.session_state["preset"])
    for col, (path, _) in zip(st.columns(max(1, len(items))), items):
        with col:
            lever(scn, path, base.get(path), prefix="q")

res = result()
s = res.summary

st.subheader(t("kpi_title"))
specs = target_specs(scn)
KPIS = [
    "coverage_rate_poor",
    "policy_reimbursement_rate_employee",
    "policy_reimbursement_rate_resident",
    "insurer_margin_rate",
    "catastrophic_rate",
    "warnings",
    "total_cost",
    "oop",
]
prec = result_precision()


def _pm(key: str) -> str:
    """The 95% ± of a figure at the population size in use, in its own unit (percentage points of a
    rate, the money figure's own scale); "" when it is not estimated."""
    if prec is None or key not in prec.index or not np.isfinite(prec.at[key, "half_width"]):
        return ""
    hw = float(prec.at[key, "half_width"])
    if metric_kind(key) == "rate":
        return t("pm_points", pm=fmt_points(hw, lang()).lstrip("+"))
    shown = fmt_figure(key, float(prec.at[key, "value"]))
    # money: in the card's scale and digits (11.60 亿元 → ± 0.93 亿元; ¥1.16 bn → ± ¥0.09 bn)
    m = re.match(r"^(\D*?)(-?[\d,]+(?:\.(\d+))?)(.*)$", shown)
    if m is None or not prec.at[key, "value"]:
        return ""
    prefix, number, decimals, suffix = m.groups()
    factor = float(number.replace(",", "")) / float(prec.at[key, "value"])
    return t("pm_points", pm=f"{prefix}{hw * factor:,.{len(decimals or '')}f}{suffix}")


cols = st.columns(4)
for i, key in enumerate(KPIS):
    v = float(s.get(key, np.nan))
    spec = specs.get(key)
    ok = check(v, spec["min"], spec["max"]) if spec else None
    if ok is None:
        delta, color = t("no_target"), "off"
    else:
        lo, hi = spec["min"], spec["max"]
        lo_s, hi_s = fmt_figure(key, lo), fmt_figure(key, hi)
        goal = f"≥{lo_s}" if hi is None else f"≤{hi_s}" if lo is None else f"{lo_s}–{hi_s}"
        delta = t("target_ok", goal=goal) if ok else t("target_fail", goal=goal)
        color = "normal" if ok else "inverse"
    # a card: the figure, its target, and its precision at this population size beneath
    with cols[i % 4].container(border=True):
        st.metric(
            label(key),
            fmt_figure(key, v),
            delta=delta,
            delta_color=color,
            delta_arrow="off" if ok is None else ("up" if ok else "down"),
        )
        st.caption(_pm(key) or "&nbsp;")  # the same height in every card

if prec is not None:
    st.caption(t("precision_note", n=len(population().persons), groups=int(prec["groups"].iloc[0])))

st.subheader(t("who_pays"))
labels = {k: label(k) for k in (*PAYERS_SHOWN, "oop", "total_cost")}
waterfall = charts.payer_waterfall(s, labels, t("who_pays"), label("total_cost"), lang())
chart(waterfall, "ch_waterfall", "who_pays")

pop = population()
pk = population_key()
c1, c2 = st.columns(2)
cat = by_category(res, pk, pop)
cat.index = [cat_label(c) for c in cat.index]
with c1:
    chart(
        charts.grouped_bars(
            cat, {"coverage": label("coverage")}, t("by_category"), title("coverage"), percent=True
        ),
        "ch_cat_cov",
        "coverage_by_category",
    )
dec = by_decile(res, pk)
with c2:
    chart(
        charts.grouped_bars(
            dec.rename(index=lambda d: t("decile_n", d=d)),
            {"coverage": label("coverage"), "oop_share": label("oop_share")},
            t("by_decile"),
            title("coverage"),
            percent=True,
        ),
        "ch_decile",
        "by_income_decile",
    )

st.subheader(t("protection_title"))
# labels too long for a card: two small tables of figure and value
for i, (col, keys) in enumerate(zip(st.columns(2), (PROTECTION_FIGURES[:4], PROTECTION_FIGURES[4:]))):
    with col:
        table(figure_table({t("value"): s}, keys), f"tb_protection_{i}", "protection", hide_index=True)
prot = res.protection()
c1, c2 = st.columns(2)
with c1:
    chart(
        charts.lines(
            prot.curve,
            {
                "catastrophic_rate_persons": label("catastrophic_rate_persons"),
                "catastrophic_rate_households": label("catastrophic_rate_households"),
                "catastrophic_rate_capacity": label("catastrophic_rate_capacity"),
            },
            t("protection_curve"),
            t("protection_threshold"),
            t("rate_axis"),
            dash={"catastrophic_rate_households": "dot", "catastrophic_rate_capacity": "dash"},
        ),
        "ch_protection_curve",
        "protection_by_threshold",
    )
quint = prot.by_quintile.copy()
quint.index = [t("protection_quintile_n", q=q) for q in quint.index]
with c2:
    chart(
        charts.grouped_bars(
            quint,
            {
                k: label(k)
                for k in ("catastrophic_rate_10_persons", "catastrophic_rate_ctp40", "impoverished_rate")
            },
            t("protection_by_quintile"),
            t("rate_axis"),
            percent=True,
            legend_below=True,
        ),
        "ch_protection_quintile",
        "protection_by_quintile",
    )
st.caption(
    t(
        "protection_note",
        dibao=float(scn.params.flags.dibao_monthly),
        ci=fmt_figure("concentration_index", prot.concentration_index),
    )
)

thr = float(scn.params.flags.catastrophic_threshold)
st.subheader(t("catastrophic_title", thr=pct(thr)))
h = res.household_arrays()
cat_idx = np.flatnonzero(h["catastrophic"])
k = min(50, len(cat_idx))
st.caption(t("catastrophic_count", n=len(cat_idx), w=float(h["weight"][cat_idx].sum()), k=k))
if k:
    top = cat_idx[np.argsort(-h["oop_share"][cat_idx], kind="stable")[:k]]
    top_table = pd.DataFrame(
        {
            t("household_id"): h["household_id"][top],
            t("size"): h["size"][top],
            title("income"): h["income"][top].round(0),
            title("total_cost"): h["total_cost"][top].round(0),
            title("oop"): h["oop"][top].round(0),
            title("oop_share"): h["oop_share"][top] * 100,  # in % (the header says so)
        }
    )
    picked = table(
        top_table,
        "catastrophic_table",
        "catastrophic_households",
        hide_index=True,
        height=240,
        column_config=money_columns(top_table, [title("oop_share")]),
        on_select="rerun",
        selection_mode="single-row",
    )
    if picked.selection.rows:  # a click on a row opens the household on the 家庭测算 page
        open_household(h["household_id"][top][picked.selection.rows[0]])
st.caption(t("caveat"))
