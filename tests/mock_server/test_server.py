"""The mock server over real sockets: wire shapes, reply rules, timing, faults, counters and CLI.

Clients are the ``openai`` package (to prove compatibility) and raw aiohttp (to see exactly what
went over the wire, including broken bodies). Timing assertions are lower bounds only.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest

from assay.mock_server import (
    MockServer,
    Rule,
    ServerConfig,
    ServerHandle,
    count_tokens,
    load_rules,
    prompt_key,
    run_server_in_thread,
    split_tokens,
)
from assay.mock_server._rules import RuleSet, plan_reply
from tests.mock_server.helpers import call, chat

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def srv() -> Iterator[ServerHandle]:
    rules = [
        Rule(contains="capital of France", reply="Paris is the capital."),
        Rule(regex=r"\b(\d+)\+(\d+)\b", reply="The sum is 4."),
        Rule(contains="France", reply="never: an earlier rule matches first"),
        Rule(contains="think", reply="<think>hmm</think>ANSWER: B", reasoning="Let me think."),
    ]
    with run_server_in_thread(ServerConfig(rules=rules)) as handle:
        yield handle


def client(handle: ServerHandle, **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=handle.url, api_key=kwargs.pop("api_key", "unused"), max_retries=0, **kwargs)


# -- tokens and rules (pure) -----------------------------------------------------------------------


def test_tokens_are_words_with_their_trailing_space_and_join_back_exactly() -> None:
    assert split_tokens("Hi  there\nyou") == ["Hi  ", "there\n", "you"]
    assert split_tokens("  lead") == ["  ", "lead"]
    assert count_tokens("") == 0
    text = "  a b\tc\n\nd  "
    assert "".join(split_tokens(text)) == text


def test_plan_cuts_at_earliest_stop_then_at_max_tokens() -> None:
    assert plan_reply("a b c d", None, stop=("d", "b"), max_tokens=None).content == "a "
    plan = plan_reply("a b c d", "r1 r2", stop=(), max_tokens=3)
    assert (plan.reasoning, plan.content, plan.finish_reason) == ("r1 r2", "a ", "length")
    assert plan_reply("a b", None, stop=("zzz",), max_tokens=2).finish_reason == "stop"


def test_1500_contains_rules_match_the_right_rule_for_1500_questions() -> None:
    rules = RuleSet(Rule(contains=f"question number {i}.", reply=f"reply {i}") for i in range(1500))
    for i in range(1500):
        rule = rules.match(f"Please answer question number {i}. Thanks")
        assert rule is not None and rule.reply == f"reply {i}"


def test_rule_needs_exactly_one_matcher_and_a_valid_regex() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Rule(reply="x")
    with pytest.raises(ValueError, match="exactly one"):
        Rule(contains="a", regex="a", reply="x")
    with pytest.raises(ValueError, match="invalid regex"):
        Rule(regex="(", reply="x")


def test_rules_load_from_json_list_object_and_jsonl(tmp_path: Path) -> None:
    rules = [{"contains": "a", "reply": "A"}, {"regex": "b+", "reply": "B", "reasoning": "r"}]
    (tmp_path / "list.json").write_text(json.dumps(rules))
    (tmp_path / "obj.json").write_text(json.dumps({"rules": rules}))
    (tmp_path / "rules.jsonl").write_text("\n".join(json.dumps(r) for r in rules) + "\n\n")
    expected = [Rule(contains="a", reply="A"), Rule(regex="b+", reply="B", reasoning="r")]
    for name in ("list.json", "obj.json", "rules.jsonl"):
        assert load_rules(tmp_path / name) == expected
    (tmp_path / "one.jsonl").write_text(json.dumps(rules[0]) + "\n")
    assert load_rules(tmp_path / "one.jsonl") == expected[:1]


def test_fault_probabilities_summing_past_one_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"sum to 1\.2"):
        ServerConfig(p_500=0.6, p_429=0.6)


# -- happy paths -----------------------------------------------------------------------------------


def test_chat_non_stream_answers_default_reply_with_usage(srv: ServerHandle) -> None:
    messages: list[Any] = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "Hello there"},
    ]
    out = client(srv).chat.completions.create(model="any-model", messages=messages)
    assert out.object == "chat.completion" and out.model == "any-model" and out.id.startswith("chatcmpl-")
    assert out.choices[0].message.role == "assistant"
    assert (out.choices[0].message.content, out.choices[0].finish_reason) == ("ANSWER: A", "stop")
    assert out.usage is not None
    # "You are helpful.\nHello there" is 5 mock tokens; "ANSWER: A" is 2.
    assert (out.usage.prompt_tokens, out.usage.completion_tokens, out.usage.total_tokens) == (5, 2, 7)


def test_chat_stream_sends_role_then_tokens_then_finish_usage_and_done(srv: ServerHandle) -> None:
    reply = call(
        srv.url + "/chat/completions",
        chat("capital of France?", stream=True, stream_options={"include_usage": True}),
    )
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/event-stream")
    assert reply.events()[-1] == "[DONE]"
    chunks = reply.chunks()
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    contents = [c["choices"][0]["delta"]["content"] for c in chunks[1:-2]]
    assert contents == ["Paris ", "is ", "the ", "capital."]
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == {
        "prompt_tokens": 3,
        "completion_tokens": 4,
        "total_tokens": 7,
    }
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"} and len({c["id"] for c in chunks}) == 1


def test_openai_client_streams_the_same_text_without_usage_unless_asked(srv: ServerHandle) -> None:
    stream = client(srv).chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "capital of France"}], stream=True
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Paris is the capital."
    assert all(c.usage is None for c in chunks) and chunks[-1].choices[0].finish_reason == "stop"


def test_completions_non_stream_and_stream(srv: ServerHandle) -> None:
    api = client(srv)
    out = api.completions.create(model="mock-model", prompt="What is 2+2 ?")
    assert (out.object, out.choices[0].text, out.choices[0].finish_reason) == (
        "text_completion",
        "The sum is 4.",
        "stop",
    )
    assert out.usage is not None and (out.usage.prompt_tokens, out.usage.completion_tokens) == (4, 4)
    pieces = list(
        api.completions.create(
            model="mock-model", prompt="What is 2+2 ?", stream=True, stream_options={"include_usage": True}
        )
    )
    assert [p.choices[0].text for p in pieces if p.choices] == ["The ", "sum ", "is ", "4.", ""]
    assert pieces[-1].usage is not None and pieces[-1].usage.total_tokens == 8


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("field_name", ["max_tokens", "max_completion_tokens"])
def test_max_tokens_truncates_with_finish_reason_length(srv: ServerHandle, stream: bool, field_name: str) -> None:
    reply = call(srv.url + "/chat/completions", chat("capital of France", stream=stream, **{field_name: 2}))
    if stream:
        chunks = reply.chunks()
        assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "Paris is "
        assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    else:
        body = reply.json()
        assert body["choices"][0]["message"]["content"] == "Paris is "
        assert body["choices"][0]["finish_reason"] == "length" and body["usage"]["completion_tokens"] == 2


def test_stop_string_cuts_the_reply_before_it(srv: ServerHandle) -> None:
    out = client(srv).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "capital of France"}], stop=["capital", "the"]
    )
    assert (out.choices[0].message.content, out.choices[0].finish_reason) == ("Paris is ", "stop")


def test_first_matching_rule_wins_over_later_ones_and_matches_last_user_message(srv: ServerHandle) -> None:
    api = client(srv)
    # Matches rule 3 ("France") only: rule 1 needs "capital of France".
    assert (
        api.chat.completions.create(model="m", messages=[{"role": "user", "content": "France?"}])
        .choices[0]
        .message.content
        == "never: an earlier rule matches first"
    )
    # The earlier user turn would match rule 1, but only the last user message counts.
    messages: list[Any] = [
        {"role": "user", "content": "capital of France"},
        {"role": "assistant", "content": "x"},
        {"role": "user", "content": "no rule for this"},
    ]
    assert api.chat.completions.create(model="m", messages=messages).choices[0].message.content == "ANSWER: A"


def test_reasoning_rule_sends_reasoning_content_and_think_tags_verbatim(srv: ServerHandle) -> None:
    body = call(srv.url + "/chat/completions", chat("think about it")).json()
    message = body["choices"][0]["message"]
    assert message == {
        "role": "assistant",
        "content": "<think>hmm</think>ANSWER: B",
        "reasoning_content": "Let me think.",
    }
    assert body["usage"]["completion_tokens"] == count_tokens("Let me think.") + 2
    chunks = call(srv.url + "/chat/completions", chat("think about it", stream=True)).chunks()
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert [d["reasoning_content"] for d in deltas if "reasoning_content" in d] == ["Let ", "me ", "think."]


def test_echo_replies_with_the_last_user_message_or_prompt() -> None:
    with run_server_in_thread(ServerConfig(echo=True)) as handle:
        api = client(handle)
        messages: list[Any] = [
            {"role": "user", "content": "first"},
            {"role": "user", "content": "say this back"},
        ]
        assert api.chat.completions.create(model="m", messages=messages).choices[0].message.content == "say this back"
        assert api.completions.create(model="m", prompt="echo me").choices[0].text == "echo me"


def test_extra_fields_and_multimodal_text_parts_are_accepted(srv: ServerHandle) -> None:
    content = [
        {"type": "text", "text": "What is the capital of France?"},
        {"type": "image_url", "image_url": {"url": "x"}},
        {"type": "text", "text": "One sentence."},
    ]
    body = chat("", top_k=5, n=1, seed=3, chat_template_kwargs={"enable_thinking": False}, temperature=0)
    body["messages"][0]["content"] = content
    reply = call(srv.url + "/chat/completions", body)
    assert reply.status == 200 and reply.json()["choices"][0]["message"]["content"] == "Paris is the capital."


def test_models_endpoint_lists_served_models_and_strict_mode_rejects_others() -> None:
    with run_server_in_thread(ServerConfig(models=["a", "b"], strict_model=True)) as handle:
        api = client(handle)
        assert [m.id for m in api.models.list()] == ["a", "b"]
        with pytest.raises(openai.NotFoundError):
            api.chat.completions.create(model="c", messages=[{"role": "user", "content": "hi"}])
        assert api.chat.completions.create(model="b", messages=[{"role": "user", "content": "hi"}]).model == "b"
        assert handle.stats()["by_outcome"]["404"] == 1


def test_mock_server_runs_inside_an_existing_event_loop() -> None:
    async def go() -> dict[str, Any]:
        async with (
            MockServer(ServerConfig(default_reply="in loop")) as server,
            aiohttp.ClientSession() as session,
        ):
            assert server.url == f"http://127.0.0.1:{server.port}/v1"
            async with session.post(server.url + "/completions", json={"prompt": "x"}) as resp:
                return dict(await resp.json())

    assert asyncio.run(go())["choices"][0]["text"] == "in loop"


# -- errors ----------------------------------------------------------------------------------------


def test_api_key_is_required_when_set() -> None:
    with run_server_in_thread(ServerConfig(api_key="sk-right")) as handle:
        with pytest.raises(openai.AuthenticationError):
            client(handle, api_key="sk-wrong").chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}]
            )
        reply = call(handle.url + "/chat/completions", chat("hi"))
        assert reply.status == 401
        assert reply.json()["error"]["type"] == "invalid_request_error"
        assert reply.json()["error"]["code"] == "invalid_api_key"
        ok = client(handle, api_key="sk-right").chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
        assert ok.choices[0].message.content == "ANSWER: A"
        assert handle.stats()["by_outcome"]["401"] == 2 and handle.stats()["by_outcome"]["ok"] == 1


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/chat/completions", b"{not json"),
        ("/chat/completions", b'{"model": "m"}'),
        ("/chat/completions", b'{"messages": []}'),
        ("/chat/completions", b"[1, 2]"),
        ("/chat/completions", b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": -1}'),
        ("/chat/completions", b'{"messages": [{"role": "user", "content": "x"}], "stop": 3}'),
        ("/completions", b'{"model": "m"}'),
    ],
)
def test_bad_request_bodies_get_400_with_an_openai_error(srv: ServerHandle, path: str, raw: bytes) -> None:
    reply = call(srv.url + path, None, raw=raw)
    assert reply.status == 400
    assert reply.json()["error"]["type"] == "invalid_request_error" and reply.json()["error"]["message"]
    assert srv.stats()["by_outcome"]["400"] == 1


# -- faults ----------------------------------------------------------------------------------------


def test_429_fault_carries_retry_after_and_an_error_body() -> None:
    with run_server_in_thread(ServerConfig(p_429=1.0, retry_after_s=1.5)) as handle:
        reply = call(handle.url + "/chat/completions", chat("hi"))
        assert reply.status == 429 and reply.headers["Retry-After"] == "1.5"
        assert reply.json()["error"]["code"] == "rate_limit_exceeded"
        assert handle.stats()["by_outcome"] == {**dict.fromkeys(handle.stats()["by_outcome"], 0), "429": 1}


def test_500_fault_is_an_openai_server_error() -> None:
    with run_server_in_thread(ServerConfig(p_500=1.0)) as handle:
        with pytest.raises(openai.InternalServerError):
            client(handle).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        assert handle.stats()["by_outcome"]["500"] == 1 and handle.stats()["by_outcome"]["ok"] == 0


@pytest.mark.parametrize("stream", [False, True])
def test_hang_fault_sends_nothing_so_the_client_times_out(stream: bool) -> None:
    with run_server_in_thread(ServerConfig(p_hang=1.0, hang_s=2)) as handle:
        start = time.perf_counter()
        with pytest.raises(asyncio.TimeoutError):
            call(handle.url + "/chat/completions", chat("hi", stream=stream), timeout=0.5)
        assert time.perf_counter() - start < 1.9
        assert handle.stats()["by_outcome"]["hang"] == 1


def test_truncated_stream_breaks_off_without_done() -> None:
    with run_server_in_thread(ServerConfig(p_truncate=1.0, default_reply="one two three four five six")) as handle:
        reply = call(handle.url + "/chat/completions", chat("hi", stream=True))
        assert reply.status == 200 and isinstance(reply.error, aiohttp.ClientPayloadError)
        assert "[DONE]" not in reply.events()
        contents = [c["choices"][0]["delta"].get("content") for c in reply.chunks()]
        assert contents == ["", "one ", "two ", "three "]  # the role chunk, then half of the six tokens
        assert handle.stats()["by_outcome"]["truncate"] == 1


def test_truncated_json_body_is_shorter_than_its_content_length() -> None:
    with run_server_in_thread(ServerConfig(p_truncate=1.0)) as handle:
        reply = call(handle.url + "/completions", {"prompt": "hi"})
        assert reply.status == 200 and isinstance(reply.error, aiohttp.ClientPayloadError)
        assert len(reply.body) < int(reply.headers["Content-Length"])


@pytest.mark.parametrize("stream", [False, True])
def test_malformed_fault_answers_200_with_invalid_json(stream: bool) -> None:
    with run_server_in_thread(ServerConfig(p_malformed=1.0)) as handle:
        reply = call(handle.url + "/chat/completions", chat("hi", stream=stream))
        assert reply.status == 200 and reply.error is None
        with pytest.raises(ValueError):
            reply.chunks() if stream else reply.json()
        assert handle.stats()["by_outcome"]["malformed"] == 1


def test_faults_follow_the_seed_and_reset_replays_them() -> None:
    def statuses(handle: ServerHandle) -> list[int]:
        return [call(handle.url + "/completions", {"prompt": f"q{i}"}).status for i in range(20)]

    config = ServerConfig(p_500=0.3, p_429=0.2, seed=7)
    with run_server_in_thread(config) as first, run_server_in_thread(config) as second:
        seen = statuses(first)
        assert seen == statuses(second)
        assert {200, 429, 500} == set(seen)
        first.reset()
        assert statuses(first) == seen
        outcomes = first.stats()["by_outcome"]
        assert (outcomes["ok"], outcomes["429"], outcomes["500"]) == (
            seen.count(200),
            seen.count(429),
            seen.count(500),
        )


# -- counters and admin ----------------------------------------------------------------------------


def test_stats_count_endpoints_outcomes_and_prompts_and_reset_zeroes_them(srv: ServerHandle) -> None:
    for _ in range(3):
        call(srv.url + "/chat/completions", chat("capital of France"))
    call(srv.url + "/completions", {"prompt": "plain prompt"})
    call(srv.url + "/chat/completions", None, raw=b"{")
    stats = srv.stats()
    assert stats["requests_total"] == 5
    assert stats["by_endpoint"] == {"/v1/chat/completions": 4, "/v1/completions": 1}
    assert (stats["by_outcome"]["ok"], stats["by_outcome"]["400"]) == (4, 1)
    assert stats["prompt_counts"] == {prompt_key("capital of France"): 3, prompt_key("plain prompt"): 1}

    async def over_http() -> tuple[dict[str, Any], dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            async with session.get(srv.root_url + "/admin/stats") as resp:
                before = await resp.json()
            async with session.post(srv.root_url + "/admin/reset") as resp:
                assert resp.status == 200
            async with session.get(srv.root_url + "/admin/stats") as resp:
                return before, await resp.json()

    before, after = asyncio.run(over_http())
    assert before == stats
    assert after["requests_total"] == 0 and after["prompt_counts"] == {} and set(after["by_outcome"].values()) == {0}


def test_rules_can_be_replaced_at_runtime_from_python_and_over_http(srv: ServerHandle) -> None:
    srv.set_rules([Rule(contains="France", reply="replaced")])
    assert (
        call(srv.url + "/chat/completions", chat("capital of France")).json()["choices"][0]["message"]["content"]
        == "replaced"
    )
    reply = call(srv.root_url + "/admin/rules", [{"regex": "^cap", "reply": "via http"}])
    assert reply.status == 200 and reply.json() == {"rules": 1}
    assert (
        call(srv.url + "/chat/completions", chat("capital of France")).json()["choices"][0]["message"]["content"]
        == "via http"
    )
    assert call(srv.root_url + "/admin/rules", [{"reply": "no matcher"}]).status == 400
    assert srv.server.rules == (Rule(regex="^cap", reply="via http"),)


# -- timing ----------------------------------------------------------------------------------------


def test_stream_first_token_waits_ttft_and_tokens_are_spaced_by_itl() -> None:
    with run_server_in_thread(ServerConfig(ttft_ms=100, itl_ms=30, default_reply="a b c d e")) as handle:
        start = time.perf_counter()
        reply = call(handle.url + "/chat/completions", chat("hi", stream=True))
        content_times = reply.chunk_times
        assert content_times[0] - start >= 0.100
        assert content_times[-1] - start >= 0.100 + 4 * 0.030
        assert "".join(c["choices"][0]["delta"].get("content", "") for c in reply.chunks()) == "a b c d e"


def test_non_stream_reply_waits_ttft_plus_itl_per_token_plus_latency() -> None:
    with run_server_in_thread(ServerConfig(ttft_ms=50, itl_ms=20, latency_ms=40, default_reply="a b c")) as handle:
        start = time.perf_counter()
        reply = call(handle.url + "/completions", {"prompt": "hi"})
        assert time.perf_counter() - start >= 0.050 + 2 * 0.020 + 0.040
        assert reply.json()["choices"][0]["text"] == "a b c"


def test_record_file_has_one_line_per_request_with_chunk_times(tmp_path: Path) -> None:
    path = tmp_path / "timings.jsonl"
    with run_server_in_thread(ServerConfig(record_path=path, ttft_ms=20, itl_ms=5, default_reply="a b c")) as handle:
        call(handle.url + "/chat/completions", chat("hi", stream=True))
        call(handle.url + "/completions", {"prompt": "hi"})
    streamed, plain = (json.loads(line) for line in path.read_text().splitlines())
    assert streamed["outcome"] == "ok" and streamed["stream"] and streamed["request_id"].startswith("chatcmpl-")
    assert len(streamed["chunk_ns"]) == 3 and streamed["chunk_ns"] == sorted(streamed["chunk_ns"])
    assert streamed["first_byte_ns"] == streamed["chunk_ns"][0]
    for i, sent_ns in enumerate(streamed["chunk_ns"]):  # token i is due at arrival + ttft + i * itl
        assert sent_ns - streamed["arrival_ns"] >= 20_000_000 + i * 5_000_000
    assert abs(streamed["first_byte_unix_ns"] - time.time_ns()) < 60 * 10**9
    assert plain["endpoint"] == "/v1/completions" and len(plain["chunk_ns"]) == 1


# -- command line ----------------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_cli_prints_the_listening_line_serves_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    rules = tmp_path / "rules.jsonl"
    rules.write_text(json.dumps({"contains": "ping", "reply": "pong"}) + "\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    }
    command = [
        sys.executable,
        "-m",
        "assay.mock_server",
        "--port",
        "0",
        "--rules",
        str(rules),
        "--itl-ms",
        "1",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("assay mock-server listening on http://127.0.0.1:") and line.endswith("/v1")
        url = line.rsplit(" ", 1)[1]
        assert call(url + "/chat/completions", chat("ping?")).json()["choices"][0]["message"]["content"] == "pong"
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_arrival_is_stamped_per_request_even_when_a_body_arrives_late(tmp_path: Path) -> None:
    """The trace's arrival is the first bytes of *this* request: never a stale stamp from the last body.

    Request 1 sends its headers and body in two writes (so a later packet of it reaches the server
    after its handler took the arrival stamp); request 2 follows on the same connection. By
    causality, request 2's arrival cannot precede the moment the client started sending it.
    """
    import json as _json
    import socket
    import time

    record = tmp_path / "trace.jsonl"
    body = _json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with (
        run_server_in_thread(ServerConfig(record_path=record)) as srv,
        socket.create_connection(("127.0.0.1", srv.port)) as sock,
    ):
        sock.sendall(head)
        time.sleep(0.05)
        sock.sendall(body)
        _read_one_response(sock)
        second_sent_ns = time.perf_counter_ns()
        sock.sendall(head + body)
        _read_one_response(sock)
    first, second = (_json.loads(line) for line in record.read_text().splitlines())
    assert second["arrival_ns"] >= second_sent_ns
    assert first["arrival_ns"] < second_sent_ns


def test_a_models_request_leaves_no_arrival_stamp_for_the_next_request(tmp_path: Path) -> None:
    """GET /v1/models on a keep-alive connection must not start the next request's latency clock."""
    import json as _json
    import socket

    record = tmp_path / "trace.jsonl"
    body = _json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
    chat_request = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with (
        run_server_in_thread(ServerConfig(record_path=record)) as srv,
        socket.create_connection(("127.0.0.1", srv.port)) as sock,
    ):
        sock.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        _read_one_response(sock)
        chat_sent_ns = time.perf_counter_ns()
        sock.sendall(chat_request)
        _read_one_response(sock)
    [trace] = (_json.loads(line) for line in record.read_text().splitlines())
    assert trace["arrival_ns"] >= chat_sent_ns


def _read_one_response(sock: Any) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    header, _, rest = data.partition(b"\r\n\r\n")
    length = int(
        next(line.split(b":")[1] for line in header.split(b"\r\n") if line.lower().startswith(b"content-length"))
    )
    while len(rest) < length:
        rest += sock.recv(65536)
