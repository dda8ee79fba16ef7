"""In-year monitoring: from this year's settlements to date, the year-end expenditure and balance
(months payable) of each fund the platform pays, with a band from the model's back-test error, and a
flag on funds heading over budget.

    mon = monitor(to_date, scenario, last_year=last_year_obs)   # two load_settlements results
    mon.funds        # per fund: paid to date, projected year-end expenditure (low, central, high),
                     # income, opening, balance and months payable, budget and status
    mon.path         # per fund and month: paid to date, then the projected cumulative path

Method. The scenario is run on last year's settlements (`backtest`): its simulated payments by
month give the share of a year's spending that falls in months 1..m under this scenario (`share`,
the model's profile: seasonality, and payments that come later in the year as deductibles and
thresholds are passed). The year-end projection of a fund is what it paid to date divided by that
share. Two things make it uncertain, and the band (about 90%) is the projection × (1 ± b) with
b = sqrt(error² + (1.645 × sd / share)²):

- the model's error: last year, the same method at the same month would have erred by `error =
  observed share / simulated share - 1` (the back-test's error by month);
- chance: the share to date of a finite population varies with who happens to be ill when; `sd` is
  its standard error over persons (the delta method for a ratio of sums over persons,
  sqrt(Σ (a_i - share × b_i)²) / Σ b_i, with a_i a person's simulated payments to date and b_i
  for the year, as a bootstrap over persons would give).

Funds (simulation.registry.FUNDS): the employee and resident pools pay `hifp_pay` (by the person's
scheme), the critical-illness insurance `hifmi_pay + hifob_pay`, medical assistance `maf_pay`. Their
income, the premium transfer to the insurer and the premium subsidies are the scenario's for these
persons (`funds.fund_flows` on the run to date); the opening balance is given (`opening`) or the
scenario's `financing.opening_reserve_months` of the projected spending. The 暖心基金's cap is paid
after the year, outside the settlements: not monitored. Status: `over` when the central projection
exceeds the budget (default: the fund's income of the year: spending above income runs the balance
down), `risk` when the band's top does, else `ok`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..api import simulate
from ..funds import fund_flows
from ..scenario import Scenario
from .apportion import cents
from .backtest import Backtest, backtest
from .extract import ObservedPopulation

# fund -> (observed fields, the scheme whose settlements it pays (None: both))
MONITORED: dict[str, tuple[tuple[str, ...], str | None]] = {
    "employee_pool": (("hifp_pay",), "employee"),
    "resident_pool": (("hifp_pay",), "resident"),
    "critical_illness": (("hifmi_pay", "hifob_pay"), None),
    "assistance": (("maf_pay",), None),
}
STATUSES = ("ok", "risk", "over")
Z90 = 1.645  # a two-sided 90% band


@dataclass
class Monitor:
    months: int  # settlements to date cover months 1..months
    funds: pd.DataFrame
    path: pd.DataFrame
    history: Backtest


def _by_fund(claims_scheme: np.ndarray, month: np.ndarray, amounts: dict[str, np.ndarray]) -> dict:
    """Per fund: cents per month (index 1..12)."""
    out = {}
    for fund, (fields, scheme) in MONITORED.items():
        x = sum(amounts[f] for f in fields)
        if scheme is not None:
            x = np.where(claims_scheme == scheme, x, 0)
        out[fund] = np.bincount(month, weights=x.astype(float), minlength=13)[1:13]
    return out


def _share_sd(amounts, fund, scheme, month, person, m: int, share: float) -> float:
    """Standard error of a fund's share of the year paid in months 1..m, over persons (the delta
    method for the ratio of two sums over persons)."""
    fields, sch = MONITORED[fund]
    x = sum(amounts[f] for f in fields).astype(float)
    if sch is not None:
        x = np.where(scheme == sch, x, 0.0)
    codes, _ = pd.factorize(person)
    a = np.bincount(codes, weights=np.where(month <= m, x, 0.0))
    b = np.bincount(codes, weights=x)
    tot = b.sum()
    if tot <= 0 or not np.isfinite(share):
        return 0.0
    return float(np.sqrt(np.sum((a - share * b) ** 2)) / tot)


def _claim_scheme(obs: ObservedPopulation) -> np.ndarray:
    pop = obs.population
    pos = pd.Index(pop.persons["person_id"].to_numpy()).get_indexer(pop.claims["person_id"].to_numpy())
    return pop.persons["scheme"].astype(str).to_numpy()[pos]


def monitor(
    to_date: ObservedPopulation,
    scenario: Scenario,
    *,
    last_year: ObservedPopulation | Backtest,
    budget: dict[str, float] | None = None,
    opening: dict[str, float] | None = None,
) -> Monitor:
    """Project each fund's year from `to_date` (this year's settlements so far) under `scenario`,
    with the profile and error of `last_year` (its settlements, or their back-test under this
    scenario). `budget` and `opening`: yuan by fund (see the module's text)."""
    hist = last_year if isinstance(last_year, Backtest) else backtest(last_year, scenario)
    m = to_date.months
    if not 1 <= m <= 12:
        raise ValueError("monitor: the settlements to date have no month")
    # last year's profile: simulated (the model's) and observed, per fund and month
    hc = hist.claims
    h_scheme = _claim_scheme(hist.observed)
    h_month = hc["month"].to_numpy()
    ho = hist.observed.observed
    sim_amounts = {
        "hifp_pay": hc["sim_basic_paid"].to_numpy(),
        "hifmi_pay": hc["sim_critical_paid"].to_numpy(),
        "hifob_pay": np.zeros(len(hc), dtype=np.int64),
        "maf_pay": hc["sim_assistance_paid"].to_numpy(),
    }
    obs_amounts = {f: cents(ho[f].to_numpy()) for f in ("hifp_pay", "hifmi_pay", "hifob_pay", "maf_pay")}
    sim_m = _by_fund(h_scheme, h_month, sim_amounts)
    obs_m = _by_fund(h_scheme, h_month, obs_amounts)
    h_person = hist.observed.population.claims["person_id"].to_numpy()
    # this year to date
    t_obs = {
        f: cents(to_date.observed[f].to_numpy()) for f in ("hifp_pay", "hifmi_pay", "hifob_pay", "maf_pay")
    }
    t_m = _by_fund(
        _claim_scheme(to_date), to_date.population.claims["month"].to_numpy().astype(np.int64), t_obs
    )
    res = simulate(to_date.population, scenario)
    flows = fund_flows(res)
    s, fc = res.summary, res.fund_cells
    model_paid = {
        "employee_pool": fc["basic_paid_employee_enrolled"] + fc["basic_paid_employee_uninsured"],
        "resident_pool": fc["basic_paid_resident_enrolled"] + fc["basic_paid_resident_uninsured"],
        "critical_illness": s["insurer_claims"],
        "assistance": s["assistance_paid"],
    }
    months_reserve = scenario.params.financing.opening_reserve_months
    rows, paths = [], []
    for fund in MONITORED:
        sim_total = sim_m[fund].sum()
        share = sim_m[fund][:m].sum() / sim_total if sim_total > 0 else np.nan
        obs_total = obs_m[fund].sum()
        obs_share = obs_m[fund][:m].sum() / obs_total if obs_total > 0 else np.nan
        error = obs_share / share - 1.0 if share and np.isfinite(share) and share > 0 else np.nan
        paid = t_m[fund][:m].sum() / 100.0
        central = paid / share if share and share > 0 else np.nan
        sd = _share_sd(sim_amounts, fund, h_scheme, h_month, h_person, m, share)
        chance = Z90 * sd / share if share and share > 0 else 0.0
        band = float(np.hypot(error if np.isfinite(error) else 0.0, chance))
        low, high = central * (1 - band), central * (1 + band)
        income, expenditure_to_date = flows[fund]
        fixed = expenditure_to_date - model_paid[fund]  # premium transfers, subsidies: not settlements
        exp = {k: fixed + v for k, v in (("low", low), ("central", central), ("high", high))}
        open_ = (opening or {}).get(fund, months_reserve.get(fund, 0.0) * exp["central"] / 12.0)
        bal = {k: open_ + income - v for k, v in exp.items()}
        months_payable = {k: 12.0 * bal[k] / exp[k] if exp[k] > 0 else np.inf for k in exp}
        b = (budget or {}).get(fund, income)
        status = "over" if exp["central"] > b else "risk" if exp["high"] > b else "ok"
        rows.append(
            {
                "fund": fund,
                "paid_to_date": paid,
                "share_to_date": share,
                "error_last_year": error,
                "share_sd": sd,
                "band": band,
                "payments_low": low,
                "payments": central,
                "payments_high": high,
                "expenditure_low": exp["low"],
                "expenditure": exp["central"],
                "expenditure_high": exp["high"],
                "income": income,
                "opening": open_,
                "balance_low": bal["high"],  # more spending, less balance
                "balance": bal["central"],
                "balance_high": bal["low"],
                "months_payable_low": months_payable["high"],
                "months_payable": months_payable["central"],
                "months_payable_high": months_payable["low"],
                "budget": b,
                "status": status,
            }
        )
        cum_sim = np.cumsum(sim_m[fund]) / sim_total if sim_total > 0 else np.zeros(12)
        cum_obs = np.cumsum(t_m[fund]) / 100.0
        for k in range(12):
            paths.append(
                {
                    "fund": fund,
                    "month": k + 1,
                    "paid": cum_obs[k] if k < m else np.nan,
                    "projected": central * cum_sim[k] if k >= m - 1 else np.nan,
                    "projected_low": low * cum_sim[k] if k >= m - 1 else np.nan,
                    "projected_high": high * cum_sim[k] if k >= m - 1 else np.nan,
                }
            )
    return Monitor(months=m, funds=pd.DataFrame(rows), path=pd.DataFrame(paths), history=hist)
