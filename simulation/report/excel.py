"""Excel workbook (XlsxWriter): one sheet a table, a title row 表N …（单位：万元）, frozen headers."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from ..parameters import SETTING_LABELS
from ..registry import category_label, code_label, metric_kind, metric_label, unit_label
from .data import CAVEAT, TEXT, ReportData

MONEY = "#,##0.00;[Red]-#,##0.00"
HEADER_ROW = 2  # row 0 title, row 1 note, row 2 headers, data from row 3


class _Book:
    def __init__(self, wb, lang: str):
        self.wb, self.lang, self.n = wb, lang, 0
        self.f = {
            "title": wb.add_format({"bold": True, "font_size": 13, "font_name": "Noto Sans CJK SC"}),
            "note": wb.add_format({"italic": True, "font_color": "#666666"}),
            "head": wb.add_format(
                {"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"}
            ),
            "money": wb.add_format({"num_format": MONEY}),
            "rate": wb.add_format({"num_format": "0.0%"}),
            "count": wb.add_format({"num_format": "#,##0"}),
            "num": wb.add_format({"num_format": "#,##0.0"}),
            "index": wb.add_format({"num_format": "0.000"}),
            "text": wb.add_format({"text_wrap": False}),
            "bold": wb.add_format({"bold": True}),
        }

    def table(
        self,
        sheet: str,
        title: str,
        unit: str | None,
        columns: list[tuple[str, str, int]],
        rows: list[list],
        note: str = "",
        freeze_cols: int = 1,
    ):
        """columns: (header, kind, width) with kind money (yuan → 万元), rate, count, persons, num,
        text, or auto (each cell a (value, kind) pair)."""
        self.n += 1
        t = TEXT[self.lang]
        ws = self.wb.add_worksheet(sheet)
        prefix = f"表{self.n} " if self.lang == "zh" else f"Table {self.n}. "
        unit_s = (f"（单位：{unit}）" if self.lang == "zh" else f" ({unit})") if unit else ""
        ws.write(0, 0, f"{prefix}{title}{unit_s}", self.f["title"])
        ws.write(1, 0, note or CAVEAT[self.lang], self.f["note"])
        for j, (head, _kind, width) in enumerate(columns):
            ws.write(HEADER_ROW, j, head, self.f["head"])
            ws.set_column(j, j, width)
        for i, row in enumerate(rows, start=HEADER_ROW + 1):
            for j, v in enumerate(row):
                kind = columns[j][1] if j < len(columns) else "text"
                if isinstance(v, str) and kind != "text" and kind != "auto":
                    ws.write_string(i, j, v)
                    continue
                if kind == "auto":  # per-row kind given as (value, kind)
                    v, kind = v
                if v is None or (isinstance(v, float) and not np.isfinite(v)):
                    ws.write_blank(i, j, None)
                elif kind == "money":
                    ws.write_number(i, j, float(v) / 1e4, self.f["money"])
                elif kind in ("rate", "count", "persons", "num", "index"):
                    ws.write_number(i, j, float(v), self.f["count" if kind == "persons" else kind])
                elif isinstance(v, (bool, np.bool_)):
                    ws.write_string(i, j, t["yes"] if v else t["no"])
                elif isinstance(v, (int, float, np.integer, np.floating)):
                    ws.write_number(i, j, float(v))
                else:
                    ws.write_string(i, j, str(v))
        ws.freeze_panes(HEADER_ROW + 1, freeze_cols)
        return ws


def _num(v):
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


def write_workbook(d: ReportData, target) -> None:
    """Write the workbook to a path or a binary file object."""
    import xlsxwriter

    lang, t = d.lang, TEXT[d.lang]
    wb = xlsxwriter.Workbook(target, {"in_memory": True, "nan_inf_to_errors": False})
    b = _Book(wb, lang)
    unit = t["wan"]

    # summary: values in their own kind; money in 万元
    rows = []
    for r in d.summary.itertuples():
        rows.append([r.label, (r.value, r.kind), unit_label(r.kind, lang, "wan"), r.key])
    title = f"{t['kpis']} — {d.title}"
    b.table(
        t["summary"],
        title,
        None,
        [
            (t["figure"], "text", 34),
            (t["value"], "auto", 18),
            (t["unit"], "text", 10),
            (t["code"], "text", 32),
        ],
        rows,
    )

    rows = []
    for r in d.targets.itertuples():
        kind = metric_kind(r.key)
        passed = (
            t["none"]
            if r.passed is None or (isinstance(r.passed, float) and np.isnan(r.passed))
            else (t["yes"] if r.passed else t["no"])
        )
        rows.append(
            [
                r.label,
                (_num(r.value), kind),
                (_num(r.min), kind),
                (_num(r.max), kind),
                passed,
                r.source,
                r.key,
            ]
        )
    b.table(
        t["targets"],
        t["targets"],
        None,
        [
            (t["figure"], "text", 30),
            (t["value"], "auto", 12),
            (t["target_min"], "auto", 10),
            (t["target_max"], "auto", 10),
            (t["passed"], "text", 10),
            (t["source"], "text", 60),
            (t["code"], "text", 28),
        ],
        rows,
    )

    f = d.funds
    rows = [
        [
            int(r.year),
            r.fund_label,
            r.income,
            r.expenditure,
            r.balance,
            _num(r.months_payable) if np.isfinite(r.months_payable) else None,
            _num(r.p10),
            _num(r.p50),
            _num(r.p90),
        ]
        for r in f.itertuples()
    ]
    ws = b.table(
        t["funds"],
        "医保基金收支预测" if lang == "zh" else "Fund accounts by year",
        unit,
        [
            (t["year"], "text", 8),
            (t["fund"], "text", 20),
            (t["income"], "money", 14),
            (t["expenditure"], "money", 14),
            (t["balance"], "money", 14),
            (t["months_payable"], "num", 12),
            (t["p10"], "money", 14),
            (t["p50"], "money", 14),
            (t["p90"], "money", 14),
        ],
        rows,
        note=d.fund_note,
        freeze_cols=2,
    )
    if d.exhaustion is not None:
        r0 = HEADER_ROW + 2 + len(rows)
        ws.write(r0, 0, t["p_exhausted"], b.f["bold"])
        for i, (fund, p) in enumerate(d.exhaustion.items(), start=1):
            ws.write(r0 + i, 1, fund)
            ws.write_number(r0 + i, 2, float(p), b.f["rate"])

    tiers = [c for c in d.costs.columns if c not in ("category", "setting")]
    rows = [
        [
            category_label(r["category"], lang),
            code_label(SETTING_LABELS, r["setting"], lang),
            *[r[c] for c in tiers],
        ]
        for _, r in d.costs.iterrows()
    ]
    b.table(
        t["costs"],
        t["costs"],
        unit,
        [(t["category"], "text", 18), (t["setting"], "text", 12)]
        + [(metric_label(c, lang), "money", 14) for c in tiers],
        rows,
        freeze_cols=2,
    )

    rows = [
        [
            int(r.decile),
            r.households,
            r.persons,
            r.per_capita_income,
            r.total_cost,
            r.oop,
            r.oop_share,
            r.coverage,
            r.warning,
            r.catastrophic,
        ]
        for r in d.deciles.itertuples()
    ]
    b.table(
        t["deciles"],
        t["deciles"],
        unit,
        [
            (t["decile"], "text", 10),
            (t["households"], "count", 12),
            (t["persons"], "count", 12),
            (t["per_capita_income"], "count", 14),
            (metric_label("total_cost", lang), "money", 14),
            (metric_label("oop", lang), "money", 14),
            (t["oop_share"], "rate", 12),
            (t["coverage"], "rate", 12),
            (t["warning"], "count", 10),
            (t["catastrophic"], "count", 12),
        ],
        rows,
    )

    total = "合计" if lang == "zh" else "Total"
    rows = [
        [
            total if r.category == "__total__" else category_label(r.category, lang),
            r.households,
            r.warning,
            r.expenditure_poor,
            r.catastrophic,
            r.newly_identified,
        ]
        for r in d.warnings.itertuples()
    ]
    b.table(
        t["warnings"],
        t["warnings"],
        t["count"] if lang == "zh" else None,
        [
            (t["category"], "text", 18),
            (t["households"], "count", 12),
            (t["warning"], "count", 12),
            (t["expenditure_poor"], "count", 14),
            (t["catastrophic"], "count", 14),
            (t["newly_identified"], "count", 12),
        ],
        rows,
    )

    # the parameter by its label first (a lever's; the generator's and the projection's inputs have
    # none), its value as a number (a rate as a fraction) and, last, its path: the key the API, a
    # scenario file and the app's address use
    p = d.parameters
    has_base = "baseline" in p.columns
    cols = [(t["parameter"], "text", 40), (t["value"], "text", 14)]
    if has_base:
        cols.append((t["baseline"], "text", 14))
    cols += [(t["source"], "text", 60), (t["assumption"], "text", 60), (t["path"], "text", 56)]
    rows = []
    for r in p.to_dict("records"):
        row = [r["label"], _param_value(r["value"], lang)]
        if has_base:
            row.append(_param_value(r["baseline"], lang))
        row += [r["source"] or ("" if r["assumption"] else t["uncited"]), r["assumption"], r["path"]]
        rows.append(row)
    b.table(t["parameters"], t["parameters"], None, cols, rows)

    if d.reform is not None:
        _reform_sheet(b, d)
    _protection_sheets(b, d)
    _decision_sheets(b, d)
    _backtest_sheets(b, d)

    rows = [[k, v] for k, v in d.provenance] + [["", ""], [CAVEAT[lang], ""], [t["tables_note"], ""]]
    b.table(t["provenance"], t["provenance"], None, [(t["item"], "text", 26), (t["value"], "text", 70)], rows)
    wb.close()


def _protection_sheets(b: _Book, d: ReportData) -> None:
    """The financial-protection tables, one sheet each (rates in %, money in 万元, indices)."""
    money = "金额单位为万元。" if d.lang == "zh" else "Money in 10k yuan. "
    for tb in d.protection:
        widths = [16] + [22] * (len(tb.head) - 1)
        kinds = list(tb.kinds)
        b.table(
            tb.sheet,
            tb.title,
            None,
            list(zip(tb.head, kinds, widths)),
            tb.rows,
            note=(money if "money" in kinds else "") + CAVEAT[d.lang],
        )


def _decision_sheets(b: _Book, d: ReportData) -> None:
    """The decision tables, one sheet each (money in 万元, rates in %, the rest as written)."""
    money = "金额单位为万元。" if d.lang == "zh" else "Money in 10k yuan. "
    for tb in d.decisions:
        widths = [30] + [18] * (len(tb.head) - 1)
        b.table(
            tb.sheet,
            tb.title,
            None,
            list(zip(tb.head, tb.kinds, widths)),
            tb.rows,
            note=money + CAVEAT[d.lang],
        )


def _backtest_sheets(b: _Book, d: ReportData) -> None:
    """The back-test's tables (simulation.settlements), one sheet each (money in 万元, gaps in %)."""
    money = "金额单位为万元。" if d.lang == "zh" else "Money in 10k yuan. "
    for tb in d.backtest:
        widths = [22 if k == "text" else 16 for k in tb.kinds]
        b.table(
            tb.sheet,
            tb.title,
            None,
            list(zip(tb.head, tb.kinds, widths)),
            tb.rows,
            note=money + TEXT[d.lang]["bt_note"],
        )


def _param_value(v, lang: str = "zh"):
    if isinstance(v, bool):
        return ("是" if v else "否") if lang == "zh" else ("yes" if v else "no")
    return v if v is not None else "—"


def _reform_sheet(b: _Book, d: ReportData) -> None:
    lang, t = d.lang, TEXT[d.lang]
    rf = d.reform
    rows = [
        [r.label, (r.baseline, r.kind), (r.reform, r.kind), (r.change, r.kind), r.figure]
        for r in rf["summary"].itertuples()
    ]
    ws = b.table(
        t["reform"],
        t["reform"],
        None,
        [
            (t["figure"], "text", 34),
            (t["baseline"], "auto", 16),
            (t["reform_col"], "auto", 16),
            (t["change"], "auto", 16),
            (t["code"], "text", 30),
        ],
        rows,
        note=("金额单位为万元。" if lang == "zh" else "Money in 10k yuan. ") + CAVEAT[lang],
    )
    r0 = HEADER_ROW + 2 + len(rows)
    ws.write(r0, 0, t["param_changes"], b.f["bold"])
    ch = rf["changes"]
    for i, r in enumerate(ch.to_dict("records") if len(ch) else [], start=1):
        ws.write(r0 + i, 0, r.get("label", "") or r.get("path", ""))
        ws.write(r0 + i, 1, str(r.get("base_shown") or _param_value(r.get("base"), lang)))
        ws.write(r0 + i, 2, str(r.get("value_shown") or _param_value(r.get("value"), lang)))
        ws.write(r0 + i, 3, r.get("source") or r.get("assumption") or "")
        ws.write(r0 + i, 4, r.get("path", ""))
    r1 = r0 + len(ch) + 2
    for i, (k, v) in enumerate(rf["households"].items()):
        ws.write(r1 + i, 0, t.get(k, k))
        ws.write_number(r1 + i, 1, float(v), b.f["count"])


def excel_bytes_from(d: ReportData) -> bytes:
    buf = io.BytesIO()
    write_workbook(d, buf)
    return buf.getvalue()


__all__ = ["excel_bytes_from", "write_workbook", "pd"]
