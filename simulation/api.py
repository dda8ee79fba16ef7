"""`simulate(pop, scenario)`: the façade over the engine. One year in settlement order
(`engine.run_year`), returned as a `Result` whose fund accounts (`Result.funds`) are projected over
the scenario's horizon on first use (`projection.result_funds`).

The engine computes arrays and never builds a Result; this module is where the two meet.
"""

from __future__ import annotations

from .engine import run_year
from .explain import explain_result
from .population.model import Population
from .projection import result_funds
from .result import Result
from .scenario import Scenario


def simulate(pop: Population, scenario: Scenario, *, year: int | None = None) -> Result:
    """Simulate one year (the scenario's own, or `year` for a phased reform). Returns a Result."""
    if not isinstance(pop, Population):
        raise TypeError(f"simulate: expected a Population, got {type(pop).__name__}")
    if not isinstance(scenario, Scenario):
        raise TypeError(f"simulate: expected a Scenario, got {type(scenario).__name__}")
    p = scenario.params if year is None else scenario.for_year(year)
    return Result.from_year(
        run_year(pop, p), scenario, year or p.year, funds_from=result_funds, explain_from=explain_result
    )


__all__ = ["simulate"]
