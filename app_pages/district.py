"""区县视图 Districts (临安 封顶制方案 三(二) 依托平台构建一键掌控的医保立体防贫地图,
动态呈现重点检测对象分布情况及高频高额药品耗材和诊疗项目排名): by district (town / street)
the warned households, the heavy-burden (catastrophic) households, 个人负担率 and the
coverage of the poor, drawn as a tile grid (no map tiles: nothing is fetched), and beside it
the ranking of the diseases, settings and hospital levels that cost the most. The figures come
from `simulation.districts`."""

import numpy as np
import pandas as pd
import streamlit as st

from app_pages import _charts as charts
from app_pages._common import chart, fmt_figure, label, lang, population_key, result, scenario, t, table
from simulation.districts import cost_ranking, district_table, has_diseases, ranking_labels
from simulation.registry import fmt_count, fmt_money, fmt_rate

st.header(t("page_district"))
st.caption(t("district_cite"))
scn = scenario()
res = result()
run_key = (population_key(), st.session_state["preset"], scn.digest())


@st.cache_resource(max_entries=16, show_spinner=False)
def _districts(key, _res) -> pd.DataFrame:
    return district_table(_res)


@st.cache_resource(max_entries=64, show_spinner=False)
def _ranking(key, by: str, district, _res) -> pd.DataFrame:
    return cost_ranking(_res, by, district=district, top=10)


dt = _districts(run_key, res)
if len(dt) < 2:
    st.info(t("district_none"))

# what the tiles colour; for each, whether a high value is good (coverage) and the worst first
METRICS = {
    "warnings": False,
    "warning_rate": False,
    "catastrophic_rate": False,
    "personal_burden_rate": False,
    "coverage_rate_poor": True,
}
DEFAULT_METRIC = "coverage_rate_poor"
metric = (
    st.segmented_control(
        t("district_metric"), list(METRICS), default=DEFAULT_METRIC, format_func=label, key="district_metric"
    )
    or DEFAULT_METRIC
)
good_high = METRICS[metric]
values = dt[metric].to_numpy(dtype=float)
# worst first: the district that needs attention is the first tile; no value (no poor) last
order = np.argsort(np.where(np.isnan(values), np.inf, values if good_high else -values), kind="stable")
names = [str(dt.index[i]) for i in order]
texts = [fmt_figure(metric, values[i]) if np.isfinite(values[i]) else "—" for i in order]

left, right = st.columns([4, 3])
chart(
    charts.tile_grid(
        names,
        values[order],
        texts,
        label(metric),
        cols=6,
        reverse=good_high,
        tickformat=".1%" if metric != "warnings" else ",.0f",
    ),
    "ch_district_tiles",
    where=left,
)
left.caption(t("district_tiles"))

with right:
    all_label = t("district_all")
    pick = st.selectbox(t("district_pick"), [all_label, *names], key="district_pick")
    district = None if pick == all_label else pick
    by = "disease" if has_diseases(res) else "setting"
    for kind in (by, "hospital_level"):
        r = _ranking(run_key, kind, district, res)
        names_of = ranking_labels(scn, kind, lang())
        st.markdown(f"**{t(f'ranking_{kind}')}**")
        if r.empty:
            st.caption(t("ranking_empty"))
            continue
        table(
            pd.DataFrame(
                {
                    t(f"ranking_group_{kind}"): [names_of.get(k, k) for k in r.index],
                    t("ranking_cost"): [fmt_money(v, lang()) for v in r["total_cost"]],
                    t("ranking_share"): [fmt_rate(v) for v in r["cost_share"]],
                    t("ranking_claims"): [fmt_count(v) for v in r["claims"]],
                }
            ),
            f"tb_ranking_{kind}",
            f"ranking_{kind}",
            hide_index=True,
        )
    st.caption(t("ranking_note"))

st.subheader(t("district_table"))
cols = [
    "persons",
    "poor_persons",
    "warnings",
    "warning_rate",
    "catastrophic_households",
    "catastrophic_rate",
    "personal_burden_rate",
    "coverage_rate_poor",
    "total_cost",
    "oop",
]
shown = dt.loc[names]
out = {t("district"): names}
for c in cols:
    v = shown[c].to_numpy(dtype=float)
    if c in ("total_cost", "oop"):  # one unit a column, stated in its header
        scale = charts.money_scale(v, lang())
        u = charts.money_unit(scale, lang())
        out[f"{label(c)}（{u}）" if lang() == "zh" else f"{label(c)} ({u})"] = [
            fmt_money(x, lang(), scale, unit=False) for x in v
        ]
    else:
        out[label(c)] = [fmt_figure(c, x) if np.isfinite(x) else t("district_no_poor") for x in v]
table(pd.DataFrame(out), "tb_districts", "districts", hide_index=True)
st.caption(t("district_note"))
