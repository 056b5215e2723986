"""Embedding throughput: the ``Encoder`` over the openai_api backend, 32 texts a request vs one.

What it measures (one run; every baseline comes from that same run, against the same server):

- **Assay, batched**: ``--texts`` distinct short texts (default 20,000, 5-9 words each) encoded by
  :class:`assay.embed.encoder.Encoder` through ``OpenAIAPI.embed_batch``: 32 texts a request,
  ceil(N / 32) requests, ``--concurrency`` (64) in flight, into a fresh SQLite vector cache (its
  writes are part of the cost, as in a real run).
- **Assay, one text a request**: the same through ``OpenAIAPI.embed`` (the backend wrapped so the
  encoder sees no ``embed_batch``): N requests, 64 in flight, a fresh cache.
- **The ideal** for each: a bare aiohttp client sending the same bodies (byte for byte what the
  backend sends) with the same concurrency, reading each answer without parsing it: what this
  server and machine allow. Reported: Assay's items/s as a share of the bare client's.
- **The cache**: the batched encode again, with a new encoder on the same cache file. The server's
  ``/v1/embeddings`` counter must not move. **Goal: 0 requests.**

Rates are the best of ``--runs`` (default 3); the four measurements are interleaved run by run so
drift hits them alike. The test server (``python -m assay.mock_server``, uvloop) is pinned to core
1, this process (tool and bare client, both on uvloop when installed) to core 0.

Usage:
    .venv/bin/python bench/embed_throughput.py                 # about 1 minute on 2 cores
    .venv/bin/python bench/embed_throughput.py --texts 2000 --runs 1 --json out.json

Exit status: 0 when the cached rerun sent 0 requests and every encode returned N vectors, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RunningServer, format_table, start_test_server  # bench scripts run as files, not as a package

from assay.embed.cache import VectorCache
from assay.embed.encoder import BATCH_SIZE, Encoder
from assay.models.openai_api import OpenAIAPI
from assay.types import GenerateConfig, ModelOutput

MODEL = "mock-model"
SERVER_CORE, TOOL_CORE = 1, 0
IDENTITY = json.dumps({"model": MODEL, "bench": "embed_throughput"})
WORDS = ["river", "stone", "paper", "light", "window", "garden", "market", "winter", "signal", "table", "music"]
T = TypeVar("T")


class OneTextPerRequest:
    """The backend with ``embed`` only, so the encoder sends one text a request."""

    def __init__(self, model: OpenAIAPI) -> None:
        self.model = model

    async def embed(self, text: str, config: GenerateConfig) -> ModelOutput:
        return await self.model.embed(text, config)


def short_texts(count: int) -> list[str]:
    """``count`` distinct texts of 5-9 words."""
    return [
        f"item {i} " + " ".join(WORDS[(i * 7 + k * 5) % len(WORDS)] for k in range(3 + i % 5)) for i in range(count)
    ]


def run_on_loop(coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run on a fresh loop: uvloop when installed, as ``assay eval`` does."""
    try:
        import uvloop

        return uvloop.run(coro())
    except ImportError:
        return asyncio.run(coro())


def embedding_requests(server: RunningServer) -> int:
    return int(server.stats()["by_endpoint"].get("/v1/embeddings", 0))


def bare_rate(url: str, bodies: Sequence[bytes], texts: int, concurrency: int) -> float:
    """Texts per second of a bare aiohttp client posting ``bodies`` with ``concurrency`` in flight."""
    pending = iter(bodies)
    headers = {"Authorization": "Bearer EMPTY", "Content-Type": "application/json"}

    async def worker(session: aiohttp.ClientSession) -> None:
        for body in pending:  # one shared iterator: every body sent once
            async with session.post(f"{url}/embeddings", data=body, headers=headers) as resp:
                resp.raise_for_status()
                await resp.read()

    async def main() -> float:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            start = time.perf_counter()
            await asyncio.gather(*(worker(session) for _ in range(concurrency)))
            return texts / (time.perf_counter() - start)

    return run_on_loop(main)


def encoder_run(url: str, texts: list[str], cache_path: Path, concurrency: int, batched: bool) -> dict[str, float]:
    """One encode of ``texts`` into the cache at ``cache_path``: its rate and what it sent."""
    api = OpenAIAPI(MODEL, api_url=url)
    cache = VectorCache(cache_path)
    encoder = Encoder(api if batched else OneTextPerRequest(api), cache, IDENTITY, GenerateConfig(), concurrency)

    async def main() -> tuple[float, int]:
        try:
            start = time.perf_counter()
            vectors = await encoder.encode(texts)
            return time.perf_counter() - start, int(vectors.shape[0])
        finally:
            await api.aclose()

    try:
        wall_s, rows = run_on_loop(main)
    finally:
        cache.close()
    return {"items_per_s": len(texts) / wall_s, "wall_s": wall_s, "rows": rows, "requests": encoder.stats.requests}


def measure(server: RunningServer, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    texts = short_texts(args.texts)
    batches = [texts[i : i + BATCH_SIZE] for i in range(0, len(texts), BATCH_SIZE)]
    batch_bodies = [orjson.dumps({"model": MODEL, "input": batch}) for batch in batches]
    single_bodies = [orjson.dumps({"model": MODEL, "input": text}) for text in texts]
    best: dict[str, float] = {}
    runs: dict[str, list[dict[str, float]]] = {"batched": [], "single": []}
    for run in range(args.runs):
        for mode, bodies in (("batched", batch_bodies), ("single", single_bodies)):
            rate = bare_rate(server.url, bodies, len(texts), args.concurrency)
            best[f"bare_{mode}"] = max(best.get(f"bare_{mode}", 0.0), rate)
            before = embedding_requests(server)
            result = encoder_run(server.url, texts, tmp / f"{mode}-{run}.sqlite", args.concurrency, mode == "batched")
            result["server_requests"] = embedding_requests(server) - before
            runs[mode].append(result)
    before = embedding_requests(server)
    cached = encoder_run(server.url, texts, tmp / f"batched-{args.runs - 1}.sqlite", args.concurrency, True)
    cached["server_requests"] = embedding_requests(server) - before
    return {"texts": len(texts), "concurrency": args.concurrency, "bare": best, "runs": runs, "cached": cached}


def report(result: dict[str, Any]) -> bool:
    n, bare, runs, cached = result["texts"], result["bare"], result["runs"], result["cached"]
    rows = []
    for mode, label in (("batched", f"{BATCH_SIZE} texts a request"), ("single", "1 text a request")):
        top = max(runs[mode], key=lambda r: r["items_per_s"])
        rows.append(
            [
                label,
                f"{top['server_requests']:.0f}",
                f"{top['items_per_s']:,.0f}",
                f"{bare[f'bare_{mode}']:,.0f}",
                f"{top['items_per_s'] / bare[f'bare_{mode}']:.0%}",
            ]
        )
    print(f"{n:,} texts, {result['concurrency']} requests in flight, best of {len(runs['batched'])} runs")
    print(format_table(["Encoder", "requests", "items/s", "bare client items/s", "share of bare"], rows))
    batched = max(r["items_per_s"] for r in runs["batched"])
    single = max(r["items_per_s"] for r in runs["single"])
    print(f"batched / one text a request: {batched / single:.1f}x")
    print(
        f"second run on the same cache: {cached['server_requests']:.0f} requests reached the server "
        f"(encoder counted {cached['requests']:.0f}), {cached['items_per_s']:,.0f} items/s  "
        f"[{'PASS' if cached['server_requests'] == 0 else 'FAIL'}: goal 0 requests]"
    )
    expected = {"batched": math.ceil(n / BATCH_SIZE), "single": n}
    sent_right = all(r["server_requests"] == expected[mode] for mode in runs for r in runs[mode])
    complete = all(r["rows"] == n for mode in runs for r in runs[mode]) and cached["rows"] == n
    if not (sent_right and complete):
        print(f"FAIL: expected {expected} requests per encode and {n} vectors each", file=sys.stderr)
    return cached["server_requests"] == 0 and sent_right and complete


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=20_000, help="distinct texts to encode")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement; the best is kept")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > max(SERVER_CORE, TOOL_CORE):
        os.sched_setaffinity(0, {TOOL_CORE})
    else:
        print("warning: cannot pin this process to its own core; running unpinned", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="assay-embed-bench-") as folder:
        tmp = Path(folder)
        with start_test_server(log_path=tmp / "server.log", core=SERVER_CORE) as server:
            result = measure(server, args, tmp)
    ok = report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
