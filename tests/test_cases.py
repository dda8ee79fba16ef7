"""Hand cases as data: every `tests/cases/<dir>/<topic>.yaml`, one pytest item per case.

A directory named after a preset (`scenarios/<preset>.yaml`) holds simulation cases: persons and
claims (defaults as `tests.conftest.person` / `claim`), optional scenario `changes`, and the figures
of the Result the clause fixes. Any other directory is a tier: its files name a `rule:` (the dotted
import path of a function) and their cases give the rule's `inputs:` (keyword arguments) and
`outputs:`. A preset directory may hold rule files too; their inputs may then read the preset's
parameters, as `{scenario: dotted.path}`, and such a file may also hold families (a case with
`persons:` runs through `simulate`), so one clause's rule cases and families sit in one file.

    changes: {dotted.path: value}         # optional, preset directories: before each case's own
    rule: package.module.function         # rule files only
    returns: name | [name, ...]           # optional, rule files: names of a scalar or tuple result
                                          # (default `result`; a dataclass is read by its fields)
    cases:
      - name: dibao household 40000 gets 10000     # the id: <dir>/<file stem>::<name>
        clause: 临安 封顶制方案 二(三)
        changes: {family_cap.negative_list_share: 0.1}
        persons: [{person_id: 1, category: dibao}]
        claims: [{person_id: 1, total_cost: 40_000}]
        expect:
          persons: {1: {cap_paid: 10_000}}         # by person_id
          households: {1: {category: dibao}}       # by household_id
          claims: {0: {basic_paid: 8_910}}         # by row of Result.claims (by person, then month)
          summary: {warnings: 3}
          funds: {long_term_care: {income: 600}}   # the scenario year's row of each fund
        rel: 0                                     # optional, pytest.approx's tolerance for the case;
        abs: 0                                     # a figure may carry its own: {value: 0, abs: 0}

Numbers compare with `pytest.approx` (its default tolerance unless the case or figure says
otherwise; `abs: 0` alone is exact), booleans and text exactly. A file that does not follow this
layout (an unknown key, a misplaced file, a rule's unknown argument) is refused at collection with
the file and the case named, so a typo cannot turn a case into one that checks nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from simulation import available_presets, load_scenario, simulate
from simulation.population.model import CLAIM_COLUMNS, CLAIM_OPTIONAL, PERSON_COLUMNS, PERSON_OPTIONAL
from tests.conftest import claim, person, population

CASES_DIR = Path(__file__).parent / "cases"

FILE_KEYS = {"changes", "rule", "returns", "cases"}
SIMULATION_KEYS = {"name", "clause", "changes", "persons", "claims", "expect", "rel", "abs"}
RULE_KEYS = {"name", "clause", "inputs", "outputs", "rel", "abs"}
EXPECT_KEYS = ("persons", "households", "claims", "summary", "funds")
FIGURE_KEYS = {"value", "rel", "abs"}
PERSON_KEYS = set(PERSON_COLUMNS) | set(PERSON_OPTIONAL)
CLAIM_KEYS = set(CLAIM_COLUMNS) | set(CLAIM_OPTIONAL)
# the case files use the population's column names; tests.conftest.claim takes shorter ones
CLAIM_ARGS = {"hospital_level": "level", "total_cost": "total", "policy_cost": "policy"}


class CaseFileError(ValueError):
    """A case file that does not follow the layout above."""


class _Loader(yaml.SafeLoader):
    """safe_load, refusing a key written twice in one mapping (YAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark, f"key {key!r} twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


@dataclasses.dataclass(frozen=True)
class Case:
    id: str  # <dir>/<file stem>::<name>
    path: Path
    clause: str
    data: dict  # the case's own mapping, validated
    preset: str | None  # the directory's preset; None in a tier directory
    changes: tuple[dict, ...]  # the file's changes, then the case's
    rule: Any = None  # the function of a rule case
    returns: str | list[str] = "result"

    def __str__(self) -> str:
        return self.id


# ---------------------------------------------------------------------------------------- loading
def discover(root: Path = CASES_DIR) -> list[Case]:
    """Every case under `root`; case files sit exactly one directory deep."""
    cases: list[Case] = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".yaml", ".yml"):
            if path.suffix != ".yaml" or path.parent.parent != root:
                raise CaseFileError(f"{path}: case files are {root}/<preset or tier>/<topic>.yaml")
            cases += load_case_file(path)
    return cases


def load_case_file(path: Path) -> list[Case]:
    """The validated cases of one file; raises CaseFileError naming the file and the case."""
    where = f"{path.parent.name}/{path.name}"
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as e:
        raise CaseFileError(f"{where}: not valid YAML: {e}") from None
    _keys(doc, FILE_KEYS, where, required=("cases",))
    preset = path.parent.name if path.parent.name in available_presets() else None
    rule = doc.get("rule")
    if rule is None and preset is None:
        raise CaseFileError(
            f"{where}: '{path.parent.name}' is not a preset ({', '.join(available_presets())}), "
            "so the file is a tier's and needs a rule: (a dotted import path)"
        )
    if "returns" in doc and rule is None:
        raise CaseFileError(f"{where}: returns: names a rule's result; the file has no rule:")
    returns = doc.get("returns", "result")
    if not (
        isinstance(returns, str) or isinstance(returns, list) and all(isinstance(r, str) for r in returns)
    ):
        raise CaseFileError(f"{where}: returns: must be a name or a list of names")
    if "changes" in doc and preset is None:
        raise CaseFileError(f"{where}: changes: need a preset directory")
    func = None if rule is None else _import(rule, where)
    file_changes = _mapping(doc.get("changes", {}), f"{where}: changes")
    items = doc["cases"]
    if not isinstance(items, list) or not items:
        raise CaseFileError(f"{where}: cases: must be a non-empty list")
    cases, names = [], set()
    for i, data in enumerate(items):
        label = f"{where}: case {i + 1}"
        if isinstance(data, dict) and isinstance(data.get("name"), str) and data["name"].strip():
            label = f"{where}: case '{data['name']}'"
        # a preset's file naming a rule may hold families too: a case with persons is a simulation's
        family = preset is not None and isinstance(data, dict) and "persons" in data
        is_rule = func is not None and not family
        _keys(data, RULE_KEYS if is_rule else SIMULATION_KEYS, label, required=("name", "clause"))
        name, clause = data["name"], data["clause"]
        for key, value in (("name", name), ("clause", clause)):
            if not isinstance(value, str) or not value.strip():
                raise CaseFileError(f"{label}: {key}: must be non-empty text")
        if name in names:
            raise CaseFileError(f"{label}: a second case of that name in the file")
        names.add(name)
        _tolerances(data, label)
        if is_rule:
            _check_rule_case(data, func, preset, label)
        else:
            _check_simulation_case(data, label)
        changes = tuple(c for c in (file_changes, _mapping(data.get("changes", {}), label)) if c)
        cases.append(
            Case(
                id=f"{path.parent.name}/{path.stem}::{name}",
                path=path,
                clause=clause,
                data=data,
                preset=preset,
                changes=changes,
                rule=func if is_rule else None,
                returns=returns,
            )
        )
    return cases


def _keys(d: Any, allowed: set[str], where: str, required: tuple[str, ...] = ()) -> None:
    if not isinstance(d, dict):
        raise CaseFileError(f"{where}: expected a mapping, got {type(d).__name__}")
    unknown = sorted(str(k) for k in d if k not in allowed)
    if unknown:
        raise CaseFileError(f"{where}: unknown key '{unknown[0]}' (allowed: {', '.join(sorted(allowed))})")
    missing = [k for k in required if k not in d]
    if missing:
        raise CaseFileError(f"{where}: missing key '{missing[0]}'")


def _mapping(d: Any, where: str) -> dict:
    if not isinstance(d, dict) or not all(isinstance(k, str) for k in d):
        raise CaseFileError(f"{where}: expected a mapping of dotted path -> value")
    return d


def _tolerances(d: dict, where: str) -> None:
    for key in ("rel", "abs"):
        v = d.get(key, 0)
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
            raise CaseFileError(f"{where}: {key}: must be a number ≥ 0")


def _check_simulation_case(data: dict, where: str) -> None:
    _keys(data, SIMULATION_KEYS, where, required=("persons", "expect"))
    persons, claims = data["persons"], data.get("claims", [])
    if not isinstance(persons, list) or not persons:
        raise CaseFileError(f"{where}: persons: must be a non-empty list")
    if not isinstance(claims, list):
        raise CaseFileError(f"{where}: claims: must be a list")
    for kind, rows, allowed in (("persons", persons, PERSON_KEYS), ("claims", claims, CLAIM_KEYS)):
        for i, row in enumerate(rows):
            _keys(row, allowed, f"{where}: {kind}[{i}]", required=("person_id",))
    expect = data["expect"]
    _keys(expect, set(EXPECT_KEYS), f"{where}: expect")
    if not expect:
        raise CaseFileError(f"{where}: expect: names no figure")
    for section, rows in expect.items():
        if section == "summary":
            _figures(rows, f"{where}: expect.summary")
            continue
        if not isinstance(rows, dict) or not rows:
            raise CaseFileError(f"{where}: expect.{section}: must be a non-empty mapping")
        for key, figures in rows.items():
            _figures(figures, f"{where}: expect.{section}[{key}]")


def _check_rule_case(data: dict, func, preset: str | None, where: str) -> None:
    _keys(data, RULE_KEYS, where, required=("inputs", "outputs"))
    inputs = data["inputs"]
    _mapping(inputs, f"{where}: inputs")
    for arg, value in inputs.items():
        if isinstance(value, dict) and "scenario" in value:
            _keys(value, {"scenario"}, f"{where}: inputs.{arg}")
            if preset is None:
                raise CaseFileError(
                    f"{where}: inputs.{arg}: a {{scenario: ...}} input needs a preset directory"
                )
    params = inspect.signature(func).parameters
    unknown = [arg for arg in inputs if arg not in params]
    if unknown:
        raise CaseFileError(
            f"{where}: inputs: unknown argument '{unknown[0]}' (the rule takes {', '.join(params)})"
        )
    try:
        inspect.signature(func).bind(**inputs)
    except TypeError as e:
        raise CaseFileError(f"{where}: inputs: {e}") from None
    _figures(data["outputs"], f"{where}: outputs")


def _figures(figures: Any, where: str) -> None:
    if not isinstance(figures, dict) or not figures:
        raise CaseFileError(f"{where}: must be a non-empty mapping of name -> expected value")
    for name, spec in figures.items():
        if isinstance(spec, dict):
            _keys(spec, FIGURE_KEYS, f"{where}.{name}", required=("value",))
            _tolerances(spec, f"{where}.{name}")
            spec = spec["value"]
        if not isinstance(spec, bool | int | float | str):
            raise CaseFileError(f"{where}.{name}: expected a number, a boolean or text")


def _import(dotted: Any, where: str):
    if not isinstance(dotted, str) or "." not in dotted:
        raise CaseFileError(f"{where}: rule: must be a dotted import path (package.module.function)")
    module, _, attr = dotted.rpartition(".")
    try:
        func = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise CaseFileError(f"{where}: rule: {dotted}: {e}") from None
    if not callable(func):
        raise CaseFileError(f"{where}: rule: {dotted} is not a function")
    return func


# ---------------------------------------------------------------------------------------- running
@functools.cache
def _preset(name: str):
    return load_scenario(name)


def scenario_of(case: Case):
    scn = _preset(case.preset)
    for changes in case.changes:
        scn = scn.with_changes(changes)
    return scn


def build_population(case: Case):
    persons = []
    for row in case.data["persons"]:
        fields = {k: v for k, v in row.items() if k not in ("person_id", "household_id")}
        persons.append(person(row["person_id"], row.get("household_id"), **fields))
    claims = []
    for row in case.data.get("claims", []):
        fields = {CLAIM_ARGS.get(k, k): v for k, v in row.items() if k != "person_id"}
        claims.append(claim(row["person_id"], **fields))
    return population(persons, claims)


def mismatches(case: Case) -> list[str]:
    """Each figure of the case that differs from what was computed, as `where = actual, expected …`."""
    out: list[str] = []
    if case.rule is not None:
        scn = scenario_of(case) if case.preset else None
        kwargs = {}
        for arg, value in case.data["inputs"].items():
            if isinstance(value, dict) and "scenario" in value:
                value = functools.reduce(getattr, value["scenario"].split("."), scn.params)
            kwargs[arg] = value
        named = _named(case.rule(**kwargs), case.returns)
        _compare(out, case, "outputs", case.data["outputs"], named.__getitem__)
        return out
    res = simulate(build_population(case), scenario_of(case))
    expect = case.data["expect"]
    tables = {"persons": res.persons, "households": res.households, "claims": res.claims}
    for section in ("persons", "households", "claims"):
        for key, figures in expect.get(section, {}).items():
            table = tables[section]
            _compare(out, case, f"{section}[{key}]", figures, lambda col, t=table, k=key: t.loc[k, col])
    if "summary" in expect:
        _compare(out, case, "summary", expect["summary"], res.summary.__getitem__)
    if "funds" in expect:
        f = res.funds
        year = f[f["year"] == res.scenario.year].set_index("fund")
        for fund, figures in expect["funds"].items():
            _compare(out, case, f"funds[{fund}]", figures, lambda col, fund=fund: year.loc[fund, col])
    return out


def _named(value: Any, returns: str | list[str]) -> dict:
    if dataclasses.is_dataclass(value):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(returns, list):
        return dict(zip(returns, value, strict=True))
    return {returns: value}


def _compare(out: list[str], case: Case, where: str, figures: dict, get) -> None:
    for name, spec in figures.items():
        rel, abs_ = case.data.get("rel"), case.data.get("abs")
        if isinstance(spec, dict):
            rel, abs_, spec = spec.get("rel"), spec.get("abs"), spec["value"]
        try:
            actual = get(name)
        except KeyError:
            out.append(f"{where}.{name}: not in the result")
            continue
        if isinstance(spec, bool):
            ok, shown = isinstance(actual, bool | np.bool_) and bool(actual) == spec, repr(spec)
        elif isinstance(spec, str):
            ok, shown = actual == spec, repr(spec)
        else:
            target = pytest.approx(spec, rel=rel, abs=abs_)
            ok, shown = actual == target, repr(target)
        if not ok:
            actual = actual.item() if isinstance(actual, np.generic) else actual
            out.append(f"{where}.{name} = {actual!r}, expected {shown}")


def check(case: Case) -> None:
    """Fail with every differing figure, the case's clause and its file."""
    bad = mismatches(case)
    if bad:
        lines = "\n  ".join(bad)
        pytest.fail(f"{case.id} ({case.clause}; {case.path.name}):\n  {lines}", pytrace=False)


CASES = discover()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case(case: Case) -> None:
    check(case)


# ------------------------------------------------------------------------------ the runner itself
def test_every_preset_has_cases():
    # the runner cannot pass by finding nothing: the moved hand cases are all here, ids unique
    assert len(CASES) >= 50
    dirs = {c.id.split("/")[0] for c in CASES}
    assert set(available_presets()) <= dirs
    assert len({c.id for c in CASES}) == len(CASES)


GOOD = """\
changes: {supplement.enabled: false, family_cap.negative_list_share: 0.0}
cases:
  - name: dibao household 40000 gets 10000
    clause: 临安 封顶制方案 二(三)
    persons: [{person_id: 1, category: dibao}]
    claims: [{person_id: 1, total_cost: 40_000}]
    expect:
      persons: {1: {cap_paid: %s}}
"""


def _write(tmp_path: Path, directory: str, text: str) -> Path:
    path = tmp_path / directory / "topic.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_wrong_expected_value_fails_and_names_the_figure_and_clause(tmp_path):
    (right,) = load_case_file(_write(tmp_path, "linan_2024", GOOD % "10_000"))
    check(right)  # 40,000 − 30,000 above the 低保 cap
    (wrong,) = load_case_file(_write(tmp_path, "linan_2024", GOOD % "10_001"))
    with pytest.raises(pytest.fail.Exception) as e:
        check(wrong)
    message = str(e.value)
    assert "linan_2024/topic::dibao household 40000 gets 10000" in message
    assert "临安 封顶制方案 二(三)" in message
    assert "persons[1].cap_paid = " in message and "expected 10001" in message


def test_a_wrong_rule_output_fails(tmp_path):
    text = """\
rule: simulation.rules.flags.oop_share
cases:
  - name: share
    clause: 沪府办规〔2022〕19号 四
    inputs: {oop: 20_000.0, income: 50_000.0}
    outputs: {result: %s}
"""
    (right,) = load_case_file(_write(tmp_path, "flags", text % "0.4"))
    check(right)
    (wrong,) = load_case_file(_write(tmp_path, "flags", text % "0.5"))
    with pytest.raises(pytest.fail.Exception, match=r"outputs\.result = .*expected 0\.5"):
        check(wrong)


def test_a_preset_file_holds_a_rules_cases_and_families(tmp_path):
    """One clause's cases in one file: a preset's file naming a rule runs its rule cases through the
    rule and its families (persons:) through simulate; a wrong value fails in either."""
    rule_case = """\
rule: simulation.rules.family_cap.household_cap_payment
cases:
  - name: the cap's payment
    clause: 临安 封顶制方案 二(三)
    inputs: {counted: 40_000.0, cap: 30_000.0, share: 1.0}
    outputs: {result: %s}
"""
    changes, family = GOOD.split("cases:\n", 1)
    text = changes + rule_case + family
    rule_right, family_right = load_case_file(_write(tmp_path, "linan_2024", text % ("10_000", "10_000")))
    assert rule_right.rule is not None and family_right.rule is None
    check(rule_right)  # 40,000 − 30,000
    check(family_right)
    with pytest.raises(pytest.fail.Exception, match=r"cap_paid = "):
        check(load_case_file(_write(tmp_path, "linan_2024", text % ("10_000", "10_001")))[1])
    with pytest.raises(pytest.fail.Exception, match=r"outputs\.result = "):
        check(load_case_file(_write(tmp_path, "linan_2024", text % ("10_001", "10_000")))[0])
    # a tier's directory has no preset to simulate: a family there is refused
    with pytest.raises(CaseFileError, match=r"family_cap/topic.yaml: .*changes: need a preset directory"):
        load_case_file(_write(tmp_path, "family_cap", text % ("10_000", "10_000")))
    with pytest.raises(CaseFileError, match=r"family_cap/topic.yaml: case 'dibao household.*unknown key"):
        load_case_file(_write(tmp_path, "family_cap", rule_case % "10_000" + family % "10_000"))


@pytest.mark.parametrize(
    "directory,old,new,message",
    [
        ("linan_2024", "expect:", "expct:", r"case 'dibao household.*unknown key 'expct'"),
        ("linan_2024", "clause:", "clauses:", r"case 'dibao household.*unknown key 'clauses'"),
        ("linan_2024", "category: dibao", "categroy: dibao", r"persons\[0\]: unknown key 'categroy'"),
        ("linan_2024", "total_cost:", "total:", r"claims\[0\]: unknown key 'total'"),
        ("linan_2024", "persons: {1:", "person: {1:", r"expect: unknown key 'person'"),
        ("linan_2024", "cap_paid: 10_000", "cap_paid: {value: 10_000, tol: 1}", r"unknown key 'tol'"),
        ("linan_2024", "cases:", "rules: x\ncases:", r"unknown key 'rules'"),
        ("linan_2025", "cases:", "cases:", r"'linan_2025' is not a preset"),
        ("linan_2024", "cap_paid: 10_000", "cap_paid: 10_000, cap_paid: 1", r"key 'cap_paid' twice"),
    ],
)
def test_a_case_file_with_an_unknown_key_is_refused(tmp_path, directory, old, new, message):
    path = _write(tmp_path, directory, (GOOD % "10_000").replace(old, new, 1))
    with pytest.raises(CaseFileError, match=f"(?s){directory}/topic.yaml: .*{message}"):
        load_case_file(path)


def test_a_rule_case_is_checked_against_the_signature(tmp_path):
    text = """\
rule: simulation.rules.flags.oop_share
cases:
  - name: share
    clause: 沪府办规〔2022〕19号 四
    inputs: {oop: 1.0, incme: 2.0}
    outputs: {result: 0.5}
"""
    with pytest.raises(
        CaseFileError, match=r"flags/topic\.yaml: case 'share': inputs: unknown argument 'incme'"
    ):
        load_case_file(_write(tmp_path, "flags", text))


def test_misplaced_files_are_refused(tmp_path):
    _write(tmp_path, "linan_2024", GOOD % "10_000").rename(tmp_path / "linan_2024" / "topic.yml")
    with pytest.raises(CaseFileError, match=r"case files are"):
        discover(tmp_path)
