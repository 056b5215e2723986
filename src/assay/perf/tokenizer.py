"""The tokenizer behind ``--tokenizer-path``: exact prompt lengths and a token-count fallback.

``assay perf`` needs a tokenizer for three things, all before or after the run, never on the hot
path: making ``random`` prompts of an exact token length, filtering prompts by
``--min/--max-prompt-length`` in tokens, and counting tokens when a server sends no ``usage``.
``transformers`` is imported only inside :func:`load_tokenizer`, so ``assay --help`` stays instant,
and it loads offline only (a local folder, or a model id already in the Hugging Face cache): a
benchmark must not stall on a download in the middle of a sweep.

Counting rules match what an OpenAI-compatible server (vLLM, SGLang) reports as ``prompt_tokens``:
a completions text prompt is encoded with the tokenizer's special tokens (a Llama BOS), as vLLM
does and as EvalScope's length filter counts (:meth:`Tokenizer.count_prompt`); chat messages are
rendered with the chat template (with the generation prompt) and that text is encoded without
adding special tokens, since the template holds them (:meth:`Tokenizer.count_messages`). Generated
text is counted without special tokens (:meth:`Tokenizer.count`), as EvalScope counts output.

Example:
    >>> count = load_token_counter("/models/smollm2")  # doctest: +SKIP
    >>> count("Hello world")  # doctest: +SKIP
    2
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

from assay.errors import UserError

_INSTALL_HINT = "pip install 'transformers>=4.45'"
# Byte-fallback tokens (<0xE4>) decode to a lone byte; text made of them re-encodes to other tokens.
_BYTE_FALLBACK = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")


class Tokenizer:
    """A Hugging Face tokenizer behind the few typed operations ``assay perf`` needs.

    Args:
        backend: A ``transformers`` tokenizer (anything with ``encode``, ``decode``,
            ``apply_chat_template`` and ``get_vocab``).
        path: Where it was loaded from, for error messages.
    """

    def __init__(self, backend: Any, path: str) -> None:
        self.backend = backend
        self.path = path

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` without special tokens (how servers count a completions prompt)."""
        ids: list[int] = self.backend.encode(text, add_special_tokens=False)
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``, keeping special tokens so that re-encoding sees the same ids."""
        text: str = self.backend.decode(list(ids), skip_special_tokens=False)
        return text

    def count(self, text: str) -> int:
        """Number of tokens in ``text`` (no special tokens added): the count of generated text."""
        return len(self.encode(text))

    def count_prompt(self, text: str) -> int:
        """Prompt tokens a completions server reports for ``text``: special tokens (BOS) included."""
        return len(self.backend.encode(text))

    def chat_text(self, messages: list[dict[str, Any]]) -> str:
        """``messages`` rendered by the chat template, ending with the assistant's generation prompt.

        Raises:
            UserError: The tokenizer has no chat template, or it rejects these messages.
        """
        try:
            text = self.backend.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        except ImportError:
            raise  # a missing jinja2 is a dependency problem, not a template problem
        except Exception as exc:
            raise UserError(
                f"the tokenizer at {self.path} cannot apply its chat template ({_first_line(exc)}); use a "
                f"tokenizer with a chat template, or pass --no-apply-chat-template for a completions endpoint"
            ) from exc
        if not isinstance(text, str):  # some versions return a list for a batch of one
            text = text[0] if isinstance(text, list) and text and isinstance(text[0], str) else str(text)
        return text

    def chat_ids(self, messages: list[dict[str, Any]]) -> list[int]:
        """Token ids of ``messages`` as a chat server sees them (template included)."""
        return self.encode(self.chat_text(messages))

    def count_messages(self, messages: list[dict[str, Any]]) -> int:
        """Number of prompt tokens a chat server reports for ``messages``."""
        return len(self.chat_ids(messages))

    def ordinary_token_ids(self) -> list[int]:
        """Ids safe to build random text from: no special, added (control) or byte-fallback tokens.

        EvalScope excludes special and byte-fallback tokens; added tokens are excluded here too because
        many vocabularies (SmolLM2's ``<file_sep>``, ``<gh_stars>``) register control tokens that are
        not in ``all_special_ids`` but would still steer the model.
        """
        vocab: dict[str, int] = self.backend.get_vocab()
        excluded = set(getattr(self.backend, "all_special_ids", []))
        excluded.update(getattr(self.backend, "added_tokens_decoder", {}).keys())
        excluded.update(token_id for token, token_id in vocab.items() if _BYTE_FALLBACK.match(token))
        return sorted(token_id for token_id in set(vocab.values()) if token_id not in excluded)


@functools.lru_cache(maxsize=4)
def load_tokenizer(tokenizer_path: str) -> Tokenizer:
    """Load the tokenizer at ``tokenizer_path`` offline; cached, so every plugin shares one.

    Args:
        tokenizer_path: A local folder with tokenizer files, or a model id already in the local
            Hugging Face cache.

    Raises:
        UserError: ``transformers`` is not installed (with the pip command), or no tokenizer can
            be loaded from the path offline.
    """
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise UserError(f"--tokenizer-path needs the transformers package: {_INSTALL_HINT}") from exc
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # we tokenize before forking workers
    try:
        backend = AutoTokenizer.from_pretrained(tokenizer_path, local_files_only=True)
    except Exception as exc:  # OSError, ValueError, EnvironmentError... depending on what is missing
        raise UserError(
            f"cannot load a tokenizer from --tokenizer-path {tokenizer_path!r} ({_first_line(exc)}); give a "
            f"local folder with tokenizer files (tokenizer.json / tokenizer_config.json) or a model id already "
            f"in the Hugging Face cache (loading is offline)"
        ) from exc
    return Tokenizer(backend, tokenizer_path)


def load_token_counter(tokenizer_path: str | None) -> Callable[[str], int] | None:
    """A function counting the tokens of a text, or None without ``--tokenizer-path``.

    Metrics use it as the fallback when a server reports no ``usage``, and to show the discrepancy
    when both exist.

    Raises:
        UserError: As :func:`load_tokenizer`.
    """
    if tokenizer_path is None:
        return None
    return load_tokenizer(tokenizer_path).count


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
