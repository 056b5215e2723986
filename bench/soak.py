"""Soak: ``assay eval`` against a faulty test server, SIGKILLed at random, resumed, for many minutes.

What it does (one run; the reference comes from the same run):

1. **Reference.** ARC-Challenge (1,172 questions from ``$ASSAY_SHARED_DATA``/``../shared/data``),
   ``--repeats`` times, against a clean test server: the report every soak round must reproduce.
2. **Soak.** A second test server fails ``--fault-p`` (default 5%) of requests with *each* fault
   class it has: 429 with Retry-After, 500, a hang (silence, then a closed connection), a reply cut
   off halfway, a 200 with broken JSON. Rounds of the same eval run back to back for
   ``--minutes``; each is SIGKILLed at random moments (exponential gaps, mean ``--kill-every``
   seconds) and resumed with ``--use-cache`` until it finishes.
3. **Checks per finished round:** the report equals the reference (everything but timing), every
   sample is journaled exactly once with none errored (**samples lost: goal 0**).
4. **Memory:** the eval process's RSS is sampled every 0.5 s; the peak of each ``--window`` minutes
   is printed (**goal: flat**, the last window within 25% of the first).

Eval runs on core 0, the servers on core 1 (``taskset``).

Usage:
    .venv/bin/python bench/soak.py                       # 30 minutes
    .venv/bin/python bench/soak.py --minutes 3 --window 1

Exit status: 0 when every finished round matched the reference with 0 samples lost, at least one
round finished, and memory stayed flat; 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _common import ASSAY_PYTHON, REPO_ROOT, pinned, start_test_server

QUESTIONS = 1172


def _shared_arc() -> Path:
    root = Path(os.environ.get("ASSAY_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data") / "arc"
    if not (root / "ARC-Challenge" / "ARC-Challenge-Test.jsonl").is_file():
        sys.exit(f"soak: ARC-Challenge not found under {root}; set ASSAY_SHARED_DATA")
    return root


def _eval_argv(url: str, arc: Path, work_dir: Path, repeats: int, resume: bool) -> list[str]:
    args = [
        str(ASSAY_PYTHON), "-m", "assay", "eval", "--model", "mock-model", "--api-url", url,
        "--datasets", "arc", "--dataset-args",
        json.dumps({"arc": {"local_path": str(arc), "subset_list": ["ARC-Challenge"]}}),
        "--repeats", str(repeats), "--eval-batch-size", "16", "--work-dir", str(work_dir), "--no-timestamp",
        "--no-progress", "--generation-config", "timeout=2,retries=100,retry_interval=0.05",
    ]  # fmt: skip
    if resume:
        args += ["--use-cache", str(work_dir)]
    return pinned(args, 0)


def _report(work_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((work_dir / "reports" / "mock-model" / "arc.json").read_text())
    data.pop("timing", None)
    return data


def _journaled_keys(work_dir: Path) -> list[str]:
    path = work_dir / "predictions" / "mock-model" / "arc_ARC-Challenge.jsonl"
    keys = []
    for line in path.read_bytes().split(b"\n") if path.exists() else []:
        try:
            keys.append(json.loads(line)["key"])
        except (ValueError, KeyError):
            continue
    return keys


def _rss_kb(pid: int) -> int:
    """VmRSS of ``pid`` (the eval process under ``taskset``: taskset execs it, so the pid is the same)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Soak:
    started: float = field(default_factory=time.monotonic)
    attempts: int = 0
    kills: int = 0
    rounds: int = 0
    identical: int = 0
    lost: int = 0
    rss: list[tuple[float, int]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _attempt(argv: list[str], deadline: float, log: Path, soak: Soak) -> int | None:
    """Run one eval until it ends (its exit code) or ``deadline`` (SIGKILL, None)."""
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        while proc.poll() is None:
            if time.monotonic() >= deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                soak.kills += 1
                return None
            soak.rss.append((time.monotonic() - soak.started, _rss_kb(proc.pid)))
            time.sleep(0.5)
    return proc.returncode


def run(args: argparse.Namespace) -> int:
    arc = _shared_arc()
    rng = random.Random(args.seed)
    soak = Soak()
    with tempfile.TemporaryDirectory(prefix="assay-soak-") as tmp:
        root = Path(tmp)
        with start_test_server("--ttft-ms", "5", log_path=root / "clean.log") as clean:
            argv = _eval_argv(clean.url, arc, root / "reference", args.repeats, False)
            ref = subprocess.run(argv, capture_output=True, text=True)
            if ref.returncode != 0:
                sys.exit(f"soak: the reference run failed:\n{ref.stdout[-2000:]}{ref.stderr[-2000:]}")
        reference = _report(root / "reference")
        faults = [f"--p-{name}" for name in ("429", "500", "hang", "truncate", "malformed")]
        fault_args = [arg for flag in faults for arg in (flag, str(args.fault_p))]
        server_args = [*fault_args, "--hang-s", "3", "--retry-after-s", "0.2", "--ttft-ms", "5", "--seed", "11"]
        with start_test_server(*server_args, log_path=root / "faulty.log") as faulty:
            end = soak.started + args.minutes * 60
            while time.monotonic() < end:
                work_dir = root / f"round-{soak.rounds}"
                code: int | None = None
                while code is None and time.monotonic() < end:
                    soak.attempts += 1
                    deadline = min(end, time.monotonic() + rng.expovariate(1 / args.kill_every))
                    argv = _eval_argv(faulty.url, arc, work_dir, args.repeats, work_dir.is_dir())
                    code = _attempt(argv, deadline, root / "eval.log", soak)
                if code is None:
                    break  # time ran out mid-round: an unfinished round is neither counted nor lost
                soak.rounds += 1
                keys = _journaled_keys(work_dir)
                expected = QUESTIONS * args.repeats
                lost = expected - len(set(keys))
                report = _report(work_dir) if code == 0 else {}
                soak.lost += max(lost, 0)
                if code != 0:
                    soak.problems.append(f"round {soak.rounds}: eval exited {code}")
                elif report == reference:
                    soak.identical += 1
                else:
                    soak.problems.append(f"round {soak.rounds}: report differs from the reference")
                print(
                    f"round {soak.rounds}: exit {code}, {len(set(keys))}/{expected} samples journaled, "
                    f"report {'identical' if report == reference else 'DIFFERENT'}; kills so far {soak.kills}",
                    flush=True,
                )
            requests = faulty.stats().get("requests_total", 0)
    return _summary(soak, requests, args)


def _summary(soak: Soak, requests: int, args: argparse.Namespace) -> int:
    window_s = args.window * 60
    peaks: dict[int, int] = {}
    for at, kb in soak.rss:
        peaks[int(at // window_s)] = max(peaks.get(int(at // window_s), 0), kb)
    series = [peaks[w] / 1024 for w in sorted(peaks)]
    flat = len(series) < 2 or series[-1] <= 1.25 * series[0]
    print()
    print(f"soak: {args.minutes} min, faults {args.fault_p:.0%} of each class, kills every ~{args.kill_every:.0f} s")
    print(f"requests served (faulty server): {requests:,}")
    print(f"eval attempts: {soak.attempts}, kills survived: {soak.kills}, rounds finished: {soak.rounds}")
    print(f"samples lost: {soak.lost}  [{'PASS' if soak.lost == 0 else 'FAIL'}: goal 0]")
    same = soak.rounds > 0 and soak.identical == soak.rounds
    print(f"reports identical to a clean run: {soak.identical}/{soak.rounds}  [{'PASS' if same else 'FAIL'}: goal all]")
    print(
        f"peak RSS per {args.window:g} min (MB): {', '.join(f'{mb:.0f}' for mb in series)}  "
        f"[{'PASS' if flat else 'FAIL'}: goal flat, last within 25% of first]"
    )
    for problem in soak.problems:
        print(f"problem: {problem}")
    return 0 if soak.lost == 0 and same and flat and not soak.problems else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--kill-every", type=float, default=60.0, help="mean seconds between kills")
    parser.add_argument("--fault-p", type=float, default=0.05, help="probability of each fault class")
    parser.add_argument("--repeats", type=int, default=4, help="repeats of ARC-Challenge per round")
    parser.add_argument("--window", type=float, default=5.0, help="minutes per peak-RSS window")
    parser.add_argument("--seed", type=int, default=1)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
