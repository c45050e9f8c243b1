"""A static index of every claim's check methods, so ``glaverify list`` starts at once.

The registry learns the methods by importing every check module (torch, cvxpy, sympy: seconds). ``list``
only needs their names, so it reads :data:`METHODS` below instead. The index is generated from the
registry and a test (tests/test_cli.py) fails when the two disagree; regenerate it with::

    python -m glaverify.proofs_check.method_index --write

after adding or renaming a check method.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: claim id -> ((method, runs in ``verify``), ...), in registry order. GENERATED: do not edit by hand.
METHODS: dict[str, tuple[tuple[str, bool], ...]] = {
    # BEGIN GENERATED
    "G1": (("torch-random", True), ("symbolic", True), ("fla-reference", True), ("counterexample", False), ("symbolic-all-dims", True)),
    "G2": (("torch-random", True), ("symbolic", True), ("fla-reference", True), ("counterexample", False), ("symbolic-all-dims", True)),
    "G3": (("torch-random", True), ("symbolic", True), ("fla-reference", True), ("counterexample", False), ("symbolic-all-dims", True)),
    "G4": (("symbolic", True), ("monte-carlo", True), ("counterexample", False), ("symbolic-all-dims", True)),
    "R1": (("counterexample", False), ("monte-carlo", True), ("symbolic", True), ("search", True), ("symbolic-all-dims", True)),
    "R2": (("counterexample", False), ("numeric", True), ("symbolic", True), ("symbolic-all-dims", True)),
    "R3": (("counterexample", False), ("numeric", True), ("symbolic", True), ("symbolic-all-dims", True)),
    "R4": (("exact", True), ("numeric", True), ("counterexample", False), ("symbolic", True), ("symbolic-all-dims", True)),
    "R5": (("numeric", True), ("counterexample", False), ("symbolic", True), ("symbolic-all-dims", True)),
    "R6": (("exact", True), ("certificate", True), ("search", False), ("search-small", True), ("counterexample", False)),
    "R7": (("exact", True), ("numeric", True), ("counterexample", False)),
    "A1": (("symbolic", True), ("construction", True), ("counterexample", False), ("symbolic-all-dims", True)),
    "A2": (("symbolic", True), ("construction", True), ("counterexample", False)),
    "A3": (("exact", True), ("certified", True), ("counterexample", False)),
    "A4": (("exact", True), ("certified", True), ("counterexample", False)),
    "A5": (("symbolic", True), ("numeric", True), ("counterexample", False)),
    "A6": (("exact", True), ("symbolic", True), ("certified", True), ("counterexample", False), ("symbolic-all-dims", True)),
    "A7": (("exact", True), ("exact-gla", True), ("training-quick", True), ("training", False), ("training-seeds", False), ("training-progressive", False)),
    # END GENERATED
}


def registry_methods() -> dict[str, tuple[tuple[str, bool], ...]]:
    """The same index computed from the registry (imports every check module: slow)."""
    from .registry import all_claims

    return {c.id: tuple((m, s.default) for m, s in c.checks.items()) for c in all_claims()}


def render(methods: dict[str, tuple[tuple[str, bool], ...]]) -> str:
    """The generated block of this file for ``methods``."""
    lines = ["    # BEGIN GENERATED"]
    for cid, ms in methods.items():
        inner = ", ".join(f"({m!r}, {d})".replace("'", '"') for m, d in ms)
        if len(ms) == 1:
            inner += ","
        lines.append(f'    "{cid}": ({inner}),')
    lines.append("    # END GENERATED")
    return "\n".join(lines)


def write_index(path: Path | None = None) -> Path:
    """Rewrite the generated block of this module from the registry."""
    path = path or Path(__file__)
    text = path.read_text()
    start = text.index("    # BEGIN GENERATED")
    end = text.index("    # END GENERATED") + len("    # END GENERATED")
    path.write_text(text[:start] + render(registry_methods()) + text[end:])
    return path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--write"]:
        print(f"wrote {write_index()}")
        return 0
    fresh = registry_methods()
    if fresh == METHODS:
        print("method index is up to date")
        return 0
    print("method index is stale; run: python -m glaverify.proofs_check.method_index --write")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
