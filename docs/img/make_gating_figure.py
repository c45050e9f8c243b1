"""Generate docs/img/gating_weights.png: optimal one-layer weights vs position for WPGD, the GLA classes
(free scalar gates, delimiter gates) and linear attention, on examples/star.toml (A5 holds: delimiter GLA
attains WPGD) and examples/nonmonotone.toml (unequal blocks: it cannot).

Run: .venv/bin/python docs/img/make_gating_figure.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from glaverify.numerics import gating as G  # noqa: E402
from glaverify.numerics.config import load_config  # noqa: E402
from glaverify.numerics.model import DataModel  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def panel(ax, name: str) -> None:
    model = DataModel.from_config(load_config(ROOT / "examples" / name).model)
    pos = np.arange(1, model.n + 1)
    rows = [
        ("WPGD (unconstrained)", G.constrained_optimum(model, "unconstrained"), "k-", 2.5),
        ("GLA, free scalar gates", G.constrained_optimum(model, "free"), "C0--", 1.8),
        ("GLA, delimiter gates", G.constrained_optimum(model, "delimiter"), "C1:", 2.2),
        ("linear attention", G.constrained_optimum(model, "linatt"), "C2-.", 1.5),
    ]
    for label, opt, style, lw in rows:
        w = opt.omega / np.max(np.abs(opt.omega))
        ax.step(pos, w, style, where="mid", lw=lw, label=f"{label}: risk {opt.risk:.4f}")
    for b in np.cumsum(model.block_sizes)[:-1]:
        ax.axvline(b + 0.5, color="0.8", lw=0.8)
    ax.set_title(
        f"{name}: blocks {list(model.block_sizes)}, rho {np.round(model.query_corr, 2).tolist()}", fontsize=9
    )
    ax.set_xlabel("example position i (query after the last)")
    ax.set_ylabel("optimal weight (max = 1)")
    ax.set_ylim(0, 1.08)
    ax.legend(fontsize=7, loc="lower right")


def main() -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    panel(axes[0], "star.toml")
    panel(axes[1], "nonmonotone.toml")
    fig.tight_layout()
    out = ROOT / "docs" / "img" / "gating_weights.png"
    fig.savefig(out, dpi=110)
    return out


if __name__ == "__main__":
    print(main())
