"""AppTest tests of the Streamlit app: every page renders, a slider moves a KPI, bad uploads show
an error, the URL restores a scenario, the English toggle changes labels. Small populations."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from app_pages import _charts as charts
from app_pages._text import TEXT

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = [
    "scenario",
    "population",
    "results",
    "funds",
    "compare",
    "goal_seek",
    "district",
    "warnings",
    "decisions",
    "household",
    "backtest",
    "report",
]
DIBAO = "medical_assistance.inpatient_ratio.dibao"


def app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["n"] = "2000"
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def metric(at, label: str) -> float:
    m = next(m for m in at.metric if m.label == label)
    v = m.value.replace(",", "")
    return float(v.rstrip("%")) / 100 if v.endswith("%") else float(re.sub(r"[^\d.\-]", "", v))


@pytest.fixture(scope="module")
def at():
    return app()


def test_catalogue_has_same_keys():
    assert set(TEXT["zh"]) == set(TEXT["en"])


def test_every_text_key_used_exists():
    keys = set()
    for f in [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t" and node.args:
                a = node.args[0]
                if isinstance(a, ast.Constant) and isinstance(a.value, str):
                    keys.add(a.value)
    assert keys, "no t() calls found"
    assert keys <= set(TEXT["zh"]), keys - set(TEXT["zh"])


@pytest.mark.parametrize("page", PAGES)
def test_page_renders(at, page):
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.header[0].value


def test_default_opens_on_results_with_kpis():
    at = app()
    assert not at.exception
    assert any(m.label == "困难群众综合保障率" for m in at.metric)


def test_raising_dibao_ratio_raises_coverage_of_the_poor():
    at = app()
    before = metric(at, "困难群众综合保障率")
    at.slider(key=f"q:{DIBAO}").set_value(100.0).run()
    assert not at.exception
    after = metric(at, "困难群众综合保障率")
    assert after > before
    # the scenario page lists the change against the preset
    at.switch_page("app_pages/scenario.py").run()
    df = at.dataframe[0].value
    assert "住院救助比例（低保对象）" in df.iloc[:, 0].tolist()  # the lever's label, not its path
    assert TEXT["zh"]["diff_path"] not in df.columns  # the path is in the URL and the CSV only


def test_lowering_a_family_cap_lowers_out_of_pocket_on_scenario_page():
    at = app()
    oop = metric(at, "个人负担")
    at.switch_page("app_pages/scenario.py").run()
    cap = at.number_input(key="lv:family_cap.cap.dibao")
    # 30,000 元 entered in 万元
    assert cap.label == "家庭年度个人负担封顶线（低保对象）（万元）" and cap.value == 3.0
    cap.set_value(0.1).run()  # 1,000 元
    assert not at.exception
    at.switch_page("app_pages/scenario.py").run()
    assert at.dataframe[0].value.iloc[0, 2] == "1,000 元"
    at.switch_page("app_pages/results.py").run()
    assert metric(at, "个人负担") < oop


def test_url_restores_scenario():
    at = app(**{DIBAO: "0.97", "preset": "linan_2024"})
    assert not at.exception
    assert at.slider(key=f"q:{DIBAO}").value == pytest.approx(97.0)
    at.switch_page("app_pages/scenario.py").run()
    df = at.dataframe[0].value
    assert df.iloc[0, 0] == "住院救助比例（低保对象）" and df.iloc[0, 2] == "97%"  # value in its unit


def test_bad_url_parameter_is_a_warning_not_a_crash():
    at = app(**{DIBAO: "7", "no.such.path": "1"})
    assert not at.exception
    at.switch_page("app_pages/scenario.py").run()
    assert len(at.warning) >= 2
    # in the page's language: the lever by its label, the bound in the lever's unit
    text = " ".join(w.value for w in at.warning)
    assert "住院救助比例（低保对象）：应不大于 100%" in text and "没有这个参数" in text


def test_english_toggle_changes_labels():
    at = app()
    zh = {m.label for m in at.metric}
    at.segmented_control(key="lang_widget").set_value("en").run()
    assert not at.exception
    en = {m.label for m in at.metric}
    assert "Comprehensive coverage rate of the poor" in en and not (zh & en)
    assert at.header[0].value == TEXT["en"]["page_results"]


def test_invalid_upload_shows_error(tmp_path):
    at = app()
    at.switch_page("app_pages/population.py").run()
    at.radio(key="pop_mode").set_value("upload").run()
    # AppTest cannot drive file_uploader; call the same loader path the page uses
    from simulation import PopulationError, load_population

    with pytest.raises(PopulationError):
        load_population(b"person_id,age\n1,abc\n", b"person_id,setting\n1,x\n")
    at.button(key="upload_use").click().run()
    assert not at.exception
    assert at.error and at.error[0].value == TEXT["zh"]["upload_need_both"]


def test_invalid_scenario_url_value_shows_error():
    at = app(**{DIBAO: "not-a-number"})
    assert not at.exception
    at.switch_page("app_pages/scenario.py").run()
    # the lever by its label, what was wrong in the page's language
    assert any("住院救助比例（低保对象）" in w.value and "应为数字" in w.value for w in at.warning)


def test_figure_builders():
    rng = np.random.default_rng(0)
    v = rng.lognormal(8, 1, 500)
    fig = charts.histogram(v, np.ones(500), "t", "x", "y", log=True)
    assert fig.layout.xaxis.type == "log"
    s = {
        "total_cost": 100.0,
        "basic_paid": 50.0,
        "critical_paid": 10.0,
        "assistance_paid": 5.0,
        "supplement_paid": 0.0,
        "cap_paid": 1.0,
        "oop": 34.0,
    }
    labels = {k: k for k in (*charts.PAYERS, "oop")}
    w = charts.payer_waterfall(s, labels, "t", "total")
    assert list(w.data[0].x)[0] == "total" and list(w.data[0].x)[-1] == "oop"
    bands = pd.DataFrame({"year": [1, 2], "fund": ["a", "a"], "p10": [1, 2], "p50": [2, 3], "p90": [3, 4]})
    assert len(charts.fund_bands(bands, {}, "t", "y").data) == 3


def test_page_aggregates_match_the_tables():
    """by_category / by_decile (sparse matrices on the result's arrays) equal pandas group sums
    over res.persons / res.households; the category groups follow the engine's bit mask."""
    from app_pages._common import by_category, by_decile
    from simulation import generate_population, load_scenario, simulate
    from simulation.compare import income_deciles

    scn = load_scenario("shanghai_2023")
    pop = generate_population(scn, persons=3000, seed=3)
    res = simulate(pop, scn)
    key = "test:shanghai:3000:3"
    p = res.persons
    cat = by_category(res, key, pop)
    mask = res.person_arrays()["cat_mask"]
    assert np.array_equal(mask, pop.arrays.cat_mask)
    for name, row in cat.iterrows():
        parts = set(name.split("|")) - {"none"}
        in_group = np.array([set(c.split("|")) - {"none"} == parts for c in p["category"].astype(str)])
        w = p["weight"].to_numpy() * in_group
        assert row["persons"] == pytest.approx(w.sum())
        assert row["oop"] == pytest.approx(float(w @ p["oop"].to_numpy()))
        assert row["total_cost"] == pytest.approx(float(w @ p["total_cost"].to_numpy()))
    assert cat["persons"].sum() == pytest.approx(p["weight"].sum())
    h = res.households
    dec = by_decile(res, key)
    d = income_deciles(res)
    for k in range(1, 11):
        w = h["weight"].to_numpy() * (d == k)
        assert dec.loc[k, "oop"] == pytest.approx(float(w @ h["oop"].to_numpy()))
        assert dec.loc[k, "persons"] == pytest.approx(float(w @ h["size"].to_numpy()))
    ha = res.household_arrays()
    assert np.array_equal(ha["household_id"], h.index.to_numpy())
    assert np.array_equal(res.person_arrays()["person_id"], p.index.to_numpy())


def test_run_store_is_bounded_by_bytes_and_keeps_pinned_runs():
    from app_pages._common import RunStore

    store = RunStore(budget=3 * 8000)
    made = []

    def make(i):
        made.append(i)
        return np.zeros(1000)  # 8000 bytes

    store.get("base", lambda: make("base"), pinned=True)
    for i in range(5):
        store.get(i, lambda i=i: make(i))
    assert len(store) == 3 and store.nbytes <= 3 * 8000
    store.get("base", lambda: make("again"))  # the pinned preset run survived the moves
    assert "again" not in made
    store.get(4, lambda: make("again"))  # the newest entry is kept
    assert "again" not in made
    store.get(0, lambda: make("again"))  # the oldest unpinned one was evicted
    assert made[-1] == "again"


def test_slider_redraw_builds_no_person_or_household_table():
    """The Results page's fast path: a slider move simulates and aggregates arrays; the
    million-row DataFrames (res.persons, res.households, res.claims) are never built."""
    from app_pages._common import run_store

    at = app()
    at.slider(key=f"q:{DIBAO}").set_value(99.5).run()
    assert not at.exception
    runs = [r for k, r in run_store().items() if '"' + DIBAO + '": 0.995' in k[2]]
    assert len(runs) == 1
    built = set(vars(runs[0]))
    assert not built & {"persons", "households", "claims", "funds"}, built


def test_decisions_page_prices_the_contract_and_ranks_the_levers():
    at = app(preset="shuozhou_2021")
    at.switch_page("app_pages/decisions.py").run()
    at.number_input(key="dec_draws").set_value(4).run()
    at.button(key="dec_price_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    labels = [m.label for m in at.metric]
    assert "大病保险人均筹资" in labels and "经营性亏损概率" in labels
    at.button(key="dec_buy_run").click().run()
    assert not at.exception and not at.error
    assert len(at.session_state["dec_frontier_levers"]) == 3  # the three best levers, for the frontier


def test_decision_charts_build():
    fig = charts.tornado(["a", "b"], [1.0, 2.0], [3.0, 0.5], 1.5, "t", "x", "low", "high")
    assert [tr.base for tr in fig.data] == [1.5, 1.5]
    assert list(fig.data[0].x) == [0.5, -0.5]  # the first input on top: reversed
    pts = pd.DataFrame({"added_cost": [0.0, 1e4, 2e4], "coverage_rate_poor": [0.8, 0.82, 0.81]})
    fig = charts.frontier(pts, pts.iloc[:2], "coverage_rate_poor", "t", "x", "y", "pts", "front")
    assert list(fig.data[1].x) == [0.0, 1.0]
    curve = pd.DataFrame({"premium": [10.0, 20.0], "p_loss": [1.0, 0.0]})
    fig = charts.premium_curve(curve, {"p_loss": "P"}, {"solved": 15.0}, "t", "x", "y")
    assert fig.layout.shapes[0].x0 == 15.0


def test_household_page_every_source_and_a_bad_family():
    """家庭测算: a typical family, a household of the run (from the URL), one entered with a claim
    whose policy cost exceeds its total cost: the error names the cell in the page's language."""
    at = app(household="1")
    at.switch_page("app_pages/household.py").run()
    assert not at.exception, at.exception
    assert at.segmented_control(key="hh_source").value == "run"
    assert any(m.label == "个人负担" for m in at.metric)
    at.segmented_control(key="hh_source").set_value("typical").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="hh_typical").value == "dibao_cancer"
    at.segmented_control(key="hh_source").set_value("edit").run()
    assert not at.exception and not at.error
    claims = at.session_state["hh_edit_claims"].copy()
    claims.loc[0, "policy_cost"] = claims.loc[0, "total_cost"] + 1
    at.session_state["hh_edit_claims"] = claims
    at.run()
    assert (
        at.error
        and "费用表第 1 行" in at.error[0].value
        and "政策范围内费用不超过总费用" in at.error[0].value
    )
    at.segmented_control(key="lang_widget").set_value("en").run()
    assert (
        at.error and "claims, row 1" in at.error[0].value and "policy_cost ≤ total_cost" in at.error[0].value
    )


def test_goal_seek_pressed_on_open_explains_in_the_page_language():
    """求解 as the page opens: the default goal (90%) is out of reach within the default range; the
    page says how far the range gets and which range would reach it, in Chinese, no raw float."""
    at = app()
    at.switch_page("app_pages/goal_seek.py").run()
    at.button(key="gs_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    shown = " ".join([w.value for w in at.warning] + [s.value for s in at.success])
    assert shown
    for raw in ("out of reach", "coverage_rate_poor", "inpatient_ratio"):
        assert raw not in shown, shown
    assert not re.search(r"\d\.\d{4,}", shown), shown  # no raw float
    if at.warning:
        assert "住院救助比例" in shown and "%" in shown


def test_new_figure_builders():
    assert charts.money_scale([3.77e5, -120.0]) == "wan"  # (the registry's: every non-zero amount reads)
    assert charts.money_scale([3.77e5, -1.0]) == "yuan"
    assert charts.money_scale([2.1e8]) == "yi" and charts.money_scale([12.0]) == "yuan"
    funds = pd.DataFrame(
        {
            "year": [2024, 2025, 2024, 2025],
            "fund": ["a", "a", "b", "b"],
            "balance": [3e9, 2e9, 5e4, -1e4],
        }
    )
    fig = charts.fund_panels(funds, {"a": "A", "b": "B"}, "t", "zh")
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:2] == ["A（亿元）", "B（万元）"]  # each fund in its own unit
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tickformat == "d"
    bands = pd.DataFrame({b: [0.2] * 2 for b in ("g1", "g2", "u", "l1", "l2")}, index=[1, 2])
    bb = charts.band_bars(bands, list(bands.columns), {b: b for b in bands.columns}, "t", "x")
    assert len(bb.data) == 5 and bb.layout.barmode == "stack"
    tg = charts.tile_grid(["甲", "乙", "丙"], np.array([0.1, 0.2, 0.3]), ["10%", "20%", "30%"], "t", cols=2)
    assert tg.data[0].z.shape == (2, 2) and "甲" in tg.data[0].text[0][0]


def test_the_warm_up_touches_the_run_store_memory_on_the_compute_thread(monkeypatch):
    """After the warm-up (and while nobody waits), the run store's memory is touched once on the
    compute thread, whose heap the runs are made in (simulation.memory_reuse.prefault)."""
    import threading
    import time

    from app_pages import _common, _warmup
    from simulation import memory_reuse

    seen = []

    def prefault(nbytes):
        seen.append((threading.current_thread().name, nbytes))
        return memory_reuse.prefault(nbytes)

    monkeypatch.setattr(_warmup, "DEFAULT_PERSONS", 2_000)
    monkeypatch.setattr(_warmup, "prefault_bytes", lambda: 32 * 2**20)
    monkeypatch.setattr(_warmup, "prefault", prefault)
    w = _warmup.Warmup("shuozhou_2021")
    assert w.done.wait(300) and w.error is None
    deadline = time.monotonic() + 120
    while w.prefault_seconds is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert seen == [(seen[0][0], 32 * 2**20)] and seen[0][0].startswith(_common.COMPUTE_THREAD)
    assert w.prefaulted == (32 * 2**20 if memory_reuse.keep_freed_memory() else 0)


def test_the_prefault_takes_at_most_a_quarter_of_the_available_memory(monkeypatch):
    from app_pages import _common

    monkeypatch.setenv("SIMULATION_MEMORY_AVAILABLE", "400M")
    assert _common.prefault_bytes() == 400 * 2**20 // 4  # a small machine: a quarter of it
    monkeypatch.setenv("SIMULATION_MEMORY_AVAILABLE", "100G")
    assert _common.prefault_bytes() == _common.PREFAULT_BYTES
