"""Every numeric tolerance of glaverify, in one place, with the reason for its value.

A tolerance decides a verdict, so it is part of the claim being checked: loosening one can turn a wrong
result into a pass. Each constant below is pinned by a test that plants an error just above it (must be
caught) and just below it (must pass); change a value only together with that test and a reason here.
Modules import the constants from here; nothing else defines a tolerance.
"""

from __future__ import annotations

# ---------------------------------------------------------------- input validation (numerics.linalg)
#: relative asymmetry / negative-eigenvalue / unit-diagonal slack accepted in user matrices (Σ, C): float
#: text such as 0.1 is not exact in binary, but an error above 1e-10 relative is a real input error.
MATRIX_RTOL = 1e-10

# ---------------------------------------------------------------- WPGD landscape certificate (R4–R7)
#: relative agreement of risks (scale-free gains) between independent routes; the routes converge to
#: ~1e-13 on well-conditioned models, so 1e-8 leaves room for conditioning without hiding a wrong optimum.
RISK_RTOL = 1e-8
#: agreement of two weight vectors on the quotient (max-norm after normalisation); ω converges like the
#: square root of the risk tolerance.
OMEGA_TOL = 1e-6
#: a restricted-Hessian eigenvalue counts as positive when above this fraction of the largest |eigenvalue|.
HESS_RTOL = 1e-9
#: ‖r‖ below which r counts as 0 (R6's non-unique case).
R_ZERO_TOL = 1e-12

# ---------------------------------------------------------------- gate-class optima (A3–A6)
#: KKT / duality / fixed-point residual of the A3 class-optimum certificate (Clarabel's default accuracy
#: is ~1e-8; 1e-6 is what its polish reaches on the worst shipped example).
CERT_TOL = 1e-6
#: a cone constraint counts as active when its slack is at most this (relative to max|ω|); complementary
#: slackness μ_i (Aω)_i is reported, so a loose choice cannot hide a wrong multiplier.
ACTIVE_TOL = 1e-7
#: the fixed-point refinement of a class optimum may move ω by at most this (quotient max-norm).
OMEGA_MATCH_TOL = 1e-6
#: the tolerance the tables request from the class-optimum solver (tighter than CERT_TOL so that a cell
#: and the A3 check for the same model decide the same way).
GATING_TOL = 1e-7
#: A4: a LinAtt margin or a distance from uniform weights below this counts as zero.
A4_TOL = 1e-6

# ---------------------------------------------------------------- GLA = WPGD (G1–G3, A1, A2)
#: float64 relative error between the torch GLA and the reference WPGD predictor: exact in real arithmetic,
#: so only round-off (~1e-15 · length) remains.
TORCH_REL_TOL = 1e-10
#: exactness of the gate constructions (weights realised by gates) in float64.
CONSTRUCTION_TOL = 1e-10
#: float32 comparison with fla-core's naive kernels, on top of the per-element rounding bound.
FLA_REL_TOL = 1e-4
