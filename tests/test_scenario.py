"""Scenario loading and validation: every bad input names the file, the dotted key and what was expected."""

import numbers

import pytest

from simulation import ScenarioError, available_presets, load_scenario, scenario_from_yaml

PRESETS = ["bijie_2019", "jiaxing_2025", "linan_2024", "shanghai_2023", "shuozhou_2021"]


def test_presets_are_all_there():
    assert set(PRESETS) <= set(available_presets())


@pytest.mark.parametrize("name", PRESETS)
def test_every_number_in_a_preset_cites_a_source_or_an_assumption(name):
    scn = load_scenario(name)
    uncited = []
    for path, value in scn.leaves():
        if path == "year" or path.startswith(("targets.", "constraints.", "population.", "projection.")):
            continue
        if not in_file(scn, path):  # a schema default, not a number the preset states
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Number):
            continue
        if not scn.source(path):
            uncited.append(path)
    assert not uncited, f"{name}: numbers without source or assumption: {uncited[:10]}"


@pytest.mark.parametrize("name", PRESETS)
def test_contract_paths_exist_in_every_preset(name):
    scn = load_scenario(name)
    cats = [c for c in scn.params.categories if c != "none"]
    for c in cats:
        assert f"medical_assistance.inpatient_ratio.{c}" in dict(scn.leaves())
        assert f"medical_assistance.outpatient_ratio.{c}" in dict(scn.leaves())


def in_file(scn, path):
    from simulation.scenario import _get

    try:
        _get(scn.raw, path.split("."))
    except KeyError:
        return False
    return True


def mutate(path, value, name="linan_2024"):
    return load_scenario(name).with_changes({path: value})


def test_with_changes_returns_a_validated_copy_and_keeps_the_source():
    base = load_scenario("linan_2024")
    reform = base.with_changes({"family_cap.cap.dibao": 20_000})
    assert reform.params.family_cap.cap["dibao"] == 20_000
    assert base.params.family_cap.cap["dibao"] == 30_000  # unchanged
    assert "临安" in reform.source("family_cap.cap.dibao")["source"]
    assert [d["path"] for d in base.diff(reform)] == ["family_cap.cap.dibao"]
    assert reform.changes == {"family_cap.cap.dibao": 20_000}


@pytest.mark.parametrize(
    "path,value,match",
    [
        (
            "medical_assistance.inpatient_ratio.dibao",
            1.5,
            r"medical_assistance\.inpatient_ratio\.dibao.*less than or equal to 1",
        ),
        ("family_cap.cap.dibao", -5, r"family_cap\.cap\.dibao.*greater than or equal to 0"),
        ("medical_assistance.inpatient_ratio.orphan", 0.9, r"category 'orphan' is used but not defined"),
        ("basic_insurance.resident.inpatient.ratio.4", 0.9, r"no such parameter"),
        (
            "basic_insurance.resident.inpatient.deductible",
            {"1": 1, "2": 2, "3": 3, "9": 4},
            r"hospital level '9' is not defined",
        ),
        ("critical_illness.terms.bands.1.upto", 10_000, r"bands.*ascending"),
        ("critical_illness.no_such_key", 1, r"no such parameter"),
        ("flags.catastrophic_threshold", "high", r"flags\.catastrophic_threshold.*valid number"),
    ],
)
def test_bad_changes_name_the_key(path, value, match):
    with pytest.raises(ScenarioError, match=match):
        mutate(path, value)


def test_unknown_key_in_a_file(tmp_path):
    text = load_scenario("linan_2024").to_yaml().replace("family_cap:\n", "family_cap:\n  capp: 1\n", 1)
    f = tmp_path / "bad.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.yaml: family_cap\.capp: unknown key"):
        load_scenario(f)


def test_round_trip_through_yaml(tmp_path):
    scn = load_scenario("bijie_2019").with_changes({"medical_assistance.inpatient_ratio.dibao": 0.8})
    f = scn.save(tmp_path / "edited.yaml")
    again = load_scenario(f)
    assert again.params == scn.params
    assert again.source("medical_assistance.inpatient_ratio.dibao") == scn.source(
        "medical_assistance.inpatient_ratio.dibao"
    )


def test_python_object_tags_are_refused():
    with pytest.raises(ScenarioError, match="not valid YAML"):
        scenario_from_yaml("id: !!python/object/apply:os.system ['echo hacked']\n", "evil.yaml")


def test_alias_bomb_is_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    with pytest.raises(ScenarioError, match="alias"):
        scenario_from_yaml(bomb, "bomb.yaml")


def test_missing_file_and_non_mapping():
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario("nowhere_2030")
    with pytest.raises(ScenarioError, match="expected a mapping"):
        scenario_from_yaml("- 1\n- 2\n", "list.yaml")


def test_value_phased_in_by_year():
    scn = load_scenario("jiaxing_2025").with_changes(
        {"medical_assistance.inpatient_ratio.dibian": {2025: 0.80, 2026: 0.85, 2027: 0.90}}
    )
    assert scn.for_year(2025).medical_assistance.inpatient_ratio["dibian"] == 0.80
    assert scn.for_year(2026).medical_assistance.inpatient_ratio["dibian"] == 0.85
    assert scn.for_year(2030).medical_assistance.inpatient_ratio["dibian"] == 0.90
    with pytest.raises(ScenarioError, match=r"values for 2026.*dibian"):
        scn.with_changes({"medical_assistance.inpatient_ratio.dibian": {2025: 0.8, 2026: 1.2}})


def test_non_ascii_digit_in_a_path_is_a_scenario_error():
    # found by the long fuzz profile: '²'.isdigit() is True but int('²') fails
    with pytest.raises(ScenarioError, match="no such parameter"):
        load_scenario("shanghai_2023").with_changes({"²": None})


def _written(raw, path: str) -> bool:
    node = raw
    for key in path.split("."):
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return False
    return True


@pytest.mark.parametrize(
    "name", ["shanghai_2023", "linan_2024", "bijie_2019", "shuozhou_2021", "jiaxing_2025"]
)
def test_every_written_leaf_is_cited(name):
    """Issue 22 item 17: every value a preset writes (numbers, switches that move money, category
    lists with a value), in the policy sections and in `targets`, `constraints`, `projection` and the
    generator's `population` alike, carries a `source:` or an `assumption:`; a bare leaf fails. Only
    the scenario's own `year` needs none."""
    scn = load_scenario(name)
    written = [path for path, _ in scn.leaves() if path != "year" and _written(scn.raw, path)]
    bare = [path for path in written if not scn.source(path)]
    assert bare == [], f"{name}: leaves without source or assumption: {bare}"


def test_scenario_errors_carry_their_problems():
    """ScenarioError.problems says what was wrong (path, type, bounds, value) for an interface to
    word in its own language; the message says the same in English."""
    from simulation import ScenarioError, load_scenario, scenario_from_yaml

    scn = load_scenario("linan_2024")
    path = "medical_assistance.inpatient_ratio.dibao"
    with pytest.raises(ScenarioError) as e:
        scn.with_changes({path: 7})
    assert e.value.problems == [{"path": path, "type": "less_than_equal", "ctx": {"le": 1.0}, "input": 7}]
    with pytest.raises(ScenarioError) as e:
        scn.with_changes({"no.such": 1})
    assert e.value.problems[0]["type"] == "unknown_path" and "no such parameter" in str(e.value)
    with pytest.raises(ScenarioError) as e:
        scenario_from_yaml("id: [\n  - {a: *x", "bad.yaml")
    assert e.value.problems[0]["type"] == "yaml_syntax"
