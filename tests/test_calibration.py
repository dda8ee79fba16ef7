"""Every calibration target of every preset within the tolerance the scenario states."""

from __future__ import annotations

import pytest

from simulation import load_scenario
from simulation.calibration import calibrate, format_checks
from simulation.cli import main

PRESETS = ["shanghai_2023", "linan_2024", "bijie_2019", "shuozhou_2021", "jiaxing_2025"]


@pytest.mark.parametrize("name", PRESETS)
def test_calibration_gaps_within_tolerance(name):
    scn = load_scenario(name)
    checks = calibrate(scn, persons=30_000, seed=13)
    kinds = {c.name.rsplit("_", 1)[0] for c in checks} | {c.name for c in checks}
    # the four kinds of target are present in every preset
    assert "hospitalization_rate" in kinds
    assert any(c.name.startswith("inpatient_cost_level_") for c in checks)
    assert any(c.name.startswith("policy_reimbursement_rate") for c in checks)
    assert any(c.name.startswith("fund_spending_per_insured") for c in checks)
    for c in checks:
        assert c.citation, f"{name}: target {c.name} has no source or assumption"
    bad = [c for c in checks if not c.ok and not c.known_gap]
    assert not bad, format_checks(bad)


def test_known_gaps_say_why():
    for name in PRESETS:
        for c in calibrate(load_scenario(name), persons=5_000, seed=1):
            if c.known_gap:
                assert len(c.known_gap) > 40


def test_calibrate_command(capsys):
    code = main(["calibrate", "jiaxing_2025", "--persons", "20000", "--seed", "3"])
    out = capsys.readouterr().out
    assert code == 0
    # Chinese by default, each figure by its label, never its key
    assert "住院率（职工）" in out and "差距" in out and "容差" in out
    assert "项在容差内" in out and "hospitalization_rate_employee" not in out
    assert main(["calibrate", "jiaxing_2025", "--persons", "20000", "--seed", "3", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "hospitalisation rate (employees)" in out and "targets within tolerance" in out


def test_calibrate_command_bad_input(capsys):
    assert main(["calibrate", "no_such_region"]) == 2
    assert "no such scenario" in capsys.readouterr().err
    assert main(["calibrate", "linan_2024", "--persons", "0"]) == 2
