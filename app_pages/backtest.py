"""回测 Back-test: the platform's settlement extract (uploaded, or a synthetic sample of the preset)
reconciled tier by tier with the current scenario run on it; the field mapping report, the gaps by
hospital level x setting x category x month, the settlements of the largest gaps, and in-year
monitoring of the funds from this year's settlements to date. Every figure comes from
simulation.settlements; money in 元/万元/亿元 by the registry's formatter."""

import hashlib

import pandas as pd
import streamlit as st

from app_pages import _charts as charts
from app_pages._common import (
    cat_label,
    chart,
    lang,
    money,
    pct,
    preset_scenario,
    scenario,
    scenario_key,
    t,
    table,
)
from app_pages._limits import too_big
from simulation import WorkbenchError
from simulation.parameters import SETTING_LABELS
from simulation.registry import FUND_LABELS, code_label
from simulation.settlements import (
    DIMENSIONS,
    TIERS,
    Backtest,
    SettlementError,
    backtest,
    extract_bytes,
    load_settlements,
    monitor,
    synthetic_extract,
    tier_label,
)

ss = st.session_state
SAMPLE_SEED = 7
SAMPLE_SEED_THIS_YEAR = 8  # this year's sample: another population of the same preset
SAMPLE_MAX = 50_000

st.header(t("bt_title"))
st.caption(t("bt_intro"))


@st.cache_resource(max_entries=4, show_spinner=False)
def _sample(preset: str, persons: int, seed: int, months: int) -> tuple:
    """The preset's synthetic extract as the files a bureau uploads (settlements, persons, mapping)."""
    ex = synthetic_extract(preset_scenario(preset), persons=persons, seed=seed, months=months)
    return extract_bytes(ex)


@st.cache_resource(max_entries=4, show_spinner=False)
def _observed(digest: str, settlements: bytes, persons: bytes, mapping: bytes | None):
    return load_settlements(settlements, persons, mapping=mapping)


@st.cache_resource(max_entries=8, show_spinner=False)
def _backtest(digest: str, preset: str, changes: str, _obs, _scn) -> Backtest:
    return backtest(_obs, _scn)


@st.cache_resource(max_entries=8, show_spinner=False)
def _monitor(digest: str, history_key: str, changes: str, _to_date, _scn, _history):
    return monitor(_to_date, _scn, last_year=_history)


def _digest(*parts: bytes | None) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p or b"")
        h.update(b"\0")
    return h.hexdigest()[:16]


def _load(files: tuple):
    """An ObservedPopulation of (settlements, persons, mapping) bytes, or None with the error shown
    in the page's language."""
    try:
        return _observed(_digest(*files), *files)
    except SettlementError as e:
        st.error(t("bt_error", msg=e.message(lang())))
    except (WorkbenchError, ValueError) as e:
        st.error(t("bt_error", msg=str(e)))
    return None


def _upload(prefix: str) -> tuple | None:
    """Three uploaders (settlements, persons, mapping); the files' bytes once both are given."""
    c1, c2, c3 = st.columns(3)
    sf = c1.file_uploader(
        t("bt_upload_settlements"), type=["csv", "txt", "xlsx", "parquet"], key=f"{prefix}_s"
    )
    pf = c2.file_uploader(t("bt_upload_persons"), type=["csv", "txt", "xlsx", "parquet"], key=f"{prefix}_p")
    mf = c3.file_uploader(t("bt_upload_mapping"), type=["yaml", "yml"], key=f"{prefix}_m")
    if sf is None or pf is None:
        return None
    refused = [m for f in (sf, pf) if (m := too_big("population", f.name, f.size, t))]
    for m in refused:
        st.error(m)
    if refused:
        return None
    return (sf.getvalue(), pf.getvalue(), mf.getvalue() if mf is not None else None)


preset = ss["preset"]
mode = st.radio(
    t("bt_source"),
    ["sample", "upload"],
    format_func=lambda m: t(f"bt_source_{m}"),
    horizontal=True,
    key="bt_mode",
)
if mode == "sample":
    n = int(min(ss["pop_n"], SAMPLE_MAX))
    with st.spinner(t("bt_source_sample")):
        files = _sample(preset, n, SAMPLE_SEED, 12)
    st.info(t("bt_sample_note", preset=preset_scenario(preset).params.title, n=n, seed=SAMPLE_SEED))
    c1, c2 = st.columns(2)
    c1.download_button(
        t("bt_download_sample"), files[0], file_name=f"settlements_{preset}.csv", mime="text/csv",
        on_click="ignore", key="bt_dl_s",
    )  # fmt: skip
    c2.download_button(
        t("bt_download_persons"), files[1], file_name=f"persons_{preset}.csv", mime="text/csv",
        on_click="ignore", key="bt_dl_p",
    )  # fmt: skip
else:
    got = _upload("bt_up")
    if got is None:
        st.info(t("bt_upload_hint"))
        st.stop()
    files = got

obs = _load(files)
if obs is None:
    st.stop()
rep = obs.report
scn = scenario()

# ---------------------------------------------------------------------------- mapping report
with st.expander(t("bt_mapping"), expanded=mode == "upload"):
    st.write(
        t(
            "bt_mapping_summary",
            rows=rep.rows,
            enc=rep.encoding,
            n=rep.settlements,
            p=rep.persons,
            year=rep.year,
        )
    )
    ft = rep.fields_table(lang())
    yes_no = {True: "✓", False: ""}
    table(
        pd.DataFrame(
            {
                t("bt_field"): ft["field"],
                t("bt_field_label"): ft["label"],
                t("bt_column"): ft["column"],
                t("bt_required"): ft["required"].map(yes_no),
            }
        ),
        "tb_bt_mapping",
        "field_mapping",
        hide_index=True,
        width="stretch",
        height=260,
    )
    if rep.unmapped:
        st.warning(t("bt_unmapped", cols=", ".join(rep.unmapped)))
    for w in rep.warnings:
        st.warning(w.message(lang()))
    if not rep.warnings:
        st.success(t("bt_no_warnings"))

# ---------------------------------------------------------------------------- reconciliation
bt = _backtest(_digest(*files), preset, scenario_key(scn), obs, scn)
st.caption(t("bt_scenario", title=scn.params.title, n=len(scn.changes)))
st.subheader(t("bt_totals"))
tot = bt.totals()


def _rel(x) -> str:
    return "—" if x != x else f"{x * 100:+.2f}%"


def _exact(tier: str, by) -> str:
    return "✓" if Backtest.exact(tier, by) else ""


table(
    pd.DataFrame(
        {
            t("bt_tier"): [tier_label(k, lang()) for k in tot.index],
            t("bt_observed"): [money(v) for v in tot["observed"]],
            t("bt_simulated"): [money(v) for v in tot["simulated"]],
            t("bt_gap"): [money(v) for v in tot["gap"]],
            t("bt_rel"): [_rel(v) for v in tot["relative_gap"]],
        }
    ),
    "tb_bt_totals",
    "backtest_by_tier",
    hide_index=True,
    width="stretch",
)
paid = tot.loc[[k.key for k in TIERS[2:]]]
chart_data = pd.DataFrame(
    {"observed": paid["observed"].to_numpy() / 1e4, "simulated": paid["simulated"].to_numpy() / 1e4},
    index=[tier_label(k, lang()) for k in paid.index],
)
chart(
    charts.side_bars(
        chart_data, {"observed": t("bt_observed"), "simulated": t("bt_simulated")}, t("bt_chart"), ""
    ),
    "ch_bt_tiers",
)

by = st.multiselect(
    t("bt_by"),
    list(DIMENSIONS),
    default=["setting", "category"],
    format_func=lambda d: t(f"bt_dim_{d}"),
    key="bt_by",
)
levels = scn.params.hospital_levels


def _dim(d: str, v) -> str:
    if d == "setting":
        return code_label(SETTING_LABELS, str(v), lang())
    if d == "category":
        return cat_label(str(v))
    if d == "hospital_level":
        lv = levels.get(str(v))
        return str(v) if lv is None else (lv.label if lang() == "zh" else lv.label_en or lv.label)
    return str(v)


tb = bt.table(by)
shown = {t(f"bt_dim_{d}"): [_dim(d, v) for v in tb[d]] for d in by}
shown.update(
    {
        t("bt_tier"): [tier_label(str(k), lang()) for k in tb["tier"]],
        t("bt_observed"): [money(v) for v in tb["observed"]],
        t("bt_simulated"): [money(v) for v in tb["simulated"]],
        t("bt_gap"): [money(v) for v in tb["gap"]],
        t("bt_rel"): [_rel(v) for v in tb["relative_gap"]],
        t("bt_exact"): [_exact(str(k), by) for k in tb["tier"]],
    }
)
table(pd.DataFrame(shown), "tb_bt_groups", "backtest_by_group", hide_index=True, width="stretch", height=360)
st.caption(t("bt_exact_note"))

st.subheader(t("bt_gaps"))
gaps = bt.largest_gaps(20)
if gaps.empty:
    st.success(t("bt_gaps_none"))
else:
    gap_rows = {
        t("bt_setl"): gaps["setl_id"],
        t("bt_psn"): gaps["psn_no"],
        **{t(f"bt_dim_{d}"): [_dim(d, v) for v in gaps[d]] for d in DIMENSIONS},
        t("bt_abs_gap"): [money(v) for v in gaps["abs_gap"]],
    }
    for k in ("basic_paid", "critical_paid", "assistance_paid", "person_paid"):
        gap_rows[f"{tier_label(k, lang())}：{t('bt_gap')}"] = [
            money(s - o) for s, o in zip(gaps[f"sim_{k}"], gaps[f"obs_{k}"])
        ]
    table(pd.DataFrame(gap_rows), "tb_bt_gaps", "largest_gaps", hide_index=True, width="stretch")

# ---------------------------------------------------------------------------- in-year monitoring
st.subheader(t("bt_monitor"))
if mode == "sample":
    months = st.slider(t("bt_monitor_months"), 1, 11, 6, key="bt_months")
    now_files = _sample(preset, n, SAMPLE_SEED_THIS_YEAR, int(months))
    st.caption(t("bt_monitor_note", m=int(months), seed=SAMPLE_SEED_THIS_YEAR))
else:
    st.caption(t("bt_monitor_upload"))
    now_files = _upload("bt_now")
this_year = _load(now_files) if now_files is not None else None
if this_year is None and mode == "upload":
    st.info(t("bt_monitor_hint"))
if this_year is not None:
    mon = _monitor(
        _digest(*now_files),
        _digest(*files),
        scenario_key(scn),
        this_year,
        scn,
        bt,
    )
    i = 0 if lang() == "zh" else 1
    fund_labels = {k: v[i] for k, v in FUND_LABELS.items()}
    f = mon.funds
    status = {s: t(f"bt_status_{s}") for s in ("ok", "risk", "over")}
    table(
        pd.DataFrame(
            {
                t("bt_fund"): [fund_labels[x] for x in f["fund"]],
                t("bt_status"): [status[s] for s in f["status"]],
                t("bt_paid_to_date"): [money(v) for v in f["paid_to_date"]],
                t("bt_share"): [pct(v) for v in f["share_to_date"]],
                t("bt_projected"): [money(v) for v in f["expenditure"]],
                t("bt_band"): [
                    f"{money(lo)} – {money(hi)}"
                    for lo, hi in zip(f["expenditure_low"], f["expenditure_high"])
                ],
                t("bt_income"): [money(v) for v in f["income"]],
                t("bt_balance"): [money(v) for v in f["balance"]],
                t("bt_months_payable"): [f"{v:.1f}" for v in f["months_payable"]],
            }
        ),
        "tb_bt_monitor",
        "in_year_monitor",
        hide_index=True,
        width="stretch",
    )
    chart(charts.monitor_paths(mon.path, fund_labels, t("bt_monitor_chart"), ""), "ch_bt_monitor")
