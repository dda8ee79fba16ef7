"""The Chinese interface reads every citation of the presets in Chinese
(`simulation.assumption_text`): every `source:` and `assumption:` of every preset and family file
and every default source of the projection with English in it (a quoted clause with an English
gloss too) has an entry in `scenarios/i18n/zh/`, each entry keeps the numbers of its English text,
and no entry is left whose text no preset uses any more."""

from __future__ import annotations

import re

import pytest
import yaml

from simulation.assumption_text import CODE, ZH_DIR, assumed, catalogue, codes
from simulation.assumptions import DEFAULT_SOURCES
from simulation.registry import cite_text
from simulation.scenario import SCENARIO_DIR

CJK = re.compile(r"[\u4e00-\u9fff]")
NUMBER = re.compile(r"\d+(?:\.\d+)?")


# words a citation may carry untranslated: the status marks and names the interface reads out
# itself (registry's marks, the codes' names), and the initials of a bibliographic reference
MARKS = {"recalled", "status", "assumption", "WHO", "World", "Bank", "SDG"}
WORD = re.compile(r"[A-Za-z]{2,}")


def english(text: str) -> bool:
    """A citation with English in it (a word of two letters or more beyond the marks and codes),
    which the Chinese interface must read from the catalogue."""
    return any(w not in MARKS for w in WORD.findall(CODE.sub("", text)))


def _walk(node, out: list[str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("source", "assumption") and isinstance(v, str):
                if english(v):
                    out.append(v.strip())
            else:
                _walk(v, out)
    elif isinstance(node, list):
        for v in node:
            _walk(v, out)


def english_citations() -> dict[str, str]:
    """Every text the catalogue must hold → where it is used."""
    where: dict[str, str] = {}
    for path in sorted(SCENARIO_DIR.glob("*.yaml")) + sorted((SCENARIO_DIR / "families").glob("*.yaml")):
        found: list[str] = []
        _walk(yaml.safe_load(path.read_text(encoding="utf-8")), found)
        for text in found:
            where.setdefault(text, str(path.relative_to(SCENARIO_DIR)))
    for key, text in DEFAULT_SOURCES.items():
        if english(text):
            where.setdefault(text.strip(), f"simulation/assumptions.py {key}")
    return where


def numbers(text: str) -> set[str]:
    return set(NUMBER.findall(text.replace(",", "")))


def test_every_english_citation_has_its_chinese():
    missing = {t: w for t, w in english_citations().items() if t not in catalogue()}
    assert not missing, f"{len(missing)} texts without Chinese, e.g. " + "; ".join(
        f"{w}: {t!r}" for t, w in list(missing.items())[:5]
    )


def test_every_entry_is_chinese_with_the_same_numbers():
    bad = []
    for en, zh in catalogue().items():
        if not CJK.search(zh):
            bad.append(f"not Chinese: {en!r} → {zh!r}")
        lost = numbers(en) - numbers(zh)
        if lost:
            bad.append(f"numbers {sorted(lost)} lost: {en!r} → {zh!r}")
    assert not bad, "\n".join(bad[:10])


def test_no_entry_without_its_text():
    used = english_citations()
    stale = [en for en in catalogue() if en not in used]
    assert not stale, f"{len(stale)} entries no preset uses, e.g. {stale[:3]}"


def test_catalogue_files_are_mappings():
    files = sorted(ZH_DIR.glob("*.yaml"))
    assert files
    for path in files:
        assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict), path.name


@pytest.mark.parametrize("preset", ["linan_2024", "bijie_2019"])
def test_the_interface_shows_the_chinese(preset):
    from simulation import load_scenario

    scn = load_scenario(preset)
    lever = next(lv for lv in scn.levers() if lv.assumption)
    zh, en = cite_text(lever.source, lever.assumption, "zh"), cite_text(lever.source, lever.assumption, "en")
    assert zh == assumed(lever.assumption, "zh") and zh.startswith("假设：")
    assert catalogue()[lever.assumption] in zh + "（假设）"  # the Chinese text, not the English
    assert en.startswith("Assumption: ") and en.removeprefix("Assumption: ") in lever.assumption


def test_a_calibration_targets_assumption_reads_in_chinese():
    """The calibration table cites a target's assumption as "assumption: <text>"."""
    text = next(t for t in catalogue() if t.startswith("as the employee inpatient rate"))
    zh = cite_text(f"assumption: {text}", "", "zh")
    assert zh.startswith("假设：") and "inpatient rate" not in zh


def test_no_citation_names_a_parameter_by_its_path():
    """A citation reads in words in both languages: no parameter's dotted path or key inside it
    (the calibration file's own codes, `calibration/ code`, are references to that file)."""
    from simulation import available_presets, load_scenario

    paths = set()
    for name in available_presets():
        for lv in load_scenario(name).levers():
            parts = lv.path.split(".")
            paths.update(".".join(parts[i:]) for i in range(len(parts) - 1))  # every dotted tail
            paths.update(p for p in parts if "_" in p)  # and every snake_case key
    named = re.compile(
        rf"(?<![\w/.])(?:{'|'.join(map(re.escape, sorted(paths, key=len, reverse=True)))})(?![\w.])"
    )
    assert named.search("the retiree bonus (basic_insurance.employee.retiree_ratio_bonus)")  # it can fail
    found = [
        (t, named.search(t).group())
        for t in english_citations()
        if "calibration" not in t and named.search(t)
    ]
    assert not found, found[:5]


def _all_citations() -> list[str]:
    """Every source and assumption text of the presets, the families and the projection."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("source", "assumption") and isinstance(v, str):
                    found.append(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for path in sorted(SCENARIO_DIR.glob("*.yaml")) + sorted((SCENARIO_DIR / "families").glob("*.yaml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return sorted(set(found) | set(DEFAULT_SOURCES.values()))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_code_reaches_the_page(lang):
    """Every citation as the interface shows it, in either language, names the codes it cites
    (calibration entries, data columns) by their names: no snake_case key is left."""
    assert CODE.search("calibration/ public_secondary_avg_inpatient_cost 6,821.5")  # it can fail
    left = {}
    for text in _all_citations():
        for source, assumption in ((text, ""), ("", text)):
            shown = cite_text(source, assumption, lang)
            for code in CODE.findall(shown):
                left.setdefault(code, shown[:120])
    assert not left, left


def test_every_code_is_named_in_both_languages_and_used():
    used = {code for text in _all_citations() for code in CODE.findall(text)}
    assert set(codes()) == used, (sorted(used - set(codes())), sorted(set(codes()) - used))
    for code, names in codes().items():
        assert set(names) == {"zh", "en"} and CJK.search(names["zh"]) and not CODE.search(names["en"]), code


def test_an_assumption_says_so_once():
    text = next(t for t in catalogue() if t.endswith("(assumption)"))
    zh, en = cite_text("", text, "zh"), cite_text("", text, "en")
    assert zh.startswith("假设：") and not zh.endswith("（假设）") and zh.count("假设") == 1, zh
    assert en.startswith("Assumption: ") and not en.endswith("(assumption)"), en
