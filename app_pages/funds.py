"""基金预测 Funds: balance per fund per year (deterministic), P10-P90 bands from a Monte Carlo on a
small population behind a button, and the targets table per year."""

import pandas as pd
import streamlit as st

from app_pages import _charts as charts
from app_pages._common import chart, fmt_figure, fund_tables, lang, pct, scenario, t, table
from simulation.registry import FUND_LABELS
from simulation.uncertainty import monte_carlo

ss = st.session_state
st.header(t("funds_title"))
scn = scenario()
i = 0 if lang() == "zh" else 1
fund_labels = {k: v[i] for k, v in FUND_LABELS.items()}

funds, targets = fund_tables()
chart(
    charts.fund_bands(
        funds[["year", "fund", "balance"]], fund_labels, t("funds_deterministic"), t("balance")
    ),
    "ch_funds",
    "fund_balances",
)

c1, c2 = st.columns(2)
mc_persons = c1.number_input(t("mc_persons"), 500, 200_000, 2_000, step=500, key="mc_persons")
mc_draws = c2.number_input(t("mc_draws"), 2, 200, 10, step=1, key="mc_draws")
mc_key = (scn.digest(), int(mc_persons), int(mc_draws))
if st.button(t("mc_button"), key="mc_run"):
    with st.spinner(t("mc_running")):
        ss["mc"] = (mc_key, monte_carlo(scn, persons=int(mc_persons), draws=int(mc_draws), seed=1))
mc = ss.get("mc")
if mc and mc[0] == mc_key:
    chart(charts.fund_bands(mc[1].bands, fund_labels, t("mc_button"), t("balance")), "ch_mc", "fund_bands")
    ex = mc[1].exhaustion.rename(index=fund_labels).map(pct).rename(t("exhaustion")).to_frame()
    ex.index.name = t("fund")
    table(ex, "tb_exhaustion", "fund_exhaustion")
else:
    st.info(t("mc_hint"))

st.subheader(t("targets_title"))
tt = targets.copy()
tt["label"] = tt["label"] if lang() == "zh" else tt["label_en"]
mark = {True: t("passed_yes"), False: t("passed_no")}
tt["cell"] = [
    "—" if pd.isna(v) else fmt_figure(k, v) + (" " + mark[p] if p in mark else "")
    for k, v, p in zip(tt["target"], tt["value"], tt["passed"])
]
wide = tt.pivot_table(index="label", columns="year", values="cell", aggfunc="first", sort=False)
wide.index.name = t("protection_figure")
wide.columns = [str(y) for y in wide.columns]
table(wide, "tb_targets", "targets_by_year")
