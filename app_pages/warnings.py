"""预警名单 Warnings: households flagged (early warning, expenditure-poor, catastrophic) with filters
and a CSV download. Filters run on the result's household arrays; a table is built only for the
households selected, and the CSV only when the button is clicked."""

import numpy as np
import pandas as pd
import streamlit as st

from app_pages._common import cat_label, label, open_household, pct, result, t, title

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
min_oop = st.number_input(t("warn_min_oop"), 0.0, 1e8, 0.0, step=1000.0, key="warn_min_oop")
idx = np.flatnonzero(mask & np.isin(category.astype(str), pick) & (h["oop"] >= min_oop))
idx = idx[np.argsort(-h["oop_share"][idx], kind="stable")]
st.caption(t("warn_count", n=len(idx)))
cols = ["size", "category", "income", "total_cost", "oop", "oop_share", *flags]
sel = pd.DataFrame(
    {c: (category[idx] if c == "category" else h[c][idx]) for c in cols},
    index=pd.Index(h["household_id"][idx], name="household_id"),
)
view = sel.head(2000).copy()
view["category"] = view["category"].map(cat_label)
view["oop_share"] = view["oop_share"].map(pct)
names = {"size": t("size"), "category": t("category"), "oop_share": label("oop_share")}
names |= {c: title(c) for c in ("income", "total_cost", "oop")} | {f: t(f"flag_{f}") for f in flags}
view = view.rename(columns=names)
view.index.name = t("household_id")
# a click on a row opens the household step by step on the 家庭测算 page
picked = st.dataframe(view, width="stretch", on_select="rerun", selection_mode="single-row", key="warn_table")
st.caption(t("hh_open_hint"))
if picked.selection.rows:
    open_household(view.index[picked.selection.rows[0]])
st.download_button(
    t("download_csv"),
    data=lambda: sel.to_csv().encode("utf-8-sig"),
    file_name="warnings.csv",
    mime="text/csv",
    on_click="ignore",
    key="warn_csv",
)
