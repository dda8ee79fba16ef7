"""人群 Population: size and seed of the generated population, or uploaded persons/claims files;
charts of age, categories, income and cost; calibration gaps."""

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from app_pages import _charts as charts
from app_pages._common import (
    cap,
    cat_label,
    chart,
    lang,
    population,
    population_key,
    preset_scenario,
    result,
    t,
    table,
    title,
    upload_notice,
)
from app_pages._limits import too_big
from simulation import PopulationError, WorkbenchError, limits
from simulation.calibration import calibrate
from simulation.registry import calibration_figure, cite_text, fmt_count, fmt_money, fmt_points, fmt_rate

ss = st.session_state
st.header(t("page_population"))


def _on_pop_n() -> None:
    """A size that would not fit in memory is refused here, with the estimate, before generating."""
    n = int(ss["pop_n_widget"])
    need, (avail, _src) = limits.estimate_bytes(n), limits.available_memory()
    if limits.check_enabled() and avail is not None and need > max(avail, limits.MIN_BYTES):
        ss["pop_n_refused"] = t(
            "pop_too_big",
            n=n,
            need=limits.gib(need),
            avail=limits.gib(avail),
            fits=int(avail / limits.bytes_per_person() // 1000 * 1000),
            hint=limits.DASK_HINT,
        )
        return
    ss["pop_n"] = n


mode = st.radio(
    t("pop_source"),
    ["generated", "upload"],
    index=1 if ss.get("upload") else 0,
    format_func=lambda m: t(f"pop_source_{m}"),
    horizontal=True,
    key="pop_mode",
)
if mode == "generated":
    if ss.get("upload"):
        ss["upload"] = None
    c1, c2 = st.columns(2)
    ss["pop_n_widget"] = ss["pop_n"]
    ss["pop_seed_widget"] = ss["pop_seed"]
    c1.number_input(
        t("pop_size"),
        100,
        10_000_000,
        step=1000,
        key="pop_n_widget",
        on_change=_on_pop_n,
    )
    if ss.get("pop_n_refused"):
        st.error(ss.pop("pop_n_refused"))
    c2.number_input(
        t("pop_seed"),
        0,
        2**31 - 1,
        step=1,
        key="pop_seed_widget",
        on_change=lambda: ss.update(pop_seed=int(ss["pop_seed_widget"])),
    )
else:
    c1, c2 = st.columns(2)
    pf = c1.file_uploader(t("upload_persons"), type=["csv", "parquet", "txt"], key="up_persons")
    cf = c2.file_uploader(t("upload_claims"), type=["csv", "parquet", "txt"], key="up_claims")
    for k in ("up_persons", "up_claims"):
        upload_notice(k, "population", "CSV, Parquet, TXT")
    if st.button(t("upload_use"), key="upload_use"):
        if pf is None or cf is None:
            st.error(t("upload_need_both"))
        else:
            ss["population_pending"] = {
                "persons": (pf.name, pf.size, pf.getvalue),
                "claims": (cf.name, cf.size, cf.getvalue),
            }

# an upload is handled once; tests inject one as
# ss["population_pending"] = {"persons": (name, size, bytes), "claims": (name, size, bytes)}
pending = ss.pop("population_pending", None)
if pending is not None:
    refused = [too_big("population", name, size, t) for name, size, _ in pending.values()]
    refused = [m for m in refused if m]
    if refused:  # before a byte is parsed
        for m in refused:
            st.error(m)
    else:
        pb, cb = (d() if callable(d) else d for _, _, d in (pending["persons"], pending["claims"]))
        digest = hashlib.sha256(pb + b"\0" + cb).hexdigest()[:16]
        try:
            from app_pages._common import uploaded_population

            pop = uploaded_population(digest, pb, cb)
            ss["upload"] = {"digest": digest, "persons": pb, "claims": cb}
            st.success(t("upload_ok", n=len(pop.persons), c=len(pop.claims)))
        except PopulationError as e:
            st.error(t("upload_error", msg=e.message(lang())))
        except (WorkbenchError, ValueError) as e:
            st.error(t("upload_error", msg=str(e)))
        except Exception as e:  # never a traceback for a bad file
            st.error(t("upload_error", msg=t("problem_unreadable", kind=type(e).__name__)))

pop = population()
persons = pop.persons
w = persons["weight"].to_numpy(dtype=float)
c1, c2 = st.columns(2)
with c1:
    chart(
        charts.histogram(persons["age"].to_numpy(), w, t("chart_age"), t("age"), t("count"), bins=20),
        "ch_age",
        "age",
    )
cats = persons["category"].astype(str).str.split("|").str[0]
by_cat = pd.Series(w, index=cats.to_numpy()).groupby(level=0).sum().sort_values(ascending=False)
with c2:
    chart(
        charts.bar(
            [cat_label(c) for c in by_cat.index],
            by_cat.to_numpy(),
            t("chart_categories"),
            t("count"),
            text=[f"{v:,.0f}" for v in by_cat],
        ),
        "ch_cat",
        "categories",
    )
c3, c4 = st.columns(2)
inc = persons["income"].to_numpy(dtype=float)
with c3:
    chart(
        charts.histogram(
            np.minimum(inc, np.quantile(inc, 0.99)), w, t("chart_income"), title("income"), t("count")
        ),
        "ch_income",
        "income",
    )
res = result()
cost = res._person_arrays["total_cost"]
with c4:
    chart(charts.histogram(cost, w, t("chart_cost"), t("cost"), t("count"), log=True), "ch_cost", "cost")

st.subheader(t("calibration_title"))
if ss.get("upload"):
    st.info(t("calibration_uploaded"))
else:
    scn = preset_scenario(ss["preset"])

    @st.cache_data(max_entries=8, show_spinner=False)
    def _checks(pop_key: str, preset: str) -> list:
        return calibrate(preset_scenario(preset), pop=population())

    try:
        checks = _checks(population_key(), ss["preset"])
    except WorkbenchError as e:
        checks = None
        st.error(str(e))
    if not checks:
        st.info(t("calibration_none"))
    else:
        levels = {k: (v.label, v.label_en or v.label) for k, v in scn.params.hospital_levels.items()}

        def _value(kind: str, v) -> str:
            if kind == "rate":
                return fmt_rate(v)
            if kind == "money":
                return fmt_money(v, lang(), "yuan")
            return fmt_count(v, digits=2)

        def _gap(c, kind: str, tolerance: bool = False) -> str:
            v = c.tolerance if tolerance else c.gap
            if c.relative and abs(v) < 5e-4:  # rounds to 0.0%: no sign
                v = 0.0
            sign = "±" if tolerance else ("+" if v > 0 else "")
            if c.relative:  # a share of the target
                return f"{sign}{v * 100:.1f}%"
            if kind == "rate":  # percentage points
                return sign + fmt_points(abs(v) if tolerance else v, lang()).lstrip("+")
            return f"{sign}{_value(kind, v)}"

        rows = []
        for c in checks:
            name, kind = calibration_figure(c.name, lang(), levels)
            name = cap(name)
            rows.append(
                {
                    t("col_target"): name,
                    t("col_target_value"): _value(kind, c.target),
                    t("col_generated"): _value(kind, c.generated),
                    t("col_gap"): _gap(c, kind),
                    t("col_tolerance"): _gap(c, kind, tolerance=True),
                    t("col_ok"): t("passed_yes") if c.ok else t("passed_no"),
                    t("col_citation"): cite_text(c.citation, "", lang()),
                }
            )
        view = pd.DataFrame(rows)
        table(view, "tb_calibration", "calibration", hide_index=True)
        st.caption(t("calibration_note"))
