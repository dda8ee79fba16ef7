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


# The figures carry no plotly template ("none") and the pages draw them with `theme=None`
# (`PLOTLY`): the browser then skips merging Streamlit's and plotly's templates into every figure
# at every redraw, a quarter of the page's drawing time after a slider move (five charts: 0.42 s of
# browser CPU a move with both templates, 0.32 s without; benchmarks/bench_browser.py).
PLOTLY = {"theme": None}
DISTINCT = ["#0068c9", "#ff2b2b", "#29b09d", "#ff8700", "#6d3fc0", "#7f7f7f"]  # lines of many series
COLORWAY = ["#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700", "#6d3fc0"]
BASE_LAYOUT = {
    "template": "none",
    "colorway": COLORWAY,
    "plot_bgcolor": "rgba(0,0,0,0)",
    "paper_bgcolor": "rgba(0,0,0,0)",
    # room for the tick labels and titles (the plotly template's setting; "none" has none)
    "xaxis": {"gridcolor": "#e6e9ef", "zerolinecolor": "#d0d3da", "automargin": True},
    "yaxis": {"gridcolor": "#e6e9ef", "zerolinecolor": "#d0d3da", "automargin": True},
}


# A chart carries the precision it shows: rates to 0.1 point (a pixel of a 0-40% axis is about
# 0.13 point; the hover shows whole percent), amounts to the digits of their labels. A slider move
# that leaves a chart's rounded data unchanged then sends the same figure, which the browser does
# not draw again: with five charts a move's browser work fell from 0.35 s to 0.05 s of CPU when
# none changed (benchmarks/bench_browser.py), and a small move changes only one or two.
RATE_DIGITS = 3


def shown(values, digits: int = RATE_DIGITS) -> np.ndarray:
    """Values rounded to what the chart displays (see RATE_DIGITS)."""
    return np.round(np.asarray(values, dtype=float), digits)


def _figure(traces: list[dict], title: str, **layout) -> go.Figure:
    for axis in ("xaxis", "yaxis"):  # the base axis style under the figure's own settings
        if axis in layout:
            layout[axis] = {**BASE_LAYOUT[axis], **layout[axis]}
    base = {
        **BASE_LAYOUT,
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
    y = shown(y, 2).tolist()  # the labels' two decimals: an unchanged chart is not redrawn
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
    bars = [
        {"type": "bar", "x": x, "y": shown(df[col]) if percent else df[col].to_numpy(), "name": name}
        for col, name in columns.items()
    ]
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
    return _figure(traces, title, yaxis={"title": {"text": ylabel}})


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
            "y": shown(df[col]) if percent else df[col].to_numpy(),
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


# ---------------------------------------------------------------------------- money scales and panels


def fund_panels(
    df: pd.DataFrame, fund_labels: dict[str, str], title: str, lang: str, cols: int = 3
) -> go.Figure:
    """Small multiples: one panel a fund, each with its own axis and unit (元/万元/亿元 by the fund's
    size), so a small fund is not flattened at zero next to a large one. `df`: year, fund and
    balance, or p10/p50/p90 (a band). A dashed line marks zero; whole-year ticks."""
    from plotly.subplots import make_subplots

    funds = list(dict.fromkeys(df["fund"]))
    rows = max(1, -(-len(funds) // cols))
    scales = {}
    for f in funds:
        g = df[df["fund"] == f]
        scales[f] = money_scale(g[[c for c in ("balance", "p10", "p50", "p90") if c in g]].to_numpy(), lang)
    titles = [
        f"{fund_labels.get(f, f)}（{money_unit(scales[f], lang)}）"
        if lang == "zh"
        else f"{fund_labels.get(f, f)} ({money_unit(scales[f], lang)})"
        for f in funds
    ]
    fig = make_subplots(
        rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.07, vertical_spacing=0.16
    )
    color = "#1f77b4"
    for i, f in enumerate(funds):
        g = df[df["fund"] == f]
        r, c = i // cols + 1, i % cols + 1
        factor = money_factor(scales[f])
        x = g["year"].to_numpy()
        if "p10" in g:
            edge = {"x": x, "mode": "lines", "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip"}
            fig.add_trace(go.Scatter(y=g["p90"].to_numpy() / factor, **edge), row=r, col=c)
            fig.add_trace(
                go.Scatter(
                    y=g["p10"].to_numpy() / factor, fill="tonexty", fillcolor=_rgba(color, 0.2), **edge
                ),
                row=r,
                col=c,
            )
        mid = g["p50"] if "p50" in g else g["balance"]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=mid.to_numpy() / factor,
                mode="lines+markers",
                line={"color": color},
                name=fund_labels.get(f, f),
                showlegend=False,
                hovertemplate="%{x}: %{y:,.2f}<extra></extra>",
            ),
            row=r,
            col=c,
        )
        fig.add_hline(y=0, line={"color": "#d62728", "width": 1, "dash": "dash"}, row=r, col=c)
    fig.update_xaxes(**YEAR_AXIS, gridcolor="#e6e9ef", automargin=True)
    fig.update_yaxes(gridcolor="#e6e9ef", zerolinecolor="#d0d3da", automargin=True)
    fig.update_layout(
        template="none",
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
        title={"text": title},
        font={"family": FONT},
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        height=260 * rows + 60,
        showlegend=False,
    )
    return fig


def probability_lines(df: pd.DataFrame, labels: dict[str, str], title: str, ylabel: str) -> go.Figure:
    """One line a column of df (index: years) of probabilities in %, whole-year ticks."""
    x = df.index.to_numpy()
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": df[c].to_numpy(),
            "name": labels.get(c, c),
            "line": {"color": DISTINCT[i % len(DISTINCT)]},
            "marker": {"color": DISTINCT[i % len(DISTINCT)]},
        }
        for i, c in enumerate(df.columns)
    ]
    return _figure(
        traces,
        title,
        xaxis=YEAR_AXIS,
        yaxis={"title": {"text": ylabel}, "tickformat": ".0%", "range": [-0.02, 1.02]},
        legend={"orientation": "h", "y": -0.2},
    )


BAND_COLORS = ("#1a9850", "#a6d96a", "#d9d9d9", "#fdae61", "#d73027")


def band_bars(
    df: pd.DataFrame, bands: list[str], labels: dict[str, str], title: str, xlabel: str
) -> go.Figure:
    """Winners and losers: one horizontal 100% bar a group (df's index, top to bottom), stacked in
    the five bands (gain > 5% of income ... lose > 5%), shares of persons."""
    y = [str(i) for i in df.index]
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "y": y,
            "x": df[b].to_numpy(),
            "name": labels[b],
            "marker": {"color": BAND_COLORS[i]},
            "hovertemplate": "%{y}: %{x:.1%}<extra>" + labels[b] + "</extra>",
        }
        for i, b in enumerate(bands)
    ]
    return _figure(
        traces,
        title,
        barmode="stack",
        xaxis={"title": {"text": xlabel}, "tickformat": ".0%", "range": [0, 1]},
        yaxis={"autorange": "reversed", "type": "category"},
        legend={"orientation": "h", "y": -0.18, "traceorder": "normal"},
        height=max(320, 26 * len(y) + 140),
    )


def tile_grid(
    names: list[str],
    values: np.ndarray,
    text: list[str],
    title: str,
    cols: int = 6,
    reverse: bool = False,
    tickformat: str = "",
) -> go.Figure:
    """A tile grid of districts (no map tiles, nothing fetched): one square a district, in the order
    given (ranked), coloured by its value, with its name and formatted value written in it.
    `reverse`: a high value is good (coverage), so the scale runs the other way."""
    n = len(names)
    rows = max(1, -(-n // cols))
    z = np.full((rows, cols), np.nan)
    label = np.full((rows, cols), "", dtype=object)
    for i, (nm, v, t) in enumerate(zip(names, values, text)):
        r, c = divmod(i, cols)
        z[r, c] = v
        label[r, c] = f"<b>{nm}</b><br>{t}"
    heat = {
        "type": "heatmap",
        "z": z,
        "text": label,
        "texttemplate": "%{text}",
        "textfont": {"size": 13},
        "hoverinfo": "text",
        "colorscale": "RdYlGn" if reverse else "RdYlGn_r",
        "xgap": 4,
        "ygap": 4,
        "showscale": True,
        "colorbar": {"thickness": 12, "tickformat": tickformat},
    }
    hidden = {"showgrid": False, "zeroline": False, "showticklabels": False, "ticks": ""}
    return _figure(
        [heat],
        title,
        xaxis=hidden,
        yaxis={**hidden, "autorange": "reversed"},
        height=max(280, 104 * rows + 60),
        plot_bgcolor="rgba(0,0,0,0)",
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
