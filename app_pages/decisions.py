"""决策分析 Decisions: price the 大病 contract, find the best buy per public yuan, and the tornado of
the levers and assumptions. Each section runs behind its own button (they simulate the scenario
many times) and keeps its answer for the current population and scenario."""

import numpy as np
import pandas as pd
import streamlit as st

from app_pages import _charts as charts
from app_pages._common import (
    cat_label,
    chart,
    fmt_figure,
    label,
    lang,
    money,
    pct,
    population,
    population_key,
    scenario,
    scenario_key,
    t,
    table,
)
from simulation import WorkbenchError
from simulation.best_buy import FIGURES as BUY_FIGURES
from simulation.best_buy import clearing, frontier, frontier_table, marginal_effects, marginal_table, movable
from simulation.contract import PREMIUM, price_critical_illness
from simulation.registry import FUND_LABELS, fmt_money, metric_title
from simulation.sensitivity import FIGURES as TORNADO_FIGURES
from simulation.sensitivity import tornado, tornado_table

ss = st.session_state
st.header(t("page_decisions"))
st.caption(t("dec_intro"))
scn = scenario()
base_key = (population_key(), ss["preset"], scenario_key(scn))


def card_money(x: float) -> str:
    """Money on a card: 万元 without decimals so the figure fits (亿元 and 元 as the registry prints)."""
    return fmt_money(x, lang(), digits=0 if 1e4 <= abs(x) < 1e8 and lang() == "zh" else None)


def _stored(name: str, key: tuple):
    got = ss.get(name)
    return got[1] if got is not None and got[0] == key else None


def _run(name: str, key: tuple, fn, *args, **kw) -> None:
    try:
        with st.spinner(t("dec_running")):
            ss[name] = (key, fn(*args, **kw))
    except WorkbenchError as e:
        ss.pop(name, None)
        st.error(t("dec_error", msg=str(e)))


# ---------------------------------------------------------------------------- 1. the 大病 contract
st.subheader(t("dec_contract"))
ci = scn.params.critical_illness
if not ci.enabled:
    st.info(t("dec_no_insurer"))
else:
    solvable = [PREMIUM, "critical_illness.terms.threshold"]
    solvable += [f"critical_illness.terms.bands.{i}.ratio" for i in range(len(ci.terms.bands))]
    c1, c2, c3, c4 = st.columns(4)
    year = c1.number_input(t("dec_year"), scn.year, scn.year + 10, scn.year + 1, step=1, key="dec_year")
    draws = c2.number_input(t("dec_draws"), 2, 500, 20, step=1, key="dec_draws")
    lo, hi = ci.margin_floor * 100, ci.margin_ceiling * 100
    target = c3.slider(t("dec_target"), lo, hi, (lo + hi) / 2, step=0.1, key="dec_target") if hi > lo else lo
    solve = c4.selectbox(
        t("dec_solve"), solvable, format_func=lambda p: scn.lever(p).label_in(lang()), key="dec_solve"
    )
    resample = st.checkbox(t("dec_resample"), value=False, key="dec_resample", help=t("dec_resample_help"))
    key = (*base_key, int(year), int(draws), float(target), solve, resample)
    if st.button(t("dec_price_run"), key="dec_price_run"):
        _run(
            "dec_pricing",
            key,
            price_critical_illness,
            population(),
            scn,
            int(year),
            int(draws),
            target=float(target) / 100,
            solve=solve,
            populations=5 if resample else 1,
        )
    pr = _stored("dec_pricing", key)
    if pr is None:
        st.info(t("dec_price_hint"))
    else:
        lever = scn.lever(pr.parameter)
        cols = st.columns(4)
        delta = None
        if pr.parameter == PREMIUM:
            delta = t("dec_vs_current", v=money(pr.current_premium))
        if pr.parameter == PREMIUM:
            shown = fmt_money(pr.value, lang(), "yuan", digits=2)
        else:
            shown = lever.format(pr.value, lang())
        cols[0].metric(
            lever.label_in(lang()), shown, delta, delta_color="off", delta_arrow="off", border=True
        )
        for col, k in zip(cols[1:], ("expected_margin_rate", "p_loss", "p_surplus")):
            col.metric(label(k), fmt_figure(k, getattr(pr, k)), border=True)
        cols = st.columns(4)
        for col, k in zip(cols, ("deposit", "expected_loss", "fund_cost", "resident_fund_cost")):
            col.metric(label(k), card_money(getattr(pr, k)), border=True)
        st.caption(
            t(
                "dec_price_note",
                year=pr.year,
                n=len(pr.draws),
                central=pct(pr.central["insurer_margin_rate"]),
                floor=pct(pr.floor),
                ceiling=pct(pr.ceiling),
            )
        )
        if pr.parameter == PREMIUM:
            top = 2.0 * max(pr.premium, pr.current_premium)
            curve = pr.curve(np.linspace(0.5 * pr.premium, top, 80))
            fig = charts.premium_curve(
                curve,
                {k: label(k) for k in ("p_loss", "p_surplus", "expected_margin_rate")},
                {t("dec_solved"): pr.premium, t("dec_current"): pr.current_premium},
                t("dec_curve_title"),
                metric_title("premium_per_capita", lang()),
                t("dec_probability"),
            )
            chart(fig, "ch_dec_curve")
        with st.expander(t("dec_draws_table")):
            d = pr.draws.copy()
            shown = pd.DataFrame(
                {
                    t("dec_draw"): d["draw"],
                    label("insurer_claims"): d["claims"].map(money),
                    label("insurer_premium"): d["premium"].map(money),
                    label("insurer_margin_rate"): d["margin_rate"].map(pct),
                    label("insurer_surplus_returned"): d["surplus_returned"].map(money),
                }
            )
            table(shown, "tb_dec_draws", "pricing_draws", width="stretch", hide_index=True)

# ---------------------------------------------------------------------------- 2. the best buy
st.subheader(t("dec_best_buy"))
rank_by = st.selectbox(t("dec_rank_by"), list(BUY_FIGURES), format_func=label, key="dec_rank_by")
buy_key = (*base_key, rank_by)
if st.button(t("dec_buy_run"), key="dec_buy_run"):
    _run("dec_marginal", buy_key, marginal_effects, population(), scn, rank_by=rank_by)
    if _stored("dec_marginal", buy_key) is not None:  # the frontier starts from the three best levers
        ss["dec_frontier_levers"] = ss["dec_marginal"][1]["path"].head(3).tolist()
me = _stored("dec_marginal", buy_key)
if me is None:
    st.info(t("dec_buy_hint"))
else:
    st.caption(t("dec_buy_note", n=len(me)))
    top = me.head(12)
    levers = {lv.path: lv for lv in scn.levers()}
    per = top[f"per_budget_{rank_by}"].to_numpy()
    fig = charts.hbars(
        [levers[p].label_in(lang()) for p in top["path"]],
        list(per),
        t("dec_buy_chart", figure=label(rank_by)),
        t("dec_per_budget"),
        percent=rank_by != "warnings_remaining",
    )
    chart(fig, "ch_dec_buy")
    table(marginal_table(me, scn, lang()), "tb_dec_marginal", "best_buy", width="stretch", hide_index=True)

st.markdown(f"**{t('dec_frontier')}**")
options = [lv.path for lv in movable(scn)]
lv_map = {lv.path: lv for lv in scn.levers()}
if any(p not in options for p in ss.get("dec_frontier_levers", [])):  # another preset's levers
    ss["dec_frontier_levers"] = []
chosen = st.multiselect(
    t("dec_frontier_levers"),
    options,
    max_selections=3,
    format_func=lambda p: lv_map[p].label_in(lang()),
    key="dec_frontier_levers",
)
f1, f2 = st.columns(2)
budget = f1.number_input(t("dec_budget"), 10.0, 1e7, 5000.0, step=100.0, key="dec_budget")
steps = f2.number_input(t("dec_steps"), 1, 8, 4, step=1, key="dec_steps")
fr_key = (*base_key, tuple(chosen), float(budget), int(steps))
if st.button(t("dec_frontier_run"), key="dec_frontier_run"):
    if not chosen:
        st.warning(t("gs_pick_param"))
    else:
        _run(
            "dec_frontier", fr_key, frontier, population(), scn, chosen, (0.0, budget * 1e4), steps=int(steps)
        )
fr = _stored("dec_frontier", fr_key)
if fr is not None:
    fig = charts.frontier(
        fr.points[fr.points["in_budget"]],
        fr.frontier,
        "coverage_rate_poor",
        t("dec_frontier_chart"),
        metric_title("added_cost", lang(), "wan"),
        label("coverage_rate_poor"),
        t("dec_points"),
        t("dec_frontier_line"),
    )
    chart(fig, "ch_dec_frontier")
    st.caption(t("dec_frontier_note", n=len(fr.points), k=len(fr.frontier)))
    table(frontier_table(fr, scn, lang()), "tb_dec_frontier", "frontier", width="stretch", hide_index=True)

st.markdown(f"**{t('dec_clearing')}**")
if me is None:
    st.info(t("dec_clearing_hint"))
else:
    cl_key = (*base_key, "clearing")
    if st.button(t("dec_clearing_run"), key="dec_clearing_run"):
        _run("dec_clearing", cl_key, clearing, population(), scn, me)
    cl = _stored("dec_clearing", cl_key)
    if cl is not None:
        paths = cl["path"].tolist()
        done = cl["path"].notna()
        st.caption(t("dec_clearing_note", n=len(cl), k=int(done.sum())))
        shown = pd.DataFrame(
            {
                t("household_id"): cl["household_id"],
                t("category"): cl["category"].map(cat_label),
                label("oop"): cl["oop"].map(money),
                t("dec_lever"): [
                    lv_map[p].label_in(lang()) if isinstance(p, str) else t("dec_none") for p in paths
                ],
                t("dec_value"): [
                    lv_map[p].format(v, lang()) if isinstance(p, str) else "—"
                    for p, v in zip(paths, cl["value"])
                ],
                label("added_cost"): [money(v) if np.isfinite(v) else "—" for v in cl["added_cost"]],
            }
        )
        table(
            shown.head(500), "tb_dec_clearing", "warned_households_clearing", width="stretch", hide_index=True
        )

# ---------------------------------------------------------------------------- 3. sensitivity
st.subheader(t("dec_tornado"))
g1, g2, g3 = st.columns(3)
by = g1.selectbox(t("dec_by"), list(TORNADO_FIGURES), format_func=label, key="dec_by")
fund = g2.selectbox(
    t("dec_fund"),
    ["all", *FUND_LABELS],
    format_func=lambda f: t("dec_all_funds") if f == "all" else FUND_LABELS[f][0 if lang() == "zh" else 1],
    key="dec_fund",
)
fund = None if fund == "all" else fund
n_bars = g3.number_input(t("dec_bars"), 5, 60, 15, step=1, key="dec_bars")
tn_key = (*base_key, fund)
if st.button(t("dec_tornado_run"), key="dec_tornado_run"):
    _run("dec_tornado", tn_key, tornado, population(), scn, fund=fund)
tn = _stored("dec_tornado", tn_key)
if tn is None:
    st.info(t("dec_tornado_hint"))
else:
    top = tn.top(int(n_bars), by)
    names = top["label"] if lang() == "zh" else top["label_en"]
    scale = 1e8 if by != "coverage_rate_poor" else 1.0
    fig = charts.tornado(
        list(names),
        list(top[f"{by}_low"]),
        list(top[f"{by}_high"]),
        tn.central[by],
        t("dec_tornado_chart", figure=label(by), year=tn.year),
        metric_title(by, lang(), "yi") if scale != 1.0 else label(by),
        t("dec_low"),
        t("dec_high"),
        scale=scale,
        percent=scale == 1.0,
    )
    chart(fig, "ch_dec_tornado")
    st.caption(t("dec_tornado_note", n=len(tn.table), central=fmt_figure(by, tn.central[by])))
    table(
        tornado_table(tn, lang(), int(n_bars), by),
        "tb_dec_tornado",
        "tornado",
        width="stretch",
        hide_index=True,
    )
