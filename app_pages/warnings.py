"""预警名单 Warnings: households flagged (early warning, expenditure-poor, catastrophic) with filters
and a CSV download. Filters run on the result's household arrays; a table is built only for the
households selected, and the CSV only when the button is clicked."""

import numpy as np
import pandas as pd
import streamlit as st

from app_pages._common import cat_label, download_csv, money_columns, open_household, result, t, title

st.header(t("warn_title"))
res = result()
h = res.household_arrays()
category = res.household_category
flags = ["warning", "expenditure_poor", "catastrophic"]
chosen = (
    st.pills(
        t("warn_flags"),
        flags,
        default=flags,
        selection_mode="multi",
        format_func=lambda f: t(f"flag_{f}"),
        key="warn_flags",
    )
    or []
)
mask = np.zeros(len(h["household_id"]), dtype=bool)
for f in chosen:
    mask |= h[f]
cats = sorted(np.unique(category[mask].astype(str)).tolist())
pick = st.multiselect(t("warn_categories"), cats, default=cats, format_func=cat_label, key="warn_cats")
min_oop = st.number_input(t("warn_min_oop"), 0.0, 1e8, 0.0, step=1000.0, format="%.0f", key="warn_min_oop")
idx = np.flatnonzero(mask & np.isin(category.astype(str), pick) & (h["oop"] >= min_oop))
idx = idx[np.argsort(-h["oop_share"][idx], kind="stable")]
st.caption(t("warn_count", n=len(idx)))
cols = ["size", "category", "income", "total_cost", "oop", "oop_share", *flags]
sel = pd.DataFrame(
    {c: (category[idx] if c == "category" else h[c][idx]) for c in cols},
    index=pd.Index(h["household_id"][idx], name="household_id"),
)
names = {"size": t("size"), "category": t("category"), "oop_share": title("oop_share")}
names |= {c: title(c) for c in ("income", "total_cost", "oop")} | {f: t(f"flag_{f}") for f in flags}


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The households with the page's headers: category labels, money to the yuan."""
    out = frame.copy()
    out["category"] = out["category"].map(cat_label)
    for c in ("income", "total_cost", "oop"):
        out[c] = out[c].round(0)
    out["oop_share"] = out["oop_share"] * 100  # in % (the header says so)
    out = out.rename(columns=names)
    out.index.name = t("household_id")
    return out


view = _shown(sel.head(2000))
# a click on a row opens the household step by step on the 家庭测算 page
picked = st.dataframe(
    view,
    width="stretch",
    key="warn_table",
    column_config=money_columns(view, [title("oop_share")]),
    on_select="rerun",
    selection_mode="single-row",
)
st.caption(t("hh_open_hint"))
if picked.selection.rows:
    open_household(view.index[picked.selection.rows[0]])
# every selected household (not only the 2,000 shown), built when the button is pressed
download_csv(None, "warn_table", "warnings", index=True, make=lambda: _shown(sel))
