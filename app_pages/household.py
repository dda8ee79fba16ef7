"""家庭测算 Household calculator: one family step by step (simulation.explain): each rule that
applies, the payer of each amount, the clause, what the family still bears; the flags and why;
the current scenario against the preset; the printable 测算单 (PDF, HTML, text, CSV).

The family is one of the preset's typical families, a household of the current run (opened by a
click on a row of the early-warning list or of the catastrophic table), or one entered here
(validated as load_population validates files; an error names the cell in the page's language)."""

import numpy as np
import pandas as pd
import streamlit as st

from app_pages._charts import payer_waterfall
from app_pages._common import (
    chart,
    label,
    lang,
    money,
    pct,
    preset_scenario,
    result,
    scenario,
    t,
    table,
)
from app_pages._text import TEXT
from simulation import PopulationError, WorkbenchError
from simulation.explain import ExplainError, explain, families_from_yaml, typical_families
from simulation.parameters import CATEGORY_CODES, SCHEME_LABELS, SETTING_LABELS, SETTINGS
from simulation.registry import PAID_COLUMNS, code_label, fmt_money
from simulation.report.family import family_csv, family_html, family_pdf, family_text

ss = st.session_state
st.header(t("hh_title"))
st.caption(t("hh_intro"))
scn = scenario()
preset = preset_scenario(ss["preset"])
changed = bool(scn.changes)
families = typical_families(preset)

SOURCES = ["typical", "run", "edit"]
if ss.pop("hh_opened", False):  # a row clicked in a list: open the run's household
    ss["hh_source"] = "run"
source = st.segmented_control(
    t("hh_source"),
    SOURCES,
    default="run" if ss.get("explain_hid") is not None else "typical",
    format_func=lambda s: t(f"hh_source_{s}"),
    key="hh_source",
) or ("run" if ss.get("explain_hid") is not None else "typical")


def yuan(x: float) -> str:
    return fmt_money(x, lang(), scale="yuan", digits=2, unit=False)


def signed(x: float) -> str:
    return fmt_money(x, lang(), scale="yuan", digits=2, unit=False, signed=True)


def error_text(e: Exception) -> str:
    """A family's error in the page's language: the cell it names, and what it should be."""
    d = getattr(e, "detail", None)
    if not d:
        return t("hh_error", msg=e.message(lang()) if isinstance(e, PopulationError) else str(e))
    which = t("hh_table_claims") if str(d["source"]).endswith("claims") else t("hh_table_persons")
    rows = ("、" if lang() == "zh" else ", ").join(str(r) for r in d["rows"])
    got = t("hh_error_got", got=d["got"]) if d.get("got") else ""
    column = d["column"]
    col = t(f"hh_col_{column}") if f"hh_col_{column}" in TEXT["zh"] else column
    expected = d["expected_zh"] if lang() == "zh" else d["expected"]
    return t(
        "hh_error", msg=t("hh_error_cell", table=which, rows=rows, column=col, expected=expected, got=got)
    )


def run_explain(persons, claims):
    """(explanation under the current scenario with the preset as baseline, or None and the error)."""
    try:
        return explain(scn, persons, claims, baseline=preset if changed else None), None
    except (PopulationError, ExplainError) as e:
        return None, error_text(e)
    except WorkbenchError as e:
        return None, t("hh_error", msg=str(e))


def editable(fam) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A family's tables for the editors: codes as text (a level may be 3 or province_1)."""
    persons, claims = fam.persons.copy(), fam.claims.copy()
    for col in ("hospital_level", "disease"):
        if col in claims:
            claims[col] = claims[col].astype(str)
    persons["category"] = persons["category"].astype(str)
    return persons, claims


ex, err, description = None, None, ""
if source == "typical":
    if not families:
        st.info(t("hh_typical_none"))
        st.stop()
    ids = [f.id for f in families]
    fid = st.selectbox(
        t("hh_typical"), ids, format_func=lambda i: families[ids.index(i)].name_in(lang()), key="hh_typical"
    )
    fam = families[ids.index(fid)]
    description = fam.description_in(lang())
    st.caption(description)
    ex, err = run_explain(fam.persons, fam.claims)
elif source == "run":
    res = result()
    ha = res.household_arrays()
    hids = ha["household_id"]
    first = hids[np.argmax(ha["warning"])] if ha["warning"].any() else hids[0]
    default = ss.get("explain_hid", first)
    hid = st.number_input(t("hh_household"), value=int(default), step=1, key=f"hh_hid_{default}")
    if hid != default:
        ss["explain_hid"] = int(hid)
    if ss.get("explain_hid") is not None:
        st.caption(t("hh_from_list", hid=ss["explain_hid"]))
    st.caption(t("hh_open_hint"))
    if int(hid) not in set(hids.tolist()):
        st.warning(t("hh_household_missing", hid=int(hid)))
        st.stop()
    try:
        ex = res.explain(int(hid), baseline=preset if changed else None)
    except WorkbenchError as e:
        err = t("hh_error", msg=str(e))
else:  # enter a family
    names = [f.id for f in families]
    if names:
        start = st.selectbox(
            t("hh_start_from"), names, format_func=lambda i: families[names.index(i)].name_in(lang()),
            key="hh_start",
        )  # fmt: skip
        fam = families[names.index(start)]
        if ss.get("hh_edit_from") != (ss["preset"], start):
            ss["hh_edit_from"] = (ss["preset"], start)
            ss["hh_edit_persons"], ss["hh_edit_claims"] = editable(fam)
    up = st.file_uploader(t("hh_upload"), type=["yaml", "yml"], key="hh_upload")
    if up is not None:
        try:
            fam_up = families_from_yaml(up.getvalue().decode("utf-8-sig"), up.name)[0]
            ss["hh_edit_persons"], ss["hh_edit_claims"] = editable(fam_up)
        except (PopulationError, UnicodeDecodeError) as e:
            st.error(error_text(e))
            st.stop()
    st.caption(t("hh_edit_hint"))
    persons = ss.get("hh_edit_persons", pd.DataFrame())
    claims = ss.get("hh_edit_claims", pd.DataFrame())
    cc = st.column_config
    cats = [c for c in CATEGORY_CODES if c in scn.params.categories]
    levels = list(scn.params.hospital_levels)
    person_cols = {
        "person_id": cc.NumberColumn(t("hh_col_person_id"), step=1, required=True),
        "age": cc.NumberColumn(t("hh_col_age"), min_value=0, max_value=130, step=1, required=True),
        "scheme": cc.SelectboxColumn(
            t("hh_col_scheme"), options=list(SCHEME_LABELS), required=True,
            format_func=lambda c: code_label(SCHEME_LABELS, c, lang()),
        ),
        "category": cc.TextColumn(t("hh_col_category"), help=" / ".join(cats), required=True),
        "income": cc.NumberColumn(t("hh_col_income"), min_value=0.0, required=True),
    }  # fmt: skip
    claim_cols = {
        "person_id": cc.NumberColumn(t("hh_col_person_id"), step=1, required=True),
        "setting": cc.SelectboxColumn(
            t("hh_col_setting"), options=list(SETTINGS), required=True,
            format_func=lambda s: code_label(SETTING_LABELS, s, lang()),
        ),
        "hospital_level": cc.TextColumn(t("hh_col_hospital_level"), help=" / ".join(levels), required=True),
        "total_cost": cc.NumberColumn(t("hh_col_total_cost"), min_value=0.0, required=True),
        "policy_cost": cc.NumberColumn(t("hh_col_policy_cost"), min_value=0.0, required=True),
    }  # fmt: skip
    st.subheader(t("hh_members"))
    persons = st.data_editor(persons, num_rows="dynamic", column_config=person_cols, key="hh_persons_editor",
                             hide_index=True, width="stretch")  # fmt: skip
    st.subheader(t("hh_claims"))
    claims = st.data_editor(claims, num_rows="dynamic", column_config=claim_cols, key="hh_claims_editor",
                            hide_index=True, width="stretch")  # fmt: skip
    ex, err = run_explain(persons, claims)

if err:
    st.error(err)
    st.stop()
assert ex is not None
L = lang()
SEP = "：" if L == "zh" else ": "
fam = ex.family

# ---------------------------------------------------------------------------- the headline figures
payers = [k for k in PAID_COLUMNS if abs(fam[k]) > 0.005]
cards = [("total_cost", fam["total_cost"]), *((k, fam[k]) for k in payers), ("oop", fam["oop"])]
cols = st.columns(min(len(cards) + 1, 4))
for i, (k, v) in enumerate(cards):
    cols[i % len(cols)].metric(label(k), money(v))
share = fam["oop_share"]
cols[len(cards) % len(cols)].metric(t("hh_oop_share"), pct(share) if np.isfinite(share) else "∞")

# ---------------------------------------------------------------------------- waterfalls
labels = {k: label(k) for k in (*PAID_COLUMNS, "oop", "total_cost")}
who = ["family", *[str(p) for p in ex.members.index]]
pick = st.segmented_control(
    t("hh_waterfall_of"), who, default="family",
    format_func=lambda w: t("hh_family") if w == "family" else t("hh_member", pid=w), key="hh_waterfall_of",
) or "family"  # fmt: skip


def summary_of(e, w) -> dict:
    if w == "family":
        return e.family
    return e.members.loc[{str(p): p for p in e.members.index}[w]].to_dict()


if changed and ex.baseline is not None:
    left, right = st.columns(2)
    chart(payer_waterfall(summary_of(ex, pick), labels, f"{t('hh_current')}{SEP}{t('hh_waterfall')}",
                        labels["total_cost"], lang(), height=340), "hh_wf_current", where=left)  # fmt: skip
    chart(payer_waterfall(summary_of(ex.baseline, pick), labels, f"{t('hh_preset')}{SEP}{t('hh_waterfall')}",
                        labels["total_cost"], lang(), height=340), "hh_wf_preset", where=right)  # fmt: skip
else:
    chart(
        payer_waterfall(summary_of(ex, pick), labels, t("hh_waterfall"), labels["total_cost"], lang()),
        "hh_wf",
    )

# ---------------------------------------------------------------------------- steps
st.subheader(t("hh_steps"))
st.caption(t("hh_steps_caption"))
s = ex.steps
en = L != "zh"
steps_view = pd.DataFrame(
    {
        t("hh_col_step"): s["step"],
        t("hh_col_member"): s["person_id"].astype(str),
        t("hh_col_claim"): s["claim"].astype(object).where(s["claim"].notna(), "—").astype(str),
        t("hh_col_tier"): s["tier_en"] if en else s["tier"],
        t("hh_col_rule"): s["rule_en"] if en else s["rule"],
        t("hh_col_base"): s["base"].map(yuan),
        t("hh_col_amount"): s["amount"].map(yuan),
        t("hh_col_remaining"): s["remaining"].map(yuan),
        t("hh_col_clause"): s["clause_en"] if en else s["clause"],
    }
)
st.table(steps_view.set_index(t("hh_col_step")))  # (wrapped text: the rules and clauses are long)

# the steps summed by payer (the figures the lists show for the household)
tot = ex.step_totals().sum()
order = [k for k in (*PAID_COLUMNS, "oop") if abs(tot[k]) > 0.005 or k == "oop"]
totals_view = pd.DataFrame(
    {t("hh_payer"): [label(k) for k in order], t("hh_amount"): [yuan(tot[k]) for k in order]}
)
st.subheader(t("hh_totals"))
with st.container(key="hh_totals"):
    st.table(totals_view.set_index(t("hh_payer")))

# ---------------------------------------------------------------------------- flags
st.subheader(t("hh_flags"))
for f in ex.fired():
    st.warning(f"**{f.label_in(L)}**{SEP}{f.why_in(L)}" + (f"\n\n{f.clause_in(L)}" if f.clause_in(L) else ""))
quiet = [f for f in ex.flags if not f.fired]
if quiet:
    with st.expander(t("hh_flag_not_fired")):
        for f in quiet:
            st.markdown(f"- **{f.label_in(L)}**{SEP}{f.why_in(L)}")

# ---------------------------------------------------------------------------- current against the preset
st.subheader(t("hh_compare"))
if ex.baseline is None:
    st.caption(t("hh_compare_none"))
else:
    b = ex.baseline.family
    rows = [k for k in ("total_cost", *PAID_COLUMNS, "oop") if abs(fam[k]) > 0.005 or abs(b[k]) > 0.005]
    st.table(
        pd.DataFrame(
            {
                t("hh_payer"): [label(k) for k in rows],
                t("hh_current"): [yuan(fam[k]) for k in rows],
                t("hh_preset"): [yuan(b[k]) for k in rows],
                t("hh_difference"): [signed(fam[k] - b[k]) for k in rows],
            }
        ).set_index(t("hh_payer"))
    )  # fmt: skip
    d = ex.difference[ex.difference["difference"].abs() > 0.005]
    if len(d):
        st.caption(t("hh_step_changes"))
        table(pd.DataFrame(
                {
                    t("hh_col_member"): d["person_id"].astype(str),
                    t("hh_col_claim"): d["claim"].astype(object).where(d["claim"].notna(), "—").astype(str),
                    t("hh_col_tier"): d["tier_en"] if en else d["tier"],
                    t("hh_current"): d["amount"].map(yuan),
                    t("hh_preset"): d["baseline_amount"].map(yuan),
                    t("hh_difference"): d["difference"].map(signed),
                }
            ), "tb_hh_changes", "changed_steps", hide_index=True, width="stretch")  # fmt: skip

# ---------------------------------------------------------------------------- on paper
name = f"{scn.id}_household_{ex.household_id}"
c1, c2, c3, c4 = st.columns(4)
c1.download_button(t("hh_download_pdf"), data=lambda: family_pdf(ex, L, description), file_name=f"{name}.pdf",
                   mime="application/pdf", on_click="ignore", key="hh_pdf")  # fmt: skip
c2.download_button(t("hh_download_html"), data=lambda: family_html(ex, L, description).encode("utf-8"),
                   file_name=f"{name}.html", mime="text/html", on_click="ignore", key="hh_html")  # fmt: skip
c3.download_button(t("hh_download_txt"), data=lambda: family_text(ex, L, description).encode("utf-8"),
                   file_name=f"{name}.txt", mime="text/plain", on_click="ignore", key="hh_txt")  # fmt: skip
c4.download_button(t("hh_download_csv"), data=lambda: family_csv(ex, L), file_name=f"{name}.csv",
                   mime="text/csv", on_click="ignore", key="hh_csv")  # fmt: skip
with st.expander(t("hh_text")):
    st.code(family_text(ex, L, description), language=None)
