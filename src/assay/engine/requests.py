"""The request kinds the engine sends: generate, log-likelihood of options, embed.

A benchmark says which kind answers its samples (``BenchmarkAdapter.request_kind``); this module is
the only place that turns a sample into a model call, so adapters never call a model and a new
backend only implements the protocol of the kinds it serves. Each kind's output is a
:class:`~assay.types.ModelOutput`: a log-likelihood request records every option's score in
``option_scores`` (no invented reply text), an embed request the vector in ``embedding``.
"""

from __future__ import annotations

import time

from assay.errors import UserError
from assay.models import EmbeddingModel, LoglikelihoodModel, ModelAPI
from assay.scoring.extract import choice_label
from assay.types import ChatMessage, GenerateConfig, ModelOutput, OptionScore, RequestKind, Sample, Usage


def check_support(model: ModelAPI, kind: RequestKind, *, benchmark: str, tools: bool = False) -> None:
    """Refuse, before any sample runs, a request the backend cannot serve.

    Raises:
        UserError: Naming the benchmark, what it needs and the backend that lacks it.
    """
    backend = type(model).__name__
    if kind is RequestKind.LOGLIKELIHOOD and not isinstance(model, LoglikelihoodModel):
        raise UserError(
            f"{benchmark} scores options by log-likelihood, which {backend} cannot compute (a server API "
            f"returns no prompt log-probabilities); use a local checkpoint backend, or set "
            f"extra_params.choice_scoring to 'generate'"
        )
    if kind is RequestKind.EMBED and not isinstance(model, EmbeddingModel):
        raise UserError(f"{benchmark} needs embeddings, which {backend} does not serve; use an embedding backend")
    if tools and not getattr(model, "supports_tools", False):
        raise UserError(f"{benchmark} offers the model functions to call, which {backend} cannot send")


async def send(model: ModelAPI, kind: RequestKind, sample: Sample, config: GenerateConfig) -> ModelOutput:
    """Ask ``model`` for what ``kind`` says about ``sample`` (support was checked by :func:`check_support`)."""
    if kind is RequestKind.GENERATE:
        if sample.tools:
            return await model.generate(  # type: ignore[call-arg]
                sample.input, config, tools=sample.tools, tool_choice=sample.tool_choice
            )
        return await model.generate(sample.input, config)
    if kind is RequestKind.LOGLIKELIHOOD:
        assert isinstance(model, LoglikelihoodModel)
        return await _option_loglikelihoods(model, sample)
    if kind is RequestKind.MULTI_TURN:
        return await _conversation(model, sample, config)
    assert isinstance(model, EmbeddingModel)
    return await model.embed(sample.user_text(), config)


async def _option_loglikelihoods(model: LoglikelihoodModel, sample: Sample) -> ModelOutput:
    if not sample.choices:
        raise UserError(f"sample {sample.id!r} has no options to score by log-likelihood")
    start = time.perf_counter()
    scored = await model.loglikelihood(sample.input, list(sample.choices))
    options = [
        OptionScore(label=choice_label(i), logprob=lp, tokens=n, logprob_per_token=lp / max(n, 1))
        for i, (lp, n) in enumerate(scored)
    ]
    tokens = sum(o.tokens for o in options)
    return ModelOutput(
        usage=Usage(completion_tokens=tokens, total_tokens=tokens),
        latency_s=time.perf_counter() - start,
        option_scores=options,
    )


async def _conversation(model: ModelAPI, sample: Sample, config: GenerateConfig) -> ModelOutput:
    """Answer each user turn in order, the model's own earlier answers in context (MT-Bench's protocol).

    The input lists the system message (if any) and the user turns; assistant messages given in
    the input are kept as they are (a fixed history). A failed turn ends the conversation with the
    error: later turns would be asked about an answer that does not exist.
    """
    if isinstance(sample.input, str):
        raise UserError(f"sample {sample.id!r}: a multi-turn request needs chat messages, not a raw prompt")
    history: list[ChatMessage] = []
    answers: list[str] = []
    prompt = completion = attempts = 0
    latency = 0.0
    ttft: float | None = None
    cut = False
    last = ModelOutput()
    for message in sample.input:
        history.append(message)
        if message.role != "user":
            continue
        last = await model.generate(list(history), config)
        attempts += last.attempts
        latency += last.latency_s
        if ttft is None:
            ttft = last.ttft_s
        if last.usage is not None:
            prompt += last.usage.prompt_tokens
            completion += last.usage.completion_tokens
        if last.error is not None:
            return last.model_copy(update={"turns": answers, "latency_s": latency, "attempts": attempts})
        answers.append(last.text)
        cut = cut or last.finish_reason == "length"
        history.append(ChatMessage(role="assistant", content=last.text))
    return last.model_copy(
        update={
            "turns": answers,
            "finish_reason": "length" if cut else last.finish_reason,  # any turn cut marks the sample truncated
            "latency_s": latency,
            "ttft_s": ttft,
            "attempts": attempts,
            "usage": Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion),
        }
    )
