"""The printable 待遇测算单 of one family (an `Explanation`): HTML (one offline file), its PDF
(WeasyPrint, font 'Noto Sans CJK SC'), plain text to paste into a message, and the steps as CSV.
Chinese by default, English with `lang="en"`.

    from simulation.report.family import family_html, family_pdf, family_text, family_csv, write_family
    write_family(ex, "family.pdf")            # the format from the suffix: .pdf .html .csv .txt
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import WorkbenchError
from ..explain import Explanation
from ..io_safe import _CONTROL, atomic_write, safe_output_path
from ..parameters import SCHEME_LABELS
from ..registry import PAID_COLUMNS, category_label, code_label, fmt_money, fmt_rate, metric_label
from ..version import __version__
from .html import env
from .pdf import _no_fetch

CAVEAT = {
    "zh": "本测算单为政策模型按预设参数逐条计算的结果，供政策研究和核对使用，不代表经办机构的待遇核定。",
    "en": "Computed rule by rule by the policy model on the preset's parameters, for policy work and "
    "checking; not a benefit decision of the insurance agency.",
}
TEXT = {
    "zh": {
        "title": "待遇测算单",
        "household": "家庭编号 {hid}",
        "members": "家庭成员",
        "totals": "各方支付（家庭合计）",
        "steps": "逐项测算",
        "flags": "认定与预警",
        "baseline": "与预设方案对比",
        "provenance": "说明",
        "member": "成员",
        "age": "年龄",
        "scheme": "险种",
        "category": "救助类别",
        "category_applied": "适用类别",
        "income": "年收入",
        "payer": "支付方",
        "amount": "金额",
        "share": "占总费用",
        "step": "序号",
        "claim": "费用",
        "tier": "层级",
        "rule": "计算规则",
        "base": "计算基数",
        "remaining": "家庭尚需负担",
        "clause": "依据",
        "flag": "认定项目",
        "fired": "结果",
        "why": "依据数据",
        "yes": "是",
        "no": "否",
        "current": "当前方案",
        "preset": "预设方案",
        "difference": "差额",
        "unit": "单位：元",
        "oop_share": "自付占家庭收入",
        "scenario": "政策方案",
        "year": "年度",
        "version": "模型版本",
        "date": "生成时间",
        "claims_note": "费用编号为家庭费用清单中的行号；“—”表示按人按年计算的项目。",
        "no_steps": "本家庭本年度无医疗费用。",
    },
    "en": {
        "title": "Benefit calculation sheet",
        "household": "household {hid}",
        "members": "Members",
        "totals": "Who pays (the household)",
        "steps": "Step by step",
        "flags": "Identification and warnings",
        "baseline": "Against the preset",
        "provenance": "Provenance",
        "member": "member",
        "age": "age",
        "scheme": "scheme",
        "category": "category",
        "category_applied": "category applied",
        "income": "income",
        "payer": "payer",
        "amount": "amount",
        "share": "share of cost",
        "step": "#",
        "claim": "claim",
        "tier": "tier",
        "rule": "rule",
        "base": "base",
        "remaining": "household still bears",
        "clause": "clause",
        "flag": "test",
        "fired": "result",
        "why": "the numbers",
        "yes": "yes",
        "no": "no",
        "current": "current",
        "preset": "preset",
        "difference": "difference",
        "unit": "yuan",
        "oop_share": "out-of-pocket share of income",
        "scenario": "scenario",
        "year": "year",
        "version": "model version",
        "date": "generated",
        "claims_note": "A claim's number is its row in the family's claims; '—': a step of the year.",
        "no_steps": "No medical cost this year.",
    },
}
FORMATS = (".pdf", ".html", ".csv", ".txt")


def _y(x, lang: str) -> str:
    return fmt_money(x, lang, scale="yuan", digits=2, unit=False)


def _cell(text, cls: str = "") -> dict:
    return {"text": text, "cls": cls}


def _payers(ex: Explanation) -> list[str]:
    return [k for k in PAID_COLUMNS if abs(ex.family.get(k, 0.0)) > 0.005]


def _title(ex: Explanation, lang: str) -> tuple[str, str]:
    t = TEXT[lang]
    p = ex.scenario.params
    name = p.title if lang == "zh" else (p.title_en or p.title)
    return t["title"], f"{name} · {ex.year} · {t['household'].format(hid=ex.household_id)}"


def step_table(ex: Explanation, lang: str = "zh") -> pd.DataFrame:
    """The steps as a reader sees them: member, claim, tier, rule, base, amount, remaining, clause."""
    t = TEXT[lang]
    s = ex.steps
    en = lang != "zh"
    return pd.DataFrame(
        {
            t["step"]: s["step"],
            t["member"]: s["person_id"],
            t["claim"]: s["claim"].astype(object).where(s["claim"].notna(), "—"),
            t["tier"]: s["tier_en"] if en else s["tier"],
            t["rule"]: s["rule_en"] if en else s["rule"],
            t["base"]: s["base"],
            t["amount"]: s["amount"],
            t["remaining"]: s["remaining"],
            t["clause"]: s["clause_en"] if en else s["clause"],
        }
    )


def _context(ex: Explanation, lang: str, static: bool, description: str = "") -> dict:
    t = TEXT[lang]
    title, subtitle = _title(ex, lang)
    fam = ex.family
    cards = [
        {"label": metric_label("total_cost", lang), "value": fmt_money(fam["total_cost"], lang)},
        *({"label": metric_label(k, lang), "value": fmt_money(fam[k], lang)} for k in _payers(ex)),
        {"label": metric_label("oop", lang), "value": fmt_money(fam["oop"], lang)},
        {
            "label": t["oop_share"],
            "value": fmt_rate(fam["oop_share"]) if np.isfinite(fam["oop_share"]) else "∞",
        },
    ]
    tables = []
    m = ex.members
    rows = []
    for pid, r in m.iterrows():
        rows.append(
            {
                "cells": [
                    _cell(str(pid)),
                    _cell(str(int(r["age"]))),
                    _cell(code_label(SCHEME_LABELS, str(r["scheme"]), lang)),
                    _cell(category_label(str(r["category"]), lang)),
                    _cell(category_label(str(r["category_applied"]), lang)),
                    _cell(_y(r["income"], lang), "num"),
                    _cell(_y(r["total_cost"], lang), "num"),
                    _cell(_y(r["oop"], lang), "num"),
                ]
            }
        )
    head = [t["member"], t["age"], t["scheme"], t["category"], t["category_applied"], t["income"],
            metric_label("total_cost", lang), metric_label("oop", lang)]  # fmt: skip
    tables.append({"title": t["members"], "unit": t["unit"], "head": head, "rows": rows})
    total = fam["total_cost"]
    rows = [
        {
            "cells": [
                _cell(metric_label(k, lang)),
                _cell(_y(fam[k], lang), "num"),
                _cell(fmt_rate(fam[k] / total) if total > 0 else "—", "num"),
            ]
        }  # fmt: skip
        for k in (*_payers(ex), "oop")
    ]
    tables.append({"title": t["totals"], "unit": t["unit"], "head": [t["payer"], t["amount"], t["share"]],
                   "rows": rows})  # fmt: skip
    st = step_table(ex, lang)
    rows = []
    for r in st.itertuples(index=False):
        rows.append(
            {
                "cells": [
                    _cell(str(r[0]), "num"),
                    _cell(str(r[1]), "nw"),
                    _cell(str(r[2]), "nw"),
                    _cell(r[3]),
                    _cell(r[4]),
                    _cell(_y(r[5], lang), "num"),
                    _cell(_y(r[6], lang), "num"),
                    _cell(_y(r[7], lang), "num"),
                    _cell(r[8], "clause"),
                ]
            }
        )
    tables.append({"title": t["steps"], "unit": t["unit"], "head": list(st.columns), "rows": rows,
                   "widths": [3, 4, 4, 8, 30, 8, 8, 8, 27],
                   "note": t["claims_note"] if rows else t["no_steps"]})  # fmt: skip
    rows = [
        {
            "fired": f.fired,
            "cells": [
                _cell(f.label_in(lang)),
                _cell(t["yes"] if f.fired else t["no"]),
                _cell(f.why_in(lang)),
                _cell(f.clause_in(lang), "clause"),
            ],  # fmt: skip
        }
        for f in ex.flags
    ]
    tables.append({"title": t["flags"], "unit": "", "head": [t["flag"], t["fired"], t["why"], t["clause"]],
                   "widths": [16, 6, 44, 34],
                   "rows": rows})  # fmt: skip
    if ex.baseline is not None:
        b = ex.baseline.family
        rows = [
            {
                "cells": [
                    _cell(metric_label(k, lang)),
                    _cell(_y(fam[k], lang), "num"),
                    _cell(_y(b[k], lang), "num"),
                    _cell(
                        fmt_money(fam[k] - b[k], lang, scale="yuan", digits=2, unit=False, signed=True), "num"
                    ),
                ]
            }  # fmt: skip
            for k in ("total_cost", *PAID_COLUMNS, "oop")
            if abs(fam[k]) > 0.005 or abs(b[k]) > 0.005
        ]
        head = [t["payer"], t["current"], t["preset"], t["difference"]]
        tables.append({"title": t["baseline"], "unit": t["unit"], "head": head, "rows": rows})
    p = ex.scenario.params
    n = len(ex.scenario.changes)
    changed = (f"，已改参数 {n} 项" if lang == "zh" else f", {n} changes") if n else ""
    provenance = [
        (
            t["scenario"],
            f"{p.title} ({ex.scenario.id}{changed})",
        ),
        (t["year"], str(ex.year)),
        (t["version"], __version__),
        (t["date"], datetime.now().strftime("%Y-%m-%d %H:%M")),
    ]
    return {
        "lang": lang,
        "t": t,
        "title": title,
        "subtitle": subtitle,
        "caveat": CAVEAT[lang],
        "description": description,
        "cards": cards,
        "tables": tables,
        "provenance": provenance,
        "static": static,
    }


def family_html(ex: Explanation, lang: str = "zh", description: str = "", static: bool = False) -> str:
    """The 测算单 as one self-contained HTML page (no scripts, no outside resources)."""
    _check_lang(lang)
    return env().get_template("family.html.j2").render(**_context(ex, lang, static, description))


def family_pdf(ex: Explanation, lang: str = "zh", description: str = "") -> bytes:
    """The 测算单 as PDF (WeasyPrint; needs fonts-noto-cjk and pango)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as e:  # OSError: pango/cairo system libraries missing
        raise WorkbenchError(
            f"PDF needs WeasyPrint and its system libraries (libpango-1.0-0 libpangoft2-1.0-0): {e}"
        ) from None
    html = family_html(ex, lang, description, static=True)
    return HTML(string=html, base_url=None, url_fetcher=_no_fetch()).write_pdf()


def family_text(ex: Explanation, lang: str = "zh", description: str = "") -> str:
    """The 测算单 as plain text, to paste into a message."""
    _check_lang(lang)
    t = TEXT[lang]
    title, subtitle = _title(ex, lang)
    fam = ex.family
    sep = "：" if lang == "zh" else ": "
    lines = [f"{title} — {subtitle}", CAVEAT[lang]]
    if description:
        lines.append(description)
    lines.append("")
    for k in ("total_cost", *_payers(ex), "oop"):
        lines.append(f"{metric_label(k, lang)}{sep}{fmt_money(fam[k], lang, scale='yuan', digits=2)}")
    share = fmt_rate(fam["oop_share"]) if np.isfinite(fam["oop_share"]) else "∞"
    lines.append(f"{t['oop_share']}{sep}{share}")
    lines += ["", t["steps"]]
    en = lang != "zh"
    for r in ex.steps.itertuples(index=False):
        claim = "" if pd.isna(r.claim) else (f" 费用{r.claim}" if lang == "zh" else f" claim {r.claim}")
        who = f"{t['member']} {r.person_id}{claim}"
        rule = r.rule_en if en else r.rule
        tier = r.tier_en if en else r.tier
        amount = fmt_money(r.amount, lang, scale="yuan", digits=2)
        lines.append(f"{r.step}. [{who}] {tier}{sep}{amount} — {rule}")
        clause = r.clause_en if en else r.clause
        if clause:
            lines.append(f"   {t['clause']}{sep}{clause}")
    lines += ["", t["flags"]]
    for f in ex.flags:
        lines.append(f"- {f.label_in(lang)}{sep}{t['yes'] if f.fired else t['no']} — {f.why_in(lang)}")
    return "\n".join(lines) + "\n"


def family_csv(ex: Explanation, lang: str = "zh") -> bytes:
    """The steps as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    _check_lang(lang)
    return step_table(ex, lang).to_csv(index=False).encode("utf-8-sig")


def _check_lang(lang: str) -> None:
    if lang not in TEXT:
        raise WorkbenchError(f"unknown language {lang!r}; use zh or en")


def check_family_path(path, base_dir=None) -> Path:
    suffix = Path(path).suffix.lower() if isinstance(path, (str, os.PathLike)) else ""
    if suffix not in FORMATS:
        raise WorkbenchError(
            f"{_CONTROL.sub('?', str(path))}: unknown format {suffix or '(no suffix)'!r}; use "
            + ", ".join(FORMATS)
        )
    return safe_output_path(path, base_dir)


def family_bytes(ex: Explanation, suffix: str, lang: str = "zh", description: str = "") -> bytes:
    if suffix == ".pdf":
        return family_pdf(ex, lang, description)
    if suffix == ".html":
        return family_html(ex, lang, description).encode("utf-8")
    if suffix == ".csv":
        return family_csv(ex, lang)
    if suffix == ".txt":
        return family_text(ex, lang, description).encode("utf-8")
    raise WorkbenchError(f"unknown format {suffix!r}; use {', '.join(FORMATS)}")


def write_family(ex: Explanation, path, lang: str = "zh", description: str = "", base_dir=None) -> Path:
    """Write the 测算单 in the format of `path`'s suffix (.pdf, .html, .csv, .txt); returns the path.
    Built in memory, then moved into place (a failure leaves no half file)."""
    p = check_family_path(path, base_dir)
    data = family_bytes(ex, p.suffix.lower(), lang, description)

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)

    try:
        return atomic_write(p, write)
    except OSError as e:
        raise WorkbenchError(f"{path}: cannot write the file ({e.strerror or e})") from None


__all__ = ["FORMATS", "family_csv", "family_html", "family_pdf", "family_text", "step_table", "write_family"]
