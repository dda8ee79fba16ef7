"""The report's charts, described once as plain specs and drawn by plotly (HTML, kaleido PNG) or by
matplotlib on Agg (the browser-free PNG fallback)."""

from __future__ import annotations

import io
import shutil
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import WorkbenchError
from ..parameters import SETTING_LABELS
from ..registry import code_label, metric_label
from .data import TEXT, ReportData

FONT = "Noto Sans CJK SC"
COLORS = ["#1f5fa8", "#e07b26", "#3a9a4a", "#c63d3d", "#7f5fb2", "#8c6d31", "#d462a8", "#7a7a7a"]


@dataclass
class Series:
    name: str
    y: list[float]
    lo: list[float] | None = None
    hi: list[float] | None = None


@dataclass
class Chart:
    id: str
    title: str
    kind: str  # "line" | "stacked" | "bar"
    x: list
    series: list[Series] = field(default_factory=list)
    ytitle: str = ""


def chart_specs(d: ReportData) -> list[Chart]:
    lang, t = d.lang, TEXT[d.lang]
    charts = []
    f = d.funds
    years = sorted(int(y) for y in f["year"].unique())
    c = Chart("funds", t["chart_funds"], "line", years, ytitle="亿元" if lang == "zh" else "100m yuan")
    for _fund, g in f.groupby("fund", sort=False):
        g = g.sort_values("year")
        band = g["p10"].notna().all()
        c.series.append(
            Series(
                g["fund_label"].iloc[0],
                list(g["p50"] / 1e8),
                list(g["p10"] / 1e8) if band else None,
                list(g["p90"] / 1e8) if band else None,
            )
        )
    charts.append(c)

    payers = [c for c in d.costs.columns if c not in ("category", "setting", "total_cost")]
    by = d.costs.groupby("setting", sort=False)[payers].sum()
    payers = [p for p in payers if p == "oop" or by[p].abs().sum() > 0]  # tiers this scenario uses
    order = [s for s in SETTING_LABELS if s in by.index]
    c = Chart(
        "tiers",
        t["chart_tiers"],
        "stacked",
        [code_label(SETTING_LABELS, s, lang) for s in order],
        ytitle="亿元" if lang == "zh" else "100m yuan",
    )
    for p in payers:
        c.series.append(Series(metric_label(p, lang), list(by.loc[order, p] / 1e8)))
    charts.append(c)

    dec = d.deciles
    charts.append(
        Chart(
            "deciles",
            t["chart_deciles"],
            "bar",
            [str(int(x)) for x in dec["decile"]],
            [Series(t["oop_share"], list(dec["oop_share"] * 100))],
            ytitle="%",
        )
    )
    if d.reform is not None:
        tiers = d.reform["tiers"]
        first = tiers[tiers["year"] == tiers["year"].iloc[0]]
        title = "改革带来的支出变化（单位：万元）" if lang == "zh" else "Change due to the reform (10k yuan)"
        charts.append(
            Chart(
                "reform",
                title,
                "bar",
                list(first["label"]),
                [Series(t["change"], list(first["change"] / 1e4))],
                ytitle="万元" if lang == "zh" else "10k yuan",
            )
        )
    if d.tornado is not None and len(d.tornado):
        bars = d.tornado
        charts.append(
            Chart(
                "tornado",
                t["dec_chart"],
                "bar",
                list(bars["label"]),
                [Series(t["low"], list(bars["low"] / 1e8)), Series(t["high"], list(bars["high"] / 1e8))],
                ytitle="亿元" if lang == "zh" else "100m yuan",
            )
        )
    return charts


# ---------------------------------------------------------------------------- plotly


def plotly_figure(c: Chart):
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, s in enumerate(c.series):
        color = COLORS[i % len(COLORS)]
        if c.kind == "line":
            if s.lo is not None:
                fig.add_trace(
                    go.Scatter(
                        x=c.x + c.x[::-1],
                        y=s.hi + s.lo[::-1],
                        fill="toself",
                        line={"width": 0},
                        fillcolor=color,
                        opacity=0.15,
                        showlegend=False,
                        hoverinfo="skip",
                    )
                )
            fig.add_trace(go.Scatter(x=c.x, y=s.y, name=s.name, mode="lines+markers", line={"color": color}))
        else:
            fig.add_trace(go.Bar(x=c.x, y=s.y, name=s.name, marker_color=color))
    fig.update_layout(
        title={"text": c.title},
        barmode="stack" if c.kind == "stacked" else "group",
        font={"family": FONT, "size": 12},
        template="plotly_white",
        height=380,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        yaxis_title=c.ytitle,
        legend={"orientation": "h", "y": -0.15},
        showlegend=len(c.series) > 1,
    )
    if c.kind == "line":
        fig.update_xaxes(tickformat="d", dtick=1)
    else:
        fig.update_xaxes(type="category")
    return fig


def _scrub(html: str) -> str:
    """plotly.js carries URL strings (doc links, the SVG namespace, optional topojson/MathJax
    locations) that our charts never fetch; write `://` as the JS-equivalent `:\\/\\/` so the page
    holds no literal URL. Inside JS strings, regexes and comments `\\/` is the same `/`."""
    return html.replace("://", ":\\/\\/")


def charts_html(charts: list[Chart]) -> list[tuple[Chart, str]]:
    """Each chart as a <div>; plotly.js is inlined once, with the first chart."""
    out = []
    for i, c in enumerate(charts):
        div = plotly_figure(c).to_html(
            full_html=False,
            include_plotlyjs=(i == 0),
            config={"displaylogo": False, "responsive": True},
            div_id=f"chart-{c.id}",
        )
        out.append((c, _scrub(div)))
    return out


# ---------------------------------------------------------------------------- PNG


def _kaleido_pngs(charts: list[Chart]) -> list[bytes]:
    import kaleido
    import plotly.io as pio

    figs = [plotly_figure(c) for c in charts]
    kaleido.start_sync_server(silence_warnings=True)
    try:
        with warnings.catch_warnings():  # "kopts ignored if using a server": expected, we run one
            warnings.simplefilter("ignore", UserWarning)
            return [pio.to_image(f, format="png", width=900, height=420, scale=2) for f in figs]
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


def _matplotlib_pngs(charts: list[Chart]) -> list[bytes]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out = []
    with matplotlib.rc_context(
        {"font.family": [FONT, "DejaVu Sans"], "axes.unicode_minus": False, "font.size": 10}
    ):
        for c in charts:
            fig, ax = plt.subplots(figsize=(9, 4.2), dpi=150)
            x = np.arange(len(c.x))
            bottom = np.zeros(len(c.x))
            for i, s in enumerate(c.series):
                color = COLORS[i % len(COLORS)]
                y = np.asarray(s.y, dtype=float)
                if c.kind == "line":
                    ax.plot(x, y, marker="o", color=color, label=s.name)
                    if s.lo is not None:
                        ax.fill_between(x, s.lo, s.hi, color=color, alpha=0.15, linewidth=0)
                elif c.kind == "stacked":
                    ax.bar(x, y, bottom=bottom, color=color, label=s.name)
                    bottom = bottom + y
                else:
                    ax.bar(x, y, color=color, label=s.name)
            ax.set_xticks(x, [str(v) for v in c.x])
            ax.set_title(c.title)
            ax.set_ylabel(c.ytitle)
            ax.grid(axis="y", alpha=0.3)
            if len(c.series) > 1:
                ax.legend(fontsize=8, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
            plt.close(fig)
            out.append(buf.getvalue())
    return out


def chart_pngs(charts: list[Chart], engine: str = "auto") -> tuple[list[bytes], str]:
    """PNG images and the engine that made them: kaleido on the system chromium, else matplotlib."""
    if engine not in ("auto", "kaleido", "matplotlib"):
        raise WorkbenchError(f"report: charts must be 'auto', 'kaleido' or 'matplotlib', got {engine!r}")
    has_browser = any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome"))
    if engine == "kaleido" or (engine == "auto" and has_browser):
        try:
            return _kaleido_pngs(charts), "kaleido"
        except Exception:
            if engine == "kaleido":
                raise
    return _matplotlib_pngs(charts), "matplotlib"


__all__ = ["Chart", "chart_pngs", "chart_specs", "charts_html"]
