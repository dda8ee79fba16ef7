"""Nothing a planner reads is a code: every page, rendered with AppTest in Chinese and in English
(with a changed lever, so the change table, the comparison and the report have content), is
searched for a dotted parameter path (`medical_assistance.inpatient_ratio.dibao`) or a snake_case
key (`base_includes_below_deductible`, `linan_2024`, `label`, `fund`) in every visible string:
headers, captions, alerts, metric labels and values, widget labels and their options, expander
labels, buttons, table headers, index names and cells, and the chart titles, axis titles, legend
entries, categories and bar texts. Help texts and the source columns quote the policy texts and
the calibration file (which name their own keys): there the test fails on a lever's own path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from app_pages._text import TEXT

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = [
    "scenario", "population", "results", "funds", "compare", "district", "goal_seek", "warnings",
    "decisions", "household", "backtest", "report",
]  # fmt: skip
CHANGE = {"medical_assistance.inpatient_ratio.dibao": "0.95", "family_cap.cap.dibao": "20000"}

# a snake_case key (two words or more joined by _) or a dotted path of lower-case names
SNAKE = re.compile(r"(?<![\w/.])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/])")
DOTTED = re.compile(r"(?<![\w/.])[a-z][a-z0-9_]+(?:\.[a-z0-9_]+)+(?![\w/])")
# single words that were raw column names (`label`, `fund`, ...): as a whole header they leak too
RAW_HEADERS = {"label", "fund", "year", "tier", "value", "category", "decile", "key", "path", "code"}


def leaks(text: str) -> list[str]:
    return SNAKE.findall(text) + DOTTED.findall(text)


def _plotly_strings(spec: dict) -> list[str]:
    """The strings a chart shows: its title, axis titles, trace names, categories and texts."""
    out = []
    lay = spec.get("layout", {})
    for part in ("title", "xaxis", "yaxis"):
        node = lay.get(part) or {}
        title = node.get("title") if part != "title" else node
        if isinstance(title, dict) and isinstance(title.get("text"), str):
            out.append(title["text"])
        elif isinstance(title, str):
            out.append(title)
    for tr in spec.get("data", []):
        if isinstance(tr.get("name"), str):
            out.append(tr["name"])
        for k in ("x", "y", "text"):
            v = tr.get(k)
            if isinstance(v, list):
                out += [x for x in v if isinstance(x, str)]
    return out


def _frame_strings(df: pd.DataFrame, skip_columns: set[str]) -> tuple[list[str], list[str]]:
    """(visible strings, quoted strings) of a table: headers, index names and text cells; the
    cells of a source column are quotations."""
    shown = [str(c) for c in df.columns] + [str(n) for n in df.index.names if n is not None]
    quoted = []
    for c in df.columns:
        if df[c].dtype == object or isinstance(df[c].dtype, pd.StringDtype):
            cells = [str(x) for x in df[c].tolist() if isinstance(x, str)]
            (quoted if str(c) in skip_columns else shown).extend(cells)
    if df.index.dtype == object:
        shown += [str(x) for x in df.index.tolist()]
    return shown, quoted


def visible(at: AppTest, lang: str) -> tuple[list[str], list[str], list[str]]:
    """Every string the page shows (and, apart, the quotations: help texts, source cells and the
    data's own field names; and the citations alone, which read in words too)."""
    citations = {TEXT[lang]["diff_source"], TEXT[lang]["col_citation"], TEXT[lang]["source"]}
    # quoted too: the settlement platform's own field names and the headers of the user's file,
    # shown beside their meaning in the back-test's mapping report (the names the bureau's data uses)
    sources = citations | {TEXT[lang]["bt_field"], TEXT[lang]["bt_column"]}
    shown: list[str] = []
    quoted: list[str] = []
    cited: list[str] = []
    for group in (at.title, at.header, at.subheader, at.caption, at.markdown, at.text):
        shown += [e.value for e in group]
    for group in (at.info, at.warning, at.error, at.success):
        shown += [e.value for e in group]
    for m in at.metric:
        shown += [m.label, m.value, m.delta or ""]
        quoted.append(m.help or "")
    for group in (
        at.slider,
        at.number_input,
        at.selectbox,
        at.multiselect,
        at.toggle,
        at.radio,
        at.checkbox,
        at.button,
        at.text_input,
        at.select_slider,
    ):
        for w in group:
            shown.append(w.label)
            shown += [str(o) for o in getattr(w, "options", []) or []]
            quoted.append(getattr(w, "help", None) or "")
    for e in at.expander:
        shown.append(e.label)
    for d in at.dataframe:
        s, q = _frame_strings(d.value, sources)
        shown += s
        quoted += q
        cited += _frame_strings(d.value, citations)[1]
    for node in at.get("plotly_chart"):
        shown += _plotly_strings(json.loads(node.proto.spec))
    for name in ("pills", "segmented_control"):
        for w in at.get(name):
            shown.append(w.label)
            shown += [str(o) for o in getattr(w, "options", []) or []]
    return [s for s in shown if s], [q for q in quoted if q], [c for c in cited if c]


@pytest.fixture(scope="module")
def lever_paths() -> set[str]:
    from simulation import load_scenario

    return {lv.path for lv in load_scenario("linan_2024").levers()}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_no_code_is_shown(page, lang, lever_paths):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"n": "2000", "lang": lang, **CHANGE})
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    shown, quoted, cited = visible(at, lang)
    assert len(shown) > 5, shown  # the page was rendered and read
    found = sorted({x for s in shown for x in leaks(s)})
    assert not found, f"{page} ({lang}) shows codes: {found}"
    headers = [str(c) for d in at.dataframe for c in [*d.value.columns, *d.value.index.names]]
    assert not RAW_HEADERS & set(headers), headers
    paths = sorted({p for q in quoted for p in DOTTED.findall(q) if p in lever_paths})
    assert not paths, f"{page} ({lang}): a lever's path in a help text or source: {paths}"
    codes = sorted({x for c in cited for x in leaks(c)})
    assert not codes, f"{page} ({lang}): codes in the citations: {codes}"
    if page == "scenario":  # the preset by its name, the change table by the levers' labels
        preset = at.selectbox(key=f"preset_widget:{lang}")
        name = "临安 2024" if lang == "zh" else "Lin'an 2024"
        assert preset.value == "linan_2024" and name in preset.options
        labels = " ".join(at.dataframe[0].value.iloc[:, 0].tolist())
        assert ("住院救助比例（低保对象）" if lang == "zh" else "Inpatient assistance ratio") in labels


def test_the_leak_finder_finds_leaks():
    """The patterns catch what the issue saw and pass what a planner should read."""
    for bad in (
        "medical_assistance.inpatient_ratio.dibao",
        "deductible.dibian",
        "base_includes_below_deductible",
        "linan_2024",
        "预设 linan_2024 已载入",
    ):
        assert leaks(bad), bad
    for good in ("住院救助比例（低保对象）（%）", "30.71 亿元", "¥3.20 bn", "P10-P90", "e.g. 0.95", "90.0%"):
        assert not leaks(good), good
