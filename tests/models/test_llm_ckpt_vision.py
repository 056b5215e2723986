"""``llm_ckpt`` on vision-language checkpoints (``assay.models.llm_ckpt_vision``).

A tiny randomly initialised LLaVA (CLIP vision tower, Llama text model, a byte-level tokenizer built
in code) is saved with its processor to a temporary folder and evaluated from there, so detection,
the processor, batching and generation all really run; nothing is downloaded. A text-only Llama
saved the same way checks the refusal of image prompts.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.errors import UserError
from assay.models import llm_ckpt_vision
from assay.models.llm_ckpt import LocalCheckpoint
from assay.types import ChatMessage, GenerateConfig, ImagePart, ModelOutput, TextPart
from tests.engine.vmcq import png, vmcq_data
from tests.models.tiny_vlm import (
    IMAGE_SIDE,
    IMAGE_TOKEN_ID,
    IMAGE_TOKENS,
    build_tiny_vlm,
    byte_tokenizer,
    llama_config,
)

pytest.importorskip("torch")
pytest.importorskip("transformers")

GREEDY = GenerateConfig(max_tokens=6, temperature=0.0)


@pytest.fixture(scope="module")
def tiny_vlm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random LLaVA and its processor saved to a folder, as a real checkpoint is."""
    return build_tiny_vlm(tmp_path_factory.mktemp("tiny-llava"))


@pytest.fixture(scope="module")
def tiny_text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random text-only Llama with the same tokenizer (chat template included)."""
    import torch
    from transformers import LlamaForCausalLM

    tokenizer = byte_tokenizer()
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(llama_config(len(tokenizer))).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


class _Spy:
    """Records the batches, forward passes and vision-tower inputs of every LocalCheckpoint loaded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.batch_sizes: list[int] = []
        self.forwards: list[dict[str, Any]] = []
        self.pixel_values: list[Any] = []
        load, run_batch = LocalCheckpoint.load, LocalCheckpoint._generate_requests

        def spy_load(model: LocalCheckpoint) -> None:
            load(model)
            model._model.register_forward_pre_hook(self._record_forward, with_kwargs=True)
            for name, module in model._model.named_modules():
                if name.endswith("vision_tower"):  # model.vision_tower (4.x) or model.model.vision_tower
                    module.register_forward_pre_hook(self._record_pixels, with_kwargs=True)
                    break

        def spy_batch(model: LocalCheckpoint, requests: list[Any]) -> list[ModelOutput]:
            self.batch_sizes.append(len(requests))
            return run_batch(model, requests)

        monkeypatch.setattr(LocalCheckpoint, "load", spy_load)
        monkeypatch.setattr(LocalCheckpoint, "_generate_requests", spy_batch)

    def _record_forward(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.forwards.append({name: value.clone() for name, value in kwargs.items() if _is_tensor(value)})

    def _record_pixels(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.pixel_values.append(args[0] if args else kwargs["pixel_values"])

    @property
    def prefills(self) -> list[dict[str, Any]]:
        """The first forward pass of each generate (the whole prompt; later ones feed one token)."""
        return [f for f in self.forwards if f["input_ids"].shape[1] > 1]


def _is_tensor(value: object) -> bool:
    import torch

    return isinstance(value, torch.Tensor)


def _run_vmcq(model: Path, data: Path, out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run toy_vmcq through llm_ckpt; return the prediction and review records, by sample id."""
    config = TaskConfig(
        model=str(model),
        eval_type="llm_ckpt",
        datasets=["toy_vmcq"],
        dataset_args={"toy_vmcq": {"local_path": str(data)}},
        eval_batch_size=2,
        generation_config={"max_tokens": 6},
        work_dir=str(out),
        no_timestamp=True,
    )
    run_task(config, show_progress=False)

    def records(kind: str) -> list[dict[str, Any]]:
        [path] = list(out.rglob(f"{kind}/**/*.jsonl"))
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        return sorted(rows, key=lambda r: str(r["sample_id"]))

    return records("predictions"), records("reviews")


def _ask(model: LocalCheckpoint, prompts: list[list[ChatMessage] | str], config: GenerateConfig) -> list[ModelOutput]:
    """Answer all prompts concurrently (so they can share a batch), then close the batcher."""

    async def run() -> list[ModelOutput]:
        try:
            return list(await asyncio.gather(*(model.generate(p, config) for p in prompts)))
        finally:
            await model.aclose()

    return asyncio.run(run())


def _image_prompt(color: str, digit: str, question: str = "Which digit is drawn?") -> list[ChatMessage]:
    image = ImagePart(source=f"{color}.png", data=png(color, digit))
    return [ChatMessage(role="user", content=[image, TextPart(text=question)])]


def test_checkpoints_with_a_vision_tower_are_detected_as_image_text_to_text() -> None:
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig

    assert llm_ckpt_vision.is_image_text_to_text(LlavaConfig(vision_config=CLIPVisionConfig()))
    assert not llm_ckpt_vision.is_image_text_to_text(LlamaConfig())


def test_vmcq_images_reach_the_model_as_one_batch_of_pixel_values(
    tiny_vlm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = _Spy(monkeypatch)
    vmcq_data(tmp_path / "data", size=64)
    predictions, reviews = _run_vmcq(tiny_vlm, tmp_path / "data", tmp_path / "out")

    assert len(predictions) == len(reviews) == 2
    for record in predictions:
        output = record["output"]
        assert "error" not in output
        assert output["usage"]["prompt_tokens"] > IMAGE_TOKENS
        assert 0 < output["usage"]["completion_tokens"] <= 6
        assert output["latency_s"] > 0
    assert all(r["score"]["status"] == "scored" for r in reviews)
    # Both samples went through one batch and one prefill; each picture became IMAGE_SIDE² RGB pixels.
    assert spy.batch_sizes == [2]
    [pixels] = spy.pixel_values
    assert tuple(pixels.shape) == (2, 3, IMAGE_SIDE, IMAGE_SIDE)
    [prefill] = spy.prefills
    ids = prefill["input_ids"]
    assert (ids == IMAGE_TOKEN_ID).sum(dim=1).tolist() == [IMAGE_TOKENS, IMAGE_TOKENS]
    # Left padding: the shorter prompt ("red" against "blue") starts with one pad; both end in the last column.
    pads = (ids == 0).sum(dim=1).tolist()
    assert sorted(pads) == [0, 1] and ids[pads.index(1), 0] == 0 and (ids[:, -1] != 0).all()
    prompt_tokens = sorted(r["output"]["usage"]["prompt_tokens"] for r in predictions)
    assert prompt_tokens == sorted(ids.shape[1] - p for p in pads)


def test_two_runs_give_identical_predictions(tiny_vlm: Path, tmp_path: Path) -> None:
    vmcq_data(tmp_path / "data", size=64)
    first, _ = _run_vmcq(tiny_vlm, tmp_path / "data", tmp_path / "first")
    second, _ = _run_vmcq(tiny_vlm, tmp_path / "data", tmp_path / "second")
    assert [r["output"]["text"] for r in first] == [r["output"]["text"] for r in second]
    assert [r["output"]["usage"] for r in first] == [r["output"]["usage"] for r in second]
    assert any(r["output"]["text"] for r in first)


def test_greedy_answers_do_not_depend_on_the_batch(tiny_vlm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _Spy(monkeypatch)
    model = LocalCheckpoint(str(tiny_vlm))
    prompts: list[list[ChatMessage] | str] = [
        _image_prompt("red", "7"),
        _image_prompt("blue", "3", "Name the digit on this square, please."),
        [ChatMessage(role="user", content="No picture this time: say hello.")],
    ]
    batched = _ask(model, prompts, GREEDY)
    alone = [_ask(model, [p], GREEDY)[0] for p in prompts]
    assert spy.batch_sizes == [3, 1, 1, 1]  # two prompts with a picture and one without shared a batch
    assert [o.text for o in batched] == [o.text for o in alone]
    assert [o.usage for o in batched] == [o.usage for o in alone]


def test_pixel_values_take_the_dtype_of_the_weights(tiny_vlm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    spy = _Spy(monkeypatch)
    [out] = _ask(LocalCheckpoint(str(tiny_vlm), precision="bfloat16"), [_image_prompt("red", "7")], GREEDY)
    assert out.error is None and out.usage is not None and out.usage.completion_tokens > 0
    [pixels] = spy.pixel_values
    assert pixels.dtype == torch.bfloat16


def test_text_only_and_raw_prompts_to_a_vision_model_need_no_images(
    tiny_vlm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = _Spy(monkeypatch)
    model = LocalCheckpoint(str(tiny_vlm))
    chat, raw = _ask(model, [[ChatMessage(role="user", content="Say hello.")], "Once upon a time"], GREEDY)
    assert chat.error is None and raw.error is None
    assert chat.usage is not None and raw.usage is not None
    # The chat template and the raw prompt both start with BOS, written once.
    rendered = model._vision.encode([ChatMessage(role="user", content="Say hello.")], {})  # type: ignore[union-attr]
    assert rendered.text == "<s><|user|>Say hello.</s><|assistant|>"
    assert chat.usage.prompt_tokens == len("<|user|>Say hello.<|assistant|>") + 2
    assert raw.usage.prompt_tokens == len("Once upon a time") + 1
    assert spy.forwards and not spy.pixel_values


def test_a_text_only_model_refuses_a_run_with_images(tiny_text_model: Path, tmp_path: Path) -> None:
    vmcq_data(tmp_path / "data", size=64)
    with pytest.raises(UserError, match=r"tiny-llama\S* is a text-only model: it has no vision tower"):
        _run_vmcq(tiny_text_model, tmp_path / "data", tmp_path / "out")


def test_a_text_only_model_still_answers_text(tiny_text_model: Path) -> None:
    model = LocalCheckpoint(str(tiny_text_model))
    [out] = _ask(model, [[ChatMessage(role="user", content="Say hello.")]], GREEDY)
    assert out.error is None and model._vision is None
    assert out.usage is not None and out.usage.prompt_tokens == len("<|user|>Say hello.<|assistant|>") + 2


@pytest.mark.parametrize(
    ("part", "message"),
    [
        (lambda: ImagePart(source="https://example.com/cat.png"), "does not fetch images"),
        (lambda: ImagePart(source="broken.png", data=b"not a picture"), "cannot read the image broken.png"),
        (lambda: ImagePart(source="cut.png", data=png("red", "7")[:120]), "cannot read the image cut.png"),
    ],
    ids=["remote", "not-an-image", "truncated"],
)
def test_an_image_the_backend_cannot_read_is_a_user_error(
    tiny_vlm: Path, part: Callable[[], ImagePart], message: str
) -> None:
    model = LocalCheckpoint(str(tiny_vlm))
    prompt: list[ChatMessage] | str = [ChatMessage(role="user", content=[part(), TextPart(text="What is this?")])]
    with pytest.raises(UserError, match=message):
        _ask(model, [prompt], GREEDY)


def test_loglikelihood_refuses_images_and_scores_text(tiny_vlm: Path) -> None:
    model = LocalCheckpoint(str(tiny_vlm))
    with pytest.raises(UserError, match="cannot score options by log-likelihood after an image"):
        asyncio.run(model.loglikelihood(_image_prompt("red", "7"), ["7", "3"]))
    scored = asyncio.run(model.loglikelihood([ChatMessage(role="user", content="Pick one.")], ["7", "33"]))
    assert [tokens for _, tokens in scored] == [1, 2]
    assert all(logprob < 0 for logprob, _ in scored)
