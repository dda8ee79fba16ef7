"""Fund accounts: income, expenditure and balance of each fund in one simulated year, and chained
over consecutive years with carried balances (`FundChain`, `fund_table`).

employee_pool / resident_pool: contributions + subsidies − basic payments − the critical-illness
premium transferred (+ surplus returned − policy-loss compensation for the resident side);
critical_illness: what the insurer holds; assistance: fiscal income − what the registry says it
pays (assistance, premium subsidies: `Output.funds`); charity (暖心基金): donations + fiscal − what
the registry says it pays (household-cap payments; with `family_cap.paid_next_year`, year t's cap
is paid in year t+1 over a projection); long_term_care
(长期护理保险, an independent fund): individual contributions + the transfer carved out of the
medical pools' contributions + fiscal subsidies − care benefits (all zero in a scenario without it;
the transfer is taken off the pools' income). Opening balances are
given as months of the year's spending (累计结存可支付月数), so they scale with any population.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import kernels
from .registry import FUND_LABELS as FUND_LABELS  # the funds and their labels: one list, in the registry
from .registry import FUNDS as FUNDS
from .registry import OUTPUTS

# fund -> the summary's figures it pays, in the registry's order (`Output.funds`); the funds whose
# spending is these figures' sum (assistance, charity) read it from here, so a payer the registry
# books to one of them is spent from it with no edit here
PAID_BY: dict[str, tuple[str, ...]] = {f: tuple(k for k, o in OUTPUTS.items() if f in o.funds) for f in FUNDS}


def _spent(s, keys) -> float:
    """The figures `keys` of summary `s` added in order."""
    total = 0.0
    for i, k in enumerate(keys):
        total = s[k] if i == 0 else total + s[k]
    return total


# the scheme x enrolment cells of `fund_cells`, in kernels.scheme_cells' order
CELLS = (
    ("employee", "enrolled"),
    ("employee", "uninsured"),
    ("resident", "enrolled"),
    ("resident", "uninsured"),
)


def fund_cells(y) -> dict[str, float]:
    """What the fund accounts need beyond the summary, additive over any split of the persons
    (a partitioned run sums them): weight and basic payments by scheme x enrolment
    (`weight_employee_enrolled`, `basic_paid_resident_uninsured`, ...), yuan."""
    a = y.population.arrays
    s = kernels.scheme_cells(a.weight, a.employee, a.enrolled, y.basic3)
    out = {}
    for c, (scheme, enr) in enumerate(CELLS):
        out[f"weight_{scheme}_{enr}"] = float(s[0, c])
        out[f"basic_paid_{scheme}_{enr}"] = float(s[1, c])
    return out


def fund_flows(res) -> dict[str, tuple[float, float]]:
    """(income, expenditure) of each fund for the result's year, yuan."""
    p = res._y.scenario
    s = res.summary
    c = res.fund_cells
    w_emp, w_res = c["weight_employee_enrolled"], c["weight_resident_enrolled"]
    fin = p.financing
    ci = p.critical_illness
    premium_emp = ci.premium_per_capita * w_emp if ("employee" in ci.schemes and ci.enabled) else 0.0
    premium_res = s["insurer_premium"] - premium_emp
    ltc_emp = s["ltc_pool_transfer_employee"]  # carved out of the pools' contributions (划转)
    ltc_res = s["ltc_pool_transfer"] - ltc_emp
    flows = {
        "employee_pool": (
            fin.employee_per_capita * w_emp - ltc_emp,
            (c["basic_paid_employee_enrolled"] + c["basic_paid_employee_uninsured"]) + premium_emp,
        ),
        "resident_pool": (
            (fin.resident_individual + fin.resident_subsidy) * w_res
            + s["insurer_surplus_returned"]
            - ltc_res,
            (c["basic_paid_resident_enrolled"] + c["basic_paid_resident_uninsured"])
            + premium_res
            + s["insurer_loss_compensation"],
        ),
        "critical_illness": (
            s["insurer_premium"] + s["insurer_loss_compensation"],
            s["insurer_claims"] + s["insurer_surplus_returned"],
        ),
        "assistance": (fin.assistance_fiscal_per_capita * s["persons"], _spent(s, PAID_BY["assistance"])),
        "charity": (
            (fin.charity_donations_per_capita + fin.charity_fiscal_per_capita) * s["persons"],
            _spent(s, PAID_BY["charity"]),
        ),
        "long_term_care": (s["ltc_income"], s["ltc_benefit"]),
    }
    return flows


def fund_accounts(res) -> pd.DataFrame:
    """One row per fund for the result's year (the projection extends this over a horizon)."""
    months = res._y.scenario.financing.opening_reserve_months
    rows = []
    for fund, (income, expenditure) in fund_flows(res).items():
        opening = months.get(fund, 0.0) * expenditure / 12.0
        balance = opening + income - expenditure
        rows.append(
            {
                "year": res.year,
                "fund": fund,
                "opening": opening,
                "income": income,
                "expenditure": expenditure,
                "balance": balance,
                "months_payable": 12.0 * balance / expenditure if expenditure > 0 else np.inf,
            }
        )
    return pd.DataFrame(
        rows, columns=["year", "fund", "opening", "income", "expenditure", "balance", "months_payable"]
    )


# ---------------------------------------------------------------------------- over years

FUND_COLUMNS = [
    "year",
    "fund",
    "opening",
    "income",
    "expenditure",
    "balance",
    "months_payable",
    "fiscal_income",
    "deposit_withheld",
    "deposit_released",
]


def fund_table(results: list, years: list[int]) -> pd.DataFrame:
    """Chain the one-year fund flows of consecutive Results into accounts with carried balances."""
    chain = FundChain()
    for res, year in zip(results, years):
        chain.add(res, year)
    return chain.table()


class FundChain:
    """The fund accounts built a year at a time (`add` each year's Result in order; `table`):
    a projection adds each year as it is simulated, before releasing its arrays."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.balance: dict[str, float] = {}
        self.prev_deposit: tuple | None = None
        self.prev_cap: float | None = None

    def add(self, res, year: int) -> None:
        t = 0 if not self.rows else 1
        balance = self.balance
        p = res._y.scenario
        s = res.summary
        flows = {k: list(v) for k, v in fund_flows(res).items()}
        ci = p.critical_illness
        deposit = s["quality_deposit"]
        if self.prev_deposit is None:  # steady state: last year's deposit is released this year
            self.prev_deposit = (deposit, ci.deposit_released)
        d_prev, released = self.prev_deposit
        # critical illness: the insurer's margin is paid out except the deposit withheld this year;
        # last year's deposit goes to the insurer (assessment passed) or back to the resident pool
        flows["critical_illness"][1] += s["insurer_margin"] - deposit + d_prev
        if not released:
            flows["resident_pool"][0] += d_prev
        self.prev_deposit = (deposit, ci.deposit_released)
        if p.family_cap.paid_next_year:
            # 临安 封顶制方案 二(三) 对其上一年度承担的合理医疗费用: the charity fund pays year t's cap in
            # year t+1; the first year pays the year before's, taken equal to its own (steady state)
            # (the fund's other payers, if any, pay in their own year)
            if self.prev_cap is None:
                self.prev_cap = s["cap_paid"]
            later = {k: s[k] for k in PAID_BY["charity"]}
            later["cap_paid"] = self.prev_cap
            flows["charity"][1] = _spent(later, PAID_BY["charity"])
            self.prev_cap = s["cap_paid"]
        fin = p.financing
        res_enrolled = res.fund_cells["weight_resident_enrolled"]
        fiscal = {
            "employee_pool": 0.0,
            "resident_pool": fin.resident_subsidy * res_enrolled,
            "critical_illness": 0.0,
            "assistance": flows["assistance"][0],
            "charity": fin.charity_fiscal_per_capita * s["persons"],
            "long_term_care": s["ltc_fiscal"],
        }
        months = fin.opening_reserve_months
        for fund in FUNDS:
            income, expenditure = flows[fund]
            if t == 0:
                opening = d_prev if fund == "critical_illness" else months.get(fund, 0.0) * expenditure / 12.0
            else:
                opening = balance[fund]
            bal = opening + income - expenditure
            balance[fund] = bal
            spend = s["insurer_claims"] if fund == "critical_illness" else expenditure
            self.rows.append(
                {
                    "year": year,
                    "fund": fund,
                    "opening": opening,
                    "income": income,
                    "expenditure": expenditure,
                    "balance": bal,
                    "months_payable": 12.0 * bal / spend if spend > 0 else np.inf,
                    "fiscal_income": fiscal[fund],
                    "deposit_withheld": deposit if fund == "critical_illness" else 0.0,
                    "deposit_released": (d_prev if released else 0.0) if fund == "critical_illness" else 0.0,
                }
            )

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=FUND_COLUMNS)


# ---------------------------------------------------------------------------- exhaustion


def active_funds(funds: pd.DataFrame) -> list[str]:
    """The funds of a fund table with any money flowing (a scenario without long-term care has an
    all-zero row for it), in `FUNDS` order."""
    moving = funds.groupby("fund")[["income", "expenditure", "opening"]].apply(
        lambda g: bool((g.abs() > 0).any().any())
    )
    return [f for f in FUNDS if bool(moving.get(f, False))]


def exhaustion_years(funds: pd.DataFrame) -> pd.Series:
    """The first year each fund's year-end balance is below zero (穿底), from a fund table (columns
    year, fund, balance); NaN where it stays at or above zero over the horizon. Index: fund, in
    `FUNDS` order (the funds of the table)."""
    present = [f for f in FUNDS if f in set(funds["fund"])]
    below = funds[funds["balance"] < 0]
    first = below.groupby("fund")["year"].min()
    return pd.Series(
        [first.get(f, np.nan) for f in present], index=pd.Index(present, name="fund"), name="year"
    )
