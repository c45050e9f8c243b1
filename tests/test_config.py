# ruff: noqa: E501  (the table of bad configs reads best one case per line)
"""The config schema (docs/config.md): every bad input is refused with an InputError naming the field and
the constraint; every family and covariance type is accepted; nothing is silently repaired."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from glaverify.numerics.config import (
    GlaverifyConfig,
    ModelConfig,
    build_model_config,
    default_model_config,
    load_config,
    parse_config,
)
from glaverify.numerics.errors import InputError
from glaverify.numerics.model import DataModel
from glaverify.numerics.strategies import block_sizes, correlation_matrices, model_config_dicts, spd_matrices
from hypothesis import given
from pydantic import ValidationError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

STAR = '[model.tasks]\nfamily = "star"\nblock_sizes = [4, 4]\n'
CUSTOM = '[model.tasks]\nfamily = "custom"\nblock_sizes = [4, 4]\n'
FULL = '[model.features]\ncovariance = "full"\n'
DIAG = '[model.features]\ncovariance = "diagonal"\n'

# (id, TOML text, field named in the error, a phrase of the constraint)
BAD = [
    # Σ
    ("sigma-not-psd", f"[model]\nd = 2\nn = 8\n{FULL}matrix = [[1.0, 2.0], [2.0, 1.0]]\n",
     "model.features.matrix", "positive definite"),
    ("sigma-singular", f"[model]\nd = 2\nn = 8\n{FULL}matrix = [[1.0, 1.0], [1.0, 1.0]]\n",
     "model.features.matrix", "positive definite"),
    ("sigma-asymmetric", f"[model]\nd = 2\nn = 8\n{FULL}matrix = [[1.0, 0.5], [0.2, 1.0]]\n",
     "model.features.matrix", "symmetric"),
    ("sigma-ragged", f"[model]\nd = 2\nn = 8\n{FULL}matrix = [[1.0, 0.5], [0.5]]\n",
     "model.features.matrix", "rows of equal length"),
    ("sigma-wrong-size", f"[model]\nd = 3\nn = 8\n{FULL}matrix = [[1.0, 0.0], [0.0, 1.0]]\n",
     "model.features.matrix", "d = 3"),
    ("sigma-missing", f"[model]\nd = 2\nn = 8\n{FULL}", "model.features.matrix", "required"),
    ("sigma-nan", f"[model]\nd = 2\nn = 8\n{FULL}matrix = [[1.0, nan], [nan, 1.0]]\n",
     "model.features.matrix[0][1]", "finite"),
    ("sigma-inf", f"[model]\nd = 2\nn = 8\n{FULL}matrix = [[inf, 0.0], [0.0, 1.0]]\n",
     "model.features.matrix[0][0]", "finite"),
    ("matrix-with-identity", "[model]\nd = 2\nn = 8\n[model.features]\nmatrix = [[1.0, 0.0], [0.0, 1.0]]\n",
     "model.features.matrix", "only allowed with covariance = 'full'"),
    ("eigenvalues-wrong-length", f"[model]\nd = 3\nn = 8\n{DIAG}eigenvalues = [1.0, 2.0]\n",
     "model.features.eigenvalues", "d = 3"),
    ("eigenvalues-zero", f"[model]\nd = 2\nn = 8\n{DIAG}eigenvalues = [1.0, 0.0]\n",
     "model.features.eigenvalues", "> 0"),
    ("eigenvalues-negative", f"[model]\nd = 2\nn = 8\n{DIAG}eigenvalues = [-1.0, 2.0]\n",
     "model.features.eigenvalues", "> 0"),
    ("eigenvalues-missing", f"[model]\nd = 2\nn = 8\n{DIAG}", "model.features.eigenvalues", "required"),
    ("eigenvalues-nan", f"[model]\nd = 2\nn = 8\n{DIAG}eigenvalues = [1.0, nan]\n",
     "model.features.eigenvalues[1]", "finite"),
    ("eigenvalues-string", f'[model]\nd = 2\nn = 8\n{DIAG}eigenvalues = [1.0, "2"]\n',
     "model.features.eigenvalues[1]", "number"),
    ("scale-zero", "[model]\n[model.features]\nscale = 0.0\n", "model.features.scale", "greater than 0"),
    ("scale-inf", "[model]\n[model.features]\nscale = inf\n", "model.features.scale", "finite"),
    ("covariance-unknown", '[model]\n[model.features]\ncovariance = "toeplitz"\n',
     "model.features.covariance", "'identity', 'diagonal' or 'full'"),
    # correlation (custom family)
    ("corr-not-psd", f"[model]\nn = 8\n{CUSTOM}correlation = [[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]\n",
     "model.tasks.correlation", "positive semidefinite"),
    ("corr-asymmetric", f"[model]\nn = 8\n{CUSTOM}correlation = [[1.0, 0.5, 0.1], [0.4, 1.0, 0.2], [0.1, 0.2, 1.0]]\n",
     "model.tasks.correlation", "symmetric"),
    ("corr-diagonal", f"[model]\nn = 8\n{CUSTOM}correlation = [[1.0, 0.5, 0.1], [0.5, 0.9, 0.2], [0.1, 0.2, 1.0]]\n",
     "model.tasks.correlation", "unit diagonal"),
    ("corr-wrong-size", f"[model]\nn = 8\n{CUSTOM}correlation = [[1.0, 0.5], [0.5, 1.0]]\n",
     "model.tasks.correlation", "3x3"),
    ("corr-missing", f"[model]\nn = 8\n{CUSTOM}", "model.tasks.correlation", "required"),
    ("corr-nan", f"[model]\nn = 8\n{CUSTOM}correlation = [[1.0, nan, 0.0], [nan, 1.0, 0.0], [0.0, 0.0, 1.0]]\n",
     "model.tasks.correlation[0][1]", "finite"),
    ("corr-with-star", f"[model]\nn = 8\n{STAR}rho = [0.1, 0.2]\ncorrelation = [[1.0]]\n",
     "model.tasks.correlation", "only allowed with family = 'custom'"),
    ("rho-with-custom", f"[model]\nn = 8\n{CUSTOM}rho = 0.5\ncorrelation = "
     "[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]\n", "model.tasks.rho", "not allowed"),
    # blocks
    ("blocks-sum", '[model]\nn = 12\n[model.tasks]\nfamily = "star"\nblock_sizes = [4, 4]\nrho = [0.1, 0.2]\n',
     "model.tasks.block_sizes", "sum to n = 12"),
    ("blocks-zero", '[model]\nn = 8\n[model.tasks]\nfamily = "star"\nblock_sizes = [0, 8]\nrho = [0.1, 0.2]\n',
     "model.tasks.block_sizes", ">= 1"),
    ("blocks-empty", '[model]\nn = 8\n[model.tasks]\nfamily = "decay"\nblock_sizes = []\nrho = 0.5\n',
     "model.tasks.block_sizes", "at least one block"),
    ("blocks-float", '[model]\nn = 8\n[model.tasks]\nfamily = "star"\nblock_sizes = [4.0, 4]\nrho = [0.1, 0.2]\n',
     "model.tasks.block_sizes[0]", "integer"),
    ("blocks-missing-star", '[model]\nn = 8\n[model.tasks]\nfamily = "star"\nrho = [0.1, 0.2]\n',
     "model.tasks.block_sizes", "required for family = 'star'"),
    ("blocks-missing-decay", '[model]\nn = 8\n[model.tasks]\nfamily = "decay"\nrho = 0.5\n',
     "model.tasks.block_sizes", "required for family = 'decay'"),
    ("blocks-missing-custom", '[model]\nn = 8\n[model.tasks]\nfamily = "custom"\ncorrelation = [[1.0]]\n',
     "model.tasks.block_sizes", "required for family = 'custom'"),
    ("iid-two-blocks", '[model]\nn = 8\n[model.tasks]\nfamily = "iid"\nblock_sizes = [4, 4]\n',
     "model.tasks.block_sizes", "single block"),
    # rho
    ("rho-above-1", f"[model]\nn = 8\n{STAR}rho = [0.1, 1.2]\n", "model.tasks.rho", "[-1, 1]"),
    ("rho-below-minus-1", f"[model]\nn = 8\n{STAR}rho = [-1.5, 0.1]\n", "model.tasks.rho", "[-1, 1]"),
    ("rho-short", f"[model]\nn = 8\n{STAR}rho = [0.1]\n", "model.tasks.rho", "has 1 entries but block_sizes has 2"),
    ("rho-long", f"[model]\nn = 8\n{STAR}rho = [0.1, 0.2, 0.3]\n", "model.tasks.rho", "has 3 entries"),
    ("rho-scalar-for-star", f"[model]\nn = 8\n{STAR}rho = 0.5\n", "model.tasks.rho", "list of 2 numbers"),
    ("rho-missing-star", f"[model]\nn = 8\n{STAR}", "model.tasks.rho", "list of 2 numbers"),
    ("rho-nan", f"[model]\nn = 8\n{STAR}rho = [0.1, nan]\n", "model.tasks.rho[1]", "finite"),
    ("rho-string", f'[model]\nn = 8\n{STAR}rho = [0.1, "a"]\n', "model.tasks.rho[1]", "number"),
    ("decay-rho-out", '[model]\nn = 8\n[model.tasks]\nfamily = "decay"\nblock_sizes = [4, 4]\nrho = 1.01\n',
     "model.tasks.rho", "[-1, 1]"),
    ("decay-rho-list", '[model]\nn = 8\n[model.tasks]\nfamily = "decay"\nblock_sizes = [4, 4]\nrho = [0.5]\n',
     "model.tasks.rho", "one number"),
    ("decay-rho-missing", '[model]\nn = 8\n[model.tasks]\nfamily = "decay"\nblock_sizes = [4, 4]\n',
     "model.tasks.rho", "one number"),
    ("iid-rho", '[model]\n[model.tasks]\nfamily = "iid"\nrho = 0.5\n', "model.tasks.rho", "not allowed"),
    ("family-unknown", '[model]\n[model.tasks]\nfamily = "ring"\n', "model.tasks.family", "'star'"),
    # noise and dims
    ("noise-negative", "[model]\nnoise_var = -0.1\n", "model.noise_var", ">= 0".replace(">=", "greater than or equal to")),
    ("noise-nan", "[model]\nnoise_var = nan\n", "model.noise_var", "finite"),
    ("noise-inf", "[model]\nnoise_var = inf\n", "model.noise_var", "finite"),
    ("noise-minus-inf", "[model]\nnoise_var = -inf\n", "model.noise_var", "finite"),
    ("noise-string", '[model]\nnoise_var = "0.1"\n', "model.noise_var", "number"),
    ("d-zero", "[model]\nd = 0\n", "model.d", "greater than or equal to 1"),
    ("d-negative", "[model]\nd = -3\n", "model.d", "greater than or equal to 1"),
    ("n-zero", "[model]\nn = 0\n", "model.n", "greater than or equal to 1"),
    ("d-float", "[model]\nd = 4.0\n", "model.d", "integer"),
    ("n-float", "[model]\nn = 12.5\n", "model.n", "integer"),
    ("d-string", '[model]\nd = "4"\n', "model.d", "integer"),
    ("n-string", '[model]\nn = "twelve"\n', "model.n", "integer"),
    ("d-bool", "[model]\nd = true\n", "model.d", "integer"),
    ("d-nan", "[model]\nd = nan\n", "model.d", "finite"),
    # unknown keys at every level
    ("unknown-top", "[model]\n[foo]\nbar = 1\n", "foo", "unknown key"),
    ("unknown-model", "[model]\ndimension = 4\n", "model.dimension", "unknown key"),
    ("unknown-features", "[model]\n[model.features]\nvariance = 1.0\n", "model.features.variance", "unknown key"),
    ("unknown-tasks", "[model]\n[model.tasks]\nrhos = [0.1]\n", "model.tasks.rhos", "unknown key"),
    ("unknown-run", "[model]\n[run]\nseeds = 3\n", "run.seeds", "unknown key"),
    # structure and [run]
    ("model-missing", "[run]\nseed = 1\n", "model", "required"),
    ("model-not-table", "model = 3\n", "model", "valid dictionary"),
    ("run-seed-negative", "[model]\n[run]\nseed = -1\n", "run.seed", "greater than or equal to 0"),
    ("run-mc-float", "[model]\n[run]\nmc_prompts = 1e5\n", "run.mc_prompts", "integer"),
    ("run-mc-small", "[model]\n[run]\nmc_prompts = 10\n", "run.mc_prompts", "greater than or equal to 100"),
    ("run-confidence-one", "[model]\n[run]\nconfidence = 1.0\n", "run.confidence", "less than 1"),
    ("run-tolerance-zero", "[model]\n[run]\ntolerance = 0.0\n", "run.tolerance", "greater than 0"),
    ("run-tolerance-nan", "[model]\n[run]\ntolerance = nan\n", "run.tolerance", "finite"),
]


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "cfg.toml"
    p.write_text(textwrap.dedent(text))
    return p


@pytest.mark.parametrize(("text", "field", "phrase"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_config_is_refused_naming_field_and_constraint(tmp_path, text, field, phrase):
    with pytest.raises(InputError) as info:
        load_config(_write(tmp_path, text))
    err = info.value
    assert err.field == field, str(err)
    assert phrase in err.constraint, str(err)
    assert str(err).startswith(f"{field}: ")
    assert "Input should be" not in str(err) and "Value error" not in str(err)


def test_error_message_is_field_colon_constraint():
    err = InputError("model.noise_var", "must be >= 0", -1.0)
    assert str(err) == "model.noise_var: must be >= 0 (got -1.0)"


def test_missing_file_and_invalid_toml(tmp_path):
    with pytest.raises(InputError, match="^config: file not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(InputError, match="^config: not valid TOML"):
        load_config(_write(tmp_path, "[model\nd = 1\n"))


# ---------------------------------------------------------------------------------------------- accepted
GOOD = {
    "empty-model": ("[model]\n", "iid", "identity"),
    "identity-scaled": ("[model]\nd = 3\nn = 5\nnoise_var = 0.0\n[model.features]\nscale = 2.5\n", "iid", "identity"),
    "diagonal-star": (f"[model]\nd = 3\nn = 8\n{DIAG}eigenvalues = [0.5, 1.0, 4.0]\n{STAR}rho = [-1.0, 1.0]\n",
                      "star", "diagonal"),
    "full-decay": (f"[model]\nd = 2\nn = 6\n{FULL}matrix = [[2.0, 0.5], [0.5, 1.0]]\n[model.tasks]\n"
                   'family = "decay"\nblock_sizes = [1, 2, 3]\nrho = -0.7\n', "decay", "full"),
    "custom-singular": (f"[model]\nd = 1\nn = 8\n{CUSTOM}correlation = [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0],"
                        " [1.0, 1.0, 1.0]]\n", "custom", "identity"),
    "iid-one-block": ('[model]\nn = 7\n[model.tasks]\nfamily = "iid"\nblock_sizes = [7]\n', "iid", "identity"),
    "with-run": ("[model]\n[run]\nseed = 5\nmc_prompts = 1000\nconfidence = 0.99\ntolerance = 1e-6\n",
                 "iid", "identity"),
}


@pytest.mark.parametrize("name", list(GOOD))
def test_valid_configs_are_accepted_for_every_family_and_covariance(tmp_path, name):
    text, family, cov = GOOD[name]
    cfg = load_config(_write(tmp_path, text))
    assert isinstance(cfg, GlaverifyConfig)
    assert cfg.model.tasks.family == family
    assert cfg.model.features.covariance == cov
    model = DataModel.from_config(cfg.model)
    assert model.n == cfg.model.n and model.d == cfg.model.d
    assert np.allclose(np.diag(model.C), 1.0)


def test_defaults_without_fields():
    cfg = parse_config({"model": {}})
    assert (cfg.model.d, cfg.model.n, cfg.model.noise_var) == (4, 12, 0.1)
    assert cfg.run.seed == 0 and cfg.run.mc_prompts == 200_000 and cfg.run.confidence == 0.999


def test_default_model_is_the_documented_one():
    m = DataModel.from_config(default_model_config(4, 12))
    assert np.allclose(np.diag(m.sigma), [0.5, 1.0, 1.5, 2.0])
    assert m.block_sizes == (4, 4, 4)
    assert np.allclose(m.query_corr, [0.2, 0.55, 0.9])
    assert m.noise_var == 0.1 and m.family == "star"


@pytest.mark.parametrize(("d", "n"), [(0, 4), (4, 0), (2.0, 4), ("4", 4), (True, 4)])
def test_default_model_config_rejects_bad_dims(d, n):
    with pytest.raises(InputError):
        default_model_config(d, n)


@given(model_config_dicts(max_condition=1e8))
def test_every_drawn_config_round_trips(data):
    cfg = parse_config({"model": data})
    again = build_model_config(cfg.model.model_dump())
    assert again == cfg.model
    DataModel.from_config(cfg.model)


def test_configs_are_frozen():
    cfg = default_model_config(4, 12)
    with pytest.raises(ValidationError):
        cfg.d = 5  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------- with_dims
def test_with_dims_refuses_when_d_conflicts_with_eigenvalues():
    cfg = default_model_config(4, 12)
    with pytest.raises(InputError) as info:
        cfg.with_dims(d=8)
    assert info.value.field == "model.features.eigenvalues"
    assert "d = 8" in info.value.constraint


def test_with_dims_refuses_when_d_conflicts_with_full_matrix():
    cfg = build_model_config({"d": 2, "features": {"covariance": "full", "matrix": [[1.0, 0.0], [0.0, 1.0]]}})
    with pytest.raises(InputError, match="model.features.matrix"):
        cfg.with_dims(d=3)


def test_with_dims_refuses_when_n_conflicts_with_blocks():
    with pytest.raises(InputError, match="model.tasks.block_sizes: must sum to n = 10"):
        default_model_config(4, 12).with_dims(n=10)


def test_with_dims_never_rescales():
    cfg = default_model_config(4, 12)
    same = cfg.with_dims(d=4, n=12)
    assert same == cfg
    iso = build_model_config({"d": 3, "n": 5, "features": {"scale": 2.0}})
    bigger = iso.with_dims(d=7, n=9)
    assert (bigger.d, bigger.n, bigger.features.scale) == (7, 9, 2.0)
    assert np.allclose(DataModel.from_config(bigger).sigma, 2.0 * np.eye(7))
    with pytest.raises(InputError, match="model.d"):
        iso.with_dims(d=0)


# ---------------------------------------------------------------------------------------------- examples
def _example_files() -> list[Path]:
    import tomllib

    out = []
    for p in sorted(EXAMPLES.glob("*.toml")):
        data = tomllib.loads(p.read_text())
        if "model" in data and "sweep" not in data:
            out.append(p)
    return out


def test_the_named_examples_exist():
    names = {p.name for p in _example_files()}
    assert {"default.toml", "iid.toml", "decay.toml", "custom.toml"} <= names


@pytest.mark.parametrize("path", _example_files(), ids=lambda p: p.name)
def test_every_example_config_validates(path):
    cfg = load_config(path)
    assert isinstance(cfg.model, ModelConfig)
    DataModel.from_config(cfg.model)


def test_default_example_is_the_default_model():
    cfg = load_config(EXAMPLES / "default.toml")
    assert cfg.model == default_model_config(4, 12)


# ---------------------------------------------------------------------------------------------- strategies
@given(spd_matrices(max_condition=1e8))
def test_drawn_sigma_is_accepted_and_respects_the_condition_bound(sig):
    lam = np.linalg.eigvalsh(sig)
    assert lam[0] > 0 and lam[-1] / lam[0] <= 1e8 * (1 + 1e-6)
    cfg = build_model_config({"d": len(sig), "features": {"covariance": "full", "matrix": sig.tolist()}})
    assert np.allclose(DataModel.from_config(cfg).sigma, sig)


@given(correlation_matrices(near_singular=True))
def test_drawn_near_singular_correlations_are_valid(c):
    k = len(c) - 1
    if k == 0:
        return
    cfg = build_model_config({"n": k, "tasks": {"family": "custom", "block_sizes": [1] * k,
                                                 "correlation": c.tolist()}})
    assert np.linalg.eigvalsh(DataModel.from_config(cfg).block_corr)[0] < 1e-5


@given(block_sizes())
def test_drawn_block_sizes_are_positive(sizes):
    assert sizes and all(b >= 1 for b in sizes)
