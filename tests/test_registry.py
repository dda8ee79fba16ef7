"""The registry of outputs and levers: every lever of every preset is labelled (zh and en) with a
unit and bounds; no label shown is a snake_case key; every summary figure is registered and printed
in its registry kind by the CLI, the app and the reports; the lists that used to be copied (payers,
public payers, funds, categories) are the registry's."""

from __future__ import annotations

import ast
import math
import re
import typing
from pathlib import Path

import numpy as np
import pytest

from simulation import ScenarioError, available_presets, generate_population, load_scenario, simulate
from simulation import registry as reg
from simulation.parameters import (
    CATEGORY_CODES,
    CATEGORY_LABELS,
    LEVER_UNITS,
    SCHEME_LABELS,
    SETTING_LABELS,
    Category,
    ScenarioModel,
)

NOT_LEVERS = ("year", "targets", "constraints", "population", "projection")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")  # a code identifier such as inpatient_ratio
PATHLIKE = re.compile(r"\b[a-z_]+\.[a-z_0-9]+")  # a dotted path such as medical_assistance.deductible
CJK = re.compile(r"[\u4e00-\u9fff]")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def presets():
    return {name: load_scenario(name) for name in available_presets()}


@pytest.fixture(scope="module")
def runs(presets):
    return {
        name: simulate(generate_population(scn, persons=2_000, seed=5), scn) for name, scn in presets.items()
    }


def _shown_labels(presets):
    """(key, label, lang) of every label the workbench shows for a lever, a tier, a figure or a code."""
    for scn in presets.values():
        for lv in scn.levers():
            yield lv.path, lv.label, "zh"
            yield lv.path, lv.label_en, "en"
            yield lv.tier, lv.tier_label, "zh"
            yield lv.tier, lv.tier_label_en, "en"
    for key, o in reg.OUTPUTS.items():
        yield key, o.label, "zh"
        yield key, o.label_en, "en"
    for table in (CATEGORY_LABELS, SETTING_LABELS, SCHEME_LABELS, reg.FUND_LABELS):
        for code, (zh, en) in table.items():
            yield code, zh, "zh"
            yield code, en, "en"


# ---------------------------------------------------------------------------- levers


@pytest.mark.parametrize("name", available_presets())
def test_every_lever_of_every_preset_has_labels_unit_and_bounds(presets, name):
    scn = presets[name]
    levers = scn.levers()
    leaves = {p for p, _ in scn.leaves() if p.split(".")[0] not in NOT_LEVERS}
    assert {lv.path for lv in levers} == leaves  # every policy parameter is a lever, nothing else
    missing = []
    for lv in levers:
        if not lv.label or not lv.label_en or lv.label in (lv.path, lv.label_en) or lv.label_en == lv.path:
            missing.append(f"{lv.path}: label {lv.label!r} / {lv.label_en!r}")
        if lv.label_en[:1].islower():  # a label standing alone reads in sentence case
            missing.append(f"{lv.path}: English label in lower case {lv.label_en!r}")
        if lv.unit not in LEVER_UNITS or (lv.kind != "switch" and not (lv.unit and lv.unit_en)):
            missing.append(f"{lv.path}: unit {lv.unit!r}")
        if not lv.tier_label or not lv.tier_label_en:
            missing.append(f"{lv.path}: tier {lv.tier!r} has no label")
    assert missing == []
    for lv in levers:
        assert (lv.kind == "switch") == isinstance(lv.value, bool), lv.path
        assert lv.kind == LEVER_UNITS[lv.unit][1] or lv.kind == "switch", lv.path
        lo, hi = lv.bounds
        if lv.kind == "rate":
            assert lv.unit == "%" and 0.0 <= lo <= hi <= 1.0, lv.path
        if lv.kind == "money":
            assert lo is not None and lo >= 0.0, lv.path
        if lv.kind != "switch":
            assert (lo is None or lv.value >= lo) and (hi is None or lv.value <= hi), lv.path
        assert lv.value == scn.get(lv.path)
        cite = scn.source(lv.path)
        assert (lv.source, lv.assumption) == (cite.get("source", ""), cite.get("assumption", ""))


def test_no_label_shown_is_a_snake_case_key(presets):
    bad = [
        (key, text)
        for key, text, lang in _shown_labels(presets)
        if not text
        or SNAKE.search(text)
        or PATHLIKE.search(text)
        or (text == key and not key.isalpha())  # English may say "households" for households
        or (lang == "zh" and not CJK.search(text))
    ]
    assert bad == []


def test_category_keyed_labels_compose_the_leaf_and_the_category(presets):
    lv = presets["linan_2024"].lever("medical_assistance.inpatient_ratio.dibao")
    assert lv.label == "住院救助比例（低保对象）"
    assert lv.label_en == "Inpatient assistance ratio (minimum-living-standard (dibao))"  # sentence case
    assert (lv.unit, lv.kind, lv.bounds, lv.tier_label) == ("%", "rate", (0.0, 1.0), "医疗救助")
    assert lv.titled() == "住院救助比例（低保对象）（%）" and lv.format() == "90%"
    cap = presets["linan_2024"].lever("family_cap.cap.dibao")
    assert cap.label == "家庭年度个人负担封顶线（低保对象）" and cap.unit == "元" and cap.kind == "money"
    assert cap.format(20_000.0) == "20,000 元" and cap.format(20_000.0, "en") == "20,000 yuan"
    # a hospital level, a scheme and a setting: 城乡居民医保住院报销比例（三级）
    lv = presets["linan_2024"].lever("basic_insurance.resident.inpatient.ratio.3")
    assert lv.label == "城乡居民医保住院报销比例（三级）" and lv.label_en.endswith("(level 3)")
    # a key the scenario file labels itself (premium_sharing's county classes, Bijie)
    lv = presets["bijie_2019"].lever("premium_sharing.shares.poverty.1")
    assert lv.label == "资助参保资金分担比例（第二类（贫困县），市级）"


def test_bounds_are_narrowed_by_the_scenarios_constraints(presets):
    scn = presets["bijie_2019"]
    path = "medical_assistance.inpatient_ratio.poverty_registered"
    assert scn.lever(path).bounds == tuple(scn.params.constraints[path])
    assert presets["linan_2024"].lever("basic_insurance.employee.retirement_age").bounds == (0, 120)


def test_levers_follow_changes_and_refuse_unknown_paths(presets):
    scn = presets["linan_2024"].with_changes({"medical_assistance.inpatient_ratio.dibao": 0.95})
    assert scn.lever("medical_assistance.inpatient_ratio.dibao").value == 0.95
    with pytest.raises(ScenarioError, match="not a lever"):
        scn.lever("population.insured")
    with pytest.raises(ScenarioError):
        scn.lever("medical_assistance.no_such")


def test_the_schema_carries_labels_units_and_bounds():
    schema = ScenarioModel.model_json_schema()
    prop = schema["$defs"]["MedicalAssistance"]["properties"]["inpatient_ratio"]
    assert (prop["label"], prop["label_en"], prop["unit"], prop["keys"]) == (
        "住院救助比例",
        "inpatient assistance ratio",
        "%",
        ["category"],
    )
    assert prop["additionalProperties"]["minimum"] == 0.0 and prop["additionalProperties"]["maximum"] == 1.0


# ---------------------------------------------------------------------------- outputs


def test_every_summary_figure_is_registered_with_its_kind_and_unit(runs):
    from app_pages import _common as app_common
    from simulation.cli import format_summary
    from simulation.report.data import build

    for name, res in runs.items():
        s = res.summary
        assert sorted(set(s) - set(reg.OUTPUTS)) == [], name
        lines = dict(line.split("\t") for line in format_summary(s, "zh").splitlines())
        for key, v in s.items():
            o = reg.output(key)
            assert o.kind in reg.KINDS and reg.metric_kind(key) == o.kind
            shown = lines[f"{o.label:<28}"]
            app_shown = reg.format_value(key, v, "zh")
            if o.kind == "money":
                assert shown.endswith(" 万元") and app_shown.endswith(("元", "万元", "亿元")), key
            elif o.kind == "rate":
                assert shown.endswith("%") and app_shown.endswith("%"), key
            else:  # households or persons: a weighted count, never yuan
                assert v >= 0 and not shown.endswith("元") and shown == reg.fmt_count(v), key
        # the identity: the payers the registry names, and oop, add up to the total cost
        assert sum(s[k] for k in reg.IDENTITY) == pytest.approx(s["total_cost"], rel=1e-9), name
        assert set(reg.PAID_COLUMNS) == {c for c in res.persons.columns if c.endswith("_paid")}
        assert app_common.fmt_figure("total_cost", s["total_cost"]) == reg.fmt_money(s["total_cost"])
    res = runs["linan_2024"]
    table = build(res, "zh").summary.set_index("key")
    for key in res.summary:
        assert table.at[key, "kind"] == reg.metric_kind(key)
        assert table.at[key, "label"] == reg.metric_label(key)


def test_lists_that_were_copied_are_the_registrys():
    from simulation import compare, result

    assert result.PAID_COLUMNS is reg.PAID_COLUMNS
    assert compare.PUBLIC_TIERS == reg.PUBLIC_PAYERS
    # the payers known today keep their order (a new tier's payer takes its place by its entry)
    assert _known(compare.PUBLIC_TIERS, PUBLIC) == PUBLIC
    assert _known(reg.PAID_COLUMNS, PAID) == PAID


PUBLIC = (
    "basic_paid",
    "critical_paid",
    "assistance_paid",
    "family_planning_paid",
    "other_paid",
    "cap_paid",
    "premium_subsidy",
)
PAID = (
    "basic_paid",
    "critical_paid",
    "mutual_aid_paid",
    "assistance_paid",
    "family_planning_paid",
    "supplement_paid",
    "other_paid",
    "cap_paid",
    "hospital_paid",
)


def _known(keys, known) -> tuple[str, ...]:
    return tuple(k for k in keys if k in known)


def test_lists_derived_from_the_registry():
    from app_pages import _charts, _common
    from simulation import compare, funds, labels
    from simulation.report import data

    assert ("total_cost", *reg.PAID_COLUMNS, "premium_subsidy", "oop") == compare.TIERS
    assert _charts.PAYERS == _common.PAYERS_SHOWN == reg.PAID_COLUMNS
    assert funds.FUNDS is reg.FUNDS and funds.FUND_LABELS is reg.FUND_LABELS
    assert data.CATEGORY_LABELS is CATEGORY_LABELS and data.SETTING_LABELS is SETTING_LABELS
    assert tuple(CATEGORY_LABELS) == CATEGORY_CODES == typing.get_args(Category)
    assert {k: (o.label, o.label_en) for k, o in reg.OUTPUTS.items()} == labels.METRICS


def test_every_payer_has_a_tier_a_settlement_and_its_arrays():
    """Each payer names the scenario section paying it (the explanation's tier and clause) and the
    settlement fields it is compared with; the payers of the person's year are what the year's
    pass returns, in settlement order, and each lands in the persons table, the claims and the
    settlements' apportionment."""
    from simulation.engine import run_year
    from simulation.settlements import EXACT_LEVELS, codes

    tiers = {k for k, _, _ in reg.tiers()}
    booked = [k for t in codes.TIERS for k in t.model]
    for k in reg.PAID_COLUMNS:
        o = reg.OUTPUTS[k]
        assert o.tier in tiers, k
        assert o.settlement in codes.TIER_KEYS and booked.count(k) == 1, k
        assert k in EXACT_LEVELS, k
    assert {"other_paid", "cap_paid"} <= set(reg.PERSON_PAYERS)
    assert set(reg.PERSON_PAYERS) <= set(reg.PAID_COLUMNS)
    scn = load_scenario("linan_2024")
    pop = generate_population(scn, persons=500, seed=3)
    y = run_year(pop, scn.params)
    assert tuple(y.payers) == reg.PERSON_PAYERS
    res = simulate(pop, scn)
    for k in reg.PERSON_PAYERS:
        np.testing.assert_array_equal(res.persons[k].to_numpy(), y.payers[k])
        assert k in res.claims.columns and k in res.claim_arrays()


def test_group_figures():
    cov = reg.coverage([10.0, 0.0, 5.0], [100.0, 0.0, 5.0])
    assert cov.tolist() == [0.9, 1.0, 0.0]  # a group without cost: nothing left unpaid
    share = reg.per([1.0, 2.0], [4.0, 0.0])
    assert share[0] == 0.25 and math.isnan(share[1])


def test_one_formatter_per_kind():
    assert reg.fmt_money(2.5e6) == "250.00 万元"
    assert reg.fmt_money(3.2e9) == "32.00 亿元"
    assert reg.fmt_money(512.4) == "512 元"
    assert reg.fmt_money(3.2e9, "en") == "¥3.20 bn" and reg.fmt_money(2.5e6, "en") == "¥2.50 m"
    assert reg.fmt_money(2.5e6, scale="wan", unit=False) == "250.00"
    assert reg.fmt_money(-2.5e6, "zh", "wan", signed=True) == "-250.00 万元"
    assert reg.fmt_money(2.5e6, "en", "yuan") == "2,500,000 yuan"
    assert reg.fmt_rate(0.9) == "90.0%" and reg.fmt_rate(0.7, 2) == "70.00%"
    assert reg.fmt_points(0.05) == "+5.0个百分点" and reg.fmt_points(-0.05, "en") == "-5.0 pp"
    assert reg.fmt_count(12_345.4) == "12,345"
    for f in (reg.fmt_money, reg.fmt_rate, reg.fmt_count):
        assert f(None) == "—" and f(float("nan")) == "—" and f(np.inf) == "—"
    assert reg.format_value("coverage_rate_poor", 0.9) == "90.0%"
    assert reg.format_value("warnings", 56.0) == "56" and reg.format_value("ltc_insured", 7.0) == "7"
    assert reg.format_value("total_cost", 2.5e6, "zh", scale="wan") == "250.00 万元"
    assert reg.format_change("coverage_rate_poor", 0.05) == "+5.0个百分点"
    assert reg.unit_label("money", "zh", "wan") == "万元" and reg.unit_label("persons", "en") == "persons"
    assert reg.metric_title("total_cost") == "医疗总费用（元）"
    assert reg.metric_title("coverage", "en") == "Coverage rate (%)"


def test_registry_sits_low_and_imports_no_package_module_inside_a_function():
    """registry.py imports the schema (and the citations' Chinese, a data file's reader) and nothing
    above it; no function-local imports."""
    tree = ast.parse((ROOT / "simulation" / "registry.py").read_text(encoding="utf-8"))
    own = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 0]
    assert {n.module for n in own} == {"parameters", "assumption_text"}
    top = set(tree.body)
    assert [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) and n not in top] == []


def test_no_non_zero_money_prints_as_zero_and_one_scale_per_chart():
    """2.13 万元 in 亿元 keeps its digits; a waterfall of 30 亿元 beside 2.13 万元 is drawn in 万元;
    the sign of an English amount stands before the currency."""
    assert reg.fmt_money(21_300, "zh", "yi") == "0.0002 亿元"
    assert reg.fmt_money(0.3) == "0.3 元" and reg.fmt_money(0.0) == "0 元"
    assert reg.fmt_money(-0.3, "en", signed=True) == "-¥0.3"
    assert reg.fmt_money(2.5e6, "en", signed=True) == "+¥2.50 m"
    assert reg.money_scale([3.07e9, 2.13e4, 0.0]) == "wan"
    assert reg.money_scale([3.07e9, 1.4e7]) == "yi"
    assert reg.money_scale([512.0, 80.0]) == "yuan" and reg.money_scale([]) == "yuan"
    for values in ([3.07e9, 2.13e4], [3.77e5], [1e8, 6e5], [900.0, 3.0]):
        scale = reg.money_scale(values)
        assert all(reg.fmt_money(v, "zh", scale, unit=False).strip("0.,") for v in values), (values, scale)


def test_calibration_figures_and_citations_have_labels():
    levels = {"3": ("三级", "level 3")}
    assert reg.calibration_figure("inpatient_cost_level_3", "zh", levels) == ("次均住院费用（三级）", "money")
    assert reg.calibration_figure("hospitalization_rate_employee") == ("住院率（职工）", "rate")
    assert reg.calibration_figure("category_share_dibao", "zh")[0] == "救助类别人口占比（低保对象）"
    assert reg.calibration_figure("top10_share_inpatient", "en")[1] == "rate"
    assert reg.calibration_figure("catastrophic_rate_ctp40")[0] == reg.metric_label("catastrophic_rate_ctp40")
    # every target of every preset has a label that is not its name
    from simulation import available_presets, load_scenario
    from simulation.population.spec import population_spec

    for name in available_presets():
        scn = load_scenario(name)
        for key in population_spec(scn).targets:
            for lang in ("zh", "en"):
                assert reg.calibration_figure(key, lang)[0] != key, (name, key)
    zh = reg.cite_text("", "Hangzhou employee outpatient pooling ratios (recalled)", "zh")
    assert zh.startswith("假设：") and "recalled" not in zh and "凭记忆" in zh
    assert reg.cite_text("national 2023 (V)", "", "zh") == "national 2023 （已核实）"
    assert reg.cite_text("", "", "en") == "(no citation recorded)"


def test_every_preset_has_a_name_in_both_languages():
    from simulation import available_presets, load_scenario

    names = {}
    for preset in available_presets():
        scn = load_scenario(preset)
        zh, en = scn.name_in("zh"), scn.name_in("en")
        assert zh and en and "_" not in zh + en and str(scn.year) in zh and zh != en, preset
        names[preset] = zh
    assert names["linan_2024"] == "临安 2024" and len(set(names.values())) == len(names)
