"""Save a whole Population to a directory of Parquet files and load it back without re-validation
(a large generated population is made once): `persons.parquet`, `claims.parquet`, `population.json`.

A directory this module did not write (no `population.json` marker) is not trusted: read it with
`load_population(persons.parquet, claims.parquet)`, which validates every row.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import PopulationError
from ..io_safe import atomic_write_text
from ..parameters import SCHEMES, SETTINGS
from .generator import iter_chunks
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


# ---------------------------------------------------------------------------- partitioned populations
# A population too large for memory is a directory of Parquet partitions that keep households
# whole, so each partition simulates on its own (`simulation.distributed`):
#
#   DIR/partitions.json            format, totals, scenario/seed it was generated with, one entry
#                                  per partition (persons, claims, households, person-id range)
#   DIR/persons/part-00000.parquet persons of partition 0 (contract columns)
#   DIR/claims/part-00000.parquet  claims of the persons of partition 0
#
# The manifest is written last (atomically), so an interrupted write leaves no valid directory.

PARTITIONED_FORMAT = "medsec-partitioned/1"
MANIFEST = "partitions.json"


def _part_name(i: int) -> str:
    return f"part-{i:05d}.parquet"


def _prepare_dir(d: Path) -> None:
    """Create `d`, or clear the partitions of a partitioned population written there before;
    refuse a non-empty directory that is not one (never delete files we did not write)."""
    if d.exists() and not d.is_dir():
        raise PopulationError(f"{d}: exists and is not a directory")
    d.mkdir(parents=True, exist_ok=True)
    marker = d / MANIFEST
    if marker.is_file():
        marker.unlink()  # from here on the directory is not a valid population until rewritten
        for sub in ("persons", "claims"):
            for f in (d / sub).glob("part-*.parquet"):
                f.unlink()
    elif any(d.iterdir()):
        raise PopulationError(f"{d}: not empty and not a partitioned population; choose an empty directory")
    (d / "persons").mkdir(exist_ok=True)
    (d / "claims").mkdir(exist_ok=True)


def _write_part(d: Path, i: int, persons: pd.DataFrame, claims: pd.DataFrame) -> dict:
    persons.to_parquet(d / "persons" / _part_name(i), index=False)
    claims.to_parquet(d / "claims" / _part_name(i), index=False)
    pid = persons["person_id"].to_numpy()
    return {
        "name": _part_name(i),
        "persons": len(persons),
        "claims": len(claims),
        "households": int(persons["household_id"].nunique()),
        "weight": float(persons["weight"].sum()),
        "person_id_min": int(pid.min()) if len(pid) else None,
        "person_id_max": int(pid.max()) if len(pid) else None,
    }


def _write_manifest(d: Path, parts: list[dict], **meta) -> None:
    manifest = {
        "format": PARTITIONED_FORMAT,
        **meta,
        "persons": sum(p["persons"] for p in parts),
        "claims": sum(p["claims"] for p in parts),
        "households": sum(p["households"] for p in parts),
        "weight": sum(p["weight"] for p in parts),
        "partitions": parts,
    }
    atomic_write_text(d / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))


def household_partitions(household_ids: np.ndarray, persons_per_partition: int) -> np.ndarray:
    """Partition index of each person: households in order of first appearance, cut into runs of
    about `persons_per_partition` persons (a new partition starts with the first household that
    begins past a multiple of it); a household is never split and no partition is empty."""
    codes, _ = pd.factorize(household_ids, sort=False)
    size = np.bincount(codes)
    before = np.cumsum(size) - size  # persons in earlier households
    _, part = np.unique(before // persons_per_partition, return_inverse=True)  # no empty partition
    return part[codes]


def save_partitioned(pop: Population, directory: str | Path, persons_per_partition: int = 1_000_000) -> Path:
    """Write an in-memory population as Parquet partitions that keep households whole.

    Persons keep their relative order inside a partition; claims follow their person."""
    if isinstance(persons_per_partition, bool) or not isinstance(persons_per_partition, (int, np.integer)):
        raise PopulationError(
            f"persons_per_partition: expected a positive integer, got {persons_per_partition!r}"
        )
    if persons_per_partition <= 0:
        raise PopulationError(
            f"persons_per_partition: expected a positive integer, got {persons_per_partition}"
        )
    d = Path(directory)
    _prepare_dir(d)
    persons, claims = pop.persons, pop.claims
    part_of_person = household_partitions(persons["household_id"].to_numpy(), int(persons_per_partition))
    pos = pd.Index(persons["person_id"].to_numpy()).get_indexer(claims["person_id"].to_numpy())
    part_of_claim = part_of_person[pos]
    parts = []
    for i in range(int(part_of_person.max()) + 1 if len(part_of_person) else 0):
        pp = persons[part_of_person == i]
        cc = claims[part_of_claim == i]
        parts.append(_write_part(d, i, pp, cc))
    _write_manifest(d, parts, source=pop.source, scenario=None, seed=None)
    return d


def generate_partitioned(
    scenario,
    persons: int,
    directory: str | Path,
    *,
    seed: int = 7,
    persons_per_partition: int = 1_000_000,
    progress=None,
) -> Path:
    """Generate a population straight to Parquet partitions, one partition in memory at a time.

    Partition i is the generator's chunk i (own households, own ids, own seed spawned from `seed`),
    so the directory holds exactly `generate_population(scenario, persons, seed,
    chunk_persons=persons_per_partition)`, deterministic, without ever holding all of it.
    `progress(i, n_partitions)` is called after each partition is written."""
    if isinstance(persons_per_partition, bool) or not isinstance(persons_per_partition, (int, np.integer)):
        raise PopulationError(
            f"persons_per_partition: expected a positive integer, got {persons_per_partition!r}"
        )
    if persons_per_partition <= 0:
        raise PopulationError(
            f"persons_per_partition: expected a positive integer, got {persons_per_partition}"
        )
    d = Path(directory)
    chunks = iter_chunks(scenario, persons, seed, chunk_persons=int(persons_per_partition))
    n_parts = max(1, math.ceil(int(persons) / int(persons_per_partition)))
    first = next(chunks)  # validates the arguments before anything is written
    _prepare_dir(d)
    parts = []
    for i, (pp, cc, _mask) in enumerate(_chain(first, chunks)):
        parts.append(_write_part(d, i, pp, cc))
        del pp, cc
        if progress is not None:
            progress(i + 1, n_parts)
    _write_manifest(
        d,
        parts,
        source=f"generated {scenario.id} seed={seed}",
        scenario=scenario.id,
        seed=int(seed),
        persons_per_partition=int(persons_per_partition),
    )
    return d


def _chain(first, rest):
    yield first
    yield from rest


class PartitionedPopulation:
    """A partitioned population directory, checked: `len(p)` partitions, `p.load(i)` one of them
    as a Population, `p.manifest` the totals."""

    def __init__(self, directory: str | Path):
        d = Path(directory)
        marker = d / MANIFEST
        if not d.is_dir():
            raise PopulationError(f"{d}: no such directory")
        if not marker.is_file():
            raise PopulationError(
                f"{d}: not a partitioned population (no {MANIFEST}); write one with save_partitioned"
            )
        try:
            meta = json.loads(marker.read_text(encoding="utf-8"))
        except (ValueError, OSError) as e:
            raise PopulationError(f"{marker}: unreadable ({e})") from None
        if not isinstance(meta, dict) or meta.get("format") != PARTITIONED_FORMAT:
            got = meta.get("format") if isinstance(meta, dict) else None
            raise PopulationError(f"{marker}: unknown format {got!r} (expected {PARTITIONED_FORMAT})")
        parts = meta.get("partitions")
        if not isinstance(parts, list) or not parts:
            raise PopulationError(f"{marker}: no partitions listed")
        import pyarrow.parquet as pq

        for p in parts:
            for sub, key in (("persons", "persons"), ("claims", "claims")):
                f = d / sub / str(p.get("name"))
                if not f.is_file():
                    raise PopulationError(f"{d}: partition file {sub}/{p.get('name')} is missing")
                try:
                    rows = pq.read_metadata(f).num_rows
                except Exception as e:  # pyarrow raises many types for a broken file
                    raise PopulationError(f"{f}: not a readable Parquet file ({type(e).__name__})") from None
                if rows != p.get(key):
                    raise PopulationError(
                        f"{f}: {rows} rows, {MANIFEST} says {p.get(key)} (a partial or mixed write?)"
                    )
        self.directory = d
        self.manifest = meta
        self.partitions: list[dict] = parts

    def __len__(self) -> int:
        return len(self.partitions)

    def __repr__(self) -> str:
        m = self.manifest
        return f"PartitionedPopulation({m['persons']:,} persons in {len(self)} partitions, {self.directory})"

    def load(self, i: int) -> Population:
        """Partition i as a Population (trusted: this module wrote it)."""
        return read_partition(self.directory, self.partitions[i]["name"], self.manifest.get("source"))

    def load_all(self) -> Population:
        """Every partition in one Population (only for populations that fit in memory)."""
        pops = [self.load(i) for i in range(len(self))]
        persons = pd.concat([p.persons for p in pops], ignore_index=True)
        claims = pd.concat([p.claims for p in pops], ignore_index=True)
        return _trusted(persons, claims, str(self.manifest.get("source", self.directory)))


def read_partition(directory: str | Path, name: str, source: str | None = None) -> Population:
    """One partition (`part-NNNNN.parquet`) of a partitioned directory as a trusted Population,
    without reading the manifest (what a worker does; `PartitionedPopulation` checked it)."""
    d = Path(directory)
    try:
        persons = pd.read_parquet(d / "persons" / name)
        claims = pd.read_parquet(d / "claims" / name)
    except Exception as e:  # pyarrow raises many types for a broken file
        raise PopulationError(
            f"{d}: partition {name} unreadable ({type(e).__name__}: {str(e)[:120]})"
        ) from None
    return _trusted(persons, claims, f"{source or d} [{name}]")


def open_partitioned(directory: str | Path) -> PartitionedPopulation:
    """Open and check a partitioned population directory. Raises PopulationError."""
    return PartitionedPopulation(directory)


def _trusted(persons: pd.DataFrame, claims: pd.DataFrame, source: str) -> Population:
    persons["scheme"] = pd.Categorical(persons["scheme"].astype(str), categories=list(SCHEMES))
    claims["setting"] = pd.Categorical(claims["setting"].astype(str), categories=list(SETTINGS))
    claims["month"] = claims["month"].to_numpy(dtype=np.int8)
    return Population.trusted(persons, claims, source=source)
