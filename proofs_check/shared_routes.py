"""Routes that several claims of one model ask for, computed once per sweep process (:mod:`.once`).

The landscape's cvxpy route (the scalarised family over θ, docs/landscape.md) depends on the model only; R4
(``_global_bc``), R6 (``certify``), A3 and A4 (the WPGD optimum) and the tables' WPGD producers each run it on
the same cell. Inside :func:`~glaverify.proofs_check.once.sweep_scope` the first caller computes it and the
others reuse the (frozen) result; outside it, as under ``glaverify check`` and in the tests, every caller
computes its own, so a planted error in the route is always seen.
"""

from __future__ import annotations

from glaverify.numerics.config import ModelConfig
from glaverify.numerics.model import DataModel
from glaverify.proofs_check.once import once


def _scalarised(model: DataModel):
    from glaverify.numerics.landscape.scalarised import ScalarisedFamily, optimise_scalarised

    return optimise_scalarised(ScalarisedFamily(model))


def scalarised_route(model_config: ModelConfig, model: DataModel):
    """``optimise_scalarised(ScalarisedFamily(model))`` for the model of ``model_config`` (the key), or
    ``None`` when r = 0 (the route is undefined there; each caller keeps its own r = 0 handling)."""
    from glaverify.numerics.landscape import r_is_zero

    if r_is_zero(model):
        return None
    return once(_scalarised, model, key=("scalarised-route", model_config.model_dump_json()))
