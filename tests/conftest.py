"""Shared test helpers: small populations built by hand, as the rules' hand calculations need."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

from simulation import Population, load_scenario

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile("long", max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def person(pid, hid=None, age=40, scheme="resident", category="none", income=30000.0, weight=1.0, **kw):
    return dict(
        person_id=pid,
        household_id=pid if hid is None else hid,
        age=age,
        scheme=scheme,
        category=category,
        income=income,
        weight=weight,
        **kw,
    )


def claim(pid, setting="inpatient", level=3, total=None, policy=0.0, referred=True, **kw):
    return dict(
        person_id=pid,
        setting=setting,
        hospital_level=level,
        total_cost=policy if total is None else total,
        policy_cost=policy,
        referred=referred,
        **kw,
    )


def population(persons: list[dict], claims: list[dict]) -> Population:
    cols = ["person_id", "setting", "hospital_level", "total_cost", "policy_cost", "referred"]
    return Population(pd.DataFrame(persons), pd.DataFrame(claims) if claims else pd.DataFrame(columns=cols))


@pytest.fixture(scope="session")
def presets():
    return {
        name: load_scenario(name)
        for name in ("shanghai_2023", "linan_2024", "bijie_2019", "shuozhou_2021", "jiaxing_2025")
    }
