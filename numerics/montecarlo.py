"""The one Monte Carlo estimator of glaverify: means with confidence intervals, a plausibility check of
every interval, memory-bounded batches, Rao–Blackwellised risk estimates and a sequential test with power.

Intervals (docs/reliability.md, "Monte Carlo")
    A two-sided normal-approximation interval ``mean ± z·SE`` with ``z`` the ``(1 + confidence)/2``
    quantile (:func:`two_sided_z`, computed by two routes). ``SE`` is the pooled standard error
    ``sd/√N``; it is compared with the batch-means standard error (the spread of the means of ≥ 16 equal
    groups): their ratio is ≈ 1 for a correct estimator (its sampling spread is ~ 1/√(2·groups)), so a ratio
    outside ``[1/PLAUSIBLE_SE_RATIO, PLAUSIBLE_SE_RATIO]`` is an internal inconsistency
    (:class:`~glaverify.numerics.consistency.ToolError`): a standard error not divided by √N is √N off.

Risk estimators for the WPGD predictor ``ŷ = xᵀ v``, ``v = P Xᵀ(ω ⊙ y)`` (R1), per prompt:

``plain``
    ``(y − ŷ)²`` (:func:`mc_risk`; any predictor).
``conditional``
    Rao–Blackwellised over the query: given the context (X, y) and the tasks, ``E[(y − ŷ)² | ·] =
    (β − v)ᵀ Σ (β − v) + σ²`` exactly (x ~ N(0, Σ) and ξ are independent of the context). ``v`` is read
    from the predictor itself (:func:`linear_readout`). Uses the sampler for everything else.
``features``
    Rao–Blackwellised over the tasks and the noise as well: given the features X only, with
    ``A_k = Σ_{i∈k} ω_i x_i x_iᵀ``, ``B = PᵀΣP``, ``m = Bᵀω`` (block sums), the conditional risk is
    ``tr Σ − 2 Σ_k c_k tr(ΣP A_k) + Σ_kl C_kl tr(B A_k A_lᵀ) + σ² tr(B Σ_i ω_i² x_i x_iᵀ) + σ²``
    (only ``E β_k β_lᵀ = C_kl I`` and ``E ξ² = σ²``). Two control variates with exactly known mean 0 are
    subtracted: the part linear in ``A_k − m_k Σ`` (mean 0 because ``E x xᵀ = Σ``) and the cross terms
    ``i ≠ j`` of the quadratic part (mean 0 by independence of the examples). What remains is
    ``const + Σ_i C_{k(i)k(i)} ω_i² f(x_i)``, ``f(x) = (xᵀx)(xᵀBx) − 2 xᵀΣBx + tr(BΣ²)``, with the first-
    order Taylor control variates of the product ``(xᵀx)(xᵀBx)`` removed as well (means ``tr Σ`` and
    ``tr(BΣ)``). Nothing here uses ``a(ω)``, ``b(ω)`` or a Gaussian fourth moment: the fourth moment is
    exactly what is sampled. Cost ``O(n d²)`` per prompt (``conditional``: ``O(n d)``).

Sequential test (:func:`sequential_compare`)
    At most ``LOOKS`` looks at ``N/8, N/4, N/2, N`` prompts of the budget ``N``; the two-sided level
    ``α = 1 − confidence`` is split equally over the looks (Bonferroni, valid for any stopping rule). At each
    look: ``|z| > REFUTE_Z`` stops (the reference is far outside the interval); the detectable effect
    ``(z_look + z_power)·SE`` (power ``POWER``) at or below ``target·|reference|`` with the reference inside
    the interval stops as agreeing; otherwise sample on. Every decision states the effect size it could
    have detected.
    The plausibility groups of the sequential test are whole draw calls (at least ``SE_GROUPS`` calls per
    look, limit :data:`CALL_SE_RATIO`), so a dependence inside one call is visible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np
from scipy import stats

from .consistency import ToolError
from .errors import InputError
from .model import DataModel
from .sampler import Prompts, sample_prompts

#: the batch-means SE may differ from the pooled SE by at most this factor (either way)
PLAUSIBLE_SE_RATIO = 3.0
#: number of equal groups whose means give the batch-means standard error
SE_GROUPS = 32
#: sequential test: the batch-means SE over whole draw calls (>= SE_GROUPS calls per look) may differ from
#: the pooled SE by at most this factor (review of issue 10, finding 5: at 32 groups the ratio's relative
#: spread is ~ 1/sqrt(62) = 0.13, so 1.8 is ~ 4.6 spreads either way; a per-call dependence that doubles the
#: true SE is caught)
CALL_SE_RATIO = 1.8
#: looks of the sequential test (fractions of the budget)
LOOK_FRACTIONS = (0.125, 0.25, 0.5, 1.0)
#: power at which the detectable effect is stated
POWER = 0.8
#: |z| beyond which a sampled comparison counts as a disagreement (two-sided tail ≈ 2e-9 per look)
REFUTE_Z = 6.0
#: the default memory budget lives in numerics/memory.py (shared with the CLI's --max-memory default)
from .memory import MAX_DEFAULT_BUDGET, available_memory_bytes, default_max_memory_bytes  # noqa: E402,F401

#: largest d for which the O(n d²) ``features`` estimator is used (above it: ``conditional``)
FEATURES_MAX_D = 64


# ------------------------------------------------------------------------------------------ intervals
def two_sided_z(confidence: float) -> float:
    """The ``(1 + confidence)/2`` normal quantile, by two routes (``ppf`` and the upper tail ``isf``);
    a mismatch is a :class:`ToolError`."""
    if not 0.0 < confidence < 1.0:
        raise InputError("confidence", "must be in (0, 1)", confidence)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    z2 = float(stats.norm.isf((1.0 - confidence) / 2))
    if not abs(z - z2) <= 1e-9 * max(1.0, z2):
        raise ToolError(f"two-sided normal quantile of {confidence}: {z} (ppf) vs {z2} (isf)")
    return z


@dataclass(frozen=True)
class MCEstimate:
    """Sample mean with a two-sided normal-approximation CI; ``batch_se`` is the batch-means SE."""

    mean: float
    std_err: float
    ci_low: float
    ci_high: float
    samples: int
    confidence: float
    batch_se: float | None = None

    def contains(self, value: float) -> bool:
        return self.ci_low <= value <= self.ci_high

    def to_dict(self) -> dict:
        return asdict(self)


def estimate_from_sums(total: float, total_sq: float, n: int, confidence: float,
                       centred: tuple[float, float] | None = None) -> MCEstimate:
    """Mean, pooled standard error ``sd/√n`` and CI from running sums (no batch-means cross-check).

    ``centred = (Σ(x − c), Σ(x − c)²)`` for a shift ``c`` near the mean (e.g. the first sample) gives the
    variance without the cancellation of the one-pass formula when sd ≪ mean (a zero-width interval at
    Σ = 0.01·I, σ² = 10 before: review of session 4); the mean is always ``total / n``."""
    mean = total / n
    s1, s2 = centred if centred is not None else (total, total_sq)
    var = max(s2 / n - (s1 / n) ** 2, 0.0) * n / max(n - 1, 1)
    se = float(np.sqrt(var / n))
    z = two_sided_z(confidence)
    return MCEstimate(mean, se, mean - z * se, mean + z * se, n, confidence)


@dataclass
class RunningMean:
    """Streaming mean of per-sample values with ``SE_GROUPS`` equal groups for the batch-means SE.

    ``group`` samples form one group (choose ``total // SE_GROUPS``); the last incomplete group is left out
    of the batch-means SE only."""

    group: int
    total: float = 0.0
    total_sq: float = 0.0
    count: int = 0
    groups: list[float] = field(default_factory=list)
    _open_sum: float = 0.0
    _open_n: int = 0
    _shift: float | None = None  # the first sample: the centre of the variance sums
    _total_c: float = 0.0
    _total_sq_c: float = 0.0

    def add(self, values: np.ndarray) -> None:
        v = np.asarray(values, dtype=np.float64).ravel()
        if v.size == 0:
            return
        if self._shift is None:
            self._shift = float(v[0])
        self.total += float(v.sum())
        self.total_sq += float(np.dot(v, v))
        c = v - self._shift
        self._total_c += float(c.sum())
        self._total_sq_c += float(np.dot(c, c))
        self.count += v.size
        i = 0
        while i < v.size:
            take = min(self.group - self._open_n, v.size - i)
            self._open_sum += float(v[i : i + take].sum())
            self._open_n += take
            i += take
            if self._open_n == self.group:
                self.groups.append(self._open_sum / self.group)
                self._open_sum, self._open_n = 0.0, 0

    def estimate(self, confidence: float) -> MCEstimate:
        est = estimate_from_sums(self.total, self.total_sq, self.count, confidence,
                                 centred=(self._total_c, self._total_sq_c))
        if len(self.groups) >= 2:
            g = np.asarray(self.groups)
            est = replace(est, batch_se=float(np.std(g, ddof=1) / np.sqrt(g.size)))
        return est


def check_plausible(est: MCEstimate, what: str = "Monte Carlo estimate",
                    limit: float = PLAUSIBLE_SE_RATIO) -> None:
    """An interval whose width is implausible for its sample size is an error of the tool: the pooled SE
    must agree with the batch-means SE within :data:`PLAUSIBLE_SE_RATIO` (when ≥ 16 groups exist) and be
    finite and ≥ 0."""
    if not (np.isfinite(est.std_err) and est.std_err >= 0 and np.isfinite(est.mean)):
        raise ToolError(f"{what}: mean {est.mean} / standard error {est.std_err} not finite")
    if est.batch_se is None or est.samples < 16 * 2:
        return
    lo, hi = sorted((est.std_err, est.batch_se))
    if hi == 0.0:
        return
    if lo == 0.0 or hi / lo > limit:
        raise ToolError(
            f"{what}: pooled standard error {est.std_err:.3g} vs batch-means standard error "
            f"{est.batch_se:.3g} over {est.samples} samples (ratio limit {limit:g}): the "
            "interval width is implausible for the sample size")


# ---------------------------------------------------------------------------------------- memory budget
def memory_budget(ctx: object | None = None) -> int:
    """Bytes a Monte Carlo batch may use: ``ctx.max_memory_bytes`` if set (``--max-memory``), else
    the shared default of numerics/memory.py."""
    explicit = getattr(ctx, "max_memory_bytes", None) if ctx is not None else None
    if explicit:
        return int(explicit)
    return default_max_memory_bytes()


def prompt_bytes(model: DataModel, estimator: str = "plain") -> int:
    """Peak bytes per prompt of one batch (float64; a generous count of the temporaries)."""
    n, d, k = model.n, model.d, model.K
    per = 3 * n * d + 2 * n + (k + 1) * d + 2 * d
    if estimator == "features":
        per += 4 * n * d + 4 * n
    elif estimator == "conditional":
        per += n * d + 4 * d * d // 8 + 4 * d
    return 8 * per


def batch_size(model: DataModel, budget: int, cap: int = 4096, estimator: str = "plain") -> int:
    """Prompts per batch within ``budget``; refuses (InputError naming ``--max-memory``) a model whose
    smallest batch (one prompt) does not fit, before any work."""
    need = prompt_bytes(model, estimator)
    if need > budget:
        raise InputError("--max-memory", f"one prompt of d={model.d}, n={model.n} needs ~{need / 2**20:.1f} "
                         f"MiB for the {estimator} Monte Carlo estimator, more than the budget "
                         f"{budget / 2**20:.1f} MiB")
    return int(max(1, min(cap, budget // need)))


# ------------------------------------------------------------------------------------------ plain MC
def mc_risk(
    model: DataModel,
    predictor: Callable[[Prompts], np.ndarray],
    num_prompts: int,
    rng: np.random.Generator,
    confidence: float = 0.999,
    batch: int | None = 4096,
    progress: Callable[[int], None] | None = None,
    memory: int | None = None,
) -> MCEstimate:
    """Estimate ``E(y − ŷ)²`` from ``num_prompts`` fresh prompts (streamed in memory-bounded batches),
    with the batch-means plausibility check of the interval."""
    cap = batch or 4096
    b_max = batch_size(model, memory if memory is not None else memory_budget(), cap=cap)
    acc = RunningMean(group=max(1, num_prompts // SE_GROUPS))
    while acc.count < num_prompts:
        b = min(b_max, num_prompts - acc.count)
        prompts = sample_prompts(model, b, rng)
        acc.add((prompts.y_query - predictor(prompts)) ** 2)
        if progress is not None:
            progress(b)
    est = acc.estimate(confidence)
    check_plausible(est, "Monte Carlo risk")
    return est


# ------------------------------------------------------------------------------------ R1 estimators
def linear_readout(predictor: Callable[[Prompts], np.ndarray], prompts: Prompts) -> np.ndarray:
    """``v`` (B, d) with ``ŷ = xᵀ v`` for a predictor linear in the query ``x``, read from the predictor
    itself by evaluating it at the d unit queries (the context is broadcast, not copied)."""
    d = prompts.X.shape[-1]
    unit = Prompts(X=prompts.X[:, None], y=prompts.y[:, None], x_query=np.eye(d)[None],
                   y_query=np.zeros((prompts.batch, d)), tasks=prompts.tasks[:, None])
    return np.asarray(predictor(unit)).reshape(prompts.batch, d)


def conditional_risk(model: DataModel, predictor: Callable[[Prompts], np.ndarray],
                     prompts: Prompts, readout: np.ndarray | None = None) -> np.ndarray:
    """Per prompt ``E[(y − ŷ)² | context, tasks] = (β − v)ᵀ Σ (β − v) + σ²`` (``conditional`` estimator).
    ``readout``: ``linear_readout(predictor, prompts)`` when the caller has computed it already."""
    v = linear_readout(predictor, prompts) if readout is None else readout
    e = prompts.tasks[:, -1, :] - v
    return np.einsum("bd,bd->b", e @ model.sigma, e) + model.noise_var


@dataclass(frozen=True)
class FeatureTerms:
    """Prompt-independent pieces of the ``features`` estimator at one (P, ω)."""

    const: float
    weights: np.ndarray  # C_{k(i)k(i)} ω_i², (n,)
    B: np.ndarray  # PᵀΣP
    SB: np.ndarray  # ΣB, symmetrised in its quadratic form
    tr_sigma: float
    tr_b_sigma: float
    tr_b_sigma2: float


def feature_terms(model: DataModel, P: np.ndarray, omega: np.ndarray) -> FeatureTerms:
    """The constant of the ``features`` estimator: the conditional risk at ``A_k = m_k Σ`` (its mean part),
    from the model's second moments only (``E x xᵀ = Σ``, ``E β_k β_lᵀ = C_kl I``, ``E ξ² = σ²``)."""
    sig = np.asarray(model.sigma)
    P = np.asarray(P, dtype=np.float64)
    w = np.asarray(omega, dtype=np.float64)
    B = P.T @ sig @ P
    B = 0.5 * (B + B.T)
    idx = model.block_index
    K = model.K
    m = np.bincount(idx, weights=w, minlength=K)  # block sums of ω
    C = np.asarray(model.block_corr)
    c, Ck = C[:K, K], C[:K, :K]
    sig2 = sig @ sig
    tr_b_sig2 = float(np.sum(B * sig2))
    tr_b_sig = float(np.sum(B * sig))
    const = (float(np.trace(sig)) - 2.0 * float(c @ m) * float(np.sum((sig @ P) * sig.T))
             + float(m @ Ck @ m) * tr_b_sig2 + model.noise_var * float(w @ w) * tr_b_sig + model.noise_var)
    SB = sig @ B
    return FeatureTerms(const, np.diag(C)[idx] * w**2, B, 0.5 * (SB + SB.T), float(np.trace(sig)), tr_b_sig,
                        tr_b_sig2)


def features_risk(terms: FeatureTerms, X: np.ndarray) -> np.ndarray:
    """Per prompt ``const + Σ_i C_kk ω_i² [f(x_i) − tr Σ (x_iᵀBx_i − tr BΣ) − tr BΣ (x_iᵀx_i − tr Σ)]``."""
    xx = np.einsum("bnd,bnd->bn", X, X)
    xBx = np.einsum("bnd,bnd->bn", X @ terms.B, X)
    xSBx = np.einsum("bnd,bnd->bn", X @ terms.SB, X)
    f = xx * xBx - 2.0 * xSBx + terms.tr_b_sigma2
    f -= terms.tr_sigma * (xBx - terms.tr_b_sigma) + terms.tr_b_sigma * (xx - terms.tr_sigma)
    return terms.const + f @ terms.weights


# ------------------------------------------------------------------------------------ sequential test
@dataclass(frozen=True)
class SequentialResult:
    """Outcome of :func:`sequential_compare`. ``decision``: ``agree`` (reference inside the final CI),
    ``disagree`` (|z| > refute_z), ``unclear`` (outside the CI, |z| ≤ refute_z)."""

    decision: str
    estimate: MCEstimate
    reference: float
    z: float
    z_look: float
    looks_done: int
    looks: tuple[int, ...]
    detectable_effect: float  # absolute, at POWER and the per-look level
    detectable_relative: float
    stopped_early: bool
    paired: dict | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["estimate"] = self.estimate.to_dict()
        return d


def look_sizes(budget: int) -> tuple[int, ...]:
    return tuple(sorted({max(1, int(round(budget * f))) for f in LOOK_FRACTIONS}))


def sequential_compare(
    reference: float,
    draw: Callable[[int], tuple[np.ndarray, np.ndarray | None]],
    budget: int,
    batch: int,
    confidence: float,
    target: float,
    refute_z: float = REFUTE_Z,
    progress: Callable[[int], None] | None = None,
    paired_name: str = "",
    cap: int | None = None,
) -> SequentialResult:
    """Compare ``reference`` with the mean of ``draw(k) -> (values, paired)`` sampled in batches of at
    most ``batch`` until decided or ``budget`` is spent (module docstring). ``paired``, if given, is a second
    estimator of the same mean on the same samples: their paired difference must be consistent with 0
    (|z| ≤ refute_z), else :class:`ToolError` — two of our own routes disagree. ``cap``: after look 1 the
    budget is extended to the size at which ``target`` becomes detectable, at most ``cap`` prompts (the
    number of looks, hence the level split, stays the same; review of issue 10, finding 4)."""
    looks = list(look_sizes(budget))
    alpha = (1.0 - confidence) / len(looks)
    z_look = two_sided_z(1.0 - alpha)
    z_pow = float(stats.norm.ppf(POWER))
    acc = RunningMean(group=max(1, budget // (SE_GROUPS * 8)))
    diff = RunningMean(group=max(1, budget // (SE_GROUPS * 8)))
    chunk = max(1, min(batch, looks[0] // SE_GROUPS))  # review 5: >= SE_GROUPS whole draw calls per look
    calls: list[tuple[int, float]] = []  # (size, mean) of every draw call: the plausibility groups
    for j, target_n in enumerate(looks, 1):
        while acc.count < target_n:
            k = min(chunk, target_n - acc.count)
            vals, other = draw(k)
            acc.add(vals)
            calls.append((k, float(np.mean(vals))))
            if other is not None:
                diff.add(np.asarray(other) - np.asarray(vals))
            if progress is not None:
                progress(k)
        est = acc.estimate(1.0 - alpha)
        est = replace(est, batch_se=call_means_se(calls, est.mean))
        check_plausible(est, "Monte Carlo risk (groups = draw calls)", limit=CALL_SE_RATIO)
        se = est.std_err
        z = (reference - est.mean) / se if se > 0 else (0.0 if reference == est.mean else np.inf)
        effect = (z_look + z_pow) * se
        rel = effect / max(abs(reference), 1e-300)
        paired = None
        if diff.count:
            dest = diff.estimate(1.0 - alpha)
            dz = dest.mean / dest.std_err if dest.std_err > 0 else (0.0 if dest.mean == 0 else np.inf)
            paired = {"name": paired_name, "mean_difference": dest.mean, "std_err": dest.std_err, "z": dz}
            if abs(dz) > refute_z:
                raise ToolError(
                    f"two Monte Carlo routes of the same risk disagree on the same {dest.samples} prompts: "
                    f"{paired_name} differs by {dest.mean:.4g} ± {dest.std_err:.2g} (z = {dz:+.1f})")
        last = j == len(looks)
        if abs(z) > refute_z:
            if paired is not None and abs(paired["z"]) > z_look:
                # a refutation needs the other route to agree with this one: here they differ, so the
                # discrepancy may be an error of one of our estimators, not of the reference
                raise ToolError(
                    f"the reference differs from the Monte Carlo mean (z = {z:+.1f}) but the two Monte Carlo "
                    f"routes also differ from each other ({paired_name}: {paired['mean_difference']:.4g} ± "
                    f"{paired['std_err']:.2g}, z = {paired['z']:+.1f}): the discrepancy is not confirmed")
            decision = "disagree"
        elif last:
            decision = "agree" if abs(z) <= z_look else "unclear"
        elif abs(z) <= z_look and rel <= target:
            decision = "agree"
        else:
            if j == 1 and cap is not None and rel > target and len(looks) == len(LOOK_FRACTIONS):
                looks[1:] = extended_looks(looks[0], budget, rel / target, cap)
            continue
        return SequentialResult(decision, est, reference, float(z), z_look, j, tuple(looks), float(effect),
                                float(rel), not last, paired)
    raise AssertionError("unreachable")  # pragma: no cover


def call_means_se(calls: list[tuple[int, float]], mean: float) -> float | None:
    """Batch-means standard error with one group per draw call of unequal sizes ``n_g`` (review of issue
    10, finding 5): ``SE² = G/(G − 1) Σ_g (n_g/N)² (m_g − m)²``. A dependence inside a draw call (a shared
    offset, a reused stream) widens it; groups smaller than a call could not see it. None for < 2 calls."""
    if len(calls) < 2:
        return None
    n = np.array([c[0] for c in calls], dtype=np.float64)
    m = np.array([c[1] for c in calls])
    g = n.size
    return float(np.sqrt(g / (g - 1) * np.sum((n / n.sum()) ** 2 * (m - mean) ** 2)))


def extended_looks(first: int, budget: int, shortfall: float, cap: int) -> list[int]:
    """Looks 2.. after look 1 at ``first`` prompts: the SE falls as 1/√N, so the target is detectable at
    ``first · shortfall²`` prompts (×1.2²: the SE at look 1 is itself an estimate); the new budget is that,
    at least ``budget`` and at most ``cap``, and the later looks keep their fractions of it (review of
    issue 10, finding 4)."""
    new_budget = int(min(max(cap, budget), max(budget, np.ceil(first * (1.2 * shortfall) ** 2))))
    return [max(first + 1, int(round(new_budget * f))) for f in LOOK_FRACTIONS[1:]]
