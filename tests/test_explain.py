"""`simulation.explain`: one family step by step, from the same rule functions as `simulate`.

The property test runs every preset's generated population through `simulate` (compiled) and
explains at least 200 of its households (`Result.explain`: the Python source of the same loops and
rules, traced): per member and payer, the steps sum to `simulate`'s column to 0.01 yuan; the members'
totals, the family's OOP and the flags are `simulate`'s; every payer the run pays is met in the
sample. The hand case below checks the words and the clause of each step."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from simulation import (
    PopulationError,
    WorkbenchError,
    available_presets,
    explain,
    generate_population,
    kernels,
    load_scenario,
    simulate,
)
from simulation.explain import ExplainError, family_population, typical_families
from simulation.projection import project
from simulation.registry import PAID_COLUMNS

HOUSEHOLDS = 200  # random households with some cost, per preset
PER_PAYER = 8  # and up to this many more paid by each payer (so every tier is met)


def _sample(res, rng) -> np.ndarray:
    h = res.household_arrays()
    ids = h["household_id"]
    with_cost = ids[h["total_cost"] > 0]
    pick = list(rng.choice(with_cost, size=min(HOUSEHOLDS, len(with_cost)), replace=False))
    pa = res.person_arrays()
    for col in (*PAID_COLUMNS, "oop"):
        paid = np.unique(ids[pa["household"][pa[col] > 0]])
        pick += list(rng.permutation(paid)[:PER_PAYER])
    for flag in ("warning", "expenditure_poor", "catastrophic", "newly_identified"):
        pick += list(rng.permutation(ids[h[flag]])[:PER_PAYER])
    return np.array(list(dict.fromkeys(pick)))


@pytest.mark.parametrize("preset", available_presets())
def test_explanation_equals_simulate_for_random_households(preset):
    scn = load_scenario(preset)
    pop = generate_population(scn, persons=3000, seed=11)
    res = simulate(pop, scn)
    persons, households = res.persons, res.households
    pick = _sample(res, np.random.default_rng(23))
    assert len(pick) >= HOUSEHOLDS
    met: set[str] = set()
    t0 = time.perf_counter()
    for hid in pick:
        ex = res.explain(hid)
        mine = persons[persons["household_id"] == hid]
        totals = ex.step_totals()
        assert list(totals.index) == list(mine.index), hid
        cols = [*PAID_COLUMNS, "oop"]
        gap = (totals[cols] - mine[cols]).abs().to_numpy().max()
        assert gap <= 0.01, (preset, hid, (totals[cols] - mine[cols]).abs().max().to_dict())
        gap = (
            ex.members[[*cols, "total_cost", "premium_subsidy"]]
            - mine[[*cols, "total_cost", "premium_subsidy"]]
        )
        assert gap.abs().to_numpy().max() <= 0.01, (preset, hid)
        # the identity, step by step: every payer's steps and the OOP make the total cost
        assert abs(ex.steps.loc[ex.steps["payer"] != "oop", "amount"].sum() + ex.family["oop"]
                   - ex.family["total_cost"]) <= 0.01  # fmt: skip
        if len(ex.steps):
            assert abs(ex.steps["remaining"].iloc[-1] - ex.family["oop"]) <= 0.01
        hh = households.loc[hid]
        assert abs(ex.family["oop"] - hh["oop"]) <= 0.01
        fired = {f.key: f.fired for f in ex.flags}
        for key in ("warning", "expenditure_poor", "catastrophic"):
            assert fired[key] == bool(hh[key]), (preset, hid, key)
        if "newly_identified" in fired:
            assert fired["newly_identified"] == bool(hh["newly_identified"])
        met |= set(ex.steps.loc[ex.steps["amount"] > 0, "payer"])
        assert ex.steps["clause"].loc[ex.steps["payer"] != "oop"].str.len().gt(0).all(), (preset, hid)
    paid_in_run = {c for c in PAID_COLUMNS if (persons[c] > 0).any()}
    assert paid_in_run <= met, (preset, sorted(paid_in_run - met))
    # the Python tracer is slow: a budget the property test keeps (measured ~0.03 s a household)
    seconds = time.perf_counter() - t0
    assert seconds < 60, f"{preset}: {len(pick)} households explained in {seconds:.1f} s"


def test_the_tracer_leaves_the_compiled_loops_in_place():
    before = {k: v for k, v in vars(kernels).items()}
    scn = load_scenario("linan_2024")
    explain(scn, HAND_PERSONS, HAND_CLAIMS)
    assert {k: v for k, v in vars(kernels).items()} == before


# A 低保 resident of Lin'an, one level-3 admission of 100,000 yuan, 80,000 inside the catalogue.
#   basic:       deductible 1,000, 65%:               0.65 × 79,000                      = 51,350
#   大病 (tilt):  base 80,000 − 51,350 = 28,650; threshold 20,000 × 0.5 = 10,000; 60%+5 = 65%:
#                0.65 × (28,650 − 10,000)                                                = 12,122.5
#   西湖益联保:   enrolled by the state (低保); policy left 28,650 − 12,122.5 = 16,527.5,
#                outside 20,000 takes the whole deductible 20,000 first: 0.7 × 16,527.5 = 11,569.25
#   assistance:  base min(28,650 − 12,122.5 − 11,569.25, 16,527.5 − 11,569.25) = 4,958.25 × 90%
#                                                                                         = 4,462.425
#   OOP:         100,000 − 51,350 − 12,122.5 − 11,569.25 − 4,462.425                   = 20,495.825
#   cap:         counted 20,495.825 × (1 − 5% negative list) = 19,471.03 < 30,000: nothing
HAND_PERSONS = [{"person_id": 1, "age": 50, "scheme": "resident", "category": "dibao", "income": 9000}]
HAND_CLAIMS = [{"person_id": 1, "setting": "inpatient", "hospital_level": 3, "total_cost": 100_000,
                "policy_cost": 80_000}]  # fmt: skip


def test_hand_case_steps_words_and_clauses():
    ex = explain("linan_2024", HAND_PERSONS, HAND_CLAIMS)
    s = ex.steps.set_index("payer")
    assert s.loc["basic_paid", "amount"] == pytest.approx(51_350)
    assert s.loc["basic_paid", "claim"] == 1
    assert "起付线 1,000 元" in s.loc["basic_paid", "rule"] and "65%" in s.loc["basic_paid", "rule"]
    assert "deductible 1,000 yuan" in s.loc["basic_paid", "rule_en"]
    assert s.loc["critical_paid", "amount"] == pytest.approx(12_122.5)
    assert "10,000" in s.loc["critical_paid", "rule"] and "65%" in s.loc["critical_paid", "rule"]
    assert "医保发〔2018〕18号" in s.loc["critical_paid", "clause"]  # the tilt's citation
    assert s.loc["supplement_paid", "amount"] == pytest.approx(11_569.25)
    assert s.loc["assistance_paid", "amount"] == pytest.approx(4_462.425)
    assert "90%" in s.loc["assistance_paid", "rule"]
    assert s.loc["assistance_paid", "base"] == pytest.approx(4_958.25)
    assert s.loc["oop", "amount"] == pytest.approx(20_495.825)
    assert ex.family["oop"] == pytest.approx(20_495.825)
    assert s.loc["cap_paid", "amount"] == 0 and "未超过封顶线" in s.loc["cap_paid", "rule"]
    assert "19,471.03" in s.loc["cap_paid", "rule"]  # 20,495.825 less the 5% negative list
    # remaining: what the family still bears after each step
    assert list(ex.steps["remaining"].round(3)) == [48_650, 36_527.5, 24_958.25, 20_495.825, 20_495.825,
                                                    20_495.825]  # fmt: skip
    flags = {f.key: f for f in ex.flags}
    assert flags["catastrophic"].fired and "10%" in flags["catastrophic"].why
    assert flags["warning"].fired and "20,000" in flags["warning"].why  # 社会救助对象 ≥ 20,000
    assert "临安 封顶制方案 三(一)" in flags["warning"].clause


def test_cap_step_shares_the_household_payment():
    # two 低保 members, both with large bills: the household cap (30,000) pays above it, split in
    # proportion to what each counted; the steps of cap_paid sum to simulate's
    persons = [
        {
            "person_id": 1,
            "household_id": 5,
            "age": 60,
            "scheme": "resident",
            "category": "dibao",
            "income": 8000,
        },
        {
            "person_id": 2,
            "household_id": 5,
            "age": 58,
            "scheme": "resident",
            "category": "dibao",
            "income": 6000,
        },
    ]
    claims = [
        {
            "person_id": 1,
            "setting": "inpatient",
            "hospital_level": 3,
            "total_cost": 300_000,
            "policy_cost": 150_000,
        },
        {
            "person_id": 2,
            "setting": "inpatient",
            "hospital_level": 3,
            "total_cost": 200_000,
            "policy_cost": 90_000,
        },
    ]
    ex = explain("linan_2024", persons, claims)
    caps = ex.steps[ex.steps["payer"] == "cap_paid"]
    assert len(caps) == 2 and (caps["amount"] > 0).all()
    assert "30,000" in caps["rule"].iloc[0] and "临安 封顶制方案 二(三)" in caps["clause"].iloc[0]
    res = simulate(family_population(persons, claims), load_scenario("linan_2024"))
    assert caps["amount"].sum() == pytest.approx(res.persons["cap_paid"].sum(), abs=0.01)


def test_baseline_and_difference_per_step():
    scn = load_scenario("linan_2024")
    reform = scn.with_changes({"medical_assistance.inpatient_ratio.dibao": 0.95})
    ex = explain(reform, HAND_PERSONS, HAND_CLAIMS, baseline="linan_2024")
    assert ex.baseline is not None
    d = ex.difference.set_index("key")
    assert d.loc["assistance", "difference"] == pytest.approx(0.05 * 4_958.25)
    assert d.loc["basic:1", "difference"] == 0
    assert d.loc["oop", "difference"] == pytest.approx(-0.05 * 4_958.25)


@pytest.mark.parametrize(
    ("persons", "claims", "needle"),
    [
        (HAND_PERSONS, [{**HAND_CLAIMS[0], "policy_cost": 120_000}], "policy_cost ≤ total_cost"),
        ([{**HAND_PERSONS[0], "category": "rich"}], HAND_CLAIMS, "column 'category'"),
        (HAND_PERSONS, [{**HAND_CLAIMS[0], "person_id": 9}], "the id of a person in the persons table"),
    ],
)
def test_bad_family_gets_the_load_population_error(persons, claims, needle):
    with pytest.raises(PopulationError) as e:
        explain("linan_2024", persons, claims)
    assert needle in str(e.value)
    # the very check load_population runs on files (there rows count from line 2 of a CSV, here
    # from the first member or claim), with the cell named for a page in either language
    from simulation import load_population

    with pytest.raises(PopulationError) as same:
        load_population(pd.DataFrame(persons).assign(household_id=1).to_csv(index=False).encode(),
                        pd.DataFrame(claims).to_csv(index=False).encode())  # fmt: skip
    assert (
        str(e.value).split(": row ")[1].split(",", 1)[1]
        == str(same.value).split(": row ")[1].split(",", 1)[1]
    )
    d = e.value.detail
    assert d["rows"] == [1] and d["column"] in str(e.value) and d["expected_zh"] != d["expected"]


def test_unknown_hospital_level_names_the_claim():
    with pytest.raises(PopulationError) as e:
        explain("linan_2024", HAND_PERSONS, [{**HAND_CLAIMS[0], "hospital_level": "province_1"}])
    assert e.value.detail["column"] == "hospital_level" and e.value.detail["rows"] == [1]
    assert "1, 2, 3" in str(e.value) and "1、2、3" in e.value.detail["expected_zh"]


def test_two_households_are_not_one_family():
    persons = [dict(HAND_PERSONS[0], household_id=1), dict(HAND_PERSONS[0], person_id=2, household_id=2)]
    with pytest.raises(ExplainError, match="2 households"):
        explain("linan_2024", persons, HAND_CLAIMS)


@pytest.mark.parametrize("preset", available_presets())
def test_typical_families(preset):
    fams = typical_families(preset)
    assert len(fams) >= 3
    for fam in fams:
        assert fam.name and fam.name_en and fam.description and fam.description_en
        assert fam.citation.get("source") or fam.citation.get("assumption"), fam.id
        ex = explain(preset, fam.persons, fam.claims)
        assert ex.family["total_cost"] > 0 and len(ex.steps) > 0
        res = simulate(family_population(fam.persons, fam.claims), load_scenario(preset))
        cols = [*PAID_COLUMNS, "oop"]
        assert (ex.step_totals()[cols] - res.persons[cols]).abs().to_numpy().max() <= 0.01


def test_result_explain_of_a_projected_year():
    scn = load_scenario("jiaxing_2025")
    pop = generate_population(scn, persons=600, seed=3)
    proj = project(pop, scn, years=3)
    res = proj.result(proj.years[-1])
    persons = res.persons
    for hid in persons.loc[persons["total_cost"] > 0, "household_id"].unique()[:15]:
        ex = res.explain(hid)
        mine = persons[persons["household_id"] == hid]
        cols = [*PAID_COLUMNS, "oop"]
        assert (ex.step_totals()[cols] - mine[cols]).abs().to_numpy().max() <= 0.01
        assert ex.year == proj.years[-1]


def test_unknown_household():
    scn = load_scenario("linan_2024")
    res = simulate(generate_population(scn, persons=200, seed=1), scn)
    with pytest.raises(ExplainError, match="not in this run"):
        res.explain(10**9)


def test_printable_sheet_html_pdf_text_csv(tmp_path):
    from simulation.report.family import family_csv, family_html, family_text, write_family

    ex = explain("linan_2024", HAND_PERSONS, HAND_CLAIMS, baseline="linan_2024")
    html = family_html(ex, "zh")
    assert "待遇测算单" in html and "起付线 1,000 元" in html and "与预设方案对比" in html
    assert "<script" not in html and "http" not in html.split("</style>")[1]  # one offline page
    assert "Benefit calculation sheet" in family_html(ex, "en")
    text = family_text(ex, "zh")
    assert "51,350.00 元" in text and "依据" in text
    csv = family_csv(ex, "en").decode("utf-8-sig").splitlines()
    assert csv[0].startswith("#,member,claim,tier,rule") and len(csv) == len(ex.steps) + 1
    pdf = write_family(ex, tmp_path / "sheet.pdf")
    assert pdf.read_bytes()[:4] == b"%PDF"
    with pytest.raises(WorkbenchError, match="unknown format"):
        write_family(ex, tmp_path / "sheet.docx")


def test_cli_explain(tmp_path, capsys):
    from simulation.cli import main

    assert (
        main(["explain", "linan_2024", "--typical", "tekun_elderly", "--out", str(tmp_path / "t.csv")]) == 0
    )
    out = capsys.readouterr().out
    assert "待遇测算单" in out and "封顶制" in out and (tmp_path / "t.csv").exists()
    fam = tmp_path / "f.yaml"
    fam.write_text(
        "persons:\n  - {person_id: 1, age: 40, scheme: resident, category: none, income: 30000}\n"
        "claims:\n  - {person_id: 1, setting: inpatient, hospital_level: 2, total_cost: 9000,"
        " policy_cost: 8000}\n",
        encoding="utf-8",
    )
    assert (
        main(["explain", "linan_2024", "--family", str(fam), "--baseline", "linan_2024", "--lang", "en"]) == 0
    )
    assert "Basic insurance" in capsys.readouterr().out
    assert main(["explain", "linan_2024", "--typical", "nope"]) == 2
    assert "no such typical family" in capsys.readouterr().err
    fam.write_text("persons:\n  - {person_id: 1, age: 40, scheme: resident, category: rich, income: 1}\n")
    assert main(["explain", "linan_2024", "--family", str(fam)]) == 2
    assert "column 'category'" in capsys.readouterr().err
