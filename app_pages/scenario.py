"""情景设置 Scenario: preset, every lever grouped by tier (hover shows the clause), YAML upload and
download, the diff against the preset, and the state in the URL."""

import pandas as pd
import streamlit as st

from app_pages._common import (
    lang,
    lever,
    lever_groups,
    param_name,
    preset_label,
    preset_scenario,
    problems_text,
    scenario,
    set_change,
    t,
    table,
    upload_notice,
)
from app_pages._limits import safe_file_name, too_big
from simulation import ScenarioError, available_presets, scenario_from_yaml
from simulation.registry import cite_text

ss = st.session_state
st.header(t("page_scenario"))
for path, msg in ss.pop("url_errors", []):
    st.warning(t("bad_url_param", path=param_name(path, preset_scenario(ss["preset"])), msg=msg))


def _on_preset() -> None:
    ss["preset"] = ss[PRESET_KEY]
    ss["changes"] = {}


presets = available_presets()
# one widget per language: the options are shown by their names in that language, and a widget
# whose shown options changed under it (the language toggle) would carry the other language's name
LANG = lang()
PRESET_KEY = f"preset_widget:{LANG}"
ss[PRESET_KEY] = ss["preset"]
c1, c2 = st.columns([3, 1])
c1.selectbox(
    t("preset"),
    presets,
    key=PRESET_KEY,
    format_func=lambda p: preset_label(p, LANG),
    help=t("preset_help"),
    on_change=_on_preset,
)
if c2.button(t("reset"), key="reset"):
    ss["changes"] = {}
    st.rerun()

base = preset_scenario(ss["preset"])
scn = scenario()

up = st.file_uploader(t("upload_yaml"), type=["yaml", "yml"], key="yaml_upload")
upload_notice("yaml_upload", "scenario", "YAML")
# an upload is handled once; tests inject one as ss["yaml_pending"] = {"name": ..., "data": bytes}
pending = ss.pop("yaml_pending", None)
if up is not None and ss.get("_yaml_done") != up.file_id:
    ss["_yaml_done"] = up.file_id
    pending = {"name": up.name, "size": up.size, "data": up.getvalue}
if pending is not None:
    data = pending["data"]
    size = pending.get("size", len(data) if isinstance(data, bytes) else 0)
    refused = too_big("scenario", pending["name"], size, t)  # before a byte is parsed
    try:
        if refused:
            raise ScenarioError(refused)
        raw = data() if callable(data) else data
        loaded = scenario_from_yaml(raw.decode("utf-8-sig"), safe_file_name(pending["name"], "upload.yaml"))
        if loaded.id in presets:
            ss["preset"] = loaded.id
            base = preset_scenario(loaded.id)
        changes = {}
        for d in base.diff(loaded):
            if d["value"] is None:
                continue
            if d["base"] is None:
                st.warning(t("yaml_unknown_path", path=param_name(d["path"], base)))
                continue
            changes[d["path"]] = d["value"]
        base.with_changes(changes)
        ss["changes"] = changes
        st.success(t("yaml_loaded", name=loaded.name_in(lang()), n=len(changes)))
        scn = scenario()
    except ScenarioError as e:
        st.error(refused or t("bad_scenario", msg=problems_text(e, base)))
    except UnicodeDecodeError:
        st.error(t("bad_scenario", msg=f"{safe_file_name(pending['name'])}：{t('problem_not_utf8')}"))
    except Exception as e:  # never a traceback for a bad file
        name = safe_file_name(pending["name"])
        st.error(t("bad_scenario", msg=f"{name}：{t('problem_unreadable', kind=type(e).__name__)}"))

st.download_button(
    t("download_yaml"),
    data=scn.to_yaml().encode("utf-8"),
    file_name=safe_file_name(f"{scn.id}_edited.yaml"),
    mime="text/yaml",
    on_click="ignore",
    key="yaml_download",
)

st.subheader(t("diff_title"))
diff = base.diff(scn)
if diff:
    specs = {lv.path: lv for lv in scn.levers()}

    def _shown(path: str, v) -> str:
        """A value with its unit as the registry describes the lever (a path outside the levers
        as it is)."""
        spec = specs.get(path)
        return spec.format(v, lang()) if spec is not None and v is not None else str(v)

    changes_table = pd.DataFrame(
        {
            t("diff_label"): [param_name(d["path"], scn) for d in diff],
            t("diff_base"): [_shown(d["path"], d["base"]) for d in diff],
            t("diff_value"): [_shown(d["path"], d["value"]) for d in diff],
            t("diff_source"): [cite_text(d.get("source", ""), d.get("assumption", ""), lang()) for d in diff],
        }
    ).astype(str)
    # the CSV keeps each parameter's path too: the key a reform or a URL is written with
    table(
        changes_table,
        "tb_changes",
        "scenario_changes",
        data=changes_table.assign(**{t("diff_path"): [d["path"] for d in diff]}),
        hide_index=True,
    )
    st.caption(t("share_hint"))
else:
    st.info(t("diff_none"))

st.subheader(t("levers_title"))
for tier, items in lever_groups(base).items():
    with st.expander(items[0].tier_in(lang()), expanded=(tier == "medical_assistance")):
        cols = st.columns(3)
        for i, spec in enumerate(items):
            with cols[i % 3]:
                lever(scn, spec.path, spec.value)

_ = set_change  # widgets write through _common.set_change
