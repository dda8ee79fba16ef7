"""方案对比 Compare: the preset (baseline) against the edited scenario: cost by tier and year,
coverage by category, households better and worse off."""

import pandas as pd
import streamlit as st

from app_pages import _charts as charts
from app_pages._common import (
    cat_label,
    chart,
    comparison,
    label,
    lang,
    money,
    row_label,
    scenario,
    t,
    table,
    title,
)
from simulation.protection import FIGURES as PROTECTION_FIGURES
from simulation.registry import fmt_points, format_change, format_value, metric_kind

st.header(t("compare_title"))
scn = scenario()
if not scn.changes:
    st.info(t("compare_same"))
cmp = comparison()

st.metric(t("added_public_cost"), money(cmp.added_public_cost), border=True)
tier_labels = {k: label(k) for k in cmp.tiers.index.get_level_values(1).unique()}
tier_labels["public_total"] = t("added_public_cost")
chart(charts.tier_change(cmp.tiers, tier_labels, t("cost_by_tier"), t("change")), "ch_tiers", "cost_by_tier")

c1, c2 = st.columns(2)
bc = cmp.by_category.copy()
bc.index = [cat_label(c) for c in bc.index]
with c1:
    chart(
        charts.grouped_bars(
            bc,
            {"coverage_baseline": t("baseline"), "coverage_reform": t("reform")},
            t("coverage_by_category"),
            title("coverage"),
            percent=True,
        ),
        "ch_cmp_cat",
        "coverage_by_category",
    )
hh = cmp.households
with c2:
    chart(
        charts.bar(
            [t(k) for k in hh.index],
            hh.to_numpy(),
            t("winners_losers"),
            t("count"),
            text=[f"{v:,.0f}" for v in hh],
        ),
        "ch_winners",
        "winners_losers",
    )
st.subheader(t("protection_compare"))
c1, c2 = st.columns(2)
with c1:
    chart(
        charts.lines(
            cmp.protection,
            {
                "catastrophic_rate_persons_baseline": t("baseline"),
                "catastrophic_rate_persons_reform": t("reform"),
            },
            t("protection_curve_cmp"),
            t("protection_threshold"),
            t("rate_axis"),
            dash={"catastrophic_rate_persons_reform": "dash"},
        ),
        "ch_cmp_protection_curve",
        "protection_by_threshold",
    )
quint = cmp.protection_by_quintile.copy()
quint.index = [t("protection_quintile_n", q=q) for q in quint.index]
with c2:
    chart(
        charts.grouped_bars(
            quint,
            {
                "catastrophic_rate_10_persons_baseline": t("baseline"),
                "catastrophic_rate_10_persons_reform": t("reform"),
            },
            t("protection_quintile_cmp"),
            t("rate_axis"),
            percent=True,
            legend_below=True,
        ),
        "ch_cmp_protection_quintile",
        "protection_by_quintile",
    )
ps = cmp.summary.loc[list(PROTECTION_FIGURES)]


def _d(key: str) -> int | None:
    return 2 if metric_kind(key) == "rate" else None


table(
    pd.DataFrame(
        {
            t("protection_figure"): [row_label(k) for k in ps.index],
            # rates to 0.01 point: a reform moves them by tenths of a point
            t("baseline"): [format_value(k, v, lang(), digits=_d(k)) for k, v in ps["baseline"].items()],
            t("reform"): [format_value(k, v, lang(), digits=_d(k)) for k, v in ps["reform"].items()],
            t("change"): [
                fmt_points(v, lang(), 2) if metric_kind(k) == "rate" else format_change(k, v, lang())
                for k, v in ps["change"].items()
            ],
        }
    ),
    "tb_cmp_protection",
    "protection_compare",
    hide_index=True,
)

tiers = cmp.tiers.reset_index()
tiers["tier"] = tiers["tier"].map(tier_labels)
for c in ("baseline", "reform", "change"):
    tiers[c] = (tiers[c] / 1e8).round(3)
table(
    tiers.rename(
        columns={
            "year": t("year"),
            "tier": t("tier"),
            "baseline": t("baseline"),
            "reform": t("reform"),
            "change": t("change"),
        }
    ),
    "tb_cmp_tiers",
    "cost_by_tier",
    hide_index=True,
)
st.caption(t("unit_yi"))
