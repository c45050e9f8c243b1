"""Rewrite citations of the project brief ("THEORY §N", "THEORY.md"), a file that is not in the repository,
into links a reader can follow: the docs page of the section, or docs/claims.md.

    python tools/rewrite_theory_refs.py FILE ...            # show what would change
    python tools/rewrite_theory_refs.py --write FILE ...    # rewrite in place
    python tools/rewrite_theory_refs.py --write $(git grep -l "THEORY" -- '*.py')   # after a merge
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

#: where each section of the brief lives in the docs
SECTION_PAGES = {
    "1": "docs/gla.md",  # tokens and the GLA layer
    "2": "docs/gla.md",  # weighted preconditioned gradient descent
    "3": "docs/gla.md",  # G1–G4
    "4": "docs/data-model.md",  # data model
    "5": "docs/risk.md",  # R1–R7 (R4–R7 also docs/landscape.md)
    "6": "docs/gating.md",  # A1–A7
    "7": "docs/evidence.md",  # verdicts
}

_SECTION = re.compile(r"THEORY(?:\.md)? §\s*(\d)(?:\.\d+)?")
_FILE = re.compile(r"\bTHEORY\.md\b")


def rewrite(text: str) -> str:
    text = _SECTION.sub(lambda m: SECTION_PAGES.get(m.group(1), "docs/claims.md"), text)
    return _FILE.sub("docs/claims.md", text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="rewrite the files in place")
    ap.add_argument("files", nargs="+", type=Path)
    args = ap.parse_args(argv)
    changed = 0
    for f in args.files:
        old = f.read_text()
        new = rewrite(old)
        if new != old:
            changed += 1
            n = len(_SECTION.findall(old)) + len(_FILE.findall(_SECTION.sub("", old)))
            print(f"{f}: {n} citation(s){' rewritten' if args.write else ' to rewrite'}")
            if args.write:
                f.write_text(new)
    print(f"{changed} file(s) {'changed' if args.write else 'would change'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
