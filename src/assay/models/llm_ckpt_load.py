"""The heavy halves of ``llm_ckpt``: loading a checkpoint, and scoring continuations in one forward pass.

Kept apart from :mod:`assay.models.llm_ckpt` (requests, batching, prompts, outputs) because both are
plain functions of a model, with no state of the backend: loading picks text or image-text-to-text
weights from the checkpoint's config; scoring turns one right-padded forward pass into each
option's summed log-probability.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assay.errors import UserError
from assay.models.checkpoint_source import require_local_dependencies
from assay.models.llm_ckpt_vision import is_image_text_to_text, load_image_text_to_text

__all__ = ["LoadedCheckpoint", "first_line", "load_checkpoint", "score_continuations"]


@dataclass(frozen=True)
class LoadedCheckpoint:
    """Weights in eval mode, their tokenizer, and a vision-language model's processor (None for text)."""

    model: Any
    tokenizer: Any
    processor: Any


def load_checkpoint(
    name: str,
    source: str,
    gguf_file: str | None,
    *,
    revision: str | None,
    trust_remote_code: bool,
    tokenizer_path: str | None,
    dtype_name: str | None,
    device_map: str | None,
) -> LoadedCheckpoint:
    """Load ``source`` (a folder or hub id; ``gguf_file`` inside it) as a causal or image-text-to-text LM.

    Raises:
        UserError: the weights or tokenizer cannot be loaded (named by ``name``).
    """
    require_local_dependencies()
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    common: dict[str, Any] = {"revision": revision, "trust_remote_code": trust_remote_code}
    if gguf_file is not None:
        common["gguf_file"] = gguf_file
    tokenizer_source = tokenizer_path or source
    tokenizer_kwargs = dict(common) if tokenizer_source == source else {"trust_remote_code": trust_remote_code}
    on_gpu = torch.cuda.is_available()
    # CPU: float32 (bfloat16 matmuls are slow there and change greedy answers); GPU: the
    # checkpoint's own dtype, placed by accelerate.
    dtype = dtype_name or ("auto" if on_gpu else "float32")
    weights: dict[str, Any] = {
        "dtype": dtype if dtype == "auto" else getattr(torch, dtype),
        "device_map": device_map or ("auto" if on_gpu else None),
        **common,
    }
    vision = False
    processor = None
    try:
        # transformers reads no vision tower from a GGUF file: that is always a text model.
        vision = gguf_file is None and is_image_text_to_text(AutoConfig.from_pretrained(source, **common))
        if vision:
            model, processor = load_image_text_to_text(
                source, processor_source=tokenizer_source, processor_kwargs=tokenizer_kwargs, **weights
            )
            tokenizer = processor.tokenizer
        else:
            tokenizer = AutoTokenizer.from_pretrained(tokenizer_source, **tokenizer_kwargs)
            model = AutoModelForCausalLM.from_pretrained(source, **weights)
    except OSError as exc:
        raise UserError(f"could not load model {name!r}: {first_line(exc)}") from exc
    except ValueError as exc:
        if not vision:
            raise
        raise UserError(f"could not load {name!r} as image-text-to-text: {first_line(exc)}") from exc
    model.eval()
    return LoadedCheckpoint(model=model, tokenizer=tokenizer, processor=processor)


def score_continuations(
    model: Any, pad_id: int, prefix: list[int], continuations: list[list[int]]
) -> list[tuple[float, int]]:
    """Summed log-probability and token count of each continuation after ``prefix``, in one forward pass.

    Raises:
        UserError: the prompt is empty, or the device runs out of memory.
    """
    import torch

    if not prefix:
        raise UserError("log-likelihood scoring needs a non-empty prompt")
    rows = [prefix + c for c in continuations]
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    device = model.device
    try:
        with torch.inference_mode():
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
    except torch.OutOfMemoryError as exc:
        raise UserError(
            f"out of memory scoring {len(rows)} options: use a smaller --eval-batch-size ({first_line(exc)})"
        ) from exc
    results: list[tuple[float, int]] = []
    start = len(prefix) - 1  # logits at position t predict token t + 1
    for i, continuation in enumerate(continuations):
        if not continuation:
            results.append((0.0, 0))
            continue
        step_logprobs = torch.log_softmax(logits[i, start : start + len(continuation)].float(), dim=-1)
        targets = torch.tensor(continuation, device=step_logprobs.device)[:, None]
        results.append((float(step_logprobs.gather(-1, targets).sum()), len(continuation)))
    return results


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (transformers' errors run to pages)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
