"""报告 Report: download the budget report (Excel / HTML / PDF) built by `simulation.report`,
imported lazily so the app still runs when that module is absent."""

import streamlit as st

from app_pages._common import baseline_result, lang, result, scenario, t
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
    col.download_button(
        t(key),
        data=_builder(fn),
        file_name=safe_file_name(f"{scn.id}_report.{ext}", f"report.{ext}"),
        mime=mime,
        on_click="ignore",
        key=f"dl_{ext}",
    )
st.caption(t("caveat"))
