"""Reading real (anonymised) persons and claims: CSV as Chinese settlement systems export it
(UTF-8, UTF-8 with BOM, GBK/GB18030) and Parquet; Chinese headers are accepted as aliases."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from ..errors import PopulationError
from ..limits import check_files
from .model import Population, validate_claims, validate_persons

ENCODINGS = ("utf-8-sig", "gb18030")
MAX_INPUT_BYTES = 20 * 1024**3


def _decode(data: bytes, source: str) -> str:
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise PopulationError(f"{source}: text is neither UTF-8 nor GBK/GB18030; re-export it as UTF-8")


def read_table(source: str | Path | bytes, name: str = "table") -> tuple[pd.DataFrame, str]:
    """Read one CSV or Parquet table (a path, or bytes of an upload) as text columns."""
    where = name if isinstance(source, bytes) else str(source)
    if isinstance(source, bytes):
        data = source
        is_parquet = data[:4] == b"PAR1"
    else:
        p = Path(source)
        if not p.is_file():
            raise PopulationError(f"{where}: no such file")
        if p.stat().st_size > MAX_INPUT_BYTES:
            raise PopulationError(f"{where}: larger than {MAX_INPUT_BYTES >> 30} GiB; use Parquet partitions")
        is_parquet = p.suffix.lower() in (".parquet", ".pq")
        data = None if is_parquet else p.read_bytes()
    if is_parquet:
        try:
            df = pd.read_parquet(io.BytesIO(data) if data is not None else source)
        except Exception as e:  # pyarrow raises many types for a broken file
            raise PopulationError(
                f"{where}: not a readable Parquet file ({type(e).__name__}: {str(e)[:120]})"
            ) from None
        return df, where
    if not data or not data.strip():
        raise PopulationError(f"{where}: the file is empty")
    text = _decode(data, where)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.ParserError as e:
        raise PopulationError(f"{where}: not a well-formed CSV ({str(e).splitlines()[0][:160]})") from None
    except pd.errors.EmptyDataError:
        raise PopulationError(f"{where}: the file is empty") from None
    df = df.replace({"": None})
    return df, where


def load_population(persons: str | Path | bytes, claims: str | Path | bytes) -> Population:
    """Load persons and claims files (CSV or Parquet); every bad row is reported with its
    file, row (the line number in a CSV) and column. Raises PopulationError
    (PopulationTooLargeError, before reading, for files that would not fit in memory)."""
    check_files(persons, claims)
    pdf, pwhere = read_table(persons, "persons")
    cdf, cwhere = read_table(claims, "claims")
    # data rows start on line 2 of a CSV (after the header)
    p_off = 2 if not pwhere.endswith((".parquet", ".pq")) else 0
    c_off = 2 if not cwhere.endswith((".parquet", ".pq")) else 0
    pp, mask = validate_persons(pdf, pwhere, row_offset=p_off)
    cc = validate_claims(cdf, pp["person_id"].to_numpy(), cwhere, row_offset=c_off)
    pop = Population.trusted(pp, cc, source=f"{pwhere} + {cwhere}")
    pop.__dict__["_cat_mask"] = mask
    return pop
