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
# # 03 人口校准 · Calibration
#
# **政策问题 / The policy question.** 测算结果只有在合成人口"像"真实参保人群时才可信。
# 生成的人口与官方统计（住院率、次均住院费用、政策范围内报销比例、人均基金支出……）差多少？
# 差距是否在情景文件写明的容差之内？
#
# The estimates are only as good as the synthetic population. How far are the generated figures
# (hospitalisation rate, cost per admission, policy-range reimbursement, fund spending per insured
# person ...) from the official ones, and is each gap inside the tolerance the scenario states?
# Each target cites its source; a gap marked as known is explained in the scenario.

# %% tags=["parameters"]
N_PERSONS = 5_000  # calibration is judged at 50,000+ persons; 5,000 shows the method quickly
SEED = 7
SCENARIOS = ["linan_2024", "bijie_2019"]

# %%
# ruff: noqa: E402, B018  (notebook cells import late and end in a displayed expression)
# run from notebooks/ without installing the package: put the repository root on the path
import sys
from pathlib import Path

if (Path.cwd().parent / "simulation").is_dir():
    sys.path.insert(0, str(Path.cwd().parent))

# %%
import pandas as pd

from simulation import generate_population, load_scenario
from simulation.calibration import calibrate, format_checks, generated_values

# %% [markdown]
# ## 1. 每个目标的差距 · The gap of each target
# `gap` 为相对差距（相对容差时）或绝对差距；`ok` 表示在容差内。
# `gap` is relative where the tolerance is relative, absolute otherwise; `ok` means within tolerance.

# %%
for name in SCENARIOS:
    scn = load_scenario(name)
    print(f"== {scn.params.title}")
    print(format_checks(calibrate(scn, persons=N_PERSONS, seed=SEED)))
    print()

# %% [markdown]
# ## 2. 表格形式 · As a table
# 便于筛选未达标的目标。 Easier to filter the targets that miss.

# %%
scn = load_scenario(SCENARIOS[0])
checks = calibrate(scn, persons=N_PERSONS, seed=SEED)
table = pd.DataFrame(
    {
        "target": [c.name for c in checks],
        "official": [c.target for c in checks],
        "generated": [c.generated for c in checks],
        "gap": [c.gap for c in checks],
        "tolerance": [c.tolerance for c in checks],
        "ok": [c.ok for c in checks],
        "citation": [c.citation for c in checks],
    }
)
table

# %% [markdown]
# ## 3. 样本量的影响 · Sample size
# 同一人口、不同种子：小样本的抽样波动有多大。 Different seeds: how much a small sample moves.

# %%
pd.DataFrame(
    {
        seed: generated_values(generate_population(scn, persons=N_PERSONS, seed=seed), scn)
        for seed in (1, 2, 3)
    }
)
