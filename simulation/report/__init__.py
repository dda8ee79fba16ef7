"""Budget reports: an Excel workbook, a self-contained HTML page and its PDF, from a Result.

    from simulation.report import write_report, excel_bytes, html_bytes, pdf_bytes
    write_report(res, "report.xlsx")                      # format from the suffix: .xlsx .html .pdf
    write_report(reform_res, "reform.html", baseline=res, lang="en")
    data = excel_bytes(res, draws=20)                      # bytes, for the app's download buttons
    figures(res)["funds"].show()                           # the charts as plotly figures

Options (`**opts`): `draws` Monte Carlo draws for the fund bands (0 = the deterministic projection,
labelled P50), `seed` the population seed shown in the provenance (read from the population when
generated), `mc_seed`, `persons` (population size of each draw), `decisions` (True, or a dict of
`pricing` / `marginal` / `tornado` already computed: the 决策分析 tables), `backtest` (a
simulation.settlements.Backtest of the result: adds its tables), `charts` for the PDF images:
"auto" (kaleido on the system chromium, else matplotlib), "kaleido" or "matplotlib".
Every file is written to a temporary file beside the target and moved into place
(`simulation.io_safe.atomic_write`), so a failure leaves the previous report untouched.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from ..errors import WorkbenchError
from ..io_safe import _CONTROL, atomic_write, safe_output_path
from .charts import chart_specs, plotly_figure
from .data import CAVEAT, ReportData, build
from .excel import write_workbook
from .html import render_html
from .pdf import render_pdf

FORMATS = (".xlsx", ".html", ".pdf")
_BUILD_KEYS = ("draws", "seed", "mc_seed", "persons", "decisions", "backtest")


def _data(result, lang, baseline, opts) -> ReportData:
    return build(result, lang=lang, baseline=baseline, **{k: v for k, v in opts.items() if k in _BUILD_KEYS})


def _check_opts(opts) -> None:
    unknown = set(opts) - set(_BUILD_KEYS) - {"charts"}
    if unknown:
        raise WorkbenchError(f"report: unknown option(s) {', '.join(sorted(unknown))}")


def write_excel(data: ReportData, target) -> None:
    write_workbook(data, target)


def excel_bytes(result, lang: str = "zh", baseline=None, **opts) -> bytes:
    _check_opts(opts)
    buf = io.BytesIO()
    write_excel(_data(result, lang, baseline, opts), buf)
    return buf.getvalue()


def html_bytes(result, lang: str = "zh", baseline=None, **opts) -> bytes:
    _check_opts(opts)
    return render_html(_data(result, lang, baseline, opts)).encode("utf-8")


def pdf_bytes(result, lang: str = "zh", baseline=None, **opts) -> bytes:
    _check_opts(opts)
    return render_pdf(_data(result, lang, baseline, opts), charts=opts.get("charts", "auto"))


def figures(result, lang: str = "zh", baseline=None, **opts) -> dict:
    """The report's charts as plotly figures, by name (funds, tiers, deciles[, reform]), for notebooks
    and the app: `figures(res)["funds"].show()`."""
    _check_opts(opts)
    return {c.id: plotly_figure(c) for c in chart_specs(_data(result, lang, baseline, opts))}


_BUILDERS = {".xlsx": excel_bytes, ".html": html_bytes, ".pdf": pdf_bytes}


def check_report_path(path, base_dir=None) -> Path:
    """The checked target of a report (see write_report); raises WorkbenchError."""
    suffix = Path(path).suffix.lower() if isinstance(path, (str, os.PathLike)) else ""
    if suffix not in _BUILDERS:
        raise WorkbenchError(
            f"{_CONTROL.sub('?', str(path))}: unknown report format {suffix or '(no suffix)'!r}; "
            "use .xlsx, .html or .pdf"
        )
    return safe_output_path(path, base_dir)


def write_report(result, path, lang: str = "zh", baseline=None, base_dir=None, **opts) -> Path:
    """Write the report in the format of `path`'s suffix (.xlsx, .html, .pdf); returns the path.

    Raises WorkbenchError for an unknown suffix, a folder that does not exist, a name with NUL or
    control characters and, with `base_dir` (or SIMULATION_OUTPUT_DIR), a name with `..` or one
    resolving outside that folder; the report is built in memory first and moved into place, so a
    failure never leaves half a file."""
    p = check_report_path(path, base_dir)  # before the (slow) build
    suffix = p.suffix.lower()
    data = _BUILDERS[suffix](result, lang=lang, baseline=baseline, **opts)

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # the temp file is 0600; a report is an ordinary file

    try:
        return atomic_write(p, write)
    except OSError as e:
        raise WorkbenchError(f"{path}: cannot write the report ({e.strerror or e})") from None


__all__ = [
    "CAVEAT",
    "FORMATS",
    "build",
    "check_report_path",
    "excel_bytes",
    "figures",
    "html_bytes",
    "pdf_bytes",
    "write_report",
]
