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
#: the scalarised family's θ grid counts as flat (one plateau, no Brent refinement) when its gains differ
#: by at most this, relative: rounding gives ~1e-15 (measured ≤ 5e-15 on the shipped single-task models),
#: and flatness at more grid points than the gain's degree in γ means the gain is constant
#: (docs/landscape.md), so refining would only revisit the same value; a profile that varies by more than
#: 1e-12 is refined.
FLAT_PROFILE_RTOL = 1e-12

# ---------------------------------------------------------------- landscape core self-checks (issue 10, h10b)
#: relative agreement of the block-reduced core (gain, ∇L*, ∇²L*·x, restricted spectrum) with routes that
#: compute the same quantity exactly another way (closed form, Danskin's gradient, the dense reference):
#: float64 rounding only (measured ≤ 1e-13 on the shipped and random models), so 1e-9 leaves conditioning
#: room while a dropped term (O(σ²/s) ≥ 1e-3 on every shipped model) is far above it.
CORE_DENSE_RTOL = 1e-9
#: relative agreement of ∇²L*·x with central differences of Danskin's gradient (step 1e-4·‖ω‖: truncation
#: ~1e-8, rounding ~1e-12; measured ≤ 1e-7); used at every n, where the dense reference is too large.
CORE_FD_RTOL = 1e-5
#: a point of an R6 counterexample counts as a stationary point of L* when Danskin's gradient of the full
#: risk is below this, relative to gain/‖ω‖: the routes stop at ~1e-9 (multi-start) and ~1e-6 (cvxpy's QP
#: accuracy), while a point that is not stationary (a faulty route) is off by O(1e-2) or more.
CONFIRM_GRAD_RTOL = 1e-4

# ---------------------------------------------------------------- gate-class optima (A3–A6)
#: KKT / duality residual of the A3 class-optimum certificate, and the full-space cone KKT residual
#: (relative). The block-reduced optimum is exact (NNLS active set, ~1e-15); the dense reference (Clarabel,
#: default accuracy ~1e-8) reaches 1e-6 after its face polish on the worst shipped example.
CERT_TOL = 1e-6
#: relative fixed-point residual ``|γ − (1 + s F₂/F₃)|/γ`` accepted at a class optimum. The γ root is found
#: to ~1e-15 by the reduced route; the dense reference's outer search stops at ~1e-5 on flat intervals
#: before its refinement, so 1e-4 is the old (dense) bound, kept so both routes are judged alike.
FIXED_POINT_TOL = 1e-4
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
#: "the class attains the WPGD optimum": ``L_class − L_WPGD <= ATTAINS_RTOL · max(1, |L_WPGD|)``. Both risks
#: are certified to ~1e-12 relative (exact reduced solves; certify's routes agree to RISK_RTOL = 1e-8 and
#: its polish reaches ~1e-13), while a class that does not attain misses by >= 1e-4 on every shipped
#: example; 1e-7 is the value the A3 check and the landscape sections always used (the tables used 1e-6).
ATTAINS_RTOL = 1e-7
#: membership of the WPGD optimum ω* in a class's realisable set (max-norm slack after scaling to
#: max|ω| = 1): ω* is certified to OMEGA_TOL = 1e-6 on the quotient, so membership gets the same slack.
MEMBERSHIP_TOL = 1e-6
#: A6: the scalar-vs-vector advantage counts as zero below ``A6_ADVANTAGE_RTOL · max(1, s)``.
A6_ADVANTAGE_RTOL = 1e-7
#: A6: relative agreement of the float vector-gated risk with its closed forms (float64, O(10) terms).
A6_CONSISTENCY_RTOL = 1e-9
#: stationarity / R1-vs-R3 agreement of the certified LinAtt optimum (closed form: float64 round-off only);
#: also the floor of the tables' run tolerance for that certificate.
LINATT_TOL = 1e-10
#: default slack of the membership test of a given vector in a realisable set (relative to max|ω|): a
#: vector built from gates in float64 is exact to ~1e-15, a non-member misses by O(1) in the checks.
REALISABLE_TOL = 1e-9
#: A6 applicability: Σ counts as diagonal when its off-diagonal entries are below this fraction of its
#: largest entry (config text → float is exact to ~1e-16), and the λ_m count as distinct above it.
DIAGONAL_RTOL = 1e-12
#: A6's prediction: r counts as an eigenvector of R when ‖Rr − (rᵀRr/rᵀr) r‖ ≤ this · max(‖Rr‖, 1)
#: (exact structure gives ~1e-16; the shipped non-eigenvector cases miss by > 1e-2).
EIGENVECTOR_RTOL = 1e-10

# ---------------------------------------------------------------- GLA = WPGD (G1–G3, A1, A2)
#: float64 relative error between the torch GLA and the reference WPGD predictor: exact in real arithmetic,
#: so only round-off (~1e-15 · length) remains.
TORCH_REL_TOL = 1e-10
#: exactness of the gate constructions (weights realised by gates) in float64.
CONSTRUCTION_TOL = 1e-10
#: float32 comparison with fla-core's naive kernels, on top of the per-element rounding bound.
FLA_REL_TOL = 1e-4

# ------------------------------------------------------------ gate-class certificate controls (A3, A4, A6)
#: the run-time controls of the gate-class certificate (numerics/gating/controls.py): its KKT multipliers
#: against central finite differences of the closed-form risk along the cone generators, on the planted
#: control model, relative to the gradient scale (step 1e-5: truncation ~1e-10, round-off ~1e-11; measured
#: 6e-11; a wrong summation misses by ~0.3).
CONTROL_FD_TOL = 1e-6
