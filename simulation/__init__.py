"""医保政策仿真工作台 — a microsimulation of China's stacked medical-security tiers.

from simulation import load_scenario, generate_population, simulate
scn = load_scenario("linan_2024")
pop = generate_population(scn, persons=100_000, seed=7)
res = simulate(pop, scn)
res.summary["coverage_rate_poor"]
"""

from .api import simulate
from .errors import PopulationError, ScenarioError, WorkbenchError
from .explain import Explanation, explain
from .memory_reuse import keep_freed_memory
from .population import Population, generate_population, load_parquet, load_population, save_population
from .result import Result
from .scenario import Scenario, available_presets, load_scenario, scenario_from_yaml
from .settlements import backtest, load_settlements
from .version import __version__ as __version__

keep_freed_memory()  # before any large array: repeated runs reuse pages (see memory_reuse)

__all__ = [
    "Explanation",
    "Population",
    "PopulationError",
    "Result",
    "Scenario",
    "ScenarioError",
    "WorkbenchError",
    "available_presets",
    "explain",
    "backtest",
    "generate_population",
    "load_parquet",
    "load_population",
    "load_scenario",
    "load_settlements",
    "save_population",
    "scenario_from_yaml",
    "simulate",
]
