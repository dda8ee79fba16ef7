"""Self-contained HTML report (Jinja2): KPI cards, charts (plotly, inlined once), tables, parameters
with their sources and the provenance. The same template, with PNG charts, is the PDF's source."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from ..parameters import SETTING_LABELS
from ..registry import (
    category_label,
    cite_text,
    code_label,
    fmt_count,
    fmt_money,
    fmt_rate,
    format_change,
    format_value,
    metric_label,
    unit_label,
)
from .charts import chart_specs, charts_html
from .data import CAVEAT, TEXT, ReportData

if TYPE_CHECKING:
    from jinja2 import Environment

CARD_KEYS = (
    "total_cost",
    "basic_paid",
    "assistance_paid",
    "oop",
    "coverage_rate_poor",
    "policy_reimbursement_rate_resident",
    "catastrophic_rate",
    "warnings",
)

_env: Environment | None = None


def env() -> Environment:
    global _env
    if _env is None:
        from jinja2 import Environment, PackageLoader, select_autoescape  # optional: only HTML/PDF need it

        _env = Environment(
            loader=PackageLoader("simulation", "report/templates"),
            autoescape=select_autoescape(["html", "j2"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
    return _env


def _wan(v) -> str:
    """Money in a table whose caption states 万元."""
    return fmt_money(v, scale="wan", unit=False)


_pct = fmt_rate
_n = fmt_count


def _cell(v, kind: str, lang: str) -> str:
    """A value of a protection table in its kind: %, yuan, a count, an index to 3 decimals."""
    if kind == "rate":
        return _pct(v)
    if kind == "money":
        return fmt_money(v, lang)
    if kind == "index":
        return "—" if v is None or v != v else f"{float(v):.3f}"
    if kind == "text":
        return str(v)
    if kind == "num":
        return "—" if v is None or v != v else f"{float(v):,.4g}"
    return _n(v)


# a table of more columns than this is printed on a landscape page of the PDF (an A4 portrait
# page holds about eight columns of 9 px figures; the costs table has a dozen)
WIDE = 8


def _table(title: str, unit: str | None, head: list[str], rows: list[list[str]], lang: str, note: str = ""):
    return {
        "title": title,
        "unit": unit,
        "head": head,
        "rows": rows,
        "note": note,
        "lang": lang,
        "wide": len(head) > WIDE,
    }


def context(d: ReportData, static: bool = False, pngs: list[bytes] | None = None) -> dict:
    lang, t = d.lang, TEXT[d.lang]
    s = d.summary.set_index("key")
    cards = [
        {"label": s.at[k, "label"], "value": format_value(k, float(s.at[k, "value"]), lang)}
        for k in CARD_KEYS
        if k in s.index
    ]
    tables = []
    rows = []
    for r in d.targets.itertuples():
        passed = (
            t["none"] if r.passed is None or r.passed != r.passed else (t["yes"] if r.passed else t["no"])
        )
        rows.append(
            [
                r.label,
                format_value(r.key, r.value, lang),
                format_value(r.key, r.min, lang),
                format_value(r.key, r.max, lang),
                passed,
                r.source,
            ]
        )
    tables.append(
        _table(
            t["targets"],
            None,
            [t["figure"], t["value"], t["target_min"], t["target_max"], t["passed"], t["source"]],
            rows,
            lang,
        )
    )
    rows = [
        [
            r.label,
            format_value(r.key, r.value, lang, scale="wan", unit=False),
            unit_label(r.kind, lang, "wan"),
        ]
        for r in d.summary.itertuples()
    ]
    tables.append(_table(t["summary"], None, [t["figure"], t["value"], t["unit"]], rows, lang))
    rows = [
        [
            str(int(r.year)),
            r.fund_label,
            _wan(r.income),
            _wan(r.expenditure),
            _wan(r.balance),
            _n(r.months_payable, 1),
            _wan(r.p10),
            _wan(r.p50),
            _wan(r.p90),
        ]
        for r in d.funds.itertuples()
    ]
    tables.append(
        _table(
            "医保基金收支预测" if lang == "zh" else "Fund accounts by year",
            t["wan"],
            [
                t[k]
                for k in (
                    "year",
                    "fund",
                    "income",
                    "expenditure",
                    "balance",
                    "months_payable",
                    "p10",
                    "p50",
                    "p90",
                )
            ],
            rows,
            lang,
            note=d.fund_note,
        )
    )
    tiers = [c for c in d.costs.columns if c not in ("category", "setting")]
    rows = [
        [category_label(r["category"], lang), code_label(SETTING_LABELS, r["setting"], lang)]
        + [_wan(r[c]) for c in tiers]
        for _, r in d.costs.iterrows()
    ]
    tables.append(
        _table(
            t["costs"],
            t["wan"],
            [t["category"], t["setting"]] + [metric_label(c, lang) for c in tiers],
            rows,
            lang,
        )
    )
    rows = [
        [
            str(int(r.decile)),
            _n(r.households),
            _n(r.per_capita_income),
            _wan(r.total_cost),
            _wan(r.oop),
            _pct(r.oop_share),
            _pct(r.coverage),
            _n(r.warning),
        ]
        for r in d.deciles.itertuples()
    ]
    tables.append(
        _table(
            t["deciles"],
            t["wan"],
            [
                t["decile"],
                t["households"],
                t["per_capita_income"],
                metric_label("total_cost", lang),
                metric_label("oop", lang),
                t["oop_share"],
                t["coverage"],
                t["warning"],
            ],
            rows,
            lang,
        )
    )
    for tb in [*d.protection, *d.decisions]:
        rows = [[_cell(v, k, lang) for v, k in zip(row, tb.kinds)] for row in tb.rows]
        tables.append(_table(tb.title, None, tb.head, rows, lang))
    for i, tb in enumerate(d.backtest):  # the back-test's tables (simulation.settlements)
        rows = [[_cell(v, k, lang) for v, k in zip(row, tb.kinds)] for row in tb.rows]
        tables.append(
            _table(tb.title, None, tb.head, rows, lang, note=TEXT[lang]["bt_note"] if i == 0 else "")
        )
    total = "合计" if lang == "zh" else "Total"
    rows = [
        [
            total if r.category == "__total__" else category_label(r.category, lang),
            _n(r.households),
            _n(r.warning),
            _n(r.expenditure_poor),
            _n(r.catastrophic),
            _n(r.newly_identified),
        ]
        for r in d.warnings.itertuples()
    ]
    tables.append(
        _table(
            t["warnings"],
            t["count"] if lang == "zh" else None,
            [
                t["category"],
                t["households"],
                t["warning"],
                t["expenditure_poor"],
                t["catastrophic"],
                t["newly_identified"],
            ],
            rows,
            lang,
        )
    )
    reform = None
    if d.reform is not None:
        rf = d.reform
        rows = [
            [r.label]
            + [format_value(r.figure, v, lang, scale="wan", unit=False) for v in (r.baseline, r.reform)]
            + [format_change(r.figure, r.change, lang, scale="wan", unit=False)]
            for r in rf["summary"].itertuples()
        ]
        changes = [
            [
                c.get("label") or c.get("path", ""),
                c.get("base_shown", str(c.get("base"))),
                c.get("value_shown", str(c.get("value"))),
                cite_text(c.get("source") or "", c.get("assumption") or "", lang),
            ]
            for c in rf["changes"].to_dict("records")
        ]
        hh = [[t.get(k, k), _n(v)] for k, v in rf["households"].items()]
        reform = {
            "summary": _table(
                t["reform"], t["wan"], [t["figure"], t["baseline"], t["reform_col"], t["change"]], rows, lang
            ),
            "changes": _table(
                t["param_changes"],
                None,
                [t["parameter"], t["baseline"], t["reform_col"], t["source"]],
                changes,
                lang,
            ),
            "households": hh,
            "headline": (
                f"改革使公共支出变化 {fmt_money(rf['added_public_cost'], lang, 'wan', signed=True)}/年。"
                if lang == "zh"
                else "The reform changes public spending by "
                f"{fmt_money(rf['added_public_cost'], lang, 'wan', signed=True)} a year."
            ),
        }
    # every policy parameter (a lever) by its label, in its unit, with its clause or its assumption
    # in one column; the generator's and the projection's inputs, which have no label, and the
    # paths of all are in the workbook's 参数 sheet
    params = [
        [
            r["label"] or r["path"],
            r["value_shown"],
            *([r["baseline_shown"]] if "baseline" in r else []),
            cite_text(r["source"], r["assumption"], lang)
            if (r["source"] or r["assumption"])
            else t["uncited"],
        ]
        for r in d.parameters.to_dict("records")
        if r["label"]
    ]
    phead = [t["parameter"], t["value"]]
    phead += [t["baseline"]] if "baseline" in d.parameters.columns else []
    phead += [t["source"]]
    specs = chart_specs(d)
    if static:
        charts = [
            {"title": c.title, "img": "data:image/png;base64," + base64.b64encode(png).decode()}
            for c, png in zip(specs, pngs or [])
        ]
    else:
        from markupsafe import Markup  # (Jinja2's)

        charts = [{"title": c.title, "html": Markup(div)} for c, div in charts_html(specs)]
    cov = format_value("coverage_rate_poor", float(s.at["coverage_rate_poor", "value"]), lang)
    cost = format_value("total_cost", float(s.at["total_cost", "value"]), lang)
    warned = format_value("warnings", float(s.at["warnings", "value"]), lang)
    lead = (
        f"{d.title}：{d.year} 年医疗总费用 {cost}，困难群众综合保障率 {cov}，因病致贫预警 {warned} 户。"
        if lang == "zh"
        else f"{d.title}: in {d.year} total medical cost is {cost}, the comprehensive coverage "
        f"rate of the poor {cov}, {warned} households flagged."
    )
    return {
        "lang": lang,
        "t": t,
        "title": f"{t['title']}：{d.title}" if lang == "zh" else f"{t['title']}: {d.title}",
        "lead": lead,
        "caveat": CAVEAT[lang],
        "cards": cards,
        "charts": charts,
        "tables": tables,
        "reform": reform,
        "params": {"head": phead, "rows": params, "note": t["params_note"]},
        "provenance": d.provenance,
        "static": static,
        "note": t["tables_note"],
    }


def render_html(d: ReportData, static: bool = False, pngs: list[bytes] | None = None) -> str:
    return env().get_template("report.html.j2").render(**context(d, static=static, pngs=pngs))
