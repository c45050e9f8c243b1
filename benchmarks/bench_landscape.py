"""Landscape benchmarks (R4/R6/R7) on the block-reduced core, each against the dense reference
(numerics/landscape/dense.py) in the same run where the reference accepts the model.

Run: ``python -m benchmarks landscape`` (or ``python -m benchmarks.bench_landscape [--quick]``).

Cases (issue 9 targets):

* ``certify`` at d = 64, n = 512, 8 blocks, rotated Σ (condition 100): < 0.5 s; the dense reference's
  ``certify`` on the same model for the ratio.
* the WPGD and LinAtt sections of ``glaverify landscape --json`` (``compute_landscape`` + ``json.dumps``) at
  d = 256, n = 4096, 16 blocks, diagonal Σ: < 2 s and peak memory < 300 MB (the dense reference refuses
  n > 1024, so the ratio is taken at d = 64, n = 512);
* the same at d = 1024, n = 65 536, 64 blocks, full Σ: < 20 s;
* ``r6_search.search`` throughput at d ≤ 8, n ≤ 16 (instances per minute);
* DPP: re-solving the built cvxpy family at a new θ vs building it again (reduced and full variable).

Every case runs in its own child process with BLAS pinned to one thread; peak memory is that child's
``ru_maxrss`` (imports included: numpy, scipy, cvxpy are ~130 MB of it). Numbers go to docs/performance.md
(section "Landscape") and docs/performance/landscape.md.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

PIN = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def big_model(d: int = 64, blocks: int = 8, per_block: int = 64, full: bool = True, seed: int = 0):
    """Star blocks ρ = 0.1..0.9, σ² = 0.5, Σ with log-uniform spectrum in [0.1, 10] (rotated if ``full``)."""
    from glaverify.numerics.model import DataModel

    rng = np.random.default_rng(seed)
    lam = np.exp(rng.uniform(np.log(0.1), np.log(10.0), d))
    if full:
        Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        sig = (Q * lam) @ Q.T
        sig = 0.5 * (sig + sig.T)
    else:
        sig = np.diag(lam)
    rho = np.linspace(0.1, 0.9, blocks)
    corr = np.ones((blocks + 1, blocks + 1))
    corr[:blocks, :blocks] = np.outer(rho, rho)
    np.fill_diagonal(corr, 1.0)
    corr[:blocks, blocks] = corr[blocks, :blocks] = rho
    return DataModel.create(sig, corr, [per_block] * blocks, 0.5)


def _warm() -> None:
    from glaverify.numerics import landscape as ls

    ls.ScalarisedFamily(big_model(4, 2, 2)).solve(0.5)  # import and warm cvxpy outside the timing


def case_certify() -> dict:
    from glaverify.numerics import landscape as ls
    from glaverify.numerics.landscape import dense

    _warm()
    m = big_model(64, 8, 64, full=True)
    out: dict = {"d": m.d, "n": m.n, "K": m.K}
    t0 = time.perf_counter()
    ls.curve_route(m)
    out["curve_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    opt = ls.optimise_scalarised(ls.ScalarisedFamily(m))
    out["cvxpy_s"] = time.perf_counter() - t0
    out["cvxpy_solves"] = len(opt.solves)
    t0 = time.perf_counter()
    ls.multistart_route(m, np.random.default_rng(0), starts=6)
    out["multistart_6_s"] = time.perf_counter() - t0
    m = big_model(64, 8, 64, full=True)  # fresh model: no cached reduction
    t0 = time.perf_counter()
    res = ls.certify(m, np.random.default_rng(0), starts=6)
    out["certify_s"] = time.perf_counter() - t0
    out["verdict"] = res.verdict
    out["hessian_min"] = res.cert.hessian.profile_restricted_min
    t0 = time.perf_counter()
    ref = dense.certify(big_model(64, 8, 64, full=True), np.random.default_rng(0), starts=6)
    out["dense_certify_s"] = time.perf_counter() - t0
    out["dense_verdict"] = ref.verdict
    out["risk_rel_diff"] = abs(res.risk - ref.risk) / abs(ref.risk)
    out["speedup"] = out["dense_certify_s"] / out["certify_s"]
    return out


def case_sections(d: int, blocks: int, per_block: int, full: bool, with_dense: bool) -> dict:
    """``compute_landscape`` (WPGD + LinAtt sections; no gate-class sections registered) + JSON dump."""
    from glaverify.numerics.landscape import dense
    from glaverify.proofs_check.commands.landscape import compute_landscape

    _warm()
    t0 = time.perf_counter()
    m = big_model(d, blocks, per_block, full=full)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    text = json.dumps(compute_landscape(m, seed=0))
    dt = time.perf_counter() - t0
    out = {
        "d": d,
        "n": m.n,
        "K": m.K,
        "full_sigma": full,
        "model_build_s": build,
        "sections_s": dt,
        "json_mb": len(text) / 2**20,
        "verdict": json.loads(text)["wpgd"]["verdict"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if with_dense:
        t0 = time.perf_counter()
        ref = dense.certify(big_model(d, blocks, per_block, full=full), np.random.default_rng(0))
        dense.linatt_optimum(m)
        out["dense_s"] = time.perf_counter() - t0
        out["speedup"] = out["dense_s"] / dt
        out["dense_verdict"] = ref.verdict
    return out


def case_search(budget: int = 3000) -> dict:
    from glaverify.numerics import r6_search

    res = r6_search.search(budget, seed=0, max_d=8, max_n=16)
    return {
        "budget": budget,
        "seconds": res.seconds,
        "per_minute": res.rate_per_minute,
        "suspects": res.suspects,
        "counterexamples": len(res.counterexamples),
    }


def case_dpp(repeats: int = 20) -> dict:
    from glaverify.numerics import landscape as ls

    _warm()
    out = {}
    m = big_model(64, 8, 64)
    for name, kw in (("reduced (K variables)", {}), ("full (n variables)", {"reduced": False})):
        thetas = np.linspace(0.3, 0.9, repeats)
        fam = ls.ScalarisedFamily(m, **kw)
        fam.solve(0.5)  # the first solve compiles the parametrised problem
        t0 = time.perf_counter()
        for th in thetas:
            fam.solve(float(th))
        resolve = (time.perf_counter() - t0) / repeats
        t0 = time.perf_counter()
        for th in thetas[:5]:
            ls.ScalarisedFamily(m, **kw).solve(float(th))
        rebuild = (time.perf_counter() - t0) / 5
        out[name] = {"resolve_ms": 1e3 * resolve, "rebuild_ms": 1e3 * rebuild, "speedup": rebuild / resolve}
    return out


def case_all_sections(d: int, blocks: int, per_block: int, dense_table: bool) -> dict:
    """``glaverify landscape --json`` with every section (the gate-class sections registered), diagonal Σ
    (the vector gates need it): ``compute_landscape`` + ``json.dumps``. ``dense_table``: the ``gla_vector``
    weight table written as the plain n×d list whatever its size (the behaviour before session 4)."""
    from glaverify.numerics.gating import vector as V
    from glaverify.proofs_check.commands import gating as cg
    from glaverify.proofs_check.commands.landscape import compute_landscape

    if dense_table:
        V.WEIGHTS_DENSE_MAX = 1 << 62
    _warm()
    cg._register_sections()
    m = big_model(d, blocks, per_block, full=False)
    t0 = time.perf_counter()
    text = json.dumps(compute_landscape(m, seed=0))
    dt = time.perf_counter() - t0
    sec = json.loads(text)["gla_vector"]
    return {
        "d": d,
        "n": m.n,
        "K": m.K,
        "dense_table": dense_table,
        "seconds": dt,
        "json_mb": len(text) / 2**20,
        "omega_format": sec.get("omega_format"),
        "vector_risk": sec.get("risk"),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


CASES = {
    "certify_d64_n512": case_certify,
    "sections_d64_n512": lambda: case_sections(64, 8, 64, True, True),
    "sections_d256_n4096": lambda: case_sections(256, 16, 256, False, False),
    "sections_d1024_n65536": lambda: case_sections(1024, 64, 1024, True, False),
    "search": case_search,
    "dpp": case_dpp,
    "all_sections_d1024_n65536": lambda: case_all_sections(1024, 64, 1024, False),
    "all_sections_d1024_n65536_dense_table": lambda: case_all_sections(1024, 64, 1024, True),
}


def child(name: str) -> None:
    print(json.dumps(CASES[name]()))


def run_case(name: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_landscape", "--child", name],
        env={**os.environ, **PIN},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(proc.stderr)
        raise SystemExit(proc.returncode)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(quick: bool = False) -> None:
    names = ["certify_d64_n512", "sections_d256_n4096"] if quick else list(CASES)
    data = {}
    for name in names:
        data[name] = r = run_case(name)
        if name.startswith("certify"):
            print(
                f"certify d={r['d']} n={r['n']} K={r['K']}: {r['certify_s']:.3f} s (target < 0.5 s), "
                f"{r['verdict']}; dense reference {r['dense_certify_s']:.2f} s ({r['dense_verdict']}) -> "
                f"{r['speedup']:.1f}x; risk rel. diff {r['risk_rel_diff']:.1e}; routes: curve "
                f"{r['curve_s']:.3f} s, cvxpy {r['cvxpy_s']:.3f} s ({r['cvxpy_solves']} solves), "
                f"multistart x6 {r['multistart_6_s']:.3f} s",
                flush=True,
            )
        elif name.startswith("sections"):
            extra = f"; dense reference {r['dense_s']:.2f} s -> {r['speedup']:.1f}x" if "dense_s" in r else ""
            print(
                f"landscape WPGD+LinAtt sections d={r['d']} n={r['n']} K={r['K']} "
                f"{'full' if r['full_sigma'] else 'diagonal'} Σ: {r['sections_s']:.2f} s "
                f"(+ model build {r['model_build_s']:.2f} s), JSON {r['json_mb']:.1f} MB, "
                f"peak RSS {r['peak_rss_mb']:.0f} MB, {r['verdict']}{extra}",
                flush=True,
            )
        elif name.startswith("all_sections"):
            print(
                f"landscape --json, every section, d={r['d']} n={r['n']} K={r['K']} diagonal Σ, weight table "
                f"{'as the plain n x d list (before)' if r['dense_table'] else r['omega_format']}: "
                f"{r['seconds']:.2f} s, JSON {r['json_mb']:.1f} MB, peak RSS {r['peak_rss_mb']:.0f} MB, "
                f"vector risk {r['vector_risk']}",
                flush=True,
            )
        elif name == "search":
            print(
                f"R6 search d<=8 n<=16: {r['budget']} in {r['seconds']:.2f} s = {r['per_minute']:.0f}/min; "
                f"suspects {r['suspects']}, counterexamples {r['counterexamples']}",
                flush=True,
            )
        else:
            for k, v in r.items():
                print(
                    f"DPP {k}: re-solve {v['resolve_ms']:.1f} ms vs rebuild {v['rebuild_ms']:.1f} ms "
                    f"-> {v['speedup']:.1f}x",
                    flush=True,
                )
    print(json.dumps(data))


if __name__ == "__main__":
    if "--child" in sys.argv:
        child(sys.argv[sys.argv.index("--child") + 1])
    else:
        main(quick="--quick" in sys.argv)
