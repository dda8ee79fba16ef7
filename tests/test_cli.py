"""`python -m simulation run`: the summary on real CSV input, one-line errors with exit code 2."""

import subprocess
import sys

import pandas as pd
import pytest

from simulation.cli import main


@pytest.fixture
def csvs(tmp_path):
    persons = pd.DataFrame(
        {
            "person_id": [1, 2, 3],
            "household_id": [1, 1, 2],
            "age": [70, 40, 30],
            "scheme": ["resident", "resident", "employee"],
            "category": ["dibao", "dibao", "none"],
            "income": [8000, 12000, 60000],
            "weight": [1.0, 1.0, 1.0],
        }
    )
    claims = pd.DataFrame(
        {
            "person_id": [1, 3],
            "setting": ["inpatient", "outpatient"],
            "hospital_level": [3, 1],
            "total_cost": [60000, 3000],
            "policy_cost": [50000, 2500],
        }
    )
    p, c = tmp_path / "p.csv", tmp_path / "c.csv"
    persons.to_csv(p, index=False)
    claims.to_csv(c, index=False)
    return p, c, persons, claims


def test_run_prints_the_summary(csvs, capsys):
    p, c, *_ = csvs
    assert main(["run", "scenarios/linan_2024.yaml", "--persons-csv", str(p), "--claims-csv", str(c)]) == 0
    out = capsys.readouterr().out
    assert "困难群众综合保障率" in out and "封顶制兜底" in out


def bad_run(tmp_path, capsys, persons, claims):
    p, c = tmp_path / "bp.csv", tmp_path / "bc.csv"
    persons.to_csv(p, index=False)
    claims.to_csv(c, index=False)
    code = main(["run", "linan_2024", "--persons-csv", str(p), "--claims-csv", str(c)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    return err


def test_missing_column(csvs, tmp_path, capsys):
    *_, persons, claims = csvs
    err = bad_run(tmp_path, capsys, persons.drop(columns="income"), claims)
    assert "bp.csv" in err and "missing column 'income'" in err


def test_unknown_category(csvs, tmp_path, capsys):
    *_, persons, claims = csvs
    err = bad_run(tmp_path, capsys, persons.assign(category=["dibao", "rich", "none"]), claims)
    assert "bp.csv: row 3, column 'category'" in err and "'rich'" in err


def test_policy_cost_above_total(csvs, tmp_path, capsys):
    *_, persons, claims = csvs
    err = bad_run(tmp_path, capsys, persons, claims.assign(policy_cost=[70000, 2500]))
    assert "bc.csv: row 2, column 'policy_cost'" in err and "≤ total_cost" in err


def test_negative_cost(csvs, tmp_path, capsys):
    *_, persons, claims = csvs
    err = bad_run(tmp_path, capsys, persons, claims.assign(total_cost=[60000, -5]))
    assert "bc.csv: row 3, column 'total_cost'" in err and "≥ 0" in err


def test_bad_argument_is_one_line_exit_2():
    proc = subprocess.run(
        [sys.executable, "-m", "simulation", "run", "linan_2024", "--persons", "many"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_unknown_scenario_exit_2(capsys):
    assert main(["run", "nowhere.yaml", "--persons", "100"]) == 2
    assert "no such scenario file" in capsys.readouterr().err


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_summary_figure_has_a_label_and_its_unit(lang):
    """Each preset's summary keys are in the label catalogue, and counts of persons are printed as
    counts, not as 万元 (long-term care's insured persons and the state-enrolled supplement were)."""
    from simulation import available_presets, generate_population, load_scenario, simulate
    from simulation.cli import format_summary
    from simulation.labels import METRICS, metric_kind

    keys = set()
    for name in available_presets():
        scn = load_scenario(name)
        keys |= set(simulate(generate_population(scn, persons=3_000, seed=2), scn).summary)
    assert sorted(keys - set(METRICS)) == []
    assert all(zh != en and zh and en for zh, en in (METRICS[k] for k in keys))

    kinds = {k: "persons" for k in ("ltc_insured", "ltc_beneficiaries", "supplement_fiscal_enrollees")}
    kinds |= {"ltc_benefit_rate": "rate", "ltc_fiscal": "money", "supplement_fiscal_premium": "money"}
    assert {k: metric_kind(k) for k in kinds} == kinds
    summary = {"ltc_insured": 12_345.0, "ltc_benefit_rate": 0.7, "ltc_fiscal": 2.5e6, "persons": 9.0}
    label = {k: METRICS[k][0 if lang == "zh" else 1] for k in summary}
    if lang == "en":  # an English label starts with a capital, as a heading does
        label = {k: v[:1].upper() + v[1:] for k, v in label.items()}
    money = "250.00 万元" if lang == "zh" else "2,500,000 yuan"
    want = [f"{label['ltc_insured']:<28}\t12,345", f"{label['ltc_benefit_rate']:<28}\t70.00%"]
    want += [f"{label['ltc_fiscal']:<28}\t{money}", f"{label['persons']:<28}\t9"]
    assert format_summary(summary, lang).splitlines() == want
