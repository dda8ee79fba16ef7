"""The presets' English citations in Chinese.

A preset's `assumption:` texts, its citations written in English (calibration figures, national
rules) and the projection's default sources (`assumptions.DEFAULT_SOURCES`) are written in English
next to the numbers they justify. The Chinese interface reads them from `scenarios/i18n/zh/*.yaml`:
one file a preset (and `families.yaml`, `projection.yaml`), each a mapping of the English text,
exactly as written, to its Chinese. A text missing from the catalogue shows in English;
`tests/test_assumption_text.py` holds every such text translated, with the same numbers, and no
entry left whose text is gone."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

ZH_DIR = Path(__file__).resolve().parent.parent / "scenarios" / "i18n" / "zh"


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


def cited_in(text: str, lang: str) -> str:
    """`text` (an assumption or a citation as the preset writes it) in the interface's language: its
    Chinese from the catalogue for "zh" when there is one, else the text itself."""
    if lang != "zh":
        return text
    return catalogue().get(str(text).strip(), text)


__all__ = ["ZH_DIR", "catalogue", "cited_in"]
