"""Plotly figure builders of the app: plain functions of data and labels (no Streamlit), so tests
can call them. Money axes are in 亿元 unless a title says otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

FONT = "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif"
PAYERS = ("basic_paid", "critical_paid", "assistance_paid", "supplement_paid", "other_paid", "cap_paid")


def _layout(fig: go.Figure, title: str, **kw) -> go.Figure:
    fig.update_layout(title=title, font_family=FONT, margin=dict(l=10, r=10, t=50, b=10), height=360, **kw)
    return fig


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
    fig = go.Figure(go.Bar(x=mid, y=counts, width=np.diff(edges), marker_line_width=0))
    fig.update_xaxes(title=xlabel, type="log" if log else "linear")
    fig.update_yaxes(title=ylabel)
    return _layout(fig, title, bargap=0)


def bar(
    labels: list[str], values: list[float], title: str, ylabel: str, text: list[str] | None = None
) -> go.Figure:
    fig = go.Figure(go.Bar(x=labels, y=values, text=text, textposition="auto"))
    fig.update_yaxes(title=ylabel)
    return _layout(fig, title)


def payer_waterfall(summary: dict, labels: dict[str, str], title: str, total_label: str) -> go.Figure:
    """Waterfall from total cost down through each payer to out-of-pocket (亿元)."""
    keys = [k for k in PAYERS if summary.get(k, 0)]
    x = [total_label] + [labels[k] for k in keys] + [labels["oop"]]
    y = [summary["total_cost"] / 1e8] + [-summary[k] / 1e8 for k in keys] + [summary["oop"] / 1e8]
    measure = ["absolute"] + ["relative"] * len(keys) + ["total"]
    fig = go.Figure(
        go.Waterfall(x=x, y=y, measure=measure, text=[f"{abs(v):,.2f}" for v in y], textposition="outside")
    )
    return _layout(fig, title, showlegend=False)


def grouped_bars(
    df: pd.DataFrame, columns: dict[str, str], title: str, ylabel: str, percent: bool = False
) -> go.Figure:
    """One bar series per column of df (index on the x axis); `columns` maps column -> legend."""
    fig = go.Figure()
    for col, name in columns.items():
        fig.add_bar(x=[str(i) for i in df.index], y=df[col], name=name)
    fig.update_yaxes(title=ylabel, tickformat=".0%" if percent else None)
    return _layout(fig, title, barmode="group")


def fund_bands(df: pd.DataFrame, fund_labels: dict[str, str], title: str, ylabel: str) -> go.Figure:
    """Balance per fund per year: p50 line with a p10-p90 band when present (columns year, fund,
    p10, p50, p90 or balance), in 亿元."""
    fig = go.Figure()
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    for i, (fund, g) in enumerate(df.groupby("fund", sort=False)):
        c = colors[i % len(colors)]
        name = fund_labels.get(fund, fund)
        mid = g["p50"] if "p50" in g else g["balance"]
        if "p10" in g:
            fig.add_trace(
                go.Scatter(
                    x=g["year"],
                    y=g["p90"] / 1e8,
                    line=dict(width=0),
                    showlegend=False,
                    hoverinfo="skip",
                    legendgroup=name,
                )
            )
            fig.add_trace(
                go.Scatter(
                    x=g["year"],
                    y=g["p10"] / 1e8,
                    line=dict(width=0),
                    fill="tonexty",
                    fillcolor=_rgba(c, 0.2),
                    showlegend=False,
                    hoverinfo="skip",
                    legendgroup=name,
                )
            )
        fig.add_trace(go.Scatter(x=g["year"], y=mid / 1e8, name=name, line=dict(color=c), legendgroup=name))
    fig.update_yaxes(title=ylabel)
    return _layout(fig, title)


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def tier_change(tiers: pd.DataFrame, labels: dict[str, str], title: str, ylabel: str) -> go.Figure:
    """Change by tier, one bar group per year (tiers: index (year, tier) with a `change` column)."""
    fig = go.Figure()
    for year, g in tiers.groupby(level=0):
        g = g.droplevel(0)
        fig.add_bar(x=[labels.get(k, k) for k in g.index], y=g["change"] / 1e8, name=str(year))
    fig.update_yaxes(title=ylabel)
    return _layout(fig, title, barmode="group")
