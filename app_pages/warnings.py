"""预警名单 Warnings: households flagged (early warning, expenditure-poor, catastrophic) with filters
and a CSV download."""

import streamlit as st

from app_pages._common import cat_label, result, t

st.header(t("warn_title"))
res = result()
h = res.households
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
mask = h[chosen].any(axis=1) if chosen else h["warning"] & False
cats = sorted(h.loc[mask, "category"].astype(str).unique())
pick = st.multiselect(t("warn_categories"), cats, default=cats, format_func=cat_label, key="warn_cats")
min_oop = st.number_input(t("warn_min_oop"), 0.0, 1e8, 0.0, step=1000.0, key="warn_min_oop")
sel = h[mask & h["category"].astype(str).isin(pick) & (h["oop"] >= min_oop)]
sel = sel.sort_values("oop_share", ascending=False)
st.caption(t("warn_count", n=len(sel)))
cols = ["size", "category", "income", "total_cost", "oop", "oop_share", *flags]
view = sel[cols].copy()
view["category"] = view["category"].map(cat_label)
view = view.rename(columns={c: t(c) if c not in flags else t(f"flag_{c}") for c in cols})
view.index.name = t("household_id")
st.dataframe(view.head(2000), width="stretch")
st.download_button(
    t("download_csv"),
    data=sel[cols].to_csv().encode("utf-8-sig"),
    file_name="warnings.csv",
    mime="text/csv",
    on_click="ignore",
    key="warn_csv",
)
