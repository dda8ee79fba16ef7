"""The scenario's `projection:` section: the growth assumptions of a fund projection, the
behavioural responses and the Monte Carlo ranges, each default with its source (DEFAULT_SOURCES).

Part of the scenario schema (a scenario is validated with it on load); `projection.project` runs it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ScenarioError
from .parameters import Category, ScenarioModel

Rate = Annotated[float, Field(ge=-0.5, le=1.0, allow_inf_nan=False)]
Prob = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]

# Where each default comes from (calibration = /shared/calibration/china_medical_security.yaml).
DEFAULT_SOURCES: dict[str, str] = {
    "horizon_years": "assumption: a 5-year budget horizon (the 共富 plans run 2021-2025)",
    "medical_cost_growth": (
        "calibration D: fund spending per insured 2023→2024 = (29,764.03/132,662.08)/(28,208.38/133,389)"
        " − 1 ≈ 6.1%; range 3-11% spans 2024 and the post-COVID 2023 rebound (+15.7%)"
    ),
    "income_growth": "calibration V/D: national per-capita disposable income 39,218→41,314 (2023→2024) +5.3%",
    "enrolment_growth": (
        "calibration D: employees 37,095→37,948.34 万 (+2.3%), residents 96,294→94,713.74 万 (−1.6%), "
        "2023→2024"
    ),
    "old_age_weight_growth": (
        "calibration D: employee retirees 9,636→10,457.5 万 (+4.2%/yr) vs in-service 26,607→27,491.84 万 "
        "(+1.6%/yr), 2022→2024: relative growth ≈ 2.5%/yr"
    ),
    "employee_contribution_growth": "assumption: employee contributions follow wages (= income growth 5%)",
    "resident_individual_growth": (
        "calibration V/R: national minimum individual contribution 350→380→400 (2022-2024) ≈ +6.9%/yr; "
        "2025 unchanged at 400 (V): 5% assumed"
    ),
    "resident_subsidy_growth": "calibration V: minimum fiscal subsidy 670 (2024) → 700 (2025) +4.5%",
    "assistance_fiscal_growth": "assumption: assistance budgets follow fiscal revenue (≈ income growth 5%)",
    "charity_donations_growth": "assumption: donations flat in nominal terms",
    "charity_fiscal_growth": "assumption: fiscal top-up flat in nominal terms",
    "critical_premium_growth": "assumption: the 大病保险 premium is fixed per year by policy (朔州 100 元)",
    "index_thresholds_to_income": (
        "临安 封顶制方案 三(一): warning lines are last year's per-capita disposable income, so they move "
        "with income; dibao standards are indexed too (assumption)"
    ),
    "long_term_care_indexing": (
        "assumption: long-term-care financing per head, care prices and benefit limits follow "
        "per-capita income (care is labour; contributions are set against income, 嘉兴 二(一)2)"
    ),
    "behaviour.elasticity": (
        "RAND Health Insurance Experiment: price elasticity of medical spending about −0.2 "
        "(Manning et al. 1987, American Economic Review 77(3): 251-277; Aron-Dine, Einav & Finkelstein "
        "2013, J. Econ. Perspectives 27(1): 197-222)"
    ),
    "behaviour.entry": "assumption: yearly entry rates of bottom-quintile households (order of magnitude)",
    "behaviour.exit": "assumption: yearly exit rates (dibao households leave at about 10%/yr), unverified",
}

GROWTH_KEYS = (
    "medical_cost_growth",
    "income_growth",
    "old_age_weight_growth",
    "employee_contribution_growth",
    "resident_individual_growth",
    "resident_subsidy_growth",
    "assistance_fiscal_growth",
    "charity_donations_growth",
    "charity_fiscal_growth",
    "critical_premium_growth",
)
# financing parameter -> the growth rate it follows
FINANCING_GROWTH = {
    "financing.employee_per_capita": "employee_contribution_growth",
    "financing.resident_individual": "resident_individual_growth",
    "financing.resident_subsidy": "resident_subsidy_growth",
    "financing.assistance_fiscal_per_capita": "assistance_fiscal_growth",
    "financing.charity_donations_per_capita": "charity_donations_growth",
    "financing.charity_fiscal_per_capita": "charity_fiscal_growth",
    "critical_illness.premium_per_capita": "critical_premium_growth",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Behaviour(_Model):
    """Behavioural responses, both off by default (the presets' baseline is static)."""

    utilisation_response: bool = False
    elasticity: float = Field(-0.2, ge=-2.0, le=0.0, allow_inf_nan=False)
    min_price: float = Field(0.05, gt=0.0, le=1.0)  # floor of the OOP price, so a free good stays finite
    max_change: float = Field(1.0, gt=0.0, le=10.0)  # spending multiplier kept in [1/(1+x), 1+x]
    poverty_transitions: bool = False
    entry: dict[Category, Prob] = {"tekun": 0.001, "dibao": 0.005, "dibian": 0.01}
    exit: dict[Category, Prob] = {"tekun": 0.02, "dibao": 0.10, "dibian": 0.15}
    entry_income_quantile: Prob = 0.2  # households below this per-capita income quantile may enter


class ProjectionConfig(_Model):
    """The scenario's `projection:` section (defaults and their sources in DEFAULT_SOURCES)."""

    horizon_years: int = Field(5, ge=1, le=50)
    medical_cost_growth: Rate = 0.061
    income_growth: Rate = 0.053
    enrolment_growth: dict[str, Rate] = {"employee": 0.023, "resident": -0.016}
    old_age: int = Field(60, ge=0, le=120)
    old_age_weight_growth: Rate = 0.025
    employee_contribution_growth: Rate = 0.05
    resident_individual_growth: Rate = 0.05
    resident_subsidy_growth: Rate = 0.045
    assistance_fiscal_growth: Rate = 0.05
    charity_donations_growth: Rate = 0.0
    charity_fiscal_growth: Rate = 0.0
    critical_premium_growth: Rate = 0.0
    index_thresholds_to_income: bool = True
    behaviour: Behaviour = Behaviour()
    # Monte Carlo ranges [low, high] of growth assumptions (uniform draws), see uncertainty.py
    ranges: dict[str, list[float]] = {
        "medical_cost_growth": [0.03, 0.11],
        "income_growth": [0.03, 0.07],
        "old_age_weight_growth": [0.01, 0.04],
        "resident_subsidy_growth": [0.02, 0.06],
    }

    def model_post_init(self, _ctx: Any) -> None:
        for k in self.enrolment_growth:
            if k not in ("employee", "resident"):
                raise ValueError(f"enrolment_growth.{k}: expected employee or resident")
        for k, v in self.ranges.items():
            if k not in GROWTH_KEYS and not k.startswith("enrolment_growth."):
                raise ValueError(f"ranges.{k}: not a growth assumption ({', '.join(GROWTH_KEYS)})")
            if len(v) != 2 or v[0] > v[1]:
                raise ValueError(f"ranges.{k}: expected [low, high]")


def projection_config(p: Any, where: str = "projection") -> ProjectionConfig:
    """Validate a scenario's `projection:` section (ScenarioError naming the bad key); `p` is a
    ScenarioModel or a Scenario (its own year's parameters)."""
    model = p if isinstance(p, ScenarioModel) else p.params
    try:
        return ProjectionConfig.model_validate(model.projection or {})
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not part of the projection schema; check the spelling)"
        raise ScenarioError(f"{where}.{loc}: {msg}" if loc else f"{where}: {msg}") from None
