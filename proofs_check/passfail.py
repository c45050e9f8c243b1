"""Confidence bounds for pass/fail sampling (review of issue 10, finding 8; docs/evidence.md).

A ``supported`` record always carries a CI. A check that samples ``n`` independent random cases and sees
no failure has not shown that the failure rate is 0; it has shown, at confidence ``1 − α``, that the rate
is at most ``1 − α^{1/n}`` (the exact one-sided Clopper–Pearson bound for 0 failures in n; ≈ ``−ln α / n``,
the "rule of three" at α = 0.05).
"""

from __future__ import annotations

from typing import Any

#: confidence used when the record does not say which level its run used
DEFAULT_CONFIDENCE = 0.95


def failure_rate_bound(n: int, confidence: float = DEFAULT_CONFIDENCE) -> float:
    """``1 − α^{1/n}`` with ``α = 1 − confidence``: the upper confidence bound on the failure rate after
    ``n`` passing independent cases and no failure."""
    if n < 1:
        raise ValueError(f"pass/fail bound needs at least one sampled case, got n = {n}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return 1.0 - (1.0 - confidence) ** (1.0 / n)


def passfail_ci(n: int, confidence: float = DEFAULT_CONFIDENCE) -> dict[str, Any]:
    """The CI of a ``supported`` pass/fail record: failure rate in ``[0, 1 − α^{1/n}]``."""
    return {"low": 0.0, "high": failure_rate_bound(n, confidence), "confidence": confidence,
            "quantity": f"failure rate (0 failures in {n} independent sampled cases)"}


def confidence_of(config: dict[str, Any] | None) -> float:
    """The run's confidence from a record's config (``config["run"]["confidence"]``), else the default."""
    try:
        c = float(((config or {}).get("run") or {}).get("confidence", DEFAULT_CONFIDENCE))
    except (TypeError, ValueError, AttributeError):
        return DEFAULT_CONFIDENCE
    return c if 0.0 < c < 1.0 else DEFAULT_CONFIDENCE
