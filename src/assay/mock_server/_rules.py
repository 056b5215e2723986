"""What the mock server answers: reply rules, the mock tokenizer and reply shaping.

A test pins the model's behaviour by listing rules ("when the question contains *X*, answer *Y*"); the
server then shapes the chosen reply the way a real engine would, cutting it at a stop string or at
``max_tokens``. Everything here is pure and synchronous so it can be unit-tested without a socket.

Example:
    >>> rules = RuleSet([Rule(contains="capital of France", reply="Paris")])
    >>> rules.match("What is the capital of France?").reply
    'Paris'
    >>> plan_reply("The answer is 42.", None, stop=("42",), max_tokens=None).content
    'The answer is '
    >>> call = PlannedCall("call-1-0", "add", '{"a": 1, "b": 2}')
    >>> plan_reply("", None, stop=(), max_tokens=None, tool_calls=(call,)).finish_reason
    'tool_calls'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

TOKEN_PATTERN = re.compile(r"\S+\s*|\s+")
"""The mock tokenizer: one token is a run of non-space characters plus the spaces that follow it.

A run of spaces with no word before it (leading whitespace) is a token of its own. ``"Hi  there"``
is ``["Hi  ", "there"]``. Joining the tokens gives back the text exactly, which is what lets a
streamed reply be compared byte for byte with the non-streamed one.
"""


def split_tokens(text: str) -> list[str]:
    """Split ``text`` into mock tokens (see :data:`TOKEN_PATTERN`)."""
    return TOKEN_PATTERN.findall(text)


def count_tokens(text: str) -> int:
    """Count mock tokens in ``text``; used for ``usage.prompt_tokens`` and ``completion_tokens``."""
    return len(TOKEN_PATTERN.findall(text))


#: Characters of a tool call's arguments per streamed fragment: small, so that even short
#: arguments arrive in several pieces, as a real engine streams them token by token.
ARGUMENT_PIECE_CHARS = 8


def split_arguments(arguments: str) -> list[str]:
    """The pieces a tool call's ``arguments`` are streamed in (see :data:`ARGUMENT_PIECE_CHARS`)."""
    return [arguments[i : i + ARGUMENT_PIECE_CHARS] for i in range(0, len(arguments), ARGUMENT_PIECE_CHARS)]


class RuleToolCall(BaseModel):
    """A function call a rule answers with; the server gives it a fresh id per reply."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Function name.")
    arguments: str = Field(
        default="{}", description="Arguments as JSON text; a JSON object given here is encoded compactly."
    )

    @field_validator("arguments", mode="before")
    @classmethod
    def _encode_object(cls, value: Any) -> Any:
        return orjson.dumps(value).decode() if isinstance(value, (dict, list)) else value


class Rule(BaseModel):
    """One canned answer: when the question matches, the server replies with ``reply``.

    Exactly one of ``contains`` and ``regex`` must be set, so a rule file can never hold a rule that
    silently matches everything or nothing.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    contains: str | None = Field(
        default=None, description="Matches when this is a substring of the question (case-sensitive)."
    )
    regex: str | None = Field(default=None, description="Matches when this Python regex `re.search`es the question.")
    reply: str = Field(
        default="", description="The assistant content sent back when the rule matches (required without tool_calls)."
    )
    reasoning: str | None = Field(
        default=None,
        description="Optional reasoning text, sent before the reply as `reasoning_content`.",
    )
    tool_calls: list[RuleToolCall] | None = Field(
        default=None,
        description="Function calls sent after the reply (chat only), with finish_reason `tool_calls`.",
    )

    @model_validator(mode="after")
    def _exactly_one_matcher(self) -> Rule:
        if (self.contains is None) == (self.regex is None):
            raise ValueError("a rule needs exactly one of 'contains' or 'regex'")
        if "reply" not in self.model_fields_set and not self.tool_calls:
            raise ValueError("a rule needs a 'reply', 'tool_calls', or both")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"invalid regex {self.regex!r}: {exc}") from exc
        return self


_RULE_LIST = TypeAdapter(list[Rule])


class RuleSet:
    """An ordered list of rules, compiled once, answering "which rule wins for this question?".

    The first matching rule in list order wins. Matching is a plain scan: a ``contains`` check is a
    C-level substring search, so 1,500 rules cost well under a millisecond per request, and regexes
    are compiled here rather than per request.
    """

    __slots__ = ("_matchers", "rules")

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self._matchers: tuple[tuple[str | None, re.Pattern[str] | None, Rule], ...] = tuple(
            (r.contains, re.compile(r.regex) if r.regex is not None else None, r) for r in self.rules
        )

    def __len__(self) -> int:
        return len(self.rules)

    def match(self, question: str) -> Rule | None:
        """Return the first rule matching ``question``, or ``None`` when no rule does."""
        for needle, pattern, rule in self._matchers:
            if needle is not None:
                if needle in question:
                    return rule
            elif pattern is not None and pattern.search(question):
                return rule
        return None


def parse_rules(data: Any) -> list[Rule]:
    """Validate decoded JSON into rules.

    Accepts a list of rule objects or ``{"rules": [...]}``, the two shapes people write by hand.

    Raises:
        pydantic.ValidationError: an entry is not a valid :class:`Rule`.
    """
    if isinstance(data, dict) and "rules" in data:
        data = data["rules"]
    return _RULE_LIST.validate_python(data)


def load_rules(path: str | Path) -> list[Rule]:
    """Read rules from a JSON file (list or ``{"rules": [...]}``) or a JSONL file (one rule a line).

    Raises:
        ValueError: the file is neither valid JSON nor valid JSONL.
        pydantic.ValidationError: an entry is not a valid :class:`Rule`.
    """
    raw = Path(path).read_bytes()
    try:
        whole = orjson.loads(raw)
    except orjson.JSONDecodeError:
        whole = None
    if isinstance(whole, list) or (isinstance(whole, dict) and "rules" in whole):
        return parse_rules(whole)
    entries = []  # JSONL, including a one-line file that is a single rule object
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"{path}:{lineno}: not JSON or JSONL: {exc}") from exc
    return parse_rules(entries)


@dataclass(frozen=True)
class PlannedCall:
    """A tool call as one reply sends it: its id, name, and arguments in streamed pieces."""

    id: str
    name: str
    arguments: str

    @property
    def pieces(self) -> list[str]:
        """The arguments as streamed: the name goes first, with empty arguments, then these."""
        return split_arguments(self.arguments)


@dataclass(frozen=True)
class ReplyPlan:
    """The tokens the server will send for one request and why it stopped.

    Reasoning tokens come first and count against ``max_tokens`` like content tokens, as they do
    on reasoning models. Tool calls come last and are sent whole: one streamed fragment (a
    "token") for each call's name and one per piece of its arguments.
    """

    reasoning_tokens: tuple[str, ...]
    content_tokens: tuple[str, ...]
    finish_reason: str
    """``"stop"`` (natural end or stop string), ``"length"`` (cut by ``max_tokens``) or ``"tool_calls"``."""
    tool_calls: tuple[PlannedCall, ...] = ()

    @property
    def content(self) -> str:
        """The assistant content as one string."""
        return "".join(self.content_tokens)

    @property
    def reasoning(self) -> str | None:
        """The reasoning text, or ``None`` when the reply has none."""
        return "".join(self.reasoning_tokens) if self.reasoning_tokens else None

    @property
    def completion_tokens(self) -> int:
        """Tokens generated, reasoning and tool calls included (what ``usage.completion_tokens`` reports)."""
        calls = sum(1 + len(call.pieces) for call in self.tool_calls)
        return len(self.reasoning_tokens) + len(self.content_tokens) + calls


def plan_reply(
    content: str,
    reasoning: str | None,
    *,
    stop: tuple[str, ...],
    max_tokens: int | None,
    tool_calls: Sequence[PlannedCall] = (),
) -> ReplyPlan:
    """Shape a reply the way an engine would: cut at the first stop string, then at ``max_tokens``.

    The stop string itself is not included, as in the OpenAI API. Applying the stop cut first and
    then the token budget reproduces "whichever comes first" in generation order. Tool calls are
    not cut: a reply cut by ``max_tokens`` never got to them and has none, any other has them all.
    """
    cut = min((i for s in stop if s and (i := content.find(s)) >= 0), default=-1)
    if cut >= 0:
        content = content[:cut]
    reasoning_tokens = split_tokens(reasoning) if reasoning else []
    content_tokens = split_tokens(content)
    finish_reason = "stop"
    if max_tokens is not None and len(reasoning_tokens) + len(content_tokens) > max_tokens:
        finish_reason = "length"
        reasoning_tokens = reasoning_tokens[:max_tokens]
        content_tokens = content_tokens[: max_tokens - len(reasoning_tokens)]
    elif tool_calls:
        return ReplyPlan(tuple(reasoning_tokens), tuple(content_tokens), "tool_calls", tuple(tool_calls))
    return ReplyPlan(tuple(reasoning_tokens), tuple(content_tokens), finish_reason)
