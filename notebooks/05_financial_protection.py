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
# # 05 经济风险保护 · Financial protection
#
# **政策问题 / The policy question.** 按世界卫生组织和世界银行的口径（SDG 3.8.2），多少人生活在
# 医疗自付超过家庭收入 10% 或 25% 的家庭？按支付能力（收入减去低保标准 × 12 × 家庭人数）的 40%
# 衡量又是多少？多少人因自付医疗费用跌破低保线？一项救助改革前后这些数字如何变化、落在哪些收入组？
#
# How many people live in households whose out-of-pocket (OOP) medical spending exceeds 10% or 25% of
# household income (SDG 3.8.2)? How many exceed 40% of their capacity to pay (income less the
# 低保 standard × 12 × household size)? How many are pushed below the 低保 line by OOP? And how do
# these figures change with a reform, and in which income groups?
#
# Definitions: `simulation/rules/protection.py` (one scalar function per household test, each with
# its source). The rates are persons-weighted, as WHO and the World Bank report them.

# %% tags=["parameters"]
N_PERSONS = 5_000
SEED = 7
SCENARIO = "shanghai_2023"
REFORM = {
    "medical_assistance.inpatient_ratio.dibao": 1.0,
    "medical_assistance.inpatient_ratio.dibian": 0.9,
}
LANG = "zh"

# %%
# ruff: noqa: E402, B018  (notebook cells import late and end in a displayed expression)
# run from notebooks/ without installing the package: put the repository root on the path
import sys
from pathlib import Path

if (Path.cwd().parent / "simulation").is_dir():
    sys.path.insert(0, str(Path.cwd().parent))

# %%
import pandas as pd

from simulation import generate_population, load_scenario, simulate
from simulation.compare import compare
from simulation.protection import FIGURES
from simulation.registry import format_change, format_value, metric_label

# %% [markdown]
# ## 1. 基线 · The baseline

# %%
scn = load_scenario(SCENARIO)
pop = generate_population(scn, persons=N_PERSONS, seed=SEED)
base = simulate(pop, scn)
pd.DataFrame(
    {
        "figure": [metric_label(k, LANG) for k in FIGURES],
        "value": [format_value(k, base.summary[k], LANG) for k in FIGURES],
    }
)

# %% [markdown]
# ## 2. 阈值曲线与集中指数 · The headcount over thresholds and the concentration index
#
# ADePT's first table: the share of persons in catastrophic households at each threshold from 5% to
# 50% of income, by persons and by households, and on capacity to pay. A negative concentration index
# means catastrophic spending is concentrated among poorer households (ranked by income per head).

# %%
prot = base.protection()
print(f"concentration index at 10%: {prot.concentration_index:.3f}")
prot.curve.style.format("{:.1%}", subset=prot.curve.columns[:3]).format(
    "{:.3f}", subset=["concentration_index"]
)

# %% [markdown]
# ## 3. 按收入五等分组 · By income quintile

# %%
q = prot.by_quintile[["persons", "per_capita_income", *FIGURES]]
q

# %% [markdown]
# ## 4. 改革前后 · Before and after a reform
#
# The same population under the reform: the curve and the figures side by side.

# %%
reform = simulate(pop, scn.with_changes(REFORM))
cmp = compare(base, reform)
table = cmp.summary.loc[list(FIGURES)]
pd.DataFrame(
    {
        "figure": [metric_label(k, LANG) for k in table.index],
        "baseline": [format_value(k, v, LANG) for k, v in table["baseline"].items()],
        "reform": [format_value(k, v, LANG) for k, v in table["reform"].items()],
        "change": [format_change(k, v, LANG) for k, v in table["change"].items()],
    }
)

# %%
cmp.protection[["catastrophic_rate_persons_baseline", "catastrophic_rate_persons_reform"]].plot(
    title="catastrophic spending (persons) by threshold", xlabel="threshold (share of income)"
)
# %%
cmp.protection_by_quintile.filter(like="catastrophic_rate_10_persons")
