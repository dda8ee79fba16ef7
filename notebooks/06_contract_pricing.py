# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 大病保险合同定价 · Pricing the critical-illness contract
#
# **政策问题 / The policy question.** 每年医保局与商业保险公司签订大病保险承办合同：朔州按每人每年
# 100 元筹资（朔州 大病保险方案 五(一)），承办机构盈利率 3%—5%（六(四)：超过部分结余返还，经营性亏损
# 由承保公司全部承担），质保金为筹资总额的 10%。明年 100 元够不够？多少人均筹资能让承办机构的预期
# 盈利率落在区间中点？出现经营性亏损、需要返还结余的概率各是多少？
#
# Each year the bureau signs the critical-illness contract with an insurer. Is next year's premium
# enough? Which premium puts the insurer's expected margin in the middle of its corridor, and how
# likely are an operating loss and a surplus returned to the fund?
#
# The draws are the Monte Carlo's (`simulation.uncertainty.draw_plan`): each draw projects the
# population to the contract year under growth assumptions drawn from the scenario's
# `projection.ranges`; every settlement is the rule `rules.critical_illness.settle_insurer`.

# %% tags=["parameters"]
N_PERSONS = 3_000
SEED = 7
SCENARIO = "shuozhou_2021"
DRAWS = 10
POPULATIONS = 1  # raise to draw populations too (the sampling spread of who falls ill)
LANG = "zh"

# %%
# ruff: noqa: E402  (notebook cells import late)
# run from notebooks/ without installing the package: put the repository root on the path
import sys
from pathlib import Path

if (Path.cwd().parent / "simulation").is_dir():
    sys.path.insert(0, str(Path.cwd().parent))

# %%
import numpy as np
import pandas as pd

from simulation import generate_population, load_scenario, simulate
from simulation.contract import format_pricing, price_critical_illness
from simulation.registry import format_value, metric_label

# %% [markdown]
# ## 1. 今年的合同 · This year's contract

# %%
scn = load_scenario(SCENARIO)
pop = generate_population(scn, persons=N_PERSONS, seed=SEED)
s = simulate(pop, scn).summary
keys = [
    "insurer_premium",
    "insurer_claims",
    "insurer_margin",
    "insurer_margin_rate",
    "insurer_surplus_returned",
]
pd.DataFrame(
    {"figure": [metric_label(k, LANG) for k in keys], "value": [format_value(k, s[k], LANG) for k in keys]}
)

# %% [markdown]
# ## 2. 明年的价格 · Next year's price
#
# `price_critical_illness` solves the per-capita premium of the year after the scenario's so that the
# insurer's expected margin rate (what it keeps after the surplus above the ceiling is returned) is
# the corridor's middle.

# %%
pr = price_critical_illness(pop, scn, draws=DRAWS, populations=POPULATIONS, seed=SEED)
print(format_pricing(pr, LANG))

# %% [markdown]
# ## 3. 保费与风险 · Premium against risk
#
# The same draws priced at other premiums (`Pricing.at`): the probability of an operating loss falls
# and the probability of a surplus returned rises as the premium rises.

# %%
curve = pr.curve(np.linspace(0.6 * pr.premium, 1.6 * max(pr.premium, pr.current_premium), 9))
curve[["premium", "expected_margin_rate", "p_loss", "p_surplus", "resident_fund_cost"]].round(4)

# %%
assert (np.diff(curve["p_loss"]) <= 0).all() and (np.diff(curve["p_surplus"]) >= 0).all()

# %% [markdown]
# ## 4. 用求得的筹资重算 · Re-simulating with the solved premium
#
# `pr.solved` is the scenario with the solved premium for the contract year (the current one before
# it); at the central assumptions its margin rate lies inside the corridor.

# %%
from simulation.projection import project

res = project(pop, pr.solved, years=pr.year - scn.year + 1).result(pr.year)
rate = res.summary["insurer_margin_rate"]
print(metric_label("insurer_margin_rate", LANG), format_value("insurer_margin_rate", rate, LANG))
assert pr.floor - 1e-9 <= rate <= pr.ceiling + 1e-9
