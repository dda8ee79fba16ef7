"""基金预测 Funds: per fund and year the year-end balance and 可支付月数 (months of spending the balance
pays), the year each fund runs out (穿底) or that it does not within the horizon; one panel a fund,
each in its own unit, so a small fund reads next to a large one; with the Monte Carlo (behind a
button, on small populations) the P10-P90 bands and the probability of exhaustion by year; the
targets per year."""

import numpy as np
import pandas as pd
import streamlit as st

from app_pages import _charts as charts
from app_pages._common import chart, fmt_figure, fund_tables, lang, money, pct, scenario, t, table
from simulation.funds import active_funds, exhaustion_years
from simulation.registry import FUND_LABELS
from simulation.uncertainty import monte_carlo

ss = st.session_state
st.header(t("funds_title"))
scn = scenario()
i = 0 if lang() == "zh" else 1
fund_labels = {k: v[i] for k, v in FUND_LABELS.items()}

funds, targets = fund_tables()
shown = active_funds(funds)
funds = funds[funds["fund"].isin(shown)]
years = sorted(funds["year"].unique())
horizon = f"{years[0]}–{years[-1]}"


def _months(v: float) -> str:
    if not np.isfinite(v):
        return "—"
    return t("months_value", m=v)


# the answer first: which fund runs out, and when
ex = exhaustion_years(funds)
last = funds[funds["year"] == years[-1]].set_index("fund")
summary = pd.DataFrame(
    {
        t("fund"): [fund_labels[f] for f in shown],
        t("exhausted_year"): [
            t("exhausted_in", year=int(ex[f])) if np.isfinite(ex[f]) else t("not_exhausted", horizon=horizon)
            for f in shown
        ],
        t("months_payable_end", year=years[-1]): [
            _months(float(last.at[f, "months_payable"])) for f in shown
        ],
        t("balance_end", year=years[-1]): [money(float(last.at[f, "balance"])) for f in shown],
    }
)
runs_out = [fund_labels[f] for f in shown if np.isfinite(ex[f])]
if runs_out:
    st.error(t("funds_run_out", funds="、".join(runs_out) if lang() == "zh" else ", ".join(runs_out)))
else:
    st.success(t("funds_all_last", horizon=horizon))
table(summary, "tb_exhaustion_years", "fund_exhaustion", hide_index=True)

st.subheader(t("months_title"))
st.caption(t("months_note"))
months = funds.pivot(index="fund", columns="year", values="months_payable").reindex(shown)
months_table = pd.DataFrame(
    {str(y): [_months(float(v)) for v in months[y]] for y in months.columns},
    index=pd.Index([fund_labels[f] for f in shown], name=t("fund")),
)
table(months_table, "tb_months_payable", "months_payable")

chart(
    charts.fund_panels(funds[["year", "fund", "balance"]], fund_labels, t("funds_deterministic"), lang()),
    "ch_funds",
    "fund_balances",
)

st.subheader(t("mc_title"))
c1, c2 = st.columns(2)
mc_persons = c1.number_input(t("mc_persons"), 500, 200_000, 2_000, step=500, key="mc_persons")
mc_draws = c2.number_input(t("mc_draws"), 2, 200, 10, step=1, key="mc_draws")
mc_key = (scn.digest(), int(mc_persons), int(mc_draws))
if st.button(t("mc_button"), key="mc_run"):
    with st.status(t("mc_running"), expanded=False) as status:
        ss["mc"] = (mc_key, monte_carlo(scn, persons=int(mc_persons), draws=int(mc_draws), seed=1))
        status.update(label=t("mc_done", draws=int(mc_draws)), state="complete")
mc = ss.get("mc")
if mc and mc[0] == mc_key:
    bands = mc[1].bands[mc[1].bands["fund"].isin(shown)]
    chart(charts.fund_panels(bands, fund_labels, t("mc_bands"), lang()), "ch_mc")
    by_year = mc[1].exhaustion_by_year[[f for f in shown if f in mc[1].exhaustion_by_year.columns]]
    chart(
        charts.probability_lines(by_year, fund_labels, t("exhaustion_by_year"), t("probability")),
        "ch_mc_exhaustion",
    )
    by_year_table = pd.DataFrame(
        {str(y): [pct(by_year.at[y, f]) for f in by_year.columns] for y in by_year.index},
        index=pd.Index([fund_labels[f] for f in by_year.columns], name=t("fund")),
    )
    table(by_year_table, "tb_exhaustion", "exhaustion_probability")
    st.caption(t("exhaustion_note", draws=int(mc_draws), n=int(mc_persons)))
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
wide.index.name = t("col_target")
wide.columns = [str(c) for c in wide.columns]
table(wide, "tb_targets", "targets_by_year")
