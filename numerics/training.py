"""Training the torch GLA and linear attention on multitask prompts (docs/gating.md, A3/A4/A6 measured, A7).

Architectures (all built with :func:`glaverify.numerics.gla.wpgd_to_gla`, i.e. construction-shaped layers:
``k = [x; 0]``, ``v = [0; −y; 0]``, trainable ``Q_ℓ`` in ``q = [Q_ℓ x; 0]`` and trainable gates):

``gla-delimiter``  scalar :class:`~glaverify.numerics.gla.DelimiterGate` (``δ_k = sigmoid(θ_k)``, one
                   per block),
                   tokens with a delimiter after each block (``x = 0``, ``y = 0``, flag 1);
``gla-vector``     key-dimension delimiter gates (:class:`VectorDelimiterGate`:
                   ``α_k = sigmoid(θ_k) ∈ (0,1)^D``);
``linatt``         every gate 1 (no delimiters needed).

Only ``Q_ℓ`` (the x-block of ``W_q``) and the gate parameters train; ``W_k``, ``W_v`` stay at the
construction (a gradient mask keeps the rest of ``W_q`` at 0). With one layer the trained model *is* a WPGD
predictor (G1/G2), so its risk is also evaluated exactly by the closed form (R1 / the key-gate risk of
:func:`glaverify.numerics.gating.vector_gate_risk`), beside a Monte Carlo estimate with a CI.

Determinism: parameters start at fixed values, prompts come from an explicit ``torch.Generator`` seeded from
``seed``, one thread and ``torch.use_deterministic_algorithms(True)`` during training (restored after).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from scipy import stats

from .consistency import ToolError
from .errors import InputError
from .gla import GLA, DelimiterGate, FixedGate, GateFunction, wpgd_to_gla
from .model import DataModel
from .montecarlo import estimate_from_sums, two_sided_z
from .sampler import sample_prompts_torch
from .tolerances import TORCH_REL_TOL

Arch = Literal["gla-delimiter", "gla-vector", "linatt"]
ARCHS: tuple[str, ...] = ("gla-delimiter", "gla-vector", "linatt")


@dataclass(frozen=True)
class TrainSpec:
    """What to train and how. ``eval_prompts`` fresh prompts give the Monte Carlo risk and its CI."""

    arch: str = "gla-delimiter"
    layers: int = 1
    steps: int = 1500
    batch: int = 512
    lr: float = 0.05
    seed: int = 0
    eval_prompts: int = 100_000
    confidence: float = 0.999
    gate_init: float = 2.0  # θ at start: δ = sigmoid(2) ≈ 0.88
    q_lr_scale: float = 1.0  # learning rate of Q = lr · q_lr_scale · (initial scale of Q)

    def validate(self) -> TrainSpec:
        if self.arch not in ARCHS:
            raise InputError("--arch", f"must be one of {', '.join(ARCHS)}", self.arch)
        for name, v, lo in (
            ("--layers", self.layers, 1),
            ("--steps", self.steps, 1),
            ("batch", self.batch, 2),
            ("eval_prompts", self.eval_prompts, 100),
        ):
            if not isinstance(v, int) or v < lo:
                raise InputError(name, f"must be an integer >= {lo}", v)
        if not (self.lr > 0 and np.isfinite(self.lr)):
            raise InputError("lr", "must be > 0", self.lr)
        if self.seed < 0:
            raise InputError("--seed", "must be >= 0", self.seed)
        return self


class VectorDelimiterGate(GateFunction):
    """Key-dimension delimiter gate: ``α = 1`` on data tokens (flag 0),
    ``α_k = sigmoid(θ_k) ∈ (0,1)^{d_k}`` on
    the k-th delimiter (flag 1). Range (0,1) per coordinate (open)."""

    def __init__(self, flag_index: int, d_k: int, num_delimiters: int, init: float = 2.0):
        super().__init__()
        self.shape, self.flag_index = "key", flag_index
        self.theta = torch.nn.Parameter(torch.full((num_delimiters, d_k), float(init), dtype=torch.float64))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        flag = z[..., self.flag_index]
        idx = (torch.cumsum((flag != 0).to(torch.long), dim=-1) - 1).clamp(0, self.theta.shape[0] - 1)
        alpha = torch.sigmoid(self.theta)[idx]  # (..., T, d_k)
        return 1 + flag[..., None] * (alpha - 1)


# ------------------------------------------------------------------------------------------------ tokens
def delimiter_layout(model: DataModel) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the data tokens and of the delimiters in the token sequence (query last).

    Layout: block 1, delimiter 1, block 2, delimiter 2, …, block K, delimiter K, query."""
    data_pos, delim_pos = [], []
    t = 0
    for nk in model.block_sizes:
        data_pos.extend(range(t, t + nk))
        t += nk
        delim_pos.append(t)
        t += 1
    return np.asarray(data_pos), np.asarray(delim_pos)


def delimiter_tokens(
    model: DataModel, X: torch.Tensor, y: torch.Tensor, x_query: torch.Tensor
) -> torch.Tensor:
    """Tokens ``[x; y; flag]`` (B, n + K + 1, d + 2): delimiters have ``x = 0``, ``y = 0``, flag 1."""
    B, n, d = X.shape
    data_pos, delim_pos = delimiter_layout(model)
    T = n + model.K + 1
    z = torch.zeros(B, T, d + 2, dtype=X.dtype)
    dp = torch.as_tensor(data_pos)
    z[:, dp, :d] = X
    z[:, dp, d] = y
    z[:, torch.as_tensor(delim_pos), d + 1] = 1.0
    z[:, -1, :d] = x_query
    return z


def plain_tokens(X: torch.Tensor, y: torch.Tensor, x_query: torch.Tensor) -> torch.Tensor:
    """Tokens ``[x; y; 0]`` (B, n + 1, d + 2) without delimiters (same width as the delimiter layout)."""
    B, n, d = X.shape
    z = torch.zeros(B, n + 1, d + 2, dtype=X.dtype)
    z[:, :n, :d] = X
    z[:, :n, d] = y
    z[:, -1, :d] = x_query
    return z


def forward_form(arch: str) -> str:
    """The faster of the two equivalent GLA forms for the architecture (measured: key gates favour the
    recurrence at these lengths)."""
    return "recurrent" if arch == "gla-vector" else "chunked"


def tokens_for(arch: str, model: DataModel, batch: dict) -> torch.Tensor:
    if arch == "linatt":
        return plain_tokens(batch["X"], batch["y"], batch["x_query"])
    return delimiter_tokens(model, batch["X"], batch["y"], batch["x_query"])


# ------------------------------------------------------------------------------------------------ model
def build_model(spec: TrainSpec, model: DataModel) -> GLA:
    """A construction-shaped GLA for ``spec.arch`` with ``spec.layers`` layers (deterministic init:
    ``Q = I/(n λ̄)``, gates ``sigmoid(gate_init)``)."""
    d, K, n = model.d, model.K, model.n
    D = d + 2
    q0 = np.eye(d) / (n * float(np.mean(model.eigenvalues)))
    gates: list[GateFunction] = []
    for _ in range(spec.layers):
        if spec.arch == "gla-delimiter":
            gates.append(
                DelimiterGate(
                    d + 1,
                    param="sigmoid",
                    num_delimiters=K,
                    init=torch.full((K,), spec.gate_init, dtype=torch.float64),
                )
            )
        elif spec.arch == "gla-vector":
            gates.append(VectorDelimiterGate(d + 1, D, K, spec.gate_init))
        else:
            gates.append(FixedGate(torch.ones(n + 1, dtype=torch.float64)))
    net = wpgd_to_gla([q0] * spec.layers, gates, d, extra=1)
    mask = torch.zeros(D, D, dtype=torch.float64)
    mask[:d, :d] = 1.0
    for lyr in net.layers:
        lyr.W_k.requires_grad_(False)
        lyr.W_v.requires_grad_(False)
        lyr.W_q.register_hook(lambda g, m=mask: g * m)
    return net


@contextlib.contextmanager
def deterministic_torch() -> Iterator[None]:
    """One thread and deterministic algorithms for the block; previous settings restored."""
    threads = torch.get_num_threads()
    det = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(det)


# ------------------------------------------------------------------------------------------------ result
@dataclass
class TrainResult:
    spec: TrainSpec
    risk_mc: float
    ci: tuple[float, float]
    std_err: float
    eval_prompts: int
    risk_exact: float | None  # closed-form risk of the trained one-layer parameters (None for L ≥ 2)
    theory_risk: float | None  # certified optimum of the class (one layer)
    omega: np.ndarray | None  # learned effective weights (n,) or (n, d)
    omega_theory: np.ndarray | None
    cosine: float | None
    P: np.ndarray | None
    P_rel_error: float | None
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rel_gap(self) -> float | None:
        """(trained risk − optimum) / optimum, using the exact one-layer risk when available."""
        if self.theory_risk is None:
            return None
        r = self.risk_exact if self.risk_exact is not None else self.risk_mc
        return (r - self.theory_risk) / self.theory_risk

    def to_dict(self) -> dict:
        return {
            "arch": self.spec.arch,
            "layers": self.spec.layers,
            "steps": self.spec.steps,
            "seed": self.spec.seed,
            "risk_mc": self.risk_mc,
            "ci": list(self.ci),
            "std_err": self.std_err,
            "eval_prompts": self.eval_prompts,
            "confidence": self.spec.confidence,
            "risk_exact": self.risk_exact,
            "theory_risk": self.theory_risk,
            "rel_gap": self.rel_gap,
            "cosine": self.cosine,
            "P_rel_error": self.P_rel_error,
            "omega": None if self.omega is None else self.omega.tolist(),
            "omega_theory": None if self.omega_theory is None else self.omega_theory.tolist(),
            "final_loss": self.losses[-1] if self.losses else None,
            "seconds": self.seconds,
        }


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.ravel(a), np.ravel(b)
    return float(abs(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def learned_weights(net: GLA, spec: TrainSpec, model: DataModel) -> tuple[np.ndarray, np.ndarray]:
    """(P, ω) of a trained one-layer model: ``P = Q^T`` and ω from the gate products at the data positions
    ((n,) for scalar gates, (n, d) per-coordinate for key gates)."""
    lyr = net.layers[0]
    P = lyr.W_q.detach()[: model.d, : model.d].T.numpy().copy()
    if spec.arch == "linatt":
        return P, np.ones(model.n)
    data_pos, delim_pos = delimiter_layout(model)
    with torch.no_grad():
        z = delimiter_tokens(
            model,
            torch.zeros(1, model.n, model.d, dtype=torch.float64),
            torch.zeros(1, model.n, dtype=torch.float64),
            torch.zeros(1, model.d, dtype=torch.float64),
        )
        g = lyr.gate(z)[0].numpy()
    if spec.arch == "gla-delimiter":
        # ω_i = Π_{j>i} g_j over all later tokens (query gate 1)
        tail = np.concatenate([np.cumprod(g[1:][::-1])[::-1], [1.0]])
        return P, tail[data_pos]
    gk = g[:, : model.d]
    tail = np.concatenate([np.cumprod(gk[1:][::-1], axis=0)[::-1], np.ones((1, model.d))], axis=0)
    return P, tail[data_pos]


def class_theory(spec: TrainSpec, model: DataModel) -> tuple[float | None, np.ndarray | None]:
    """Certified one-layer optimum of the class and its weights (None when not available)."""
    from .closed_forms import null_risk
    from .gating import constrained_optimum, linatt_risk, vector_gate_optimum
    from .landscape import r_is_zero

    if r_is_zero(model):  # R6's non-unique case: P = 0 is optimal for every ω, risk tr Σ + σ² (no weights)
        return null_risk(model), None
    if spec.arch == "linatt":
        return linatt_risk(model), np.ones(model.n)
    if spec.arch == "gla-delimiter":
        opt = constrained_optimum(model, "delimiter")
        return opt.risk, opt.omega
    try:
        opt = vector_gate_optimum(model, "delimiter")
    except InputError:
        return None, None
    return opt["risk"], opt["Gamma"]


def evaluate(
    net: GLA,
    spec: TrainSpec,
    model: DataModel,
    num_prompts: int,
    generator: torch.Generator,
    batch: int = 8192,
) -> tuple[float, float, int]:
    """Monte Carlo risk ``E(y − ŷ)²`` on fresh prompts: (mean, standard error, count)."""
    tot = tot2 = 0.0
    done = 0
    with torch.no_grad():
        while done < num_prompts:
            b = min(batch, num_prompts - done)
            pr = sample_prompts_torch(model, b, generator)
            err = (
                pr["y_query"]
                - net.predict(tokens_for(spec.arch, model, pr), form=forward_form(spec.arch), chunk_size=128)
            ) ** 2
            tot += float(err.sum())
            tot2 += float((err**2).sum())
            done += b
    est = estimate_from_sums(tot, tot2, done, 0.5)  # numerics.montecarlo's one formula (i10)
    return est.mean, est.std_err, done


def train(
    spec: TrainSpec,
    model: DataModel,
    progress: Callable[[int, float], None] | None = None,
    with_theory: bool = True,
) -> TrainResult:
    """Train with Adam (lr halved at 50%, 75% and 90% of the steps) on fresh prompts every step."""
    spec.validate()
    t0 = time.perf_counter()
    with deterministic_torch():
        gen = torch.Generator().manual_seed(int(spec.seed))
        eval_gen = torch.Generator().manual_seed(int(spec.seed) + 1_000_003)
        net = build_model(spec, model)
        losses = _fit(net, spec.arch, model, spec.steps, spec.lr, spec.batch, gen, progress,
                      q_lr_scale=spec.q_lr_scale)
        mean, se, cnt = evaluate(net, spec, model, spec.eval_prompts, eval_gen)
    z = two_sided_z(spec.confidence)  # numerics.montecarlo (i10)
    risk_exact = theory = cos = prel = None
    omega = omega_t = P = None
    if spec.layers == 1:
        from .closed_forms import optimal_preconditioner, wpgd_risk
        from .gating import vector_gate_profile, vector_gate_risk

        P, omega = learned_weights(net, spec, model)
        if spec.arch == "gla-vector":
            risk_exact = vector_gate_risk(model, P, omega)
            P_star = vector_gate_profile(model, omega)[1]
        else:
            risk_exact = wpgd_risk(model, P, omega)
            P_star = optimal_preconditioner(model, omega)
        scale = float(np.linalg.norm(P_star))  # P* = 0 when r = 0: no relative distance to report
        prel = float(np.linalg.norm(P - P_star) / scale) if scale > 0 else None
        if with_theory:
            theory, omega_t = class_theory(spec, model)
            if omega_t is not None:
                if omega.ndim == 2:  # per-coordinate: cosine per column, report the worst
                    cos = min(_cosine(omega[:, m], omega_t[:, m]) for m in range(model.d))
                else:
                    cos = _cosine(omega, omega_t)
    return TrainResult(
        spec,
        mean,
        (mean - z * se, mean + z * se),
        se,
        cnt,
        risk_exact,
        theory,
        omega,
        omega_t,
        cos,
        P,
        prel,
        losses,
        time.perf_counter() - t0,
    )


def depth_sweep(
    model: DataModel,
    arch: str = "gla-delimiter",
    depths: tuple[int, ...] = (1, 2, 3),
    steps: int = 1500,
    seed: int = 0,
    eval_prompts: int = 100_000,
    batch: int = 512,
    progress: Callable[[int, float], None] | None = None,
) -> list[TrainResult]:
    """A7: train ``arch`` at each depth (same seed, steps, prompts) and return the results."""
    return [
        train(
            TrainSpec(arch=arch, layers=L, steps=steps, seed=seed, eval_prompts=eval_prompts, batch=batch),
            model,
            progress,
            with_theory=(L == 1),
        )
        for L in depths
    ]


# ------------------------------------------------------------------------ A7 across training seeds
@dataclass(frozen=True)
class SeedSweep:
    """Trained Monte Carlo risks ``risks[i, j]`` of depth ``depths[i]`` with training seed ``seeds[j]``."""

    arch: str
    depths: tuple[int, ...]
    seeds: tuple[int, ...]
    risks: np.ndarray
    steps: int
    eval_prompts: int
    seconds: float

    def paired_intervals(self, confidence: float = 0.99) -> list[dict]:
        """For each consecutive pair of depths, the Student-t interval (across seeds, paired by seed) of the
        mean risk change ``risk(L') − risk(L)``, each at level ``1 − α/m`` for ``m`` comparisons (Bonferroni).
        The spread across seeds holds both the training and the evaluation noise."""
        m = len(self.depths) - 1
        k = len(self.seeds)
        if k < 2:
            raise InputError("seeds", "need at least 2 training seeds for an interval across seeds", k)
        q = float(stats.t.ppf(1 - (1 - confidence) / (2 * m), df=k - 1))
        out = []
        for i in range(m):
            diff = self.risks[i + 1] - self.risks[i]
            mean, sd = float(np.mean(diff)), float(np.std(diff, ddof=1))
            half = q * sd / np.sqrt(k)
            out.append({"from": self.depths[i], "to": self.depths[i + 1], "mean_change": mean,
                        "low": mean - half, "high": mean + half, "per_seed": diff.tolist(),
                        "level": 1 - (1 - confidence) / m})
        return out

    def to_dict(self) -> dict:
        return {"arch": self.arch, "depths": list(self.depths), "seeds": list(self.seeds),
                "risks": self.risks.tolist(), "steps": self.steps, "eval_prompts": self.eval_prompts,
                "seconds": self.seconds}


def decide_depth(intervals: list[dict]) -> tuple[str, str]:
    """A7 across seeds: ``supported`` if every deeper model has a lower risk (every interval below 0),
    ``refuted`` if some deeper model is worse (an interval above 0), else ``inconclusive``."""
    worse = [iv for iv in intervals if iv["low"] > 0]
    if worse:
        iv = worse[0]
        return "refuted", (f"L={iv['to']} trained to a higher risk than L={iv['from']} across seeds "
                           f"(change in [{iv['low']:+.4g}, {iv['high']:+.4g}])")
    if all(iv["high"] < 0 for iv in intervals):
        return "supported", "risk falls with every added layer across seeds: " + ", ".join(
            f"L={iv['from']}->{iv['to']}: [{iv['low']:+.4g}, {iv['high']:+.4g}]" for iv in intervals)
    return "inconclusive", "an interval across seeds contains 0: " + ", ".join(
        f"L={iv['from']}->{iv['to']}: [{iv['low']:+.4g}, {iv['high']:+.4g}]" for iv in intervals)


def depth_sweep_seeds(
    model: DataModel,
    arch: str = "gla-delimiter",
    depths: tuple[int, ...] = (1, 2, 3),
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
    steps: int = 600,
    eval_prompts: int = 50_000,
    batch: int = 512,
    progress: Callable[[int, float], None] | None = None,
) -> SeedSweep:
    """A7: :func:`depth_sweep` repeated over training seeds (same budget per run)."""
    t0 = time.perf_counter()
    risks = np.empty((len(depths), len(seeds)))
    for j, seed in enumerate(seeds):
        res = depth_sweep(model, arch, depths, steps=steps, seed=seed, eval_prompts=eval_prompts, batch=batch,
                          progress=progress)
        risks[:, j] = [r.risk_mc for r in res]
    return SeedSweep(arch, tuple(depths), tuple(seeds), risks, steps, eval_prompts, time.perf_counter() - t0)


# ------------------------------------------------------------------ A7 progressive protocol (issue 11)
def _fit(net: GLA, arch: str, model: DataModel, steps: int, lr: float, batch: int, gen: torch.Generator,
         progress: Callable[[int, float], None] | None = None, q_lr_scale: float = 1.0) -> list[float]:
    """The one training loop (of :func:`train` and the A7 protocols): Adam on ``net`` for ``steps`` steps, lr
    halved at 50%, 75% and 90% of the steps, fresh prompts from ``gen`` every step. Adam steps are scale-free,
    so Q (entries of order 1/(n λ̄)) gets a learning rate relative to its initial scale (times
    ``q_lr_scale``); gate logits (order 1) get ``lr``. The caller holds :func:`deterministic_torch`."""
    q_scale = 1.0 / (model.n * float(np.mean(model.eigenvalues)))
    q_params = [lyr.W_q for lyr in net.layers]
    g_params = [p for lyr in net.layers for p in lyr.gate.parameters() if p.requires_grad]
    groups = [{"params": q_params, "lr": lr * q_lr_scale * q_scale}]
    if g_params:
        groups.append({"params": g_params, "lr": lr})
    opt = torch.optim.Adam(groups)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[int(steps * f) for f in (0.5, 0.75, 0.9)],
                                                 gamma=0.5)
    losses: list[float] = []
    for step in range(steps):
        pr = sample_prompts_torch(model, batch, gen)
        z = tokens_for(arch, model, pr)
        if step == 0:
            check_predict_last(net, z, forward_form(arch))
        pred = net.predict_last(z, form=forward_form(arch), chunk_size=128)
        loss = torch.mean((pr["y_query"] - pred) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if progress is not None:
            progress(1, float(np.mean(losses[-50:])))
    return losses


def check_predict_last(net: GLA, z: torch.Tensor, form: str) -> float:
    """The training loop's fast prediction (:meth:`GLA.predict_last`, the last layer at the query only)
    against the full forward (:meth:`GLA.predict`) on the same tokens; a relative difference above
    ``TORCH_REL_TOL`` (round-off is ~1e-16) is an error of our code, raised before any step is taken."""
    with torch.no_grad():
        full = net.predict(z, form=form, chunk_size=128)
        fast = net.predict_last(z, form=form, chunk_size=128)
    scale = max(float(full.abs().max()), 1e-300)
    rel = float((full - fast).abs().max()) / scale
    if not rel <= TORCH_REL_TOL:
        raise ToolError(f"the training loop's last-token prediction differs from the full GLA forward by "
                        f"{rel:.3g} relative (> {TORCH_REL_TOL:g}): an implementation error")
    return rel


def extend_with_zero_layer(net: GLA, spec: TrainSpec, model: DataModel) -> GLA:
    """A (L + 1)-layer model whose first L layers are copies of ``net``'s and whose new last layer has
    ``Q = 0`` (its output is exactly 0, so the new model predicts exactly what ``net`` predicts) and gates at
    ``spec.gate_init``. Trainable parts as in :func:`build_model`."""
    L = len(net.layers)
    new = build_model(TrainSpec(arch=spec.arch, layers=L + 1, gate_init=spec.gate_init), model)
    with torch.no_grad():
        for old, lyr in zip(net.layers, new.layers, strict=False):
            lyr.load_state_dict(old.state_dict())
        new.layers[L].W_q.zero_()
    return new


def copy_model(net: GLA, spec: TrainSpec, model: DataModel) -> GLA:
    """An independent copy of ``net`` (same architecture, trainable parts as in :func:`build_model`)."""
    new = build_model(TrainSpec(arch=spec.arch, layers=len(net.layers), gate_init=spec.gate_init), model)
    new.load_state_dict(net.state_dict())
    return new


@dataclass(frozen=True)
class ProgressiveSweep:
    """A7, progressive protocol: per training seed, the L-layer model trained ``steps`` steps from scratch
    (``L = depths[0]``), then for each next depth two arms trained ``extra_steps`` more steps on the *same*
    training prompts from the same start: ``continued`` (the shallower model, trained on) and ``deeper`` (the
    shallower model plus a zero-output layer, so it starts at the shallower model's risk). Both arms are
    evaluated on the same ``eval_prompts`` prompts (paired). ``risks[i, j]``: the continued arm at
    ``depths[i]`` (i < m) and the deeper arm at ``depths[i + 1]`` in ``deeper[i, j]``."""

    arch: str
    depths: tuple[int, ...]
    seeds: tuple[int, ...]
    continued: np.ndarray  # (m, seeds): risk of the shallower model after the extra steps
    deeper: np.ndarray  # (m, seeds): risk of the deeper (progressive) model after the extra steps
    start: np.ndarray  # (m, seeds): risk of the shared start (before the extra steps)
    steps: int
    extra_steps: int
    eval_prompts: int
    seconds: float
    scratch: int = 1  # the first ``scratch`` depths were trained from scratch and compared directly

    def paired_intervals(self, confidence: float = 0.99) -> list[dict]:
        """Student-t interval across seeds of ``risk(deeper) − risk(continued)`` per step in depth
        (Bonferroni over the comparisons), as :meth:`SeedSweep.paired_intervals`."""
        m, k = len(self.depths) - 1, len(self.seeds)
        if k < 2:
            raise InputError("seeds", "need at least 2 training seeds for an interval across seeds", k)
        q = float(stats.t.ppf(1 - (1 - confidence) / (2 * m), df=k - 1))
        out = []
        for i in range(m):
            diff = self.deeper[i] - self.continued[i]
            mean, sd = float(np.mean(diff)), float(np.std(diff, ddof=1))
            half = q * sd / np.sqrt(k)
            out.append({"from": self.depths[i], "to": self.depths[i + 1], "mean_change": mean,
                        "low": mean - half, "high": mean + half, "per_seed": diff.tolist(),
                        "level": 1 - (1 - confidence) / m,
                        "protocol": "from scratch" if i < self.scratch - 1 else "progressive"})
        return out

    def to_dict(self) -> dict:
        return {"arch": self.arch, "depths": list(self.depths), "seeds": list(self.seeds),
                "continued": self.continued.tolist(), "deeper": self.deeper.tolist(),
                "start": self.start.tolist(), "steps": self.steps, "extra_steps": self.extra_steps,
                "eval_prompts": self.eval_prompts, "seconds": self.seconds, "scratch": self.scratch}


def progressive_depth_seeds(
    model: DataModel,
    arch: str = "gla-delimiter",
    depths: tuple[int, ...] = (1, 2, 3),
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
    steps: int = 600,
    extra_steps: int = 300,
    eval_prompts: int = 50_000,
    batch: int = 512,
    lr: float = 0.05,
    scratch: int = 2,
    progress: Callable[[int, float], None] | None = None,
) -> ProgressiveSweep:
    """A7, progressive protocol (:class:`ProgressiveSweep`). The first ``scratch`` depths are trained from
    scratch (``steps`` steps each, the training loop of :func:`train` with its seeds) and compared with each
    other; every further depth starts from the previous model plus a zero-output layer and is compared with
    that model trained the same ``extra_steps`` on the same prompts; each deeper arm is the start of the next
    comparison. Deterministic per seed: training prompts of the from-scratch runs from ``seed``,
    of the extra stage i from ``seed + 7919·(i + 1)`` (the same stream for both arms), evaluation prompts
    from ``seed + 1_000_003`` (the same for every model of the seed)."""
    if len(depths) < 2 or any(b != a + 1 for a, b in zip(depths, depths[1:], strict=False)):
        raise InputError("depths", "consecutive depths, at least two (e.g. 1, 2, 3)", depths)
    if not 1 <= scratch <= len(depths):
        raise InputError("scratch", f"between 1 and {len(depths)} (depths trained from scratch)", scratch)
    if extra_steps < 1:
        raise InputError("extra_steps", "must be an integer >= 1", extra_steps)
    t0 = time.perf_counter()
    m = len(depths) - 1
    cont, deep, start = (np.full((m, len(seeds)), np.nan) for _ in range(3))
    for j, seed in enumerate(seeds):
        spec = TrainSpec(arch=arch, layers=depths[0], steps=steps, seed=seed, batch=batch, lr=lr).validate()

        def ev(net: GLA, spec: TrainSpec = spec, seed: int = seed) -> float:
            gen = torch.Generator().manual_seed(int(seed) + 1_000_003)
            return evaluate(net, spec, model, eval_prompts, gen)[0]

        with deterministic_torch():
            risks, net = [], None
            for L in depths[:scratch]:
                net = build_model(TrainSpec(arch=arch, layers=L, gate_init=spec.gate_init), model)
                _fit(net, arch, model, steps, lr, batch, torch.Generator().manual_seed(int(seed)), progress)
                risks.append(ev(net))
            for i in range(scratch - 1):
                cont[i, j], deep[i, j] = risks[i], risks[i + 1]
            for i in range(scratch - 1, m):
                start[i, j] = risks[-1] if i == scratch - 1 else deep[i - 1, j]
                stream = int(seed) + 7919 * (i + 1)
                shallow = copy_model(net, spec, model)
                for arm in (shallow, deeper := extend_with_zero_layer(net, spec, model)):
                    gen = torch.Generator().manual_seed(stream)
                    _fit(arm, arch, model, extra_steps, lr, batch, gen, progress)
                cont[i, j], deep[i, j] = ev(shallow), ev(deeper)
                net = deeper
    return ProgressiveSweep(arch, tuple(depths), tuple(seeds), cont, deep, start, steps, extra_steps,
                            eval_prompts, time.perf_counter() - t0, scratch)
