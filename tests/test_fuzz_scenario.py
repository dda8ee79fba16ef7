"""Fuzzing of scenario input (issue 8): random and mutated YAML for `scenario_from_yaml` and
`load_scenario`, random `with_changes` paths and values. Every input ends in a Scenario or a
ScenarioError naming the input; never another exception, never a hang."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulation import load_scenario
from simulation.errors import ScenarioError
from simulation.scenario import SCENARIO_DIR, Scenario, scenario_from_yaml

from .test_fuzz_common import flush, outcome

PRESETS = ("shanghai_2023", "linan_2024", "bijie_2019", "shuozhou_2021", "jiaxing_2025")
TEXT = {name: (SCENARIO_DIR / f"{name}.yaml").read_text(encoding="utf-8") for name in PRESETS}
SCN = {name: load_scenario(name) for name in PRESETS}
WHERE = "fuzz_upload.yaml"
SLOW = settings(deadline=timedelta(seconds=20))


@pytest.fixture(scope="module", autouse=True)
def _stats():
    yield
    flush()


TOKENS = st.sampled_from(
    [
        "",
        "-1",
        "1e308",
        "1e999",
        ".nan",
        ".inf",
        "-.inf",
        "null",
        "~",
        "true",
        "[1, 2",
        "{a: 1}",
        "&a x",
        "*a",
        "!!python/object:os.system",
        "低保",
        "'",
        '"',
        ": :",
        "\t",
        "2025: 0.8",
        "- - -",
        "99999999999999999999999",
        "0x1F",
        "@",
        "%YAML 1.1",
        "---",
        "...",
    ]
)


@st.composite
def mutated_yaml(draw) -> str:
    text = TEXT[draw(st.sampled_from(PRESETS))]
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "replace_value", "insert", "indent", "swap"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "replace_value" and ":" in lines[i]:
            key, _, _ = lines[i].partition(":")
            lines[i] = f"{key}: {draw(TOKENS)}"
        elif op == "insert":
            lines.insert(i, draw(st.one_of(TOKENS, st.text(max_size=30))))
        elif op == "indent":
            lines[i] = "  " + lines[i] if draw(st.booleans()) else lines[i].lstrip()
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    out = "\n".join(lines)
    if draw(st.booleans()):
        out = out[: draw(st.integers(0, len(out)))]
    return out


@SLOW
@given(st.text(max_size=400))
@example("")
@example("[]")
@example("a: &a [*a]")
@example("year: 2025\n")
@example("id: x\nyear: .inf\nprojection: {ranges: {medical_cost_growth: [0, .nan]}}")
@example("a: &x [1,1,1,1,1,1,1,1,1]\nb: &y [*x,*x,*x,*x,*x,*x,*x,*x,*x]\nc: [*y,*y,*y,*y,*y,*y,*y,*y,*y]")
def test_random_yaml_text(text):
    r = outcome("scenario_from_yaml", scenario_from_yaml, text, WHERE, where=WHERE)
    assert isinstance(r, (Scenario, ScenarioError))


@SLOW
@given(mutated_yaml())
def test_mutated_preset_yaml(text):
    r = outcome("scenario_from_yaml", scenario_from_yaml, text, WHERE, where=WHERE)
    assert isinstance(r, (Scenario, ScenarioError))
    if isinstance(r, Scenario):  # a scenario that loads round-trips and can be changed
        assert scenario_from_yaml(r.to_yaml(), WHERE) == r


@SLOW
@given(
    data=st.one_of(
        mutated_yaml().map(lambda t: t.encode("utf-8")),
        mutated_yaml().map(lambda t: t.encode("gb18030")),
        mutated_yaml().map(lambda t: b"\xef\xbb\xbf" + t.encode("utf-8")),
        st.binary(max_size=200),
    )
)
def test_load_scenario_files(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("scn") / "fuzzed.yaml"
    p.write_bytes(data)
    r = outcome("load_scenario", load_scenario, p, where=str(p))
    assert isinstance(r, (Scenario, ScenarioError))


def test_load_scenario_missing_and_directory(tmp_path):
    for src in (tmp_path / "nope.yaml", tmp_path, "no_such_preset"):
        r = outcome("load_scenario", load_scenario, src, where=str(src))
        assert isinstance(r, ScenarioError)


LEAF = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0, 2**63, 0.5]),
        st.text(max_size=10),
        st.sampled_from(["0.9", "低保", "full", "inpatient", "none"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=6), st.integers(1890, 2210)), inner, max_size=3),
    ),
    max_leaves=12,
)
SEGMENT = st.one_of(
    st.sampled_from(["0", "1", "2", "3", "99", "-1", "value", "source", "none", "dibao", "tekun", "x"]),
    st.text(max_size=8),
)


@st.composite
def change_paths(draw, scn) -> str:
    leaves = [k for k, _ in scn.leaves()]
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.sampled_from(leaves))
    if kind == 1:  # a real path made deeper or shallower
        parts = draw(st.sampled_from(leaves)).split(".")
        if draw(st.booleans()):
            return ".".join(parts + draw(st.lists(SEGMENT, min_size=1, max_size=30)))
        return ".".join(parts[: draw(st.integers(1, len(parts)))])
    if kind == 2:
        return ".".join(draw(st.lists(SEGMENT, min_size=1, max_size=50)))
    return draw(st.text(max_size=40))


@SLOW
@given(data=st.data(), preset=st.sampled_from(PRESETS))
def test_with_changes_random(data, preset):
    scn = SCN[preset]
    changes = data.draw(
        st.one_of(
            st.dictionaries(change_paths(scn), LEAF, min_size=1, max_size=3),
            st.dictionaries(change_paths(scn), st.floats(allow_nan=True), min_size=1, max_size=2),
            LEAF,
        )
    )
    before = scn.canonical_json()
    r = outcome("with_changes", scn.with_changes, changes, where=scn._where)
    assert isinstance(r, (Scenario, ScenarioError))
    assert scn.canonical_json() == before  # the base scenario never changes
    if isinstance(r, Scenario):
        for k, v in r.leaves():
            if isinstance(v, float):
                assert math.isfinite(v), (k, v)


@pytest.mark.parametrize(
    "changes",
    [
        {"medical_assistance.inpatient_ratio.dibao": float("nan")},
        {"medical_assistance.inpatient_ratio.dibao": float("inf")},
        {"medical_assistance.inpatient_ratio.dibao": "0.9"},
        {"medical_assistance.inpatient_ratio.dibao": [0.9]},
        {"medical_assistance.inpatient_ratio.dibao": {"value": 0.9, "source": 1}},
        {"medical_assistance.inpatient_ratio.dibao": {2025: float("nan")}},
        {"year": 10**30},
        {"categories": "none"},
        {"hospital_levels": {}},
        {"critical_illness.terms.bands": []},
        {".".join(["a"] * 60): 1},
        {"medical_assistance.inpatient_ratio.dibao.value.x": 1},
        {"flags.warning.0.threshold": -1},
        {"family_cap.cap.dibao": 1e400},
        {"²": None},  # found by fuzzing: "²".isdigit() made int() raise ValueError
        {"medical_assistance.inpatient_ratio.²": 0.5},
        # found by fuzzing: the projection section (typed Any) accepted inf
        {"projection.ranges.medical_cost_growth.1": float("inf")},
        {"population": {"x": float("nan")}},
    ],
)
def test_with_changes_explicit(changes):
    for scn in SCN.values():
        r = outcome("with_changes", scn.with_changes, changes, where=scn._where)
        assert isinstance(r, (Scenario, ScenarioError))


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_numbers_are_refused_everywhere(value):
    scn = SCN["linan_2024"]
    with pytest.raises(
        ScenarioError, match=r"projection\.ranges\.medical_cost_growth.*1: expected a finite number"
    ):
        scn.with_changes({"projection.ranges.medical_cost_growth.1": value})
