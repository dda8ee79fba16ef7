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
# # 07 最优投入与敏感性 · The best buy and the tornado
#
# **政策问题 / The policy question.** 再多 1,000 万元，投在哪个参数上（一项救助比例、一条封顶线、
# 大病倾斜、一个起付线）最能提高困难群众综合保障率、降低灾难性卫生支出、化解预警家庭？三个参数
# 怎样组合最省钱？哪些参数和测算假设对五年后的基金结余影响最大？
#
# With one more 10 million yuan, which lever raises the coverage of the poor, lowers catastrophic
# spending or clears warned households the most? Which combination of up to three levers is cheapest
# for each coverage level? Which levers and assumptions move the year-5 fund balance the most?

# %% tags=["parameters"]
N_PERSONS = 2_000
SEED = 7
SCENARIO = "linan_2024"
STEPS = 3
LANG = "zh"

# %%
# ruff: noqa: E402  (notebook cells import late)
# run from notebooks/ without installing the package: put the repository root on the path
import sys
from pathlib import Path

if (Path.cwd().parent / "simulation").is_dir():
    sys.path.insert(0, str(Path.cwd().parent))

# %%
from simulation import generate_population, load_scenario
from simulation.best_buy import clearing, frontier, frontier_table, marginal_effects, marginal_table
from simulation.sensitivity import tornado, tornado_table

scn = load_scenario(SCENARIO)
pop = generate_population(scn, persons=N_PERSONS, seed=SEED)

# %% [markdown]
# ## 1. 每 1,000 万元买到什么 · What 10 million yuan buys, lever by lever
#
# Each lever is moved in the direction that spends more until it has spent 10 million yuan (or as far
# as it goes: `reached` False). Every yuan that lowers the poor's out-of-pocket raises their
# 综合保障率 alike, so the levers aimed at them tie on it; catastrophic spending and the warning list
# tell them apart.

# %%
me = marginal_effects(pop, scn)
marginal_table(me.head(10), scn, LANG)

# %% [markdown]
# ## 2. 三个参数的组合前沿 · The frontier of three levers
#
# Every combination of the three levers (each at its value and `STEPS` values towards its generous
# end) is simulated once; the frontier keeps those no other combination beats on both cost and
# coverage.

# %%
levers = ["medical_assistance.inpatient_ratio.dibao", "critical_illness.terms.bands.0.ratio",
          "basic_insurance.resident.inpatient.deductible.1"]  # fmt: skip
fr = frontier(pop, scn, levers, (0.0, 5e7), steps=STEPS)
print(fr)
frontier_table(fr, scn, LANG)

# %% [markdown]
# ## 3. 预警家庭最省钱的调整 · Each warned household's cheapest change

# %%
cl = clearing(pop, scn, me.head(10), steps=STEPS)
cl.head(10)

# %% [markdown]
# ## 4. 龙卷风图 · The tornado
#
# Each lever and assumption at both ends of its range (the scenario's, or the stated default), the
# projection run again; bars by the swing of the last year's fund balance.

# %%
tn = tornado(pop, scn, levers=me["path"].head(5).tolist(), assumptions=True)
tornado_table(tn, LANG, n=10)
