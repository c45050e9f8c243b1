"""The glaverify pytest plugin (registered through the ``pytest11`` entry point; docs/testing.md).

Fixtures:

``glaverify_model``   the default model (d = 4, n = 12) as a DataModel
``glaverify_holds``   :func:`glaverify.holds` (check a claim on an instance)
``glaverify_search``  :func:`glaverify.search` (a whole randomized search from a test)
``wick``              :class:`glaverify.theory.wick.GaussianModel`, the exact Gaussian expectation
                      engine (session-scoped, so usable with ``@given``)

When a test fails after :func:`glaverify.holds` returned ``False`` (or raised ``ToolError``), the report gets
a section with the failing instance written as a config file and the command that replays it:
``glaverify check CLAIM --config FILE``.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def glaverify_model():
    import glaverify

    return glaverify.default_model()


@pytest.fixture(scope="session")
def glaverify_holds():
    import glaverify

    return glaverify.holds


@pytest.fixture(scope="session")
def glaverify_search():
    import glaverify

    return glaverify.search


@pytest.fixture(scope="session")
def wick():
    from glaverify.theory.wick import GaussianModel

    return GaussianModel


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: Any) -> None:
    import glaverify

    glaverify._failures.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any):
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed:
        return
    import glaverify

    if not glaverify._failures:
        return
    claim_id, inst, _conf = glaverify._failures[-1]  # hypothesis replays the shrunk example last
    try:
        cmd = glaverify.replay_command(claim_id, inst)
    except Exception as exc:  # never hide the test's own failure
        cmd = f"(could not write the replay file: {exc})"
    rep.sections.append(("glaverify", f"failing {claim_id} instance; replay with:\n    {cmd}"))
    glaverify._failures.clear()
