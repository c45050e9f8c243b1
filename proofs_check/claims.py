# ruff: noqa: E501 -- claim statements are kept one per line
"""Statements of every claim id, with the claims each uses and its assumptions (rendered as docs/claims.md).

Each statement is the claim as the project checks it. Where a check refutes the brief's formula, the
statement here still records what was claimed; the corrected statement is documented in docs/ and in the
refuting record.
"""

from __future__ import annotations

from .registry import Claim, add_claim


def _c(id: str, family: str, title: str, statement: str, latex: str, uses: tuple[str, ...] = ()) -> None:
    add_claim(Claim(id=id, family=family, title=title, statement=statement, latex=latex, uses=uses))


# --- GLA implements WPGD (docs/gla.md) -------------------------------------------------------------
_c(
    "G1",
    "gla",
    "One GLA layer with scalar gates is one WPGD step",
    "One layer gives yhat = sum_i w_i y_i x^T P x_i with P = Q^T and w_i = prod_{j=i+1}^{n+1} g_j.",
    r"\hat y = x^\top Q^\top X^\top(\omega\odot y),\ \omega_i=\prod_{j=i+1}^{n+1} g_j",
)
_c(
    "G2",
    "gla",
    "Key-dimension gates give coordinate-weighted PGD",
    "With S_i = S_{i-1} diag(alpha_i) + v_i k_i^T, yhat = x^T P sum_i diag(gamma_i) x_i y_i, "
    "P = Q^T, gamma_i = prod_{j=i+1}^{n+1} alpha_j[1:d].",
    r"\hat y = x^\top Q^\top \sum_i \mathrm{diag}(\gamma_i) x_i y_i,\ \gamma_i=\prod_{j>i}\alpha_j",
    ("G1",),
)
_c(
    "G3",
    "gla",
    "L GLA layers are L steps of causal WPGD",
    "L layers equal L steps of causal WPGD with P_l = Q_l^T and w^{(l)}_{j->i} = prod_{k=j+1}^{i} g_k^{(l)}.",
    r"w_i^{(\ell+1)} = w_i^{(\ell)} - P_\ell \sum_{j\le i}\omega^{(\ell)}_{j\to i} x_j(x_j^\top w_j^{(\ell)}-\tilde y_j)",
    ("G1",),
)
_c(
    "G4",
    "gla",
    "Causal and full-context WPGD coincide only for one step",
    "For L = 1 causal and full-context WPGD coincide; for L >= 2 they differ in general.",
    r"L=1:\ \hat y_{\mathrm{causal}}=\hat y_{\mathrm{full}};\ L\ge2:\ \hat y_{\mathrm{causal}}\ne\hat y_{\mathrm{full}}",
    ("G3",),
)

# --- WPGD risk landscape (docs/risk.md) -------------------------------------------------------------
_c(
    "R1",
    "risk",
    "Closed-form WPGD risk",
    "L(P,w) = tr S + s2 - 2 (r^T w) tr(P S^2) + tr(P^T S P M(w)), M = a S^2 + b S, "
    "a = w^T (R+I) w, b = (tr S + s2) |w|^2.",
    r"\mathcal L(P,\omega)=\operatorname{tr}\Sigma+\sigma^2-2(r^\top\omega)\operatorname{tr}(P\Sigma^2)"
    r"+\operatorname{tr}(P^\top\Sigma P M(\omega))",
)
_c(
    "R2",
    "risk",
    "Scale invariance",
    "L(P/c, c w) = L(P, w) for every c != 0.",
    r"\mathcal L(P/c, c\omega)=\mathcal L(P,\omega)",
    ("R1",),
)
_c(
    "R3",
    "risk",
    "Optimal preconditioner and profile risk",
    "P*(w) = (r^T w)(a S + b I)^{-1}; L*(w) = tr S + s2 - (r^T w)^2 sum_k l_k^2/(a l_k + b).",
    r"P^\star(\omega)=(r^\top\omega)(a\Sigma+bI)^{-1},\ \mathcal L^\star(\omega)=\operatorname{tr}\Sigma+\sigma^2-"
    r"(r^\top\omega)^2\sum_k\frac{\lambda_k^2}{a\lambda_k+b}",
    ("R1",),
)
_c(
    "R4",
    "landscape",
    "The optimum lies on a one-parameter curve",
    "L* is minimised on w(g) ~ (R + g I)^{-1} r, g in [1, inf], at g = 1 + s F2/F3 with "
    "F_p = sum_k l_k^p/(a l_k + b)^2.",
    r"\omega(\gamma)\propto(R+\gamma I)^{-1}r,\ \gamma=1+s\frac{\sum_k\lambda_k^2/(a\lambda_k+b)^2}"
    r"{\sum_k\lambda_k^3/(a\lambda_k+b)^2}",
    ("R3",),
)
_c(
    "R5",
    "landscape",
    "Isotropic closed form",
    "If S = l I: w* ~ (R + (1 + d + s2/l) I)^{-1} r and min L = d l + s2 - d l r^T (R + (1+d+s2/l) I)^{-1} r.",
    r"\min\mathcal L=d\lambda+\sigma^2-d\lambda\, r^\top(R+(1+d+\sigma^2/\lambda)I)^{-1}r",
    ("R3", "R4"),
)
_c(
    "R6",
    "landscape",
    "Existence and uniqueness of the global minimum up to scaling",
    "If r != 0 a global minimiser exists and is unique up to scaling; if r = 0 every (0, w) is optimal.",
    r"r\neq0\Rightarrow\exists!\,[(P^\star,\omega^\star)]\ \text{modulo}\ (P,\omega)\sim(P/c,c\omega)",
    ("R2", "R4"),
)
_c(
    "R7",
    "landscape",
    "Block symmetry of the optimum",
    "In a multitask prompt, w* is constant within each task block.",
    r"\omega^\star_i=\omega^\star_j\ \text{whenever}\ k(i)=k(j)",
    ("R4",),
)

# --- What gating realises (docs/gating.md) ------------------------------------------------------------
_c(
    "A1",
    "gating",
    "Scalar-gate weights are the monotone cone",
    "With free scalar gates in [0,1], the realisable one-layer weights are {0 <= w_1 <= ... <= w_n <= 1}.",
    r"\{\omega:\ 0\le\omega_1\le\dots\le\omega_n\le1\}",
    ("G1",),
)
_c(
    "A2",
    "gating",
    "Delimiter gating realises block-monotone weights",
    "Data tokens with gate 1 and a trainable delimiter gate after each block realise exactly the "
    "block-constant, block-monotone weights.",
    r"\omega=\sum_k u_k 1_{B_k},\ 0\le u_1\le\dots\le u_K\le1",
    ("G1", "A1"),
)
_c(
    "A3",
    "gating",
    "The GLA optimum is the WPGD optimum over the realisable set",
    "min L_GLA = min L over the realisable set (a convex QP for S ~ I; a scalarised family in general); "
    "GLA attains the WPGD optimum iff the sign-normalised w* is realisable.",
    r"\min_{\mathrm{GLA}}\mathcal L=\min_{\omega\in\mathcal W}\mathcal L^\star(\omega)",
    ("A1", "A2", "R4", "R6"),
)
_c(
    "A4",
    "gating",
    "GLA is at least as good as linear attention",
    "min L_GLA <= min L_LinAtt, strictly iff the constrained optimum is not uniform.",
    r"\min\mathcal L_{\mathrm{GLA}}\le\min\mathcal L_{\mathrm{LinAtt}}",
    ("A3",),
)
_c(
    "A5",
    "gating",
    "Increasing star correlations give block-monotone optima",
    "In the star family with 0 <= rho_1 <= ... <= rho_K, w* is block-monotone, so delimiter-gated GLA "
    "attains the WPGD optimum.",
    r"0\le\rho_1\le\dots\le\rho_K\Rightarrow u^\star_1\le\dots\le u^\star_K",
    ("A2", "R7", "R4"),
)
_c(
    "A6",
    "gating",
    "Vector gating beats scalar gating",
    "With diagonal S, key-dimension gating decouples coordinates, each preferring w ~ (R + (1 + s/l_m) I)^{-1} r; "
    "vector gating is strictly better when the l_m differ and r is not an eigenvector of R.",
    r"\omega^{(m)}\propto(R+(1+s/\lambda_m)I)^{-1}r",
    ("G2", "R3"),
)
_c(
    "A7",
    "gating",
    "Depth lowers the trained risk",
    "With trained parameters, more layers lower the risk on multitask prompts (empirical).",
    r"\mathcal L_{L+1}^{\mathrm{trained}}<\mathcal L_{L}^{\mathrm{trained}}",
    ("G3", "A3"),
)


# --- Assumptions under which each claim is stated (rendered in docs/claims.md) --------------------------
_DATA = "Gaussian data model of docs/data-model.md: x ~ N(0, Σ), Σ ≻ 0; block-task correlation C PSD with unit diagonal; noise variance σ² ≥ 0"
_GLA = "the construction of docs/gla.md: k = [x; 0], q = [Qx; 0], v = [0; −y]; gates in [0, 1]"
ASSUMPTIONS: dict[str, str] = {
    "G1": _GLA + "; one layer, scalar gates (any values, data dependent or not)",
    "G2": _GLA + "; one layer, key-dimension gates α_i ∈ [0, 1]^(d+1)",
    "G3": _GLA + "; L layers with residual stream, scalar gates that may depend on the current token",
    "G4": "causal WPGD as in docs/gla.md (each position keeps its iterate, the query's own term included)",
    "R1": _DATA + "; one-step WPGD predictor ŷ = Σ_i ω_i y_i xᵀPx_i; E[ββᵀ] = I",
    "R2": _DATA + "; c ≠ 0",
    "R3": _DATA + "; ω ≠ 0 (so aΣ + bI ≻ 0)",
    "R4": _DATA + "; rᵀω ≠ 0 at the stationary points considered",
    "R5": _DATA + "; Σ = λI",
    "R6": _DATA + "; r ≠ 0 for the uniqueness clause (r = 0: every (0, ω) is optimal)",
    "R7": _DATA + "; multitask prompt (examples of a block share their task)",
    "A1": "one layer, free scalar gates in [0, 1] per position (G1 weights)",
    "A2": "data tokens gate exactly 1; one delimiter token after each block with a trainable gate in [0, 1]",
    "A3": _DATA + "; gate classes of A1/A2; Σ ∝ I for the convex-QP form",
    "A4": _DATA + "; gate classes of A1/A2; LinAtt = all gates 1",
    "A5": _DATA + "; star family, 0 ≤ ρ_1 ≤ … ≤ ρ_K (refuted as stated: see docs/findings.md)",
    "A6": _DATA + "; Σ diagonal; key-dimension gates, before the realisability constraints",
    "A7": "trained GLA (Adam, finite steps) on multitask prompts; measured with confidence intervals",
}
