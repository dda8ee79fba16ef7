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
# # 04 基金预测与不确定性 · Fund projection with uncertainty
#
# **政策问题 / The policy question.** 未来几年各项基金（职工统筹、居民医保、大病保险、医疗救助、
# 暖心基金）的收入、支出和结存会怎样变化？在医疗费用增长、参保人数、利用率等假设不确定时，
# 结存的合理区间（P10–P90）是多少？某项基金穿底（结存小于零）的概率有多大？
#
# How will each fund's income, spending and balance evolve over the projection horizon? With the
# growth assumptions uncertain, what is a plausible range (P10-P90) of each balance, and how likely
# is a fund to run out (balance below zero)?
#
# The Monte Carlo draws a new population seed and each growth assumption from its stated range,
# then projects the funds; a few draws show the method, hundreds give stable bands.

# %% tags=["parameters"]
N_PERSONS = 5_000
SEED = 7
SCENARIO = "linan_2024"
DRAWS = 10  # 200+ for stable bands
LANG = "zh"

# %%
# ruff: noqa: E402, B018  (notebook cells import late and end in a displayed expression)
# run from notebooks/ without installing the package: put the repository root on the path
import sys
from pathlib import Path

if (Path.cwd().parent / "simulation").is_dir():
    sys.path.insert(0, str(Path.cwd().parent))

# %%
import plotly.express as px

from simulation import generate_population, load_scenario
from simulation.projection import format_funds, project
from simulation.uncertainty import monte_carlo

# %% [markdown]
# ## 1. 确定性预测 · The central projection
# 以情景中写明的增长假设逐年推算（单位：万元）。 Year by year with the scenario's stated growth
# assumptions (万元).

# %%
scn = load_scenario(SCENARIO)
pop = generate_population(scn, persons=N_PERSONS, seed=SEED)
proj = project(pop, scn)
print(proj.assumptions)
print(format_funds(proj.funds, LANG))

# %% [markdown]
# ## 2. 目标检查 · Targets by year
# 每个政策目标（综合保障率、报销比例、基金结余率……）逐年是否达标，及其依据。
# Each policy target by year: met or not, and where it comes from.

# %%
proj.targets.pivot_table(index="label", columns="year", values="value").round(3)

# %% [markdown]
# ## 3. 蒙特卡洛区间 · Monte Carlo bands

# %%
mc = monte_carlo(scn, persons=N_PERSONS, draws=DRAWS, seed=SEED)
print(mc)
mc.bands.assign(p10=mc.bands.p10 / 1e8, p50=mc.bands.p50 / 1e8, p90=mc.bands.p90 / 1e8).round(2)

# %%
bands = mc.bands.assign(p10=mc.bands.p10 / 1e8, p50=mc.bands.p50 / 1e8, p90=mc.bands.p90 / 1e8)
fig = px.line(
    bands[bands.fund.isin(["assistance", "charity", "critical_illness"])],
    x="year",
    y=["p10", "p50", "p90"],
    facet_col="fund",
    title="结存 P10 / P50 / P90（单位：亿元）",
)
fig.update_layout(font_family="Noto Sans CJK SC")
fig.show()

# %% [markdown]
# ## 4. 穿底概率 · Probability of exhaustion

# %%
mc.exhaustion
