"""方案对比 Compare: the preset (baseline) against the edited scenario: cost by tier and year,
coverage by category, households better and worse off."""

import streamlit as st

from app_pages import _charts as charts
from app_pages._common import cat_label, comparison, label, money, scenario, t, title

st.header(t("compare_title"))
scn = scenario()
if not scn.changes:
    st.info(t("compare_same"))
cmp = comparison()

st.metric(t("added_public_cost"), money(cmp.added_public_cost), border=True)
tier_labels = {k: label(k) for k in cmp.tiers.index.get_level_values(1).unique()}
tier_labels["public_total"] = t("added_public_cost")
st.plotly_chart(charts.tier_change(cmp.tiers, tier_labels, t("cost_by_tier"), t("change")), key="ch_tiers")

c1, c2 = st.columns(2)
bc = cmp.by_category.copy()
bc.index = [cat_label(c) for c in bc.index]
c1.plotly_chart(
    charts.grouped_bars(
        bc,
        {"coverage_baseline": t("baseline"), "coverage_reform": t("reform")},
        t("coverage_by_category"),
        title("coverage"),
        percent=True,
    ),
    key="ch_cmp_cat",
)
hh = cmp.households
c2.plotly_chart(
    charts.bar(
        [t(k) for k in hh.index],
        hh.to_numpy(),
        t("winners_losers"),
        t("count"),
        text=[f"{v:,.0f}" for v in hh],
    ),
    key="ch_winners",
)
table = cmp.tiers.reset_index()
table["tier"] = table["tier"].map(tier_labels)
for c in ("baseline", "reform", "change"):
    table[c] = (table[c] / 1e8).round(3)
st.dataframe(
    table.rename(
        columns={
            "year": t("year"),
            "tier": t("tier"),
            "baseline": t("baseline"),
            "reform": t("reform"),
            "change": t("change"),
        }
    ),
    hide_index=True,
    width="stretch",
)
st.caption(t("unit_yi"))
