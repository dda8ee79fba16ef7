"""医保政策仿真工作台 — the planners' Streamlit app: `streamlit run app.py`.

Pages live in `app_pages/`; every figure comes from the `simulation` package. The scenario, the
population settings and the language are kept in the session and mirrored into the URL.
"""

from pathlib import Path

import streamlit as st

from app_pages._common import DEFAULT_PRESET, init_state, lang, sync_url, t
from app_pages._warmup import wait_for_warmup

# the tab icon is a file served by the app itself (a Material symbol or an emoji would be fetched
# from an outside host by every browser: nothing may leave a closed network)
ICON = Path(__file__).resolve().parent / "static" / "favicon.png"
st.set_page_config(page_title="医保政策仿真工作台", page_icon=str(ICON), layout="wide")
init_state()

with st.sidebar:
    choice = st.segmented_control(
        t("lang_label"),
        ["zh", "en"],
        default=lang(),
        key="lang_widget",
        format_func=lambda c: {"zh": "中文", "en": "English"}[c],
    )
    if choice and choice != lang():
        st.session_state["lang"] = choice
        st.rerun()

PAGES = [
    ("app_pages/scenario.py", "page_scenario", ":material/tune:", "scenario"),
    ("app_pages/population.py", "page_population", ":material/groups:", "population"),
    ("app_pages/results.py", "page_results", ":material/monitoring:", "results"),
    ("app_pages/funds.py", "page_funds", ":material/savings:", "funds"),
    ("app_pages/compare.py", "page_compare", ":material/compare_arrows:", "compare"),
    ("app_pages/goal_seek.py", "page_goal_seek", ":material/target:", "goal_seek"),
    ("app_pages/district.py", "page_district", ":material/grid_view:", "district"),
    ("app_pages/warnings.py", "page_warnings", ":material/warning:", "warnings"),
    ("app_pages/decisions.py", "page_decisions", ":material/insights:", "decisions"),
    ("app_pages/household.py", "page_household", ":material/family_restroom:", "household"),
    ("app_pages/backtest.py", "page_backtest", ":material/fact_check:", "backtest"),
    ("app_pages/report.py", "page_report", ":material/description:", "report"),
]
pages = {url: st.Page(path, title=t(key), icon=icon, url_path=url) for path, key, icon, url in PAGES}


def _home() -> None:
    """`/` opens the Results page at its own address (`/results`), the URL's settings kept: the
    default page lives at `/`, so Results itself must not be the default or `/results` is unknown."""
    st.switch_page(pages["results"], query_params=st.query_params.to_dict())


page = st.navigation(
    [st.Page(_home, title=t("page_results"), default=True, visibility="hidden"), *pages.values()]
)
st.title(t("app_title"))
# the first start compiles the loops: say so, and for how long, before any page runs a simulation
wait_for_warmup(DEFAULT_PRESET, lang())
page.run()
sync_url()
