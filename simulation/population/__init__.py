"""Population: persons and claims, validated; the synthetic generator and the real-data loaders."""

from .generator import generate_population
from .io import load_population
from .model import Population
from .parquet import load_parquet, save_population

__all__ = ["Population", "generate_population", "load_parquet", "load_population", "save_population"]
