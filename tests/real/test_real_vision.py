"""The openai_api client's images against a real vision-language server: ``transformers serve``.

The test server proves exactness (it reads the pixels); this proves the client: the image parts it
sends are ones a real server's processor accepts and turns into image tokens. The model is a tiny
randomly initialised LLaVA saved in the test (no download), so its replies are noise, but its usage
counts are exact: each image costs the same number of prompt tokens (one per patch), so two
questions that differ only by a second image differ by exactly that many tokens.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from assay import TaskConfig, run_task
from tests.benchmarks.helpers import write_jsonl
from tests.models.tiny_vlm import IMAGE_TOKENS, build_tiny_vlm
from tests.real.transformers_server import TransformersServer, start_transformers_serve

pytestmark = [pytest.mark.real_model, pytest.mark.slow]

_SERVING_MODULES = ("torch", "transformers", "fastapi", "uvicorn", "PIL")


@pytest.fixture(scope="module")
def vlm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TransformersServer]:
    if os.environ.get("ASSAY_SKIP_REAL") == "1":
        pytest.skip("real-model tests disabled by ASSAY_SKIP_REAL=1")
    missing = [name for name in _SERVING_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}; run: bash scripts/install_real_model_deps.sh")
    folder = build_tiny_vlm(tmp_path_factory.mktemp("tiny-llava-serve"))
    with start_transformers_serve(folder, cores=os.environ.get("ASSAY_REAL_SERVER_CORES")) as server:
        yield server


def _png(colour: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (48, 40), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_images_reach_a_real_vlm_server_as_image_tokens(vlm_server: TransformersServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    for colour in ("red", "blue"):
        (data / "images" / f"{colour}.png").write_bytes(_png(colour))
    question = "Which colour is shown?"
    records = [
        {"question": f"<image 1> {question}", "options": ["red", "blue"], "image_1": "images/red.png", "answer": "A"},
        {
            "question": f"<image 1> <image 2> {question}",
            "options": ["red", "blue"],
            "image_1": "images/red.png",
            "image_2": "images/blue.png",
            "answer": "A",
        },
    ]
    write_jsonl(data / "example.jsonl", records)
    config = TaskConfig(
        model=vlm_server.model_name,
        model_id="tiny-llava",
        api_url=vlm_server.base_url,
        datasets=["general_vmcq"],
        dataset_args={"general_vmcq": {"local_path": str(data), "subset_list": ["example"]}},
        generation_config={"max_tokens": 4, "temperature": 0.0, "timeout": 120},
        model_args={"image_format": "jpeg"},  # re-encoded by the client: the server must still decode it
        work_dir=str(tmp_path / "out"),
        no_timestamp=True,
    )
    report = run_task(config, show_progress=False)["general_vmcq"]
    assert report.counts.errored == 0 and report.counts.total == 2
    lines = (tmp_path / "out" / "predictions" / "tiny-llava" / "general_vmcq_example.jsonl").read_text()
    outputs = {json.loads(line)["sample_id"]: json.loads(line)["output"] for line in lines.splitlines()}
    one, two = outputs["example-0"], outputs["example-1"]
    assert "error" not in one and "error" not in two
    assert one["usage"]["completion_tokens"] > 0
    # Same text, one more image: exactly one image's worth of tokens more (byte-level tokenizer).
    assert two["usage"]["prompt_tokens"] - one["usage"]["prompt_tokens"] == IMAGE_TOKENS
