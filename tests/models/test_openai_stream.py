"""The one OpenAI wire reader: SSE framing edge cases, choices, tool calls and failures."""

from __future__ import annotations

import orjson
import pytest

from assay.models.openai_stream import FailureKind, OpenAIReply, read_body
from assay.models.sse import split_events
from assay.types import ToolCall
from tests.models.sse_chunks import DONE, chunk, fragment, read


def bytewise(chunks: list[bytes]) -> OpenAIReply:
    """The same bytes one at a time: the worst split TCP can produce."""
    body = b"".join(chunks)
    return read([body[i : i + 1] for i in range(len(body))])


# ---- SSE framing --------------------------------------------------------------------------------


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n", b"\r"])
def test_every_line_end_the_spec_allows_reads_the_same(line_end: bytes) -> None:
    body = (chunk("Hel") + b": ping\n\n" + chunk("lo", finish="stop") + DONE).replace(b"\n", line_end)
    for reply in (read([body]), bytewise([body])):
        assert (reply.all_text(), reply.finish_reason, reply.failure) == ("Hello", "stop", None)


def test_multi_line_data_is_joined_by_newlines_and_event_fields_are_read() -> None:
    body = b'event: message\nid: 3\ndata: {"choices":[{"index":0,\ndata:"delta":{"content":"x"}}]}\n\n' + DONE
    reply = read([body])
    assert reply.texts == {0: "x"} and reply.failure is None
    assert [e.data for e in split_events([body], [1]).events] == [
        '{"choices":[{"index":0,\n"delta":{"content":"x"}}]}',
        "[DONE]",
    ]


def test_an_event_arrives_with_the_chunk_that_completes_it() -> None:
    whole = chunk("a")
    reply = read([whole[:10], whole[10:-1], whole[-1:] + chunk("b") + chunk("c")[:5], chunk("c")[5:] + DONE])
    assert (reply.all_text(), reply.event_ns) == ("abc", [3000, 3000, 4000])


def test_a_crlf_split_between_chunks_ends_its_line_in_the_first() -> None:
    body = chunk("a").replace(b"\n", b"\r\n")
    reply = read([body[:-1], body[-1:] + DONE])  # the last chunk starts with the LF of a CRLF
    assert (reply.texts, reply.event_ns, reply.failure) == ({0: "a"}, [1000], None)


def test_choices_keep_their_index_and_all_text_joins_them_in_order() -> None:
    reply = read([chunk("B", index=1), chunk("A", index=0), chunk("b", index=1, finish="stop"), DONE])
    assert reply.texts == {1: "Bb", 0: "A"} and reply.all_text() == "ABb"
    assert reply.finish_reasons == {1: "stop"}


def test_tool_call_fragments_are_joined_by_their_index() -> None:
    chunks = [
        fragment(0, id="call_a", name="get_weather", arguments=""),
        fragment(1, id="call_b", name="get_time", arguments='{"tz":'),
        fragment(0, arguments='{"city": '),
        fragment(0, name="get_weather", arguments='"Paris"}'),  # a server repeating the name
        fragment(1, arguments='"UTC"}'),
        chunk(finish="tool_calls"),
        DONE,
    ]
    for reply in (read(chunks), bytewise(chunks)):
        assert reply.tool_calls == {
            0: [
                ToolCall(id="call_a", name="get_weather", arguments='{"city": "Paris"}'),
                ToolCall(id="call_b", name="get_time", arguments='{"tz":"UTC"}'),
            ]
        }
        assert reply.finish_reason == "tool_calls" and len(reply.event_ns) == 5


def test_non_streamed_tool_calls_and_object_arguments() -> None:
    calls = [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}},
        {"id": "c2", "type": "function", "function": {"name": "g", "arguments": {"y": 2}}},
    ]
    body = {"choices": [{"index": 0, "message": {"content": None, "tool_calls": calls}, "finish_reason": "tool_calls"}]}
    reply = read_body(orjson.dumps(body), 5)
    assert reply.tool_calls[0] == [
        ToolCall(id="c1", name="f", arguments='{"x": 1}'),
        ToolCall(id="c2", name="g", arguments='{"y":2}'),
    ]
    assert reply.texts == {} and reply.event_ns == [5]


# ---- failures -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chunks", "kind", "reason"),
    [
        ([chunk("a")], FailureKind.BROKEN, "stream ended without data: [DONE] or a finish_reason"),
        ([b": ping\n\n"], FailureKind.BROKEN, "stream ended without data: [DONE] or a finish_reason"),
        ([], FailureKind.BROKEN, "empty response body"),
        ([chunk("a"), chunk("b")[:20]], FailureKind.BROKEN, "stream ended in the middle of an event"),
        ([chunk("a"), b"data: 42\n\n", DONE], FailureKind.MALFORMED, "event 2 is not a JSON object: 42"),
        ([b"data: {oops}\n\n", DONE], FailureKind.MALFORMED, "event 1 is not JSON: {oops}"),
        (
            [chunk("a"), b'data: {"object":"error","message":"engine died","code":500}\n\n', DONE],
            FailureKind.ERROR,
            "error event 2 in a 200 stream: engine died",
        ),
        (
            [b'data: {"error":{"message":"too long","code":"400"}}\n\n'],
            FailureKind.ERROR,
            "error event 1 in a 200 stream: too long",
        ),
        ([b"event: error\ndata: overloaded\n\n"], FailureKind.ERROR, "error event 1 in a 200 stream: overloaded"),
    ],
)
def test_failures_are_classified_with_their_reason(chunks: list[bytes], kind: FailureKind, reason: str) -> None:
    failure = read(chunks).failure
    assert failure is not None and (failure.kind, failure.reason) == (kind, reason)


def test_error_codes_are_numbers_or_digit_strings() -> None:
    first = read([b'data: {"error":{"message":"too long","code":"400"}}\n\n']).failure
    second = read([b'data: {"object":"error","message":"m","type":"BadRequestError","code":422}\n\n']).failure
    third = read([b'data: {"error":{"message":"m","code":"invalid_api_key"}}\n\n']).failure
    assert [f.code if f else "-" for f in (first, second, third)] == [400, 422, None]


def test_reading_stops_at_done_and_at_the_first_failure() -> None:
    after_done = read([chunk("a", finish="stop"), DONE, chunk("ignored"), b"data: {oops}\n\n"])
    assert (after_done.all_text(), after_done.failure) == ("a", None)
    after_error = read([b'data: {"error":"boom"}\n\n', chunk("ignored", finish="stop"), DONE])
    assert after_error.texts == {} and after_error.failure is not None and after_error.failure.message == "boom"


def test_an_unterminated_complete_last_event_is_accepted() -> None:
    assert read([chunk("a"), chunk(finish="stop").rstrip()]).failure is None
    assert read([chunk("a"), b"data: [DONE]"]).failure is None


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"", FailureKind.BROKEN),
        (b'{"choices":[{"index":0,"mess', FailureKind.MALFORMED),
        (b"[1, 2]", FailureKind.MALFORMED),
        (b'{"object":"list"}', FailureKind.MALFORMED),
        (b'{"object":"error","message":"bad","code":400}', FailureKind.ERROR),
    ],
)
def test_non_streamed_body_failures(body: bytes, kind: FailureKind) -> None:
    failure = read_body(body, 1).failure
    assert failure is not None and failure.kind is kind
