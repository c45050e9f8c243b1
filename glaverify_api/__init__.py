"""glaverify as a library: strategies, claim properties and searches for a user's own tests.

``import glaverify`` gives the pieces a property test needs (docs/testing.md)::

    from hypothesis import given
    import glaverify

    @given(glaverify.models(max_d=6))
    def test_mine(model):
        assert glaverify.holds("R6", model)

The subpackages ``glaverify.theory``, ``glaverify.numerics`` and ``glaverify.proofs_check`` are the
project itself; this module only gathers what a user needs. Imports are lazy: ``import glaverify`` does not
load torch or sympy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "models",
    "model_configs",
    "model_config_dicts",
    "weight_vectors",
    "preconditioners",
    "prompts",
    "correlation_matrices",
    "spd_matrices",
    "block_sizes",
    "holds",
    "check_instance",
    "search",
    "claim",
    "claims",
    "searchable",
    "replay_command",
    "ToolError",
    "default_model",
]

if TYPE_CHECKING:  # pragma: no cover
    from glaverify.numerics.model import DataModel


class ToolError(AssertionError):
    """The fast property failed but the claim's independent method did not confirm the failure: an error
    of glaverify (its fast route), not a refutation of the claim."""


def models(**kwargs: Any):
    """Strategy of :class:`~glaverify.numerics.model.DataModel` (arguments of
    :func:`glaverify.numerics.strategies.model_config_dicts`: ``max_d``, ``max_n``, ``families``,
    ``covariances``, ``max_condition``, ``max_blocks``, ``noise_var``, ``near_singular``)."""
    from glaverify.numerics.strategies import data_models

    return data_models(**kwargs)


def _strategies(name: str):
    def f(*args: Any, **kwargs: Any):
        from glaverify.numerics import strategies

        return getattr(strategies, name)(*args, **kwargs)

    f.__name__ = name
    f.__doc__ = f"Strategy ``glaverify.numerics.strategies.{name}`` (same arguments)."
    return f


model_configs = _strategies("model_configs")
model_config_dicts = _strategies("model_config_dicts")
weight_vectors = _strategies("weight_vectors")
preconditioners = _strategies("preconditioners")
prompts = _strategies("prompts")
correlation_matrices = _strategies("correlation_matrices")
spd_matrices = _strategies("spd_matrices")
block_sizes = _strategies("block_sizes")


def default_model(d: int = 4, n: int = 12) -> DataModel:
    """The model used without a config file (docs/config.md)."""
    from glaverify.numerics.config import default_model_config
    from glaverify.numerics.model import DataModel

    return DataModel.from_config(default_model_config(d, n))


def _model_table(model: Any) -> dict:
    """A ``[model]`` table for a DataModel, a ModelConfig or a table."""
    from glaverify.numerics.config import ModelConfig
    from glaverify.numerics.model import DataModel

    if isinstance(model, dict):
        return model
    if isinstance(model, ModelConfig):
        return model.model_dump()
    if isinstance(model, DataModel):
        return {
            "d": model.d,
            "n": model.n,
            "noise_var": model.noise_var,
            "features": {"covariance": "full", "matrix": model.sigma.tolist()},
            "tasks": {
                "family": "custom",
                "block_sizes": list(model.block_sizes),
                "correlation": model.block_corr.tolist(),
            },
        }
    raise TypeError(f"expected a DataModel, ModelConfig or [model] table, not {type(model).__name__}")


#: the last failing instance per claim, read by the pytest plugin to print the replay command
_failures: list[tuple[str, dict, Any]] = []


def check_instance(claim_id: str, model: Any = None, **values: Any):
    """``(Outcome, Confirmation | None)`` of a claim's search property on one instance: ``model`` plus the
    claim's other values (``omega=``, ``P=``, ``gates=``, ... as in the search's instances)."""
    import numpy as np
    from glaverify.proofs_check.search.replay import replay
    from glaverify.proofs_check.search.spec import get_spec

    spec = get_spec(claim_id)
    inst: dict = {k: (np.asarray(v).tolist() if hasattr(v, "shape") else v) for k, v in values.items()}
    if model is not None:
        inst["model"] = _model_table(model)
    missing = "model" not in inst and "models" in spec.quantifies
    if missing:
        from glaverify.numerics.errors import InputError

        raise InputError("model", f"{spec.claim} quantifies over {', '.join(spec.quantifies)}: give a model")
    try:
        return replay(spec.claim, inst)
    except KeyError as exc:
        from glaverify.numerics.errors import InputError

        raise InputError(
            str(exc.args[0]),
            f"{spec.claim} quantifies over {', '.join(spec.quantifies)}: pass it as a keyword",
        ) from None


def holds(claim_id: str, model: Any = None, **values: Any) -> bool:
    """Does claim ``claim_id`` hold on this instance? ``True`` when the fast property holds; ``False`` only
    when a failure is confirmed by the claim's independent method (then the pytest plugin prints the
    replay command); raises :class:`ToolError` when the two routes disagree."""
    out, conf = check_instance(claim_id, model, **values)
    if out.ok:
        return True
    inst = {k: v for k, v in values.items()}
    if model is not None:
        inst["model"] = _model_table(model)
    _failures.append((claim_id.strip().upper(), inst, conf))
    del _failures[:-20]
    if conf is not None and conf.confirmed:
        return False
    raise ToolError(
        f"{claim_id}: the fast property fails (residual {out.residual:.3g} > {out.tolerance:.3g}) but "
        f"{conf.method if conf else 'the independent method'} does not confirm it: an error of glaverify"
    )


def search(claim_id: str, budget: int = 1000, seed: int = 0, **kwargs: Any):
    """Run ``glaverify search`` from Python; returns the :class:`SearchReport`."""
    from glaverify.proofs_check.search import search as _search

    return _search(claim_id, budget=budget, seed=seed, **kwargs)


def claim(claim_id: str):
    """The registry entry of a claim (statement, LaTeX, uses, checks)."""
    from glaverify.proofs_check.registry import get_claim

    return get_claim(claim_id)


def claims() -> list:
    from glaverify.proofs_check.registry import all_claims

    return all_claims()


def searchable() -> list[str]:
    from glaverify.proofs_check.search import searchable as _s

    return _s()


def replay_command(claim_id: str, instance: dict, directory: Any = None) -> str:
    """Write ``instance`` as a replay file (atomically) and return the ``glaverify check`` command."""
    from pathlib import Path

    from glaverify.proofs_check.search.replay import atomic_write, toml_text

    if directory is None:
        import platformdirs

        directory = Path(platformdirs.user_cache_dir("glaverify")) / "failures"
    cid = claim_id.strip().upper()
    section = {"claim": cid, "found_by": "a pytest property (glaverify plugin)"}
    values = {k: v for k, v in instance.items() if k != "model"}
    if values:
        section["values"] = values
    tables = ({"model": instance["model"]} if "model" in instance else {}) | {"counterexample": section}
    import hashlib
    import json

    digest = hashlib.sha1(json.dumps(instance, sort_keys=True, default=str).encode()).hexdigest()[:10]
    path = atomic_write(
        Path(directory) / f"{cid}-{digest}.toml", toml_text(tables, f"{cid} failing instance")
    )
    return f"glaverify check {cid} --config {path}"
