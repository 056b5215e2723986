"""Request bodies and headers shared by the built-in API plugins.

Bodies follow EvalScope's ``OpenaiPlugin.build_request`` and ``__compose_query_from_parameter``
(``evalscope/perf/plugin/api/openai_api.py``): the prompt fields first, then the sampling flags in
EvalScope's order, each only when set, then ``--extra-args`` merged over everything. They are encoded
once, before the run, with ``orjson``: compact, UTF-8 (non-ASCII text is not escaped, as EvalScope's
``ensure_ascii=False``), so a body is the same bytes every time.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import orjson

from assay.errors import UserError
from assay.perf.arguments import PerfArguments
from assay.perf.plugins import Prompt
from assay.perf.prompts._base import content_text
from assay.perf.prompts._files import json_type
from assay.perf.tokenizer import Tokenizer, load_tokenizer

#: EvalScope's ``replace_values`` placeholders in a ``--query-template``: the model and the prompt.
MODEL_PLACEHOLDER = "%m"
PROMPT_PLACEHOLDER = "%p"


def encode_json(document: dict[str, Any]) -> bytes:
    """The body bytes: compact JSON, UTF-8, keys in insertion order."""
    return orjson.dumps(document)


def json_headers(args: PerfArguments) -> dict[str, str]:
    """``Content-Type: application/json``, the user's ``--headers``, and the bearer token.

    The order is EvalScope's: ``--headers`` may replace the content type, while ``--api-key`` wins
    over an ``Authorization`` given in ``--headers``.
    """
    headers = {"Content-Type": "application/json", **args.headers}
    if args.api_key:
        headers["Authorization"] = f"Bearer {args.api_key}"
    return headers


class MaxTokens:
    """EvalScope's ``--max-tokens``: one value, or ``[min, max]`` drawn uniformly for each request.

    The draw (both ends included, as EvalScope's ``_sample_int_or_range``) is seeded by ``--seed``,
    so a seeded run sends the same bodies every time.

    Example:
        >>> draws = MaxTokens(PerfArguments(model="m", max_tokens=[10, 20], seed=0))
        >>> all(10 <= draws.next() <= 20 for _ in range(100))
        True
    """

    def __init__(self, args: PerfArguments) -> None:
        self.values = args.max_tokens
        self._rng = random.Random(args.seed)

    def next(self) -> int | None:
        """The next request's ``max_tokens``; None when unset."""
        if not self.values:
            return None
        if len(self.values) == 1:
            return self.values[0]
        return self._rng.randint(self.values[0], self.values[-1])


def add_sampling_fields(document: dict[str, Any], args: PerfArguments, max_tokens: int | None) -> dict[str, Any]:
    """Set the model and sampling flags on ``document`` in EvalScope's order; returns it.

    A key already in ``document`` (from ``--query-template``) is overwritten in place, keeping its
    position, as EvalScope's dict assignment does. ``stream_options.include_usage`` goes with
    ``stream: true`` so the server reports token usage; without streaming it is removed.
    """
    fields: list[tuple[str, Any]] = [
        ("model", args.model),
        ("max_tokens", max_tokens),
        ("min_tokens", args.min_tokens),
        ("frequency_penalty", args.frequency_penalty),
        ("repetition_penalty", args.repetition_penalty),
        ("logprobs", args.logprobs),
        ("n", args.n_choices),
        ("seed", args.seed),
        ("stop", args.stop),
        ("stream", args.stream),
    ]
    document.update((key, value) for key, value in fields if value is not None)
    if args.stream:
        document["stream_options"] = {"include_usage": True}
    else:
        document.pop("stream_options", None)
    later: list[tuple[str, Any]] = [
        ("stop_token_ids", args.stop_token_ids),
        ("temperature", args.temperature),
        ("top_p", args.top_p),
        ("top_k", args.top_k),
    ]
    document.update((key, value) for key, value in later if value is not None)
    document.update(args.extra_args)
    return document


def load_query_template(value: str) -> dict[str, Any]:
    """The JSON object of ``--query-template``: inline JSON, or ``@path`` to a JSON file.

    Raises:
        UserError: The file is missing, or the text is not a JSON object.
    """
    where = "--query-template"
    text = value
    if value.startswith("@"):
        where = f"--query-template file {value[1:]}"
        try:
            text = Path(value[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise UserError(f"{where}: cannot read it ({exc.strerror or exc})") from exc
    try:
        template = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise UserError(f"{where} is not valid JSON ({exc})") from exc
    if not isinstance(template, dict):
        raise UserError(f"{where} must be a JSON object (a request body), not a JSON {json_type(template)}")
    return template


def fill_query_template(template: dict[str, Any], fields: dict[str, Any], prompt: Prompt, model: str) -> dict[str, Any]:
    """A copy of ``template`` with the prompt put in.

    EvalScope 1.x sets the template's ``messages`` to the prompt; here the prompt's own fields are set
    (``messages``, or ``prompt`` for a text or token-id prompt). A template using EvalScope's older
    placeholders instead gets them replaced in every string: ``%p`` by the prompt text (the last user
    message for chat prompts) and ``%m`` by the model.

    Raises:
        UserError: The template has ``%p`` but the prompt is token ids (``--tokenize-prompt``).
    """
    document = copy.deepcopy(template)
    if not _has_placeholder(document):
        document.update(fields)
        return document
    if prompt.token_ids is not None:
        raise UserError("a --query-template with %p needs text prompts, not token ids (--tokenize-prompt)")
    return dict(_substitute(document, model, prompt_text(prompt)))


def prompt_text(prompt: Prompt) -> str:
    """The prompt as one text: the text itself, or the last user message's text content."""
    if prompt.text is not None:
        return prompt.text
    for message in reversed(prompt.messages or []):
        if message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def prompt_token_ids(prompt: Prompt, tokenizer_path: str | None) -> list[int]:
    """The prompt as token ids, for ``--tokenize-prompt`` with a source that yielded text or messages.

    Messages are rendered with the chat template first (EvalScope's ``_messages_to_token_ids``).

    Raises:
        UserError: No ``--tokenizer-path``.
    """
    if prompt.token_ids is not None:
        return prompt.token_ids
    tokenizer = require_tokenizer(tokenizer_path, "--tokenize-prompt")
    if prompt.messages is not None:
        return tokenizer.chat_ids(prompt.messages)
    return tokenizer.encode(prompt.text or "")


def require_tokenizer(tokenizer_path: str | None, needed_for: str) -> Tokenizer:
    """The ``--tokenizer-path`` tokenizer, or a UserError saying what needs it."""
    if tokenizer_path is None:
        raise UserError(f"{needed_for} needs --tokenizer-path")
    return load_tokenizer(tokenizer_path)


def _has_placeholder(value: Any) -> bool:
    if isinstance(value, str):
        return PROMPT_PLACEHOLDER in value or MODEL_PLACEHOLDER in value
    if isinstance(value, dict):
        return any(_has_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_placeholder(v) for v in value)
    return False


def _substitute(value: Any, model: str, text: str) -> Any:
    if isinstance(value, str):
        return value.replace(MODEL_PLACEHOLDER, model).replace(PROMPT_PLACEHOLDER, text)
    if isinstance(value, dict):
        return {key: _substitute(item, model, text) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, model, text) for item in value]
    return value
