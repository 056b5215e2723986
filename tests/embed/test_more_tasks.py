"""custom_pair_classification, custom_classification and custom_clustering end to end against the test server.

Each headline is compared with a direct call of its metric module on vectors fetched independently
with the ``openai`` client, as float32 (what the encoder keeps and the task scores).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assay import TaskConfig, run_task
from assay.embed.classification import classification_scores
from assay.embed.clustering import clustering_scores
from assay.embed.pair_classification import pair_classification_scores
from assay.errors import UserError
from assay.mock_server import ServerHandle
from tests.embed.test_embedding_eval import read_jsonl, sdk_vectors

PAIRS = [
    ("A man plays a guitar.", "Someone plays an instrument.", 1),
    ("A cat sleeps.", "The stock market fell.", 0),
    ("Two dogs run in a park.", "Dogs are running outside.", 1),
    ("A woman cooks.", "A person prepares food.", 1),
    ("It is raining.", "The sun is shining.", 0),
    ("A child reads a book.", "A kid is reading.", 1),
    ("The train is late.", "Bananas are yellow.", 0),
]
TRAIN = [
    ("The match ended in a draw.", "sport"), ("She scored twice in the final.", "sport"),
    ("The coach was sacked.", "sport"), ("A new phone was released.", "tech"),
    ("The chip runs faster.", "tech"), ("An update fixed the bug.", "tech"),
    ("Bake the bread for an hour.", "food"), ("Add salt to the soup.", "food"),
    ("The cake needs more sugar.", "food"),
]  # fmt: skip
TEST = [
    ("The striker was injured.", "sport"), ("The laptop overheats.", "tech"),
    ("Slice the onions thinly.", "food"), ("They won the league.", "sport"),
    ("The app crashed again.", "tech"),
]  # fmt: skip


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def config(srv: ServerHandle, task: str, out: Path, **dataset_args: Any) -> TaskConfig:
    return TaskConfig(
        model="mock-model",
        api_url=srv.url,
        eval_type="embedding",
        datasets=[task],
        dataset_args={task: dataset_args},
        work_dir=str(out),
        no_timestamp=True,
    )


def float32_vectors(srv: ServerHandle, texts: list[str]) -> np.ndarray:
    return sdk_vectors(srv, texts).astype(np.float32)


def write_pairs(folder: Path) -> Path:
    write_jsonl(folder / "test.jsonl", [{"sentence1": a, "sentence2": b, "label": y} for a, b, y in PAIRS])
    return folder


def write_classification(folder: Path) -> Path:
    write_jsonl(folder / "train.jsonl", [{"text": t, "label": y} for t, y in TRAIN])
    write_jsonl(folder / "test.jsonl", [{"text": t, "label": y} for t, y in TEST])
    return folder


def test_pair_classification_ap_equals_the_module_on_independent_vectors(srv: ServerHandle, tmp_path: Path) -> None:
    data = write_pairs(tmp_path / "pairs")
    report = run_task(
        config(srv, "custom_pair_classification", tmp_path / "out", local_path=str(data)), show_progress=False
    )
    result = report["custom_pair_classification"]
    first = float32_vectors(srv, [a for a, _, _ in PAIRS])
    second = float32_vectors(srv, [b for _, b, _ in PAIRS])
    expected = pair_classification_scores(first, second, [y for _, _, y in PAIRS])
    by_name = {metric.name: metric.score for metric in result.metrics}
    assert result.metrics[0].name == "cosine_ap"
    assert result.score == expected.average_precision
    assert by_name["cosine_accuracy"] == expected.accuracy
    assert by_name["cosine_f1"] == expected.f1
    assert by_name["cosine_accuracy_threshold"] == expected.accuracy_threshold
    assert {"cosine_precision", "cosine_recall", "cosine_f1_threshold"} <= set(by_name)
    assert result.counts.scored == len(PAIRS)
    predictions = read_jsonl(tmp_path / "out" / "predictions" / "mock-model" / "custom_pair_classification_test.jsonl")
    assert [p["target"] for p in predictions] == [y for _, _, y in PAIRS]
    cosines = np.sum(first * second, axis=1) / (np.linalg.norm(first, axis=1) * np.linalg.norm(second, axis=1))
    assert predictions[0]["output"]["cosine"] == pytest.approx(float(cosines[0]), abs=1e-6)


def test_classification_accuracy_equals_the_module_on_independent_vectors(srv: ServerHandle, tmp_path: Path) -> None:
    data = write_classification(tmp_path / "cls")
    options = {"local_path": str(data), "n_experiments": 3, "samples_per_label": 2, "seed": 7}
    result = run_task(config(srv, "custom_classification", tmp_path / "out", **options), show_progress=False)[
        "custom_classification"
    ]
    expected = classification_scores(
        float32_vectors(srv, [t for t, _ in TRAIN]),
        [y for _, y in TRAIN],
        float32_vectors(srv, [t for t, _ in TEST]),
        [y for _, y in TEST],
        n_experiments=3,
        samples_per_label=2,
        seed=7,
    )
    assert result.metrics[0].name == "accuracy"
    assert result.score == expected["accuracy"]
    assert {metric.name: metric.score for metric in result.metrics} == expected
    assert result.counts.scored == len(TEST)
    reviews = read_jsonl(tmp_path / "out" / "reviews" / "mock-model" / "custom_classification_test.jsonl")
    assert [r["target"] for r in reviews] == [y for _, y in TEST]


def test_classification_defaults_are_mtebs(srv: ServerHandle, tmp_path: Path) -> None:
    data = write_classification(tmp_path / "cls")
    result = run_task(config(srv, "custom_classification", tmp_path / "out", local_path=str(data)), show_progress=False)
    expected = classification_scores(
        float32_vectors(srv, [t for t, _ in TRAIN]),
        [y for _, y in TRAIN],
        float32_vectors(srv, [t for t, _ in TEST]),
        [y for _, y in TEST],
    )
    assert result["custom_classification"].score == expected["accuracy"]


def test_clustering_v_measure_equals_the_module_on_independent_vectors(srv: ServerHandle, tmp_path: Path) -> None:
    rows = TRAIN + TEST
    data = write_jsonl(tmp_path / "clu" / "test.jsonl", [{"text": t, "label": y} for t, y in rows]).parent
    result = run_task(
        config(srv, "custom_clustering", tmp_path / "out", local_path=str(data), seed=3), show_progress=False
    )
    report = result["custom_clustering"]
    expected = clustering_scores(float32_vectors(srv, [t for t, _ in rows]), [y for _, y in rows], seed=3)
    assert report.metrics[0].name == "v_measure"
    assert report.score == expected["v_measure"]
    assert {metric.name: metric.score for metric in report.metrics} == expected
    assert report.counts.scored == len(rows)


BAD_LABEL_LINE = '{"sentence1": "a", "sentence2": "c", "label": 2}\n'


@pytest.mark.parametrize(
    ("task", "files", "options", "error"),
    [
        (
            "custom_pair_classification",
            {"test.jsonl": '{"sentence1": "a", "sentence2": "b", "label": 1}\n' + BAD_LABEL_LINE},
            {},
            r"test\.jsonl:2: 'label' must be 0 or 1, got 2$",
        ),
        (
            "custom_pair_classification",
            {"test.jsonl": '{"sentence1": "a", "sentence2": "b", "label": 1}\n'},
            {},
            r"test\.jsonl: 1 pairs; average precision needs pairs labelled 0 and 1$",
        ),
        (
            "custom_classification",
            {"test.jsonl": '{"text": "a", "label": "x"}\n'},
            {},
            r"train\.jsonl: file not found",
        ),
        (
            "custom_classification",
            {"train.jsonl": '{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n', "test.jsonl": "{bad\n"},
            {},
            r"test\.jsonl:1: not valid JSON",
        ),
        (
            "custom_classification",
            {"train.jsonl": '{"text": "a", "label": "x"}\n', "test.jsonl": '{"text": "a", "label": "x"}\n'},
            {"n_experiments": 0},
            r"dataset_args\.custom_classification\.n_experiments must be an integer >= 1, got 0$",
        ),
        (
            "custom_classification",
            {
                "train.jsonl": '{"text": "a", "label": 0}\n{"text": "b", "label": 1}\n',
                "test.jsonl": '{"text": "a", "label": "x"}\n',
            },
            {},
            r"test\.jsonl: the labels are strs, train\.jsonl's are ints$",
        ),
        (
            "custom_clustering",
            {"test.jsonl": '{"text": "a", "label": "x"}\n{"text": "b", "label": 1}\n'},
            {},
            r"test\.jsonl:2: label 1 \(int\) is not of the first label's type, str$",
        ),
        (
            "custom_clustering",
            {"test.jsonl": '{"text": "a", "label": "x"}\n{"text": "b", "label": "x"}\n'},
            {},
            r"test\.jsonl: only the label 'x'; clustering needs at least 2 different labels$",
        ),
    ],
)
def test_bad_data_is_one_clear_error_naming_the_file(
    srv: ServerHandle, tmp_path: Path, task: str, files: dict[str, str], options: dict[str, Any], error: str
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name, text in files.items():
        (data / name).write_text(text)
    before = int(srv.stats()["by_endpoint"].get("/v1/embeddings", 0))
    with pytest.raises(UserError, match=error) as raised:
        run_task(config(srv, task, tmp_path / "out", local_path=str(data), **options), show_progress=False)
    assert len(str(raised.value).splitlines()) == 1
    assert int(srv.stats()["by_endpoint"].get("/v1/embeddings", 0)) == before


def test_dry_run_describes_the_classification_task(srv: ServerHandle, tmp_path: Path) -> None:
    data = write_classification(tmp_path / "cls")
    args = [
        sys.executable, "-m", "assay", "eval", "--model", "mock-model", "--eval-type", "embedding",
        "--api-url", srv.url, "--datasets", "custom_classification", "--dry-run",
        "--dataset-args", json.dumps({"custom_classification": {"local_path": str(data)}}),
    ]  # fmt: skip
    env = {**os.environ, "ASSAY_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "300"}
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    expected = (
        f"custom_classification: 9 train texts (3 labels), 5 test texts; 10 experiments of 8 texts per label ({data})"
    )
    assert expected in done.stdout
