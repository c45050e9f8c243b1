"""``glaverify show ID``: everything about one claim in one place.

The statement (text and LaTeX), the claims it uses and the claims that use it, each check with its
``module:line`` and the provers (functions of ``glaverify.theory``) it calls, the search (what it quantifies
over, its fast and confirming methods), the tests that exercise it, its docs pages and its last verdict.
"""

import ast
import inspect
import json
from pathlib import Path
from typing import Annotated, Any

import typer

#: docs page of each claim family
FAMILY_PAGES = {
    "gla": "docs/gla.md",
    "risk": "docs/risk.md",
    "landscape": "docs/landscape.md",
    "gating": "docs/gating.md",
}

REPO_ROOT = Path(__file__).resolve().parents[2]


def _rel(path: str | None) -> str:
    if not path:
        return "?"
    p = Path(path).resolve()
    try:
        return str(p.relative_to(REPO_ROOT))
    except ValueError:
        return str(p)


def _code_names(code: Any) -> set[str]:
    names = set(code.co_names)
    for c in code.co_consts:
        if inspect.iscode(c):
            names |= _code_names(c)
    return names


def provers(fn: Any, depth: int = 2, _seen: set | None = None) -> list[str]:
    """Functions of ``glaverify.theory`` that ``fn`` calls, directly, through a module alias, or through
    helpers of its own module (``depth`` levels)."""
    fn = inspect.unwrap(fn)
    code = getattr(fn, "__code__", None)
    seen = _seen if _seen is not None else set()
    if code is None or id(fn) in seen:
        return []
    seen.add(id(fn))
    names = _code_names(code)
    glb = getattr(fn, "__globals__", {})
    out: list[str] = []
    for name in sorted(names):
        obj = glb.get(name)
        mod = getattr(obj, "__name__", "") if inspect.ismodule(obj) else getattr(obj, "__module__", "")
        if inspect.ismodule(obj) and mod.startswith("glaverify.theory"):
            out += [f"{mod}.{a}" for a in sorted(names) if callable(getattr(obj, a, None)) and a != name]
        elif callable(obj) and mod.startswith("glaverify.theory"):
            out.append(f"{mod}.{name}")
        elif inspect.isfunction(obj) and mod == getattr(fn, "__module__", None) and depth > 0:
            out += provers(obj, depth - 1, seen)
    return sorted(dict.fromkeys(out))


def where(fn: Any) -> str:
    fn = inspect.unwrap(fn)
    try:
        _, line = inspect.getsourcelines(fn)
        return f"{_rel(inspect.getsourcefile(fn))}:{line}"
    except (OSError, TypeError):
        return "?"


def tests_for(claim_id: str, fn_names: list[str], tests_dir: Path | None = None) -> list[str]:
    """Test functions (``file::name``) whose source names one of the claim's check functions, the claim's
    search spec, or the claim id as a string literal."""
    tdir = tests_dir or REPO_ROOT / "tests"
    if not tdir.is_dir():
        return []
    keys = [
        *fn_names,
        f'"{claim_id}"',
        f"'{claim_id}'",
        f"{claim_id.lower()}_spec",
        f"test_{claim_id.lower()}_",
    ]
    out = []
    for f in sorted(tdir.glob("test_*.py")):
        try:
            src = f.read_text()
            tree = ast.parse(src)
        except (OSError, SyntaxError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                seg = ast.get_source_segment(src, node) or ""
                if any(k in seg for k in keys):
                    out.append(f"tests/{f.name}::{node.name}")
    return out


def claim_info(claim_id: str, report: Path | None = None) -> dict[str, Any]:
    """A JSON-friendly description of one claim (``glaverify show`` and docs/claims.md)."""
    from glaverify.proofs_check.registry import all_claims, get_claim
    from glaverify.proofs_check.runner import last_verdicts
    from glaverify.proofs_check.search.spec import NO_SEARCH, load_specs

    c = get_claim(claim_id)
    used_by = [o.id for o in all_claims() if c.id in o.uses]
    checks = []
    for m, spec in c.checks.items():
        checks.append(
            {
                "method": m,
                "default": spec.default,
                "function": getattr(spec.fn, "__qualname__", "?"),
                "where": where(spec.fn),
                "provers": provers(spec.fn),
                "description": spec.description,
            }
        )
    s = load_specs().get(c.id)
    search = (
        {
            "quantifies": list(s.quantifies),
            "ranges": s.ranges,
            "fast": s.fast_method,
            "confirmation": s.confirm_method,
            "where": where(s.prop),
        }
        if s is not None
        else {"none": NO_SEARCH.get(c.id, "no search declared")}
    )
    fn_names = [getattr(sp.fn, "__name__", "") for sp in c.checks.values()]
    fn_names = [n for n in fn_names if n and n != "<lambda>"]
    verdicts = last_verdicts(report) if report is not None else {}
    return {
        "id": c.id,
        "family": c.family,
        "title": c.title,
        "statement": c.statement,
        "latex": c.latex,
        "uses": list(c.uses),
        "used_by": used_by,
        "checks": checks,
        "search": search,
        "tests": tests_for(c.id, fn_names),
        "docs": [FAMILY_PAGES.get(c.family, "docs/index.md"), f"docs/claims.md#{c.id.lower()}"],
        "last_verdict": verdicts.get(c.id),
    }


def register(app: typer.Typer) -> None:
    from glaverify.proofs_check.cli import JsonOpt

    @app.command("show")
    def show_cmd(
        claim: Annotated[str, typer.Argument(help="Claim id, e.g. A5.")],
        report: Annotated[Path, typer.Option(help="verification.json with the last verdicts.")] = Path(
            "reports/verification.json"
        ),
        json_out: JsonOpt = False,
    ) -> None:
        """Statement, uses, checks (module:line, provers), search, tests, docs and last verdict of a claim."""
        from glaverify.numerics.errors import InputError
        from glaverify.proofs_check.cli import fail, out_console, styled

        try:
            info = claim_info(claim, report)
        except InputError as exc:
            fail(exc)
            return
        if json_out:
            typer.echo(json.dumps(info))
            return
        p = out_console.print
        p(f"[bold]{info['id']}[/] ({info['family']}): {info['title']}")
        p(f"  statement: {info['statement']}", markup=False, highlight=False)
        p(f"  LaTeX:     {info['latex']}", markup=False, highlight=False)
        p(f"  uses: {', '.join(info['uses']) or '-'}; used by: {', '.join(info['used_by']) or '-'}")
        lv = info["last_verdict"]
        p(f"  last verdict: {styled(lv) if lv else f'- (no {report})'}")
        p("  checks:")
        for ch in info["checks"]:
            p(
                f"    {ch['method']}{'' if ch['default'] else ' (not in verify)'}: {ch['function']} at "
                f"{ch['where']}",
                highlight=False,
            )
            if ch["provers"]:
                p(f"      provers: {', '.join(ch['provers'])}", highlight=False)
        s = info["search"]
        if "none" in s:
            p(f"  search: none ({s['none']})", highlight=False)
        else:
            p(
                f"  search: over {', '.join(s['quantifies'])}; fast: {s['fast']}; confirmed by: "
                f"{s['confirmation']} ({s['where']})",
                highlight=False,
            )
        p(f"  tests ({len(info['tests'])}):", highlight=False)
        for t in info["tests"][:25]:
            p(f"    {t}", highlight=False)
        p(f"  docs: {', '.join(info['docs'])}", highlight=False)
