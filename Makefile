# glaverify: `make verify` and `make test` bootstrap .venv on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.glaverify-installed
# torch is pinned to the CPU wheel that this machine keeps on disk; a bare requirement would pull CUDA.
TORCH  := torch==2.13.0

.PHONY: verify test test-slow bench lint clean-venv

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

clean-venv:
	rm -rf $(VENV)
