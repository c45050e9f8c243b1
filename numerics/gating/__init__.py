"""What gating can realise, and the best weights inside each realisable set (claims A1–A6; docs/gating.md).

Gate classes (one layer, the construction of docs/gla.md, ``P = Q^T``):

``free`` (A1)
    one scalar gate ``g_j ∈ [0,1]`` per token, chosen freely. Weights ``ω_i = Π_{j=i+1}^{n+1} g_j``.
    Realisable set: ``{0 ≤ ω_1 ≤ … ≤ ω_n ≤ 1}``; with ``P`` absorbing scale (and sign), the monotone cone
    ``M = {0 ≤ ω_1 ≤ … ≤ ω_n}`` and its negative.
``delimiter`` (A2)
    data tokens (and the query) have gate 1; after block ``k`` a delimiter token (``x = 0``, ``y = 0``, a flag
    coordinate) has gate ``δ_k``. Weights are block-constant, ``u_k = Π_{l≥k} δ_l``:
    ``{0 ≤ u_1 ≤ … ≤ u_K ≤ 1}``. The gate *parametrisation* decides closedness: ``gate_range="closed"``
    (``δ ∈ [0,1]``) realises that whole set; ``"open"`` (``δ = sigmoid(θ)``, values in (0,1)) realises only
    ``{0 < u_1 < … < u_K < 1}``, which is not closed (its infimum risk equals the closed set's minimum but is
    attained only when the minimiser lies in the open set); ``"log"`` (``δ = exp(θ)``, ``θ ≤ 0``, values in
    (0,1]) realises ``{0 < u_1 ≤ … ≤ u_K ≤ 1}``.
``block-id``
    the gate of a token is a function of its block id only (``g_k`` for data tokens of block
    ``k``, ``g_q`` for the query). Within block ``k`` the weights are geometric,
    ``c_k (g_k^{n_k-1}, …, g_k, 1)``, and
    ``c_{k-1} = c_k g_k^{n_k}``, ``c_K = g_q``: a (K+1)-parameter, non-convex subset of the ``free`` set.
    It contains a non-uniform block-constant vector only through blocks of size 1.
``linatt``
    every gate 1: ``ω = 1`` (with ``P`` absorbing scale: the ray ``ω ∝ 1``).
``token``
    ``g_i = sigmoid(w^T z_i + b)``: the weights depend on the prompt, so no fixed weight vector describes the
    predictor and the WPGD risk landscape gives no bound for this class. Each prompt's weights lie in the
    open ``free`` set; ``w = 0`` gives geometric weights ``σ(b)^{n+1-i}``; a flag coordinate lets it approach
    the ``delimiter`` class (data gate ``σ(b) → 1``) without reaching it.

Key-dimension vector gates give one monotone weight vector per coordinate (``vector-free``,
``vector-delimiter``); for diagonal Σ the risk decouples per coordinate (A6):

    L(P, Γ) = s − Σ_m (r^T γ^m)² λ_m² / (λ_m a_m + b_m),   a_m = γ^{mT}(R+I)γ^m, b_m = s‖γ^m‖²

at the optimal (diagonal) ``P``; off-diagonal ``P`` entries only add ``λ_m P_{mm'}² M_{m'm'} ≥ 0``.

Rooms of this package:

``sets``         realisable sets and gate constructions (gates ↔ weights, membership)            A1, A2
``reduced``      the block reduction: K block variables, exact cone QPs, the γ fixed-point search  A3, A6
``certificate``  KKT on all n weights against the cone built from gate products (independent)     A3, A6
``controls``     the certificate run on planted cases with known answers (run-time controls)     A3, A4, A6
``optima``       class optima (:class:`ClassOptimum`, :class:`ClassCertificate`)                   A3
``vector``       key-dimension gates                                                               G2, A6
``decisions``    one decision per question: WPGD optimum, LinAtt optimum, attains               A3, A4
``dense``        the slow dense reference (n cvxpy variables, n×n constraints), tests only         A3
"""

from ..tolerances import ACTIVE_TOL, CERT_TOL, OMEGA_MATCH_TOL  # noqa: E402  (re-exported, old names)
from .certificate import ConeKKT, cone_kkt_certificate, cone_multipliers, gate_step_kinds, qp_kkt_certificate
from .controls import ControlOutcome, ControlReport, certificate_controls
from .decisions import (
    Attainment,
    LinAttOptimum,
    WPGDOptimum,
    attainment,
    attains,
    attains_by_gain,
    attains_wpgd,
    linatt_optimum,
    optimum_gain,
    wpgd_from_certify,
    wpgd_optimum,
)
from .dense import cone_constraint_matrices, cone_constraints  # the dense reference's builders (old names)
from .optima import ClassCertificate, ClassOptimum, constrained_optimum, fixed_point_gamma, linatt_risk
from .reduced import REDUCED_KINDS, BlockReduction, reduced_class_optimum, reduced_cone, solve_cone_qp
from .sets import (
    CONE_KINDS,
    GATE_KINDS,
    GATE_RANGES,
    GateKind,
    WeightSet,
    block_values,
    gates_for_weights,
    is_realisable,
    is_realisable_vector,
    monotone_cone_matrix,
    realisable_weights,
    uniform_distance,
    weights_from_gates,
)
from .vector import (
    VectorGateOptimum,
    coordinate_optimal_weights,
    vector_gate_local_optimum,
    vector_gate_optimum,
    vector_gate_profile,
    vector_gate_risk,
)

__all__ = [
    "ACTIVE_TOL",
    "CERT_TOL",
    "CONE_KINDS",
    "GATE_KINDS",
    "GATE_RANGES",
    "OMEGA_MATCH_TOL",
    "REDUCED_KINDS",
    "Attainment",
    "BlockReduction",
    "ClassCertificate",
    "ClassOptimum",
    "ConeKKT",
    "ControlOutcome",
    "ControlReport",
    "GateKind",
    "LinAttOptimum",
    "VectorGateOptimum",
    "WPGDOptimum",
    "WeightSet",
    "attainment",
    "attains",
    "attains_by_gain",
    "attains_wpgd",
    "block_values",
    "optimum_gain",
    "certificate_controls",
    "cone_multipliers",
    "cone_constraint_matrices",
    "cone_constraints",
    "cone_kkt_certificate",
    "constrained_optimum",
    "coordinate_optimal_weights",
    "fixed_point_gamma",
    "gate_step_kinds",
    "gates_for_weights",
    "is_realisable",
    "is_realisable_vector",
    "linatt_optimum",
    "linatt_risk",
    "monotone_cone_matrix",
    "qp_kkt_certificate",
    "realisable_weights",
    "reduced_class_optimum",
    "reduced_cone",
    "solve_cone_qp",
    "uniform_distance",
    "vector_gate_local_optimum",
    "vector_gate_optimum",
    "vector_gate_profile",
    "vector_gate_risk",
    "weights_from_gates",
    "wpgd_from_certify",
    "wpgd_optimum",
]
