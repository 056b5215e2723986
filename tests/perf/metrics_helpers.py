"""Hand-built perf records with known timestamps, and a tiny stand-in for an API plugin's parser.

Times are given in milliseconds from an arbitrary origin and stored as integer nanoseconds, as the
client stores ``perf_counter_ns`` values. Each streamed chunk is one OpenAI-style SSE event.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from assay.perf._records import Outcome, ParsedResponse, RequestRecord

MS = 1_000_000
#: An origin far from zero, like a real perf_counter_ns value.
T0 = 7_000_000_000_000


def ns(ms: float) -> int:
    """Milliseconds from the origin as integer nanoseconds."""
    return T0 + round(ms * MS)


def sse(payload: dict[str, object]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def stream_record(
    request_id: int,
    start_ms: float,
    events_ms: Sequence[float],
    end_ms: float,
    *,
    tokens: Sequence[int] | None = None,
    usage: tuple[int, int] | None = None,
    intended_ms: float | None = None,
    warmup: bool = False,
    prompt: str | list[int] = "Why is the sky blue?",
    prompt_tokens_expected: int | None = None,
    done: bool = True,
) -> RequestRecord:
    """A successful streamed request: one content event per ``events_ms`` entry, then usage and [DONE]."""
    tokens = list(tokens) if tokens is not None else [1] * len(events_ms)
    chunk_ns = [ns(t) for t in events_ms]
    chunks = [sse({"choices": [{"delta": {"content": "tok " * k}}], "n": k}) for k in tokens]
    if done:
        if usage is not None:
            chunk_ns.append(ns(end_ms))
            chunks.append(sse({"choices": [], "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1]}}))
        chunk_ns.append(ns(end_ms))
        chunks.append(b"data: [DONE]\n\n")
    return RequestRecord(
        request_id=request_id,
        worker=0,
        intended_ns=None if intended_ms is None else ns(intended_ms),
        start_ns=ns(start_ms),
        end_ns=ns(end_ms),
        chunk_ns=chunk_ns,
        chunks=chunks,
        status=200,
        warmup=warmup,
        prompt=prompt,
        prompt_tokens_expected=prompt_tokens_expected,
    )


def failed_record(
    request_id: int,
    start_ms: float,
    end_ms: float,
    outcome: Outcome,
    *,
    status: int | None = None,
    intended_ms: float | None = None,
) -> RequestRecord:
    """A request that failed with ``outcome`` (no output)."""
    return RequestRecord(
        request_id=request_id,
        worker=0,
        intended_ns=None if intended_ms is None else ns(intended_ms),
        start_ns=ns(start_ms),
        end_ns=ns(end_ms),
        chunk_ns=[ns(end_ms)] if status else [],
        chunks=[b'{"error": "boom"}'] if status else [],
        status=status,
        outcome=outcome,
        error=outcome.value,
    )


def non_stream_record(request_id: int, start_ms: float, end_ms: float, usage: tuple[int, int]) -> RequestRecord:
    """A successful non-streamed request: one JSON body arriving at ``end_ms``."""
    body = {
        "choices": [{"message": {"content": "a b c"}}],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1]},
    }
    return RequestRecord(
        request_id=request_id,
        worker=0,
        intended_ns=None,
        start_ns=ns(start_ms),
        end_ns=ns(end_ms),
        chunk_ns=[ns(end_ms)],
        chunks=[json.dumps(body).encode()],
        status=200,
        stream=False,
    )


def _read_event(parsed: ParsedResponse, arrived_ns: int, payload: dict[str, object]) -> None:
    usage = payload.get("usage")
    if isinstance(usage, dict):
        parsed.usage_prompt_tokens = usage["prompt_tokens"]
        parsed.usage_completion_tokens = usage["completion_tokens"]
    choices = payload.get("choices")
    if isinstance(choices, list) and choices:
        content = choices[0].get("delta", {}).get("content") or ""
        if content:
            parsed.text += content
            parsed.token_event_ns.append(arrived_ns)
            parsed.tokens_per_event.append(int(payload.get("n", 1)))  # type: ignore[call-overload]


def parse(record: RequestRecord) -> ParsedResponse:
    """What an OpenAI chat plugin would read from the record (test stand-in, off the hot path)."""
    parsed = ParsedResponse()
    if record.outcome is not Outcome.OK:
        return parsed
    if not record.stream:
        body = json.loads(b"".join(record.chunks))
        parsed.text = body["choices"][0]["message"]["content"]
        parsed.usage_prompt_tokens = body["usage"]["prompt_tokens"]
        parsed.usage_completion_tokens = body["usage"]["completion_tokens"]
        return parsed
    done = False
    for arrived_ns, chunk in zip(record.chunk_ns, record.chunks, strict=True):
        for event in chunk.split(b"\n\n"):
            data = event.removeprefix(b"data: ").strip()
            if not data:
                continue
            if data == b"[DONE]":
                done = True
                continue
            try:
                _read_event(parsed, arrived_ns, json.loads(data))
            except ValueError:
                parsed.failure, parsed.failure_reason = Outcome.MALFORMED, f"bad JSON: {data[:40]!r}"
                return parsed
    if not done:
        parsed.failure, parsed.failure_reason = Outcome.BROKEN_STREAM, "stream ended without [DONE]"
    return parsed


def parse_all(records: Sequence[RequestRecord]) -> list[ParsedResponse]:
    return [parse(r) for r in records]
