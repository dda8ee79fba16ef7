"""`Population`: persons and claims as validated DataFrames, plus the encoded arrays the rules use.

Validation reports every bad row by source, row and column and drops nothing silently. The encoded
arrays are built once per population and are read-only, so a cached population can be shared by
many simulations (and app sessions) without copies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import PopulationError
from ..parameters import CAT_BIT_OF, CATEGORY_CODES, CATEGORY_LABELS, SCHEMES, SETTINGS

PERSON_COLUMNS = ("person_id", "household_id", "age", "scheme", "category", "income", "weight")
PERSON_OPTIONAL = {
    "district": "all",
    "disabled": False,
    "veteran": False,
    "union_member": False,
    "enrolled": True,
    "care_need": 0,
    "care_setting": "home",
    "identified_month": 0,
}
CLAIM_COLUMNS = ("person_id", "setting", "hospital_level", "total_cost", "policy_cost")
CLAIM_OPTIONAL = {"referred": True, "disease": "", "referral_chain": -1, "month": 0, "out_of_city": "local"}
# out_of_city codes in PopulationArrays.claim_out_of_city
OUT_OF_CITY_CODES = ("local", "registered", "unregistered")
OUT_OF_CITY_EXPECTED = "local, registered or unregistered (本市/备案/未备案)"

# Text columns are pandas categoricals with sorted categories: one byte a row instead of a Python
# string (~60 B a person less with the claims: 0.6 GiB at 1e7), the same dtype from the generator,
# validation and Parquet.
PERSON_TEXT = ("category", "district", "care_setting")
CLAIM_TEXT = ("hospital_level", "disease", "out_of_city")


def text_column(names, codes: np.ndarray | None = None, n: int | None = None) -> pd.Categorical:
    """Rows `names[codes]` as a categorical with sorted, distinct categories; `names` a single
    string and `n` rows for a constant column."""
    if isinstance(names, str):
        return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=pd.Index([names], dtype=str))
    text = np.asarray([str(x) for x in names], dtype=object)
    cats, remap = np.unique(text.astype(str), return_inverse=True)
    codes = np.asarray(codes)
    small = np.int8 if len(cats) < 128 else np.int16 if len(cats) < 32768 else np.int32
    new = remap.reshape(-1).astype(small)[codes] if len(codes) else np.zeros(0, dtype=small)
    return pd.Categorical.from_codes(new, categories=pd.Index(cats.tolist(), dtype=str))


def as_text_column(values, default: str = "") -> pd.Categorical:
    """Any text values (array, Series, categorical; missing -> `default`) as a `text_column`."""
    s = pd.Series(values, copy=False)
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes, cats = s.cat.codes.to_numpy(), s.cat.categories
        if (codes < 0).any():
            cats = cats.append(pd.Index([default]))
            codes = np.where(codes < 0, len(cats) - 1, codes)
        return text_column(cats, codes)
    codes, uniq = pd.factorize(s.astype("string").fillna(default).to_numpy(dtype=object), sort=False)
    return text_column(uniq, codes)


# Chinese headers as settlement systems export them, accepted as aliases of contract columns
COLUMN_ALIASES = {
    "人员编号": "person_id",
    "个人编号": "person_id",
    "家庭编号": "household_id",
    "户编号": "household_id",
    "年龄": "age",
    "险种": "scheme",
    "参保险种": "scheme",
    "救助类别": "category",
    "人员类别": "category",
    "年收入": "income",
    "可支配收入": "income",
    "权重": "weight",
    "乡镇街道": "district",
    "区县": "district",
    "持证残疾人": "disabled",
    "退役军人": "veteran",
    "工会会员": "union_member",
    "参保": "enrolled",
    "是否参保": "enrolled",
    "失能等级": "care_need",
    "护理方式": "care_setting",
    "认定月份": "identified_month",
    "住院/门诊": "setting",
    "就诊类型": "setting",
    "医疗类别": "setting",
    "医院等级": "hospital_level",
    "总费用": "total_cost",
    "医疗总费用": "total_cost",
    "政策范围内费用": "policy_cost",
    "合规费用": "policy_cost",
    "是否转诊": "referred",
    "病种": "disease",
    "病种编码": "disease",
    "转诊链": "referral_chain",
    "月份": "month",
    "异地就医": "out_of_city",
}
SCHEME_ALIASES = {
    "employee": "employee",
    "职工": "employee",
    "职工医保": "employee",
    "城镇职工": "employee",
    "resident": "resident",
    "居民": "resident",
    "居民医保": "resident",
    "城乡居民": "resident",
    "城乡居民医保": "resident",
}
OUT_OF_CITY_ALIASES = {
    "local": "local",
    "": "local",
    "本市": "local",
    "本地": "local",
    "registered": "registered",
    "备案": "registered",
    "已备案": "registered",
    "异地备案": "registered",
    "unregistered": "unregistered",
    "未备案": "unregistered",
    "异地未备案": "unregistered",
}
CARE_SETTING_ALIASES = {
    "home": "home",
    "居家": "home",
    "居家护理": "home",
    "institution": "institution",
    "机构": "institution",
    "机构护理": "institution",
}
SETTING_ALIASES = {
    "inpatient": "inpatient",
    "住院": "inpatient",
    "outpatient": "outpatient",
    "门诊": "outpatient",
    "门急诊": "outpatient",
    "普通门诊": "outpatient",
    "chronic": "chronic",
    "门诊慢特病": "chronic",
    "慢特病": "chronic",
    "门特": "chronic",
}
CATEGORY_ALIASES = {code: code for code in CATEGORY_CODES}
CATEGORY_ALIASES.update({zh: code for code, (zh, _) in CATEGORY_LABELS.items()})
CATEGORY_ALIASES.update(
    {
        "": "none",
        "普通": "none",
        "无": "none",
        "特困": "tekun",
        "低保": "dibao",
        "低边": "dibian",
        "低保边缘": "dibian",
        "低收入": "dibian",
        "支出型贫困": "expenditure_poor",
        "孤儿": "orphan",
        "困境儿童": "orphan",
        "特殊救济": "special_relief",
        "建档立卡": "poverty_registered",
        "计生两户": "family_planning",
    }
)
TRUE_WORDS = {"true", "1", "yes", "y", "t", "是", "已转诊", "转诊"}
FALSE_WORDS = {"false", "0", "no", "n", "f", "否", "未转诊"}
CAT_BIT = CAT_BIT_OF
MAX_AMOUNT = 1e9  # yuan; one episode above a billion is a data error, not a patient


def _fail(source: str, rows: pd.Index | np.ndarray, column: str, expected: str, got=None, offset=0):
    rows = np.asarray(rows)
    first = rows[:5] + offset
    more = f" and {len(rows) - 5} more rows" if len(rows) > 5 else ""
    rows_s = ", ".join(str(int(r)) for r in first)
    got_s = f" (got {got!r:.60})" if got is not None else ""
    more_zh = f"（另有 {len(rows) - 5} 行）" if len(rows) > 5 else ""
    got_zh = f"（实际为 {got!r:.60}）" if got is not None else ""
    err = PopulationError(
        f"{source}: row {rows_s}{more}, column '{column}': expected {expected}{got_s}",
        zh=f"{table_zh(source)}：第 {'、'.join(str(int(r)) for r in first)} 行{more_zh}，"
        f"{column_zh(column)}：应为{expected_zh(expected)}{got_zh}",
    )
    err.detail = {
        "source": source,
        "rows": [int(r) for r in first],
        "more": max(len(rows) - 5, 0),
        "column": column,
        "expected": expected,
        "expected_zh": expected_zh(expected),
        "got": None if got is None else f"{got!r:.60}",
    }
    raise err


# what `_fail` says a cell should be, in Chinese (a page shows the error in its own language)
_EXPECTED_ZH = {
    "an integer id": "整数编号",
    "an integer": "整数",
    "an age in years": "年龄（岁）",
    "an annual income in yuan": "年收入（元）",
    "an amount in yuan": "金额（元）",
    "a weight": "权重",
    "a care level 0-3": "失能等级 0-3",
    "a month 0-12 (0: not newly identified)": "月份 0-12（0：非新认定）",
    "a month 1-12": "月份 1-12",
    "true/false (or 是/否, 1/0)": "是/否（或 true/false、1/0）",
    "employee or resident (职工/居民)": "职工或居民",
    "home or institution (居家/机构)": "居家或机构",
    "inpatient, outpatient or chronic (住院/门诊/门诊慢特病)": "住院、门诊或门诊慢特病",
    "local, registered or unregistered (本市/备案/未备案)": "本市、异地备案或异地未备案",
    "a unique person id": "不重复的人员编号",
    "the id of a person in the persons table": "人员表中已有人员的编号",
    "a hospital level (1, 2, 3 or a scenario code)": "医院等级（1、2、3 或情景定义的代码）",
}


def expected_zh(expected: str) -> str:
    """`_fail`'s expectation in Chinese (the English itself where no translation is known)."""
    if expected in _EXPECTED_ZH:
        return _EXPECTED_ZH[expected]
    m = re.fullmatch(r"policy_cost ≤ total_cost \((.*)\)", expected)
    if m:
        return f"政策范围内费用不超过总费用（{m.group(1)}）"
    m = re.fullmatch(r"category codes (.*) joined with '\|'", expected)
    if m:
        return f"救助类别代码（{m.group(1)}，多个以“|”连接）"
    for suffix, zh in ((" (a finite number)", "（有限数值）"),):
        if expected.endswith(suffix):
            return expected_zh(expected[: -len(suffix)]) + zh
    m = re.fullmatch(r"(.*) ([≥≤]) (.*)", expected)
    if m and m.group(1) in _EXPECTED_ZH:
        return f"{_EXPECTED_ZH[m.group(1)]} {m.group(2)} {m.group(3)}"
    return expected


# each column's Chinese name (its first alias): a message in Chinese names the column both ways
_COLUMN_ZH = {name: alias for alias, name in reversed(COLUMN_ALIASES.items())}


def column_zh(column: str) -> str:
    """列“人员编号”（person_id）: the Chinese name and the header the file carries."""
    zh = _COLUMN_ZH.get(column)
    return f"列“{zh}”（{column}）" if zh else f"列“{column}”"


def table_zh(source: str) -> str:
    """The table a message is about, in Chinese: 人员表 / 就诊记录表, or the file's own name."""
    name = str(source)
    if name in ("persons", "claims"):
        return "人员表" if name == "persons" else "就诊记录表"
    if name.endswith("claims"):
        return f"{name[: -len('claims')].strip()} 就诊记录表".strip()
    return name


def _rename_aliases(df: pd.DataFrame, source: str) -> pd.DataFrame:
    cols = {}
    for c in df.columns:
        name = str(c).strip().lstrip("\ufeff")
        cols[c] = COLUMN_ALIASES.get(name, name)
    out = df.rename(columns=cols)
    dup = out.columns[out.columns.duplicated()].tolist()
    if dup:
        raise PopulationError(
            f"{source}: column '{dup[0]}' appears twice (directly or via its alias)",
            zh=f"{table_zh(source)}：{column_zh(dup[0])}出现两次（直接或经由其中文别名）",
        )
    return out


def _int_column(df, col, source, offset, lo=None, hi=None, what="an integer"):
    s = df[col]
    num = pd.to_numeric(s, errors="coerce")
    bad = num.isna() | ~np.isfinite(num.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        idx = np.flatnonzero(bad.to_numpy())
        _fail(source, idx, col, what, s.iloc[idx[0]], offset)
    arr = num.to_numpy(dtype=float)
    if (arr != np.round(arr)).any():
        idx = np.flatnonzero(arr != np.round(arr))
        _fail(source, idx, col, what, s.iloc[idx[0]], offset)
    if lo is not None and (arr < lo).any():
        idx = np.flatnonzero(arr < lo)
        _fail(source, idx, col, f"{what} ≥ {lo}", s.iloc[idx[0]], offset)
    if hi is not None and (arr > hi).any():
        idx = np.flatnonzero(arr > hi)
        _fail(source, idx, col, f"{what} ≤ {hi}", s.iloc[idx[0]], offset)
    return arr.astype(np.int64)


def _float_column(df, col, source, offset, lo=0.0, hi=MAX_AMOUNT, what="an amount in yuan"):
    s = df[col]
    num = pd.to_numeric(s, errors="coerce")
    arr = num.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = np.flatnonzero(bad)
        _fail(source, idx, col, f"{what} (a finite number)", s.iloc[idx[0]], offset)
    if (arr < lo).any():
        idx = np.flatnonzero(arr < lo)
        _fail(source, idx, col, f"{what} ≥ {lo:g}", s.iloc[idx[0]], offset)
    if (arr > hi).any():
        idx = np.flatnonzero(arr > hi)
        _fail(source, idx, col, f"{what} ≤ {hi:g}", s.iloc[idx[0]], offset)
    return arr


def _bool_column(df, col, source, offset):
    s = df[col]
    if s.dtype == bool:
        return s.to_numpy()
    txt = s.astype("string").str.strip().str.lower().fillna("")
    uniq, inv = np.unique(txt.to_numpy(dtype=object).astype(str), return_inverse=True)
    vals = np.empty(len(uniq), dtype=np.int8)
    for i, u in enumerate(uniq):
        vals[i] = 1 if u in TRUE_WORDS or u == "1.0" else 0 if u in FALSE_WORDS or u == "0.0" else -1
    out = vals[inv]
    if (out < 0).any():
        idx = np.flatnonzero(out < 0)
        _fail(source, idx, col, "true/false (or 是/否, 1/0)", s.iloc[idx[0]], offset)
    return out.astype(bool)


def _coded_column(df, col, source, offset, aliases: dict, expected: str):
    s = df[col].astype("string").str.strip().fillna("")
    codes, uniq = pd.factorize(s.to_numpy(dtype=object), sort=False)
    mapped = []
    for j, u in enumerate(uniq):
        m = aliases.get(str(u).lower(), aliases.get(str(u)))
        if m is None:
            idx = np.flatnonzero(codes == j)
            _fail(source, idx, col, expected, u, offset)
        mapped.append(m)
    return mapped, codes


def _coded_values(df, col, source, offset, aliases: dict, expected: str) -> np.ndarray:
    mapped, codes = _coded_column(df, col, source, offset, aliases, expected)
    return np.asarray(mapped, dtype=object)[codes]


def _category_column(df, source, offset):
    s = df["category"].astype("string").str.strip().fillna("")
    codes, uniq = pd.factorize(s.to_numpy(dtype=object), sort=False)
    masks = np.zeros(len(uniq), dtype=np.int64)
    canon = []
    for j, u in enumerate(uniq):
        m = 0
        names = []
        for part in str(u).replace("｜", "|").split("|"):
            part = part.strip()
            code = CATEGORY_ALIASES.get(part.lower(), CATEGORY_ALIASES.get(part))
            if code is None:
                idx = np.flatnonzero(codes == j)
                _fail(
                    source,
                    idx,
                    "category",
                    f"category codes {'/'.join(CATEGORY_CODES)} joined with '|'",
                    u,
                    offset,
                )
            if code != "none":
                m |= CAT_BIT[code]
                names.append(code)
        masks[j] = m
        canon.append("|".join(dict.fromkeys(names)) or "none")
    return masks[codes], text_column(canon, codes)


def validate_persons(persons: pd.DataFrame, source: str = "persons", row_offset: int = 0):
    """Check and normalise a persons table; returns (DataFrame, arrays)."""
    if not isinstance(persons, pd.DataFrame):
        raise PopulationError(f"{source}: expected a pandas DataFrame, got {type(persons).__name__}")
    df = _rename_aliases(persons, source)
    if "weight" not in df.columns:
        df = df.assign(weight=1.0)
    missing = [c for c in PERSON_COLUMNS if c not in df.columns]
    if missing:
        raise PopulationError(
            f"{source}: missing column '{missing[0]}' (persons need {', '.join(PERSON_COLUMNS)})",
            zh=f"{table_zh(source)}：缺少{column_zh(missing[0])}（人员表需要的列："
            f"{'、'.join(_COLUMN_ZH.get(c, c) + f'（{c}）' for c in PERSON_COLUMNS)}）",
        )
    if len(df) == 0:
        raise PopulationError(
            f"{source}: no persons (header only or empty)",
            zh=f"{table_zh(source)}：没有人员（只有表头或为空）",
        )
    off = row_offset
    pid = _int_column(df, "person_id", source, off, what="an integer id")
    dup = pd.Index(pid).duplicated()
    if dup.any():
        idx = np.flatnonzero(dup)
        _fail(source, idx, "person_id", "a unique person id", int(pid[idx[0]]), off)
    hid = _int_column(df, "household_id", source, off, what="an integer id")
    age = _int_column(df, "age", source, off, lo=0, hi=130, what="an age in years")
    scheme = _coded_values(df, "scheme", source, off, SCHEME_ALIASES, "employee or resident (职工/居民)")
    cat_mask, cat_canon = _category_column(df, source, off)
    income = _float_column(df, "income", source, off, what="an annual income in yuan")
    weight = _float_column(df, "weight", source, off, lo=0.0, hi=1e9, what="a weight")
    out = pd.DataFrame(
        {
            "person_id": pid,
            "household_id": hid,
            "age": age.astype(np.int16),
            "scheme": pd.Categorical(scheme, categories=list(SCHEMES)),
            "category": cat_canon,
            "income": income,
            "weight": weight,
        }
    )
    for col, default in PERSON_OPTIONAL.items():
        if col in df.columns and df[col].isna().any():  # a blank optional cell takes the default
            df = df.assign(**{col: df[col].astype(object).where(df[col].notna(), default)})
        if col not in df.columns:
            out[col] = text_column(default, n=len(out)) if col in PERSON_TEXT else default
        elif col in ("disabled", "veteran", "union_member", "enrolled"):
            out[col] = _bool_column(df, col, source, off)
        elif col == "care_need":
            out[col] = _int_column(df, col, source, off, lo=0, hi=3, what="a care level 0-3")
        elif col == "identified_month":
            out[col] = _int_column(
                df, col, source, off, lo=0, hi=12, what="a month 0-12 (0: not newly identified)"
            )
        elif col == "care_setting":
            out[col] = text_column(
                *_coded_column(df, col, source, off, CARE_SETTING_ALIASES, "home or institution (居家/机构)")
            )
        else:
            out[col] = as_text_column(df[col], "all")
    extra = [c for c in df.columns if c not in out.columns]
    for c in extra:  # keep user columns (e.g. a region code) untouched
        out[c] = df[c].to_numpy()
    return out, cat_mask


def validate_claims(
    claims: pd.DataFrame, person_ids: np.ndarray, source: str = "claims", row_offset: int = 0
) -> pd.DataFrame:
    if not isinstance(claims, pd.DataFrame):
        raise PopulationError(f"{source}: expected a pandas DataFrame, got {type(claims).__name__}")
    df = _rename_aliases(claims, source)
    missing = [c for c in CLAIM_COLUMNS if c not in df.columns]
    if missing:
        raise PopulationError(
            f"{source}: missing column '{missing[0]}' (claims need {', '.join(CLAIM_COLUMNS)})",
            zh=f"{table_zh(source)}：缺少{column_zh(missing[0])}（就诊记录表需要的列："
            f"{'、'.join(_COLUMN_ZH.get(c, c) + f'（{c}）' for c in CLAIM_COLUMNS)}）",
        )
    off = row_offset
    pid = _int_column(df, "person_id", source, off, what="an integer id")
    known = np.isin(pid, person_ids)
    if not known.all():
        idx = np.flatnonzero(~known)
        _fail(source, idx, "person_id", "the id of a person in the persons table", int(pid[idx[0]]), off)
    setting = _coded_values(
        df, "setting", source, off, SETTING_ALIASES, "inpatient, outpatient or chronic (住院/门诊/门诊慢特病)"
    )
    lvl = df["hospital_level"]
    if lvl.isna().any():
        idx = np.flatnonzero(lvl.isna().to_numpy())
        _fail(source, idx, "hospital_level", "a hospital level (1, 2, 3 or a scenario code)", None, off)
    level = _level_strings(lvl)
    total = _float_column(df, "total_cost", source, off)
    policy = _float_column(df, "policy_cost", source, off)
    over = policy > total + 1e-9
    if over.any():
        idx = np.flatnonzero(over)
        _fail(
            source,
            idx,
            "policy_cost",
            f"policy_cost ≤ total_cost ({total[idx[0]]:g})",
            float(policy[idx[0]]),
            off,
        )
    out = pd.DataFrame(
        {
            "person_id": pid,
            "setting": pd.Categorical(setting, categories=list(SETTINGS)),
            "hospital_level": level,
            "total_cost": total,
            "policy_cost": policy,
        }
    )
    for col, default in CLAIM_OPTIONAL.items():
        if col in df.columns and col in ("referred", "disease") and df[col].isna().any():
            df = df.assign(**{col: df[col].astype(object).where(df[col].notna(), default)})
        if col not in df.columns:
            out[col] = text_column(default, n=len(out)) if col in CLAIM_TEXT else default
        elif col == "referred":
            out[col] = _bool_column(df, col, source, off)
        elif col == "month":
            m = df[col]
            out[col] = _int_column(
                df.assign(month=m.fillna(0)), col, source, off, lo=0, hi=12, what="a month 1-12"
            ).astype(np.int8)
        elif col == "referral_chain":
            out[col] = _int_column(df.assign(referral_chain=df[col].fillna(-1)), col, source, off, lo=-1)
        elif col == "out_of_city":
            out[col] = text_column(
                *_coded_column(
                    df,
                    col,
                    source,
                    off,
                    OUT_OF_CITY_ALIASES,
                    "local, registered or unregistered (本市/备案/未备案)",
                )
            )
        else:
            out[col] = as_text_column(df[col], "")
    extra = [c for c in df.columns if c not in out.columns]
    for c in extra:
        out[c] = df[c].to_numpy()
    return out


def _level_strings(s: pd.Series) -> np.ndarray:
    codes, uniq = pd.factorize(s, sort=False)
    names = []
    for u in uniq:
        if isinstance(u, (float, np.floating)) and float(u).is_integer():
            names.append(str(int(u)))
        else:
            names.append(str(u).strip())
    return text_column(names, codes)


@dataclass(frozen=True, eq=False)
class Population:
    """Persons and claims (contract columns). Built by hand, by the generator or by a loader."""

    persons: pd.DataFrame
    claims: pd.DataFrame
    source: str = field(default="population", compare=False)
    _validated: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self):
        if not self._validated:
            persons, mask = validate_persons(self.persons, f"{self.source} persons")
            claims = validate_claims(self.claims, persons["person_id"].to_numpy(), f"{self.source} claims")
            object.__setattr__(self, "persons", persons)
            object.__setattr__(self, "claims", claims)
            object.__setattr__(self, "_validated", True)
            self.__dict__["_cat_mask"] = mask

    @classmethod
    def trusted(cls, persons: pd.DataFrame, claims: pd.DataFrame, source: str = "generated") -> Population:
        """Wrap tables already in canonical form (from the generator or Parquet we wrote)."""
        pop = cls(persons, claims, source, _validated=True)
        return pop

    def __repr__(self) -> str:
        return f"Population({len(self.persons):,} persons, {len(self.claims):,} claims, from {self.source})"

    @cached_property
    def arrays(self) -> PopulationArrays:
        return PopulationArrays.build(self)

    @cached_property
    def districts(self) -> tuple[np.ndarray, np.ndarray]:
        """(code per person, sorted district names); one district "all" when the column is absent.
        Cached: summaries group by district on every run, and factorizing strings is slow."""
        base = self.__dict__.get("_same_persons_as")
        if base is not None:  # a derived population (a year's enrolment) shares its base's persons table
            return base.districts
        if "district" not in self.persons:
            return np.zeros(len(self.persons), dtype=np.int64), np.array(["all"], dtype=object)
        return factorize_text(self.persons["district"])

    @property
    def weighted_persons(self) -> float:
        return float(self.persons["weight"].sum())


# the per-person arrays of PopulationArrays (the claims' are its `claim_*` fields)
PERSON_ARRAYS = frozenset(
    {"household", "age", "employee", "cat_mask", "income", "weight", "enrolled", "disabled", "veteran",
     "union_member", "identified_month", "care_need", "institution"}
)  # fmt: skip


@dataclass(frozen=True)
class PopulationArrays:
    """Encoded, read-only arrays: persons in table order, claims sorted by (person, month)."""

    n_persons: int
    n_households: int
    household: np.ndarray  # household index 0..H-1 per person
    household_ids: np.ndarray  # household_id per household index
    age: np.ndarray
    employee: np.ndarray  # bool: scheme == employee
    cat_mask: np.ndarray  # bit mask of categories (CAT_BIT)
    income: np.ndarray
    weight: np.ndarray
    enrolled: np.ndarray
    disabled: np.ndarray
    veteran: np.ndarray
    union_member: np.ndarray
    claim_order: np.ndarray  # claims table row of each sorted claim
    claim_person: np.ndarray  # person index of each sorted claim
    claim_setting: np.ndarray  # 0 inpatient, 1 outpatient, 2 chronic
    claim_level: np.ndarray  # index into level_names
    level_names: np.ndarray
    claim_total: np.ndarray
    claim_policy: np.ndarray
    claim_referred: np.ndarray
    claim_chain: np.ndarray
    claim_month: np.ndarray
    claim_disease: np.ndarray  # index into disease_names ("" = none)
    disease_names: np.ndarray
    claim_out_of_city: np.ndarray | None = None  # index into OUT_OF_CITY_CODES (None: all local)
    identified_month: np.ndarray | None = None  # month newly identified as poor this year (0: not new)
    care_need: np.ndarray | None = None  # long-term-care disability level 0-3 (int8)
    institution: np.ndarray | None = None  # bool: care in an institution (care_setting)

    @cached_property
    def household_starts(self) -> np.ndarray | None:
        """The first person of each household when every household's members are contiguous in
        the table (the generator writes them so, registers usually do), else None."""
        starts = np.flatnonzero(np.diff(self.household)) + 1
        if self.n_persons == 0 or len(starts) + 1 != self.n_households:
            return None
        out = np.concatenate([np.zeros(1, dtype=np.int64), starts.astype(np.int64)])
        out.flags.writeable = False
        return out

    def grouped_by_household(self) -> tuple[PopulationArrays, np.ndarray, np.ndarray]:
        """These arrays with every household's members contiguous, and the two permutations that
        undo it: (arrays, persons, claims), where row i of the grouped persons is person
        `persons[i]` and grouped claim j is sorted claim `claims[j]`. Households keep their
        indices and appear in the order of their first member; members and each person's claims
        keep their order. The year's loops run on whole households in blocks; a population whose
        households are scattered (an uploaded register) runs grouped and is put back after."""
        persons = np.argsort(self.household, kind="stable")
        rank = np.empty_like(persons)
        rank[persons] = np.arange(len(persons))
        claims = np.argsort(rank[self.claim_person], kind="stable")
        changes = {
            f.name: getattr(self, f.name)[persons]
            for f in fields(self)
            if f.name in PERSON_ARRAYS and getattr(self, f.name) is not None
        }
        changes.update(
            (f.name, getattr(self, f.name)[claims])
            for f in fields(self)
            if f.name.startswith("claim_") and getattr(self, f.name) is not None
        )
        changes["claim_person"] = rank[self.claim_person][claims]
        for v in changes.values():
            v.flags.writeable = False
        return replace(self, **changes), persons, claims

    @cached_property
    def claim_offsets(self) -> np.ndarray:
        """Each person's first sorted claim, then the number of claims (n_persons + 1 entries): the
        claims of person p are claim_offsets[p]:claim_offsets[p + 1]."""
        counts = np.bincount(self.claim_person, minlength=self.n_persons)
        out = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(counts, dtype=np.int64)])
        out.flags.writeable = False
        return out

    @cached_property
    def claim_ps_order(self) -> np.ndarray:
        """Sorted-claim positions grouped by person x setting (stable). Only the numpy reference
        path (rules.basic_insurance) needs it, so it is sorted on first use, not at build."""
        m = len(self.claim_person)
        order = np.lexsort((np.arange(m), self.claim_setting, self.claim_person))
        order.flags.writeable = False
        return order

    @cached_property
    def claim_ps_inverse(self) -> np.ndarray:
        inv = np.empty_like(self.claim_ps_order)
        inv[self.claim_ps_order] = np.arange(len(inv))
        inv.flags.writeable = False
        return inv

    @classmethod
    def build(cls, pop: Population) -> PopulationArrays:
        p = pop.persons
        c = pop.claims
        pid = p["person_id"].to_numpy()
        person_pos = pd.Index(pid).get_indexer(c["person_id"].to_numpy())
        if (person_pos < 0).any():
            raise PopulationError(
                f"{pop.source} claims: a claim refers to an unknown person",
                zh="就诊记录表：有就诊记录对应的人员不在人员表中",
            )
        order = np.lexsort((np.arange(len(c)), c["month"].to_numpy(), person_pos))
        hh_codes, hh_ids = pd.factorize(p["household_id"].to_numpy(), sort=False)
        level_codes, level_names = factorize_text(c["hospital_level"])
        mask = pop.__dict__.get("_cat_mask")
        if mask is None:
            mask = _category_mask(p["category"])
        setting = c["setting"]
        setting_codes = (
            setting.cat.codes.to_numpy()
            if isinstance(setting.dtype, pd.CategoricalDtype)
            and list(setting.cat.categories) == list(SETTINGS)
            else pd.Categorical(setting, categories=list(SETTINGS)).codes
        )
        if "disease" in c:
            dis_codes, dis_names = factorize_text(c["disease"])
        else:
            dis_codes, dis_names = np.zeros(len(c), dtype=np.int64), np.array([""], dtype=object)
        arrays = cls(
            claim_disease=dis_codes[order].astype(np.int64),
            disease_names=np.asarray(dis_names, dtype=object),
            n_persons=len(p),
            n_households=len(hh_ids),
            household=hh_codes.astype(np.int64),
            household_ids=np.asarray(hh_ids),
            age=p["age"].to_numpy(dtype=np.int16),
            employee=_equals_text(p["scheme"], "employee"),
            cat_mask=np.asarray(mask, dtype=np.int64),
            income=p["income"].to_numpy(dtype=float),
            weight=p["weight"].to_numpy(dtype=float),
            enrolled=p["enrolled"].to_numpy(dtype=bool),
            disabled=p["disabled"].to_numpy(dtype=bool) if "disabled" in p else np.zeros(len(p), bool),
            veteran=p["veteran"].to_numpy(dtype=bool) if "veteran" in p else np.zeros(len(p), bool),
            union_member=(
                p["union_member"].to_numpy(dtype=bool) if "union_member" in p else np.zeros(len(p), bool)
            ),
            claim_order=order,
            claim_person=person_pos[order].astype(np.int64),
            claim_setting=np.asarray(setting_codes)[order].astype(np.int8),
            claim_level=level_codes[order].astype(np.int64),
            level_names=np.asarray(level_names, dtype=object),
            claim_total=c["total_cost"].to_numpy(dtype=float)[order],
            claim_policy=c["policy_cost"].to_numpy(dtype=float)[order],
            claim_referred=c["referred"].to_numpy(dtype=bool)[order],
            claim_chain=c["referral_chain"].to_numpy(dtype=np.int64)[order],
            claim_month=c["month"].to_numpy(dtype=np.int8)[order],
            claim_out_of_city=_out_of_city_codes(c)[order],
            identified_month=(
                p["identified_month"].to_numpy(dtype=np.int8)
                if "identified_month" in p
                else np.zeros(len(p), dtype=np.int8)
            ),
            care_need=(
                p["care_need"].to_numpy(dtype=np.int8) if "care_need" in p else np.zeros(len(p), np.int8)
            ),
            institution=(
                _equals_text(p["care_setting"], "institution")
                if "care_setting" in p
                else np.zeros(len(p), dtype=bool)
            ),
        )
        for v in arrays.__dict__.values():
            if isinstance(v, np.ndarray):
                v.flags.writeable = False
        return arrays


def _out_of_city_codes(claims: pd.DataFrame) -> np.ndarray:
    if "out_of_city" not in claims:
        return np.zeros(len(claims), dtype=np.int8)
    codes, names = factorize_text(claims["out_of_city"])
    lookup = np.array([OUT_OF_CITY_CODES.index(v) if v in OUT_OF_CITY_CODES else 0 for v in names], np.int8)
    return lookup[codes] if len(names) else np.zeros(len(claims), dtype=np.int8)


def factorize_text(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, sorted names) of the values as text: `pd.factorize(values.astype(str), sort=True)`
    without converting every row to a Python string (only the distinct values are)."""
    codes, uniq = pd.factorize(values, sort=False, use_na_sentinel=False)
    text = np.array([str(u) for u in uniq], dtype=object)
    names, inverse = np.unique(text.astype(str), return_inverse=True)  # merges e.g. 1 and "1"
    return inverse.reshape(-1)[codes].astype(np.int64), np.asarray(names, dtype=object)


def _equals_text(values: pd.Series, text: str) -> np.ndarray:
    codes, names = factorize_text(values)
    return (names == text)[codes] if len(names) else np.zeros(len(values), dtype=bool)


def _category_mask(categories: pd.Series) -> np.ndarray:
    codes, uniq = factorize_text(categories)
    masks = np.zeros(len(uniq), dtype=np.int64)
    for j, u in enumerate(uniq):
        for part in str(u).split("|"):
            code = CATEGORY_ALIASES.get(part.strip())
            if code is None:
                raise PopulationError(
                    f"persons: unknown category {part!r}", zh=f"人员表：未知的救助类别 {part!r}"
                )
            if code != "none":
                masks[j] |= CAT_BIT[code]
    return masks[codes]
