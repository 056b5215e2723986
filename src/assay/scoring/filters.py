"""Post-processing applied to a model's answer before the answer is extracted and scored.

Two kinds live here:

* :func:`strip_reasoning` always runs first: reasoning is never scored, so ``<think>`` blocks are
  removed from the answer text (servers that split reasoning out put it in
  ``ModelOutput.reasoning``, which scoring never reads).
* User filters from ``dataset_args[<bench>]["filters"]``, with EvalScope's names and semantics
  (``evalscope/filters/extraction.py``): ``remove_until``, ``regex`` (alias ``extract``) and
  ``remove_whitespace``. They run in the order given, each on the previous one's output.

Filter arguments follow EvalScope: a dict is passed as keyword arguments, a list as positional
arguments, anything else as the single positional argument::

    {"remove_until": "</think>", "regex": {"regex_pattern": "The answer is (\\\\d+)", "fallback": ""}}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from assay.errors import UserError, did_you_mean

TextFilter = Callable[[str], str]

_THINK_BLOCK = re.compile(r"<think(?:\s[^>]*)?>.*?</think>", re.DOTALL)
_THINK_OPEN = re.compile(r"<think(?:\s[^>]*)?>")
_THINK_CLOSE = "</think>"


def strip_reasoning(text: str) -> tuple[str, bool]:
    """Remove ``<think>`` reasoning from an answer; return ``(answer, truncated)``.

    * Every complete ``<think>...</think>`` block is removed (attributes such as
      ``signature="..."`` are allowed on the tag).
    * A ``</think>`` without an opening tag means the chat template opened the block in the prompt
      (Qwen3, DeepSeek-R1 templates): everything up to the last ``</think>`` is reasoning.
    * An unterminated ``<think>`` means generation stopped inside the reasoning. What follows the
      tag is unfinished reasoning, not an answer, so it is dropped: only the text *before* the tag
      (usually nothing) is left for extraction, and ``truncated`` is True so the report can count it.
      EvalScope leaves that text in place, which lets its MCQ fallback pick a letter out of the
      model's half-finished thoughts.

    Example:
        >>> strip_reasoning("<think>2+2=4</think> ANSWER: 4")
        ('ANSWER: 4', False)
        >>> strip_reasoning("<think>let me see, maybe B")
        ('', True)
    """
    if "think>" not in text:
        return text, False
    answer = _THINK_BLOCK.sub("", text)
    close_at = answer.rfind(_THINK_CLOSE)
    if close_at >= 0:
        answer = answer[close_at + len(_THINK_CLOSE) :]
    truncated = False
    opened = _THINK_OPEN.search(answer)
    if opened is not None:
        answer = answer[: opened.start()]
        truncated = True
    return answer.strip(), truncated


@dataclass(frozen=True)
class RemoveUntil:
    """Drop everything up to and including the first ``delimiter``; no delimiter keeps the text."""

    delimiter: str

    def __call__(self, text: str) -> str:
        return text.split(self.delimiter, 1)[-1]


@dataclass(frozen=True)
class RegexExtract:
    """Replace the text with one regex match, as EvalScope's ``regex`` filter does.

    ``re.findall`` runs over the text; ``group_select`` picks which match (negative counts from the
    end). A pattern with several groups yields the first non-empty group of that match. No match
    gives ``fallback``. A ``group_select`` beyond the matches found also gives ``fallback``
    (EvalScope raises IndexError there and loses the sample).
    """

    regex_pattern: str = r"#### (\-?[0-9\.\,]+)"
    group_select: int = 0
    fallback: str = "[invalid]"

    def __post_init__(self) -> None:
        re.compile(self.regex_pattern)  # fail when the filter is built, not on the first answer

    def __call__(self, text: str) -> str:
        matches = re.findall(self.regex_pattern, text)  # the re module caches the compiled pattern
        if not matches or not -len(matches) <= self.group_select < len(matches):
            return self.fallback
        match = matches[self.group_select]
        if isinstance(match, tuple):
            match = next((group for group in match if group), self.fallback)
        return str(match).strip()


@dataclass(frozen=True)
class RemoveLeadingWhitespace:
    """EvalScope's ``remove_whitespace``: strip whitespace at the start of the text only."""

    def __call__(self, text: str) -> str:
        return text.lstrip()


#: Filter name -> factory, with EvalScope's names. ``extract`` is EvalScope's alias of ``regex``.
FILTERS: dict[str, Callable[..., TextFilter]] = {
    "remove_until": RemoveUntil,
    "regex": RegexExtract,
    "extract": RegexExtract,
    "remove_whitespace": RemoveLeadingWhitespace,
}


def build_filters(filters: Mapping[str, Any] | None) -> list[TextFilter]:
    """Turn a ``filters`` mapping into callables, checking every name and argument up front.

    Raises:
        UserError: Unknown filter name (with a suggestion), wrong arguments, or an invalid regex.
    """
    built: list[TextFilter] = []
    for name, args in (filters or {}).items():
        factory = FILTERS.get(name)
        if factory is None:
            raise UserError(
                f"unknown filter {name!r}{did_you_mean(name, FILTERS)}; available filters: {', '.join(FILTERS)}"
            )
        try:
            if args is None:
                built.append(factory())
            elif isinstance(args, Mapping):
                built.append(factory(**args))
            elif isinstance(args, list | tuple):
                built.append(factory(*args))
            else:
                built.append(factory(args))
        except TypeError as exc:
            raise UserError(f"bad arguments for filter {name!r}: {args!r} ({exc})") from exc
        except re.error as exc:
            raise UserError(f"filter {name!r} has an invalid regular expression: {exc}") from exc
    return built


def run_filters(text: str, filters: Iterable[TextFilter]) -> str:
    """Apply already-built filters in order."""
    for text_filter in filters:
        text = text_filter(text)
    return text


def apply_filters(text: str, filters: Mapping[str, Any]) -> str:
    """Build ``filters`` and apply them to ``text`` (adapters build once and use :func:`run_filters`).

    Example:
        >>> apply_filters("reasoning... Final: 42", {"remove_until": "Final:", "remove_whitespace": None})
        '42'
    """
    return run_filters(text, build_filters(filters))
