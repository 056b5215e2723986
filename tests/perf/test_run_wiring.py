"""Wiring between the engine and its plugins: prompt feed across runs, protocol switches, preconnect."""

from __future__ import annotations

import asyncio
from pathlib import Path

from assay.mock_server import ServerConfig, run_server_in_thread
from assay.perf._run import PromptFeed, adapt_to_dataset
from assay.perf.arguments import PerfArguments
from assay.perf.client import Endpoint, _models_url, open_session, preconnect


def _args(tmp_path: Path, **extra: object) -> PerfArguments:
    lines = tmp_path / "prompts.txt"
    lines.write_text("".join(f"prompt number {i}\n" for i in range(5)))
    base: dict[str, object] = {"model": "m", "dataset": "line_by_line", "dataset_path": str(lines)}
    base.update(extra)
    return PerfArguments.model_validate(base)


def test_prompt_feed_continues_from_run_to_run_and_cycles_a_finite_source(tmp_path: Path) -> None:
    feed = PromptFeed(_args(tmp_path))
    texts = [str(p.messages or p.text) for p in feed.take(3) + feed.take(4)]
    assert [t.count("prompt number 0") for t in texts] == [1, 0, 0, 0, 0, 1, 0]
    assert "prompt number 3" in texts[3] and "prompt number 1" in texts[6]


def test_speed_benchmark_switches_a_chat_url_to_completions(tmp_path: Path) -> None:
    args = PerfArguments.model_validate(
        {"model": "m", "dataset": "speed_benchmark", "url": "http://h:1/v1/chat/completions"}
    )
    adapted = adapt_to_dataset(args)
    assert adapted.api == "openai_completions" and adapted.url == "http://h:1/v1/completions"
    plain = _args(tmp_path)
    assert adapt_to_dataset(plain) is plain


def test_models_url_of_each_endpoint() -> None:
    assert _models_url("http://h:1/v1/chat/completions") == "http://h:1/v1/models"
    assert _models_url("http://h:1/v1/completions") == "http://h:1/v1/models"
    assert _models_url("http://h:1/v1/embeddings") == "http://h:1/v1/models"


def test_preconnect_opens_the_requested_connections_without_counting_requests() -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        endpoint = Endpoint(url=srv.url + "/chat/completions")

        async def main() -> tuple[int, int]:
            async with open_session(endpoint) as session:
                opened = await preconnect(session, endpoint, 8)
                return opened, len(session.connector._conns.get(next(iter(session.connector._conns)), []))  # type: ignore[union-attr]

        opened, pooled = asyncio.run(main())
        assert opened == 8 and pooled == 8
        assert srv.stats()["requests_total"] == 0
