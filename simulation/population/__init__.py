"""Population: persons and claims, validated; the synthetic generator and the real-data loaders."""

from .io import load_population
from .model import Population

__all__ = ["Population", "load_population"]
