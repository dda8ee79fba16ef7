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
# # 01 快速上手 · Quickstart
#
# **政策问题 / The policy question.** 杭州市临安区对困难家庭实行"医疗费用负担封顶制"：
# 一户困难家庭一年自付的医疗费用超过封顶线（特困 5,000 元、低保 30,000 元、低保边缘 50,000 元）
# 后，超出部分由暖心基金兜底。这一政策要花多少钱？各层保障（基本医保、大病保险、医疗救助、
# 惠民保、封顶兜底）各付多少？困难群众最终自付多少？
#
# Lin'an district caps what a poor household pays out of pocket for medical care in a year; a charity
# fund pays the rest. What does that cost, who pays which part (basic insurance, critical-illness
# insurance, medical assistance, supplementary insurance, the cap), and what is left for families?
#
# We load the preset scenario (every number in it cites its policy text or is marked as an
# assumption), generate a synthetic population, simulate one year and draw the main charts.

# %% tags=["parameters"]
N_PERSONS = 5_000  # raise to 100_000 or more for stable figures; 5,000 keeps this notebook fast
SEED = 7
SCENARIO = "linan_2024"
LANG = "zh"  # "en" for English labels

# %%
# ruff: noqa: E402  (notebook cells import after this path set-up)
# run from notebooks/ without installing the package: put the repository root on the path
import sys
from pathlib import Path

if (Path.cwd().parent / "simulation").is_dir():
    sys.path.insert(0, str(Path.cwd().parent))

# %%
import tempfile

from simulation import generate_population, load_scenario, simulate
from simulation.cli import format_summary
from simulation.report import figures, write_report

# %% [markdown]
# ## 1. 情景与人口 · Scenario and population
# 人口是按情景中的统计口径（参保人数、困难群众比例、住院率、次均费用）合成的；每一行代表
# `weight` 个真实参保人。 The population is synthetic, drawn to match the scenario's official
# figures; each row stands for `weight` insured persons.

# %%
scn = load_scenario(SCENARIO)
pop = generate_population(scn, persons=N_PERSONS, seed=SEED)
print(scn.params.title)
print(pop)
print(scn.source("family_cap.cap.dibao"))  # where the 30,000-yuan cap comes from

# %% [markdown]
# ## 2. 一年的测算结果 · One year simulated
# 金额以万元计；比例为百分比。 Money in 万元 (10,000 yuan); rates in %.

# %%
res = simulate(pop, scn)
print(format_summary(res.summary, LANG))

# %% [markdown]
# ## 3. 主要图表 · The main charts
# 基金结存的逐年预测、各就医类别由谁支付、各收入十分位的自付负担。
# Fund balances by year, who pays in each setting, and the out-of-pocket burden by income decile.

# %%
figs = figures(res, lang=LANG)
for fig in figs.values():
    fig.show()

# %% [markdown]
# ## 4. 预警名单 · The early-warning list (政策找人)
# 自付占收入比例高、触发因病致贫预警的家庭，按救助类别计数。
# Households flagged by the illness-induced-poverty warning, by assistance category.

# %%
flagged = res.households.query("warning")
print(f"{res.summary['warnings']:,.0f} households flagged (weighted); {len(flagged)} sample rows")
flagged.groupby("category")["weight"].sum().round(0)

# %% [markdown]
# ## 5. 导出报告 · Export a report
# Excel / HTML / PDF 报告都从同一个结果生成；这里写入临时文件夹。
# The same result gives an Excel, HTML or PDF report; here into a temporary folder.

# %%
out = Path(tempfile.mkdtemp()) / "report.xlsx"
write_report(res, out, lang=LANG)
print(out, out.stat().st_size, "bytes")
