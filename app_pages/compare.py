"""方案对比 Compare: the preset (baseline) against the edited scenario: public cost by tier and year
in a unit that shows the reform's size, winners and losers in five bands by income decile, by
category and by district, coverage by category and financial protection before and after."""

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
from simulation.compare import BANDS
from simulation.protection import FIGURES as PROTECTION_FIGURES
from simulation.registry import fmt_money, fmt_points, format_change, format_value, metric_kind

st.header(t("compare_title"))
scn = scenario()
if not scn.changes:
    st.info(t("compare_same"))
cmp = comparison()

st.metric(t("added_public_cost"), money(cmp.added_public_cost), border=True)
tier_labels = {k: label(k) for k in cmp.tiers.index.get_level_values(1).unique()}
tier_labels["public_total"] = t("public_total")
# one unit for the chart and the table, chosen by the largest change (a 37.7 万元 reform in 万元)
scale = charts.money_scale(cmp.tiers["change"].to_numpy(), lang())
factor, unit = charts.money_factor(scale), charts.money_unit(scale, lang())
tiers_scaled = cmp.tiers.assign(change=cmp.tiers["change"] / factor * 1e8)  # tier_change draws /1e8
chart(
    charts.tier_change(
        tiers_scaled, tier_labels, t("cost_by_tier_unit", unit=unit), t("change_unit", unit=unit)
    ),
    "ch_tiers",
)

# ---- winners and losers
st.subheader(t("winners_losers"))
band_labels = {b: t(f"band_{b}") for b in BANDS}
view = (
    st.segmented_control(
        t("bands_by"),
        ["decile", "category", "district"],
        default="decile",
        format_func=lambda k: t(f"bands_by_{k}"),
        key="cmp_bands_by",
    )
    or "decile"
)
bands = {"decile": cmp.bands_by_decile, "category": cmp.bands_by_category, "district": cmp.bands_by_district}[
    view
]
bands = bands[bands["persons"] > 0].copy()
if view == "decile":
    bands.index = [t("decile_n", d=d) for d in bands.index]
elif view == "category":
    bands.index = [cat_label(c) for c in bands.index]
chart(
    charts.band_bars(bands, list(BANDS), band_labels, t(f"bands_title_{view}"), t("share_of_persons")),
    "ch_bands",
)
total = cmp.bands_by_decile
overall = (
    total[list(BANDS)].mul(total["persons"], axis=0).sum() / max(total["persons"].sum(), 1e-300)
).to_dict()
st.caption(
    t(
        "bands_note",
        gain=format_value("coverage", overall["gain_large"] + overall["gain_small"], lang()),
        lose=format_value("coverage", overall["lose_large"] + overall["lose_small"], lang()),
    )
)

c1, c2 = st.columns(2)
bc = cmp.by_category.copy()
bc.index = [cat_label(c) for c in bc.index]
chart(
    charts.grouped_bars(
        bc,
        {"coverage_baseline": t("baseline"), "coverage_reform": t("reform")},
        t("coverage_by_category"),
        title("coverage"),
        percent=True,
    ),
    "ch_cmp_cat",
    where=c1,
)
hh = cmp.households
chart(
    charts.bar(
        [t(k) for k in hh.index],
        hh.to_numpy(),
        t("winners_households"),
        t("households_axis"),
        text=[f"{v:,.0f}" for v in hh],
    ),
    "ch_winners",
    where=c2,
)
st.subheader(t("protection_compare"))
c1, c2 = st.columns(2)
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
    where=c1,
)
quint = cmp.protection_by_quintile.copy()
quint.index = [t("protection_quintile_n", q=q) for q in quint.index]
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
    where=c2,
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

st.subheader(t("cost_by_tier_table"))
tiers_rows = cmp.tiers.reset_index()
# each figure in the unit its own size needs (元 / 万元 / 亿元), so no non-zero amount reads 0.00
table(
    pd.DataFrame(
        {
            t("year"): tiers_rows["year"].astype(str),
            t("tier"): tiers_rows["tier"].map(tier_labels),
            t("baseline"): [money(v) for v in tiers_rows["baseline"]],
            t("reform"): [money(v) for v in tiers_rows["reform"]],
            t("change"): [fmt_money(v, lang(), signed=True) if v else "0" for v in tiers_rows["change"]],
        }
    ),
    "tb_cost_by_tier",
    "cost_by_tier",
    hide_index=True,
)
