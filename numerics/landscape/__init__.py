"""The WPGD risk landscape (R4–R7): the global minimum of ``L(P, ω)`` by three routes and the R6 uniqueness
certificate, on a block-reduced core that never forms an n×n matrix (docs/landscape.md).

Modules (docs/developing.md has the map):

``reduced``      the core: ``R = E C Eᵀ`` in the orthonormal block basis; ``L*``, its gradient and its
                 Hessian on all of ℝⁿ in structured form (α·I within blocks plus a (K+1)×(K+1) block),
                 ``(R+γI)⁻¹``.
``quotient``     the scaling quotient (R2): representatives, distances, the unit r.
``curve``        route (a): the curve of R4 and its fixed-point equation.
``scalarised``   route (b): the scalarised convex family (the one module that imports cvxpy, lazily).
``multistart``   route (c): reduced multi-start L-BFGS + Newton; the unreduced one used to check R7.
``certificate``  the decision rule, the typed certificate and :func:`certify`.
``optima``       R5's closed form and the best LinAtt predictor.
``selfcheck``    run-time self-checks of the core against independent routes, and planted controls of the
                 decision rules (a failure is a tool error of the R4–R6 checks).
``dense``        the slow explicit reference (n×n matrices), refusing large models; tests compare with it.

Every public name that other modules used from the former single module is re-exported here.
"""

from __future__ import annotations

from ..tolerances import HESS_RTOL, OMEGA_TOL, R_ZERO_TOL, RISK_RTOL
from .certificate import (
    Certificate,
    CvxpyCertificate,
    DistinctMinima,
    HessianCertificate,
    LandscapeResult,
    Minimum,
    MultistartCertificate,
    PrecondFn,
    RouteAgreement,
    RZeroCertificate,
    UniquenessDecision,
    certify,
    decide_uniqueness,
    distinct_minima,
    full_gradient,
    restricted_profile_hessian_min,
    restricted_profile_spectrum,
)
from .curve import (
    CurvePoint,
    CurveResult,
    CurveSpectrum,
    GammaMap,
    curve_omega,
    curve_route,
    gamma_bracket,
    gamma_map_r4,
    profile_on_curve,
)
from .dense import full_hessian, full_hessian_analytic, profile_hessian, restricted_full_spectrum
from .multistart import MultiStartResult, free_weights_multistart, multistart_route, newton_polish
from .optima import isotropic_closed_form, linatt_optimum
from .quotient import block_spread, normalise, quotient_distance, r_is_zero, r_scale
from .reduced import (
    BlockReduction,
    StructuredHessian,
    StructuredSpectrum,
    full_gradient_norms,
    hpp_min_eigenvalue,
    profile_gain,
    profile_gradient,
    profile_hessian_structured,
    reduction,
    restricted_spectrum_structured,
)
from .scalarised import (
    INFEASIBLE,
    OPTIMAL,
    OPTIMAL_INACCURATE,
    ScalarisedFamily,
    ScalarisedOptimum,
    ScalarisedSolution,
    optimise_scalarised,
)

__all__ = [
    "HESS_RTOL",
    "OMEGA_TOL",
    "R_ZERO_TOL",
    "RISK_RTOL",
    "INFEASIBLE",
    "OPTIMAL",
    "OPTIMAL_INACCURATE",
    "BlockReduction",
    "Certificate",
    "CurvePoint",
    "CurveResult",
    "CurveSpectrum",
    "CvxpyCertificate",
    "DistinctMinima",
    "GammaMap",
    "HessianCertificate",
    "LandscapeResult",
    "Minimum",
    "MultiStartResult",
    "MultistartCertificate",
    "PrecondFn",
    "RouteAgreement",
    "RZeroCertificate",
    "ScalarisedFamily",
    "ScalarisedOptimum",
    "ScalarisedSolution",
    "StructuredHessian",
    "StructuredSpectrum",
    "UniquenessDecision",
    "block_spread",
    "certify",
    "curve_omega",
    "curve_route",
    "decide_uniqueness",
    "distinct_minima",
    "free_weights_multistart",
    "full_gradient",
    "full_gradient_norms",
    "full_hessian",
    "full_hessian_analytic",
    "gamma_bracket",
    "gamma_map_r4",
    "hpp_min_eigenvalue",
    "isotropic_closed_form",
    "linatt_optimum",
    "multistart_route",
    "newton_polish",
    "normalise",
    "optimise_scalarised",
    "profile_gain",
    "profile_gradient",
    "profile_hessian",
    "profile_hessian_structured",
    "profile_on_curve",
    "quotient_distance",
    "r_is_zero",
    "r_scale",
    "reduction",
    "restricted_full_spectrum",
    "restricted_profile_hessian_min",
    "restricted_profile_spectrum",
    "restricted_spectrum_structured",
]
