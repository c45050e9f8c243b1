"""Apply each mutant of ``mutation/catalogue.toml`` to a temporary copy of glaverify and score it.

For every mutant: copy ``theory/``, ``numerics/`` and ``proofs_check/`` into ``TMP/glaverify/`` (never the
working tree), replace the mutant's anchor string (exactly once; an anchor that is not found is **stale**,
an anchor found more than once is an error of the catalogue), then

(a) run the mapped claim checks through the command line in the copy (``glaverify check CLAIM --quick
    --json``, see ``_drive.py``) and compare with the same checks on the unmutated copy (the baseline): the
    mutant is *caught by the checks* when a record's verdict changes, a record reports an error or a tool
    error, a claim's status changes, the command exits differently, or it crashes;
(b) for mutants the checks did not catch (or every mutant with ``--all-tests``), run the mapped test
    modules with pytest in the copy: *caught by the tests* when pytest fails.

``PYTHONPATH`` puts the copy first; the drivers assert that ``glaverify`` is imported from the copy.
Prints the two scores (checks alone; checks or tests), the survivors and the stale anchors, and writes
``mutation-report.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PACKAGES = ("theory", "numerics", "proofs_check")
API_DIR = "glaverify_api"
CATALOGUE = HERE / "catalogue.toml"
#: seconds allowed for one mutant's checks / tests (a hang is scored "unknown", never caught)
TIMEOUT = 600


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    anchor: str
    replacement: str
    category: str
    description: str
    checks: tuple[str, ...]
    tests: tuple[str, ...]
    section: str = "stable"
    #: why a known survivor survives (shown with it; the full reasoning is in docs/reliability.md)
    note: str = ""


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # "caught-checks", "caught-tests", "wrong-blame", "unknown", "survived", "stale", "ambiguous"
    evidence: list[str] = field(default_factory=list)
    seconds: float = 0.0


def load_catalogue(path: Path = CATALOGUE) -> list[Mutant]:
    data = tomllib.loads(path.read_text())
    out = []
    seen = set()
    for section in ("stable", "moving"):
        for m in data.get(section, []):
            if m["id"] in seen:
                raise ValueError(f"mutant id {m['id']!r} twice in {path}")
            seen.add(m["id"])
            out.append(Mutant(id=m["id"], file=m["file"], anchor=m["anchor"], replacement=m["replacement"],
                              category=m["category"], description=m["description"],
                              checks=tuple(m.get("checks", ())), tests=tuple(m.get("tests", ())),
                              section=section, note=m.get("note", "")))
    return out


def make_copy(root: Path) -> Path:
    """``root/glaverify/{theory,numerics,proofs_check}``, glaverify_api/*.py and the drivers; returns root."""
    pkg = root / "glaverify"
    pkg.mkdir(parents=True)
    # the top-level package (``glaverify`` = glaverify_api/: the library API and the pytest11 plugin the
    # tests load through the entry point), so nothing of the installed tree is imported by the copy
    for src in sorted((REPO / API_DIR).glob("*.py")):
        shutil.copy(src, pkg / src.name)
    for name in PACKAGES:
        shutil.copytree(REPO / name, pkg / name, ignore=shutil.ignore_patterns("__pycache__"))
    if (REPO / "examples").is_dir():  # review 9: tests read examples/*.toml relative to the working directory
        shutil.copytree(REPO / "examples", root / "examples")
    shutil.copy(HERE / "_drive.py", root / "_drive.py")
    shutil.copy(HERE / "_pytest_guard.py", root / "mutation_pytest_guard.py")
    return root


def apply(root: Path, m: Mutant) -> str | None:
    """Apply ``m`` in the copy; returns None, or "stale" / "ambiguous"."""
    target = root / "glaverify" / m.file
    if not target.is_file():
        return "stale"
    text = target.read_text()
    count = text.count(m.anchor)
    if count == 0:
        return "stale"
    if count > 1:
        return "ambiguous"
    target.write_text(text.replace(m.anchor, m.replacement, 1))
    return None


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root)
    env["GLAVERIFY_MUTATION_ROOT"] = str(root)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _default_signals() -> None:
    """In the child: SIGINT back to its default (a runner started in the background inherits SIG_IGN, and
    the tests that send themselves a SIGINT would then fail on every mutant, unmutated copy included)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)


def run_checks(root: Path, specs: tuple[str, ...]) -> dict[str, dict]:
    """{spec: {"exit", "result"}} from the driver; {"__fatal__": ...} if the driver could not run."""
    try:
        proc = subprocess.run([sys.executable, str(root / "_drive.py"), str(root), *specs], cwd=root,
                              env=_env(root), capture_output=True, text=True, timeout=TIMEOUT,
                              preexec_fn=_default_signals)
    except subprocess.TimeoutExpired:
        return {"__fatal__": {"reason": f"timeout after {TIMEOUT} s", "timeout": True}}
    out: dict[str, dict] = {}
    for line in proc.stdout.splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "fatal" in row:
            raise RuntimeError(row["fatal"])  # the copy is not what runs: the whole run is invalid
        out[row["spec"]] = row
    if proc.returncode != 0 or len(out) != len(specs):
        out["__fatal__"] = {"reason": f"driver exit {proc.returncode}", "stderr": proc.stderr[-2000:]}
    return out


def summarise(row: dict) -> dict:
    """What is compared with the baseline: exit code, claim status, record verdicts/errors by method."""
    res = row.get("result") or {}
    recs = {r["method"]: (r["verdict"], r.get("error") or "", r.get("tool_error") or "")  # review 9: texts
            for r in res.get("records", [])}
    return {"exit": row.get("exit"), "status": res.get("status", res.get("verdict")), "records": recs}


def differences(base: dict, mut: dict) -> list[str]:
    out = []
    if base["exit"] != mut["exit"]:
        out.append(f"exit {base['exit']} -> {mut['exit']}")
    if base["status"] != mut["status"]:
        out.append(f"status {base['status']!r} -> {mut['status']!r}")
    for method, (v, err, tool) in mut["records"].items():
        b = base["records"].get(method)
        if b is None:
            continue
        if v != b[0]:
            out.append(f"{method}: {b[0]} -> {v}")
        if err and not b[1]:
            out.append(f"{method}: crashed ({err[:300]})")
        if tool and not b[2]:
            out.append(f"{method}: tool error ({tool[:300]})")
    return out


def run_tests(root: Path, tests: tuple[str, ...]) -> tuple[bool | None, str]:
    """(caught, last lines): pytest on ``tests`` (paths of the working tree's tests, code from the copy)."""
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           "-p", "mutation_pytest_guard", "-m", "not slow", *[str(REPO / t) for t in tests]]
    try:
        # cwd = the repository (tests read examples/ and tests/data/ by relative path, as under `make test`);
        # the code still comes from the copy: PYTHONPATH puts it first and the guard plugin asserts it
        proc = subprocess.run(cmd, cwd=REPO, env=_env(root), capture_output=True, text=True, timeout=TIMEOUT,
                              preexec_fn=_default_signals)
    except subprocess.TimeoutExpired:
        return None, f"timeout after {TIMEOUT} s"  # review 9: a hang proves nothing either way
    tail = "\n".join(proc.stdout.strip().splitlines()[-2:])
    if proc.returncode in (4, 5):
        raise RuntimeError(f"pytest could not run {tests}: exit {proc.returncode}\n{proc.stdout[-1500:]}")
    return proc.returncode != 0, tail


def score_status(status: str, ev: list[str], timed_out: bool, caught_tests: bool | None) -> str:
    """Review of issue 10, finding 9. Every mutant is a fault of our own code, so a mutant that makes a
    check print ``refuted`` is *wrong blame* (the tool blamed the theory), not caught; a timeout of the
    checks (with nothing else observed) or of the tests is *unknown*, not caught."""
    # the claim's status is what a user reads (a record may say `refuted` while the claim is a contradiction,
    # i.e. a tool error: evidence.refutation_contradicted); a claim status turned `refuted` is wrong blame
    if any("status '" in e and "-> 'refuted" in e for e in ev):
        return "wrong-blame"
    if status == "survived" and (timed_out or caught_tests is None):
        return "unknown"
    return status


def baseline_test_failures(root: Path, tests: tuple[str, ...]) -> str:
    """Run the mapped test modules once on the unmutated copy: '' if they pass, else pytest's last lines."""
    if not tests:
        return ""
    caught, tail = run_tests(root, tests)
    return "" if caught is False else tail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mutation", description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", help="mutant ids to run (default: all)")
    ap.add_argument("--all-tests", action="store_true",
                    help="also run the tests of mutants the checks caught")
    ap.add_argument("--list", action="store_true", help="list the catalogue and exit")
    ap.add_argument("--anchors", action="store_true",
                    help="only check that every anchor occurs exactly once in the working tree, then exit")
    ap.add_argument("--report", default="mutation-report.json", help="where to write the JSON report")
    ap.add_argument("--catalogue", default=str(CATALOGUE), help="catalogue file (default: the shipped one)")
    args = ap.parse_args(argv)
    cat = load_catalogue(Path(args.catalogue))
    if args.list:
        for m in cat:
            print(f"{m.id:28s} {m.section:7s} {m.category:18s} {m.file}: {m.description}")
        print(f"{len(cat)} mutants")
        return 0
    if args.anchors:
        return check_anchors(cat)
    if args.only:
        unknown = set(args.only) - {m.id for m in cat}
        if unknown:
            print(f"error: --only: unknown mutant id(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        cat = [m for m in cat if m.id in set(args.only)]
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="glaverify-mutation-") as tmp:
        base_root = make_copy(Path(tmp) / "baseline")
        specs = tuple(sorted({s for m in cat for s in m.checks}))
        print(f"baseline: {len(specs)} check spec(s) on the unmutated copy ...", flush=True)
        base_rows = run_checks(base_root, specs)
        if "__fatal__" in base_rows:
            print(f"error: baseline run failed: {base_rows['__fatal__']}", file=sys.stderr)
            return 1
        baseline = {s: summarise(base_rows[s]) for s in specs}
        failing = baseline_test_failures(base_root, tuple(sorted({t for m in cat for t in m.tests})))
        if failing:  # review 9: a test that fails unmutated cannot catch a mutant
            print(f"error: the mapped tests fail on the unmutated copy: {failing}", file=sys.stderr)
            return 1
        for i, m in enumerate(cat, 1):
            t0 = time.perf_counter()
            root = make_copy(Path(tmp) / f"m{i:03d}")
            problem = apply(root, m)
            if problem:
                outcomes.append(Outcome(m, problem, [f"anchor {problem} in {m.file}"]))
            else:
                rows = run_checks(root, m.checks)
                ev: list[str] = []
                timed_out = rows.get("__fatal__", {}).get("timeout", False)
                if "__fatal__" in rows and not timed_out:
                    fatal = rows["__fatal__"]
                    ev.append(f"checks crashed: {fatal['reason']}: {fatal.get('stderr', '')[-300:]}")
                for s in m.checks:
                    if s in rows:
                        ev += [f"{s}: {d}" for d in differences(baseline[s], summarise(rows[s]))]
                caught_checks = bool(ev)
                caught_tests: bool | None = False
                if m.tests and (not caught_checks or args.all_tests):
                    caught_tests, tail = run_tests(root, m.tests)
                    ev.append(f"tests {'failed' if caught_tests else 'passed'}: {tail}")
                status = ("caught-checks" if caught_checks
                          else "caught-tests" if caught_tests else "survived")
                status = score_status(status, ev, timed_out, caught_tests)
                outcomes.append(Outcome(m, status, ev))
            shutil.rmtree(root, ignore_errors=True)
            o = outcomes[-1]
            o.seconds = time.perf_counter() - t0
            print(f"[{i}/{len(cat)}] {m.id}: {o.status} ({o.seconds:.0f} s)"
                  + (f" — {o.evidence[0]}" if o.evidence else ""), flush=True)
    return report(outcomes, Path(args.report))


def check_anchors(cat: list[Mutant]) -> int:
    """Anchors-only mode: every anchor must occur exactly once in its file (read, nothing is written)."""
    bad = 0
    for m in cat:
        target = REPO / m.file
        count = target.read_text().count(m.anchor) if target.is_file() else 0
        if count != 1:
            bad += 1
            kind = "STALE" if count == 0 else f"AMBIGUOUS ({count}x)"
            print(f"  {kind}: {m.id} ({m.section}) {m.file}")
    print(f"{len(cat)} anchors checked, {bad} stale or ambiguous")
    return 1 if bad else 0


def report(outcomes: list[Outcome], path: Path) -> int:
    live = [o for o in outcomes if o.status not in ("stale", "ambiguous")]
    wrong = [o for o in live if o.status == "wrong-blame"]
    unknown = [o for o in live if o.status == "unknown"]
    by_checks = sum(o.status == "caught-checks" for o in live)
    by_either = by_checks + sum(o.status == "caught-tests" for o in live)
    n = max(len(live), 1)
    print()
    print(f"mutants run: {len(live)} (stale {sum(o.status == 'stale' for o in outcomes)}, "
          f"ambiguous anchors {sum(o.status == 'ambiguous' for o in outcomes)})")
    print(f"caught by the checks alone:  {by_checks}/{len(live)} = {100 * by_checks / n:.1f} %"
          "  (target >= 90 %)")
    print(f"caught by checks or tests:   {by_either}/{len(live)} = {100 * by_either / n:.1f} %"
          "  (target >= 95 %)")
    print(f"wrong blame (our fault printed as 'refuted'): {len(wrong)}/{len(live)}; unknown (timeout): "
          f"{len(unknown)}/{len(live)}  (neither counts as caught)")
    for o in wrong + unknown:
        print(f"  {o.status.upper()}: {o.mutant.id} ({o.mutant.file}) {o.evidence[0] if o.evidence else ''}")
    for o in outcomes:
        if o.status in ("survived", "caught-tests"):
            tag = "SURVIVOR" if o.status == "survived" else "tests only"
            print(f"  {tag}: {o.mutant.id} ({o.mutant.file}) {o.mutant.description}"
                  + (f" [{o.mutant.note}]" if o.mutant.note else ""))
        elif o.status in ("stale", "ambiguous"):
            print(f"  {o.status.upper()}: {o.mutant.id} ({o.mutant.section}) {o.mutant.file}")
    path.write_text(json.dumps({
        "scores": {"run": len(live), "caught_by_checks": by_checks, "caught_by_checks_or_tests": by_either,
                   "wrong_blame": len(wrong), "unknown": len(unknown)},
        "mutants": [{"id": o.mutant.id, "file": o.mutant.file, "category": o.mutant.category,
                     "section": o.mutant.section, "status": o.status, "evidence": o.evidence,
                     "seconds": round(o.seconds, 1)} for o in outcomes],
    }, indent=1))
    print(f"wrote {path}")
    return 0
