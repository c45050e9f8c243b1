"""Same numbers? Every producer result of a sweep config, dumped from one code and compared with another's.

    python -m benchmarks.appendix_numbers dump examples/appendix.toml new.json
    PYTHONPATH=/path/to/old python -m benchmarks.appendix_numbers dump examples/appendix.toml old.json
    python -m benchmarks.appendix_numbers compare old.json new.json [--rtol 1e-10]

``dump`` runs every producer of every cell in one process (the way a sweep worker does, cell-independent
results computed once) through APIs that existed before issue 9, so the code under test can be another
checkout on ``PYTHONPATH``. ``compare`` walks both dumps leaf by leaf and prints every difference above
``--rtol`` (relative; strings, booleans and integers must be equal), leaving out the seconds a search or a
producer reports. Exit 1 when something differs.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

#: keys holding wall-clock times, which differ between any two runs
TIMING = re.compile(r"(seconds|elapsed)")


def dump(config: str, out: str) -> None:
    from glaverify.proofs_check.tables import producers
    from glaverify.proofs_check.tables.quantities import producers_for
    from glaverify.proofs_check.tables.spec import expand_cells, load_sweep_config

    cfg = load_sweep_config(Path(config))
    run = cfg.run.model_dump(mode="json")
    train = {**run, "_train": cfg.sweep.train.model_dump(mode="json")}
    res = {}
    for i, cell in enumerate(expand_cells(cfg)):
        for prod in producers_for(cfg.needs(cell)):
            r = producers.run_producer(prod, cell.model.model_dump(mode="json"),
                                       train if prod == "trained" else run, False)
            res[f"{i}/{prod}"] = r["values"]
    Path(out).write_text(json.dumps(res))
    print(f"{len(res)} producer results from {producers.__file__} -> {out}")


def differences(a: object, b: object, rtol: float, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if TIMING.search(k):
                continue
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'the second' if k not in a else 'the first'}")
            else:
                out += differences(a[k], b[k], rtol, f"{path}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: lengths {len(a)} and {len(b)}"]
        return [d for i, (u, v) in enumerate(zip(a, b, strict=True))
                for d in differences(u, v, rtol, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        if a == b or (math.isnan(a) and math.isnan(b)):
            return []
        rel = abs(a - b) / max(abs(a), abs(b), 1e-300)
        return [f"{path}: {a!r} vs {b!r} (relative {rel:.3g})"] if rel > rtol else []
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "dump":
        dump(argv[1], argv[2])
        return 0
    if len(argv) >= 3 and argv[0] == "compare":
        rtol = float(argv[argv.index("--rtol") + 1]) if "--rtol" in argv else 0.0
        a, b = (json.loads(Path(p).read_text()) for p in argv[1:3])
        diffs = differences(a, b, rtol)
        for d in diffs:
            print(d)
        print(f"{len(a)} and {len(b)} producer results; {len(diffs)} difference(s) above relative {rtol:g}")
        return 1 if diffs else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
