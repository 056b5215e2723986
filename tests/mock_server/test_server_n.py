"""The mock server's ``n``: several choices in one answer, ``replies`` served in turn across requests,
and the servers that ignore ``n`` (``ignore_n``, and any stream) answering one choice.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.mock_server.helpers import call, chat


def texts(body: dict) -> list[str]:  # type: ignore[type-arg]
    return [choice["message"]["content"] for choice in body["choices"]]


def test_n_choices_take_consecutive_replies_and_requests_continue_the_turn() -> None:
    rules = [Rule(contains="solve", replies=["one", "two three", "four"])]
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        first = call(f"{srv.url}/chat/completions", chat("solve it", n=2)).json()
        assert texts(first) == ["one", "two three"]
        assert [c["index"] for c in first["choices"]] == [0, 1]
        assert first["usage"]["completion_tokens"] == 3  # both choices are counted
        second = call(f"{srv.url}/chat/completions", chat("solve it")).json()
        assert texts(second) == ["four"]
        third = call(f"{srv.url}/chat/completions", chat("solve it", n=2)).json()
        assert texts(third) == ["one", "two three"]
        assert srv.stats()["rule_hits"] == [3]  # hits count requests, not completions


def test_servers_that_ignore_n_answer_one_choice() -> None:
    rules = [Rule(contains="solve", replies=["a", "b"])]
    with run_server_in_thread(ServerConfig(rules=rules, ignore_n=True)) as srv:
        assert texts(call(f"{srv.url}/chat/completions", chat("solve", n=3)).json()) == ["a"]
        assert texts(call(f"{srv.url}/chat/completions", chat("solve", n=3)).json()) == ["b"]
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        chunks = call(f"{srv.url}/chat/completions", chat("solve", n=3, stream=True)).chunks()
        assert {choice["index"] for chunk in chunks for choice in chunk["choices"]} == {0}


def test_bad_n_is_a_400_and_a_rule_takes_reply_or_replies() -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        for bad in (0, "2", True):
            reply = call(f"{srv.url}/chat/completions", chat("x", n=bad))
            assert reply.status == 400 and b"'n' must be a positive integer" in reply.body
    with pytest.raises(ValidationError, match="not both"):
        Rule(contains="x", reply="a", replies=["b"])
    with pytest.raises(ValidationError):
        Rule(contains="x", replies=[])
