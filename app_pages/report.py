"""报告 Report: download the budget report (Excel / HTML / PDF) built by `simulation.report`,
imported lazily so the app still runs when that module is absent."""

import streamlit as st

from app_pages._common import (
    baseline_result,
    changes_key,
    lang,
    population_key,
    result,
    scenario,
    t,
    with_progress,
)
from app_pages._limits import safe_file_name

st.header(t("report_title"))
try:
    from simulation import report as rep
except Exception as e:  # module missing or broken: say so, never a traceback
    st.error(t("report_missing", msg=f"{type(e).__name__}: {e}"))
    st.stop()

st.caption(t("report_hint"))
scn = scenario()
res = result()
base = baseline_result() if scn.changes else None


PDF_EXPECTED_S = 10.0  # a PDF report on this project's 2-core machines (the charts drawn by kaleido)


def _builder(fn):
    def build() -> bytes:
        return fn(res, lang=lang(), baseline=base, draws=0)

    return build


c1, c2, c3 = st.columns(3)
for col, name, key, ext, mime in (
    (
        c1,
        "excel_bytes",
        "report_excel",
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (c2, "html_bytes", "report_html", "html", "text/html"),
    (c3, "pdf_bytes", "report_pdf", "pdf", "application/pdf"),
):
    fn = getattr(rep, name, None)
    if fn is None:
        col.error(t("report_missing", msg=name))
        continue
    if ext == "pdf":
        # the PDF takes seconds (layout, charts through a browser): built on a button, with progress
        pdf_key = (population_key(), st.session_state["preset"], changes_key(), lang())
        built = st.session_state.get("report_pdf")
        if not built or built[0] != pdf_key:
            if col.button(t("report_pdf_build"), key="build_pdf"):
                with col:
                    data, seconds = with_progress(
                        _builder(fn), t("report_pdf_building", expected=PDF_EXPECTED_S), PDF_EXPECTED_S
                    )
                st.session_state["report_pdf"] = built = (pdf_key, data, seconds)
        if not built or built[0] != pdf_key:
            continue
        col.caption(t("report_pdf_ready", seconds=built[2]))
        col.download_button(
            t(key),
            data=built[1],
            file_name=safe_file_name(f"{scn.id}_report.{ext}", f"report.{ext}"),
            mime=mime,
            on_click="ignore",
            key=f"dl_{ext}",
        )
        continue
    col.download_button(
        t(key),
        data=_builder(fn),
        file_name=safe_file_name(f"{scn.id}_report.{ext}", f"report.{ext}"),
        mime=mime,
        on_click="ignore",
        key=f"dl_{ext}",
    )
st.caption(t("caveat"))
