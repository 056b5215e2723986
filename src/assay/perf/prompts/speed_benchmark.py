"""``--dataset speed_benchmark`` / ``speed_benchmark_long``: fixed prompt lengths on /v1/completions.

EvalScope's speed benchmark (``evalscope/perf/plugin/datasets/speed_benchmark.py``), the Qwen
"speed benchmark" recipe: the prompt is the character ``熵`` repeated 1, 6144, 14336 and 30720 times
(63488 and 129024 for ``speed_benchmark_long``), each twice, in that order. ``熵`` is one token in
Qwen's vocabulary, so the repeat count is the prompt length in tokens there; with
``--tokenizer-path`` the exact count under that tokenizer is recorded in ``Prompt.prompt_tokens``.

The prompts are plain text for the completions endpoint whatever the chat-template setting (no
system prompt, no length filter), as in EvalScope, which also rewrites a ``.../v1/chat/completions``
URL to ``.../v1/completions``. Here the source only declares that need: the class attribute
``api = "openai_completions"`` tells the engine which ``--api`` (and so which endpoint path) these
prompts are meant for. Run it with ``--number 8`` (``4`` for the long variant) to send each length
twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from assay.perf.plugins import Prompt, register_dataset
from assay.perf.prompts._base import PromptSourceBase

#: EvalScope's ``DUMMY_INPUT``: one token per character in Qwen's tokenizer.
DUMMY_CHARACTER = "熵"


@register_dataset("speed_benchmark")
class SpeedBenchmark(PromptSourceBase):
    """Prompts of 1, 6144, 14336 and 30720 characters, each twice (EvalScope's ``speed_benchmark``)."""

    name = "speed_benchmark"
    #: These prompts go to /v1/completions (EvalScope rewrites the URL to it).
    api: ClassVar[str | None] = "openai_completions"
    #: Prompt lengths, in repeats of :data:`DUMMY_CHARACTER` (EvalScope's ``INPUT_LENGTH``).
    input_lengths: ClassVar[tuple[int, ...]] = (1, 6144, 14336, 30720)
    #: How often each length is sent in a row (EvalScope's ``REPEAT``).
    repeat: ClassVar[int] = 2

    def describe(self) -> str:
        """The lengths sent."""
        return f"--dataset {self.name} (lengths {', '.join(map(str, self.input_lengths))})"

    def dataset_prompts(self) -> Iterator[Prompt]:
        """Each length :attr:`repeat` times, shortest first."""
        tokenizer = self.tokenizer
        for length in self.input_lengths:
            text = DUMMY_CHARACTER * length
            if self.args.tokenize_prompt and tokenizer is not None:
                ids = tokenizer.encode(text)
                prompt = Prompt(token_ids=ids, prompt_tokens=len(ids))
            else:
                prompt = Prompt(text=text, prompt_tokens=None if tokenizer is None else tokenizer.count_prompt(text))
            self._kept += self.repeat
            for _ in range(self.repeat):
                yield prompt


@register_dataset("speed_benchmark_long")
class SpeedBenchmarkLong(SpeedBenchmark):
    """Prompts of 63488 and 129024 characters, each twice (EvalScope's ``speed_benchmark_long``)."""

    name = "speed_benchmark_long"
    input_lengths: ClassVar[tuple[int, ...]] = (63488, 129024)
