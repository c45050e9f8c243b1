# glaverify: `make verify` and `make test` bootstrap .venv on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.glaverify-installed
# torch is pinned to the CPU wheel that this machine keeps on disk; a bare requirement would pull CUDA.
TORCH  := torch==2.13.0

# Small dense problems: one BLAS thread per process is faster than two fighting for 2 cores.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: verify test test-slow bench lint docs clean-venv

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(TORCH)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

verify: $(STAMP)
	$(VENV)/bin/glaverify verify --out reports

test: $(STAMP)
	$(PY) -m pytest -m "not slow" -q -p no:cacheprovider

test-slow: $(STAMP)
	$(PY) -m pytest -m slow -q -p no:cacheprovider

bench: $(STAMP)
	$(PY) -m benchmarks

lint: $(STAMP)
	$(VENV)/bin/ruff check theory numerics proofs_check tests benchmarks

# docs/cli.md is written by hand (shared flags, exit codes); the per-command reference is generated
docs: $(STAMP)
	$(VENV)/bin/typer glaverify.proofs_check.cli utils docs --name glaverify --title "glaverify CLI reference" --output docs/cli-reference.md && sed -i "s/&#x27;/'/g" docs/cli-reference.md
	$(PY) -m glaverify.proofs_check.method_index

clean-venv:
	rm -rf $(VENV)

# i10: the mutation catalogue (mutation/catalogue.toml) on a temporary copy; prints both scores and the survivors
.PHONY: mutation claims-doc
mutation: $(STAMP)
	$(PY) -m mutation

# docs/claims.md from the claim registry (issue 13); `--verdicts reports/verification.json` refreshes the snapshot
claims-doc: $(STAMP)
	$(PY) -m glaverify.proofs_check.claimsdoc
