"""Several planners at once (issue 8): two AppTest sessions in one process share the app's caches
(`st.cache_resource` / `st.cache_data` are per process, as on a server), yet each sees its own
scenario and numbers; an edit or a bad upload in one session leaves the other untouched; uploads
above the app's limit are refused before parsing with the catalogue's message.

AppTest cannot drive `st.file_uploader`, so uploads are injected the way the pages hand them on:
`session_state["yaml_pending"]` (scenario page) and `session_state["population_pending"]`
(population page); the real widgets are driven in tests/test_e2e_browser.py."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from app_pages._limits import safe_file_name, upload_limit
from app_pages._text import TEXT
from simulation import generate_population, load_scenario, simulate

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
N = 2000
DIBAO = "medical_assistance.inpatient_ratio.dibao"
COVERAGE = "困难群众综合保障率"
OOP = "个人负担"


def session(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["n"] = str(N)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def clean(at) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def expected_coverage(preset: str, changes: dict | None = None) -> str:
    scn = load_scenario(preset)
    if changes:
        scn = scn.with_changes(changes)
    x = simulate(generate_population(load_scenario(preset), persons=N, seed=7), scn).summary[
        "coverage_rate_poor"
    ]
    return f"{x:.1%}" if math.isfinite(x) else "—"


def test_two_sessions_different_presets_and_sliders():
    a = session(preset="linan_2024")
    b = session(preset="shanghai_2023")
    clean(a)
    clean(b)
    a0, b0 = metrics(a), metrics(b)
    assert a0[COVERAGE] == expected_coverage("linan_2024")
    assert b0[COVERAGE] == expected_coverage("shanghai_2023")
    assert a0 != b0
    # B raises the 低保 inpatient ratio; A reruns and still sees its own numbers
    b.slider(key=f"q:{DIBAO}").set_value(100.0).run()
    clean(b)
    b1 = metrics(b)
    assert b1[COVERAGE] == expected_coverage("shanghai_2023", {DIBAO: 1.0})
    assert b1 != b0
    a.run()
    clean(a)
    assert metrics(a) == a0
    assert a.slider(key=f"q:{DIBAO}").value != 100.0
    # and B is not reset by A's rerun
    b.run()
    assert metrics(b) == b1


def test_edited_scenario_does_not_leak_through_shared_caches():
    a = session()
    b = session()
    a0 = metrics(a)
    assert metrics(b) == a0  # same preset, same population: same numbers
    b.switch_page("app_pages/scenario.py").run()
    base_cap = b.number_input(key="lv:family_cap.cap.dibao").value
    b.number_input(key="lv:family_cap.cap.dibao").set_value(0.1).run()  # 万元: 1,000 元
    clean(b)
    b.switch_page("app_pages/results.py").run()
    assert metrics(b)[OOP] != a0[OOP]
    # A: the cached preset object and cached runs are shared, yet A's scenario is untouched
    a.switch_page("app_pages/scenario.py").run()
    clean(a)
    assert a.number_input(key="lv:family_cap.cap.dibao").value == base_cap
    assert a.session_state["changes"] == {}
    assert any(i.value == TEXT["zh"]["diff_none"] for i in a.info)
    a.switch_page("app_pages/results.py").run()
    assert metrics(a) == a0
    # a third session opened after the edit starts from the preset too
    c = session()
    assert metrics(c) == a0


def test_bad_scenario_upload_in_one_session_only():
    a = session()
    b = session(**{DIBAO: "0.97"})
    b0 = metrics(b)
    a.switch_page("app_pages/scenario.py").run()
    a.session_state["yaml_pending"] = {"name": "../../etc/bad\x00.yaml", "data": b"year: [\n  - {a: *x"}
    a.run()
    assert not a.exception
    assert a.error and TEXT["zh"]["bad_scenario"].split("：")[0] in a.error[0].value
    assert "\x00" not in a.error[0].value and "../" not in a.error[0].value
    # a YAML tag that would build a Python object, and GBK bytes: errors, not tracebacks
    for data in (b"!!python/object/apply:os.system ['echo hi']\n", "年份: 二〇二四".encode("gbk")):
        a.session_state["yaml_pending"] = {"name": "x.yaml", "data": data}
        a.run()
        assert not a.exception and a.error
    assert a.session_state["changes"] == {}
    b.run()
    clean(b)
    assert metrics(b) == b0
    assert b.session_state["changes"] == {DIBAO: 0.97}


def test_oversized_scenario_upload_refused_before_parsing():
    a = session()
    a.switch_page("app_pages/scenario.py").run()
    big = b"# padding\n" * (upload_limit("scenario") // 10 + 10)
    a.session_state["yaml_pending"] = {"name": "huge.yaml", "data": big}
    a.run()
    assert not a.exception
    msg = a.error[0].value
    assert "huge.yaml" in msg and "MB" in msg and TEXT["zh"]["upload_kind_scenario"] in msg
    a.segmented_control(key="lang_widget").set_value("en").run()
    a.session_state["yaml_pending"] = {"name": "huge.yaml", "data": big}
    a.run()
    assert "upload limit for scenario files" in a.error[0].value


PERSONS = b"person_id,household_id,age,scheme,category,income,weight\n1,1,70,resident,dibao,8000,1\n"
CLAIMS = b"person_id,setting,hospital_level,total_cost,policy_cost\n1,inpatient,3,60000,50000\n"


def test_bad_population_upload_in_one_session_only():
    a = session()
    b = session()
    b0 = metrics(b)
    a.switch_page("app_pages/population.py").run()
    bad = [
        (b"person_id,age\n1,abc\n", b"person_id,setting\n1,x\n"),  # missing columns, bad values
        (b"\xff\xfe\x00garbage", CLAIMS),  # not text
        (b"PAR1broken", CLAIMS),  # not Parquet
        (PERSONS, b"person_id,setting,hospital_level,total_cost,policy_cost\n9,inpatient,3,1,1\n"),
    ]
    for pb, cb in bad:
        a.session_state["population_pending"] = {
            "persons": ("p.csv", len(pb), pb),
            "claims": ("c.csv", len(cb), cb),
        }
        a.run()
        assert not a.exception
        assert a.error and a.error[0].value.startswith(TEXT["zh"]["upload_error"].split("{")[0])
        detail = a.error[0].value
        assert not any(w in detail for w in ("expected", "column '", "the file", "not a")), detail
        assert not a.session_state["upload"]
    # oversized: refused before the bytes are read (size from the upload, data never called)
    huge = upload_limit("population") + 1

    def never() -> bytes:
        raise AssertionError("read an oversized upload")

    a.session_state["population_pending"] = {
        "persons": ("big.csv", huge, never),
        "claims": ("c.csv", 10, never),
    }
    a.run()
    assert not a.exception
    assert any("big.csv" in e.value and TEXT["zh"]["upload_kind_population"] in e.value for e in a.error)
    # B never saw any of it
    b.switch_page("app_pages/population.py").run()
    clean(b)
    assert not b.session_state["upload"]
    b.switch_page("app_pages/results.py").run()
    assert metrics(b) == b0


def test_good_upload_in_one_session_stays_there():
    a = session()
    b = session()
    b0 = metrics(b)
    a.switch_page("app_pages/population.py").run()
    a.session_state["population_pending"] = {
        "persons": ("p.csv", len(PERSONS), PERSONS),
        "claims": ("c.csv", len(CLAIMS), CLAIMS),
    }
    a.run()
    assert not a.exception
    assert a.success and a.session_state["upload"]
    a.switch_page("app_pages/results.py").run()
    assert not a.exception
    assert metrics(a) != b0
    b.run()
    clean(b)
    assert metrics(b) == b0 and not b.session_state["upload"]


def test_population_size_that_would_not_fit_is_refused(monkeypatch):
    monkeypatch.setenv("SIMULATION_MEMORY_AVAILABLE", "100M")
    monkeypatch.delenv("SIMULATION_MEMORY_CHECK", raising=False)
    a = session()
    a.switch_page("app_pages/population.py").run()
    a.number_input(key="pop_n_widget").set_value(10_000_000).run()
    assert not a.exception
    assert a.error and "10,000,000" in a.error[0].value and "GiB" in a.error[0].value
    assert a.session_state["pop_n"] == N
    assert a.number_input(key="pop_n_widget").value == N


def test_safe_file_name():
    for bad in ("../../etc/passwd", "/abs/x.yaml", "a\x00b.yaml", "..", "", "C:\\x\\..\\y.xlsx", "x/../y"):
        name = safe_file_name(bad, "d")
        assert name and "/" not in name and "\\" not in name and "\x00" not in name
        assert ".." not in name and not name.startswith(".")
    assert safe_file_name("linan_2024_report.xlsx") == "linan_2024_report.xlsx"
