"""pytest plugin loaded in the mutated copy: refuse to run tests against anything but the copy."""

from __future__ import annotations

import os


def pytest_configure(config) -> None:
    import glaverify.numerics.closed_forms as cf

    root = os.path.realpath(os.environ["GLAVERIFY_MUTATION_ROOT"])
    if not os.path.realpath(cf.__file__).startswith(root):
        raise RuntimeError(f"mutation run imports {cf.__file__}, not the temporary copy {root}")
