"""Run inside the mutated copy: ``python _drive.py ROOT SPEC...`` with SPEC = ``CLAIM`` or ``CLAIM:METHOD``.

Each spec goes through the real command line (``glaverify check CLAIM [--method M] --quick --json``, the
typer app called in-process so the imports are paid once). Prints one JSON line per spec:
``{"spec", "exit", "result"}``. First asserts that glaverify is imported from ROOT (the temporary copy).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys


def main() -> None:
    root, specs = sys.argv[1], sys.argv[2:]
    import glaverify.numerics.closed_forms as cf
    import glaverify.proofs_check.cli as cli

    for mod in (cf, cli):
        if not os.path.realpath(mod.__file__).startswith(os.path.realpath(root)):
            print(json.dumps({"fatal": f"{mod.__name__} imported from {mod.__file__}, not the copy {root}"}))
            sys.exit(70)
    for spec in specs:
        claim, _, method = spec.partition(":")
        argv = ["check", claim, "--quick", "--json"] + (["--method", method] if method else [])
        buf = io.StringIO()
        code = 0
        try:
            with contextlib.redirect_stdout(buf):
                rv = cli.app(argv, standalone_mode=False)
            code = rv if isinstance(rv, int) else 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except Exception as exc:  # noqa: BLE001 - a crash of the CLI is an observable failure
            code = 2 if type(exc).__name__ == "InputError" else -1
            buf.write(json.dumps({"crash": f"{type(exc).__name__}: {exc}"}))
        if type(code).__name__ == "Exit":
            code = code.exit_code
        out = buf.getvalue().strip().splitlines()
        try:
            result = json.loads(out[-1]) if out else None
        except json.JSONDecodeError:
            result = None
        print(json.dumps({"spec": spec, "exit": code, "result": result}), flush=True)


if __name__ == "__main__":
    main()
