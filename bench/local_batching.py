"""Dynamic batching of the in-process ``llm_ckpt`` backend: SmolLM2-135M-Instruct on ARC-Challenge.

What it measures (one run, one loaded model, ratios against batch size 1 measured in that run):
the first ``--limit`` ARC-Challenge prompts (default 64, from ``../shared/data/arc``), greedy, at most
``--max-tokens`` new tokens, answered with 1, 8 and 16 requests in flight, exactly as the engine's
``eval_batch_size`` workers would issue them. Reported per batch size: wall time, samples/s,
generated tokens/s, speed-up over batch 1, and whether every reply equals the batch-1 reply.
Goal: ≥ 3× the batch-1 throughput at batch 16.

Usage:
    .venv/bin/python bench/local_batching.py
    .venv/bin/python bench/local_batching.py --limit 32 --batch-sizes 1 4 --json out.json

Exit status: 0 when the goal passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

from assay.benchmarks import build_adapter
from assay.models.llm_ckpt import LocalCheckpoint
from assay.types import ChatMessage, GenerateConfig, ModelOutput

SHARED_DATA = Path(os.environ.get("ASSAY_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
GOAL_SPEEDUP_AT_16 = 3.0


def _prompts(limit: int) -> list[list[ChatMessage]]:
    adapter = build_adapter("arc", {"local_path": str(SHARED_DATA / "arc"), "subset_list": ["ARC-Challenge"]})
    samples = adapter.load(limit)["ARC-Challenge"]
    return [s.input for s in samples if isinstance(s.input, list)]


async def _answer_all(
    model: LocalCheckpoint, prompts: list[list[ChatMessage]], config: GenerateConfig, in_flight: int
) -> list[ModelOutput]:
    slots = asyncio.Semaphore(in_flight)

    async def one(prompt: list[ChatMessage]) -> ModelOutput:
        async with slots:
            return await model.generate(prompt, config)

    try:
        return await asyncio.gather(*(one(p) for p in prompts))
    finally:
        await model.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 16])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    prompts = _prompts(args.limit)
    model = LocalCheckpoint(args.model)
    model.load()
    config = GenerateConfig(max_tokens=args.max_tokens, temperature=0.0)
    asyncio.run(_answer_all(model, prompts[:2], config, 2))  # warm-up: first-call allocations

    rows: list[dict[str, float | int | bool]] = []
    baseline_texts: list[str] | None = None
    baseline_rate = 0.0
    for size in args.batch_sizes:
        start = time.perf_counter()
        outputs = asyncio.run(_answer_all(model, prompts, config, size))
        wall = time.perf_counter() - start
        texts = [o.text for o in outputs]
        tokens = sum(o.usage.completion_tokens for o in outputs if o.usage is not None)
        rate = len(prompts) / wall
        if baseline_texts is None:
            baseline_texts, baseline_rate = texts, rate
        rows.append(
            {
                "batch_size": size,
                "wall_s": round(wall, 2),
                "samples_per_s": round(rate, 2),
                "tokens_per_s": round(tokens / wall, 1),
                "speedup": round(rate / baseline_rate, 2),
                "same_as_first": texts == baseline_texts,
            }
        )
        print(
            f"batch {size:>3}: {wall:7.2f} s  {rate:6.2f} samples/s  {tokens / wall:7.1f} tok/s  "
            f"{rate / baseline_rate:5.2f}x  same replies: {texts == baseline_texts}",
            flush=True,
        )
    at_16 = next((r["speedup"] for r in rows if r["batch_size"] == 16), None)
    passed = at_16 is not None and float(at_16) >= GOAL_SPEEDUP_AT_16
    print(f"goal: >= {GOAL_SPEEDUP_AT_16}x at batch 16: {'PASS' if passed else 'FAIL'} ({at_16}x)")
    if args.json:
        args.json.write_text(json.dumps({"prompts": len(prompts), "max_tokens": args.max_tokens, "rows": rows}))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
