"""Ray scaling: ``assay eval --executor ray`` throughput vs the number of actors, and Ray's per-item cost.

What it measures (one run; every baseline comes from that same run):

1. **Scaling.** ARC-Challenge (``--items`` questions from ``$ASSAY_SHARED_DATA``) against a test
   server that answers after ``--latency-ms`` (200 ms): where one process is not the bottleneck,
   throughput is set by the requests in flight. Each actor gets ``--per-actor`` (8) in flight, so
   N actors keep 8N in flight; the ideal is 8N / 0.2 s. Reported per N: samples/s (the report's
   own ``timing.samples_per_s``, first request to last answer; start-up, Ray's included, is
   printed apart as the command's wall time minus that span), the share of the ideal, and the
   speed-up over 1 actor. The in-process engine at the same total concurrency is the reference:
   Ray must not be slower where the network dominates.
2. **Per-item overhead.** The same items against a server with no latency, so the client is the
   bottleneck: in-process vs Ray (4 actors) at 64 in flight. The difference of seconds per item is
   what Ray adds per item (a remote call, pickling, the driver's bookkeeping).

The eval runs on core 0, the server on core 1 (``taskset``); Ray's actors run where Ray puts them
(both cores: on 2 cores the zero-latency numbers are an upper bound of Ray's cost).

Usage:
    .venv/bin/python bench/ray_scaling.py                  # about 2 minutes
    .venv/bin/python bench/ray_scaling.py --actors 1 2 4 --items 300

Exit status: 0 when every run gave the in-process report's score; 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _common import ASSAY_PYTHON, REPO_ROOT, format_table, pinned, start_test_server, time_command


def _arc() -> Path:
    root = Path(os.environ.get("ASSAY_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data") / "arc"
    if not (root / "ARC-Challenge" / "ARC-Challenge-Test.jsonl").is_file():
        sys.exit(f"ray_scaling: ARC-Challenge not found under {root}; set ASSAY_SHARED_DATA")
    return root


def _eval(url: str, work_dir: Path, items: int, in_flight: int, actors: int | None) -> dict[str, Any]:
    """One eval; its report's timing and score, and the command's wall time."""
    argv = [
        str(ASSAY_PYTHON), "-m", "assay", "eval", "--model", "mock-model", "--api-url", url,
        "--datasets", "arc", "--dataset-args",
        json.dumps({"arc": {"local_path": str(_arc()), "subset_list": ["ARC-Challenge"]}}),
        "--limit", str(items), "--eval-batch-size", str(in_flight), "--work-dir", str(work_dir),
        "--no-timestamp", "--no-progress",
    ]  # fmt: skip
    if actors is not None:
        argv += ["--executor", "ray", "--ray-actors", str(actors)]
    run = time_command(pinned(argv, 0), log_path=work_dir.with_suffix(".log"), timeout_s=900)
    if not run.ok:
        sys.exit(f"ray_scaling: eval failed ({run.command_line()}):\n{run.tail()}")
    report = json.loads((work_dir / "reports" / "mock-model" / "arc.json").read_text())
    return {"wall_s": run.wall_s, "per_s": report["timing"]["samples_per_s"], "score": report["score"]}


def _start_up_s(result: dict[str, Any], items: int) -> float:
    """The command's wall time minus its measured span: interpreter, data, and Ray with its actors."""
    return float(result["wall_s"] - items / result["per_s"])


def _scaling_row(
    n: int, args: argparse.Namespace, local: dict[str, Any], ray: dict[str, Any], base: float
) -> list[str]:
    in_flight = args.per_actor * n
    ideal = in_flight / (args.latency_ms / 1000)
    start_up = f"{_start_up_s(local, args.items):.1f} / {_start_up_s(ray, args.items):.1f}"
    return [
        str(n),
        str(in_flight),
        f"{ideal:,.0f}",
        f"{local['per_s']:,.1f}",
        f"{ray['per_s']:,.1f}",
        f"{ray['per_s'] / ideal:.0%}",
        f"{ray['per_s'] / base:.2f}x",
        start_up,
        "yes" if ray["score"] == local["score"] else "NO",
    ]


def run(args: argparse.Namespace) -> int:
    ok = True
    headers = ["actors", "in flight", "ideal/s", "in-process/s", "ray/s", "ray of ideal", "speed-up"]
    headers += ["start-up s (local / ray)", "same score"]
    with tempfile.TemporaryDirectory(prefix="assay-ray-") as tmp:
        root = Path(tmp)
        rows = []
        with start_test_server("--latency-ms", str(args.latency_ms), log_path=root / "slow.log") as slow:
            base = 0.0
            for n in args.actors:
                local = _eval(slow.url, root / f"local-{n}", args.items, args.per_actor * n, None)
                ray = _eval(slow.url, root / f"ray-{n}", args.items, args.per_actor * n, n)
                base = base or ray["per_s"]
                ok &= ray["score"] == local["score"]
                rows.append(_scaling_row(n, args, local, ray, base))
        print(f"scaling: {args.items} ARC-Challenge items, server latency {args.latency_ms} ms, ", end="")
        print(f"{args.per_actor} in flight per actor")
        print(format_table(headers, rows))
        with start_test_server(log_path=root / "fast.log") as fast:
            local = _eval(fast.url, root / "fast-local", args.items, 64, None)
            ray = _eval(fast.url, root / "fast-ray", args.items, 64, 4)
        ok &= ray["score"] == local["score"]
        overhead_ms = (1 / ray["per_s"] - 1 / local["per_s"]) * 1000
        print()
        print(f"per-item cost, zero-latency server, 64 in flight: in-process {local['per_s']:,.0f}/s, ", end="")
        print(f"Ray (4 actors) {ray['per_s']:,.0f}/s: Ray adds {overhead_ms:.2f} ms per item on this machine")
    print(f"\nevery run gave the in-process score: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--items", type=int, default=600)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--per-actor", type=int, default=8)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
