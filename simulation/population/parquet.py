"""Save a whole Population to a directory of Parquet files and load it back without re-validation
(a large generated population is made once): `persons.parquet`, `claims.parquet`, `population.json`.

A directory this module did not write (no `population.json` marker) is not trusted: read it with
`load_population(persons.parquet, claims.parquet)`, which validates every row.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import PopulationError
from ..parameters import SCHEMES, SETTINGS
from .model import Population

FORMAT = "medsec-population/1"


def save_population(pop: Population, directory: str | Path) -> Path:
    """Write persons, claims and a marker into `directory` (created if missing)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    pop.persons.to_parquet(d / "persons.parquet", index=False)
    pop.claims.to_parquet(d / "claims.parquet", index=False)
    meta = {"format": FORMAT, "source": pop.source, "persons": len(pop.persons), "claims": len(pop.claims)}
    (d / "population.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return d


def load_parquet(directory: str | Path) -> Population:
    """Load a population written by `save_population`. Raises PopulationError."""
    d = Path(directory)
    marker = d / "population.json"
    if not marker.is_file():
        raise PopulationError(f"{d}: not a saved population (no population.json); use load_population")
    try:
        meta = json.loads(marker.read_text(encoding="utf-8"))
    except (ValueError, OSError) as e:
        raise PopulationError(f"{marker}: unreadable ({e})") from None
    if meta.get("format") != FORMAT:
        raise PopulationError(f"{marker}: unknown format {meta.get('format')!r} (expected {FORMAT})")
    try:
        persons = pd.read_parquet(d / "persons.parquet")
        claims = pd.read_parquet(d / "claims.parquet")
    except Exception as e:  # pyarrow raises many types for a broken file
        raise PopulationError(
            f"{d}: not a readable saved population ({type(e).__name__}: {str(e)[:120]})"
        ) from None
    if len(persons) != meta.get("persons") or len(claims) != meta.get("claims"):
        raise PopulationError(f"{d}: row counts differ from population.json (a partial or mixed save?)")
    persons["scheme"] = pd.Categorical(persons["scheme"].astype(str), categories=list(SCHEMES))
    claims["setting"] = pd.Categorical(claims["setting"].astype(str), categories=list(SETTINGS))
    claims["month"] = claims["month"].to_numpy(dtype=np.int8)
    return Population.trusted(persons, claims, source=str(meta.get("source", d)))
