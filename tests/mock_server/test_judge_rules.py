"""The mock server as a deterministic LLM judge: system-prompt and multi-line matching, per-rule faults,
``fail_times`` recovery through the project's own client, per-rule hit counts, and the unchanged
seeded random-fault stream.

No assertion here depends on wall-clock speed: a hang is shown by the client's timeout error, never
by how long anything took.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import ValidationError

from assay.cli.mock_server import main as mock_server_main
from assay.mock_server import Fault, Rule, ServerConfig, ServerHandle, load_rules, prompt_key, run_server_in_thread
from assay.mock_server._rules import RuleSet
from assay.models.openai_api import OpenAIAPI
from assay.types import ChatMessage, GenerateConfig, ModelOutput
from tests.mock_server.helpers import Reply, call, chat

SRC = Path(__file__).resolve().parents[2] / "src"

JUDGE_SYSTEM = "Please act as an impartial judge and evaluate the quality of the response."
JUDGE_PROMPT = """[Question]
What is the capital of France?

[The Start of Assistant's Answer]
The capital of France is Paris.
It has been since 987.
[The End of Assistant's Answer]

Rate the response on a scale of 1 to 10, strictly in this format: "[[rating]]".
"""
#: Spans the prompt's lines: "[Question]" on line 1, "Paris" on line 5; only (?s) lets ".*" cross them.
JUDGE_REGEX = r"(?s)\[Question\].*capital of France.*Assistant's Answer\].*Paris"


def content(reply: Reply) -> str:
    return str(reply.json()["choices"][0]["message"]["content"])


def ask(srv: ServerHandle, messages: list[ChatMessage], **config: Any) -> ModelOutput:
    """One generate() call through the project's openai_api backend."""
    model = OpenAIAPI("mock-model", api_url=srv.base_url)

    async def go() -> ModelOutput:
        try:
            return await model.generate(messages, GenerateConfig(**config))
        finally:
            await model.aclose()

    return asyncio.run(go())


def judge_messages(prompt: str = JUDGE_PROMPT) -> list[ChatMessage]:
    return [ChatMessage(role="system", content=JUDGE_SYSTEM), ChatMessage(role="user", content=prompt)]


@pytest.fixture
def judge() -> Iterator[ServerHandle]:
    """One server acting as both the evaluated model and its judge, told apart by the system prompt."""
    rules = [
        Rule(system_contains="impartial judge", regex=JUDGE_REGEX, reply="The answer is right. [[9]]"),
        Rule(system_contains="impartial judge", reply="[[1]]"),
        Rule(contains="capital of France", reply="The capital of France is Paris."),
    ]
    with run_server_in_thread(ServerConfig(rules=rules)) as handle:
        yield handle


# -- matching a judge prompt -----------------------------------------------------------------------


def test_regex_without_dotall_does_not_cross_lines_and_inline_s_flag_does() -> None:
    rules = RuleSet([Rule(regex=r"\[Question\].*Paris", reply="plain"), Rule(regex=JUDGE_REGEX, reply="dotall")])
    matched = rules.match(JUDGE_PROMPT)
    assert matched is not None and matched.reply == "dotall"
    multiline = RuleSet([Rule(regex=r"(?m)^Rate the response", reply="line start")])
    assert multiline.match(JUDGE_PROMPT) is not None
    assert RuleSet([Rule(regex=r"^Rate the response", reply="x")]).match(JUDGE_PROMPT) is None


def test_multiline_judge_prompt_with_a_system_message_is_matched_by_regex(judge: ServerHandle) -> None:
    out = ask(judge, judge_messages(), stream=True)
    assert (out.error, out.text) == (None, "The answer is right. [[9]]")
    assert judge.stats()["rule_hits"] == [1, 0, 0]


def test_system_prompt_tells_the_judge_request_from_the_model_request(judge: ServerHandle) -> None:
    # The judge prompt quotes the model's question, so without system_contains the model rule would answer it.
    assert ask(judge, [ChatMessage(role="user", content=JUDGE_PROMPT)]).text == "The capital of France is Paris."
    assert ask(judge, judge_messages("capital of France? Answer: Lyon")).text == "[[1]]"
    developer = chat(JUDGE_PROMPT)  # the o-series name for the system role; assay's own client never sends it
    developer["messages"].insert(0, {"role": "developer", "content": JUDGE_SYSTEM})
    assert content(call(judge.url + "/chat/completions", developer)) == "The answer is right. [[9]]"
    assert judge.stats()["rule_hits"] == [1, 1, 1]


def test_system_contains_never_matches_a_completions_prompt(judge: ServerHandle) -> None:
    reply = call(judge.url + "/completions", {"prompt": JUDGE_SYSTEM + "\n" + JUDGE_PROMPT})
    assert reply.json()["choices"][0]["text"] == "The capital of France is Paris."


def test_malformed_verdict_is_sent_verbatim_as_the_reply() -> None:
    verdicts = ["[[A>>B]", "Assistant A is better.", "[[eleven]]", "[[7]] [[3]]"]
    rules = [Rule(contains=f"case {i}", reply=verdict) for i, verdict in enumerate(verdicts)]
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        for i, verdict in enumerate(verdicts):
            for stream in (False, True):
                out = ask(srv, [ChatMessage(role="user", content=f"judge case {i}")], stream=stream)
                assert (out.error, out.text) == (None, verdict)
        assert srv.stats()["by_outcome"]["ok"] == 8


# -- validation ------------------------------------------------------------------------------------


def test_unknown_fault_is_a_validation_error_naming_the_allowed_faults() -> None:
    with pytest.raises(ValidationError, match=r"'429', '500', 'hang', 'truncate', 'malformed' or '400-echo'"):
        Rule(contains="x", reply="y", fault="503")


def test_fail_times_needs_a_fault_and_is_not_negative() -> None:
    with pytest.raises(ValidationError, match="'fail_times' needs a 'fault'"):
        Rule(contains="x", reply="y", fail_times=2)
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        Rule(contains="x", reply="y", fault="500", fail_times=-1)


def test_fault_accepts_enum_text_and_integer_status_codes() -> None:
    assert Rule(contains="x", reply="y", fault=Fault.HANG).fault is Fault.HANG
    assert Rule.model_validate({"contains": "x", "reply": "y", "fault": 429}).fault is Fault.RATE_LIMIT
    assert Rule.model_validate({"contains": "x", "reply": "y", "fault": "500"}).fault is Fault.SERVER_ERROR
    with pytest.raises(ValidationError):
        Rule.model_validate({"contains": "x", "reply": "y", "fault": True})


def test_system_contains_may_stand_alone_but_contains_and_regex_still_exclude_each_other() -> None:
    assert Rule(system_contains="judge", reply="[[5]]").contains is None
    with pytest.raises(ValidationError, match="exactly one"):
        Rule(contains="a", regex="a", system_contains="judge", reply="x")
    with pytest.raises(ValidationError, match="exactly one"):
        Rule(reply="x", fault="500")


def test_rule_files_carry_the_new_fields_in_json_and_jsonl(tmp_path: Path) -> None:
    rules = [
        {"system_contains": "judge", "regex": "(?s)A.*B", "reply": "[[A>>B]]", "fault": "500", "fail_times": 2},
        {"contains": "slow", "reply": "late", "fault": "hang"},
    ]
    (tmp_path / "rules.json").write_text(json.dumps({"rules": rules}))
    (tmp_path / "rules.jsonl").write_text("\n".join(json.dumps(r) for r in rules) + "\n")
    expected = [
        Rule(system_contains="judge", regex="(?s)A.*B", reply="[[A>>B]]", fault=Fault.SERVER_ERROR, fail_times=2),
        Rule(contains="slow", reply="late", fault=Fault.HANG),
    ]
    assert load_rules(tmp_path / "rules.json") == expected
    assert load_rules(tmp_path / "rules.jsonl") == expected


def test_runtime_rule_swap_validates_and_round_trips_the_new_fields(server: ServerHandle) -> None:
    bad = call(server.root_url + "/admin/rules", [{"contains": "x", "reply": "y", "fault": "teapot"}])
    assert bad.status == 400 and b"invalid rules" in bad.body and b"'malformed'" in bad.body
    rule = {"system_contains": "judge", "reply": "[[2]]", "fault": "truncate", "fail_times": 1}
    assert call(server.root_url + "/admin/rules", [rule]).status == 200

    async def get_rules() -> Any:
        async with aiohttp.ClientSession() as session, session.get(server.root_url + "/admin/rules") as resp:
            return await resp.json()

    assert asyncio.run(get_rules()) == [rule]
    assert server.server.rules == (Rule(system_contains="judge", reply="[[2]]", fault="truncate", fail_times=1),)


# -- each fault, every time ------------------------------------------------------------------------


def faulty(fault: str, **config: Any) -> ServerHandle:
    """A server whose "judge me" rule always fails with ``fault``; other questions get the default reply."""
    rules = [Rule(contains="judge me", reply="[[8]]", fault=fault)]
    return run_server_in_thread(ServerConfig(rules=rules, **config))


@pytest.mark.parametrize("stream", [False, True])
def test_rule_500_fails_every_matching_request_and_no_other(stream: bool) -> None:
    with faulty("500") as srv:
        for _ in range(3):
            reply = call(srv.url + "/chat/completions", chat("please judge me", stream=stream))
            assert reply.status == 500 and reply.json()["error"]["type"] == "server_error"
        assert content(call(srv.url + "/chat/completions", chat("something else"))) == "ANSWER: A"
        stats = srv.stats()
    assert (stats["by_outcome"]["500"], stats["by_outcome"]["ok"], stats["rule_hits"]) == (3, 1, [3])


def test_rule_429_sends_retry_after_every_time() -> None:
    with faulty("429", retry_after_s=2.5) as srv:
        for _ in range(2):
            reply = call(srv.url + "/chat/completions", chat("judge me"))
            assert reply.status == 429 and reply.headers["Retry-After"] == "2.5"
            assert reply.json()["error"]["code"] == "rate_limit_exceeded"
        assert srv.stats()["by_outcome"]["429"] == 2


@pytest.mark.parametrize("stream", [False, True])
def test_rule_hang_sends_nothing_so_the_client_times_out(stream: bool) -> None:
    with faulty("hang", hang_s=30) as srv:
        with pytest.raises(asyncio.TimeoutError):
            call(srv.url + "/chat/completions", chat("judge me", stream=stream), timeout=0.3)
        assert srv.stats()["by_outcome"]["hang"] == 1


def test_rule_hang_ends_in_the_project_clients_timeout_error() -> None:
    with faulty("hang", hang_s=30) as srv:
        out = ask(srv, [ChatMessage(role="user", content="judge me")], timeout=0.2, retries=1, retry_interval=0.001)
    assert out.attempts == 2 and out.error is not None and "timed out after 0.2 s" in out.error


@pytest.mark.parametrize("stream", [False, True])
def test_rule_malformed_answers_200_with_invalid_json(stream: bool) -> None:
    with faulty("malformed") as srv:
        reply = call(srv.url + "/chat/completions", chat("judge me", stream=stream))
        assert reply.status == 200 and reply.error is None
        with pytest.raises(ValueError):
            reply.chunks() if stream else reply.json()
        assert srv.stats()["by_outcome"]["malformed"] == 1


@pytest.mark.parametrize("stream", [False, True])
def test_rule_truncate_breaks_the_body_off(stream: bool) -> None:
    with faulty("truncate") as srv:
        reply = call(srv.url + "/chat/completions", chat("judge me", stream=stream))
        assert reply.status == 200 and isinstance(reply.error, aiohttp.ClientPayloadError)
        if stream:
            assert "[DONE]" not in reply.events()
        else:
            assert len(reply.body) < int(reply.headers["Content-Length"])
        assert srv.stats()["by_outcome"]["truncate"] == 1


def test_rule_fault_ignores_the_random_faults_both_ways() -> None:
    # Every request would draw a 429; the rule's own fault, then its normal answer, win instead.
    rules = [Rule(contains="judge me", reply="[[8]]", fault="500", fail_times=1)]
    with run_server_in_thread(ServerConfig(rules=rules, p_429=1.0)) as srv:
        assert call(srv.url + "/chat/completions", chat("judge me")).status == 500
        assert content(call(srv.url + "/chat/completions", chat("judge me"))) == "[[8]]"
        assert call(srv.url + "/chat/completions", chat("not ruled")).status == 429
        outcomes = srv.stats()["by_outcome"]
    assert (outcomes["500"], outcomes["ok"], outcomes["429"]) == (1, 1, 1)


# -- fail_times: retries recover -------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["500", "429", "truncate", "malformed"])
@pytest.mark.parametrize("stream", [False, True])
def test_fail_times_fails_the_first_n_then_the_retried_request_succeeds(fault: str, stream: bool) -> None:
    rules = [
        Rule(contains="unrelated", reply="other"),
        Rule(system_contains="impartial judge", reply="[[A>>B]]", fault=fault, fail_times=2),
    ]
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        out = ask(srv, judge_messages(), stream=stream, retries=3, retry_interval=0.001)
        stats = srv.stats()
    assert (out.text, out.error, out.attempts) == ("[[A>>B]]", None, 3)
    assert stats["rule_hits"] == [0, 3] and stats["prompt_counts"] == {prompt_key(JUDGE_PROMPT): 3}
    assert (stats["by_outcome"][fault], stats["by_outcome"]["ok"]) == (2, 1)


def test_fail_times_hang_recovers_after_a_client_timeout() -> None:
    rules = [Rule(system_contains="impartial judge", reply="[[B>A]]", fault="hang", fail_times=1)]
    with run_server_in_thread(ServerConfig(rules=rules, hang_s=30)) as srv:
        out = ask(srv, judge_messages(), timeout=0.5, retries=5, retry_interval=0.001)
        stats = srv.stats()
    # Not "attempts == 2": on a starved machine even the healthy answer may miss a 0.5 s deadline.
    assert (out.text, out.error) == ("[[B>A]]", None)
    assert stats["by_outcome"]["hang"] == 1 and stats["rule_hits"] == [out.attempts]


def test_fail_times_beyond_the_retries_gives_up() -> None:
    rules = [Rule(system_contains="impartial judge", reply="[[9]]", fault="500", fail_times=5)]
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        out = ask(srv, judge_messages(), retries=2, retry_interval=0.001)
        assert srv.stats()["rule_hits"] == [3]
        # Two more failures left, then the rule answers.
        again = ask(srv, judge_messages(), retries=2, retry_interval=0.001)
    assert out.text == "" and out.error is not None and "HTTP 500" in out.error and out.attempts == 3
    assert (again.text, again.attempts) == ("[[9]]", 3)


def test_fail_times_zero_never_fails() -> None:
    with run_server_in_thread(ServerConfig(rules=[Rule(contains="x", reply="y", fault="500", fail_times=0)])) as srv:
        assert content(call(srv.url + "/chat/completions", chat("x"))) == "y"


def test_concurrent_requests_share_a_rules_failures_exactly() -> None:
    rules = [Rule(contains="judge", reply="[[5]]", fault="500", fail_times=7)]
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:

        async def burst() -> list[int]:
            async def one(session: aiohttp.ClientSession, i: int) -> int:
                async with session.post(srv.url + "/chat/completions", json=chat(f"judge {i}")) as resp:
                    await resp.read()
                    return resp.status

            async with aiohttp.ClientSession() as session:
                return list(await asyncio.gather(*(one(session, i) for i in range(30))))

        statuses = asyncio.run(burst())
        stats = srv.stats()
    assert (statuses.count(500), statuses.count(200)) == (7, 23)
    assert stats["rule_hits"] == [30] and stats["by_outcome"]["500"] == 7


# -- rule hits -------------------------------------------------------------------------------------


def test_rule_hits_count_each_rules_matches_aligned_with_the_rules(judge: ServerHandle) -> None:
    ask(judge, judge_messages())
    for _ in range(2):
        ask(judge, [ChatMessage(role="user", content="capital of France?")])
    ask(judge, [ChatMessage(role="user", content="no rule matches this")])
    call(judge.url + "/chat/completions", {"messages": []})  # a 400 is matched against nothing
    stats = judge.stats()
    assert stats["rule_hits"] == [1, 0, 2]
    assert stats["requests_total"] == 5 and stats["by_outcome"]["400"] == 1


def test_reset_zeroes_rule_hits_and_restarts_fail_times() -> None:
    with faulty("500") as srv:
        srv.set_rules([Rule(contains="judge me", reply="[[8]]", fault="500", fail_times=1)])
        assert [call(srv.url + "/chat/completions", chat("judge me")).status for _ in range(2)] == [500, 200]
        srv.reset()
        assert srv.stats()["rule_hits"] == [0]
        assert [call(srv.url + "/chat/completions", chat("judge me")).status for _ in range(2)] == [500, 200]
        assert srv.stats()["rule_hits"] == [2]


def test_set_rules_restarts_rule_hits_for_the_new_list(judge: ServerHandle) -> None:
    ask(judge, judge_messages())
    judge.set_rules([Rule(contains="a", reply="1"), Rule(contains="b", reply="2")])
    assert judge.stats()["rule_hits"] == [0, 0]
    ask(judge, [ChatMessage(role="user", content="b")])
    assert judge.stats()["rule_hits"] == [0, 1]
    assert call(judge.root_url + "/admin/rules", [{"contains": "c", "reply": "3"}]).status == 200
    assert judge.stats()["rule_hits"] == [0]


def test_rule_hits_are_in_the_admin_stats(judge: ServerHandle) -> None:
    ask(judge, judge_messages())

    async def admin_stats() -> Any:
        async with aiohttp.ClientSession() as session, session.get(judge.root_url + "/admin/stats") as resp:
            return await resp.json()

    assert asyncio.run(admin_stats())["rule_hits"] == [1, 0, 0]


# -- the seeded random faults are unchanged --------------------------------------------------------

#: Statuses of the 24 requests below with ``p_500=0.3, p_429=0.2, seed=7``, recorded from the server
#: before rules could carry faults. Every third request matches a rule without a fault: it still draws.
SEED_7_STATUSES = [500, 429, 200, 429, 200, 500, 429, 200, 429, 500, 429, 429]
SEED_7_STATUSES += [500, 200, 429, 500, 200, 200, 200, 500, 200, 429, 200, 500]


def test_fault_rules_take_no_random_draw_so_other_requests_fail_as_before() -> None:
    rules = [
        Rule(contains="judge-always", reply="[[1]]", fault="hang"),
        Rule(contains="judge-once", reply="[[2]]", fault="malformed", fail_times=1),
        Rule(contains="ruled", reply="R"),
    ]
    config = ServerConfig(p_500=0.3, p_429=0.2, seed=7, hang_s=30, rules=rules)
    with run_server_in_thread(config) as srv:
        seen, judged = [], []
        for i in range(24):
            reply = call(srv.url + "/chat/completions", chat(("ruled " if i % 3 == 0 else "") + f"q{i}"))
            seen.append(reply.status)
            if i % 4 == 1:
                with pytest.raises(asyncio.TimeoutError):
                    call(srv.url + "/chat/completions", chat("judge-always"), timeout=0.2)
            if i % 5 == 2:
                judged.append(call(srv.url + "/chat/completions", chat("judge-once")).body)
        stats = srv.stats()
    assert seen == SEED_7_STATUSES
    with pytest.raises(ValueError):
        json.loads(judged[0])
    assert [json.loads(body)["choices"][0]["message"]["content"] for body in judged[1:]] == ["[[2]]"] * 4
    assert stats["rule_hits"] == [6, 5, 8]
    assert stats["by_outcome"]["hang"] == 6 and stats["by_outcome"]["malformed"] == 1


# -- command line ----------------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_cli_serves_a_rules_file_with_faults_and_fail_times(tmp_path: Path) -> None:
    rules = tmp_path / "judge.jsonl"
    rule = {"system_contains": "judge", "regex": "(?s)Q:.*A:", "reply": "[[6]]", "fault": 500, "fail_times": 1}
    rules.write_text(json.dumps(rule) + "\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "assay.mock_server", "--port", "0", "--rules", str(rules)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().rsplit(" ", 1)[1]
        body = chat("Q: 2+2\nA: 4", system="You are a judge.")
        assert call(url + "/chat/completions", body).status == 500
        assert content(call(url + "/chat/completions", body)) == "[[6]]"
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_cli_rejects_an_unknown_fault_in_a_rules_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"contains": "x", "reply": "y", "fault": "404"}]))
    assert mock_server_main(["--port", "0", "--rules", str(rules)]) == 2
    error = capsys.readouterr().err
    assert "invalid rules in" in error and "rule 1, field fault: Input should be '429', '500', 'hang'," in error
