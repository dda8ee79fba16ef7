"""Plotly figure builders of the app: plain functions of data and labels (no Streamlit), so tests
can call them. A money chart states its unit on its axis; the waterfall picks its scale
(`registry.money_scale`) so that no non-zero payment reads 0.00. Year axes tick whole years.

Each figure is built in one `go.Figure({"data": [...], "layout": {...}})` call from data already
aggregated (tens of points, never one a person): validated once, about four times faster than
`add_trace` + `update_layout`, which re-validate at every step and weigh on every redraw."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from simulation.registry import PAID_COLUMNS, fmt_money, money_factor, money_scale, money_unit

FONT = "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif"
PAYERS = PAID_COLUMNS  # every payer of the identity, in settlement order (the registry's)
# a year axis: whole years only (plotly's automatic ticks put 2,024.5 between two years)
YEAR_AXIS = {"tickformat": "d", "dtick": 1, "tickmode": "linear"}


def _figure(traces: list[dict], title: str, **layout) -> go.Figure:
    base = {
        "title": {"text": title},
        "font": {"family": FONT},
        "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
        "height": 360,
    }
    return go.Figure({"data": traces, "layout": {**base, **layout}})


def histogram(
    values: np.ndarray,
    weights: np.ndarray,
    title: str,
    xlabel: str,
    ylabel: str,
    bins: int = 40,
    log: bool = False,
) -> go.Figure:
    """Weighted histogram; with `log`, bins are log-spaced over the positive values."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    if log:
        m = v > 0
        v, w = v[m], w[m]
        edges = (
            np.logspace(np.log10(max(v.min(), 1.0)), np.log10(v.max() * 1.0001), bins + 1)
            if len(v)
            else [1, 10]
        )
    else:
        edges = np.linspace(v.min(), v.max() + 1e-9, bins + 1) if len(v) else [0, 1]
    counts, edges = np.histogram(v, bins=edges, weights=w)
    mid = np.sqrt(edges[:-1] * edges[1:]) if log else (edges[:-1] + edges[1:]) / 2
    bars = {"type": "bar", "x": mid, "y": counts, "width": np.diff(edges), "marker": {"line": {"width": 0}}}
    return _figure(
        [bars],
        title,
        bargap=0,
        xaxis={"title": {"text": xlabel}, "type": "log" if log else "linear"},
        yaxis={"title": {"text": ylabel}},
    )


def bar(
    labels: list[str], values: list[float], title: str, ylabel: str, text: list[str] | None = None
) -> go.Figure:
    bars = {"type": "bar", "x": labels, "y": values, "text": text, "textposition": "auto"}
    return _figure([bars], title, yaxis={"title": {"text": ylabel}})


def payer_waterfall(
    summary: dict, labels: dict[str, str], title: str, total_label: str, lang: str = "zh", height: int = 360
) -> go.Figure:
    """Waterfall from total cost down through each payer to out-of-pocket, in the one scale (亿元,
    万元 or 元) at which every non-zero payment reads (a 2.13 万元 cap beside 30 亿元 of cost is
    drawn in 万元; one family's bill in 元); the unit is the y axis title."""
    keys = [k for k in PAYERS if summary.get(k, 0)]
    amounts = [summary["total_cost"], *(summary[k] for k in keys), summary["oop"]]
    scale = money_scale(amounts, lang)
    f = money_factor(scale)
    x = [total_label] + [labels[k] for k in keys] + [labels["oop"]]
    y = [summary["total_cost"] / f] + [-summary[k] / f for k in keys] + [summary["oop"] / f]
    measure = ["absolute"] + ["relative"] * len(keys) + ["total"]
    steps = {
        "type": "waterfall",
        "x": x,
        "y": y,
        "measure": measure,
        # two decimals only where they matter (307,084 beside 33.51)
        "text": [
            fmt_money(abs(a), lang, scale, digits=0 if abs(a) / f >= 100 else None, unit=False)
            for a in amounts
        ],
        "textposition": "outside",
    }
    return _figure(
        [steps], title, showlegend=False, height=height, yaxis={"title": {"text": money_unit(scale, lang)}}
    )


def grouped_bars(
    df: pd.DataFrame,
    columns: dict[str, str],
    title: str,
    ylabel: str,
    percent: bool = False,
    legend_below: bool = False,
) -> go.Figure:
    """One bar series per column of df (index on the x axis); `columns` maps column -> legend;
    `legend_below` puts the legend under the plot (long legend labels leave the bars their width)."""
    x = [str(i) for i in df.index]
    bars = [{"type": "bar", "x": x, "y": df[col].to_numpy(), "name": name} for col, name in columns.items()]
    yaxis = {"title": {"text": ylabel}, **({"tickformat": ".0%"} if percent else {})}
    legend = {"legend": {"orientation": "h", "y": -0.2}} if legend_below else {}
    # groups are categories even when they are numbered (income deciles 1-10: every one ticked)
    return _figure(bars, title, barmode="group", yaxis=yaxis, xaxis={"type": "category"}, **legend)


def fund_bands(df: pd.DataFrame, fund_labels: dict[str, str], title: str, ylabel: str) -> go.Figure:
    """Balance per fund per year: p50 line with a p10-p90 band when present (columns year, fund,
    p10, p50, p90 or balance), in 亿元."""
    traces = []
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    for i, (fund, g) in enumerate(df.groupby("fund", sort=False)):
        c = colors[i % len(colors)]
        name = fund_labels.get(fund, fund)
        mid = g["p50"] if "p50" in g else g["balance"]
        x = g["year"].to_numpy()
        edge = {"type": "scatter", "x": x, "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip"}
        if "p10" in g:
            traces.append({**edge, "y": g["p90"].to_numpy() / 1e8, "legendgroup": name})
            traces.append(
                {
                    **edge,
                    "y": g["p10"].to_numpy() / 1e8,
                    "fill": "tonexty",
                    "fillcolor": _rgba(c, 0.2),
                    "legendgroup": name,
                }
            )
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": mid.to_numpy() / 1e8,
                "name": name,
                "line": {"color": c},
                "legendgroup": name,
            }
        )
    return _figure(traces, title, yaxis={"title": {"text": ylabel}}, xaxis=YEAR_AXIS)


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def tier_change(tiers: pd.DataFrame, labels: dict[str, str], title: str, ylabel: str) -> go.Figure:
    """Change by tier, one bar group per year (tiers: index (year, tier) with a `change` column)."""
    bars = []
    for year, g in tiers.groupby(level=0):
        g = g.droplevel(0)
        x = [labels.get(k, k) for k in g.index]
        bars.append({"type": "bar", "x": x, "y": g["change"].to_numpy() / 1e8, "name": str(year)})
    return _figure(bars, title, barmode="group", yaxis={"title": {"text": ylabel}})


def lines(
    df: pd.DataFrame,
    columns: dict[str, str],
    title: str,
    xlabel: str,
    ylabel: str,
    percent: bool = True,
    dash: dict[str, str] | None = None,
) -> go.Figure:
    """One line (with markers) per column of df over its index; `columns` maps column -> legend,
    `dash` column -> plotly dash style. With `percent`, both axes are fractions shown in %."""
    x = df.index.to_numpy(dtype=float)
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": df[col].to_numpy(),
            "name": name,
            "line": {"dash": (dash or {}).get(col, "solid")},
        }
        for col, name in columns.items()
    ]
    fmt = {"tickformat": ".0%"} if percent else {}
    return _figure(
        traces,
        title,
        xaxis={"title": {"text": xlabel}, **fmt},
        yaxis={"title": {"text": ylabel}, **fmt},
        legend={"orientation": "h", "y": -0.25},
    )


def tornado(
    labels: list[str], low: list[float], high: list[float], central: float, title: str, xlabel: str,
    low_name: str, high_name: str, scale: float = 1.0, percent: bool = False,
) -> go.Figure:  # fmt: skip
    """Tornado: one row an input (the first on top), a bar from the central value to the figure at
    the input's low end and one to its high end; values divided by `scale` (1e8: 亿元)."""
    y = list(reversed(labels))
    lo = np.asarray(list(reversed(low)), dtype=float) / scale
    hi = np.asarray(list(reversed(high)), dtype=float) / scale
    c = central / scale
    bars = [
        {"type": "bar", "orientation": "h", "y": y, "x": lo - c, "base": c, "name": low_name,
         "marker": {"color": "#4c78a8"}},
        {"type": "bar", "orientation": "h", "y": y, "x": hi - c, "base": c, "name": high_name,
         "marker": {"color": "#f58518"}},
    ]  # fmt: skip
    fmt = {"tickformat": ".1%"} if percent else {}
    return _figure(
        bars,
        title,
        barmode="overlay",
        height=max(320, 28 * len(labels) + 120),
        xaxis={"title": {"text": xlabel}, **fmt},
        yaxis={"automargin": True},
        legend={"orientation": "h", "y": -0.15},
        shapes=[
            {"type": "line", "x0": c, "x1": c, "y0": -0.5, "y1": len(labels) - 0.5, "line": {"color": "#333"}}
        ],
    )


def hbars(
    labels: list[str], values: list[float], title: str, xlabel: str, percent: bool = False
) -> go.Figure:
    """Horizontal bars, the first label on top."""
    bars = {"type": "bar", "orientation": "h", "y": list(reversed(labels)), "x": list(reversed(values))}
    fmt = {"tickformat": ".1%"} if percent else {}
    return _figure(
        [bars],
        title,
        height=max(320, 28 * len(labels) + 120),
        xaxis={"title": {"text": xlabel}, **fmt},
        yaxis={"automargin": True},
    )


def frontier(
    points: pd.DataFrame, front: pd.DataFrame, figure: str, title: str, xlabel: str, ylabel: str,
    points_name: str, front_name: str,
) -> go.Figure:  # fmt: skip
    """Every evaluated combination (grey) and the Pareto frontier (a line): added public cost in
    万元 against the figure (a rate in %)."""
    traces = [
        {"type": "scatter", "mode": "markers", "x": points["added_cost"].to_numpy() / 1e4,
         "y": points[figure].to_numpy(), "name": points_name, "marker": {"color": "#bbbbbb", "size": 6}},
        {"type": "scatter", "mode": "lines+markers", "x": front["added_cost"].to_numpy() / 1e4,
         "y": front[figure].to_numpy(), "name": front_name, "line": {"color": "#d62728"}},
    ]  # fmt: skip
    return _figure(
        traces,
        title,
        xaxis={"title": {"text": xlabel}},
        yaxis={"title": {"text": ylabel}, "tickformat": ".1%"},
        legend={"orientation": "h", "y": -0.2},
    )


def premium_curve(
    curve: pd.DataFrame,
    columns: dict[str, str],
    marks: dict[str, float],
    title: str,
    xlabel: str,
    ylabel: str,
) -> go.Figure:
    """Probabilities and the expected margin rate against the per-capita premium (yuan), with a
    dashed vertical line at each marked premium (the solved one, the current one)."""
    x = curve["premium"].to_numpy()
    traces = [
        {"type": "scatter", "mode": "lines", "x": x, "y": curve[c].to_numpy(), "name": name}
        for c, name in columns.items()
    ]
    shapes = [
        {"type": "line", "x0": v, "x1": v, "y0": 0, "y1": 1, "yref": "paper", "line": {"dash": "dash"}}
        for v in marks.values()
    ]
    notes = [
        {"x": v, "y": 1.0, "yref": "paper", "text": name, "showarrow": False, "yanchor": "bottom"}
        for name, v in marks.items()
    ]
    return _figure(
        traces,
        title,
        shapes=shapes,
        annotations=notes,
        xaxis={"title": {"text": xlabel}},
        yaxis={"title": {"text": ylabel}, "tickformat": ".0%"},
        legend={"orientation": "h", "y": -0.25},
    )


def monitor_paths(path: pd.DataFrame, fund_labels: dict[str, str], title: str, ylabel: str) -> go.Figure:
    """In-year monitoring: per fund, the cumulative payments to date (solid) and the projected path
    to the year's end (dashed, with its band), in 万元 over months 1-12 (`path`: fund, month, paid,
    projected, projected_low, projected_high, yuan)."""
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    traces = []
    for i, (fund, g) in enumerate(path.groupby("fund", sort=False)):
        c = colors[i % len(colors)]
        name = fund_labels.get(fund, fund)
        x = g["month"].to_numpy()
        edge = {"type": "scatter", "mode": "lines", "x": x, "line": {"width": 0}, "showlegend": False,
                "hoverinfo": "skip"}  # fmt: skip
        traces.append({**edge, "y": g["projected_high"].to_numpy() / 1e4, "legendgroup": name})
        traces.append(
            {**edge, "y": g["projected_low"].to_numpy() / 1e4, "fill": "tonexty", "fillcolor": _rgba(c, 0.2),
             "legendgroup": name}
        )  # fmt: skip
        traces.append(
            {"type": "scatter", "x": x, "y": g["paid"].to_numpy() / 1e4, "name": name, "line": {"color": c},
             "legendgroup": name, "mode": "lines+markers"}
        )  # fmt: skip
        traces.append(
            {"type": "scatter", "mode": "lines", "x": x, "y": g["projected"].to_numpy() / 1e4,
             "showlegend": False, "line": {"color": c, "dash": "dash"}, "legendgroup": name}
        )  # fmt: skip
    return _figure(
        traces,
        title,
        xaxis={"dtick": 1, "range": [0.5, 12.5]},
        yaxis={"title": {"text": ylabel}},
        legend={"orientation": "h", "y": -0.2},
    )


def side_bars(df: pd.DataFrame, columns: dict[str, str], title: str, xlabel: str) -> go.Figure:
    """Horizontal bars, one series per column of df, the index (long labels) on the y axis, first
    row at the top."""
    y = [str(i) for i in df.index]
    bars = [
        {"type": "bar", "orientation": "h", "y": y, "x": df[col].to_numpy(), "name": name}
        for col, name in columns.items()
    ]
    return _figure(
        bars,
        title,
        barmode="group",
        xaxis={"title": {"text": xlabel}},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": -0.2},
    )
