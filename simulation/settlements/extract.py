"""Reading the platform's settlement extract (one row a settlement, the `setlinfo` fields of
`codes.FIELDS`) and a persons file into an `ObservedPopulation`: the contract's persons and claims
(simulation CONTRACT.md) and, beside each claim, the amounts the platform paid.

    obs = load_settlements("settlements.csv", "persons.csv", mapping="mapping.yaml")
    obs.population          # Population: claims = the settlements, netted
    obs.observed            # the paid fields of each claim (same rows as population.claims)
    obs.report              # the mapping report: which column gave which field, unmapped columns,
                            # counted warnings

Files: CSV in UTF-8 (with or without BOM) or GBK/GB18030, Excel (.xlsx) or Parquet. Headers are the
platform's field names or their Chinese names (`codes.FIELDS`); a non-standard extract is read with
a column mapping (YAML, `Mapping`). Every bad input ends in a `SettlementError` naming the file, the
rows and what was expected, in Chinese and English, or in a counted warning of the report (never a
silent fix):

- errors: an unreadable file or encoding, a missing required field, an unknown code, a duplicated
  settlement id, a money field that is not a number, a settlement of a person the persons file
  does not have, a person without a scheme;
- counted warnings: settlements outside the model (maternity, 长期照护 …: excluded), reversed
  settlements netted out, reversals without an original (excluded), amounts that do not add up
  (`fund_pay_sumamt + psn_part_amt + hosp_part_amt != medfee_sumamt`, the funds not adding up to
  `fund_pay_sumamt`; kept as they are), settlements outside the extract's year (excluded), unknown
  person types, persons without income (taken as 0).

Reversals (撤销, 冲销): a settlement with a negative `medfee_sumamt` reverses an earlier one of the
same visit (`mdtrt_id`, of the same person). Each visit with a reversal is netted: its amounts are
summed; a visit that nets to zero is dropped, one that nets to a positive cost (reversed and settled
again) becomes one settlement with the codes and time of its last positive row, at the place of its
first row. A visit whose reversals exceed what it settled has no original in the extract (settled
the year before): excluded, counted.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..errors import PopulationError
from ..population.model import (
    COLUMN_ALIASES,
    FALSE_WORDS,
    PERSON_OPTIONAL,
    TRUE_WORDS,
    Population,
    validate_claims,
    validate_persons,
)
from . import codes as C

CENT = 0.005  # yuan: amounts are kept in cents (16,2); two sums differ when more than half a cent apart
ENCODINGS = ("utf-8-sig", "gb18030")
MAX_SHOWN = 5  # rows quoted in a message


class SettlementError(PopulationError):
    """A settlement extract, persons file or column mapping that cannot be read as it is: the
    message names the file, the rows and what was expected, in Chinese (`zh`) and English."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Warning_:
    """A counted warning of the import: its kind, how many settlements (or persons) it concerns,
    what was done, in Chinese and English, and the first rows (data rows, 1 = the first)."""

    kind: str
    count: int
    zh: str
    en: str
    rows: tuple[int, ...] = ()

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass
class ImportReport:
    """What the import read and did: the column each field came from (None: absent), columns it
    could not map (by name), counted warnings, sizes, the encoding and the year."""

    source: str
    encoding: str
    rows: int
    settlements: int = 0
    persons: int = 0
    year: int = 0
    fields: dict[str, str | None] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    person_fields: dict[str, str | None] = field(default_factory=dict)
    person_unmapped: list[str] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)

    def warn(self, kind: str, count: int, zh: str, en: str, rows=()) -> None:
        if count:
            self.warnings.append(Warning_(kind, int(count), zh, en, tuple(int(r) for r in rows[:MAX_SHOWN])))

    def counts(self) -> dict[str, int]:
        return {w.kind: w.count for w in self.warnings}

    def fields_table(self, lang: str = "zh") -> pd.DataFrame:
        """One row a field: the field, its label, the column it came from (or —), required."""
        rows = []
        for k, f in C.FIELDS.items():
            col = self.fields.get(k)
            rows.append(
                {
                    "field": k,
                    "label": f.zh if lang == "zh" else f.en,
                    "column": col if col is not None else "—",
                    "required": f.required,
                }
            )
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class Mapping:
    """A column mapping for a non-standard extract (a small YAML file):

    columns: {结算流水号: setl_id, 就医类型: med_type}   # header in the file -> field
    person_columns: {收入: income}                       # header in the persons file -> column
    codes:                                               # a region's own codes -> the model's
      med_type: {"140104": chronic, "9903": outpatient, "9907": null}   # null: outside the model
      insutype: {"999": resident}
      hosp_lv: {"12": "2"}
    hospitals: {H330185001: "3", H520000001: province_1}   # 定点医药机构编号 -> scenario level
    encoding: gbk                                        # the files' encoding, if not detected
    year: 2024                                           # the year to keep (default: the commonest)
    """

    columns: dict[str, str] = field(default_factory=dict)
    person_columns: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, str | None]] = field(default_factory=dict)
    hospitals: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    year: int | None = None

    KEYS = ("columns", "person_columns", "codes", "hospitals", "encoding", "year")

    @classmethod
    def load(cls, source, name: str = "mapping") -> Mapping:
        """From a YAML path, YAML text/bytes, a dict, or None (no mapping)."""
        if source is None:
            return cls()
        if isinstance(source, Mapping):
            return source
        if isinstance(source, dict):
            data = source
        else:
            if isinstance(source, (str, Path)) and not _looks_like_yaml(source):
                p = Path(source)
                if not p.is_file():
                    raise SettlementError(f"{p}：找不到列映射文件", f"{p}: no such mapping file")
                name, text = str(p), p.read_bytes()
            else:
                text = source
            if isinstance(text, bytes):
                text = _decode(text, name)[0]
            try:
                data = yaml.safe_load(text) or {}
            except yaml.YAMLError as e:
                first = str(e).splitlines()[0]
                raise SettlementError(
                    f"{name}：不是有效的 YAML（{first}）", f"{name}: not valid YAML ({first})"
                ) from None
        if not isinstance(data, dict):
            raise SettlementError(f"{name}：应为键值映射", f"{name}: expected a mapping of keys")
        bad = [k for k in data if k not in cls.KEYS]
        if bad:
            raise SettlementError(
                f"{name}：未知的键 '{bad[0]}'（可用：{', '.join(cls.KEYS)}）",
                f"{name}: unknown key '{bad[0]}' (known: {', '.join(cls.KEYS)})",
            )
        cols = {str(k): str(v) for k, v in (data.get("columns") or {}).items()}
        unknown = [v for v in cols.values() if v not in C.FIELDS]
        if unknown:
            raise SettlementError(
                f"{name}：columns 把列映射到未知字段 '{unknown[0]}'",
                f"{name}: columns maps a header to the unknown field '{unknown[0]}' "
                f"(fields: {', '.join(C.FIELDS)})",
            )
        code_maps = {}
        for table, m in (data.get("codes") or {}).items():
            if table not in C.CODE_TABLES:
                raise SettlementError(
                    f"{name}：codes 下未知的代码表 '{table}'（可用：{', '.join(C.CODE_TABLES)}）",
                    f"{name}: codes has an unknown table '{table}' (tables: {', '.join(C.CODE_TABLES)})",
                )
            code_maps[table] = {str(k).strip(): (None if v is None else str(v)) for k, v in (m or {}).items()}
        year = data.get("year")
        return cls(
            columns=cols,
            person_columns={str(k): str(v) for k, v in (data.get("person_columns") or {}).items()},
            codes=code_maps,
            hospitals={str(k).strip(): str(v) for k, v in (data.get("hospitals") or {}).items()},
            encoding=data.get("encoding"),
            year=None if year is None else int(year),
        )


def _looks_like_yaml(s) -> bool:
    return isinstance(s, str) and ("\n" in s or s.lstrip().startswith(("{", "columns", "codes", "hospitals")))


@dataclass
class ObservedPopulation:
    """Persons and claims as the contract has them (`population`), the paid amounts of each claim
    (`observed`: one row per row of `population.claims`, with `setl_id`, `psn_no` and every money
    field of `codes.MONEY_FIELDS` in yuan) and the import's report."""

    population: Population
    observed: pd.DataFrame
    report: ImportReport

    @property
    def year(self) -> int:
        return self.report.year

    @property
    def months(self) -> int:
        """The last month with a settlement (12 for a whole year)."""
        m = self.population.claims["month"].to_numpy()
        return int(m.max()) if len(m) else 0


# ---------------------------------------------------------------------------- reading files


def _decode(data: bytes, source: str, encoding: str | None = None) -> tuple[str, str]:
    for enc in (encoding,) if encoding else ENCODINGS:
        try:
            return data.decode(enc), ("gbk" if enc == "gb18030" else "utf-8" if enc == "utf-8-sig" else enc)
        except (UnicodeDecodeError, LookupError):
            continue
    tried = encoding or "UTF-8 / GBK"
    raise SettlementError(
        f"{source}：无法按 {tried} 解码（文件编码不对，或不是文本文件）；请导出为 UTF-8 或 GBK 的 CSV",
        f"{source}: cannot be decoded as {tried} (a wrong encoding, or not a text file); "
        "export it as CSV in UTF-8 or GBK",
    )


def read_table(source, name: str, encoding: str | None = None) -> tuple[pd.DataFrame, str, str]:
    """(DataFrame of text cells, where, encoding) of a CSV, Excel or Parquet file (a path or bytes)."""
    where = name if isinstance(source, (bytes, bytearray)) else str(source)
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        suffix = ""
    else:
        p = Path(source)
        if not p.is_file():
            raise SettlementError(f"{where}：找不到文件", f"{where}: no such file")
        data = p.read_bytes()
        suffix = p.suffix.lower()
    if not data.strip():
        raise SettlementError(f"{where}：文件为空", f"{where}: the file is empty")
    if data[:4] == b"PAR1" or suffix in (".parquet", ".pq"):
        try:
            df = pd.read_parquet(io.BytesIO(data))
        except Exception as e:  # pyarrow raises many types for a broken file
            raise SettlementError(
                f"{where}：不是可读的 Parquet 文件",
                f"{where}: not a readable Parquet file ({type(e).__name__})",
            ) from None
        return df, where, "parquet"
    if data[:4] == b"PK\x03\x04" or suffix in (".xlsx", ".xlsm"):
        try:
            df = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False)
        except Exception as e:  # openpyxl raises many types for a broken workbook
            raise SettlementError(
                f"{where}：不是可读的 Excel 文件", f"{where}: not a readable Excel file ({type(e).__name__})"
            ) from None
        return df.replace({"": None}), where, "xlsx"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise SettlementError(
            f"{where}：文件为 UTF-16 编码；请导出为 UTF-8 或 GBK 的 CSV",
            f"{where}: the file is UTF-16; export it as CSV in UTF-8 or GBK",
        )
    text, enc = _decode(data, where, encoding)
    if "\x00" in text[:4096]:
        raise SettlementError(
            f"{where}：含有空字节，不是 CSV 文本（编码不对？）",
            f"{where}: holds NUL bytes, not CSV text (a wrong encoding?)",
        )
    df = _fast_csv(text)
    if df is None:  # pandas' parser, for its messages (and any file the fast reader refuses)
        try:
            df = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True
            )
        except pd.errors.ParserError as e:
            first = str(e).splitlines()[0][:160]
            raise SettlementError(
                f"{where}：CSV 格式有误（{first}）", f"{where}: not a well-formed CSV ({first})"
            ) from None
        except pd.errors.EmptyDataError:
            raise SettlementError(f"{where}：文件为空", f"{where}: the file is empty") from None
    return df, where, enc


def _fast_csv(text: str) -> pd.DataFrame | None:
    """The CSV as text columns with pyarrow's multithreaded reader (a million rows in a few
    seconds), or None when it refuses the file (then pandas reads it and names the problem)."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    first = text.split("\n", 1)[0]
    try:
        names = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return None
    names = [n.strip() for n in names]
    if not names or len(set(names)) != len(names) or any(not n for n in names):
        return None
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True, null_values=[""]
            ),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        )
    except (pa.ArrowInvalid, ValueError):
        return None
    return table.to_pandas()


def _rows(idx, limit: int = MAX_SHOWN) -> str:
    idx = np.asarray(idx)
    s = ", ".join(str(int(i) + 1) for i in idx[:limit])
    return s + (f" …（共 {len(idx):,} 行）" if len(idx) > limit else "")


def _rows_en(idx, limit: int = MAX_SHOWN) -> str:
    idx = np.asarray(idx)
    s = ", ".join(str(int(i) + 1) for i in idx[:limit])
    return s + (f" … ({len(idx):,} rows)" if len(idx) > limit else "")


def _canonical(df: pd.DataFrame, mapping: Mapping, where: str) -> tuple[pd.DataFrame, dict, list[str]]:
    """The extract with its columns named as fields; which column gave each field; unmapped columns."""
    found: dict[str, str] = {}
    rename: dict[str, str] = {}
    unmapped: list[str] = []
    for c in df.columns:
        name = str(c).strip().lstrip("\ufeff")
        f = mapping.columns.get(name) or C.FIELD_ALIASES.get(name) or C.FIELD_ALIASES.get(name.lower())
        if f is None:
            unmapped.append(name)
            continue
        if f in found:
            raise SettlementError(
                f"{where}：字段 {f}（{C.FIELDS[f].zh}）出现两次：列 '{found[f]}' 和 '{name}'",
                f"{where}: field {f} ({C.FIELDS[f].en}) appears twice: columns '{found[f]}' and '{name}'",
            )
        found[f] = name
        rename[c] = f
    missing = [k for k, f in C.FIELDS.items() if f.required and k not in found]
    if missing:
        seen = ", ".join(str(c) for c in list(df.columns)[:8])
        names = ", ".join(f"{k}（{C.FIELDS[k].zh}）" for k in missing)
        names_en = ", ".join(f"{k} ({C.FIELDS[k].en})" for k in missing)
        raise SettlementError(
            f"{where}：缺少必需字段 {names}；文件的表头为 {seen}。表头不同的文件请给出列映射（columns:）",
            f"{where}: missing required field(s) {names_en}; the file's headers are {seen}. "
            "Map other headers with a column mapping (columns:)",
        )
    out = df[list(rename)].rename(columns=rename)
    return out, {k: found.get(k) for k in C.FIELDS}, unmapped


def _money(df: pd.DataFrame, col: str, where: str) -> np.ndarray:
    s = df[col]
    try:  # text columns read by pyarrow cast in one pass; a bad cell falls through to the report
        arr = s.astype("float64").to_numpy(dtype=float, na_value=np.nan)
        if np.isfinite(arr[~s.isna().to_numpy()]).all():
            return np.where(np.isnan(arr), 0.0, arr)
    except (ValueError, TypeError):
        pass
    num = pd.to_numeric(s, errors="coerce")
    arr = num.to_numpy(dtype=float, na_value=np.nan)
    blank = s.isna().to_numpy()
    bad = (~np.isfinite(arr)) & ~blank
    if bad.any():
        idx = np.flatnonzero(bad)
        got = s.iloc[idx[0]]
        raise SettlementError(
            f"{where}：第 {_rows(idx)} 行，字段 {col}（{C.FIELDS[col].zh}）应为金额（元），实为 {got!r:.40}",
            f"{where}: row {_rows_en(idx)}, field {col} ({C.FIELDS[col].en}): expected an amount in yuan, "
            f"got {got!r:.40}",
        )
    return np.where(blank, 0.0, arr)


def _codes(
    values: pd.Series, table: str, mapping: Mapping, where: str, report: ImportReport, strict: bool = True
):
    """Each row's decoded value (a scheme, a setting, a level; None: outside the model), and the
    rows outside the model. An unknown code is an error (`strict`) or a counted warning."""
    s = values.astype("string").str.strip().fillna("")
    codes_, uniq = pd.factorize(s, sort=False)
    own = mapping.codes.get(table, {})
    out = np.empty(len(uniq), dtype=object)
    outside = np.zeros(len(uniq), dtype=bool)
    unknown = []
    for j, u in enumerate(uniq):
        u = str(u)
        if u in own:
            out[j] = own[u]
            outside[j] = own[u] is None
            continue
        code = C.decode(table, u)
        if code is None:
            unknown.append(j)
            out[j] = None
            continue
        out[j] = code.maps_to
        outside[j] = code.maps_to is None
        if code.maps_to is None:
            n = int((codes_ == j).sum())
            report.warn(
                f"outside_{table}_{u}",
                n,
                f"{n:,} 条结算的 {C.FIELDS[table].zh} 为 {u}（{code.label}）：不在模型范围内，已排除",
                f"{n:,} settlements with {table} {u} ({code.label}): outside the model ({code.note}), "
                "excluded",
                np.flatnonzero(codes_ == j),
            )
    if unknown:
        if strict:
            j = unknown[0]
            idx = np.flatnonzero(codes_ == j)
            known = ", ".join(f"{k} {c.label}" for k, c in C.CODE_TABLES[table].items())
            raise SettlementError(
                f"{where}：第 {_rows(idx)} 行，{C.FIELDS[table].zh}（{table}）'{uniq[j]}' "
                f"不是国家代码表中的代码"
                f"（{known}）；地方扩展代码请在列映射的 codes: {table}: 下给出",
                f"{where}: row {_rows_en(idx)}, {table} '{uniq[j]}' is not a code of the national table "
                f"({known}); map a region's own codes in the column mapping under codes: {table}:",
            )
        n = int(np.isin(codes_, unknown).sum())
        report.warn(
            f"unknown_{table}",
            n,
            f"{n:,} 条记录的{C.FIELDS[table].zh}不在代码表中（仅用于映射报告，不影响测算）",
            f"{n:,} rows with a {table} not in the code table (only shown in the mapping report)",
            np.flatnonzero(np.isin(codes_, unknown)),
        )
    return out[codes_], outside[codes_]


def _month_year(values: pd.Series, where: str) -> tuple[np.ndarray, np.ndarray]:
    s = values.astype("string").str.strip().fillna("")
    digits = s.str.replace(r"[^0-9]", "", regex=True)
    year = pd.to_numeric(digits.str.slice(0, 4), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    month = pd.to_numeric(digits.str.slice(4, 6), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~(
        np.isfinite(year)
        & np.isfinite(month)
        & (month >= 1)
        & (month <= 12)
        & (digits.str.len() >= 6).to_numpy()
    )
    if bad.any():
        idx = np.flatnonzero(bad)
        got = s.iloc[idx[0]]
        raise SettlementError(
            f"{where}：第 {_rows(idx)} 行，结算时间（setl_time）应为 yyyy-MM-dd HH:mm:ss，实为 {got!r:.30}",
            f"{where}: row {_rows_en(idx)}, setl_time: expected yyyy-MM-dd HH:mm:ss, got {got!r:.30}",
        )
    return month.astype(np.int8), year.astype(np.int64)


# ---------------------------------------------------------------------------- reversals


def net_reversals(df: pd.DataFrame, money: list[str], report: ImportReport) -> pd.DataFrame:
    """Net every visit (psn_no, mdtrt_id) that holds a negative settlement (see the module's text)."""
    neg = df["medfee_sumamt"].to_numpy() < 0
    if not neg.any():
        return df
    key = df["psn_no"].astype(str) + "\x1f" + df["mdtrt_id"].astype(str)
    g, _ = pd.factorize(key, sort=False)
    hit = np.zeros(g.max() + 1, dtype=bool)
    hit[g[neg]] = True
    rows = np.flatnonzero(hit[g])  # the rows of the visits with a reversal
    sub = df.iloc[rows]
    gs = g[rows]
    sums = sub.groupby(gs, sort=False)[money].sum()
    pos = sub["medfee_sumamt"].to_numpy() > 0
    last_pos = pd.Series(rows[pos], index=gs[pos]).groupby(level=0).last()
    first = pd.Series(rows, index=gs).groupby(level=0).first()
    net = sums["medfee_sumamt"]
    zero = np.abs(net.to_numpy()) <= CENT
    orphan = (net.to_numpy() < -CENT) | ~net.index.isin(last_pos.index)
    orphan &= ~zero
    keep = ~(zero | orphan)
    report.warn(
        "reversed",
        int(zero.sum()),
        f"{int(zero.sum()):,} 次就诊的结算已被撤销（冲销后为零），已抵消",
        f"{int(zero.sum()):,} visits whose settlement was reversed (netting to zero): netted out",
        first.to_numpy()[zero],
    )
    resettled = int(keep.sum())
    report.warn(
        "resettled",
        resettled,
        f"{resettled:,} 次就诊撤销后重新结算：合并为一条净结算",
        f"{resettled:,} visits reversed and settled again: netted into one settlement",
        first.to_numpy()[keep],
    )
    report.warn(
        "reversal_without_original",
        int(orphan.sum()),
        f"{int(orphan.sum()):,} 次就诊只有撤销（负数）记录、找不到原结算（可能在上年度）：已排除",
        f"{int(orphan.sum()):,} visits with a reversal (negative rows) and no original settlement in the "
        "extract (settled the year before?): excluded",
        first.to_numpy()[orphan],
    )
    # the kept visits: amounts netted, codes and time of the last positive row, at the first row
    kept_g = net.index.to_numpy()[keep]
    at = first.loc[kept_g].to_numpy()
    src = last_pos.loc[kept_g].to_numpy()
    out = df.copy()
    for col in df.columns:
        if col in money:
            out.iloc[at, out.columns.get_loc(col)] = sums.loc[kept_g, col].to_numpy()
        else:
            out.iloc[at, out.columns.get_loc(col)] = df[col].to_numpy()[src]
    drop = np.zeros(len(df), dtype=bool)
    drop[rows] = True
    drop[at] = False
    return out.iloc[np.flatnonzero(~drop)].reset_index(drop=True)


# ---------------------------------------------------------------------------- persons

FLAG_COLUMNS = ("disabled", "veteran", "union_member", "enrolled")


def _flags(s: pd.Series):
    """A yes/no column as booleans when every value is a yes/no word (the distinct values only are
    looked at: a million rows of 是/否 in a few milliseconds); else the column as it is, for
    validate_persons to report the bad rows."""
    codes, uniq = pd.factorize(s.astype("string").str.strip().str.lower(), use_na_sentinel=False)
    words = [str(u) for u in uniq]
    if not all(w in TRUE_WORDS or w in FALSE_WORDS for w in words):
        return s.array
    return np.array([w in TRUE_WORDS for w in words], dtype=bool)[codes]


def _numbers(s: pd.Series):
    """A text column of numbers as floats in one pass, or as it is when a cell is not a number (for
    validate_persons to report the rows)."""
    try:
        arr = s.astype("float64").to_numpy(dtype=float, na_value=np.nan)
    except (ValueError, TypeError):
        return s.array
    return arr if np.isfinite(arr).all() else s.array


def _index_in(values, value_set) -> np.ndarray:
    """Position of each value in `value_set` (-1 if absent), by pyarrow's hash join."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def arrow(x):
        return pa.array(np.asarray(x, dtype=object) if not hasattr(x, "array") else x.astype("string").array)

    out = pc.index_in(arrow(values), value_set=arrow(value_set))
    return np.asarray(out.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


PERSON_ALIASES = {
    "psn_no": "psn_no",
    "人员编号": "psn_no",
    "个人编号": "psn_no",
    "家庭编号": "household_id",
    "户编号": "household_id",
    "household_id": "household_id",
    "年龄": "age",
    "age": "age",
    "出生日期": "brdy",
    "brdy": "brdy",
    "险种类型": "insutype",
    "insutype": "insutype",
    "险种": "scheme",
    "参保险种": "scheme",
    "scheme": "scheme",
    "救助类别": "category",
    "category": "category",
    "人员类别": "psn_type",
    "psn_type": "psn_type",
    "年收入": "income",
    "可支配收入": "income",
    "收入": "income",
    "income": "income",
}


def _persons(
    pdf: pd.DataFrame, where: str, mapping: Mapping, year: int, scheme_of: dict, report: ImportReport
):
    """The persons file as the contract's persons (person_id from psn_no in file order)."""
    rename, found, unmapped = {}, {}, []
    for c in pdf.columns:
        name = str(c).strip().lstrip("\ufeff")
        f = mapping.person_columns.get(name) or PERSON_ALIASES.get(name) or PERSON_ALIASES.get(name.lower())
        if f is None:
            unmapped.append(name)  # handed to validate_persons, which knows the contract's aliases
            continue
        if f in found:
            raise SettlementError(
                f"{where}：列 '{found[f]}' 和 '{name}' 都是 {f}",
                f"{where}: columns '{found[f]}' and '{name}' are both {f}",
            )
        found[f] = name
        rename[c] = f
    report.person_fields = {k: found.get(k) for k in dict.fromkeys(PERSON_ALIASES.values())}
    df = pdf.rename(columns=rename)
    if "psn_no" not in df:
        raise SettlementError(
            f"{where}：缺少人员编号列（psn_no / 人员编号）",
            f"{where}: no person id column (psn_no / 人员编号)",
        )
    psn = df["psn_no"].astype("string").str.strip()
    if psn.isna().any():
        idx = np.flatnonzero(psn.isna().to_numpy())
        raise SettlementError(
            f"{where}：第 {_rows(idx)} 行没有人员编号", f"{where}: row {_rows_en(idx)} has no person id"
        )
    dup = psn.duplicated().to_numpy()
    if dup.any():
        idx = np.flatnonzero(dup)
        raise SettlementError(
            f"{where}：第 {_rows(idx)} 行，人员编号 {psn.iloc[idx[0]]} 重复",
            f"{where}: row {_rows_en(idx)}, person id {psn.iloc[idx[0]]} appears more than once",
        )
    out = pd.DataFrame({"person_id": np.arange(1, len(df) + 1, dtype=np.int64)})
    if "household_id" in df:
        hh = df["household_id"].astype("string").str.strip()
        missing = hh.isna().to_numpy()
        hh = hh.where(~hh.isna(), "\x00" + psn)  # a person without a household is their own
        report.warn(
            "no_household",
            int(missing.sum()),
            f"{int(missing.sum()):,} 人没有家庭编号：各自作为一户",
            f"{int(missing.sum()):,} persons without a household id: each their own household",
            np.flatnonzero(missing),
        )
        out["household_id"] = pd.factorize(hh, sort=False)[0].astype(np.int64) + 1
    else:
        report.warn(
            "no_household",
            len(df),
            f"人员文件没有家庭编号列：{len(df):,} 人各自作为一户（家庭封顶等按户的规则按个人计算）",
            f"the persons file has no household column: each of {len(df):,} persons is their own household "
            "(household rules such as the cap apply per person)",
        )
        out["household_id"] = out["person_id"]
    if "age" in df:
        out["age"] = _numbers(df["age"])
    elif "brdy" in df:
        y = pd.to_numeric(df["brdy"].astype("string").str.strip().str.slice(0, 4), errors="coerce")
        bad = y.isna().to_numpy() | (y.to_numpy(dtype=float, na_value=np.nan) > year)
        if bad.any():
            idx = np.flatnonzero(bad)
            raise SettlementError(
                f"{where}：第 {_rows(idx)} 行，出生日期应为 yyyy-MM-dd 且不晚于 {year} 年",
                f"{where}: row {_rows_en(idx)}, birth date: expected yyyy-MM-dd no later than {year}",
            )
        out["age"] = (year - y.to_numpy(dtype=np.int64)).astype(np.int64)  # completed years at the year's end
    else:
        raise SettlementError(
            f"{where}：缺少年龄或出生日期列（年龄 / 出生日期 brdy）",
            f"{where}: no age or birth date column (年龄 / 出生日期 brdy)",
        )
    # the scheme: the persons file's insutype (or 险种), else the person's settlements
    scheme = np.full(len(df), None, dtype=object)
    if "insutype" in df:
        dec, outside = _codes(df["insutype"], "insutype", mapping, where, report)
        scheme = np.where(outside, None, dec)
    elif "scheme" in df:
        scheme = df["scheme"].astype("string").str.strip().to_numpy(dtype=object)
    ids, first_scheme = scheme_of
    at = _index_in(psn, ids)
    from_settlements = np.where(at >= 0, np.asarray(first_scheme, dtype=object)[np.maximum(at, 0)], None)
    blank = pd.isna(pd.Series(scheme, dtype=object)).to_numpy()
    scheme = np.where(blank, from_settlements, scheme)
    none = pd.isna(pd.Series(scheme, dtype=object)).to_numpy()
    if none.any():
        idx = np.flatnonzero(none)
        raise SettlementError(
            f"{where}：第 {_rows(idx)} 行的人员既无险种类型（insutype）也无结算记录，无法确定职工/居民",
            f"{where}: row {_rows_en(idx)}: a person with neither an insutype nor a settlement, whose "
            "scheme (employee/resident) is unknown",
        )
    out["scheme"] = scheme
    out["category"] = df["category"].to_numpy() if "category" in df else "none"
    if "income" in df:
        out["income"] = _numbers(df["income"])
    else:
        report.warn(
            "no_income",
            len(df),
            f"人员文件没有收入列：{len(df):,} 人的收入按 0 计（政策找人、预警和经济风险保护指标无意义）",
            f"the persons file has no income column: {len(df):,} persons taken at income 0 (政策找人, the "
            "warnings and the financial-protection figures mean nothing then)",
        )
        out["income"] = 0.0
    if "psn_type" in df:
        _codes(df["psn_type"], "psn_type", mapping, where, report, strict=False)
    # the contract's own optional columns (district, disabled, enrolled, ...) under their aliases
    for c in unmapped:
        out[c] = _flags(pdf[c]) if COLUMN_ALIASES.get(c, c) in FLAG_COLUMNS else pdf[c].array
    known = set(COLUMN_ALIASES) | set(COLUMN_ALIASES.values()) | set(PERSON_OPTIONAL)
    report.person_unmapped = [c for c in unmapped if c not in known]
    pp, mask = validate_persons(out, where, row_offset=2 if where.endswith(".csv") else 1)
    pp["psn_no"] = psn.array
    return pp, mask


# ---------------------------------------------------------------------------- the whole import


def load_settlements(settlements, persons, *, mapping=None, hospitals=None) -> ObservedPopulation:
    """Read a settlement extract and its persons file (paths or bytes; `mapping`: a `Mapping`, a
    YAML path or text, or a dict; `hospitals`: a table of 定点医药机构编号 -> scenario level, the
    `hospitals:` of a mapping). Raises SettlementError (a PopulationError)."""
    m = Mapping.load(mapping)
    if hospitals:
        m = Mapping(m.columns, m.person_columns, m.codes, {**m.hospitals, **hospitals}, m.encoding, m.year)
    raw, where, enc = read_table(settlements, "settlements", m.encoding)
    report = ImportReport(source=where, encoding=enc, rows=len(raw))
    df, report.fields, report.unmapped = _canonical(raw, m, where)
    del raw
    if len(df) == 0:
        raise SettlementError(f"{where}：没有结算记录", f"{where}: no settlements (header only)")
    for col in ("setl_id", "psn_no"):
        s = df[col].astype("string").str.strip()
        if s.isna().any():
            idx = np.flatnonzero(s.isna().to_numpy())
            raise SettlementError(
                f"{where}：第 {_rows(idx)} 行没有 {col}（{C.FIELDS[col].zh}）",
                f"{where}: row {_rows_en(idx)} has no {col} ({C.FIELDS[col].en})",
            )
        df[col] = s.array
    df["mdtrt_id"] = (
        df["mdtrt_id"].astype("string").fillna(df["setl_id"]) if "mdtrt_id" in df else df["setl_id"]
    )
    dup = pd.Index(df["setl_id"]).duplicated()
    if dup.any():
        idx = np.flatnonzero(dup)
        sid = df["setl_id"].iloc[idx[0]]
        first = np.flatnonzero((df["setl_id"] == sid).to_numpy())
        raise SettlementError(
            f"{where}：结算ID {sid} 重复（第 {_rows(first)} 行）；共 {len(idx):,} 行重复。"
            "请去除重复导出的记录",
            f"{where}: settlement id {sid} appears more than once (rows {_rows_en(first)}); {len(idx):,} "
            "duplicated rows in all. Remove the rows exported twice",
        )
    for col in C.MONEY_FIELDS:
        df[col] = _money(df, col, where) if col in df.columns else 0.0
    money = list(C.MONEY_FIELDS)
    df = net_reversals(df, money, report)
    n = len(df)
    month, year = _month_year(df["setl_time"], where)
    y = m.year if m.year is not None else int(pd.Series(year).mode().iloc[0]) if n else 0
    report.year = y
    keep = year == y
    report.warn(
        "other_year",
        int((~keep).sum()),
        f"{int((~keep).sum()):,} 条结算不在 {y} 年：已排除",
        f"{int((~keep).sum()):,} settlements outside {y}: excluded",
        np.flatnonzero(~keep),
    )
    # amounts that do not add up (kept as they are: the fields are compared one by one)
    fund = df["fund_pay_sumamt"].to_numpy()
    gap = (
        fund + df["psn_part_amt"].to_numpy() + df["hosp_part_amt"].to_numpy() - df["medfee_sumamt"].to_numpy()
    )
    off = np.abs(gap) > CENT * 2
    report.warn(
        "sum_mismatch",
        int(off.sum()),
        f"{int(off.sum()):,} 条结算的 基金支付总额 + 个人负担总金额 + 医院负担金额 ≠ 医疗费总额"
        "（超过 0.01 元）：按原值保留",
        f"{int(off.sum()):,} settlements where fund_pay_sumamt + psn_part_amt + hosp_part_amt != "
        "medfee_sumamt "
        "(by more than 0.01 yuan): kept as they are",
        np.flatnonzero(off),
    )
    funds = sum(df[c].to_numpy() for c in C.FUND_FIELDS)
    off = np.abs(funds - fund) > CENT * 2
    report.warn(
        "funds_mismatch",
        int(off.sum()),
        f"{int(off.sum()):,} 条结算的各基金支出之和 ≠ 基金支付总额：按原值保留",
        f"{int(off.sum()):,} settlements whose funds do not add up to fund_pay_sumamt: kept as they are",
        np.flatnonzero(off),
    )
    over = df["inscp_scp_amt"].to_numpy() > df["medfee_sumamt"].to_numpy() + CENT
    if over.any():
        idx = np.flatnonzero(over)
        raise SettlementError(
            f"{where}：第 {_rows(idx)} 行，符合政策范围金额大于医疗费总额",
            f"{where}: row {_rows_en(idx)}: inscp_scp_amt (policy-range cost) above medfee_sumamt",
        )
    setting, out_set = _codes(df["med_type"], "med_type", m, where, report)
    scheme, out_ins = _codes(df["insutype"], "insutype", m, where, report)
    if "psn_type" in df:
        _codes(df["psn_type"], "psn_type", m, where, report, strict=False)
    level = _levels(df, m, where)
    keep &= ~out_set & ~out_ins
    rows = np.flatnonzero(keep)
    df, setting, scheme, level, month = (
        df.iloc[rows].reset_index(drop=True),
        setting[rows],
        scheme[rows],
        level[rows],
        month[rows],
    )
    report.settlements = len(df)
    # persons
    first = ~pd.Index(df["psn_no"]).duplicated()  # each person's first settlement's scheme
    scheme_of = (df["psn_no"].iloc[np.flatnonzero(first)], scheme[first])
    pdf, pwhere, _ = read_table(persons, "persons", m.encoding)
    pp, mask = _persons(pdf, pwhere, m, y, scheme_of, report)
    report.persons = len(pp)
    pos = _index_in(df["psn_no"], pp["psn_no"])
    if (pos < 0).any():
        idx = np.flatnonzero(pos < 0)
        raise SettlementError(
            f"{where}：{len(idx):,} 条结算的人员不在人员文件中"
            f"（如人员编号 {df['psn_no'].iloc[idx[0]]}，第 {_rows(idx)} 行）",
            f"{where}: {len(idx):,} settlements of persons not in the persons file (e.g. person id "
            f"{df['psn_no'].iloc[idx[0]]}, row {_rows_en(idx)})",
        )
    differs = scheme != pp["scheme"].astype(str).to_numpy()[pos]
    report.warn(
        "scheme_differs",
        int(differs.sum()),
        f"{int(differs.sum()):,} 条结算的险种类型与人员的险种不同：按人员的险种测算",
        f"{int(differs.sum()):,} settlements whose insutype differs from the person's scheme: "
        "simulated under "
        "the person's scheme",
        np.flatnonzero(differs),
    )
    claims = pd.DataFrame(
        {
            "person_id": pp["person_id"].to_numpy()[pos],
            "setting": setting,
            "hospital_level": level,
            "total_cost": df["medfee_sumamt"].to_numpy(),
            "policy_cost": df["inscp_scp_amt"].to_numpy(),
            "month": month,
        }
    )
    if "dise_codg" in df:
        claims["disease"] = df["dise_codg"].fillna("").to_numpy()
    for col in ("referred", "referral_chain", "out_of_city"):
        if col in df:
            claims[col] = df[col].to_numpy()
    cc = validate_claims(claims, pp["person_id"].to_numpy(), where, row_offset=1)
    cc["setl_id"] = df["setl_id"].array
    pop = Population.trusted(pp, cc, source=f"{where} + {pwhere}")
    pop.__dict__["_cat_mask"] = mask
    observed = pd.DataFrame({"setl_id": df["setl_id"].array, "psn_no": df["psn_no"].array})
    for col in C.MONEY_FIELDS:
        observed[col] = df[col].to_numpy(dtype=float)
    return ObservedPopulation(pop, observed, report)


def _levels(df: pd.DataFrame, m: Mapping, where: str) -> np.ndarray:
    """The scenario's level of each settlement: the mapping's hospitals table by 定点医药机构编号,
    else the hospital's grade (hosp_lv) decoded."""
    n = len(df)
    level = np.full(n, None, dtype=object)
    if m.hospitals and "fixmedins_code" in df:
        code = df["fixmedins_code"].astype("string").str.strip().fillna("")
        level = code.map(m.hospitals).to_numpy(dtype=object)
    todo = pd.isna(pd.Series(level, dtype=object)).to_numpy()
    if todo.any():
        if "hosp_lv" not in df:
            idx = np.flatnonzero(todo)
            raise SettlementError(
                f"{where}：第 {_rows(idx)} 行没有医院等级：请在导出中加入 医院等级（hosp_lv），"
                "或在列映射的 hospitals: 下按定点医药机构编号给出",
                f"{where}: row {_rows_en(idx)} has no hospital level: add hosp_lv (医院等级) to the extract, "
                "or list "
                "the institutions under hospitals: in the column mapping",
            )
        sub = df["hosp_lv"].iloc[np.flatnonzero(todo)]
        codes_, uniq = pd.factorize(sub.astype("string").str.strip().fillna(""), sort=False)
        own = m.codes.get("hosp_lv", {})
        lv = np.empty(len(uniq), dtype=object)
        for j, u in enumerate(uniq):
            c = (
                own.get(str(u))
                if str(u) in own
                else (C.decode("hosp_lv", u).maps_to if C.decode("hosp_lv", u) else None)
            )
            if c is None:
                idx = np.flatnonzero(todo)[codes_ == j]
                known = ", ".join(f"{k} {c.label}" for k, c in C.HOSP_LV.items())
                raise SettlementError(
                    f"{where}：第 {_rows(idx)} 行，医院等级（hosp_lv）'{u}' "
                    f"不是国家代码表中的代码（{known}）；"
                    "请在列映射的 codes: hosp_lv: 下给出",
                    f"{where}: row {_rows_en(idx)}, hosp_lv '{u}' is not a code of the national table "
                    f"({known}); "
                    "map it in the column mapping under codes: hosp_lv:",
                )
            lv[j] = c
        level[np.flatnonzero(todo)] = lv[codes_]
    return level.astype(str)
