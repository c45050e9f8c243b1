"""Internal-consistency errors: two routes of glaverify's own code disagreed (docs/evidence.md).

A :class:`ToolError` is an error of the tool, never a finding about the theory: the runner records it as an
``inconclusive`` record with ``tool_error`` set, and the command line exits 3 showing the disagreement.
"""

from __future__ import annotations


class ToolError(RuntimeError):
    """Two independent computations of ours disagreed: ``what`` says which, by how much."""

    def __init__(self, what: str):
        self.what = what
        super().__init__(what)


#: the largest value each tolerance of numerics/tolerances.py may take: the reason for each value is given
#: there and pinned by tests/test_tolerances.py. A run with a looser tolerance is refused as a tool error
#: (docs/reliability.md): a loosened tolerance turns wrong results into passes without changing any output.
TOLERANCE_MAXIMA = {
    "MATRIX_RTOL": 1e-10, "RISK_RTOL": 1e-8, "OMEGA_TOL": 1e-6, "HESS_RTOL": 1e-9, "R_ZERO_TOL": 1e-12,
    "FLAT_PROFILE_RTOL": 1e-12,
    "CERT_TOL": 1e-6, "ACTIVE_TOL": 1e-7, "OMEGA_MATCH_TOL": 1e-6, "GATING_TOL": 1e-7, "A4_TOL": 1e-6,
    "TORCH_REL_TOL": 1e-10, "CONSTRUCTION_TOL": 1e-10, "FLA_REL_TOL": 1e-4,
    # the gate-class tolerances (reasons: numerics/tolerances.py; near-miss plants: tests/test_gating.py)
    "A6_ADVANTAGE_RTOL": 1e-7, "A6_CONSISTENCY_RTOL": 1e-9, "ATTAINS_RTOL": 1e-7, "DIAGONAL_RTOL": 1e-12,
    "EIGENVECTOR_RTOL": 1e-10, "FIXED_POINT_TOL": 1e-4, "LINATT_TOL": 1e-10, "MEMBERSHIP_TOL": 1e-6,
    "REALISABLE_TOL": 1e-9,
    # the landscape core's self-checks (near-miss plants: tests/test_controls_landscape.py)
    "CORE_DENSE_RTOL": 1e-9, "CORE_FD_RTOL": 1e-5, "CONFIRM_GRAD_RTOL": 1e-4,
    # the gate-class certificate controls (reason: numerics/tolerances.py; near miss: test_controls_gating.py)
    "CONTROL_FD_TOL": 1e-6,
}


def loosened_tolerances() -> list[str]:
    """Tolerances of numerics/tolerances.py above their documented maxima (empty when all are in range)."""
    from . import tolerances

    out = []
    for name, limit in TOLERANCE_MAXIMA.items():
        value = getattr(tolerances, name, None)
        if value is not None and not value <= limit:
            out.append(f"numerics.tolerances.{name} = {value:g} exceeds its documented maximum {limit:g}")
    return out
