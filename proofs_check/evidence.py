"""Verdicts and evidence records (docs/evidence.md).

A check returns one :class:`Evidence` record. Its verdict is never stronger than what the record holds:

- ``proved``: an exact symbolic identity or exact rational computation for the stated dimensions;
- ``certified``: numeric, with a certificate that could have failed (residuals, Hessian spectra, gaps)
  and the tolerance it was held to;
- ``supported``: sampled evidence (Monte Carlo with a CI, randomized runs with their count);
- ``refuted``: a counterexample, reproducible from the recorded seed and config;
- ``inconclusive``: with the reason.
"""

from __future__ import annotations

import functools
import importlib.metadata as md
import platform
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

import numpy as np


class Verdict(str, Enum):
    PROVED = "proved"
    CERTIFIED = "certified"
    SUPPORTED = "supported"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value


#: strength order for combining non-refuting verdicts
_STRENGTH = {Verdict.PROVED: 3, Verdict.CERTIFIED: 2, Verdict.SUPPORTED: 1, Verdict.INCONCLUSIVE: 0}


def combine_verdicts(verdicts: list[Verdict], scopes: list[str] | None = None) -> Verdict:
    """A claim's verdict from its records: ``refuted`` if any record refutes, otherwise the strongest of
    proved > certified > supported among the records that cover the whole claim, otherwise
    ``inconclusive``. A record with scope ``"partial"`` (it establishes a lemma or one part of the claim)
    can refute the claim but never raises its verdict."""
    vs = [Verdict(v) for v in verdicts]
    sc = list(scopes) if scopes is not None else ["full"] * len(vs)
    if Verdict.REFUTED in vs:
        return Verdict.REFUTED
    full = [v for v, s in zip(vs, sc, strict=True) if s == "full"]
    if not full:
        return Verdict.INCONCLUSIVE
    return max(full, key=lambda v: _STRENGTH[v])


def combine_records(records: list[Evidence]) -> Verdict:
    return combine_verdicts([r.verdict for r in records], [r.scope for r in records])


def _combiner_inconsistency(records: list[Evidence], verdict: Verdict) -> str | None:
    """An independent reading of the combination rule: what the combined verdict must satisfy."""
    vs = [r.verdict for r in records]
    if Verdict.REFUTED in vs and verdict is not Verdict.REFUTED:
        return f"a record refutes the claim but the combined verdict is {verdict.value!r}"
    if verdict is Verdict.REFUTED and Verdict.REFUTED not in vs:
        return "combined verdict 'refuted' without a refuting record"
    full = {r.verdict for r in records if r.scope == "full"}
    if verdict not in (Verdict.INCONCLUSIVE, Verdict.REFUTED) and verdict not in full:
        return f"combined verdict {verdict.value!r} is held by no full-scope record"
    # the strength order spelled out again (not _STRENGTH), so a wrong order is seen by this check
    order = ["inconclusive", "supported", "certified", "proved"]
    if verdict is not Verdict.REFUTED:
        stronger = [v for v in full if order.index(v.value) > order.index(verdict.value)]
        if stronger:
            return (f"combined verdict {verdict.value!r} is weaker than a full-scope record's "
                    f"{stronger[0].value!r}")
    return None


# ------------------------------------------------------------------------------ disagreement (claim status)
#: verdicts that establish a claim without sampling (exact or certified)
_DECISIVE = frozenset({Verdict.PROVED, Verdict.CERTIFIED})
#: verdicts that speak for the claim
_POSITIVE = frozenset({Verdict.PROVED, Verdict.CERTIFIED, Verdict.SUPPORTED})


@dataclass(frozen=True)
class ClaimStatus:
    """A claim's status computed from its records (docs/evidence.md, "Disagreeing evidence").

    ``verdict`` is :func:`combine_records`; ``disagreement`` is true when the records do not tell one
    story: one record proves or certifies the claim and another (full or partial scope) is inconclusive or
    refutes it, or one record supports the claim and another refutes it. An inconclusive record that
    *abstained* (``Evidence.abstained``: the check did not run, e.g. a size limit or a missing optional
    package) brings no evidence and never disagrees. ``tool_errors`` lists the records in which two routes of
    our own code disagreed (``Evidence.tool_error``): an error of the tool, never a finding about the theory.
    """

    verdict: Verdict
    disagreement: bool = False
    #: "method: verdict" of the records on the minority side (those that do not match ``verdict``)
    disagreeing: tuple[str, ...] = ()
    #: "method: message" of the records that report an internal inconsistency of the tool
    tool_errors: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """``proved``, ``proved, with disagreeing evidence``, ``refuted, with a tool error``, ..."""
        out = self.verdict.value
        if self.disagreement:
            out += ", with disagreeing evidence"
        if self.tool_errors:
            out += ", with a tool error"
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict.value, "status": self.text, "disagreement": self.disagreement,
                "disagreeing": list(self.disagreeing), "tool_errors": list(self.tool_errors)}


def claim_status(records: list[Evidence]) -> ClaimStatus:
    """The :class:`ClaimStatus` of one claim's records (all scopes count for disagreement).

    Never raises: if the verdict combiner crashes, or returns a verdict that contradicts the records (a
    hidden refutation, a verdict no full-scope record holds), the status is ``inconclusive`` with a tool
    error, so that ``verify`` still writes its report."""
    try:
        verdict = Verdict(combine_records(records)) if records else Verdict.INCONCLUSIVE
    except Exception as exc:  # noqa: BLE001 - the combiner is our code; its crash is a tool error
        return ClaimStatus(Verdict.INCONCLUSIVE, tool_errors=(
            f"combiner: verdict combiner crashed ({type(exc).__name__}: {exc})",))
    problem = _combiner_inconsistency(records, verdict)
    if problem:
        return ClaimStatus(Verdict.INCONCLUSIVE, tool_errors=(f"combiner: {problem}",))
    clash = refutation_contradicted(records) if verdict is Verdict.REFUTED else None
    if clash:  # our own routes contradict each other: an error of the tool, never a refutation
        refuting = tuple(f"{r.method}: refuted" for r in records if r.verdict is Verdict.REFUTED)
        own = tuple(f"{r.method}: {r.tool_error}" for r in records if r.tool_error)
        return ClaimStatus(Verdict.INCONCLUSIVE, True, refuting, (f"contradiction: {clash}",) + own)
    vs = [r.verdict for r in records]
    counting = [r for r in records if _counts(r)]
    has_decisive = any(r.verdict in _DECISIVE for r in counting)
    has_positive = any(r.verdict in _POSITIVE for r in counting)
    has_refuted = Verdict.REFUTED in vs
    has_open = any(r.verdict is Verdict.INCONCLUSIVE for r in counting)
    disagreement = (has_decisive and (has_open or has_refuted)) or (has_positive and has_refuted)
    minority: list[str] = []
    if disagreement:
        if verdict in (Verdict.REFUTED, Verdict.INCONCLUSIVE):  # review 7: positives are the minority
            minority = [f"{r.method}: {r.verdict.value}" for r in counting if r.verdict in _POSITIVE]
        else:
            minority = [f"{r.method}: {r.verdict.value}" for r in counting
                        if r.verdict in (Verdict.INCONCLUSIVE, Verdict.REFUTED)]
    tool = tuple(f"{r.method}: {r.tool_error}" for r in records if r.tool_error)
    expected = _disagreement_restated(records)
    if disagreement != expected:
        tool += (f"combiner: disagreement computed as {disagreement} but the rule gives {expected}",)
    return ClaimStatus(verdict, disagreement, tuple(minority), tool)


def _covers(proof: Evidence, ref: Evidence) -> bool:
    """Whether a proof speaks about the model a refutation was found on: a dimension-free proof (dims
    ``all``) covers every model; a proof for one model covers a refutation at the same dims and config."""
    if any(v == "all" for v in (proof.dims or {}).values()):
        return True
    pd, rd = proof.dims or {}, ref.dims or {}
    same = [k for k in ("d", "n") if k in pd]
    return bool(same) and all(pd[k] == rd.get(k) for k in same) and proof.config == ref.config


def refutation_contradicted(records: list[Evidence]) -> str | None:
    """Why a refutation among ``records`` cannot be accepted, or None (docs/evidence.md, "Who is to blame").

    A claim cannot be both proved and refuted on the same model: if a full-scope ``proved`` record covers
    the model of a ``refuted`` record, one of our own routes is wrong. Likewise a refutation is not accepted
    while another record of the same claim reports our own routes disagreeing (``tool_error``): the refuting
    route may share the faulty piece. Either way the claim is ``inconclusive`` with a tool error (exit 3)."""
    refuting = [r for r in records if r.verdict is Verdict.REFUTED]
    if not refuting:
        return None
    proofs = [p for p in records if p.verdict is Verdict.PROVED and p.scope == "full"]
    for ref in refuting:
        for proof in proofs:
            if _covers(proof, ref):
                return (f"{ref.method} refutes the claim on a model that {proof.method} proves it for: "
                        "one of our own routes is wrong")
    faults = [r.method for r in records if r.tool_error or r.error]  # a tool error, or a crashed check
    if faults:
        return (f"{', '.join(r.method for r in refuting)} refute(s) the claim while {', '.join(faults)} "
                "report(s) our own routes disagreeing: the refutation is not confirmed")
    return None


def _counts(rec: Evidence) -> bool:
    """Whether a record counts for the disagreement rule: an abstained check, a crashed check (``error``)
    and a tool error bring no evidence about the claim (review of issue 10, finding 7)."""
    return not (rec.verdict is Verdict.INCONCLUSIVE and (rec.abstained or rec.error or rec.tool_error))


def _disagreement_restated(records: list[Evidence]) -> bool:
    """The disagreement rule of docs/evidence.md spelled out again on the verdict names (an independent
    reading that audits :func:`claim_status`)."""
    names = [r.verdict.value for r in records
             if not (r.verdict.value == "inconclusive" and (r.abstained or r.error or r.tool_error))]
    proves = any(v in ("proved", "certified") for v in names)
    backs = any(v in ("proved", "certified", "supported") for v in names)
    return (proves and ("inconclusive" in names or "refuted" in names)) or (backs and "refuted" in names)


def audit_record(rec: Evidence) -> str | None:
    """The minimum fields per verdict, restated independently of ``Evidence.__post_init__`` (the runner
    audits every record a check returns; a record short of its evidence is a tool error)."""
    v = Verdict(rec.verdict).value
    if v == "supported" and rec.sample_size is None:
        return "a 'supported' record without its sample size"
    if v == "supported" and not rec.ci:
        return "a 'supported' record without its confidence interval"
    if v == "certified" and rec.tolerance is None:
        return "a 'certified' record without its tolerance"
    if v == "refuted" and not rec.counterexample:
        return "a 'refuted' record without its counterexample"
    if v == "inconclusive" and not rec.summary:
        return "an 'inconclusive' record without its reason"
    return None


_PACKAGES = ("glaverify", "numpy", "scipy", "sympy", "cvxpy", "clarabel", "torch", "pydantic", "hypothesis")


def package_versions() -> dict[str, str]:
    """The Python and package versions every record carries (a fresh dict: callers may change it)."""
    return dict(_package_versions())


@functools.lru_cache(maxsize=1)
def _package_versions() -> dict[str, str]:
    # read once per process: importlib.metadata scans the installed distributions on every call (about
    # 10 ms for the nine packages), and every record of every check asks
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def jsonable(obj: Any) -> Any:
    """Convert numpy/sympy/Enum values inside ``obj`` to plain JSON types."""
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, float):
        if obj != obj or obj in (float("inf"), float("-inf")):
            return str(obj)
        return obj
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    return str(obj)


@dataclass
class Evidence:
    """One check's evidence record. ``summary`` is a one-line human reading of the result."""

    claim: str
    verdict: Verdict
    method: str
    summary: str = ""
    dims: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    tolerance: float | None = None
    residuals: dict[str, float] = field(default_factory=dict)
    sample_size: int | None = None
    ci: dict[str, float] | None = None
    counterexample: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    #: "full" when the record speaks to the whole claim, "partial" when it establishes only a part or lemma
    scope: str = "full"
    #: set when two routes of our own code disagreed (an error of the tool, not a finding about the claim):
    #: what disagreed and by how much. Such a record is ``inconclusive``; the CLI exits 3 (docs/evidence.md).
    tool_error: str | None = None
    #: an ``inconclusive`` record of a check that did not run for a stated reason (size limit, optional
    #: package missing): it brings no evidence, so it never counts as disagreeing evidence.
    abstained: bool = False

    def __post_init__(self) -> None:
        self.verdict = Verdict(self.verdict)
        if self.scope not in ("full", "partial"):
            raise ValueError(
                f"{self.claim}/{self.method}: scope must be 'full' or 'partial', not {self.scope!r}"
            )
        if self.verdict is Verdict.SUPPORTED and self.sample_size is None:
            raise ValueError(f"{self.claim}/{self.method}: a 'supported' record must state its sample size")
        if self.verdict is Verdict.SUPPORTED and not self.ci:  # review 8: every 'supported' carries a CI;
            from .passfail import confidence_of, passfail_ci  # pass/fail sampling: failure-rate bound

            self.ci = passfail_ci(max(int(self.sample_size), 1), confidence_of(self.config))
        if self.verdict is Verdict.CERTIFIED and self.tolerance is None:
            raise ValueError(f"{self.claim}/{self.method}: a 'certified' record must state its tolerance")
        if self.verdict is Verdict.REFUTED and self.counterexample is None:
            raise ValueError(f"{self.claim}/{self.method}: a 'refuted' record must carry its counterexample")
        if self.verdict is Verdict.INCONCLUSIVE and not self.summary:
            raise ValueError(f"{self.claim}/{self.method}: an 'inconclusive' record must give its reason")
        if self.tool_error is not None and self.verdict is not Verdict.INCONCLUSIVE:
            raise ValueError(f"{self.claim}/{self.method}: a record with a tool error must be 'inconclusive' "
                             "(our own routes disagreeing is not evidence about the claim)")
        if self.abstained and self.verdict is not Verdict.INCONCLUSIVE:
            raise ValueError(f"{self.claim}/{self.method}: only an 'inconclusive' record can abstain")

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        return cls(**data)


def tool_error_record(ctx: Any, claim: str, method: str, what: str, **kw: Any) -> Evidence:
    """An ``inconclusive`` record for an internal inconsistency: two routes of our own code disagreed
    (``what`` says which and by how much). Never a refutation of the claim (docs/evidence.md)."""
    return ctx.record(claim, method, Verdict.INCONCLUSIVE, f"tool error: {what}", tool_error=what, **kw)


# ------------------------------------------------------------------------------ the second combiner (h10a)
# A literal reading of the combining table of docs/evidence.md, written without claim_status, combine_*,
# _STRENGTH, _DECISIVE, _POSITIVE, _counts or _covers: the runner compares it with claim_status on every
# claim's records and on the planted cases of COMBINER_CONTROLS (docs/reliability.md, "The second combiner").
# A disagreement is a tool error of the claim (exit 3), never a verdict.


@dataclass(frozen=True)
class LiteralStatus:
    """What the table says: the verdict, whether the records disagree, and whether a refutation is
    contradicted by our own records (then the verdict is ``inconclusive`` with a tool error)."""

    verdict: str
    disagreement: bool
    contradiction: bool = False


def literal_claim_status(records: list[Evidence]) -> LiteralStatus:
    """docs/evidence.md, rule by rule, on the verdict names:

    1. any record ``refuted`` → ``refuted``; else the strongest verdict of a *full-scope* record in the order
       proved, certified, supported; else ``inconclusive`` (a partial record never raises the verdict);
    2. a refutation is contradicted when a full-scope ``proved`` record has a dims value ``all``, or has the
       same ``d``/``n`` (those it states) and the same config as the refuting record, or when any record
       carries a tool error or a crash: the claim is then ``inconclusive`` and disagreeing;
    3. records that are inconclusive *and* abstained / crashed / tool errors are left out; the others
       disagree when one is proved or certified and another inconclusive or refuted, or one is proved,
       certified or supported and another refuted."""
    names = [(r.verdict.value if isinstance(r.verdict, Enum) else str(r.verdict)) for r in records]
    if "refuted" in names:
        verdict = "refuted"
    else:
        full = [v for v, r in zip(names, records, strict=True) if r.scope == "full"]
        verdict = next((v for v in ("proved", "certified", "supported") if v in full), "inconclusive")
    if verdict == "refuted":
        for ref, rv in zip(records, names, strict=True):
            if rv != "refuted":
                continue
            for proof, pv in zip(records, names, strict=True):
                if pv != "proved" or proof.scope != "full":
                    continue
                pdims, rdims = proof.dims or {}, ref.dims or {}
                if "all" in [str(v) for v in pdims.values()]:
                    return LiteralStatus("inconclusive", True, True)
                stated = [k for k in ("d", "n") if k in pdims]
                if stated and all(rdims.get(k) == pdims[k] for k in stated) and proof.config == ref.config:
                    return LiteralStatus("inconclusive", True, True)
        if any(r.tool_error or r.error for r in records):
            return LiteralStatus("inconclusive", True, True)
    kept = [v for v, r in zip(names, records, strict=True)
            if not (v == "inconclusive" and (r.abstained or r.error or r.tool_error))]
    strong = "proved" in kept or "certified" in kept
    for_claim = strong or "supported" in kept
    disagree = (strong and ("inconclusive" in kept or "refuted" in kept)) or (for_claim and "refuted" in kept)
    return LiteralStatus(verdict, disagree)


def _planted(verdict: str, method: str, scope: str = "full", **kw: Any) -> Evidence:
    extra: dict[str, Any] = {"supported": {"sample_size": 100}, "certified": {"tolerance": 1e-9},
                             "refuted": {"counterexample": {"planted": True}}}.get(verdict, {})
    return Evidence(claim="control", verdict=Verdict(verdict), method=method, summary="planted", scope=scope,
                    **{**extra, **kw})


def combiner_controls() -> list[tuple[str, list[Evidence], LiteralStatus]]:
    """Planted record sets with the answer the table of docs/evidence.md gives, written out by hand."""
    d3 = {"d": 3, "n": 4}
    return [
        ("a proof next to an open record disagrees",
         [_planted("proved", "a"), _planted("inconclusive", "b")], LiteralStatus("proved", True)),
        ("a partial proof never raises a supported claim",
         [_planted("supported", "a"), _planted("proved", "b", scope="partial")],
         LiteralStatus("supported", False)),
        ("a partial proof alone leaves the claim open",
         [_planted("proved", "a", scope="partial")], LiteralStatus("inconclusive", False)),
        ("a refutation on another model stands and disagrees with a certificate",
         [_planted("certified", "a", dims=d3), _planted("refuted", "b", dims={"d": 5, "n": 4})],
         LiteralStatus("refuted", True)),
        ("an abstained record never disagrees",
         [_planted("proved", "a"), _planted("inconclusive", "b", abstained=True)],
         LiteralStatus("proved", False)),
        ("sampled records with one undecided sample do not disagree",
         [_planted("supported", "a"), _planted("supported", "b"), _planted("inconclusive", "c")],
         LiteralStatus("supported", False)),
        ("a refutation on a model a dimension-free proof covers is a contradiction",
         [_planted("proved", "a", dims={"d": "all", "n": "all"}), _planted("refuted", "b", dims=d3)],
         LiteralStatus("inconclusive", True, True)),
        ("a crashed record brings no evidence",
         [_planted("certified", "a"), _planted("inconclusive", "b", error="planted crash")],
         LiteralStatus("certified", False)),
    ]


def _status_problem(label: str, st: ClaimStatus, lit: LiteralStatus) -> str | None:
    contradicted = any(t.startswith("contradiction:") for t in st.tool_errors)
    got = (st.verdict.value, st.disagreement, contradicted)
    want = (lit.verdict, lit.disagreement, lit.contradiction)
    if got != want:
        return (f"second combiner: on {label}, claim_status gives (verdict, disagreement, contradiction) = "
                f"{got} but the table of docs/evidence.md gives {want}")
    return None


def combiner_control_problems(records: list[Evidence]) -> list[str]:
    """The second combiner against :func:`claim_status`: on the claim's own ``records`` and on every planted
    case of :func:`combiner_controls` (where the hand-written answer must also match). Returns the
    disagreements (each a tool error of the claim); empty when all agree."""
    problems = []
    try:
        st = claim_status(records)
        if not any(t.startswith("combiner:") for t in st.tool_errors):  # already a tool error of its own
            p = _status_problem("the claim's records", st, literal_claim_status(records))
            if p:
                problems.append(p)
        for label, case, expected in combiner_controls():
            lit = literal_claim_status(case)
            if lit != expected:
                problems.append(f"second combiner: on the planted case '{label}' the literal table gives "
                                f"{lit} but the hand-written answer is {expected}")
            p = _status_problem(f"the planted case '{label}'", claim_status(case), expected)
            if p:
                problems.append(p)
    except Exception as exc:  # noqa: BLE001 - a crash of our combiners is a tool error, never a traceback
        problems.append(f"second combiner: crashed ({type(exc).__name__}: {exc})")
    return problems
