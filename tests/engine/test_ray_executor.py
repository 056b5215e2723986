"""Acceptance: ARC-Challenge on Ray actors gives the in-process report, also when an actor dies mid-run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.cli.main import main
from assay.mock_server import ServerConfig, run_server_in_thread
from tests.conftest import shared_data
from tests.engine.test_resume_and_faults import _arc_rules, _scores

ARC_CHALLENGE_ITEMS = 1172
REPORT = Path("reports") / "mock-model" / "arc.json"
PREDICTIONS = Path("predictions") / "mock-model" / "arc_ARC-Challenge.jsonl"


@pytest.fixture(scope="module")
def arc_root() -> Path:
    return shared_data("arc")


def _config(url: str, root: Path, work_dir: Path, **extra: Any) -> TaskConfig:
    return TaskConfig(
        model="mock-model",
        api_url=url,
        datasets=["arc"],
        work_dir=str(work_dir),
        no_timestamp=True,
        eval_batch_size=8,
        dataset_args={"arc": {"local_path": str(root), "subset_list": ["ARC-Challenge"]}},
        **extra,
    )


def _timed_run(server: ServerConfig, root: Path, work_dir: Path, **extra: Any) -> tuple[dict[str, Any], float]:
    """ARC-Challenge against a fresh test server: the server's stats and the run's wall time in seconds."""
    with run_server_in_thread(server) as srv:
        config = _config(srv.url, root, work_dir, **extra)
        start = time.perf_counter()
        run_task(config, show_progress=False)
        wall_s = time.perf_counter() - start
        return srv.stats(), wall_s


@pytest.fixture(scope="module")
def in_process(arc_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work_dir = tmp_path_factory.mktemp("in_process")
    stats, wall_s = _timed_run(ServerConfig(rules=_arc_rules(arc_root)), arc_root, work_dir)
    return {
        "report": _scores(work_dir / REPORT),
        "wall_s": wall_s,
        "requests": stats["requests_total"],
        "prompt_counts": stats["prompt_counts"],
    }


@pytest.fixture(scope="module")
def ray_run(ray_session: Any, arc_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work_dir = tmp_path_factory.mktemp("ray")
    stats, wall_s = _timed_run(
        ServerConfig(rules=_arc_rules(arc_root)), arc_root, work_dir, executor="ray", ray_actors=4
    )
    return {"work_dir": work_dir, "wall_s": wall_s, "stats": stats}


def _journal_keys(work_dir: Path) -> list[str]:
    return [json.loads(line)["key"] for line in (work_dir / PREDICTIONS).read_text().splitlines() if line.strip()]


def test_full_arc_challenge_on_four_actors_equals_the_in_process_report(
    in_process: dict[str, Any], ray_run: dict[str, Any]
) -> None:
    assert _scores(ray_run["work_dir"] / REPORT) == in_process["report"]
    assert ray_run["stats"]["requests_total"] == ARC_CHALLENGE_ITEMS == in_process["requests"]
    keys = _journal_keys(ray_run["work_dir"])
    assert len(keys) == len(set(keys)) == ARC_CHALLENGE_ITEMS
    sys.stderr.write(f"wall s: in-process {in_process['wall_s']:.1f}, ray x4 {ray_run['wall_s']:.1f}\n")


def test_a_resume_after_a_ray_run_asks_nothing_again(ray_run: dict[str, Any], arc_root: Path) -> None:
    work_dir = ray_run["work_dir"]
    server = ServerConfig(rules=_arc_rules(arc_root))
    stats, _ = _timed_run(server, arc_root, work_dir, executor="ray", ray_actors=2, use_cache=str(work_dir))
    assert stats["requests_total"] == 0
    assert len(_journal_keys(work_dir)) == ARC_CHALLENGE_ITEMS


def _kill_and_wait(ray: Any, actor: Any) -> None:
    """Kill ``actor`` and return once it is dead, holding the driver's loop meanwhile.

    ``ray.kill`` only asks; until the actor is gone the driver could hand it more items, which would
    reach the server and be sent again after the death is seen. Waiting here makes "in flight at
    the kill" exactly the items the driver had given it, the bound the test checks.
    """
    ray.kill(actor)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            ray.get(actor.__ray_ready__.remote(), timeout=5)
        except ray.exceptions.RayActorError:
            return
        except ray.exceptions.GetTimeoutError:
            pass
        time.sleep(0.01)
    raise AssertionError("the killed actor did not die within 30 s")


def test_killing_an_actor_mid_run_changes_nothing_in_the_report(
    in_process: dict[str, Any], ray_session: Any, arc_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assay.engine.ray_executor import RayExecutor

    kill: dict[str, Any] = {}

    def kill_one_actor(executor: RayExecutor) -> None:
        if "actor" not in kill and executor.answered >= 300:
            victim = executor.live[0]
            kill.update(actor=victim, in_flight=executor.in_flight_on(victim), answered=executor.answered)
            _kill_and_wait(ray_session, executor.actors[victim])
        kill["reassigned"] = executor.reassigned
        kill["live"] = len(executor.live)

    monkeypatch.setattr(RayExecutor, "after_answer", kill_one_actor)
    server = ServerConfig(rules=_arc_rules(arc_root), ttft_ms=10)  # slow enough that the kill lands midway
    stats, _ = _timed_run(server, arc_root, tmp_path, executor="ray", ray_actors=4)

    assert kill["live"] == 3, f"the killed actor must be noticed: {kill}"
    assert _scores(tmp_path / REPORT) == in_process["report"]
    keys = _journal_keys(tmp_path)
    assert len(keys) == len(set(keys)) == ARC_CHALLENGE_ITEMS
    # Sent again: the killed actor's items in flight at the kill, and any sent to it before its death was seen
    # (those never reached the server).
    assert kill["reassigned"] >= 1
    assert ARC_CHALLENGE_ITEMS <= stats["requests_total"] <= ARC_CHALLENGE_ITEMS + kill["in_flight"]
    asked_again = {key: n - in_process["prompt_counts"][key] for key, n in stats["prompt_counts"].items()}
    assert sum(n for n in asked_again.values() if n > 0) <= kill["in_flight"], "only the killed actor's in-flight"
    sys.stderr.write(f"kill: {kill}, requests {stats['requests_total']}\n")


def test_executor_ray_without_ray_installed_is_one_line_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    code = main(
        ["eval", "--model", "mock", "--eval-type", "mock_llm", "--datasets", "arc", "--executor", "ray",
         "--work-dir", str(tmp_path), "--no-progress"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        "assay: error: --executor ray needs Ray, which is not installed: pip install 'assay[ray]'"
    ]
    assert not any(tmp_path.iterdir()), "nothing is written before the check"


def test_ctrl_c_on_a_ray_run_keeps_what_was_answered_and_a_resume_finishes_it(
    in_process: dict[str, Any], ray_session: Any, arc_root: Path, tmp_path: Path
) -> None:
    """SIGINT to ``assay eval --executor ray`` (it starts its own local Ray): exit 130, every answer
    journaled so far is kept once, the actors are gone, and ``--use-cache`` on Ray asks only the rest."""
    from tests.engine.test_resume_and_faults import _eval_args

    predictions = tmp_path / PREDICTIONS
    server = ServerConfig(rules=_arc_rules(arc_root), ttft_ms=20)
    with run_server_in_thread(server) as srv:
        argv = [*_eval_args(srv.url, arc_root, tmp_path), "--executor", "ray", "--ray-actors", "2"]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 180
        while not (predictions.exists() and predictions.read_bytes().count(b"\n") >= 200):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err
        assert err.strip().splitlines()[-1].startswith("assay: interrupted; finished records are saved")
        kept = _journal_keys(tmp_path)
        assert 200 <= len(kept) < ARC_CHALLENGE_ITEMS and len(kept) == len(set(kept))
        srv.reset()
        config = _config(srv.url, arc_root, tmp_path, executor="ray", ray_actors=2, use_cache=str(tmp_path))
        run_task(config, show_progress=False)
        assert srv.stats()["requests_total"] == ARC_CHALLENGE_ITEMS - len(kept)
    assert _scores(tmp_path / REPORT) == in_process["report"]
    keys = _journal_keys(tmp_path)
    assert len(keys) == len(set(keys)) == ARC_CHALLENGE_ITEMS
