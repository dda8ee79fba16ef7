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
from simulation.goal_seek import goal_seek, reach_range
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


def _range_text(lo: float, hi: float) -> str:
    return f"{pct(lo)}–{pct(hi)}"


def _lever_range(p: str) -> tuple[float, float]:
    """The lever's whole range (its schema bounds, narrowed by the scenario's constraints)."""
    lo, hi = rates[p].bounds
    return (0.0 if lo is None else float(lo), 1.0 if hi is None else float(hi))


def _explain(gs, reach) -> list[str]:
    """Why the goal was not reached, in the page's language: how far the chosen ranges get, and
    which ranges would reach it (or that none would)."""
    names = [rates[p].label_in(lang()) if p in rates else p for p in gs.values]
    goal_s = fmt_figure(gs.target, gs.goal)
    if gs.over_budget:
        return [
            t(
                "gs_over_budget",
                budget=money(budget * 1e4),
                target=label(gs.target),
                achieved=fmt_figure(gs.target, gs.achieved),
                goal=goal_s,
            )
        ]
    sep = "；" if lang() == "zh" else "; "
    chosen = sep.join(f"{n} {_range_text(*b)}" for n, b in zip(names, gs.bounds))
    lines = [
        t(
            "gs_best_within",
            ranges=chosen,
            target=label(gs.target),
            achieved=fmt_figure(gs.target, gs.achieved),
            goal=goal_s,
        )
    ]
    if reach is None:
        return lines
    if reach.ranges is not None:
        wider = sep.join(f"{n} {_range_text(*b)}" for n, b in zip(names, reach.ranges))
        lines.append(t("gs_widen", ranges=wider))
    else:
        whole = sep.join(f"{n} {_range_text(*_lever_range(p))}" for n, p in zip(names, gs.values))
        lines.append(t("gs_never", ranges=whole, best=fmt_figure(gs.target, reach.best)))
    return lines


if st.button(t("gs_run"), key="gs_run"):
    if not params:
        st.warning(t("gs_pick_param"))
    else:
        try:
            with st.status(t("gs_running"), expanded=False) as status:
                gs = goal_seek(
                    population(),
                    scn,
                    params,
                    target,
                    goal / 100,
                    bounds[0] if len(params) == 1 else bounds,
                    sense=sense,
                    budget=budget * 1e4 if budget else None,
                )
                reach = None
                if not gs.reached and not gs.over_budget:
                    status.update(label=t("gs_checking_range"))
                    reach = reach_range(
                        population(),
                        scn,
                        params,
                        target,
                        goal / 100,
                        [_lever_range(p) for p in params] if len(params) == 2 else _lever_range(params[0]),
                        sense=sense,
                    )
                status.update(label=t("gs_done", n=gs.evaluations), state="complete")
            ss["gs"] = (gs, reach)
        except WorkbenchError as e:
            ss.pop("gs", None)
            st.error(t("gs_error", msg=str(e)))
found = ss.get("gs")
if found is not None:
    gs, reach = found
    if gs.reached:
        st.success(t("gs_reached", target=label(gs.target), achieved=fmt_figure(gs.target, gs.achieved)))
    else:
        st.warning("\n\n".join([t("gs_not_reached_title"), *_explain(gs, reach)]))
        st.caption(t("gs_best_values"))
    cols = st.columns(len(gs.values) + 1)
    for col, (p, v) in zip(cols, gs.values.items()):
        col.metric(cap(rates[p].label_in(lang())) if p in rates else p, pct(v), border=True)
    cols[-1].metric(t("gs_cost"), money(gs.added_cost), border=True)
    if gs.reached and st.button(t("gs_apply"), key="gs_apply"):
        for p, v in gs.values.items():
            set_change(p, round(float(v), 6))
        st.rerun()
