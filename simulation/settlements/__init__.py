"""Real settlement data: the national platform's settlement extract read into a population with
what was paid (`load_settlements`), a scenario reconciled with it (`backtest`), in-year monitoring
of the funds (`monitor`) and a synthetic extract in the platform's format (`synthetic_extract`).

Layers: `codes` (the platform's fields and code tables) and `extract` (reading the files) sit with
the population, below the rules; `apportion`, `backtest`, `monitor` and `synthetic` run `simulate`
and sit with the analyses (tests/test_layers.py).
"""

from .apportion import EXACT_LEVELS, claim_payments
from .backtest import DIMENSIONS, Backtest, backtest
from .codes import TIERS, tier_label
from .extract import ImportReport, Mapping, ObservedPopulation, SettlementError, load_settlements
from .monitor import Monitor, monitor
from .synthetic import SyntheticExtract, extract_bytes, synthetic_extract, write_extract

__all__ = [
    "DIMENSIONS",
    "EXACT_LEVELS",
    "TIERS",
    "Backtest",
    "ImportReport",
    "Mapping",
    "Monitor",
    "ObservedPopulation",
    "SettlementError",
    "SyntheticExtract",
    "backtest",
    "claim_payments",
    "extract_bytes",
    "load_settlements",
    "monitor",
    "synthetic_extract",
    "tier_label",
    "write_extract",
]
