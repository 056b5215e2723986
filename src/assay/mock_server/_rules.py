"""What the mock server answers: reply rules, the mock tokenizer and reply shaping.

A test pins the model's behaviour by listing rules ("when the question contains *X*, answer *Y*",
"when the system prompt says *judge*, answer ``[[A>>B]]``", "fail the first two such requests with
a 500"); the server then shapes the chosen reply the way a real engine would, cutting it at a stop
string or at ``max_tokens``. Everything here is pure and synchronous so it can be unit-tested
without a socket; counting hits and deciding whether a rule's fault still applies is the server's.

Example:
    >>> rules = RuleSet([Rule(contains="capital of France", reply="Paris")])
    >>> rules.match("What is the capital of France?").reply
    'Paris'
    >>> judge = RuleSet([Rule(system_contains="impartial judge", regex=r"(?s)Answer:.*Paris", reply="[[9]]")])
    >>> judge.match("Question: capital?\\nAnswer: Paris", system="You are an impartial judge.").reply
    '[[9]]'
    >>> judge.match("Question: capital?\\nAnswer: Paris") is None  # no system prompt: no match
    True
    >>> plan_reply("The answer is 42.", None, stop=("42",), max_tokens=None).content
    'The answer is '
    >>> call = PlannedCall("call-1-0", "add", '{"a": 1, "b": 2}')
    >>> plan_reply("", None, stop=(), max_tokens=None, tool_calls=(call,)).finish_reason
    'tool_calls'
"""

from __future__ import annotations

import importlib.util
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson
import regex  # re with a match timeout; installed with nltk, a core dependency
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from assay.mock_server._faults import Fault

logger = logging.getLogger(__name__)

#: Longest one rule's ``regex`` may search one question, seconds (see :func:`_bounded_search`).
REGEX_TIMEOUT_S = 0.1

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
    """One canned answer: when the request matches, the server replies with ``reply`` (or fails with ``fault``).

    What is matched: ``contains`` and ``regex`` look at the *question*, the last user message of a
    chat (the last message if none is from the user) or the prompt of a completion; a message of
    content parts counts by its text parts joined with newlines. ``system_contains`` looks at the
    *system text*, every ``system`` and ``developer`` message joined with newlines (empty for a
    completion). A rule sets at most one of ``contains`` and ``regex``, and ``system_contains`` or
    ``read`` may come with it or stand alone; every matcher set must match. A rule with none of
    them is refused, so a rule file can never hold a rule that silently matches everything.

    A rule with ``read`` looks at the request's images (``image``: which one, 0-based; by default
    all of them) and matches only a request with at least one it can decode; a remote (http)
    image is never read. ``{read}`` in ``reply`` or ``replies`` becomes what was read (see
    :mod:`assay.mock_server.vision`): the text drawn, the background colour's name, or for
    ``"option"`` the letter of the multiple-choice option of the question whose text is the text
    read (lines like ``A) 7``, ``B. 7``, ``(C) 7``, ``D: 7``), the text itself when none is.

    ``regex`` is compiled without flags, as written: ``re.search`` finds a match anywhere in a
    multi-line question, but ``.`` does not cross a newline and ``^``/``$`` anchor the whole text.
    Put inline flags at the start of the pattern to change that: ``(?s)`` lets ``.`` match newlines
    (``(?s)Answer A:.*Answer B:`` spans a long judge prompt), ``(?m)`` anchors ``^``/``$`` per line,
    ``(?i)`` ignores case. A search that runs past :data:`REGEX_TIMEOUT_S` (catastrophic
    backtracking) counts as no match and logs a warning, so one bad pattern cannot stall the server.

    A rule with ``fault`` fails the requests it matches in that way, deterministically: every time,
    or only the first ``fail_times`` of them after which it answers with ``reply``. Such requests
    never take a draw from the server's seeded random faults (``p_*``), failing or not, so every
    other request fails exactly as it would if they had not been sent.

    Example:
        >>> Rule(contains="[The Start of Assistant A's Answer]", reply="[[A>>B]]").fault is None
        True
        >>> Rule(contains="grade this", reply="[[7]]", fault="500", fail_times=2).fault
        <Fault.SERVER_ERROR: '500'>
        >>> Rule(read="option", reply="ANSWER: {read}").image is None  # reads every image
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    contains: str | None = Field(
        default=None, description="Matches when this is a substring of the question (case-sensitive)."
    )
    regex: str | None = Field(
        default=None,
        description="Matches when this Python regex `re.search`es the question; no flags (use `(?s)`, `(?m)`).",
    )
    system_contains: str | None = Field(
        default=None,
        description="Matches when this is a substring of the system text (system and developer messages).",
    )
    read: Literal["text", "colour", "option"] | None = Field(
        default=None,
        description=(
            "Read the request's images (drawn by `vision.draw_text`); matches only a request with one it can"
            " decode, and `{read}` in the reply becomes the text read, the background colour's name, or the"
            " letter of the question's option whose text is the text read."
        ),
    )
    image: int | None = Field(
        default=None,
        ge=0,
        description="With `read`: which image to read, 0-based; None reads every one, joined by a space.",
    )
    reply: str = Field(
        default="", description="The assistant content sent back when the rule matches (required without tool_calls)."
    )
    replies: list[str] | None = Field(
        default=None,
        min_length=1,
        description=(
            "Answers given in turn instead of `reply`, one per completion the rule serves, cycling; the `n`"
            " completions of one request take consecutive ones, so n=3 in one request or three requests get"
            " the same three answers."
        ),
    )
    reasoning: str | None = Field(
        default=None,
        description="Optional reasoning text, sent before the reply as `reasoning_content`.",
    )
    tool_calls: list[RuleToolCall] | None = Field(
        default=None,
        description="Function calls sent after the reply (chat only), with finish_reason `tool_calls`.",
    )
    fault: Fault | None = Field(
        default=None,
        description=(
            "Fail every matching request this way (429, 500, hang, truncate, malformed, or 400-echo: a 400 quoting"
            " the request headers), with no random draw; the integers 429 and 500 are accepted too."
        ),
    )
    fail_times: int | None = Field(
        default=None,
        ge=0,
        description="With `fault`: fail only the first N matching requests, then answer normally; None: always fail.",
    )

    @field_validator("fault", mode="before")
    @classmethod
    def _status_code_as_text(cls, value: Any) -> Any:
        # Rule files name HTTP statuses as numbers as often as strings; both mean the same fault.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _matchers_and_answers_fit(self) -> Rule:
        if self.contains is not None and self.regex is not None:
            raise ValueError("a rule needs exactly one of 'contains' or 'regex', not both")
        if self.contains is None and self.regex is None and self.system_contains is None and self.read is None:
            raise ValueError(
                "a rule needs something to match: exactly one of 'contains' or 'regex', or 'system_contains',"
                " or 'read' (the images), or several of these (then all must match)"
            )
        if self.image is not None and self.read is None:
            raise ValueError("'image' picks the image to read: it needs 'read'")
        if "reply" not in self.model_fields_set and not self.tool_calls and self.replies is None:
            raise ValueError("a rule needs a 'reply', 'replies' or 'tool_calls'")
        if self.replies is not None and "reply" in self.model_fields_set:
            raise ValueError("a rule takes 'reply' or 'replies', not both")
        if self.fail_times is not None and self.fault is None:
            raise ValueError("'fail_times' needs a 'fault' to fail with")
        if self.regex is not None:
            try:
                regex.compile(self.regex)
            except regex.error as exc:
                raise ValueError(f"invalid regex {self.regex!r}: {exc}") from exc
        return self

    def reply_at(self, served: int, reading: str | None = None) -> str:
        """The answer of the rule's ``served``-th completion (0-based): ``replies`` in turn, else ``reply``.

        With ``read``, ``{read}`` in it becomes ``reading`` (a plain replacement: other braces, as
        in ``\\boxed{8}``, stay as they are); without, ``{read}`` is left as written.

        Example:
            >>> [Rule(contains="x", replies=["a", "b"]).reply_at(k) for k in range(3)]
            ['a', 'b', 'a']
            >>> Rule(read="text", reply="The answer is {read}, not {x}.").reply_at(0, "42")
            'The answer is 42, not {x}.'
        """
        answer = self.reply if self.replies is None else self.replies[served % len(self.replies)]
        return answer if self.read is None or reading is None else answer.replace("{read}", reading)

    def fails_at(self, hit: int) -> Fault | None:
        """The fault for this rule's ``hit``-th matching request (0-based), or ``None`` to answer it.

        Example:
            >>> rule = Rule(contains="x", reply="ok", fault="429", fail_times=1)
            >>> rule.fails_at(0), rule.fails_at(1)
            (<Fault.RATE_LIMIT: '429'>, None)
        """
        if self.fault is None or (self.fail_times is not None and hit >= self.fail_times):
            return None
        return self.fault


_RULE_LIST = TypeAdapter(list[Rule])


class ReadableImages(Protocol):
    """A request's images as rule matching sees them: which can be read (decoding them is lazy)."""

    def readable(self, image: int | None) -> bool:
        """Whether image ``image`` (0-based), or with None at least one image, decodes."""
        ...


class RuleSet:
    """An ordered list of rules, compiled once, answering "which rule wins for this request?".

    The first matching rule in list order wins. Matching is a plain scan: a ``contains`` check is a
    C-level substring search, so 1,500 rules cost well under a millisecond per request, and regexes
    are compiled here rather than per request. Images are looked at last, and only by a ``read``
    rule whose text matchers passed, so text traffic never decodes a pixel.
    """

    __slots__ = ("_matchers", "rules")

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        """Compile ``rules``.

        Raises:
            ValueError: a rule has ``read`` and Pillow, which decodes images, is not installed;
                better refused now than a 500 on the first image.
        """
        self.rules: tuple[Rule, ...] = tuple(rules)
        if any(r.read is not None for r in self.rules) and importlib.util.find_spec("PIL") is None:
            raise ValueError("rules with 'read' decode images with Pillow, which is not installed: pip install pillow")
        self._matchers: tuple[tuple[str | None, Any, str | None, bool, int | None], ...] = tuple(
            (
                r.contains,
                regex.compile(r.regex) if r.regex is not None else None,
                r.system_contains,
                r.read is not None,
                r.image,
            )
            for r in self.rules
        )

    def __len__(self) -> int:
        return len(self.rules)

    def match_index(self, question: str, system: str = "", images: ReadableImages | None = None) -> int | None:
        """Position of the first rule matching ``question``, ``system`` and ``images``, or ``None``.

        The server counts hits by position, so two identical rules in one list are counted apart.
        Without ``images`` no ``read`` rule matches.
        """
        for index, (needle, pattern, system_needle, reads, image) in enumerate(self._matchers):
            if system_needle is not None and system_needle not in system:
                continue
            if needle is not None and needle not in question:
                continue
            if pattern is not None and not _bounded_search(pattern, question, index):
                continue
            if reads and (images is None or not images.readable(image)):
                continue
            return index
        return None

    def match(self, question: str, system: str = "", images: ReadableImages | None = None) -> Rule | None:
        """Return the first rule matching ``question``, ``system`` and ``images``, or ``None`` when none does."""
        index = self.match_index(question, system, images)
        return None if index is None else self.rules[index]


def _bounded_search(pattern: Any, question: str, index: int) -> bool:
    """Whether ``pattern`` matches ``question`` within :data:`REGEX_TIMEOUT_S`; a pattern that takes
    longer (catastrophic backtracking such as ``(a+)+$``) counts as no match, with a warning.

    Matching runs on the server's event loop, so an unbounded pattern would stall every request,
    ``/health`` included; the ``regex`` package (Python's ``re`` with a ``timeout``) stops it.
    """
    try:
        return pattern.search(question, timeout=REGEX_TIMEOUT_S) is not None
    except TimeoutError:
        logger.warning(
            "rule %d: regex %r gave up after %g s on a %d-character question; counted as no match",
            index,
            pattern.pattern,
            REGEX_TIMEOUT_S,
            len(question),
        )
        return False


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
