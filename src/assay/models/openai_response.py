"""What came back from an OpenAI-compatible server, and what the openai_api backend does about it.

An attempt ends in one of three ways: a :class:`~assay.types.ModelOutput`, a :class:`RetryableError`
(overload, timeout, a dropped or garbled response: another attempt may succeed) or a
:class:`RejectedError` (a 400 for one bad prompt, a vector of the wrong length: another attempt
would repeat it). The rules are the OpenAI SDK's: 408, 409, 429 and 5xx are retried, with
exponential backoff and full jitter, honouring ``Retry-After``; an in-band error inside a 200 is
final only when it carries a non-retryable 4xx code. Responses are read by the reader eval and
perf share (:mod:`assay.models.openai_stream`); only the mapping onto eval's outputs is here.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import os
import random
import socket
import time
from collections.abc import Callable, Mapping
from datetime import timezone
from typing import Any, TypeVar, cast

import aiohttp
import orjson

from assay.models.openai_stream import (
    FailureKind,
    OpenAIReply,
    OpenAIStreamReader,
    ReadFailure,
    error_body_text,
    error_code,
    error_message,
    read_body,
)
from assay.types import ModelOutput, Usage

#: What one successful attempt gives: one output, or the outputs of every choice (``n`` > 1).
Result = TypeVar("Result", ModelOutput, list[ModelOutput])
#: Longest exponential-backoff wait, seconds.
BACKOFF_CAP_S = 30.0
#: Longest ``Retry-After`` we obey, seconds: a server asking for an hour would stall the whole run,
#: so past this we retry anyway (and get told again if it still means it), as the OpenAI SDK does.
RETRY_AFTER_CAP_S = 60.0
#: Longest server error message quoted in an error, characters.
_MAX_MESSAGE_CHARS = 500
#: Most bytes of an error body read for its message (only its first few hundred characters are quoted).
_MAX_ERROR_BODY_BYTES = 64 * 1024


class RetryableError(Exception):
    """An attempt failed in a way another attempt may not (overload, timeout, dropped stream)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RejectedError(Exception):
    """The server refused this request for good (400, 404, 422 ...); retrying would repeat it."""


def is_retryable_status(status: int) -> bool:
    """Whether an HTTP status is worth another attempt (the OpenAI SDK's rule: 408, 409, 429, 5xx)."""
    return status in (408, 409, 429) or status >= 500


def generation_output(reply: OpenAIReply, start_ns: int, end_ns: int, streamed: bool) -> ModelOutput:
    """The first choice of a reply as a ModelOutput (n > 1 is not kept), or the failure raised."""
    if reply.failure is not None:
        raise failure_error(reply.failure)
    usage = None
    if reply.prompt_tokens is not None or reply.completion_tokens is not None or reply.total_tokens is not None:
        usage = _usage(reply.prompt_tokens, reply.completion_tokens, reply.total_tokens)
    return ModelOutput(
        text=reply.texts.get(0, ""),
        reasoning=reply.reasoning.get(0) or None,
        finish_reason=reply.finish_reasons.get(0),
        usage=usage,
        latency_s=(end_ns - start_ns) / 1e9,
        ttft_s=(reply.event_ns[0] - start_ns) / 1e9 if streamed and reply.event_ns else None,
        tool_calls=reply.tool_calls.get(0),
    )


def generation_outputs(reply: OpenAIReply, start_ns: int, end_ns: int, streamed: bool) -> list[ModelOutput]:
    """Every choice of a reply asked with ``n`` > 1, in index order, or the failure raised.

    Choice 0 is :func:`generation_output`'s answer and carries the whole request's usage (a server
    reports tokens per request, not per choice); later choices carry none, so summing usage over
    the outputs counts each request once.
    """
    first = generation_output(reply, start_ns, end_ns, streamed).model_copy(update={"choice_index": 0})
    indices = set(reply.texts) | set(reply.reasoning) | set(reply.tool_calls) | set(reply.finish_reasons)
    others = [
        ModelOutput(
            text=reply.texts.get(index, ""),
            reasoning=reply.reasoning.get(index) or None,
            finish_reason=reply.finish_reasons.get(index),
            latency_s=first.latency_s,
            tool_calls=reply.tool_calls.get(index),
            choice_index=index,
        )
        for index in sorted(indices - {0})
    ]
    return [first, *others]


def embedding_output(dimensions: int | None, raw: bytes, start_ns: int, end_ns: int) -> ModelOutput:
    """The vector of an ``/embeddings`` answer; unreadable answers are retryable, as for generation."""
    document = _embedding_document(raw)
    data = document.get("data")
    item = data[0] if type(data) is list and data else None
    vector = _vector(item, dimensions)
    if vector is None:
        raise RetryableError(f"malformed JSON response: no data[0].embedding list of numbers: {raw[:80]!r}")
    return ModelOutput(embedding=vector, usage=_embedding_usage(document), latency_s=(end_ns - start_ns) / 1e9)


class EmbeddingBatchReader:
    """Reads the answer to one ``/embeddings`` request whose ``input`` is a list of ``count`` texts.

    OpenAI answers one ``data`` item per input, tagged with the input's ``index``; the order of the
    items is not promised, so they are placed by ``index``. Every index from 0 to ``count - 1`` must
    appear exactly once: a missing, repeated or out-of-range index (or an item without one) is a
    malformed answer, retried like any other. The request's usage goes to the first output only,
    as choice 0 carries it for ``n`` > 1, so summing usage over the outputs counts each request once.

    Example:
        >>> read = EmbeddingBatchReader(2, None)
        >>> raw = b'{"data": [{"index": 1, "embedding": [0.0, 1.0]}, {"index": 0, "embedding": [1.0, 0.0]}]}'
        >>> [output.embedding for output in read(raw, 0, 1_000)]
        [[1.0, 0.0], [0.0, 1.0]]
    """

    def __init__(self, count: int, dimensions: int | None) -> None:
        self.count = count
        self.dimensions = dimensions

    def __call__(self, raw: bytes, start_ns: int, end_ns: int) -> list[ModelOutput]:
        document = _embedding_document(raw)
        data = document.get("data")
        if type(data) is not list:
            raise RetryableError(f"malformed JSON response: no data list in the embedding body: {raw[:80]!r}")
        vectors: dict[int, list[float]] = {}
        for position, item in enumerate(data):
            index = item.get("index") if type(item) is dict else None
            if type(index) is not int or not 0 <= index < self.count:
                raise RetryableError(
                    f"malformed JSON response: data[{position}] has index {index!r}; "
                    f"{self.count} inputs were sent, so each index must be an integer from 0 to {self.count - 1}"
                )
            if index in vectors:
                raise RetryableError(f"malformed JSON response: index {index} appears twice in data")
            vector = _vector(item, self.dimensions)
            if vector is None:
                raise RetryableError(f"malformed JSON response: data[{position}].embedding is not a list of numbers")
            vectors[index] = vector
        if len(vectors) != self.count:
            missing = sorted(set(range(self.count)) - vectors.keys())
            raise RetryableError(
                f"malformed JSON response: {len(vectors)} embeddings for {self.count} inputs "
                f"(missing index {', '.join(map(str, missing[:5]))}{' ...' if len(missing) > 5 else ''})"
            )
        latency_s = (end_ns - start_ns) / 1e9
        usage = _embedding_usage(document)
        return [
            ModelOutput(embedding=vectors[index], usage=usage if index == 0 else None, latency_s=latency_s)
            for index in range(self.count)
        ]


def name_rejected_dimensions(outputs: list[ModelOutput], dimensions: int | None) -> list[ModelOutput]:
    """``outputs``, where the server refused a request that carried ``dimensions`` (HTTP 400 or 422),
    with an error that names the key and the fix.

    Why: a server or model without shortened vectors often rejects the key itself (vLLM: "dimensions
    is currently not supported"; OpenAI's older models: "does not support specifying dimensions"),
    in words that do not always name it; the request Assay sent is the one fact the user needs.

    Example:
        >>> refused = ModelOutput(error="HTTP 400: not supported")
        >>> name_rejected_dimensions([refused], 64)[0].error
        "HTTP 400: not supported (the request carried 'dimensions': 64; this server or model may not accept the key: \
unset generation_config dimensions)"
    """
    if dimensions is None:
        return outputs
    hint = (
        f" (the request carried 'dimensions': {dimensions}; this server or model may not accept the key: "
        "unset generation_config dimensions)"
    )
    return [
        output.model_copy(update={"error": output.error + hint})
        if output.error is not None and output.error.startswith(("HTTP 400:", "HTTP 422:"))
        else output
        for output in outputs
    ]


def _embedding_document(raw: bytes) -> dict[str, Any]:
    """The JSON object of an ``/embeddings`` answer, or the error it carries raised."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RetryableError(f"malformed JSON response: embedding body is not JSON: {raw[:80]!r}") from None
    if type(document) is not dict:
        raise RetryableError(f"malformed JSON response: embedding body is not a JSON object: {raw[:80]!r}")
    if (message := error_message(document)) is not None:
        reason = f"error document in a 200 response: {message}"
        raise failure_error(ReadFailure(FailureKind.ERROR, reason, message, error_code(document)))
    return document


def _vector(item: Any, dimensions: int | None) -> list[float] | None:
    """The ``embedding`` of one ``data`` item (None when it is not a list of numbers), its length checked.

    Raises:
        RejectedError: ``dimensions`` was asked for and the vector has another length; another
            attempt would get the same full-size vector.
    """
    vector = item.get("embedding") if type(item) is dict else None
    if type(vector) is not list:
        return None
    # set(map(type, ...)) runs in C: about a seventh of the time of a generator over the numbers.
    types = set(map(type, vector))
    if not types <= {float, int}:
        return None
    if dimensions is not None and len(vector) != dimensions:
        raise RejectedError(
            f"asked for {dimensions} dimensions but the server returned a vector of {len(vector)}; "
            "it may not support `dimensions`"
        )
    return vector if types == {float} else [float(x) for x in vector]


def _embedding_usage(document: dict[str, Any]) -> Usage:
    usage = document.get("usage")
    usage = usage if type(usage) is dict else {}
    prompt = usage.get("prompt_tokens")
    total = usage.get("total_tokens")
    return _usage(prompt if type(prompt) is int else None, 0, total if type(total) is int else None)


def _usage(prompt: int | None, completion: int | None, total: int | None) -> Usage:
    prompt, completion = prompt or 0, completion or 0
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total or prompt + completion)


def failure_error(failure: ReadFailure) -> Exception:
    """How a failed 200 answer is handled: an in-band error with a non-retryable 4xx code is final."""
    if failure.kind is FailureKind.ERROR:
        code = failure.code
        if code is not None and 400 <= code < 500 and not is_retryable_status(code):
            return RejectedError(f"HTTP {code}: {failure.message}")
        return RetryableError(failure.reason)
    label = "truncated response" if failure.kind is FailureKind.BROKEN else "malformed JSON response"
    return RetryableError(f"{label}: {failure.reason}")


def error_text(raw: bytes) -> str:
    """The human part of an error body, for eval's messages (longer than perf's excerpts)."""
    return error_body_text(raw, _MAX_MESSAGE_CHARS)


def describe_transport_error(exc: BaseException, timeout: aiohttp.ClientTimeout) -> str:
    if isinstance(exc, aiohttp.ServerTimeoutError) and timeout.sock_read:
        return f"no data from the server for {timeout.sock_read:g} s (generation_config read_timeout)"
    if isinstance(exc, asyncio.TimeoutError):
        return f"timed out after {timeout.total:g} s" if timeout.total else "timed out"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return f"truncated response body ({exc})"
    return f"connection error: {type(exc).__name__}: {exc}"


def connect_failure(exc: aiohttp.ClientConnectorError) -> str:
    """A short reason such as "Connection refused" or "Name or service not known"."""
    error = exc.os_error
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate rejected: {error}; for a self-signed server set model_args verify_ssl=false"
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"TLS handshake failed: {error}; check http:// versus https://"
    if isinstance(error, socket.gaierror) or not error.errno:
        return error.strerror or str(error) or type(error).__name__
    return os.strerror(error.errno)


def retry_after_s(headers: Mapping[str, str], cap_s: float | None = RETRY_AFTER_CAP_S) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, or ``Retry-After`` in seconds or as a
    date; at most ``cap_s`` (None: as asked), so a server asking for a day cannot stall a run."""
    seconds: float | None = None
    if value := headers.get("retry-after-ms"):
        with contextlib.suppress(ValueError):
            seconds = float(value) / 1000.0
    if seconds is None and (value := headers.get("Retry-After")):
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            seconds = when.timestamp() - time.time()  # an HTTP date needs the wall clock
    if seconds is None:
        return None
    return max(seconds, 0.0) if cap_s is None else min(max(seconds, 0.0), cap_s)


def wait_s(retry_after_s: float | None, attempt: int, base_s: float) -> float:
    """How long to sleep before the next attempt.

    With ``Retry-After`` we wait that long plus up to 10% so a burst of rejected requests does not
    come back in lockstep. Otherwise "full jitter" backoff: uniform on [0, min(cap, base * 2^(n-1))],
    which spreads retries out best under contention (AWS architecture blog, "Exponential Backoff
    and Jitter").
    """
    if retry_after_s is not None:
        return retry_after_s * random.uniform(1.0, 1.1)
    return random.uniform(0.0, min(BACKOFF_CAP_S, base_s * 2.0 ** min(attempt - 1, 32)))


# -- reading a generation answer: one output, or every choice (n > 1) ----------------------------------


def generation_from_body(raw: bytes, start_ns: int, end_ns: int) -> ModelOutput:
    return generation_output(read_body(raw, end_ns), start_ns, end_ns, streamed=False)


def choices_from_body(raw: bytes, start_ns: int, end_ns: int) -> list[ModelOutput]:
    return generation_outputs(read_body(raw, end_ns), start_ns, end_ns, streamed=False)


def failed_result(read: Callable[[bytes, int, int], Result], error: str, attempts: int) -> Result:
    """A failed call's result in the shape ``read`` gives: one output, a list of one, or one per text sent."""
    output = ModelOutput(error=error, attempts=attempts)
    if isinstance(read, EmbeddingBatchReader):  # every text of the batch failed with the request
        return cast(Result, [output.model_copy() for _ in range(read.count)])
    return cast(Result, [output] if read is choices_from_body else output)


def too_large(max_bytes: int) -> RejectedError:
    """The error of an answer past ``max_bytes``: final, since another attempt would send as much."""
    return RejectedError(
        f"response larger than {max_bytes} bytes (generation_config max_response_bytes); not read further"
    )


async def read_capped(resp: aiohttp.ClientResponse, max_bytes: int | None) -> bytes:
    """The whole body of ``resp``, refused past ``max_bytes`` (None: no limit) before it fills memory.

    Raises:
        RejectedError: the body is larger than ``max_bytes`` (said by Content-Length, or counted).
    """
    if max_bytes is None:
        return await resp.read()
    length = resp.content_length
    if length is not None and length > max_bytes:
        raise too_large(max_bytes)
    if length is not None and "Content-Encoding" not in resp.headers:
        return await resp.read()  # aiohttp reads exactly Content-Length bytes: the fast path
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_any():
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_error_body(resp: aiohttp.ClientResponse) -> bytes:
    """The start of an error body, enough for its message; a huge or endless one is cut off."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_any():
        chunks.append(chunk)
        size += len(chunk)
        if size >= _MAX_ERROR_BODY_BYTES:
            break
    return b"".join(chunks)[:_MAX_ERROR_BODY_BYTES]


async def _read_reply(resp: aiohttp.ClientResponse, max_bytes: int | None) -> OpenAIReply:
    reader = OpenAIStreamReader()
    size = 0
    async for chunk in resp.content.iter_any():
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:  # an endless stream must not grow forever
            raise too_large(max_bytes)
        reader.feed(chunk, time.perf_counter_ns())
        if reader.failure is not None:  # an error event: no need to wait for the rest
            break
    return reader.finish()


async def read_stream(resp: aiohttp.ClientResponse, start_ns: int, max_bytes: int | None) -> ModelOutput:
    reply = await _read_reply(resp, max_bytes)
    return generation_output(reply, start_ns, time.perf_counter_ns(), streamed=True)


async def read_stream_choices(resp: aiohttp.ClientResponse, start_ns: int, max_bytes: int | None) -> list[ModelOutput]:
    reply = await _read_reply(resp, max_bytes)
    return generation_outputs(reply, start_ns, time.perf_counter_ns(), streamed=True)
