"""``mteb:<Task>`` datasets against the mock server: options, errors, the report, and local copies.

Scores equal to MTEB's own are checked against a real model in ``tests/real/test_real_mteb.py``;
here the mock server's deterministic vectors show the plumbing: what is sent, what is reported,
and that every user mistake is one clear line.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assay import TaskConfig, run_task
from assay.embed.tasks import get_task
from assay.errors import UserError
from assay.mock_server import ServerHandle
from tests.embed.conftest import embedding_requests
from tests.embed.test_embedding_eval import PAIRS as EVAL_PAIRS

pytest.importorskip("mteb", reason="needs the mteb extra (scripts/install_real_model_deps.sh installs it)")

PAIRS = EVAL_PAIRS[:5]


def write_sts_copy(folder: Path, pairs: list[tuple[str, str, float]]) -> Path:
    """A local copy of mteb/stsbenchmark-sts: its README names the test split's file."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = "".join(json.dumps({"sentence1": a, "sentence2": b, "score": s}) + "\n" for a, b, s in pairs)
    (folder / "test.jsonl").write_text(rows)
    config = "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: test\n    path: test.jsonl\n---\n"
    (folder / "README.md").write_text(config)
    return folder


def test_an_mteb_task_runs_through_the_server_and_reports_its_main_score_first(
    srv: ServerHandle, tmp_path: Path
) -> None:
    copy = write_sts_copy(tmp_path / "sts", PAIRS)
    config = TaskConfig(
        model="mock-embed",
        api_url=srv.url,
        eval_type="embedding",
        datasets=["mteb:STSBenchmark"],
        dataset_args={"mteb:STSBenchmark": {"local_path": str(copy)}},
        model_args={"query_prefix": "query: "},
        work_dir=str(tmp_path / "out"),
        no_timestamp=True,
    )
    before = embedding_requests(srv)
    report = run_task(config, show_progress=False)["mteb:STSBenchmark"]
    assert report.metrics[0].name == "cosine_spearman"
    assert report.dataset_pretty_name == "MTEB STSBenchmark"
    assert {"cosine_pearson", "manhattan_spearman", "euclidean_spearman"} <= {m.name for m in report.metrics}
    assert all(math.isfinite(metric.score) for metric in report.metrics)
    assert "main_score" not in {m.name for m in report.metrics}
    assert -1.0 <= report.score <= 1.0
    # The first sentences in one request, the second sentences in another (mteb encodes them apart).
    assert embedding_requests(srv) - before == 2
    assert report.timing is not None and report.timing.requests == 2
    out = tmp_path / "out" / "reports" / "mock-embed" / "mteb_STSBenchmark.json"
    assert json.loads(out.read_text())["dataset_name"] == "mteb:STSBenchmark"
    (line,) = (tmp_path / "out" / "reviews" / "mock-embed" / "mteb_STSBenchmark_test.jsonl").read_text().splitlines()
    review = json.loads(line)
    assert review["sample_id"] == "default"
    assert math.isclose(review["score"]["value"]["cosine_spearman"], report.score)

    # A second run asks for nothing: every vector is in the cache.
    before = embedding_requests(srv)
    again = run_task(config, show_progress=False)["mteb:STSBenchmark"]
    assert embedding_requests(srv) == before
    assert again.score == report.score


def test_an_edited_local_copy_is_read_again_not_taken_from_a_stale_datasets_cache(tmp_path: Path) -> None:
    # datasets alone would return the 3 pairs again: it keys a local folder with a README by its name.
    copy = write_sts_copy(tmp_path / "sts", PAIRS[:3])
    first = get_task("mteb:STSBenchmark", {"local_path": str(copy)}, None)
    assert first.task.dataset["test"].num_rows == 3  # type: ignore[attr-defined]
    write_sts_copy(copy, PAIRS)
    os.utime(copy / "test.jsonl", ns=(1, 1))  # even a file whose mtime went back counts as changed
    second = get_task("mteb:STSBenchmark", {"local_path": str(copy)}, None)
    assert second.task.dataset["test"].num_rows == 5  # type: ignore[attr-defined]


def test_the_task_metadata_of_one_run_does_not_leak_into_the_next(tmp_path: Path) -> None:
    import mteb

    copy = write_sts_copy(tmp_path / "sts", PAIRS)
    get_task("mteb:STSBenchmark", {"local_path": str(copy)}, None)
    assert mteb.get_task("STSBenchmark").metadata.dataset["path"] == "mteb/stsbenchmark-sts"


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("mteb:SciFakt", {}, "unknown MTEB task 'SciFakt' (did you mean 'SciFact'?)"),
        ("mteb:STSBenchmark", {"local_pth": "x"}, "unknown option 'local_pth' (did you mean 'local_path'?)"),
        ("mteb:STSBenchmark", {"subsets": ["fr"]}, "['fr'] not among the task's subsets default"),
        ("mteb:STSBenchmark", {"local_path": "/nonexistent/sts"}, "local_path: no folder /nonexistent/sts"),
    ],
)
def test_user_mistakes_are_named(name: str, args: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        get_task(name, args, None)


def test_a_copy_that_is_not_the_tasks_dataset_is_one_line_naming_the_task_and_the_fix(tmp_path: Path) -> None:
    copy = tmp_path / "empty"
    copy.mkdir()
    with pytest.raises(UserError) as caught:
        get_task("mteb:STSBenchmark", {"local_path": str(copy)}, None)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"mteb:STSBenchmark: could not load its data from {copy}")
    assert message.endswith("point dataset_args.mteb:STSBenchmark.local_path at a copy of the dataset repository")
    # A folder datasets can read, but not in the task's layout: its splits are named, and what it should be.
    (copy / "notes.txt").write_text("not a dataset")
    with pytest.raises(UserError) as caught:
        get_task("mteb:STSBenchmark", {"local_path": str(copy)}, None)
    assert str(caught.value) == (
        f"mteb:STSBenchmark: no split 'test' in its data from {copy}; it has train (dataset_args.mteb:STSBenchmark"
        ".split chooses one); is local_path a copy of mteb/stsbenchmark-sts@b0fddb56ed78048fa8b90373c8a3cfc37b684831?"
    )


def test_a_split_the_data_lacks_is_named(tmp_path: Path) -> None:
    copy = write_sts_copy(tmp_path / "sts", PAIRS)
    with pytest.raises(UserError, match=r"no split 'dev' in its data from .*; it has test"):
        get_task("mteb:STSBenchmark", {"local_path": str(copy), "split": "dev"}, None)


def test_cli_dry_run_describes_the_task_and_an_unknown_task_is_exit_2(tmp_path: Path) -> None:
    copy = write_sts_copy(tmp_path / "sts", PAIRS)
    env = {**os.environ, "ASSAY_CACHE_DIR": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1", "COLUMNS": "300"}
    base = [sys.executable, "-m", "assay", "eval", "--eval-type", "embedding", "--model", "m"]
    args = json.dumps({"mteb:STSBenchmark": {"local_path": str(copy)}})
    dry = subprocess.run(
        [*base, "--api-url", "http://127.0.0.1:9/v1", "--datasets", "mteb:STSBenchmark", "--dataset-args", args,
         "--dry-run", "--work-dir", str(tmp_path / "out")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert "MTEB STS task, 1 subset, split test, main score cosine_spearman" in dry.stdout + dry.stderr
    assert "Generating test split" not in dry.stderr  # datasets' own progress bars stay off
    bad = subprocess.run(
        [*base, "--api-url", "http://127.0.0.1:9/v1", "--datasets", "mteb:NoSuchTask"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "unknown MTEB task 'NoSuchTask'" in bad.stderr
    assert "Traceback" not in bad.stderr
