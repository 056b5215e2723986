"""What every built-in prompt source shares: chat or text prompts, ``--prompt``, length filters.

EvalScope's dataset plugins (``evalscope/perf/plugin/datasets/base.py``) yield a bare string when no
chat template applies and a one-message list when it does, filter by ``--min/--max-prompt-length``
(tokens with ``--tokenizer-path``, else characters), and ``--prompt`` replaces the dataset entirely
(``evalscope/perf/benchmark.py``). :class:`PromptSourceBase` keeps those rules in one place so that a
source only says where its texts or conversations come from.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from assay.errors import UserError
from assay.perf.arguments import PerfArguments
from assay.perf.plugins import Prompt
from assay.perf.prompts._images import image_content
from assay.perf.tokenizer import Tokenizer, load_tokenizer

logger = logging.getLogger("assay.perf")

#: Endpoints a URL may already end in (EvalScope's ``_KNOWN_OPENAI_ENDPOINTS``).
_KNOWN_ENDPOINTS = ("chat/completions", "completions", "responses", "embeddings", "reranks", "rerank")
_CHAT_APIS = ("openai", "local", "local_vllm")


def uses_chat_messages(args: PerfArguments) -> bool:
    """Whether prompts are chat messages (True) or plain text / token ids (False).

    ``--apply-chat-template`` / ``--no-apply-chat-template`` decide when given. Otherwise EvalScope's
    rule: messages exactly when the endpoint is ``.../chat/completions``. A URL without an endpoint
    gets the API's default path appended later, so then the API decides (``openai`` is chat).
    """
    if args.apply_chat_template is not None:
        return args.apply_chat_template
    path = urlsplit(args.url).path.rstrip("/")
    if path.endswith("chat/completions"):
        return True
    if any(path.endswith("/" + endpoint) for endpoint in _KNOWN_ENDPOINTS):
        return False
    return args.api in _CHAT_APIS


def load_fixed_prompt(value: str) -> str:
    """The text of ``--prompt``: the value itself, or the contents of a file given as ``@path``."""
    if not value.startswith("@"):
        return value
    path = Path(value[1:])
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"--prompt {value}: cannot read {path} ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"--prompt {value}: {path} is not UTF-8 text") from exc


class PromptSourceBase:
    """Base of the built-in prompt sources; subclass it for your own (see ``datasets/custom.py``).

    A subclass implements :meth:`dataset_prompts` and turns each text or conversation it reads into
    a :class:`Prompt` with :meth:`text_prompt` / :meth:`messages_prompt`, which apply, in order:

    1. chat or text (:func:`uses_chat_messages`): a text becomes one user message in chat mode;
    2. the system prompt (``args.system_prompt``), prepended to messages that have none; a text
       prompt has no place for it, so it is left out with a warning;
    3. the length filter ``--min-prompt-length <= length <= --max-prompt-length``, where length is
       what the server receives: with ``--tokenizer-path``, the prompt tokens the server will report
       (chat template included in chat mode, a BOS for a text prompt, as EvalScope counts), else
       the characters of the text or of all message contents;
    4. ``--tokenize-prompt``: the prompt is sent as token ids (chat template applied in chat mode);
    5. ``prompt_tokens``: set whenever a tokenizer measured the prompt, so metrics can compare it
       with the server's ``usage``.

    ``--prompt`` bypasses the dataset (EvalScope semantics): one fixed prompt, not length-filtered,
    which the engine repeats. A file source that yields nothing raises a :class:`UserError` saying
    why, so a run never measures an empty workload.

    Example:
        >>> class Questions(PromptSourceBase):
        ...     name = "questions"
        ...     def dataset_prompts(self):
        ...         for text in ["Why is the sky blue?", "What is 2+2?"]:
        ...             prompt = self.text_prompt(text)
        ...             if prompt is not None:
        ...                 yield prompt
        >>> args = PerfArguments(model="m", url="http://h/v1/chat/completions")
        >>> next(Questions(args).prompts()).messages
        [{'role': 'user', 'content': 'Why is the sky blue?'}]
    """

    #: The ``--dataset`` name, used in messages.
    name: ClassVar[str] = "custom"
    #: The ``--api`` this source needs, when it needs one (``speed_benchmark``: completions).
    api: ClassVar[str | None] = None
    #: Whether ``--prompt`` replaces the dataset (EvalScope). Image sources keep their images and
    #: use ``--prompt`` as the text of each request instead (:meth:`request_text`).
    fixed_prompt_replaces_dataset: ClassVar[bool] = True

    def __init__(self, args: PerfArguments) -> None:
        self.args = args
        self.chat = uses_chat_messages(args)
        if args.tokenize_prompt and not args.tokenizer_path:
            raise UserError("--tokenize-prompt needs --tokenizer-path to turn prompts into token ids")
        self._seen = 0
        self._kept = 0
        self._shortest: int | None = None
        self._longest: int | None = None
        self._warned_system = False
        self._fixed_text: str | None = None

    @property
    def tokenizer(self) -> Tokenizer | None:
        """The ``--tokenizer-path`` tokenizer (loaded on first use), or None."""
        if self.args.tokenizer_path is None:
            return None
        return load_tokenizer(self.args.tokenizer_path)

    def prompts(self) -> Iterator[Prompt]:
        """The prompts, in order: ``--prompt`` alone if given, else the dataset's."""
        if self.args.prompt is not None and self.fixed_prompt_replaces_dataset:
            text = load_fixed_prompt(self.args.prompt)
            messages = [{"role": "user", "content": text}] if self.chat else None
            yield self._build(text=None if messages else text, messages=messages)[1]
            return
        self._seen = self._kept = 0
        self._shortest = self._longest = None
        yield from self.dataset_prompts()
        if self._kept == 0:
            raise UserError(self._empty_message())

    def dataset_prompts(self) -> Iterator[Prompt]:
        """The dataset's prompts; implemented by each source."""
        raise NotImplementedError

    def describe(self) -> str:
        """Where the prompts come from, for messages (a file path, or the source's name)."""
        return self.args.dataset_path or f"--dataset {self.name}"

    def text_prompt(self, text: str) -> Prompt | None:
        """A prompt from one text (a user message in chat mode), or None if the length filter drops it."""
        if self.chat:
            return self._filtered(*self._build(messages=[{"role": "user", "content": text}]))
        return self._filtered(*self._build(text=text))

    def messages_prompt(self, messages: list[dict[str, Any]]) -> Prompt | None:
        """A prompt from a conversation, or None if the length filter drops it.

        In text mode (a completions endpoint) a conversation has no wire form, so its last user
        message is sent as the text.
        """
        if self.chat:
            return self._filtered(*self._build(messages=messages))
        users = [m for m in messages if m.get("role") == "user"]
        return self._filtered(*self._build(text=content_text(users[-1].get("content") if users else "")))

    def image_prompt(self, text: str, image_urls: list[str]) -> Prompt:
        """A chat prompt of ``text`` and images (data URLs), the system prompt first if one is set.

        Not length-filtered, as EvalScope's image sources are not, and without ``prompt_tokens``:
        what an image costs in tokens depends on the model's vision encoder, so the server's
        ``usage`` is the only right count.
        """
        self._seen += 1
        self._kept += 1
        return Prompt(messages=self._with_system([{"role": "user", "content": image_content(text, image_urls)}]))

    def request_text(self, dataset_text: str) -> str:
        """The text of an image request: ``--prompt`` when given (see :attr:`fixed_prompt_replaces_dataset`)."""
        if self.args.prompt is None:
            return dataset_text
        if self._fixed_text is None:
            self._fixed_text = load_fixed_prompt(self.args.prompt)
        return self._fixed_text

    def _build(self, *, text: str | None = None, messages: list[dict[str, Any]] | None = None) -> tuple[int, Prompt]:
        """The prompt as sent, and its length (tokens with a tokenizer, else characters)."""
        if messages is not None:
            messages = self._with_system(messages)
        elif self.args.system_prompt and not self._warned_system:
            self._warned_system = True
            logger.warning("the system prompt is not sent: text prompts (completions) have no system message")
        tokenizer = self.tokenizer
        if tokenizer is None:
            if messages is not None:
                return sum(len(content_text(m.get("content"))) for m in messages), Prompt(messages=messages)
            return len(text or ""), Prompt(text=text)
        if self.args.tokenize_prompt:  # EvalScope's _messages_to_token_ids; ids are sent as they are
            ids = tokenizer.chat_ids(messages) if messages is not None else tokenizer.encode(text or "")
            return len(ids), Prompt(token_ids=ids, prompt_tokens=len(ids))
        if messages is not None:
            tokens = tokenizer.count_messages(messages)
            return tokens, Prompt(messages=messages, prompt_tokens=tokens)
        tokens = tokenizer.count_prompt(text or "")
        return tokens, Prompt(text=text, prompt_tokens=tokens)

    def _filtered(self, length: int, prompt: Prompt) -> Prompt | None:
        self._seen += 1
        self._shortest = length if self._shortest is None else min(self._shortest, length)
        self._longest = length if self._longest is None else max(self._longest, length)
        if self.args.min_prompt_length <= length <= self.args.max_prompt_length:
            self._kept += 1
            return prompt
        return None

    def _with_system(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        system = self.args.system_prompt
        if not system or (messages and messages[0].get("role") == "system"):
            return messages
        return [{"role": "system", "content": system}, *messages]

    def _empty_message(self) -> str:
        where = self.describe()
        if self._seen == 0:
            return f"--dataset {self.name}: {where} holds no prompts"
        unit = "tokens" if self.args.tokenizer_path else "characters (no --tokenizer-path)"
        return (
            f"--dataset {self.name}: none of the {self._seen} prompts in {where} is within --min-prompt-length "
            f"{self.args.min_prompt_length} .. --max-prompt-length {self.args.max_prompt_length} {unit}; "
            f"they range from {self._shortest} to {self._longest}"
        )


def content_text(content: Any) -> str:
    """The text of a message ``content``: a string, or the text parts of a multimodal part list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = (part.get("text") for part in content if isinstance(part, dict) and part.get("type") == "text")
        return "".join(part for part in parts if isinstance(part, str))
    return ""
