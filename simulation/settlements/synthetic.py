"""A synthetic settlement extract in the platform's format, from a generated population and a
scenario: the repository cannot ship real records, so this is the sample the back-test, the page,
the tests and the benchmark read.

    ex = synthetic_extract(load_scenario("linan_2024"), persons=20_000, seed=7)
    paths = write_extract(ex, "data/sample")           # settlements.csv, persons.csv in GBK (+ mapping.yaml)
    obs = load_settlements(*paths.inputs)               # what a bureau's files give

The paid fields are that scenario's own: `simulate` on the population, each payer apportioned to the
settlements by `apportion.claim_payments` (in cents). So a back-test of the same scenario reconciles
to the cent, and one of another scenario shows that scenario's differences.

The population is first put in the platform's units (costs and incomes in cents: the platform's
amounts are 16,2) and its persons' weights dropped (a settlement is one real person's), so the
extract, read back, is the very population that was simulated.

The record (`codes.FIELDS`): one row a claim; `setl_id` and `mdtrt_id` numbered in the engine's
order; `insutype` 310/390 by scheme; `psn_type` 1101 在职 / 1201 退休 (employees aged 60 or more) /
1401 城乡居民 (assumed codes, see codes.PSN_TYPE); `med_type` 21 普通住院 / 11 普通门诊 / 14 门诊慢特病;
`setl_time` a day of the claim's month; `fixmedins_code` one of five institutions a level; `hosp_lv`
the level's grade (1 -> 08 一级甲等, 2 -> 05 二级甲等, 3 -> 02 三级甲等; a scenario's other levels are
listed by institution in `mapping.yaml`, `hospitals:`, with grade 11 无等级); `fulamt_ownpay_amt` the
cost outside the policy range (`overlmt_selfpay`, `preselfpay_amt` 0: the model does not split it);
`act_pay_dedc` empty (optional in the record; the engine keeps no per-claim deductible);
`hifmi_pay` residents' 大病, `hifob_pay` employees'; `oth_pay` mutual aid + supplement +
departments' subsidies; `psn_part_amt` the person's part including the cap the 暖心基金 refunds after
the year, all of it `psn_cash_pay` (`acct_pay` 0: personal accounts are not modelled). The contract's
`referred`, `referral_chain` and `out_of_city` (from the referral and 异地备案 records) are added when
the population uses them. `reversals` settlements are reversed and settled again (an original row, its
negative, and a new settlement of the same visit), which the import nets back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..api import simulate
from ..io_safe import atomic_write
from ..parameters import CATEGORY_LABELS
from ..population import generate_population
from ..population.model import Population
from ..scenario import Scenario
from . import codes as C
from .apportion import claim_payments

SETTING_MED_TYPE = {"inpatient": "21", "outpatient": "11", "chronic": "14"}
LEVEL_GRADE = {"1": "08", "2": "05", "3": "02"}
OTHER_GRADE = "11"  # a scenario's own level (provincial, private ...): listed by institution instead
INSTITUTIONS_A_LEVEL = 5
RETIREMENT_AGE = 60  # psn_type 1201 in the sample only; the rules take retirement from the scenario


@dataclass
class SyntheticExtract:
    """The settlements and persons tables as a bureau would export them, the column mapping
    needed for the scenario's own hospital levels (None when 1/2/3 only), and the population and
    scenario that made them."""

    settlements: pd.DataFrame
    persons: pd.DataFrame
    mapping: dict | None
    population: Population
    scenario: Scenario
    year: int


@dataclass
class ExtractFiles:
    settlements: Path
    persons: Path
    mapping: Path | None

    @property
    def inputs(self) -> tuple:
        return (self.settlements, self.persons)


def in_platform_units(pop: Population) -> Population:
    """The population with costs and incomes in whole cents and every weight 1 (one row, one
    person: the platform's records are persons, not a sample)."""
    p = pop.persons.copy()
    c = pop.claims.copy()
    p["income"] = np.round(p["income"].to_numpy(dtype=float), 2)
    p["weight"] = 1.0
    c["total_cost"] = np.round(c["total_cost"].to_numpy(dtype=float), 2)
    c["policy_cost"] = np.minimum(
        np.round(c["policy_cost"].to_numpy(dtype=float), 2), c["total_cost"].to_numpy()
    )
    return Population.trusted(p, c, source=f"{pop.source} (cents)")


def _yuan(c: np.ndarray) -> np.ndarray:
    return np.asarray(c, dtype=np.int64) / 100.0


def synthetic_extract(
    scenario: Scenario,
    persons: int = 20_000,
    seed: int = 7,
    *,
    population: Population | None = None,
    year: int | None = None,
    months: int = 12,
    reversals: float = 0.002,
) -> SyntheticExtract:
    """A synthetic extract of `scenario` on a generated population (or `population`), settlements of
    months 1..`months` only (an in-year extract to date), `reversals` of them reversed and settled
    again. The paid fields are `simulate`'s on exactly the settlements written."""
    if not 1 <= months <= 12:
        raise ValueError(f"months: expected 1-12, got {months}")
    year = int(year or scenario.params.year)
    pop = population if population is not None else generate_population(scenario, persons=persons, seed=seed)
    pop = in_platform_units(pop)
    m = pop.claims["month"].to_numpy()
    if (m < 1).any():
        raise ValueError("synthetic_extract: every claim needs a month 1-12")
    if months < 12:
        kept = pop.claims.iloc[np.flatnonzero(m <= months)].reset_index(drop=True)
        pop = Population.trusted(pop.persons, kept, source=f"{pop.source} months 1-{months}")
    res = simulate(pop, scenario)
    pay = claim_payments(res)
    a = pop.arrays
    order = a.claim_order  # the settlements in the engine's order: the import keeps it
    rng = np.random.default_rng([seed, year, months])
    cl = pop.claims.iloc[order].reset_index(drop=True)
    pp = pop.persons
    n = len(cl)
    person = a.claim_person  # (already in the engine's order)
    psn_no = np.array([f"{33}{pid:016d}" for pid in pp["person_id"].to_numpy()], dtype=object)
    employee = a.employee
    age = a.age
    level = cl["hospital_level"].astype(str).to_numpy()
    own_levels = sorted(set(level) - set(LEVEL_GRADE))
    level_names = sorted(set(level))
    inst = rng.integers(0, INSTITUTIONS_A_LEVEL, size=n)
    level_idx = pd.Index(level_names).get_indexer(level)
    fixmedins = np.char.add(
        np.char.add("H", np.char.zfill(level_idx.astype(str), 3)), np.char.zfill(inst.astype(str), 4)
    ).astype(object)
    day = rng.integers(1, 29, size=n)
    month = cl["month"].to_numpy().astype(int)
    setl_time = np.char.add(
        np.char.add(f"{year}-", np.char.zfill(month.astype(str), 2)),
        np.char.add("-", np.char.zfill(day.astype(str), 2)),
    )
    setl_time = np.char.add(setl_time, " 10:00:00").astype(object)
    col = {k: v[order] for k, v in pay.items()}
    emp_c = employee[person]
    crit = col["critical_paid"]
    # the payers as the back-test compares them (codes.TIERS: the registry's Output.settlement); in
    # whole cents, so the order of the sums does not matter
    other = sum(col[k] for k in C.tier("other_payers").model)
    funds = col["basic_paid"] + crit + col["assistance_paid"] + other
    person_part = sum(col[k] for k in C.tier("person_paid").model)
    zero = np.zeros(n, dtype=np.int64)
    psn_type = np.where(employee, np.where(age >= RETIREMENT_AGE, "1201", "1101"), "1401")
    df = pd.DataFrame(
        {
            "setl_id": [f"S{year}{k:012d}" for k in range(n)],
            "mdtrt_id": [f"M{year}{k:012d}" for k in range(n)],
            "psn_no": psn_no[person],
            "insutype": np.where(emp_c, "310", "390"),
            "psn_type": psn_type[person],
            "setl_time": setl_time,
            "med_type": cl["setting"].astype(str).map(SETTING_MED_TYPE).to_numpy(),
            "medfee_sumamt": _yuan(col["total_cost"]),
            "fulamt_ownpay_amt": _yuan(col["total_cost"] - col["policy_cost"]),
            "overlmt_selfpay": _yuan(zero),
            "preselfpay_amt": _yuan(zero),
            "inscp_scp_amt": _yuan(col["policy_cost"]),
            "act_pay_dedc": np.full(n, np.nan),
            "hifp_pay": _yuan(col["basic_paid"]),
            "cvlserv_pay": _yuan(zero),
            "hifes_pay": _yuan(zero),
            "hifmi_pay": _yuan(np.where(emp_c, 0, crit)),
            "hifob_pay": _yuan(np.where(emp_c, crit, 0)),
            "maf_pay": _yuan(col["assistance_paid"]),
            "oth_pay": _yuan(other),
            "fund_pay_sumamt": _yuan(funds),
            "psn_part_amt": _yuan(person_part),
            "acct_pay": _yuan(zero),
            "psn_cash_pay": _yuan(person_part),
            "hosp_part_amt": _yuan(col["hospital_paid"]),
            "fixmedins_code": fixmedins,
            "hosp_lv": [LEVEL_GRADE.get(x, OTHER_GRADE) for x in level],
        }
    )
    dis = cl["disease"].astype(str).to_numpy() if "disease" in cl else np.full(n, "")
    if (dis != "").any():
        df["dise_codg"] = dis
    if "referred" in cl and not cl["referred"].all():
        df["referred"] = np.where(cl["referred"].to_numpy(), "是", "否")
    if "referral_chain" in cl and (cl["referral_chain"].to_numpy() >= 0).any():
        df["referral_chain"] = cl["referral_chain"].to_numpy()
    if "out_of_city" in cl and (cl["out_of_city"].astype(str) != "local").any():
        df["out_of_city"] = cl["out_of_city"].astype(str).to_numpy()
    if reversals > 0 and n:
        df = _with_reversals(df, rng, reversals)
    mapping = None
    if own_levels:
        sel = np.isin(level, own_levels)
        codes_ = pd.unique(fixmedins[sel])
        lv = dict(zip(fixmedins[sel], level[sel]))
        mapping = {"hospitals": {str(k): str(lv[k]) for k in sorted(codes_)}}
    persons_df = _persons_table(pp, psn_no, employee, age, year, psn_type)
    return SyntheticExtract(df, persons_df, mapping, pop, scenario, year)


def _with_reversals(df: pd.DataFrame, rng: np.random.Generator, share: float) -> pd.DataFrame:
    """Some settlements reversed and settled again: after each chosen row its negative (a new
    settlement id, the same visit) and a new settlement of the same amounts."""
    n = len(df)
    k = max(1, int(round(share * n)))
    chosen = np.sort(rng.choice(n, size=min(k, n), replace=False))
    money = [c for c in C.MONEY_FIELDS if c in df.columns]
    neg = df.iloc[chosen].copy()
    neg[money] = -neg[money]
    neg["setl_id"] = [f"{s}R" for s in neg["setl_id"]]
    again = df.iloc[chosen].copy()
    again["setl_id"] = [f"{s}A" for s in again["setl_id"]]
    # interleave: each chosen row followed by its reversal and its new settlement
    pos = np.arange(n, dtype=float)
    keys = np.concatenate([pos, chosen + 0.1, chosen + 0.2])
    out = pd.concat([df, neg, again], ignore_index=True)
    return out.iloc[np.argsort(keys, kind="stable")].reset_index(drop=True)


def _persons_table(pp: pd.DataFrame, psn_no, employee, age, year: int, psn_type) -> pd.DataFrame:
    """The persons file as a bureau joins it: Chinese headers, birth dates, the platform's insutype."""
    cats = pp["category"].astype(str).to_numpy()
    uniq = {c: "|".join(CATEGORY_LABELS[x][0] for x in c.split("|")) for c in set(cats)}
    out = pd.DataFrame(
        {
            "人员编号": psn_no,
            "家庭编号": [f"F{h:012d}" for h in pp["household_id"].to_numpy()],
            "出生日期": [f"{year - int(x)}-07-01" for x in age],
            "险种类型": np.where(employee, "310", "390"),
            "人员类别": psn_type,
            "救助类别": [uniq[c] for c in cats],
            "年收入": pp["income"].to_numpy(dtype=float),
        }
    )
    optional = {
        "district": ("乡镇街道", "all"),
        "disabled": ("持证残疾人", False),
        "veteran": ("退役军人", False),
        "union_member": ("工会会员", False),
        "enrolled": ("是否参保", True),
        "care_need": ("失能等级", 0),
        "care_setting": ("护理方式", "home"),
        "identified_month": ("认定月份", 0),
    }
    for col, (zh, default) in optional.items():
        if col not in pp:
            continue
        v = pp[col]
        if isinstance(default, bool):
            if (v.to_numpy(dtype=bool) != default).any():
                out[zh] = np.where(v.to_numpy(dtype=bool), "是", "否")
        elif (v.astype(str) != str(default)).any():
            out[zh] = v.astype(str).to_numpy()
    return out


def write_extract(ex: SyntheticExtract, directory, encoding: str = "gbk") -> ExtractFiles:
    """settlements.csv and persons.csv (in `encoding`, GBK by default, as the platform's exports
    are) and, when the scenario has its own hospital levels, mapping.yaml; each written atomically."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)

    def csv(df: pd.DataFrame, name: str) -> Path:
        def write(tmp: Path) -> None:
            df.to_csv(tmp, index=False, encoding=encoding, float_format="%.2f")

        return atomic_write(d / name, write)

    s = csv(ex.settlements, "settlements.csv")
    p = csv(ex.persons, "persons.csv")
    m = None
    if ex.mapping:
        text = "# 定点医药机构 -> the scenario's hospital level (synthetic institutions)\n" + yaml.safe_dump(
            ex.mapping, allow_unicode=True, sort_keys=True
        )
        m = atomic_write(d / "mapping.yaml", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return ExtractFiles(s, p, m)


def extract_bytes(ex: SyntheticExtract, encoding: str = "gbk") -> tuple[bytes, bytes, bytes | None]:
    """(settlements CSV, persons CSV, mapping YAML or None) as bytes, for the app's sample."""
    s = ex.settlements.to_csv(index=False, float_format="%.2f").encode(encoding)
    p = ex.persons.to_csv(index=False, float_format="%.2f").encode(encoding)
    m = yaml.safe_dump(ex.mapping, allow_unicode=True).encode("utf-8") if ex.mapping else None
    return s, p, m
