"""The search engine as a claim check (``glaverify check R1 --method search``; docs/reliability.md, "The
search engine as a check").

A small seeded run of the engine (:func:`.engine.search`) on the claim's registered search, after two
controls of the engine's decision step, each on a planted case with a known answer:

* **confirmation control** — the claim's own independent method (``SearchSpec.confirm``) at one fixed small
  instance: with a planted wrong formula (R1: the linear term halved) it must confirm the failure; with the
  project's formula it must not;
* **engine control** — the engine on a spec whose fast property always fails: when the (stub) independent
  method does not confirm, the engine must not refute; when it confirms, the engine must refute.

A control that comes out wrong is a tool error (never a refutation). Then the run itself: no failing
instance → ``supported`` with the number of instances tried (and the pass/fail bound on the failure rate);
a failure the independent method confirms → ``refuted`` with the instance; a failure it does not confirm →
tool error (the fast route of our own code is wrong); undecided → ``inconclusive``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from glaverify.numerics.consistency import ToolError

from .engine import search
from .spec import Confirmation, Outcome, SearchSpec, get_spec

#: instances of the seeded run (``--quick``: half); about 1–2 s for R1 on an idle core
SEARCH_CHECK_BUDGET = 40
#: size limits of the seeded run (a check, not a hunt: ``glaverify search`` is the long run)
SEARCH_CHECK_MAX = {"d": 4, "n": 8}

#: the fixed small instance of the confirmation control (d = 1, n = 2: the Wick route confirms exactly)
CONTROL_INSTANCE: dict[str, Any] = {
    "model": {"d": 1, "n": 2, "noise_var": 0.5, "features": {"covariance": "identity", "scale": 1.0},
              "tasks": {"family": "iid"}},
    "P": [[1.0]],
    "omega": [1.0, 0.5],
}


def _halved_linear_term(sigma: Any, P: Any, omega: Any, R: Any, r: Any, noise_var: Any) -> Any:
    """R1 with the linear term ``−2(rᵀω) tr(PΣ²)`` halved: a planted wrong formula."""
    from glaverify.theory.risk import risk_coefficients_sym, trace, wpgd_risk_from_coefficients

    s = trace(sigma) + noise_var
    rw, a, b = risk_coefficients_sym(omega, R, r, s)
    return wpgd_risk_from_coefficients(sigma, P, rw / 2, a, b, noise_var)


def planted_specs(claim: str) -> tuple[SearchSpec, SearchSpec] | None:
    """(the claim's spec with a planted wrong formula, the claim's own spec), or None if no planted formula
    is known for ``claim``."""
    if claim != "R1":
        return None
    from . import claims_risk as CR

    return CR.r1_spec(_halved_linear_term), CR.r1_spec()


def confirmation_control(claim: str) -> dict[str, Any]:
    """The independent method on the planted instance: it must confirm the planted wrong formula and must
    not confirm the claim's own. Raises ToolError otherwise."""
    specs = planted_specs(claim)
    if specs is None:
        return {"skipped": f"no planted formula for {claim}"}
    wrong, right = specs
    pos: Confirmation = wrong.confirm(CONTROL_INSTANCE)
    neg: Confirmation = right.confirm(CONTROL_INSTANCE)
    out = {"instance": CONTROL_INSTANCE, "planted_wrong_formula": "linear term halved",
           "positive": {"confirmed": pos.confirmed, "summary": pos.summary},
           "negative": {"confirmed": neg.confirmed, "summary": neg.summary}}
    if pos.confirmed is not True:
        raise ToolError(f"{claim} search control: the independent method ({pos.method}) did not confirm a "
                        f"planted wrong formula ({pos.summary})")
    if neg.confirmed is not False:
        raise ToolError(f"{claim} search control: the independent method ({neg.method}) confirmed a failure "
                        f"of the claim's own formula at the control instance ({neg.summary})")
    return out


def engine_control(claim: str) -> dict[str, Any]:
    """The engine's decision on a fast property that always fails: refuted exactly when the (stub)
    independent method confirms. Raises ToolError otherwise."""
    base = get_spec(claim)
    out = {}
    for confirmed, want in ((False, "inconclusive"), (True, "refuted")):
        spec = replace(base, prop=lambda inst: Outcome(False, 1.0, 0.5),
                       confirm=lambda inst, c=confirmed: Confirmation(c, "planted", True, "planted control"))
        rep = search(spec, budget=3, seed=0, max_d=1, max_n=1)
        if rep.interrupted:  # the engine swallowed a Ctrl-C: pass it on (the user wants to stop)
            raise KeyboardInterrupt
        out[f"confirmed={confirmed}"] = rep.verdict
        if rep.verdict != want:
            raise ToolError(f"{claim} search control: a failing instance the independent method "
                            f"{'confirms' if confirmed else 'does not confirm'} gave '{rep.verdict}' "
                            f"(must be '{want}')")
    return out


def run_search_check(claim: str, seed: int, quick: bool = False, budget: int | None = None,
                     spec: SearchSpec | None = None) -> dict[str, Any]:
    """Controls, then the seeded run. Returns what the check records: ``verdict`` (supported / refuted /
    inconclusive), ``checked``, the report and the controls. Raises ToolError on a failed control or an
    unconfirmed failure. ``spec`` replaces the claim's registered search in the run (tests plant errors)."""
    t0 = time.perf_counter()
    controls = {"confirmation": confirmation_control(claim), "engine": engine_control(claim)}
    controls["seconds"] = round(time.perf_counter() - t0, 3)
    n = budget or (SEARCH_CHECK_BUDGET // 2 if quick else SEARCH_CHECK_BUDGET)
    rep = search(spec or claim, budget=n, seed=seed, max_d=SEARCH_CHECK_MAX["d"], max_n=SEARCH_CHECK_MAX["n"])
    if rep.interrupted:  # the engine swallowed a Ctrl-C: pass it on (the user wants to stop)
        raise KeyboardInterrupt
    conf = rep.confirmation
    if rep.counterexample is not None and conf is not None and conf.confirmed is False:
        raise ToolError(f"{claim} search: the fast route ({rep.fast_method}) failed at an instance where the "
                        f"independent method ({rep.confirm_method}) says the claim holds: "
                        f"{rep.confirmation.summary}; instance {rep.counterexample}")
    return {"verdict": rep.verdict, "checked": rep.checked, "report": rep.to_dict(), "controls": controls,
            "budget": n}
