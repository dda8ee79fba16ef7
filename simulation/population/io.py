"""Reading real (anonymised) persons and claims: CSV as Chinese settlement systems export it
(UTF-8, UTF-8 with BOM, GBK/GB18030) and Parquet; Chinese headers are accepted as aliases."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from ..errors import PopulationError
from ..limits import check_files
from .model import Population, table_zh, validate_claims, validate_persons

ENCODINGS = ("utf-8-sig", "gb18030")
MAX_INPUT_BYTES = 20 * 1024**3


def _decode(data: bytes, source: str) -> str:
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise PopulationError(
        f"{source}: text is neither UTF-8 nor GBK/GB18030; re-export it as UTF-8",
        zh=f"{table_zh(source)}：文本既不是 UTF-8 也不是 GBK/GB18030 编码，请另存为 UTF-8 后再上传",
    )


def _csv_problem_zh(message: str) -> str:
    """pandas' parser message in Chinese where its form is known ("Expected 5 fields in line 3, saw
    6": a row with more cells than the header), else as pandas wrote it."""
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if m:
        return f"第 {m.group(2)} 行有 {m.group(3)} 个单元格，表头只有 {m.group(1)} 列"
    return message


def read_table(source: str | Path | bytes, name: str = "table") -> tuple[pd.DataFrame, str]:
    """Read one CSV or Parquet table (a path, or bytes of an upload) as text columns."""
    where = name if isinstance(source, bytes) else str(source)
    if isinstance(source, bytes):
        data = source
        is_parquet = data[:4] == b"PAR1"
    else:
        p = Path(source)
        if not p.is_file():
            raise PopulationError(f"{where}: no such file", zh=f"{where}：文件不存在")
        if p.stat().st_size > MAX_INPUT_BYTES:
            raise PopulationError(
                f"{where}: larger than {MAX_INPUT_BYTES >> 30} GiB; use Parquet partitions",
                zh=f"{where}：文件大于 {MAX_INPUT_BYTES >> 30} GiB，请改用分区的 Parquet 文件",
            )
        is_parquet = p.suffix.lower() in (".parquet", ".pq")
        data = None if is_parquet else p.read_bytes()
    if is_parquet:
        try:
            df = pd.read_parquet(io.BytesIO(data) if data is not None else source)
        except Exception as e:  # pyarrow raises many types for a broken file
            raise PopulationError(
                f"{where}: not a readable Parquet file ({type(e).__name__}: {str(e)[:120]})",
                zh=f"{table_zh(where)}：不是可读取的 Parquet 文件（{type(e).__name__}）",
            ) from None
        return df, where
    if not data or not data.strip():
        raise PopulationError(f"{where}: the file is empty", zh=f"{table_zh(where)}：文件为空")
    text = _decode(data, where)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.ParserError as e:
        first = str(e).splitlines()[0][:160]
        raise PopulationError(
            f"{where}: not a well-formed CSV ({first})",
            zh=f"{table_zh(where)}：不是格式正确的 CSV 文件（{_csv_problem_zh(first)}）",
        ) from None
    except pd.errors.EmptyDataError:
        raise PopulationError(f"{where}: the file is empty", zh=f"{table_zh(where)}：文件为空") from None
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
