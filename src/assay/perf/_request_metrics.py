"""What one finished request measured: its outcome, times and token counts.

Pure functions of a :class:`RequestRecord` and the :class:`ParsedResponse` the API plugin read from
it. Times stay in integer nanoseconds here; run-level code converts units once, at the end. The
formulas are written out in ``docs/perf_metrics.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assay.perf._records import Outcome, ParsedResponse, RequestRecord

#: Where a token count came from, best first.
SOURCE_USAGE = "server usage"
SOURCE_TOKENIZER = "tokenizer"
SOURCE_EVENTS = "stream events"
SOURCE_NONE = "none"

TokenCounter = Callable[[str], int]


@dataclass(frozen=True, slots=True)
class TokenCount:
    """A token count, its source, and the local (tokenizer) count when there was one to compare."""

    value: int
    source: str
    #: ``local - usage`` when the server reported usage *and* a local count exists, else ``None``.
    discrepancy: int | None = None


@dataclass(frozen=True, slots=True)
class RequestMetrics:
    """The per-request numbers every run-level metric is built from (successful requests only)."""

    stream: bool
    latency_ns: int
    #: Time to first token; ``None`` for a streamed reply that carried no output at all.
    ttft_ns: int | None
    #: Time per output token after the first; ``None`` when undefined (see ``request_metrics``).
    tpot_ns: float | None
    input_tokens: TokenCount
    output_tokens: TokenCount
    #: Output tokens per streamed event after the first (speculative decoding); ``None`` when unknown.
    decoded_per_iter: float | None


def effective_outcome(record: RequestRecord, parsed: ParsedResponse) -> Outcome:
    """The outcome after parsing: a 200 whose body was malformed or cut short is not a success."""
    if record.outcome is Outcome.OK and parsed.failure is not None:
        return parsed.failure
    return record.outcome


def _count_prompt_locally(record: RequestRecord, token_counter: TokenCounter | None) -> int | None:
    """Prompt length without the server: the prompt source's own count, token ids, or the tokenizer.

    None for a request with images: what an image costs in tokens is decided by the model's vision
    encoder, so a text-only count would be short and its "discrepancy" with the server's usage noise.
    """
    if record.images:
        return None
    if record.prompt_tokens_expected is not None:
        return record.prompt_tokens_expected
    if isinstance(record.prompt, list):
        return len(record.prompt)
    if token_counter is not None:
        return token_counter(record.prompt)
    return None


def _count_output_locally(parsed: ParsedResponse, token_counter: TokenCounter | None) -> int | None:
    """Reply length by the tokenizer; reasoning and answer are counted apart, as the server emits them."""
    if token_counter is None:
        return None
    return token_counter(parsed.text) + (token_counter(parsed.reasoning) if parsed.reasoning else 0)


def _choose(usage: int | None, local: int | None, events: int | None) -> TokenCount:
    """Server usage first (it is what the server billed and generated), then tokenizer, then events."""
    if usage is not None:
        return TokenCount(usage, SOURCE_USAGE, None if local is None else local - usage)
    if local is not None:
        return TokenCount(local, SOURCE_TOKENIZER)
    if events is not None:
        return TokenCount(events, SOURCE_EVENTS)
    return TokenCount(0, SOURCE_NONE)


def _event_tokens(parsed: ParsedResponse) -> int | None:
    """Output tokens implied by the stream: the per-event counts, else one per output event."""
    if not parsed.token_event_ns:
        return None
    if len(parsed.tokens_per_event) == len(parsed.token_event_ns):
        return sum(parsed.tokens_per_event)
    return len(parsed.token_event_ns)


def request_metrics(
    record: RequestRecord, parsed: ParsedResponse, token_counter: TokenCounter | None = None
) -> RequestMetrics:
    """Derive one successful request's latency, TTFT, TPOT and token counts.

    * latency = ``end_ns - start_ns``;
    * TTFT = first output event - ``start_ns`` when streamed; for a non-streamed request the first
      token arrives with the whole body, so TTFT = latency (EvalScope does the same);
    * TPOT = (latency - TTFT) / (output tokens - 1), defined only for streamed replies with more
      than one output token (a one-token reply has no decode phase);
    * decoded tokens per iteration = (output tokens - 1) / (output events - 1), EvalScope's
      speculative-decoding estimate, defined when both are above one.

    Example:
        >>> rec = RequestRecord(0, 0, None, start_ns=0, end_ns=100)
        >>> rm = request_metrics(rec, ParsedResponse(token_event_ns=[40, 70, 100], usage_completion_tokens=3))
        >>> (rm.latency_ns, rm.ttft_ns, rm.tpot_ns)
        (100, 40, 30.0)
    """
    latency_ns = record.end_ns - record.start_ns
    events = parsed.token_event_ns
    ttft_ns = (events[0] - record.start_ns if events else None) if record.stream else latency_ns
    stream_events = _event_tokens(parsed) if record.stream else None
    output = _choose(parsed.usage_completion_tokens, _count_output_locally(parsed, token_counter), stream_events)
    prompt = _choose(parsed.usage_prompt_tokens, _count_prompt_locally(record, token_counter), None)
    tpot_ns = None
    decoded = None
    if record.stream and ttft_ns is not None and output.value > 1:
        tpot_ns = (latency_ns - ttft_ns) / (output.value - 1)
        if len(events) > 1:
            decoded = (output.value - 1) / (len(events) - 1)
    return RequestMetrics(record.stream, latency_ns, ttft_ns, tpot_ns, prompt, output, decoded)
