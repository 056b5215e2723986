"""Ray actors score CPU-heavy benchmarks beside the model, and reserve what a local model needs.

Scoring on the actors must give the driver's verdicts exactly: GSM8K's SymPy equivalence (right
answers, right answers in another form, wrong answers) and HumanEval in the real sandbox are run
both ways and their reviews compared record by record. The placement keys (``num_gpus``,
``num_cpus``) are checked against the cluster before any actor starts, never left for Ray to wait on.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.cli.main import main
from assay.engine.ray_executor import RayExecutor
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.conftest import shared_data

GSM8K_ITEMS = 90


def _gsm8k_rules(root: Path) -> list[Rule]:
    """A third right, a third right in another form (only SymPy sees it), a third wrong."""
    rules = []
    for i, line in enumerate((root / "test.jsonl").read_text().splitlines()[:GSM8K_ITEMS]):
        record = json.loads(line)
        target = record["answer"].split("####")[-1].strip().replace(",", "")
        answer = [target, f"\\frac{{{int(target) * 2}}}{{2}}", str(int(target) + 1)][i % 3]
        rules.append(Rule(contains=record["question"], reply=f"Reasoning.\nANSWER: \\boxed{{{answer}}}"))
    return rules


def _reviews(work_dir: Path) -> dict[str, dict[str, Any]]:
    """Every review by key, without what differs between runs by nature (a test program's wall time)."""
    out = {}
    for path in sorted((work_dir / "reviews").rglob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            record["score"].get("details", {}).get("execution", {}).pop("wall_s", None)
            out[record["key"]] = record
    return out


def _run(work_dir: Path, **config: Any) -> dict[str, dict[str, Any]]:
    """One run into ``work_dir`` (no timestamp); its reviews by key."""
    run_task(TaskConfig(work_dir=str(work_dir), no_timestamp=True, **config), show_progress=False)
    return _reviews(work_dir)


def _report(work_dir: Path, bench: str) -> dict[str, Any]:
    data = json.loads(next((work_dir / "reports").rglob(f"{bench}.json")).read_text())
    data.pop("timing")
    return data


def _arc_easy() -> dict[str, Any]:
    return {
        "datasets": ["arc"],
        "dataset_args": {"arc": {"local_path": str(shared_data("arc")), "subset_list": ["ARC-Easy"]}},
    }


class _Watch:
    """Keeps the executor of the last Ray run, to read its counters after the run."""

    executor: RayExecutor | None = None

    def __call__(self, executor: RayExecutor) -> None:
        type(self).executor = executor


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> type[_Watch]:
    _Watch.executor = None
    monkeypatch.setattr(RayExecutor, "after_answer", _Watch())
    return _Watch


def _gsm8k_run(url: str, work_dir: Path, root: Path, **extra: Any) -> None:
    config = TaskConfig(
        model="mock-model",
        api_url=url,
        datasets=["gsm8k"],
        dataset_args={"gsm8k": {"local_path": str(root), "few_shot_num": 0}},
        limit=GSM8K_ITEMS,
        eval_batch_size=8,
        work_dir=str(work_dir),
        no_timestamp=True,
        **extra,
    )
    run_task(config, show_progress=False)


def test_math_is_scored_on_the_actors_with_the_driver_s_verdicts(
    ray_session: Any, watch: type[_Watch], tmp_path: Path
) -> None:
    root = shared_data("gsm8k")
    with run_server_in_thread(ServerConfig(rules=_gsm8k_rules(root))) as srv:
        _gsm8k_run(srv.url, tmp_path / "local", root)
        _gsm8k_run(srv.url, tmp_path / "actors", root, executor="ray", ray_actors=2)
        on_actors = watch.executor
        _gsm8k_run(srv.url, tmp_path / "driver", root, executor="ray", ray_actors=2, ray_scoring="driver")
        on_driver = watch.executor
    assert on_actors is not None and on_driver is not None
    assert on_actors.scored_on_actors == GSM8K_ITEMS, "auto: math (SymPy) is scored where the answers are"
    assert on_driver.scored_on_actors == 0
    local = _reviews(tmp_path / "local")
    assert len(local) == GSM8K_ITEMS
    accs = [r["score"]["value"]["acc"] for r in local.values()]
    assert sum(accs) == 2 * GSM8K_ITEMS // 3, "the \\frac form is judged equal by SymPy, +1 is not"
    for name in ("actors", "driver"):
        assert _reviews(tmp_path / name) == local, name
        assert _report(tmp_path / name, "gsm8k") == _report(tmp_path / "local", "gsm8k")


def test_a_light_benchmark_stays_on_the_driver_unless_asked(
    ray_session: Any, watch: type[_Watch], tmp_path: Path
) -> None:
    from tests.engine.test_resume_and_faults import _arc_rules

    root = shared_data("arc")

    arc = {"datasets": ["arc"], "dataset_args": {"arc": {"local_path": str(root), "subset_list": ["ARC-Challenge"]}}}
    with run_server_in_thread(ServerConfig(rules=_arc_rules(root))) as srv:
        shared = {"model": "mock-model", "api_url": srv.url, "limit": 120, **arc}
        local = _run(tmp_path / "local", **shared)
        assert _run(tmp_path / "auto", executor="ray", ray_actors=2, **shared) == local
        assert watch.executor is not None and watch.executor.scored_on_actors == 0
        assert _run(tmp_path / "forced", executor="ray", ray_actors=2, ray_scoring="actors", **shared) == local
        assert watch.executor.scored_on_actors == 120


@pytest.mark.skipif(
    shutil.which("bwrap") is None or os.geteuid() != 0,
    reason="needs bubblewrap (apt-get install bubblewrap) and root: code runs in the real sandbox",
)
def test_humaneval_runs_the_code_in_the_actors_sandbox_with_the_driver_s_verdicts(
    ray_session: Any, watch: type[_Watch], tmp_path: Path
) -> None:
    folder = shared_data("humaneval")
    with gzip.open(folder / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as fh:
        problems = [json.loads(line) for line in fh][:30]
    rules = [
        Rule(
            contains=p["prompt"].strip(),
            reply=f"```python\n{p['prompt']}{p['canonical_solution'] if i % 3 else '    return None'}\n```\n",
        )
        for i, p in enumerate(problems)
    ]

    with run_server_in_thread(ServerConfig(rules=rules, default_reply="no idea")) as srv:
        shared = {"model": "mock-model", "api_url": srv.url, "datasets": ["humaneval"], "limit": 30}
        shared["dataset_args"] = {"humaneval": {"local_path": str(folder)}}
        local = _run(tmp_path / "local", **shared)
        on_actors = _run(tmp_path / "actors", executor="ray", ray_actors=2, **shared)
    assert watch.executor is not None and watch.executor.scored_on_actors == 30
    assert sum(r["score"]["value"]["acc"] for r in local.values()) == 20
    assert on_actors == local


def test_a_local_model_runs_in_each_actor_with_the_cpus_it_reserves(
    ray_session: Any, watch: type[_Watch], tmp_path: Path
) -> None:
    """The in-process mock model stands in for a checkpoint: loaded in each actor, one CPU each."""

    shared = {"model": "mock", "eval_type": "mock_llm", "limit": 40, **_arc_easy()}
    local = _run(tmp_path / "local", **shared)
    on_ray = _run(tmp_path / "ray", executor="ray", ray_actors=2, model_args={"num_cpus": 1}, **shared)
    assert len(local) == 40 and on_ray == local
    assert watch.executor is not None and watch.executor.answered == 40
    # The placement key is not part of the answers' identity: a local resume reuses every one.
    assert _run(tmp_path / "ray", use_cache=str(tmp_path / "ray"), **shared) == local


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"ray_actors": 3, "model_args": {"num_cpus": 1}},
            "--executor ray: 3 actors x num_cpus 1 need 3 CPUs; the Ray cluster has 2 "
            "(lower --ray-actors or model_args num_cpus)",
        ),
        (
            {"ray_actors": 1, "model_args": {"num_gpus": 1}},
            "--executor ray: 1 actors x num_gpus 1 need 1 GPUs; the Ray cluster has 0 "
            "(lower --ray-actors or model_args num_gpus)",
        ),
    ],
)
def test_actors_the_cluster_cannot_place_are_refused_at_once(
    ray_session: Any, tmp_path: Path, extra: dict[str, Any], message: str
) -> None:
    with pytest.raises(UserError) as caught:
        _run(tmp_path, model="mock", eval_type="mock_llm", limit=2, executor="ray", **_arc_easy(), **extra)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("model_args", "message"),
    [
        ('{"num_gpus": "two"}', "model_args num_gpus must be a number >= 0 (e.g. 1, or 0.5 to share a GPU), got 'two'"),
        ('{"num_gpus": 1}', "model_args num_gpus is for a model loaded by the actors; openai_api behind --api-url "),
    ],
)
def test_bad_placement_keys_are_one_line_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model_args: str, message: str
) -> None:
    code = main(
        ["eval", "--model", "m", "--api-url", "http://127.0.0.1:9/v1", "--datasets", "arc", "--executor", "ray",
         "--model-args", model_args, "--work-dir", str(tmp_path), "--no-progress"]
    )  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert message in err[0]
    assert not any(tmp_path.iterdir()), "nothing is written before the check"


_REAL_MISSING = [name for name in ("torch", "transformers") if importlib.util.find_spec(name) is None]


@pytest.mark.skipif(
    bool(_REAL_MISSING) or os.environ.get("ASSAY_SKIP_REAL") == "1",
    reason=f"needs {', '.join(_REAL_MISSING)}" if _REAL_MISSING else "real-model tests disabled by ASSAY_SKIP_REAL=1",
)
def test_a_real_checkpoint_loaded_in_two_actors_answers_as_in_process(
    ray_session: Any, watch: type[_Watch], tmp_path: Path
) -> None:
    """SmolLM2-135M-Instruct (``llm_ckpt``) loaded in each of 2 actors, 1 CPU each: the same greedy answers."""

    shared = {"model": "smollm2-135m", "limit": 6, "eval_batch_size": 1, "generation_config": {"max_tokens": 12}}
    local = _run(tmp_path / "local", **shared, **_arc_easy())
    on_ray = _run(tmp_path / "ray", executor="ray", ray_actors=2, model_args={"num_cpus": 1}, **shared, **_arc_easy())
    assert watch.executor is not None and watch.executor.answered == 6
    assert len(local) == 6 and on_ray == local
    assert all(review["prediction"].strip() for review in local.values()), "the real model answered"
