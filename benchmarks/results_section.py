"""Sections of benchmarks/RESULTS.md written by one script each (`bench_precision.py`,
`bench_browser.py`): each lives between `<!-- section:NAME -->` and `<!-- /section:NAME -->`, is
replaced in place when its script runs again, and is kept when `python -m benchmarks
--write-results` rewrites the rest of the file."""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
_BLOCK = re.compile(r"<!-- section:(?P<name>[\w-]+) -->.*?<!-- /section:(?P=name) -->\n?", re.S)


def kept_sections(text: str) -> str:
    """Every script's section of a RESULTS.md text, in order (to append to a rewritten file)."""
    return "".join(m.group(0) for m in _BLOCK.finditer(text))


def write_section(name: str, markdown: str, path: Path = RESULTS) -> None:
    """Put `markdown` as the section `name` of RESULTS.md: in place of the old one, or at the end."""
    block = f"<!-- section:{name} -->\n{markdown.rstrip()}\n<!-- /section:{name} -->\n"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(
        rf"<!-- section:{re.escape(name)} -->.*?<!-- /section:{re.escape(name)} -->\n?", re.S
    )
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")
