"""``--dataset random``: synthetic prompts of exact token lengths, made with ``--tokenizer-path``.

EvalScope's ``random`` (``evalscope/perf/plugin/datasets/random_dataset.py``), whose semantics this
keeps:

* each prompt's length ``L`` is drawn uniformly from ``[--min-prompt-length, --max-prompt-length]``
  (both inclusive); in chat mode the chat template's own tokens count towards that range, so the
  drawn content length is ``L - template`` (``_resolve_prompt_length_bounds``);
* ``--prefix-length P`` random tokens, drawn once, start every prompt and come on top of ``L``
  (so a server's prefix cache can share them): a prompt has ``P + L`` tokens, plus the template;
* the body is a run of consecutive ordinary vocabulary ids from a random offset, decoded to text;
  special, added and byte-fallback tokens are never used;
* ``--tokenize-prompt`` sends the ids themselves (``prefix + body``, no chat template), avoiding the
  text round trip;
* prompts are drawn from a generator seeded by ``--seed`` (unseeded without it, as EvalScope).

Where EvalScope accepts a prompt whose re-encoded length is off after ten adjustment rounds (and
logs the total mismatch), this source re-draws until the prompt has exactly the intended length
(template included in chat mode), and records in ``Prompt.prompt_tokens`` the count the server will
report (for a text prompt that includes a BOS the tokenizer adds, as vLLM counts it). The shared
prefix is made once, so its text is identical in every prompt.

The stream is endless and every prompt distinct. The generator lives in the source, so a second call
of :meth:`RandomTokens.prompts` (the next run of a sweep) continues it instead of repeating the same
prompts, which a prefix-caching server would otherwise answer from cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from assay.errors import UserError
from assay.perf.arguments import PerfArguments
from assay.perf.plugins import Prompt, register_dataset
from assay.perf.prompts._base import PromptSourceBase, logger
from assay.perf.tokenizer import Tokenizer, load_tokenizer

#: Decode/re-encode adjustment rounds for one text (EvalScope's ``max_retry``).
_ADJUST_ROUNDS = 10
#: Fresh draws before giving up on one prompt length; a normal tokenizer needs one or two.
_MAX_DRAWS = 50


@register_dataset("random")
class RandomTokens(PromptSourceBase):
    """Random-token prompts of exact lengths (EvalScope's ``random``)."""

    name = "random"

    def __init__(self, args: PerfArguments) -> None:
        super().__init__(args)
        self._rng = np.random.default_rng(args.seed)
        if args.prompt is not None:
            return  # --prompt replaces the dataset, as in EvalScope: no tokenizer needed
        if not args.tokenizer_path:
            raise UserError(
                f"--dataset {self.name} needs --tokenizer-path: prompts are made of exact token counts of the "
                "served model's tokenizer"
            )
        if args.prefix_length < 0 or args.min_prompt_length < 0:
            raise UserError("--prefix-length and --min-prompt-length must be >= 0")
        if args.max_prompt_length < args.min_prompt_length:
            raise UserError(
                f"--max-prompt-length {args.max_prompt_length} is less than "
                f"--min-prompt-length {args.min_prompt_length}"
            )
        self._tok: Tokenizer = load_tokenizer(args.tokenizer_path)
        self._vocab = np.asarray(self._tok.ordinary_token_ids(), dtype=np.int64)
        if len(self._vocab) == 0:
            raise UserError(f"the tokenizer at {args.tokenizer_path} has no ordinary tokens to build prompts from")
        self._templated = self.chat and not args.tokenize_prompt
        self._template_tokens = self._tok.count_messages(self._messages("")) if self._templated else 0
        self._low, self._high = self._body_length_bounds()
        self._prefix_ids, self._prefix_text = self._make_prefix(args.prefix_length)

    def describe(self) -> str:
        """The tokenizer the prompts are made with."""
        return f"random prompts (tokenizer {self.args.tokenizer_path})"

    def dataset_prompts(self) -> Iterator[Prompt]:
        """Endless random prompts; each length drawn anew."""
        while True:
            body_length = int(self._rng.integers(self._low, self._high + 1))
            yield self.make_prompt(body_length)

    def make_prompt(self, body_length: int) -> Prompt:
        """One prompt of ``--prefix-length + body_length`` tokens (plus the chat template in chat mode).

        Raises:
            UserError: The tokenizer cannot produce text of that exact length (after 50 draws).
        """
        prefix_length = len(self._prefix_ids)
        if self.args.tokenize_prompt:
            ids = self._prefix_ids + self._consecutive_ids(body_length)
            return Prompt(token_ids=ids, prompt_tokens=len(ids))
        target = self._template_tokens + prefix_length + body_length
        for _ in range(_MAX_DRAWS):
            body = self._text_of_length(body_length)
            if body is None:
                continue
            content = self._prefix_text + body
            if self._templated:
                messages = self._messages(content)
                if self._tok.count_messages(messages) == target:
                    return Prompt(messages=messages, prompt_tokens=target)
            else:
                ids = self._tok.encode(content)
                if len(ids) == target and ids[:prefix_length] == self._prefix_ids:
                    # The server adds the tokenizer's special tokens (a Llama BOS) to a text prompt.
                    return Prompt(text=content, prompt_tokens=self._tok.count_prompt(content))
        raise UserError(
            f"--dataset {self.name}: the tokenizer at {self.args.tokenizer_path} did not yield a prompt of exactly "
            f"{target} tokens in {_MAX_DRAWS} draws"
        )

    def _messages(self, content: str) -> list[dict[str, Any]]:
        user = [{"role": "user", "content": content}]
        return self._with_system(user)

    def _body_length_bounds(self) -> tuple[int, int]:
        """The range the body length is drawn from (inclusive), the template subtracted in chat mode."""
        low = self.args.min_prompt_length - self._template_tokens
        high = self.args.max_prompt_length - self._template_tokens
        if high < 0:
            raise UserError(
                f"--max-prompt-length {self.args.max_prompt_length} is shorter than the chat template's own "
                f"{self._template_tokens} tokens; raise it or pass --no-apply-chat-template"
            )
        if low < 0:
            logger.warning(
                "--min-prompt-length %d is shorter than the chat template's %d tokens; prompts start at the template",
                self.args.min_prompt_length,
                self._template_tokens,
            )
        return max(low, 0), high

    def _make_prefix(self, length: int) -> tuple[list[int], str]:
        """The shared prefix: ``length`` random ordinary tokens whose text re-encodes to themselves."""
        if length == 0:
            return [], ""
        for _ in range(_MAX_DRAWS):
            drawn = self._vocab[self._rng.integers(0, len(self._vocab), size=length)].tolist()
            text = self._adjusted_text(drawn, length)
            if text is None:
                continue
            if self._templated and self._tok.count_messages(self._messages(text)) != self._template_tokens + length:
                continue  # the template trims or merges the prefix's edge: draw another
            return self._tok.encode(text), text
        raise UserError(
            f"--prefix-length {length}: the tokenizer at {self.args.tokenizer_path} did not yield a prefix of "
            f"exactly that many tokens in {_MAX_DRAWS} draws"
        )

    def _consecutive_ids(self, length: int) -> list[int]:
        """``length`` consecutive ordinary ids from a random offset (EvalScope's prompt body)."""
        offset = int(self._rng.integers(0, len(self._vocab)))
        ids: list[int] = self._vocab[(offset + np.arange(length)) % len(self._vocab)].tolist()
        return ids

    def _text_of_length(self, length: int) -> str | None:
        return self._adjusted_text(self._consecutive_ids(length), length)

    def _adjusted_text(self, ids: list[int], length: int) -> str | None:
        """Text that re-encodes to exactly ``length`` tokens, or None after the adjustment rounds.

        Decoding and re-encoding does not keep a token count (``["Ġcalls", "here"]`` re-encodes as
        three tokens), so, as EvalScope's ``converge_to_token_len``, cut what is too long and top up
        what is too short with random ordinary tokens until the count holds.
        """
        for _ in range(_ADJUST_ROUNDS + 1):
            text = self._tok.decode(ids)
            ids = self._tok.encode(text)
            if len(ids) == length:
                return text
            if len(ids) > length:
                ids = ids[:length]
            else:
                ids += self._vocab[self._rng.integers(0, len(self._vocab), size=length - len(ids))].tolist()
        return None
