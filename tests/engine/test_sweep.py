"""Benchmarks × models sweeps: one tree, members equal to single runs, resume, a failing member, Ray.

Two test servers stand for two models that answer differently (model ``ma`` answers "A" to every
question, ``mb`` also gets the sodium question right), so a mixed-up member would show in the scores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.cli.main import main
from assay.engine.sweep import SWEEP_FILE, SweepReport
from assay.mock_server import Rule, ServerConfig, ServerHandle, run_server_in_thread

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
UNREACHABLE = "http://127.0.0.1:9/v1"
DATASETS = ["general_mcq", "gsm8k"]
B_RULES = [Rule(contains="sodium", reply="ANSWER: C"), Rule(contains="muffins", reply="\\boxed{9}")]


def _dataset_args() -> dict[str, Any]:
    return {
        "general_mcq": {"local_path": str(EXAMPLES / "general_mcq"), "subset_list": ["example"]},
        "gsm8k": {"local_path": str(EXAMPLES / "gsm8k"), "few_shot_num": 0},
    }


@pytest.fixture
def servers() -> Iterator[tuple[ServerHandle, ServerHandle]]:
    with run_server_in_thread(ServerConfig()) as a, run_server_in_thread(ServerConfig(rules=B_RULES)) as b:
        yield a, b


def _shared(work_dir: Path, **extra: Any) -> dict[str, Any]:
    return {
        "datasets": DATASETS,
        "dataset_args": _dataset_args(),
        "limit": 6,
        "work_dir": str(work_dir),
        "no_timestamp": True,
        "generation_config": {"max_tokens": 32, "retries": 0},
    } | extra


def _sweep(a_url: str, b_url: str, work_dir: Path, **extra: Any) -> SweepReport:
    models = [{"model": "ma", "api_url": a_url}, {"model": "mb", "api_url": b_url, "api_key": "sk-sweep-secret"}]
    result = run_task(TaskConfig(models=models, **_shared(work_dir, **extra)), show_progress=False)
    assert isinstance(result, SweepReport)
    return result


def _scores(reports: dict[str, Any]) -> dict[str, dict[str, float]]:
    return {name: {m.name: m.score for m in report.metrics} for name, report in reports.items()}


def test_two_models_two_benchmarks_give_one_tree_equal_to_single_runs(
    servers: tuple[ServerHandle, ServerHandle], tmp_path: Path
) -> None:
    a, b = servers
    sweep = _sweep(a.url, b.url, tmp_path / "sweep")
    assert not sweep.failed and set(sweep.reports) == {"ma", "mb"}
    summary = json.loads((tmp_path / "sweep" / SWEEP_FILE).read_text())
    assert [(m["model_id"], m["status"], m["work_dir"]) for m in summary["members"]] == [
        ("ma", "ok", "ma"),
        ("mb", "ok", "mb"),
    ]
    for model, url in (("ma", a.url), ("mb", b.url)):
        single = run_task(TaskConfig(model=model, api_url=url, **_shared(tmp_path / f"single_{model}")))
        assert isinstance(single, dict)
        assert _scores(sweep.reports[model]) == _scores(single)
        member = next(m for m in summary["members"] if m["model_id"] == model)
        assert {name: s["metrics"] for name, s in member["scores"].items()} == _scores(single)
        for bench in DATASETS:  # an ordinary run folder: report where a single run writes it
            assert (tmp_path / "sweep" / model / "reports" / model / f"{bench}.json").is_file()
    assert _scores(sweep.reports["ma"]) != _scores(sweep.reports["mb"])
    saved = [p.read_text() for p in (tmp_path / "sweep").rglob("*") if p.is_file() and p.suffix in (".json", ".yaml")]
    assert saved and not any("sk-sweep-secret" in text for text in saved)
    assert "sk-sweep-secret" not in (tmp_path / "sweep" / "logs" / "sweep_log.log").read_text()


def test_resuming_a_finished_sweep_asks_nothing_again(
    servers: tuple[ServerHandle, ServerHandle], tmp_path: Path
) -> None:
    a, b = servers
    first = _sweep(a.url, b.url, tmp_path / "sweep")
    asked = a.stats()["requests_total"] + b.stats()["requests_total"]
    again = _sweep(a.url, b.url, tmp_path / "elsewhere", use_cache=str(tmp_path / "sweep"))
    assert a.stats()["requests_total"] + b.stats()["requests_total"] == asked
    assert {m: _scores(r) for m, r in again.reports.items()} == {m: _scores(r) for m, r in first.reports.items()}


def test_a_failing_member_keeps_the_others_and_is_named_at_the_end(
    servers: tuple[ServerHandle, ServerHandle], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, _ = servers
    sweep = _sweep(a.url, UNREACHABLE, tmp_path / "sweep")
    assert [m.model_id for m in sweep.failed] == ["mb"] and "ma" in sweep.reports
    summary = json.loads((tmp_path / "sweep" / SWEEP_FILE).read_text())
    failed = summary["members"][1]
    assert failed["status"] == "failed" and "127.0.0.1:9" in failed["reason"] and "\n" not in failed["reason"]
    assert summary["members"][0]["status"] == "ok" and summary["finished"] is True

    code = main(
        [
            "eval",
            *("--model", "ma", "mb"),
            *("--api-url", UNREACHABLE),
            *("--datasets", "general_mcq"),
            *("--dataset-args", json.dumps({"general_mcq": _dataset_args()["general_mcq"]})),
            *("--limit", "2", "--work-dir", str(tmp_path / "cli"), "--no-timestamp", "--no-progress"),
            *("--generation-config", "retries=0"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1].startswith("assay: 2 of 2 models failed: ma (") and "mb (" in err[-1]


def test_cli_sweep_end_to_end(
    servers: tuple[ServerHandle, ServerHandle], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, _ = servers
    code = main(
        [
            "eval",
            *("--model", "ma", "mb"),
            *("--api-url", a.url),
            *("--datasets", *DATASETS),
            *("--dataset-args", json.dumps(_dataset_args())),
            *("--limit", "3", "--work-dir", str(tmp_path), "--no-progress"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Assay sweep results" in out and "ma" in out and "mb" in out
    (root,) = [p.parent for p in tmp_path.glob(f"*/{SWEEP_FILE}")]
    assert {p.name for p in root.iterdir() if p.is_dir()} == {"ma", "mb", "logs"}
    assert a.stats()["requests_total"] == 2 * (3 + 3)


def test_sweep_on_ray_gives_the_local_sweeps_scores(servers: tuple[ServerHandle, ServerHandle], tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    assert not ray.is_initialized()  # the sweep starts Ray once for both members, and stops it
    a, b = servers
    local = _sweep(a.url, b.url, tmp_path / "local")
    on_ray = _sweep(a.url, b.url, tmp_path / "ray", executor="ray", ray_actors=2)
    assert not on_ray.failed, [m.reason for m in on_ray.failed]
    assert {m: _scores(r) for m, r in on_ray.reports.items()} == {m: _scores(r) for m, r in local.reports.items()}
    assert not ray.is_initialized()


def test_model_flags_win_over_the_config_files_model_or_models(tmp_path: Path) -> None:
    from assay.cli.eval_cmd import config_from_args
    from assay.cli.main import build_parser

    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text("models: [{model: a}, {model: b}]\ndatasets: [arc]\n")
    one = config_from_args(build_parser().parse_args(["eval", "--config", str(sweep_file), "--model", "c"]))
    assert one["model"] == "c" and "models" not in one
    single_file = tmp_path / "single.yaml"
    single_file.write_text("model: a\ndatasets: [arc]\n")
    two = config_from_args(build_parser().parse_args(["eval", "--config", str(single_file), "--model", "c", "d"]))
    assert two["models"] == [{"model": "c"}, {"model": "d"}] and "model" not in two
