"""The mock server's guards (issue 15): the key also guards /admin, a rule's regex cannot stall the
server, and the ``400-echo`` fault that lets client tests prove they hide their keys."""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import pytest

from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.mock_server._rules import REGEX_TIMEOUT_S, RuleSet
from tests.mock_server.helpers import call, chat

#: Exponential backtracking against EVIL_QUESTION: ``(a+)+$`` in Python's ``re``; ``regex``'s engine
#: sees through that one, but not through ``(a|aa)+$`` (about 10^8 steps, minutes unbounded).
CATASTROPHIC = [r"(a+)+$", r"(a|aa)+$"]
EVIL_QUESTION = "a" * 40 + "b"


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, float]:
    """GET ``url``; the status and the seconds it took."""

    async def go() -> tuple[int, float]:
        start = time.perf_counter()
        async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as resp:
            await resp.read()
            return resp.status, time.perf_counter() - start

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/admin/stats"), ("GET", "/admin/rules"), ("POST", "/admin/reset")]
)
def test_admin_needs_the_api_key_when_the_server_has_one(method: str, path: str) -> None:
    with run_server_in_thread(ServerConfig(api_key="sk-right")) as handle:
        url = handle.root_url + path
        if method == "GET":
            assert get(url)[0] == 401
            assert get(url, {"Authorization": "Bearer sk-wrong"})[0] == 401
            assert get(url, {"Authorization": "Bearer sk-right"})[0] == 200
        else:
            assert call(url, {}).status == 401
            assert call(url, {}, headers={"Authorization": "Bearer sk-right"}).status == 200


def test_rules_cannot_be_replaced_without_the_key() -> None:
    with run_server_in_thread(ServerConfig(api_key="sk-right", rules=[Rule(contains="q", reply="kept")])) as handle:
        assert call(handle.root_url + "/admin/rules", [{"contains": "q", "reply": "stolen"}]).status == 401
        answer = call(handle.url + "/chat/completions", chat("q"), headers={"Authorization": "Bearer sk-right"})
    assert answer.json()["choices"][0]["message"]["content"] == "kept"


def test_admin_stays_open_without_an_api_key() -> None:
    with run_server_in_thread(ServerConfig()) as handle:
        assert get(handle.root_url + "/admin/stats")[0] == 200


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_a_catastrophic_regex_is_bounded_and_counts_as_no_match(pattern: str) -> None:
    rules = RuleSet([Rule(regex=pattern, reply="never"), Rule(contains="b", reply="fallback")])
    start = time.perf_counter()
    assert rules.match_index(EVIL_QUESTION) == 1
    assert time.perf_counter() - start < 20 * REGEX_TIMEOUT_S


def test_a_regex_that_runs_out_of_time_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="assay.mock_server._rules"):
        assert RuleSet([Rule(regex=CATASTROPHIC[1], reply="never")]).match_index(EVIL_QUESTION) is None
    assert "gave up after 0.1 s on a 41-character question" in caplog.text


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_a_catastrophic_regex_does_not_block_the_server(pattern: str) -> None:
    config = ServerConfig(rules=[Rule(regex=pattern, reply="never")], default_reply="default")
    with run_server_in_thread(config) as handle:
        start = time.perf_counter()
        reply = call(handle.url + "/chat/completions", chat(EVIL_QUESTION))
        status, _ = get(handle.root_url + "/health")
        took_s = time.perf_counter() - start
    assert reply.status == 200 and reply.json()["choices"][0]["message"]["content"] == "default"
    assert status == 200 and took_s < 5


def test_ordinary_regexes_still_match() -> None:
    rules = RuleSet([Rule(regex=r"(?s)Answer:.*Paris", reply="yes")])
    assert rules.match_index("Answer:\nit is Paris") == 0 and rules.match_index("Answer: Rome") is None


def test_the_echo_fault_quotes_the_request_headers_in_a_400() -> None:
    with run_server_in_thread(ServerConfig(rules=[Rule(contains="leak", reply="x", fault="400-echo")])) as handle:
        reply = call(handle.url + "/chat/completions", chat("leak"), headers={"X-Api-Key": "sk-echoed"})
        ok = call(handle.url + "/chat/completions", chat("fine"))
        stats = handle.stats()
    assert reply.status == 400 and "X-Api-Key: sk-echoed" in reply.json()["error"]["message"]
    assert ok.status == 200 and stats["by_outcome"]["400-echo"] == 1
