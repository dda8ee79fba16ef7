"""The presets' English citations in Chinese.

A preset's `assumption:` texts, its citations written in English (calibration figures, national
rules) and the projection's default sources (`assumptions.DEFAULT_SOURCES`) are written in English
next to the numbers they justify. The Chinese interface reads them from `scenarios/i18n/zh/*.yaml`:
one file a preset (and `families.yaml`, `projection.yaml`), each a mapping of the English text,
exactly as written, to its Chinese. A text missing from the catalogue shows in English;
`tests/test_assumption_text.py` holds every such text translated, with the same numbers, and no
entry left whose text is gone.

The codes a citation names (an entry of the calibration file, a column of the population data:
`calibration/ public_secondary_avg_inpatient_cost`) are read in the interface's language from
`scenarios/i18n/codes.yaml`, in either language, so that no snake_case key reaches the page."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

I18N_DIR = Path(__file__).resolve().parent.parent / "scenarios" / "i18n"
ZH_DIR = I18N_DIR / "zh"
CODES_FILE = I18N_DIR / "codes.yaml"
# a code: lower-case words joined by "_" (not part of a dotted name, a path or a DOI)
CODE = re.compile(r"(?<![\w./])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w.])")


@cache
def catalogue() -> dict[str, str]:
    """English citation → Chinese, over every file of the catalogue (file name order)."""
    out: dict[str, str] = {}
    for path in sorted(ZH_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path.name}: a mapping of English citation → Chinese is expected")
        for en, zh in data.items():
            out.setdefault(str(en).strip(), str(zh).strip())
    return out


@cache
def codes() -> dict[str, dict[str, str]]:
    """Code → {"zh": name, "en": name}."""
    data = yaml.safe_load(CODES_FILE.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError(f"{CODES_FILE.name}: a mapping of code → {{zh: name, en: name}} is expected")
    return data


def cited_in(text: str, lang: str) -> str:
    """`text` (an assumption or a citation as the preset writes it) in the interface's language: its
    Chinese from the catalogue for "zh" when there is one, else the text itself; the codes it names
    read as their names."""
    out = catalogue().get(str(text).strip(), text) if lang == "zh" else str(text)
    return CODE.sub(lambda m: codes().get(m.group(), {}).get(lang, m.group()), out)


# an assumption's own closing mark, "(assumption)" / "（假设）": the prefix already says it
_MARK = re.compile(r"\s*[（(](?:assumption|假设)[)）]\s*$")


def assumed(text: str, lang: str) -> str:
    """An assumption as the interface shows it: 假设：… / Assumption: …, in the page's language."""
    body = _MARK.sub("", cited_in(text, lang))
    return ("假设：" if lang == "zh" else "Assumption: ") + body


__all__ = ["CODE", "ZH_DIR", "assumed", "catalogue", "cited_in", "codes"]
