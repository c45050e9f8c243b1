"""GLA forward-pass benchmark: our chunked form vs our recurrent loop vs fla-core's naive recurrences.

Run: ``python -m benchmarks gla`` (or ``python -m benchmarks.bench_gla``).

Setting: T = 2048, d_k = d_v = 64, batch 8 (one head), float32, CPU, gates in log space ~ −U(0, 0.1).
For scalar gates (fla: ``naive_recurrent_simple_gla``) and key-dimension gates (fla: ``naive_recurrent_gla``):

* wall time, best of ``REPEATS`` runs, of ``gla_recurrent``, ``gla_chunked`` (chunk 64) and fla's reference on
  the same inputs (fla receives ``sqrt(K)·q`` and the log-gates, i.e. the convention map of
  :mod:`glaverify.numerics.fla_reference`), and the max abs difference of the outputs;
* peak memory: each variant runs in a fresh child process; we report the increase of the process's peak
  resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) over its value right after the inputs
  were built. tracemalloc does not see torch's allocator, so RSS is what we measure; the child runs with
  glibc's ``MALLOC_MMAP_THRESHOLD_=65536`` so tensors above 64 KiB are mmapped and returned on free, and the
  peak RSS follows the live tensors rather than the allocator's cached heap (this slows allocation, so
  memory is measured in a separate child from the timing). For scale: q, k, v and the output are 4 MiB
  each.

Torch threads are pinned to 1 (``torch.set_num_threads(1)``) so the numbers do not depend on the load of
the shared machine. Numbers are recorded in docs/performance/gla.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

T, K, V, B = 2048, 64, 64, 8
CHUNK = 64
REPEATS = 5
SEED = 0
#: glibc: serve every allocation above 64 KiB by mmap and give it back on free, so that the peak RSS follows
#: the live tensors instead of the allocator's cached heap
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "0"}


def _inputs(shape: str):
    import torch

    g = torch.Generator().manual_seed(SEED)
    q = torch.randn(B, T, K, generator=g)
    k = torch.randn(B, T, K, generator=g) / K**0.5
    v = torch.randn(B, T, V, generator=g)
    lg = -0.1 * torch.rand((B, T, K) if shape == "key" else (B, T), generator=g)
    return q, k, v, lg


def _run(variant: str, shape: str):
    """Return a zero-argument callable computing the forward pass, and its output in our layout."""
    import torch
    from glaverify.numerics import fla_reference as fr
    from glaverify.numerics import gla

    q, k, v, lg = _inputs(shape)
    gates = torch.exp(lg)
    if variant == "recurrent":
        return lambda: gla.gla_recurrent(q, k, v, gates, shape)
    if variant == "chunked":
        return lambda: gla.gla_chunked(q, k, v, gates, shape, CHUNK)
    # fla layout (B, T, H=1, ·); fla scales q by K^-1/2, so pass sqrt(K) q
    qf, kf, vf = (t[:, :, None, :] for t in (q, k, v))
    qf = qf * K**0.5
    lgf = lg[:, :, None, :] if shape == "key" else lg[:, :, None]
    if shape == "key":
        return lambda: fr.fla_recurrent_gla(qf, kf, vf, lgf)[0][:, :, 0, :]
    return lambda: fr.fla_recurrent_simple_gla(qf, kf, vf, lgf)[0][:, :, 0, :]


def child(variant: str, shape: str, mode: str = "time") -> dict:
    """Runs in a fresh process: best wall time (``mode="time"``) or peak-RSS increase (``"memory"``)."""
    import resource

    import torch

    torch.set_num_threads(1)
    fn = _run(variant, shape)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    best = float("inf")
    with torch.no_grad():
        for _ in range(REPEATS if mode == "time" else 1):
            t0 = time.perf_counter()
            out = fn()
            best = min(best, time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if mode == "time":
        torch.save(out, f"/tmp/_bench_gla_{variant}_{shape}.pt")
        return {"seconds": best}
    return {"peak_rss_increase_mib": (peak - base) / 1024}


def _spawn(variant: str, shape: str) -> dict:
    out = {"variant": variant, "shape": shape}
    for mode, env in (("time", os.environ), ("memory", {**os.environ, **MALLOC_ENV})):
        code = ("import json, benchmarks.bench_gla as b; "
                f"print(json.dumps(b.child({variant!r}, {shape!r}, {mode!r})))")
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env=dict(env))
        out.update(json.loads(res.stdout.strip().splitlines()[-1]))
    return out


def main() -> None:
    import torch
    from glaverify.numerics import fla_reference as fr

    have_fla, info = fr.fla_available()
    print(f"GLA forward: T={T}, d_k={K}, d_v={V}, batch={B}, float32, CPU, 1 torch thread, chunk={CHUNK}, "
          f"best of {REPEATS}; fla-core: {info}")
    print(f"{'gates':7s} {'variant':10s} {'seconds':>9s} {'peak RSS +MiB':>14s} {'vs recurrent':>13s} "
          f"{'max|Δo| vs recurrent':>21s}")
    for shape in ("scalar", "key"):
        rows = {}
        for variant in ("recurrent", "chunked", "fla-naive"):
            if variant == "fla-naive" and not have_fla:
                continue
            rows[variant] = _spawn(variant, shape)
        ref = torch.load(f"/tmp/_bench_gla_recurrent_{shape}.pt")
        for variant, r in rows.items():
            out = torch.load(f"/tmp/_bench_gla_{variant}_{shape}.pt")
            diff = float((out.to(torch.float64) - ref.to(torch.float64)).abs().max())
            speed = rows["recurrent"]["seconds"] / r["seconds"]
            print(f"{shape:7s} {variant:10s} {r['seconds']:9.3f} {r['peak_rss_increase_mib']:14.1f} "
                  f"{speed:12.1f}x {diff:21.2e}")


if __name__ == "__main__":
    main()
