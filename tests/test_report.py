"""Reports: the workbook's sheets and totals, the offline HTML, the PDF's Chinese text, atomic writes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import openpyxl
import pytest

from simulation import WorkbenchError, generate_population, load_scenario, simulate
from simulation.report import excel_bytes, html_bytes, pdf_bytes, write_report

SHEETS_ZH = [
    "摘要",
    "目标",
    "基金预测",
    "费用结构",
    "收入分组",
    "预警",
    "参数",
    "风险保护-阈值",
    "风险保护-收入组",
    "说明",
]
SHEETS_EN = [
    "Summary",
    "Targets",
    "Funds",
    "Costs",
    "Income deciles",
    "Warnings",
    "Parameters",
    "Protection by threshold",
    "Protection by quintile",
    "Provenance",
]
URL = re.compile(r"https?://|//cdn|fonts\.googleapis", re.IGNORECASE)


@pytest.fixture(scope="module")
def runs():
    scn = load_scenario("linan_2024")
    pop = generate_population(scn, persons=2_000, seed=7)
    res = simulate(pop, scn)
    reform = simulate(pop, scn.with_changes({"medical_assistance.inpatient_ratio.dibao": 0.95}))
    return res, reform


def _rows(ws):
    return list(ws.iter_rows(min_row=4, values_only=True))


def test_workbook_sheets_totals_and_sources(runs, tmp_path):
    res, _ = runs
    path = write_report(res, tmp_path / "report.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS_ZH
    ws = wb["摘要"]
    assert ws["A1"].value.startswith("表1 ")
    assert ws.freeze_panes == "B4"
    values = {r[3]: r[1] for r in _rows(ws) if r[3]}
    assert set(values) == set(res.summary)
    for key, v in res.summary.items():
        unit = next(r[2] for r in _rows(ws) if r[3] == key)
        got = values[key] * (1e4 if unit == "万元" else 1.0)
        assert got == pytest.approx(v, rel=1e-9, abs=1e-6), key
    # costs by tier x category x setting add up to the summary (万元)
    costs = wb["费用结构"]
    assert "单位：万元" in costs["A1"].value
    head = [c.value for c in costs[3]]
    total = sum(r[head.index("医疗总费用")] for r in _rows(costs))
    assert total * 1e4 == pytest.approx(res.summary["total_cost"], rel=1e-9)
    oop = sum(r[head.index("个人负担")] for r in _rows(costs))
    assert oop * 1e4 == pytest.approx(res.summary["oop"], rel=1e-6)
    assert head.index("医疗总费用") == 2 and head[-1] == "个人负担"
    for r in _rows(costs):  # each row: the payers and oop add up to the total (the Result identity)
        assert sum(r[3:]) == pytest.approx(r[2], rel=1e-9, abs=1e-6)
    # warnings sheet total row equals the summary count
    warn = _rows(wb["预警"])[-1]
    assert warn[0] == "合计" and warn[2] == pytest.approx(res.summary["warnings"])
    # every parameter listed; most cite a source or state an assumption
    params = _rows(wb["参数"])
    assert len(params) == len(list(res.scenario.leaves()))
    cited = [r for r in params if (r[2] and r[2] != "未标注") or r[3]]
    assert len(cited) >= 0.5 * len(params)
    by_path = {r[-1]: r for r in params}  # the path last, the label first
    src = res.scenario.source("family_cap.cap.dibao")
    assert by_path["family_cap.cap.dibao"][2] == src.get("source", "未标注")
    assert by_path["family_cap.cap.dibao"][0] == "家庭年度个人负担封顶线（低保对象）"  # the lever's label
    prov = dict((r[0], r[1]) for r in _rows(wb["说明"]))
    assert prov["情景"] == "临安 2024" and prov["随机种子"] == "7"
    assert len(prov["情景文件 SHA-256"]) == 64
    assert any("不代表官方预算" in str(r[0]) for r in _rows(wb["说明"]))


def test_workbook_english_reform_and_bands(runs):
    import io

    res, reform = runs
    data = excel_bytes(reform, lang="en", baseline=res, draws=3, persons=500)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == SHEETS_EN[:-3] + [
        "Reform",
        "Protection by threshold",
        "Protection by quintile",
        "Protection reform",
        "Provenance",
    ]
    funds = wb["Funds"]
    head = [c.value for c in funds[3]]
    rows = _rows(funds)
    assert all(
        r[head.index("Balance P10")] <= r[head.index("Balance P90")] for r in rows if isinstance(r[0], int)
    )
    assert sum(isinstance(r[0], int) for r in rows) == len(res.funds)
    rf = _rows(wb["Reform"])
    change = {r[4]: r[3] for r in rf if len(r) > 4 and r[4]}
    assert change["assistance_paid"] * 1e4 == pytest.approx(
        reform.summary["assistance_paid"] - res.summary["assistance_paid"], rel=1e-9, abs=1e-6
    )
    changed = [r for r in rf if len(r) > 4 and r[4] == "medical_assistance.inpatient_ratio.dibao"]
    assert changed and changed[0][0] == "Inpatient assistance ratio (minimum-living-standard (dibao))"
    assert changed[0][2] == "95%"  # in the lever's unit
    params = {r[-1]: r for r in _rows(wb["Parameters"])}
    assert params["medical_assistance.inpatient_ratio.dibao"][1] == 0.95
    assert params["medical_assistance.inpatient_ratio.dibao"][0] == (
        "Inpatient assistance ratio (minimum-living-standard (dibao))"
    )


def test_bad_path_and_format(runs, tmp_path):
    res, _ = runs
    with pytest.raises(WorkbenchError, match="does not exist"):
        write_report(res, tmp_path / "missing" / "r.xlsx")
    with pytest.raises(WorkbenchError, match="unknown report format"):
        write_report(res, tmp_path / "r.docx")
    (tmp_path / "dir.xlsx").mkdir()
    with pytest.raises(WorkbenchError, match="is a folder"):
        write_report(res, tmp_path / "dir.xlsx")
    with pytest.raises(WorkbenchError, match="lang"):
        excel_bytes(res, lang="fr")


@pytest.mark.parametrize("suffix", [".xlsx", ".html"])
def test_interrupted_write_keeps_previous_file(runs, tmp_path, monkeypatch, suffix):
    import simulation.report as report

    res, _ = runs
    path = tmp_path / f"report{suffix}"
    path.write_bytes(b"previous report")

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report, "atomic_write", lambda p, write: _atomic_then(p, write, boom))
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_report(res, path)
    assert path.read_bytes() == b"previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def _atomic_then(p, write, boom):
    """The real atomic_write, with the writer failing half-way (after writing some bytes)."""
    from simulation.io_safe import atomic_write

    def half(tmp):
        write(tmp)
        boom()

    return atomic_write(p, half)


def test_html_is_offline_and_has_the_kpis(runs, tmp_path):
    res, reform = runs
    path = write_report(res, tmp_path / "report.html")
    html = path.read_text(encoding="utf-8")
    assert URL.search(html) is None, URL.search(html)
    assert html.count("<script") >= 3 and "fonts.g" not in html
    assert "plotly" in html.lower() and html.lower().count("plotly.js v") <= 1  # inlined once
    assert "本报告为模型测算结果，不代表官方预算" in html
    assert f"{res.summary['coverage_rate_poor'] * 100:.1f}%" in html
    assert f"{res.summary['total_cost'] / 1e8:,.2f} 亿元" in html
    assert "困难群众综合保障率" in html and "医保基金收支预测" in html
    en = html_bytes(reform, lang="en", baseline=res).decode("utf-8")
    assert URL.search(en) is None
    assert "Model estimates only" in en and "Reform" in en
    assert "medical_assistance.inpatient_ratio" not in en and "family_cap.cap" not in html  # no paths
    assert "Inpatient assistance ratio (minimum-living-standard (dibao))" in en  # labelled, in its unit
    assert "住院救助比例（低保对象）" in html and "30,000 元" in html  # family_cap.cap.dibao, in 元


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_pdf_has_pages_and_chinese_headings(runs, tmp_path):
    res, _ = runs
    path = write_report(res, tmp_path / "report.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    text = text.decode("utf-8")
    assert text.count("\f") >= 2  # pages
    for heading in ("医保政策测算报告", "主要指标", "医保基金收支预测", "参数", "不代表官方预算"):
        assert heading in text, heading
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True).stdout.decode()
    assert "Noto-Sans-CJK-SC" in fonts


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_pdf_english_with_matplotlib_charts(runs, tmp_path):
    res, reform = runs
    data = pdf_bytes(reform, lang="en", baseline=res, charts="matplotlib")
    path = tmp_path / "en.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
    assert "Key figures" in text and "Model estimates only" in text


def test_cli_writes_a_report(tmp_path, capsys):
    from simulation.cli import main

    out = tmp_path / "report.xlsx"
    assert main(["run", "linan_2024", "--persons", "1000", "--out", str(out)]) == 0
    assert openpyxl.load_workbook(out).sheetnames == SHEETS_ZH
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # an ordinary file, not the 0600 temp file
    assert main(["run", "linan_2024", "--persons", "1000", "--out", str(tmp_path / "no" / "r.xlsx")]) == 2
    assert "does not exist" in capsys.readouterr().err
