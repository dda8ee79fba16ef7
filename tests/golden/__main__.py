"""`python -m tests.golden [--write] [PRESET ...]`: compare (or rewrite) the golden files."""

from __future__ import annotations

import argparse
import json
import sys

from tests.golden import PRESETS, compute, differences, load, path_of


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.golden")
    ap.add_argument("presets", nargs="*", default=list(PRESETS))
    ap.add_argument("--write", action="store_true", help="write the new goldens (after reading the diff)")
    args = ap.parse_args(argv)
    moved = 0
    for preset in args.presets:
        new = compute(preset)
        old = load(preset) if path_of(preset).exists() else {}
        diff = differences(old, new)
        moved += len(diff)
        print(f"{preset}: {len(diff)} differences")
        for line in diff[:200]:
            print("  " + line)
        if args.write:
            path_of(preset).write_text(json.dumps(new, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 1 if moved and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
