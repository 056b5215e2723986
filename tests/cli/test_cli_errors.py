"""The CLI as a new user meets it: fast help, and one clear line (exit 2) for every mistake."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from assay.mock_server import ServerConfig, run_server_in_thread

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"


def assay(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assay", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "nan" not in result.stderr.lower().split()
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys; from assay.cli.main import build_parser; build_parser().format_help();"
        "heavy = [m for m in ('datasets', 'numpy', 'aiohttp', 'pydantic', 'rich', 'torch', 'math_verify', 'pandas')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_help_lists_the_evalscope_flags() -> None:
    text = assay("eval", "--help").stdout
    for flag in (
        "--model",
        "--model-id",
        "--model-args",
        "--chat-template",
        "--datasets",
        "--dataset-args",
        "--dataset-dir",
        "--dataset-hub",
        "--generation-config",
        "--eval-type",
        "--eval-batch-size",
        "--limit",
        "--repeats",
        "--use-cache",
        "--rerun-review",
        "--work-dir",
        "--no-timestamp",
        "--ignore-errors",
        "--debug",
        "--dry-run",
        "--seed",
        "--api-key",
        "--api-url",
        "--judge",
        "--judge-strategy",
        "--judge-model-args",
        "--stream",
        "--timeout",
    ):
        assert flag in text


def test_unknown_flag_suggests_the_right_one() -> None:
    assert_one_line_error(assay("eval", "--modle", "x"), "--modle", "did you mean '--model'")


def test_unknown_benchmark_suggests_the_right_one(tmp_path: Path) -> None:
    result = assay("eval", "--model", "m", "--api-url", "http://127.0.0.1:9/v1", "--datasets", "gsm8", "--dry-run")
    assert_one_line_error(result, "gsm8", "did you mean 'gsm8k'")


def test_invalid_json_in_dataset_args() -> None:
    result = assay("eval", "--model", "m", "--datasets", "gsm8k", "--dataset-args", '{"gsm8k": {few_shot_num: 0}}')
    assert_one_line_error(result, "invalid JSON", "--dataset-args")


def test_unknown_dataset_args_key_suggests_the_right_one() -> None:
    args = json.dumps({"gsm8k": {"few_shot_nums": 0}})
    result = assay("eval", "--model", "m", "--datasets", "gsm8k", "--dataset-args", args, "--dry-run")
    assert_one_line_error(result, "few_shot_nums", "few_shot_num")


def test_missing_local_file_names_the_path(tmp_path: Path) -> None:
    args = json.dumps({"gsm8k": {"local_path": str(tmp_path / "nope"), "few_shot_num": 0}})
    result = assay("eval", "--model", "m", "--datasets", "gsm8k", "--dataset-args", args, "--dry-run")
    assert_one_line_error(result, str(tmp_path / "nope"))


def test_file_with_wrong_columns_names_the_column(tmp_path: Path) -> None:
    (tmp_path / "test.jsonl").write_text(json.dumps({"prompt": "1+1?", "answer": "#### 2"}) + "\n")
    args = json.dumps({"gsm8k": {"local_path": str(tmp_path), "few_shot_num": 0}})
    result = assay("eval", "--model", "m", "--datasets", "gsm8k", "--dataset-args", args, "--dry-run")
    assert_one_line_error(result, "question")


def test_unreachable_server_is_reported_before_any_sample(tmp_path: Path) -> None:
    args = json.dumps({"general_mcq": {"local_path": str(EXAMPLES / "general_mcq"), "subset_list": ["example"]}})
    result = assay(
        "eval",
        "--model",
        "m",
        "--api-url",
        "http://127.0.0.1:9/v1",
        "--datasets",
        "general_mcq",
        "--dataset-args",
        args,
        "--work-dir",
        str(tmp_path),
        "--no-timestamp",
    )
    assert_one_line_error(result, "127.0.0.1:9", "--api-url")
    assert not list((tmp_path / "predictions").rglob("*.jsonl"))


def test_wrong_api_key_is_one_line_without_the_key(tmp_path: Path) -> None:
    args = json.dumps({"general_mcq": {"local_path": str(EXAMPLES / "general_mcq"), "subset_list": ["example"]}})
    with run_server_in_thread(ServerConfig(api_key="right-key")) as srv:
        result = assay(
            "eval",
            "--model",
            "m",
            "--api-url",
            srv.url,
            "--api-key",
            "wrong-key-123",
            "--datasets",
            "general_mcq",
            "--dataset-args",
            args,
            "--work-dir",
            str(tmp_path),
        )
    assert_one_line_error(result, "API key")
    assert "wrong-key-123" not in result.stderr + result.stdout


def test_dry_run_prints_config_with_masked_key_and_sample_counts(tmp_path: Path) -> None:
    args = json.dumps({"general_mcq": {"local_path": str(EXAMPLES / "general_mcq"), "subset_list": ["example"]}})
    result = assay(
        "eval",
        "--model",
        "m",
        "--api-url",
        "http://127.0.0.1:9/v1",
        "--api-key",
        "sk-xyz",
        "--datasets",
        "general_mcq",
        "--dataset-args",
        args,
        "--dry-run",
    )
    assert result.returncode == 0, result.stderr
    assert "sk-xyz" not in result.stdout
    assert "general_mcq: 12 samples" in result.stdout


def test_benchmark_info_list_is_one_per_line_name_first() -> None:
    lines = assay("benchmark-info", "--list").stdout.splitlines()
    names = [line.split("\t")[0] for line in lines]
    assert {"gsm8k", "arc", "mmlu", "general_qa", "general_mcq"} <= set(names)
