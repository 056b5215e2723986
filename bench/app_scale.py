"""The results viewer on a big run: time to the first samples page, filter changes, server memory.

Writes a synthetic 100k-sample eval run in the real output format (``predictions/`` and ``reviews/``
journals, one per subset, and ``reports/<model>/<bench>.json`` built by the real report builder),
starts ``assay app`` on it as a subprocess, and times over HTTP:

- ``/api/runs`` (cold: reads the report, never the journals, since the run is finished);
- the first samples page, cold (the server indexes the reviews journals on first access) and warm;
- a filter change each: ``status=wrong``, ``status=extraction_failed``, ``subset=...``, a search for
  a word in a few hundred prompts (cold: streams both journals; then cached) and one in every sample;
- one sample's detail (cold: indexes the predictions journals to join the prediction; then warm);
- a page deep in the result (``offset`` 90,000);
- the server's resident memory (``VmRSS``) and its peak (``VmHWM``) after all of it.

Goals: first page < 1 s; server RSS < 300 MB.

Usage:
    .venv/bin/python bench/app_scale.py                  # 100k samples (about a minute)
    .venv/bin/python bench/app_scale.py --samples 20000 --keep
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ASSAY_PYTHON, format_table, stop_process  # bench scripts run as files, not as a package

BENCH = "synthetic_qa"
MODEL = "synth-model"
RUN_ID = "run/20260101_000000"
SUBSETS = ("algebra", "geometry", "history", "biology")
_PROSE = (
    "the of and to in is that for it as was with be by on not he this are or his from at which but have an "
    "they you were her she there been one all we their has would when if so no will more can its time about"
)
_WORDS = _PROSE.split(" ")
_SERVING = re.compile(r"at (http://\S+)/ ")
FIRST_PAGE_GOAL_S = 1.0
RSS_GOAL_MB = 300.0


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def _records(index: int, rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """One (prediction, review) pair; the outcome mix resembles a real run's."""
    subset = SUBSETS[index % len(SUBSETS)]
    sample_id = f"{subset}-{index // len(SUBSETS)}"
    key = f"{sample_id}#0"
    gold = str(rng.randint(0, 999))
    marker = " zebra" if index % 997 == 0 else ""  # a rare word: ~100 prompts contain it
    prompt = f"Question {index}:{marker} " + _text(rng, rng.randint(120, 220))
    roll = rng.random()
    truncated = roll > 0.97
    answer = gold if roll < 0.6 else str(rng.randint(0, 999))
    reply = _text(rng, rng.randint(60, 160)) + ("" if roll > 0.9 else f" The answer is \\boxed{{{answer}}}.")
    common = {"key": key, "sample_id": sample_id, "repeat": 0, "subset": subset, "fingerprint": f"{index:020x}"}
    prediction = {
        **common,
        "model": MODEL,
        "input": [{"role": "user", "content": prompt}],
        "target": gold,
        "output": {
            "text": reply,
            "finish_reason": "length" if truncated else "stop",
            "usage": {"prompt_tokens": 250, "completion_tokens": 120, "total_tokens": 370},
            "latency_s": 0.5,
            "attempts": 1,
        },
        "time": "2026-01-01T00:00:00.000+00:00",
    }
    if 0.93 < roll <= 0.95:
        score: dict[str, Any] = {"value": {}, "status": "errored", "reason": "HTTP 500", "truncated": False}
    elif 0.95 < roll <= 0.97:
        score = {"value": {}, "status": "excluded", "reason": "gold does not parse", "truncated": False}
    else:
        extracted = None if roll > 0.9 else answer
        value = 1.0 if extracted == gold else 0.0
        score = {"value": {"acc": value}, "status": "scored", "truncated": truncated, "weights": {}}
        if extracted is not None:
            score["extracted"] = extracted
    review = {**common, "scoring_fingerprint": "0" * 20, "target": gold, "prediction": reply, "score": score}
    return prediction, review


def write_run(run_dir: Path, samples: int) -> None:
    """A finished eval run of ``samples`` samples in the real layout."""
    from assay.report.build import build_report
    from assay.report.model import Timing

    rng = random.Random(0)
    for sub in ("predictions", "reviews", "reports"):
        (run_dir / sub / MODEL).mkdir(parents=True, exist_ok=True)
    (run_dir / "configs").mkdir(exist_ok=True)
    (run_dir / "configs" / "task_config.yaml").write_text(f"model: {MODEL}\ndatasets:\n- {BENCH}\n")
    handles = {
        (kind, subset): (run_dir / kind / MODEL / f"{BENCH}_{subset}.jsonl").open("wb")
        for kind in ("predictions", "reviews")
        for subset in SUBSETS
    }
    reviews = []
    for index in range(samples):
        prediction, review = _records(index, rng)
        handles["predictions", prediction["subset"]].write(orjson.dumps(prediction) + b"\n")
        handles["reviews", review["subset"]].write(orjson.dumps(review) + b"\n")
        reviews.append({"subset": review["subset"], "sample_id": review["sample_id"], "repeat": 0,
                        "score": review["score"]})  # fmt: skip
    for handle in handles.values():
        handle.close()
    report = build_report(
        reviews=reviews, dataset_name=BENCH, dataset_pretty_name="Synthetic QA", model_name=MODEL,
        benchmark_version="1", metric_list=["acc"], aggregation="mean", repeats=1, subsets=list(SUBSETS),
        category_map={}, timing=Timing(),
    )  # fmt: skip
    (run_dir / "reports" / MODEL / f"{BENCH}.json").write_bytes(
        orjson.dumps(report.model_dump(mode="json"), option=orjson.OPT_INDENT_2)
    )


def _get(url: str) -> tuple[float, Any]:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = json.loads(response.read())
    return time.perf_counter() - start, body


def _memory_mb(pid: int) -> tuple[float, float]:
    """``(VmRSS, VmHWM)`` of ``pid`` in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def measure(outputs: Path, log: Path) -> tuple[list[tuple[str, float, str]], tuple[float, float], float]:
    """Start ``assay app`` on ``outputs`` and time each step; returns (steps, memory, server start s)."""
    argv = [str(ASSAY_PYTHON), "-m", "assay", "app", "--outputs", str(outputs), "--port", "0"]
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while not (match := _SERVING.search(log.read_text(errors="replace"))):
            if proc.poll() is not None or time.perf_counter() - started > 60:
                raise RuntimeError(f"assay app did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.02)
        start_s = time.perf_counter() - started
        base = match.group(1)
        run_id = urllib.parse.quote(RUN_ID)
        samples = f"{base}/api/runs/{run_id}/samples?benchmark={BENCH}"
        steps: list[tuple[str, float, str]] = []

        def step(label: str, url: str) -> Any:
            seconds, body = _get(url)
            total = body.get("total", len(body["runs"]) if "runs" in body else "")
            steps.append((label, seconds, str(total)))
            return body

        step("/api/runs (cold)", f"{base}/api/runs")
        first = step("first samples page (cold: indexes the journals)", samples)
        step("first samples page (warm)", samples)
        key = urllib.parse.quote(first["items"][0]["key"], safe="")
        step("one sample's detail (cold: indexes predictions)", f"{base}/api/runs/{run_id}/samples/{BENCH}/{key}")
        step("another sample's detail", f"{base}/api/runs/{run_id}/samples/{BENCH}/{key.replace('-0', '-1')}")
        step("status=wrong", samples + "&status=wrong")
        step("status=extraction_failed", samples + "&status=extraction_failed")
        step(f"subset={SUBSETS[1]}", samples + f"&subset={SUBSETS[1]}")
        step("search a rare word (cold: streams both journals)", samples + "&q=zebra")
        step("search a rare word (cached), next page", samples + "&q=zebra&offset=50")
        step("search a word in every sample", samples + "&q=answer")
        step("status=wrong + subset + search", samples + f"&status=wrong&subset={SUBSETS[0]}&q=zebra")
        step("page at offset 90000", samples + "&offset=90000")
        return steps, _memory_mb(proc.pid), start_s
    finally:
        stop_process(proc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=100_000, help="samples in the synthetic run")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder and print its path")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="assay_app_scale_"))
    outputs = tmp / "outputs"
    run_dir = outputs / RUN_ID
    started = time.perf_counter()
    write_run(run_dir, args.samples)
    sizes = sum(p.stat().st_size for p in run_dir.rglob("*.jsonl")) / 1e6
    print(f"wrote {args.samples} samples ({sizes:.0f} MB of journals) in {time.perf_counter() - started:.1f} s")
    steps, (rss, peak), start_s = measure(outputs, tmp / "server.log")
    rows = [[label, f"{seconds * 1000:.0f}", total] for label, seconds, total in steps]
    print(f"server ready in {start_s:.2f} s (process start to its 'serving' line)")
    print(format_table(["request", "ms", "total"], rows))
    first_page = next(s for label, s, _ in steps if label.startswith("first samples page (cold"))
    print(f"server memory after all requests: RSS {rss:.0f} MB, peak {peak:.0f} MB")
    ok = first_page < FIRST_PAGE_GOAL_S and peak < RSS_GOAL_MB
    print(
        f"goals: first page {first_page:.2f} s (< {FIRST_PAGE_GOAL_S:g} s), peak RSS {peak:.0f} MB "
        f"(< {RSS_GOAL_MB:g} MB): {'met' if ok else 'NOT met'}"
    )
    if args.keep:
        print(f"kept: {tmp}")
    else:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
