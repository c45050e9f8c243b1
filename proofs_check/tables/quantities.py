"""The quantities a sweep can tabulate, and the producers that compute them.

A *quantity* is one named number (or vector, or verdict) per sweep cell, e.g. ``risk.linatt``. Quantities
are computed by *producers*: one producer computes a group of quantities that share work (the WPGD optimum
gives its risk, ω*, γ* and the certificate status). Results are cached per (cell, producer).

Every value carries its own verdict (``proved``, ``certified``, ``supported``, ``refuted``,
``inconclusive``) or ``n/a`` when its producer is not available; the tables print a marker for everything
that is not ``proved``/``certified``. Producers that rest on another engineer's module import it lazily: if
the module (or the function) is missing, the quantity is ``n/a`` with ``needs <module>`` as the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CLAIM_IDS = (
    "G1",
    "G2",
    "G3",
    "G4",
    "R1",
    "R2",
    "R3",
    "R4",
    "R5",
    "R6",
    "R7",
    "A1",
    "A2",
    "A3",
    "A4",
    "A5",
    "A6",
    "A7",
)

NA = "n/a"

#: ω quantities drawn by an ``omega`` figure that names none
OMEGA_DEFAULT = ["omega.wpgd", "omega.gla.delimiter", "omega.gla.scalar", "omega.linatt"]


@dataclass(frozen=True)
class QuantitySpec:
    """A tabulable quantity. ``kind``: scalar (a number), vector (ω), text (a verdict), summary (dict)."""

    name: str
    producer: str
    label: str  # short column header (LaTeX-safe plain text)
    latex: str  # column header in LaTeX
    claim: str  # the claim(s) the quantity rests on
    kind: str = "scalar"
    description: str = ""


def qvalue(value: Any, verdict: str, note: str = "", ci: list[float] | None = None, **extra: Any) -> dict:
    """One quantity's value as a JSON-able dict."""
    out = {"value": value, "verdict": verdict, "note": note, "ci": ci}
    out.update(extra)
    return out


def not_available(reason: str) -> dict:
    return qvalue(None, NA, f"not available ({reason})")


QUANTITIES: dict[str, QuantitySpec] = {}


def _q(
    name: str, producer: str, label: str, latex: str, claim: str, kind: str = "scalar", desc: str = ""
) -> None:
    QUANTITIES[name] = QuantitySpec(name, producer, label, latex, claim, kind, desc)


# -- exact / closed-form quantities from the core (numerics.closed_forms) ------------------------------
_q(
    "risk.null",
    "closed_form",
    "null risk",
    r"$\operatorname{tr}\Sigma+\sigma^2$",
    "R1",
    desc="risk of the zero predictor, tr Σ + σ²",
)
_q(
    "risk.linatt",
    "closed_form",
    "LinAtt",
    r"$\mathcal{L}^\star_{\mathrm{LinAtt}}$",
    "R3, A4",
    desc="optimal linear-attention risk: ω = 1 with P*(1) (R3), certified by stationarity + convexity in P",
)
_q(
    "omega.linatt",
    "closed_form",
    "ω LinAtt",
    r"$\omega_{\mathrm{LinAtt}}$",
    "A4",
    "vector",
    desc="the uniform weights of linear attention, normalised to r^T ω = 1",
)
# -- Monte Carlo ---------------------------------------------------------------------------------------
_q(
    "mc.linatt",
    "mc_linatt",
    "LinAtt (MC)",
    r"$\hat{\mathcal{L}}_{\mathrm{LinAtt}}$",
    "R1",
    desc="Monte Carlo risk of the optimal LinAtt predictor with its CI",
)
_q(
    "mc.wpgd",
    "mc_wpgd",
    "WPGD (MC)",
    r"$\hat{\mathcal{L}}_{\mathrm{WPGD}}$",
    "R1, R6",
    desc="Monte Carlo risk of the WPGD optimum with its CI (needs numerics.landscape)",
)
# -- landscape (numerics.landscape) --------------------------------------------------------------------
_q(
    "risk.wpgd",
    "wpgd",
    "WPGD",
    r"$\mathcal{L}^\star_{\mathrm{WPGD}}$",
    "R4, R6",
    desc="optimal one-step WPGD risk over (P, ω)",
)
_q("omega.wpgd", "wpgd", "ω* WPGD", r"$\omega^\star$", "R4, R7", "vector", desc="optimal WPGD weights ω*")
_q("gamma.wpgd", "wpgd", "γ*", r"$\gamma^\star$", "R4", desc="the curve parameter γ* of the optimum (R4)")
_q(
    "certificate.wpgd",
    "wpgd",
    "certificate",
    "certificate",
    "R6",
    "text",
    desc="status of the WPGD optimum's certificate",
)
_q(
    "r6.certificate",
    "r6",
    "R6 certificate",
    "R6 certificate",
    "R6",
    "summary",
    desc="the landscape's uniqueness certificate on the cell (distinct minima, gradient, restricted Hessian)",
)
_q(
    "r6.search",
    "r6",
    "R6 search",
    "R6 search",
    "R6",
    "summary",
    desc="R6 counterexample search around the cell's dims (instances checked, suspects, counterexamples)",
)
# -- gating (numerics.gating) --------------------------------------------------------------------------
for _cls, _lab, _claim in (
    ("scalar", "scalar", "A1, A3"),
    ("delimiter", "delimiter", "A2, A3"),
    ("vector", "vector", "G2, A6"),
):
    _q(
        f"risk.gla.{_cls}",
        "gla",
        f"GLA {_lab}",
        rf"$\mathcal{{L}}^\star_{{\mathrm{{GLA}},\mathrm{{{_lab}}}}}$",
        _claim,
        desc=f"optimal {_lab}-gated GLA risk",
    )
    _q(
        f"margin.linatt_gla.{_cls}",
        "gla",
        f"LinAtt−GLA {_lab}",
        rf"$\Delta_{{\mathrm{{{_lab}}}}}$",
        "A4" if _cls != "vector" else "A6",
        desc=f"risk margin LinAtt − GLA ({_lab})",
    )
    _q(
        f"attains.gla.{_cls}",
        "gla",
        f"attains ({_lab})",
        rf"attains ({_lab})",
        "A3, A5",
        "text",
        desc=f"whether {_lab}-gated GLA attains the WPGD optimum",
    )
for _cls in ("scalar", "delimiter"):
    _q(
        f"omega.gla.{_cls}",
        "gla",
        f"ω GLA {_cls}",
        rf"$\omega_{{\mathrm{{{_cls}}}}}$",
        "A1, A2",
        "vector",
        desc=f"optimal realisable weights of {_cls}-gated GLA",
    )
# -- training (numerics.training) ----------------------------------------------------------------------
_q(
    "risk.trained",
    "trained",
    "trained",
    r"$\mathcal{L}_{\mathrm{trained}}$",
    "A7",
    desc="risk of a trained GLA (held-out Monte Carlo), where available",
)
_q(
    "risk.trained_theory",
    "trained",
    "theory (for trained)",
    r"$\mathcal{L}^\star$",
    "A3",
    desc="theoretical optimum matching the trained architecture",
)
# -- claim verdicts (the registry's default checks run on the cell) ------------------------------------
for _cid in CLAIM_IDS:
    _q(
        f"verdict.{_cid}",
        f"verdict.{_cid}",
        _cid,
        _cid,
        _cid,
        "text",
        desc=f"verdict of claim {_cid} on this cell",
    )


def quantity_names() -> list[str]:
    return list(QUANTITIES)


def producers_for(names: list[str]) -> list[str]:
    return list(dict.fromkeys(QUANTITIES[n].producer for n in names))


ProducerFn = Callable[..., dict[str, dict]]
