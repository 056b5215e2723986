"""A real SmolLM2-135M-Instruct behind a real ``transformers serve``, shared by the session.

Skipped when ``ASSAY_SKIP_REAL=1`` or when the serving stack is not installed
(``bash scripts/install_real_model_deps.sh`` installs it). ``ASSAY_REAL_SERVER_CORES`` pins the
server with ``taskset -c`` (for example ``1``, leaving core 0 to the test process).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import pytest

from assay.models.smollm2 import ensure_hf_folder
from tests.real.transformers_server import TransformersServer, start_transformers_serve

# The [serving] extra brings fastapi and uvicorn; without them the CLI starts and exits at once.
_SERVING_MODULES = ("torch", "transformers", "gguf", "fastapi", "uvicorn")


@pytest.fixture(scope="session")
def real_server() -> Iterator[TransformersServer]:
    if os.environ.get("ASSAY_SKIP_REAL") == "1":
        pytest.skip("real-model tests disabled by ASSAY_SKIP_REAL=1")
    missing = [name for name in _SERVING_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"real-model tests need {', '.join(missing)}; run: bash scripts/install_real_model_deps.sh")
    model_dir = ensure_hf_folder()
    with start_transformers_serve(model_dir, cores=os.environ.get("ASSAY_REAL_SERVER_CORES")) as server:
        yield server
