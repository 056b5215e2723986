"""Every user mistake we know of, as a user makes it: a real ``assay`` process, one line, exit 2.

Each case runs ``python -m assay ...`` offline (``HF_HUB_OFFLINE=1``, an empty ``ASSAY_CACHE_DIR``)
and asserts what issue 15 asks of every mistake: exit code 2, exactly one non-empty line on stderr
that names the culprit (a flag, key, file or value), no traceback, and no output folder that a later
``--use-cache`` could mistake for a run. The checks come before any network or dataset access, so
the server URL is a closed port (``127.0.0.1:9``): a case that got as far as networking would name
that URL instead of its culprit and fail.

Placeholders in arguments, culprits and files: ``@TMP@`` (the test's folder, also the working
directory), ``@OUT@`` (the output folder that must stay absent), ``@MCQ@`` (the example general_mcq
data).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from assay.config import TaskConfig
from assay.errors import UserError
from assay.types import GenerateConfig

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
UNREACHABLE = "http://127.0.0.1:9/v1"


@dataclass(frozen=True)
class Mistake:
    """One mistake: the command line, what the error line must name, and files it needs."""

    id: str
    args: tuple[str, ...]
    culprit: str
    files: dict[str, str] = field(default_factory=dict)


def mcq_args(**options: Any) -> str:
    """``--dataset-args`` for the example general_mcq data, with ``options`` added."""
    return json.dumps({"general_mcq": {"local_path": "@MCQ@", "subset_list": ["example"], **options}})


EVAL = ("eval", "--model", "m", "--api-url", UNREACHABLE, "--work-dir", "@OUT@")
EVAL_MCQ = (*EVAL, "--datasets", "general_mcq", "--dataset-args", mcq_args())
PERF = ("perf", "--url", UNREACHABLE + "/chat/completions", "--model", "m", "--outputs-dir", "@OUT@", "-n", "1")
RUN_DIR = {"run/reports/m/general_mcq.json": "{}"}


def gen(setting: str) -> Mistake:
    """An out-of-range ``--generation-config`` setting; the key is the culprit."""
    key = setting.split("=")[0]
    return Mistake(f"eval-generation-{setting}", (*EVAL_MCQ, "--generation-config", setting), key)


def config_file(case_id: str, text: str, culprit: str, name: str = "task.yaml") -> Mistake:
    """``assay eval --config FILE`` with ``text`` as the file."""
    return Mistake(case_id, ("eval", "--config", f"@TMP@/{name}", "--work-dir", "@OUT@"), culprit, {name: text})


GOOD_CONFIG = f"model: m\napi_url: {UNREACHABLE}\ndatasets: [general_mcq]\n"

EVAL_MISTAKES = [
    Mistake("eval-misspelt-flag", ("eval", "--modle", "m"), "--modle"),
    Mistake("eval-stream-with-value", (*EVAL_MCQ, "--stream", "True"), "--stream"),
    Mistake("eval-stream-equals-value", (*EVAL_MCQ, "--stream=true"), "--stream"),
    Mistake("eval-dry-run-with-value", (*EVAL_MCQ, "--dry-run", "yes"), "--dry-run"),
    Mistake("eval-repeats-as-n-with-value", (*EVAL_MCQ, "--repeats-as-n", "false"), "--repeats-as-n"),
    Mistake("eval-limit-not-a-number", (*EVAL_MCQ, "--limit", "ten"), "--limit"),
    Mistake("eval-limit-zero", (*EVAL_MCQ, "--limit", "0"), "limit"),
    Mistake("eval-limit-negative", (*EVAL_MCQ, "--limit", "-3"), "limit"),
    Mistake("eval-repeats-not-a-number", (*EVAL_MCQ, "--repeats", "two"), "--repeats"),
    Mistake("eval-repeats-zero", (*EVAL_MCQ, "--repeats", "0"), "repeats"),
    Mistake("eval-batch-size-zero", (*EVAL_MCQ, "--eval-batch-size", "0"), "eval_batch_size"),
    Mistake("eval-seed-not-a-number", (*EVAL_MCQ, "--seed", "abc"), "--seed"),
    Mistake("eval-keep-images-unknown", (*EVAL_MCQ, "--keep-images", "big"), "--keep-images"),
    Mistake("eval-judge-strategy-unknown", (*EVAL_MCQ, "--judge-strategy", "smart"), "--judge-strategy"),
    Mistake("eval-judge-worker-num-zero", (*EVAL_MCQ, "--judge-worker-num", "0"), "judge_worker_num"),
    Mistake("eval-no-model", ("eval", "--datasets", "gsm8k", "--work-dir", "@OUT@"), "--model"),
    Mistake("eval-api-url-without-scheme", (*EVAL_MCQ, "--api-url", "127.0.0.1:8000/v1"), "--api-url"),
    Mistake("eval-model-args-unknown-api", (*EVAL_MCQ, "--model-args", "api=chatt"), "chatt"),
    Mistake("eval-limit-fraction-above-one", (*EVAL_MCQ, "--limit", "1.5"), "limit"),
    Mistake("eval-no-datasets", EVAL, "--datasets"),
    Mistake("eval-unknown-benchmark", (*EVAL, "--datasets", "gsm8"), "gsm8"),
    Mistake("eval-unknown-eval-type", (*EVAL_MCQ, "--eval-type", "openai"), "openai"),
    Mistake("eval-unknown-eval-backend", (*EVAL_MCQ, "--eval-backend", "OpenCompass"), "OpenCompass"),
    Mistake("eval-unknown-dataset-hub", (*EVAL_MCQ, "--dataset-hub", "hf"), "hf"),
    Mistake("eval-missing-dataset-dir", (*EVAL, "--datasets", "gsm8k", "--dataset-dir", "@TMP@/nope"), "@TMP@/nope"),
    Mistake(
        "eval-missing-local-path",
        (*EVAL, "--datasets", "gsm8k", "--dataset-args", json.dumps({"gsm8k": {"local_path": "@TMP@/nope"}})),
        "@TMP@/nope",
    ),
    Mistake("eval-use-cache-missing", (*EVAL_MCQ, "--use-cache", "@TMP@/old-run"), "--use-cache"),
    Mistake(
        "eval-dataset-args-bad-json", (*EVAL, "--datasets", "general_mcq", "--dataset-args", "{x: 1}"), "--dataset-args"
    ),
    Mistake(
        "eval-dataset-args-unknown-key",
        (*EVAL, "--datasets", "general_mcq", "--dataset-args", mcq_args(few_shot_nums=0)),
        "few_shot_nums",
    ),
    Mistake(
        "eval-dataset-args-for-another-benchmark",
        (*EVAL, "--datasets", "general_mcq", "--dataset-args", json.dumps({"arc": {"few_shot_num": 0}})),
        "arc",
    ),
    Mistake(
        "eval-unknown-metric",
        (*EVAL, "--datasets", "general_mcq", "--dataset-args", mcq_args(metric_list=["accc"])),
        "accc",
    ),
    Mistake(
        "eval-unknown-aggregation",
        (*EVAL, "--datasets", "general_mcq", "--dataset-args", mcq_args(aggregation="mean_pass")),
        "mean_pass",
    ),
    Mistake(
        "eval-unknown-filter",
        (*EVAL, "--datasets", "general_mcq", "--dataset-args", mcq_args(filters={"remove_think": None})),
        "remove_think",
    ),
    Mistake(
        "eval-unknown-extra-param",
        (*EVAL, "--datasets", "general_mcq", "--dataset-args", mcq_args(extra_params={"nope": 1})),
        "nope",
    ),
    Mistake(
        "eval-unknown-placeholder",
        (*EVAL, "--datasets", "general_mcq", "--dataset-args", mcq_args(prompt_template="{questoin} {choices}")),
        "prompt_template",
    ),
    Mistake(
        "eval-unknown-subset",
        (*EVAL, "--datasets", "arc", "--dataset-args", json.dumps({"arc": {"subset_list": ["ARC-Chalenge"]}})),
        "ARC-Chalenge",
    ),
    Mistake("eval-model-args-unparsable", (*EVAL_MCQ, "--model-args", "api"), "--model-args"),
    Mistake(
        "eval-generation-config-unparsable", (*EVAL_MCQ, "--generation-config", "max_tokens"), "--generation-config"
    ),
    gen("max_tokens=0"),
    gen("max_tokens=-5"),
    gen("temperature=-0.5"),
    gen("top_p=0"),
    gen("top_p=1.5"),
    gen("top_k=-2"),
    gen("n=0"),
    gen("timeout=-1"),
    gen("retries=-1"),
    gen("retry_interval=-1"),
    gen("presence_penalty=3"),
    gen("max_tokens=many"),
    Mistake("eval-deprecated-timeout-negative", (*EVAL_MCQ, "--timeout", "-5"), "timeout"),
    Mistake("eval-judge-bad-json", (*EVAL_MCQ, "--judge", "{strategy: llm}"), "--judge"),
    Mistake("eval-judge-unknown-strategy", (*EVAL_MCQ, "--judge", json.dumps({"strategy": "smart"})), "strategy"),
    Mistake("eval-judge-unknown-key", (*EVAL_MCQ, "--judge", json.dumps({"strategie": "llm"})), "strategie"),
    Mistake("eval-judge-model-args-unknown-key", (*EVAL_MCQ, "--judge-model-args", "modle_id=j"), "modle_id"),
    Mistake("eval-judge-without-a-model", (*EVAL_MCQ, "--judge-strategy", "llm"), "judge model"),
    Mistake(
        "eval-judge-temperature-negative",
        (*EVAL_MCQ, "--judge", json.dumps({"models": [{"model_id": "j", "generation_config": {"temperature": -1}}]})),
        "temperature",
    ),
    Mistake(
        "eval-few-shot-negative",
        (*EVAL, "--datasets", "general_mcq", "--dataset-args", mcq_args(few_shot_num=-1)),
        "few_shot_num",
    ),
]

CONFIG_MISTAKES = [
    Mistake("config-file-missing", ("eval", "--config", "@TMP@/nope.yaml", "--work-dir", "@OUT@"), "nope.yaml"),
    config_file("config-invalid-yaml", GOOD_CONFIG + "limit: [3\n", "task.yaml"),
    config_file("config-yaml-bad-indent", "model: m\n  datasets: [arc]\n", "task.yaml"),
    config_file("config-yaml-tab", "model: m\n\tdatasets: [arc]\n", "task.yaml"),
    config_file("config-invalid-json", '{"model": "m", "datasets": ["arc"],}', "task.json", name="task.json"),
    config_file("config-not-a-mapping", "- model: m\n", "task.yaml"),
    config_file("config-empty", "", "task.yaml"),
    config_file("config-not-utf8", "model: caf\udce9\n", "task.yaml"),
    config_file("config-unknown-key", GOOD_CONFIG + "reapeats: 4\n", "reapeats"),
    config_file("config-wrong-type", GOOD_CONFIG + "repeats: many\n", "repeats"),
    config_file("config-max-tokens-negative", GOOD_CONFIG + "generation_config: {max_tokens: -1}\n", "max_tokens"),
    config_file("config-temperature-text", GOOD_CONFIG + "generation_config: {temperature: hot}\n", "temperature"),
    config_file("config-top-p-too-big", GOOD_CONFIG + "generation_config:\n  top_p: 2\n", "top_p"),
    config_file("config-dataset-args-a-list", GOOD_CONFIG + "dataset_args: [general_mcq]\n", "dataset_args"),
    config_file("config-unknown-benchmark", "model: m\ndatasets: [gsm8kk]\n", "gsm8kk"),
    config_file("config-missing-dataset-dir", GOOD_CONFIG + "dataset_dir: @TMP@/data\n", "@TMP@/data"),
    config_file(
        "config-missing-local-path", GOOD_CONFIG + "dataset_args:\n  general_mcq:\n    local_path: mine/\n", "mine/"
    ),
    config_file("config-model-and-models", GOOD_CONFIG + "models: [{model: a}, {model: b}]\n", "models"),
    config_file(
        "config-models-entry-not-a-model-key",
        GOOD_CONFIG.replace("model: m\n", "models: [{model: a, limit: 3}, b]\n"),
        "limit",
    ),
]

SWEEP_MISTAKES = [
    Mistake("eval-sweep-same-model-id", (*EVAL_MCQ[:1], "--model", "x/m", "y/m", *EVAL_MCQ[3:]), "model_id"),
    Mistake(
        "eval-sweep-model-id-for-all",
        (*EVAL_MCQ[:1], "--model", "a", "b", *EVAL_MCQ[3:], "--model-id", "z"),
        "model_id",
    ),
    Mistake("eval-sweep-unknown-benchmark", (*EVAL[:1], "--model", "a", "b", *EVAL[3:], "--datasets", "arcc"), "arcc"),
]

PERF_MISTAKES = [
    # Found only after the output folder was made (the data, the server): the folder is removed again.
    Mistake("eval-server-unreachable", EVAL_MCQ, UNREACHABLE),
    Mistake(
        "eval-data-without-option-columns",
        (
            *EVAL,
            "--datasets",
            "general_mcq",
            "--dataset-args",
            json.dumps({"general_mcq": {"local_path": "@TMP@/bad"}}),
        ),
        "expected columns A, B",
        {"bad/default_val.csv": "q,x\n1,2\n"},
    ),
    Mistake("perf-no-model", ("perf", "--url", UNREACHABLE, "--outputs-dir", "@OUT@"), "--model"),
    Mistake("perf-url-without-scheme", ("perf", "--url", "localhost:8000", "--model", "m"), "--url"),
    Mistake("perf-query-template-bad-json", (*PERF, "--query-template", "{prompt}"), "--query-template"),
    Mistake("perf-misspelt-flag", (*PERF, "--parallell", "4"), "--parallell"),
    Mistake("perf-stream-with-value", (*PERF, "--stream", "True"), "--stream"),
    Mistake("perf-parallel-zero", (*PERF, "--parallel", "0"), "--parallel"),
    Mistake("perf-parallel-not-a-number", (*PERF, "--parallel", "four"), "--parallel"),
    Mistake(
        "perf-number-zero",
        ("perf", "--url", UNREACHABLE, "--model", "m", "--outputs-dir", "@OUT@", "-n", "0"),
        "--number",
    ),
    Mistake("perf-sweep-lengths-differ", (*PERF[:-2], "--parallel", "1", "2", "--number", "4", "8", "16"), "--number"),
    Mistake("perf-rate-negative", (*PERF, "--rate", "-2"), "--rate"),
    Mistake("perf-max-tokens-zero", (*PERF, "--max-tokens", "0"), "max-tokens"),
    Mistake("perf-temperature-negative", (*PERF, "--temperature", "-1"), "temperature"),
    Mistake("perf-top-p-too-big", (*PERF, "--top-p", "2"), "top-p"),
    Mistake("perf-unknown-dataset", (*PERF, "--dataset", "openqaa"), "openqaa"),
    Mistake("perf-unknown-api", (*PERF, "--api", "opnai"), "opnai"),
    Mistake("perf-extra-args-bad-json", (*PERF, "--extra-args", "{ignore_eos: true}"), "--extra-args"),
    Mistake("perf-headers-without-equals", (*PERF, "--headers", "X-Token"), "--headers"),
    Mistake("perf-visualizer-unknown", (*PERF, "--visualizer", "tensorboard"), "--visualizer"),
    Mistake("perf-sla-params-bad-json", (*PERF, "--sla-auto-tune", "--sla-params", "p99<2"), "--sla-params"),
    Mistake(
        "perf-dataset-path-missing",
        (*PERF, "--dataset", "line_by_line", "--dataset-path", "@TMP@/nope.txt"),
        "@TMP@/nope.txt",
    ),
    Mistake("perf-prompt-file-missing", (*PERF, "--prompt", "@@TMP@/nope.txt"), "@TMP@/nope.txt"),
    Mistake(
        "perf-prompt-lengths-inverted",
        (*PERF, "--min-prompt-length", "100", "--max-prompt-length", "10"),
        "--min-prompt-length 100 is above --max-prompt-length 10",
    ),
    Mistake(
        "perf-model-json-unknown-key",
        (*PERF[:4], "--model", json.dumps({"model": "m", "temp": 1}), *PERF[6:]),
        "--model",
    ),
]

APP_MISTAKES = [
    Mistake("app-outputs-missing", ("app", "--outputs", "@TMP@/nope"), "@TMP@/nope"),
    Mistake("app-outputs-is-one-run", ("app", "--outputs", "@TMP@/run"), "--outputs", RUN_DIR),
    Mistake("app-port-not-a-number", ("app", "--outputs", "@TMP@", "--port", "http"), "--port"),
    Mistake("app-port-out-of-range", ("app", "--outputs", "@TMP@", "--port", "70000"), "--port"),
    Mistake("app-port-negative", ("app", "--outputs", "@TMP@", "--port", "-1"), "--port"),
    Mistake("app-bundle-no-run-dir", ("app", "bundle", "--out", "@OUT@/r.html"), "RUN_DIR"),
    Mistake("app-bundle-not-a-run", ("app", "bundle", "@TMP@", "--out", "@OUT@/r.html"), "@TMP@"),
    Mistake(
        "app-bundle-negative-samples",
        ("app", "bundle", "@TMP@/run", "--samples", "-1", "--out", "@OUT@/r.html"),
        "--samples",
        RUN_DIR,
    ),
    Mistake("app-misspelt-flag", ("app", "--outptus=@TMP@"), "--outptus"),
    Mistake(
        "app-bundle-samples-not-a-number", ("app", "bundle", "@TMP@/run", "--samples", "all"), "--samples", RUN_DIR
    ),
]

TOP_MISTAKES = [
    Mistake("unknown-command", ("evaluate", "--model", "m"), "evaluate"),
]

CATALOGUE = EVAL_MISTAKES + CONFIG_MISTAKES + SWEEP_MISTAKES + PERF_MISTAKES + APP_MISTAKES + TOP_MISTAKES


def test_invalid_yaml_names_the_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "task.yaml").write_text(GOOD_CONFIG + "limit: [3\n")
    with pytest.raises(UserError, match=r"task\.yaml: expected ',' or '\]'.* at line 5 column 1 .*line 4 column 8"):
        TaskConfig.from_any(tmp_path / "task.yaml")


def test_edge_values_inside_the_generation_ranges_are_accepted() -> None:
    config = GenerateConfig(max_tokens=1, temperature=0, top_p=1, top_k=-1, n=1, retries=0, retry_interval=0)
    assert (config.top_k, config.top_p, config.retries) == (-1, 1, 0)
    assert GenerateConfig(presence_penalty=-2, frequency_penalty=2, timeout=0.01).timeout == 0.01


def fill(text: str, tmp: Path) -> str:
    return (
        text.replace("@TMP@", str(tmp))
        .replace("@OUT@", str(tmp / "out"))
        .replace("@MCQ@", str(EXAMPLES / "general_mcq"))
    )


def test_catalogue_ids_are_unique_and_cover_enough_mistakes() -> None:
    ids = [case.id for case in CATALOGUE]
    assert len(ids) == len(set(ids))
    assert len(CATALOGUE) >= 60


@pytest.mark.parametrize("case", CATALOGUE, ids=lambda case: case.id)
def test_mistake_is_one_line_naming_the_culprit(case: Mistake, tmp_path: Path) -> None:
    for name, text in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(fill(text, tmp_path).encode("utf-8", "surrogateescape"))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSAY_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = subprocess.run(
        [sys.executable, "-m", "assay", *(fill(arg, tmp_path) for arg in case.args)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert fill(case.culprit, tmp_path) in lines[0], lines[0]
    assert not (tmp_path / "out").exists(), "a mistake must not leave an output folder behind"
    assert not (tmp_path / "outputs").exists()
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if not p.is_relative_to(tmp_path / "cache"))
    assert after == before
