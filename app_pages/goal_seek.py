"""目标求解 Goal-seek: choose a target figure and one or two parameters; show the answer and what it
costs the public payers."""

import streamlit as st

from app_pages._common import (
    cap,
    fmt_figure,
    label,
    lang,
    money,
    pct,
    population,
    preset_scenario,
    rate_levers,
    scenario,
    set_change,
    t,
)
from simulation import WorkbenchError
from simulation.goal_seek import goal_seek
from simulation.targets import target_specs

ss = st.session_state
st.header(t("page_goal_seek"))
scn = scenario()
specs = target_specs(scn)
targets = [
    k
    for k in specs
    if k
    in (
        "coverage_rate_poor",
        "policy_reimbursement_rate_employee",
        "policy_reimbursement_rate_resident",
        "catastrophic_rate",
    )
] or list(specs)
target = st.selectbox(t("gs_target"), targets, format_func=label, key="gs_target")
default_goal = (specs[target]["min"] or 0.9) * 100
goal = st.number_input(t("gs_value"), 0.0, 100.0, float(default_goal), step=0.5, format="%.1f", key="gs_goal")
rates = {lv.path: lv for lv in rate_levers(preset_scenario(ss["preset"]))}
rate_paths = list(rates)
default = [p for p in rate_paths if p == "medical_assistance.inpatient_ratio.dibao"]
params = st.multiselect(
    t("gs_params"),
    rate_paths,
    default=default,
    max_selections=2,
    format_func=lambda p: cap(rates[p].label_in(lang())),
    key="gs_params",
)
bounds = []
for p in params:
    lo_b, hi_b = (100.0 * (d if b is None else b) for b, d in zip(rates[p].bounds, (0.0, 1.0)))
    lo, hi = st.slider(
        t("gs_bounds", param=rates[p].label_in(lang())),
        lo_b,
        hi_b,
        (max(lo_b, round(scn.get(p) * 100, 1)), hi_b),
        step=0.5,
        format="%.1f%%",
        key=f"gs_b:{p}",
    )
    bounds.append((lo / 100, hi / 100))
budget = st.number_input(t("gs_budget"), 0.0, 1e7, 0.0, step=100.0, format="%.0f", key="gs_budget")
sense = "at_most" if target == "catastrophic_rate" else "at_least"

if st.button(t("gs_run"), key="gs_run"):
    if not params:
        st.warning(t("gs_pick_param"))
    else:
        try:
            ss["gs"] = goal_seek(
                population(),
                scn,
                params,
                target,
                goal / 100,
                bounds[0] if len(params) == 1 else bounds,
                sense=sense,
                budget=budget * 1e4 if budget else None,
            )
        except WorkbenchError as e:
            ss.pop("gs", None)
            st.error(t("gs_error", msg=str(e)))
gs = ss.get("gs")
if gs is not None:
    if gs.reached:
        st.success(t("gs_reached", target=label(gs.target), achieved=fmt_figure(gs.target, gs.achieved)))
    else:
        st.warning(t("gs_not_reached", msg=gs.message))
    cols = st.columns(len(gs.values) + 1)
    for col, (p, v) in zip(cols, gs.values.items()):
        col.metric(cap(rates[p].label_in(lang())) if p in rates else p, pct(v), border=True)
    cols[-1].metric(t("gs_cost"), money(gs.added_cost), border=True)
    if gs.reached and st.button(t("gs_apply"), key="gs_apply"):
        for p, v in gs.values.items():
            set_change(p, round(float(v), 6))
        st.rerun()
