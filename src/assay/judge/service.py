"""The run's judge: one object that asks judge models, caches their replies and counts their cost.

Scorers never build or call a judge model themselves; they call :meth:`Judge.ask` with the judge
prompt and a parser, and get a :class:`JudgeVerdict`. Everything a demanding user needs from a judge
lives here, once:

* **Honest failures.** A reply the parser rejects is a ``judge_parse_error``; a request that still
  fails after its retries is a ``judge_transport_error``. The verdict then carries that reason and the
  scorer excludes the sample: a failed judge is never a 0.
* **A cache in the journal.** Every reply is appended to ``<work_dir>/judge/cache.jsonl`` as it
  arrives, keyed by (judge model and its sampling, exact prompt, scorer name and version, repeat).
  A resume after a crash, ``--rerun-review``, or a second benchmark asking the same question reads
  the reply back instead of paying for it again; identical questions in flight share one request.
  Transport failures are not cached (a resume retries them); parse failures are (the judge said it).
* **Bounded concurrency and time.** A semaphore keeps ``judge.concurrency`` requests in flight; each
  attempt has the judge's ``timeout`` and ``retries``.
* **Panels and repeats.** Each of the ``models`` is asked ``repeats`` times; the verdicts combine by
  ``aggregation`` (labels always by majority) and whether the judges agreed is recorded.
* **Cost.** Requests, cache hits and tokens are counted per benchmark (:class:`JudgeUsage`),
  apart from the evaluated model's, through a context variable the engine sets around scoring.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from assay.engine.journal import Journal
from assay.judge.config import JudgeConfig, JudgeContract, JudgeModelConfig
from assay.models import ModelAPI, get_model_api
from assay.models._api import canonical_eval_type, check_model
from assay.types import ChatMessage, ModelOutput, messages_json

#: The judge cache journal, relative to the run's output folder.
JUDGE_CACHE = Path("judge") / "cache.jsonl"

#: Exclusion reasons, as counted in reports.
PARSE_ERROR = "judge_parse_error"
TRANSPORT_ERROR = "judge_transport_error"

#: A judge verdict after parsing: a label (``A>>B``, ``CORRECT``) or a number (a 1-10 rating).
Parsed = str | float
Parser = Callable[[str], Parsed | None]


@dataclass
class JudgeUsage:
    """What judging cost one benchmark in this run (the evaluated model's cost is counted apart)."""

    requests: int = 0
    cached: int = 0
    transport_errors: int = 0
    parse_errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    #: perf_counter of the first judge request sent and of the last reply received (None: none sent).
    first_start: float | None = None
    last_end: float | None = None

    @property
    def wall_s(self) -> float:
        """Seconds from the first judge request to the last reply."""
        if self.first_start is None or self.last_end is None:
            return 0.0
        return self.last_end - self.first_start

    def add_reply(self, output: ModelOutput) -> None:
        self.last_end = time.perf_counter()
        self.requests += 1
        self.latency_s += output.latency_s
        if output.usage is not None:
            self.prompt_tokens += output.usage.prompt_tokens
            self.completion_tokens += output.usage.completion_tokens


#: The usage counter of the benchmark being scored; set by the engine in each scoring task.
current_usage: contextvars.ContextVar[JudgeUsage | None] = contextvars.ContextVar("judge_usage", default=None)


@dataclass(frozen=True)
class JudgeVote:
    """One judge model's reply to one ask (one repeat)."""

    judge: str
    repeat: int
    text: str
    value: Parsed | None
    #: Why there is no verdict: :data:`PARSE_ERROR` or :data:`TRANSPORT_ERROR`; None when there is one.
    failure: str | None = None
    error: str | None = None
    cached: bool = False

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"judge": self.judge, "repeat": self.repeat, "reply": self.text, "verdict": self.value}
        if self.failure is not None:
            data["failure"] = self.failure
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class JudgeVerdict:
    """The combined verdict of every judge and repeat on one question."""

    value: Parsed | None
    votes: tuple[JudgeVote, ...]
    reason: str | None = None
    agree: bool | None = None

    @property
    def ok(self) -> bool:
        """True when enough judges gave a parseable verdict."""
        return self.value is not None

    def as_json(self) -> dict[str, Any]:
        """The verdict as kept in the review (every reply, so a reader can check the judge)."""
        data: dict[str, Any] = {"verdict": self.value, "votes": [vote.as_json() for vote in self.votes]}
        if self.reason is not None:
            data["reason"] = self.reason
        if self.agree is not None:
            data["judges_agree"] = self.agree
        return data


@dataclass
class _Member:
    config: JudgeModelConfig
    api: ModelAPI
    identity: dict[str, Any]


@dataclass
class Judge:
    """The judge models of a run, their cache and their counters; open with ``async with``.

    Args:
        config: The run's judge settings.
        cache_path: JSONL journal of judge replies; None keeps the cache in memory only.
        resume: Read the journal's earlier replies (a resumed run); otherwise start it empty.
    """

    config: JudgeConfig
    cache_path: Path | None = None
    resume: bool = False
    contract: JudgeContract = field(init=False)
    _members: list[_Member] = field(init=False, default_factory=list)
    _cache: dict[str, dict[str, Any]] = field(init=False, default_factory=dict)
    _journal: Journal | None = field(init=False, default=None)
    _inflight: dict[str, asyncio.Future[ModelOutput]] = field(init=False, default_factory=dict)
    _semaphore: asyncio.Semaphore | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.contract = self.config.resolved_contract()
        for model in self.config.resolved_models():
            factory = get_model_api(canonical_eval_type(model.eval_type))
            api = factory(
                model=model.model_id or "",
                api_url=model.api_url,
                api_key=model.api_key.get_secret_value() if model.api_key is not None else None,
                **model.model_args,
            )
            self._members.append(_Member(model, api, model.identity()))
        if self.cache_path is not None:
            self._journal = Journal(self.cache_path)
            if self.resume:
                self._cache = self._journal.load()
            elif self.cache_path.exists():
                self.cache_path.unlink()

    @property
    def names(self) -> list[str]:
        """The judges' names, in config order."""
        return [member.config.name for member in self._members]

    def identity(self) -> dict[str, Any]:
        """What of the judges decides verdicts (part of every judged benchmark's scoring fingerprint)."""
        return identity_of(self.config)

    async def check(self) -> None:
        """Reach every judge before the run spends anything (a wrong URL fails here, clearly)."""
        for member in self._members:
            await check_model(member.api, member.config.generation_config)

    async def aclose(self) -> None:
        for member in self._members:
            await member.api.aclose()
        if self._journal is not None:
            self._journal.close()

    async def __aenter__(self) -> Judge:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ asking
    async def ask(
        self,
        messages: Sequence[ChatMessage],
        parse: Parser,
        *,
        scorer: str,
        version: str,
        labels: bool | None = None,
    ) -> JudgeVerdict:
        """Ask every judge ``repeats`` times and combine their parsed verdicts.

        Args:
            messages: The judge prompt (system message included, if any).
            parse: Reply text -> verdict, or None when the reply holds no verdict.
            scorer: Name of the asking scorer (part of the cache key).
            version: Its version (part of the cache key: a new parser re-asks).
            labels: Combine by majority vote (labels) instead of ``aggregation``; None = decide
                from the verdicts' type.
        """
        asks = [
            self._vote(member, list(messages), parse, scorer, version, repeat)
            for member in self._members
            for repeat in range(self.config.repeats)
        ]
        votes = tuple(await asyncio.gather(*asks))
        return self._combine(votes, labels)

    async def _vote(
        self, member: _Member, messages: list[ChatMessage], parse: Parser, scorer: str, version: str, repeat: int
    ) -> JudgeVote:
        usage = current_usage.get()
        key = _cache_key(member.identity, messages, scorer, version, repeat)
        cached = self._cache.get(key)
        if cached is not None:
            text = str(cached.get("reply", ""))
            if usage is not None:
                usage.cached += 1
            return self._parsed(member, repeat, text, parse, usage, cached=True)
        output = await self._request(member, messages, key, scorer, version, repeat, usage)
        if output.error is not None:
            if usage is not None:
                usage.transport_errors += 1
            return JudgeVote(member.config.name, repeat, "", None, failure=TRANSPORT_ERROR, error=output.error)
        return self._parsed(member, repeat, output.text, parse, usage, cached=False)

    def _parsed(
        self, member: _Member, repeat: int, text: str, parse: Parser, usage: JudgeUsage | None, *, cached: bool
    ) -> JudgeVote:
        try:
            value = parse(text)
        except ValueError:
            value = None
        if value is None and usage is not None:
            usage.parse_errors += 1
        if value is not None:
            return JudgeVote(member.config.name, repeat, text, value, cached=cached)
        error = "no verdict found in the judge's reply"
        return JudgeVote(member.config.name, repeat, text, None, failure=PARSE_ERROR, error=error, cached=cached)

    async def _request(
        self,
        member: _Member,
        messages: list[ChatMessage],
        key: str,
        scorer: str,
        version: str,
        repeat: int,
        usage: JudgeUsage | None,
    ) -> ModelOutput:
        """One judge request, shared by every identical question asked while it is in flight."""
        pending = self._inflight.get(key)
        if pending is not None:
            if usage is not None:
                usage.cached += 1
            return await asyncio.shield(pending)
        future: asyncio.Future[ModelOutput] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            if self._semaphore is None:
                self._semaphore = asyncio.Semaphore(self.config.workers)
            async with self._semaphore:
                if usage is not None and usage.first_start is None:
                    usage.first_start = time.perf_counter()
                output = await member.api.generate(messages, member.config.generation_config)
            if usage is not None:
                usage.add_reply(output)
            # Let the request that just got this slot go out before this reply is journaled and
            # scored: under a burst of replies the next round then starts one reply's work sooner.
            await asyncio.sleep(0)
            if output.error is None:
                record = {
                    "key": key,
                    "judge": member.config.name,
                    "scorer": scorer,
                    "version": version,
                    "repeat": repeat,
                    "reply": output.text,
                    "usage": output.usage.model_dump() if output.usage is not None else None,
                }
                self._cache[key] = record
                if self._journal is not None:
                    self._journal.append(record)
            future.set_result(output)
            return output
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        finally:
            del self._inflight[key]

    def _combine(self, votes: tuple[JudgeVote, ...], labels: bool | None) -> JudgeVerdict:
        values = [vote.value for vote in votes if vote.value is not None]
        by_judge = {vote.judge for vote in votes if vote.value is not None}
        agree = None
        if len(self._members) > 1 and len(by_judge) > 1:
            agree = len({str(v) for v in values}) == 1
        if len(values) < self.config.min_valid_judges or not values:
            reason = PARSE_ERROR if any(vote.failure == PARSE_ERROR for vote in votes) else TRANSPORT_ERROR
            return JudgeVerdict(None, votes, reason=reason, agree=agree)
        as_labels = labels if labels is not None else any(isinstance(v, str) for v in values)
        return JudgeVerdict(_aggregate(values, self.config.aggregation, as_labels), votes, agree=agree)


def identity_of(config: JudgeConfig) -> dict[str, Any]:
    """The judge settings that decide verdicts, for scoring fingerprints (no keys, no URLs)."""
    return {
        "models": [model.identity() for model in config.resolved_models()],
        "contract": config.resolved_contract().identity(),
        "repeats": config.repeats,
        "aggregation": config.aggregation,
        "min_valid_judges": config.min_valid_judges,
        "position_swap": config.position_swap,
    }


def _aggregate(values: list[Parsed], aggregation: str, as_labels: bool) -> Parsed:
    if as_labels or aggregation == "majority_vote":
        counts = Counter(values)
        return max(counts, key=counts.__getitem__)  # ties: the verdict seen first (Counter keeps order)
    numbers = [float(v) for v in values]
    return statistics.median(numbers) if aggregation == "median" else statistics.fmean(numbers)


def _cache_key(identity: dict[str, Any], messages: list[ChatMessage], scorer: str, version: str, repeat: int) -> str:
    payload: dict[str, Any] = {
        "judge": identity,
        "messages": messages_json(messages),
        "scorer": scorer,
        "version": version,
    }
    if repeat:
        payload["repeat"] = repeat
    encoded = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(encoded).hexdigest()[:32]
