"""Jiaxing (嘉兴 共富方案): what is not a hand case.

The hand calculations from the clauses are data in tests/cases/jiaxing_2025/ (run by test_cases.py).
"""

import pytest

from simulation import ScenarioError


def test_chronic_outpatient_ratio_below_60_percent_is_refused(presets):
    # 二(二)4: 慢病门诊合规费用最低报销比例 60% (the 6,000 paid at 60% is a case in chronic.yaml)
    with pytest.raises(ScenarioError, match=r"basic_insurance\.resident\.chronic\.ratio.*\[0\.6, 1\.0\]"):
        presets["jiaxing_2025"].with_changes({"basic_insurance.resident.chronic.ratio": 0.5})
