"""API plugins of ``assay perf``: exact request bytes, and responses read back from raw chunks."""

from __future__ import annotations

import asyncio
import importlib.util
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.perf._records import Outcome, RequestRecord
from assay.perf.apis import split_events
from assay.perf.arguments import PerfArguments
from assay.perf.metrics import ScoredItems
from assay.perf.plugins import ApiPlugin, Prompt, get_api_plugin

HI = Prompt(messages=[{"role": "user", "content": "Hi"}])


def plugin(**overrides: Any) -> ApiPlugin:
    values: dict[str, Any] = {"model": "qwen", "max_tokens": None, "temperature": None}
    values.update(overrides)
    return get_api_plugin(PerfArguments(**values))


def record(chunks: list[bytes], status: int = 200, stream: bool = True) -> RequestRecord:
    """A finished record whose i-th chunk arrived at (i + 1) * 1000 ns."""
    times = [(i + 1) * 1000 for i in range(len(chunks))]
    return RequestRecord(0, 0, None, 0, times[-1] if times else 0, times, chunks, status=status, stream=stream)


def chat_chunk(content: str | None = None, *, reasoning: str | None = None, finish: str | None = None) -> bytes:
    delta: dict[str, Any] = {}
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return b"data: " + orjson.dumps({"object": "chat.completion.chunk", "choices": [choice]}) + b"\n\n"


USAGE = b'data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}\n\n'
DONE = b"data: [DONE]\n\n"


# ---- request bodies ---------------------------------------------------------------------------------


def test_default_chat_body_is_evalscopes_with_usage_requested() -> None:
    body = plugin(max_tokens=[2048], temperature=0.0).build_body(HI)
    assert body == (
        b'{"messages":[{"role":"user","content":"Hi"}],"model":"qwen","max_tokens":2048,"stream":true,'
        b'"stream_options":{"include_usage":true},"temperature":0.0}'
    )


def test_every_sampling_flag_lands_in_evalscopes_order_and_extra_args_win() -> None:
    api = plugin(
        max_tokens=[16],
        min_tokens=16,
        frequency_penalty=0.5,
        repetition_penalty=1.1,
        logprobs=True,
        n_choices=2,
        seed=42,
        stop=["\n\n"],
        stream=False,
        stop_token_ids=[2],
        temperature=0.7,
        top_p=0.9,
        top_k=20,
        extra_args={"ignore_eos": True, "top_k": 5},
    )
    assert api.build_body(HI) == (
        b'{"messages":[{"role":"user","content":"Hi"}],"model":"qwen","max_tokens":16,"min_tokens":16,'
        b'"frequency_penalty":0.5,"repetition_penalty":1.1,"logprobs":true,"n":2,"seed":42,"stop":["\\n\\n"],'
        b'"stream":false,"stop_token_ids":[2],"temperature":0.7,"top_p":0.9,"top_k":5,"ignore_eos":true}'
    )


def test_text_and_token_id_prompts_go_in_prompt_and_non_ascii_stays_utf8() -> None:
    api = plugin(stream=False)
    assert api.build_body(Prompt(text="熵熵")) == '{"prompt":"熵熵","model":"qwen","stream":false}'.encode()
    assert api.build_body(Prompt(token_ids=[1, 2, 3])) == b'{"prompt":[1,2,3],"model":"qwen","stream":false}'


def test_max_tokens_range_is_drawn_per_request_and_seeded() -> None:
    def draws() -> list[int]:
        api = plugin(max_tokens=[10, 12], seed=3, stream=False)
        return [orjson.loads(api.build_body(HI))["max_tokens"] for _ in range(60)]

    first = draws()
    assert set(first) == {10, 11, 12} and draws() == first


def test_query_template_keeps_its_fields_and_takes_the_prompt(tmp_path: Path) -> None:
    template = '{"model": "placeholder", "messages": [], "chat_template_kwargs": {"enable_thinking": false}}'
    body = plugin(stream=False, query_template=template).build_body(HI)
    assert body == (
        b'{"model":"qwen","messages":[{"role":"user","content":"Hi"}],'
        b'"chat_template_kwargs":{"enable_thinking":false},"stream":false}'
    )
    (tmp_path / "t.json").write_text('{"input": {"text": "%p", "by": "%m"}}', encoding="utf-8")
    body = plugin(stream=False, query_template=f"@{tmp_path / 't.json'}").build_body(HI)
    assert body == b'{"input":{"text":"Hi","by":"qwen"},"model":"qwen","stream":false}'


@pytest.mark.parametrize(
    ("template", "problem"),
    [("{not json", "is not valid JSON"), ("[1]", "must be a JSON object"), ("@/no/such/file.json", "cannot read")],
)
def test_bad_query_template_is_a_user_error(template: str, problem: str) -> None:
    with pytest.raises(UserError, match=problem):
        plugin(query_template=template)


def test_completions_body_renders_chat_prompts_only_with_a_tokenizer(tmp_path: Path) -> None:
    api = plugin(api="openai_completions", stream=False)
    assert api.default_path == "/completions"
    assert api.build_body(Prompt(text="Once")) == b'{"prompt":"Once","model":"qwen","stream":false}'
    with pytest.raises(UserError, match="needs --tokenizer-path"):
        api.build_body(HI)


def test_completions_body_with_smollm2_chat_template() -> None:
    if importlib.util.find_spec("transformers") is None:
        pytest.skip("transformers is not installed")
    from assay.models.smollm2 import ensure_hf_folder

    try:
        folder = str(ensure_hf_folder())
    except (UserError, ImportError) as exc:
        pytest.skip(f"SmolLM2 tokenizer unavailable: {exc}")
    api = plugin(api="openai_completions", stream=False, tokenizer_path=folder)
    system = "<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n"
    prompt = f"{system}<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n"
    assert api.build_body(HI) == f'{{"prompt":"{prompt}","model":"qwen","stream":false}}'.encode()
    tokenized = plugin(api="openai_completions", stream=False, tokenizer_path=folder, tokenize_prompt=True)
    assert tokenized.build_body(Prompt(text="hello world")) == b'{"prompt":[28120,905],"model":"qwen","stream":false}'


def test_embeddings_body_is_input_model_and_extra_args() -> None:
    api = plugin(api="embeddings", max_tokens=[64], extra_args={"dimensions": 256})
    assert api.default_path == "/embeddings"
    assert api.build_body(Prompt(text="a b")) == b'{"input":"a b","model":"qwen","dimensions":256}'
    assert api.build_body(HI) == b'{"input":"Hi","model":"qwen","dimensions":256}'


def test_custom_api_body_is_evalscopes_template() -> None:
    api = plugin(api="custom", max_tokens=[8], top_p=0.5)
    assert api.build_body(Prompt(text="x")) == (
        b'{"input_text":"x","model":"qwen","max_tokens":8,"top_p":0.5,"stream":true,'
        b'"stream_options":{"include_usage":true}}'
    )


def test_headers_carry_json_type_user_headers_and_the_api_key_last() -> None:
    api = plugin(api_key="sk-1", headers={"X-Tenant": "a", "Authorization": "Bearer other"})
    assert api.headers() == {"Content-Type": "application/json", "X-Tenant": "a", "Authorization": "Bearer sk-1"}
    assert plugin().headers() == {"Content-Type": "application/json"}


# ---- SSE events from raw chunks ------------------------------------------------------------------------


def test_an_event_arrives_with_the_chunk_that_ends_its_blank_line() -> None:
    chunks = [b"data: a\r\n", b"\r\n: ping\r\n\r\ndata: b\n\nda", b"ta: c\n\n", b'data: {"x":']
    stream = split_events(chunks, [10, 20, 30, 40])
    assert [(e.data, e.arrival_ns) for e in stream.events] == [("a", 20), ("b", 20), ("c", 30)]
    assert (stream.tail, stream.tail_ns) == (b'data: {"x":', 40)


# Each case: chunks (chunk i arrives at (i + 1) * 1000 ns), then the expected ParsedResponse fields.
SSE_CASES: dict[str, tuple[list[bytes], dict[str, Any]]] = {
    "role chunk, split event, usage chunk, done": (
        [
            b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n' + chat_chunk("He")[:20],
            chat_chunk("He")[20:] + chat_chunk("llo"),
            chat_chunk(finish="stop") + USAGE + DONE,
        ],
        {"text": "Hello", "token_event_ns": [2000, 2000], "tokens_per_event": [1, 1]}
        | {"usage_prompt_tokens": 7, "usage_completion_tokens": 2, "finish_reason": "stop"},
    ),
    "reasoning then content": (
        [chat_chunk(reasoning="think"), chat_chunk("answer", finish="stop"), DONE],
        {"text": "answer", "reasoning": "think", "token_event_ns": [1000, 2000], "tokens_per_event": [1, 1]}
        | {"finish_reason": "stop"},
    ),
    "error object mid-stream": (
        [chat_chunk("par"), b'data: {"object":"error","message":"engine died","code":500}\n\n', DONE],
        {"text": "par", "token_event_ns": [1000], "tokens_per_event": [1]}
        | {"failure": Outcome.HTTP_ERROR, "failure_reason": "error event 2 in a 200 stream: engine died"},
    ),
    "finish reason without done": (
        [chat_chunk("a"), chat_chunk(finish="length")],
        {"text": "a", "token_event_ns": [1000], "tokens_per_event": [1], "finish_reason": "length"},
    ),
    "neither done nor finish reason": (
        [chat_chunk("a"), chat_chunk("b")],
        {"text": "ab", "token_event_ns": [1000, 2000], "tokens_per_event": [1, 1]}
        | {"failure": Outcome.BROKEN_STREAM, "failure_reason": "stream ended without data: [DONE] or a finish_reason"},
    ),
    "cut off mid-event": (
        [chat_chunk("a"), chat_chunk("b")[:25]],
        {"text": "a", "token_event_ns": [1000], "tokens_per_event": [1]}
        | {"failure": Outcome.BROKEN_STREAM, "failure_reason": "stream ended in the middle of an event"},
    ),
    "done without a final blank line": (
        [chat_chunk("a"), b"data: [DONE]"],
        {"text": "a", "token_event_ns": [1000], "tokens_per_event": [1]},
    ),
    "malformed json event": (
        [chat_chunk("a"), b'data: {"choices":[{"delta":{"content":"\n\n', DONE],
        {"text": "a", "token_event_ns": [1000], "tokens_per_event": [1], "failure": Outcome.MALFORMED}
        | {"failure_reason": 'event 2 is not JSON: {"choices":[{"delta":{"content":"'},
    ),
    "malformed complete event before a cut-off tail": (
        [chat_chunk("a"), b"data: {oops}\n\n", b"da"],
        {"text": "a", "failure": Outcome.MALFORMED, "failure_reason": "event 2 is not JSON: {oops}"},
    ),
    "tool-call fragment is output": (
        [b'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"{\\"a"}}]}}]}\n\n', DONE],
        {"text": "", "token_event_ns": [1000], "tokens_per_event": [1]},
    ),
    "completions text, multibyte character split across chunks": (
        [b'data: {"object":"text_completion","choices":[{"index":0,"text":"\xe7', b'\x86\xb5"}]}\n\n', DONE],
        {"text": "熵", "token_event_ns": [2000], "tokens_per_event": [1]},
    ),
    "continuous usage gives tokens per event": (
        [
            b'data: {"choices":[{"index":0,"delta":{"content":"ab"}}],"usage":{"completion_tokens":2}}\n\n',
            b'data: {"choices":[{"index":0,"delta":{"content":"c"}}],"usage":{"completion_tokens":3}}\n\n',
            DONE,
        ],
        {"text": "abc", "token_event_ns": [1000, 2000], "tokens_per_event": [2, 1], "usage_completion_tokens": 3},
    ),
    "logprobs give tokens per event": (
        [
            b'data: {"choices":[{"index":0,"delta":{"content":"ab"},"logprobs":{"content":[{},{}]}}]}\n\n',
            DONE,
        ],
        {"text": "ab", "token_event_ns": [1000], "tokens_per_event": [2]},
    ),
    "non-streamed JSON body": (
        [
            b'{"object":"chat.completion","choices":[{"index":0,"message":{"content":"Hi!",',
            b'"reasoning_content":"hm"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4}}',
        ],
        {"text": "Hi!", "reasoning": "hm", "token_event_ns": [2000], "tokens_per_event": [4]}
        | {"usage_prompt_tokens": 3, "usage_completion_tokens": 4, "finish_reason": "stop"},
    ),
    "non-streamed body cut short": (
        [b'{"object":"chat.completion","choices":[{"index":0,"mess'],
        {"failure": Outcome.MALFORMED},
    ),
    "empty body": ([], {"failure": Outcome.BROKEN_STREAM, "failure_reason": "empty response body"}),
}


@pytest.mark.parametrize("case", list(SSE_CASES))
def test_openai_parse_table(case: str) -> None:
    chunks, expected = SSE_CASES[case]
    parsed = plugin().parse(record(chunks))
    for name, value in expected.items():
        assert getattr(parsed, name) == value, name
    if "failure" not in expected:
        assert parsed.failure is None, parsed.failure_reason


def test_http_error_status_reports_the_servers_message() -> None:
    parsed = plugin().parse(record([b'{"error":{"message":"Rate limit reached","code":"429"}}'], status=429))
    assert (parsed.failure, parsed.failure_reason) == (Outcome.HTTP_ERROR, "HTTP 429: Rate limit reached")


def test_embeddings_parse_reads_usage_and_rejects_bodies_without_data() -> None:
    api = plugin(api="embeddings")
    ok = api.parse(record([b'{"data":[{"embedding":[0.1]}],"usage":{"prompt_tokens":5,"total_tokens":5}}']))
    assert (ok.failure, ok.usage_prompt_tokens, ok.usage_completion_tokens, ok.token_event_ns) == (None, 5, 0, [1000])
    assert isinstance(ok, ScoredItems) and ok.items == 1  # one vector: one text embedded
    two = api.parse(record([b'{"data":[{"embedding":[0.1]},{"embedding":[0.2]}],"usage":{"total_tokens":9}}']))
    assert isinstance(two, ScoredItems) and (two.items, two.usage_prompt_tokens) == (2, 9)
    bad = api.parse(record([b'{"object":"list"}']))
    assert bad.failure is Outcome.MALFORMED and "'data'" in (bad.failure_reason or "")


# ---- live: the project's test server over a real socket -----------------------------------------------


async def _send(url: str, api: ApiPlugin, prompt: Prompt, stream: bool) -> RequestRecord:
    """What the engine's client does: post the bytes, stamp each chunk on arrival, keep the bytes."""
    rec = RequestRecord(0, 0, None, start_ns=time.perf_counter_ns(), end_ns=0, stream=stream)
    body, headers = api.build_body(prompt), api.headers()
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + api.default_path, data=body, headers=headers) as resp,
    ):
        rec.status = resp.status
        try:
            while chunk := await resp.content.readany():
                rec.chunk_ns.append(time.perf_counter_ns())
                rec.chunks.append(chunk)
        except aiohttp.ClientPayloadError:
            rec.outcome = Outcome.BROKEN_STREAM
    rec.end_ns = time.perf_counter_ns()
    return rec


@pytest.mark.parametrize(("api_name", "stream"), [("openai", True), ("openai", False), ("openai_completions", True)])
def test_live_test_server_stream_with_usage(api_name: str, stream: bool) -> None:
    reply = "one two three four five six"
    config = ServerConfig(api_key="sk-test", itl_ms=20, rules=[Rule(contains="count", reply=reply)])
    with run_server_in_thread(config) as server:
        api = plugin(api=api_name, stream=stream, api_key="sk-test", max_tokens=[64])
        prompt = (
            Prompt(messages=[{"role": "user", "content": "count"}]) if api_name == "openai" else Prompt(text="count")
        )
        rec = asyncio.run(_send(server.url.rstrip("/"), api, prompt, stream))
    parsed = api.parse(rec)
    assert rec.status == 200 and parsed.failure is None, parsed.failure_reason
    assert parsed.text == reply and parsed.finish_reason == "stop"
    assert parsed.usage_completion_tokens == 6 and parsed.usage_prompt_tokens is not None
    if stream:
        assert len(parsed.token_event_ns) == 6 == sum(parsed.tokens_per_event)
        assert set(parsed.token_event_ns) <= set(rec.chunk_ns)
        # Stamped on arrival, not when parsed: the six tokens, sent 20 ms apart, span about 100 ms. A
        # busy machine may deliver two of them in one read, so only half that span is required.
        assert parsed.token_event_ns == sorted(parsed.token_event_ns)
        assert parsed.token_event_ns[-1] - parsed.token_event_ns[0] >= 50_000_000
    else:
        assert parsed.token_event_ns == [rec.chunk_ns[-1]]


@pytest.mark.parametrize(
    ("fault", "outcome"), [("p_malformed", Outcome.MALFORMED), ("p_truncate", Outcome.BROKEN_STREAM)]
)
def test_live_test_server_faults_are_classified(fault: str, outcome: Outcome) -> None:
    with run_server_in_thread(ServerConfig(**{fault: 1.0})) as server:
        api = plugin(max_tokens=[64])
        rec = asyncio.run(_send(server.url.rstrip("/"), api, HI, True))
    parsed = api.parse(rec)
    assert outcome in (parsed.failure, rec.outcome)
