"""``assay perf`` as a user meets it: EvalScope's flags, one clear line per mistake, Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assay.cli.main import build_parser
from assay.errors import UserError
from assay.mock_server import ServerConfig, run_server_in_thread
from assay.perf.arguments import PerfArguments


def parse(*argv: str) -> PerfArguments:
    from assay.cli.perf_cmd import arguments_from_cli

    args: PerfArguments = arguments_from_cli(build_parser().parse_args(["perf", *argv]))
    return args


def assay_perf(*argv: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "assay", "perf", *argv]
    return subprocess.Popen(cmd, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def assert_one_line_error(process: subprocess.Popen[str], *fragments: str) -> None:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# ---- flags --------------------------------------------------------------------------------------


def test_defaults_are_evalscope_defaults() -> None:
    args = parse("--model", "qwen")
    assert args.url == "http://127.0.0.1:8877/v1/chat/completions" and args.api == "openai"
    assert [(r.parallel, r.number, r.rate) for r in args.runs()] == [(1, 1000, -1.0)]
    assert args.max_tokens == [2048] and args.temperature == 0.0 and args.stream is True
    assert args.total_timeout == 21600 and args.dataset == "openqa" and args.outputs_dir == "./outputs"
    assert args.sleep_interval == 5 and args.warmup_num == 0


def test_lists_pair_up_as_in_evalscope() -> None:
    runs = parse("--model", "m", "--parallel", "1", "4", "16", "-n", "20", "80", "320").runs()
    assert [(r.name, r.rate) for r in runs] == [
        ("parallel_1_number_20", -1.0),
        ("parallel_4_number_80", -1.0),
        ("parallel_16_number_320", -1.0),
    ]
    paced = parse("--model", "m", "--parallel", "2", "8", "--number", "10", "40", "--rate", "5").runs()
    assert [(r.parallel, r.rate, r.open_loop) for r in paced] == [(2, 5.0, False), (8, 5.0, False)]
    open_loop = parse("--model", "m", "--open-loop", "--rate", "5", "10", "--number", "50", "100").runs()
    assert [(r.name, r.parallel) for r in open_loop] == [("rate_5.0_number_50", -1), ("rate_10.0_number_100", -1)]
    # A single value is repeated (EvalScope would reject these).
    assert [r.number for r in parse("--model", "m", "--parallel", "1", "2").runs()] == [1000, 1000]


def test_model_json_headers_and_extra_args() -> None:
    args = parse(
        "--model",
        '{"model": "qwen", "system_prompt": "Be brief."}',
        "--headers",
        "X-Team=perf",
        "Authorization=Bearer t=1",
        "--extra-args",
        '{"ignore_eos": true}',
        "--stop",
        "a",
        "b",
        "--no-stream",
        "--max-tokens",
        "16",
        "64",
        "--warmup-num",
        "0.1",
    )
    assert args.model == "qwen" and args.system_prompt == "Be brief."
    assert args.headers == {"X-Team": "perf", "Authorization": "Bearer t=1"}
    assert args.extra_args == {"ignore_eos": True} and args.stop == ["a", "b"]
    assert args.stream is False and args.max_tokens == [16, 64]
    assert args.warmup_count(1000) == 100 and args.warmup_count(5) == 1


def test_evalscope_tuning_flags_are_accepted() -> None:
    args = parse("--model", "m", "--db-commit-interval", "10", "--queue-size-multiplier", "3", "--num-workers", "0")
    assert args.num_workers is None  # 0 = auto


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--parallel", "1", "2", "--number", "1", "2", "3"], "--parallel and --number must have the same number"),
        (["--rate", "1", "2"], "add --open-loop"),
        (["--open-loop", "--number", "10"], "--open-loop needs every --rate value > 0"),
        (["--parallel", "0"], "--parallel values must be > 0"),
        (["--max-tokens", "64", "16"], "0 <= min <= max"),
        (["--extra-args", "{bad"], "--extra-args is not valid JSON"),
        (["--sla-auto-tune", "--sla-params", '{"p99_ttft": "<= 2 parsecs"}'], "unit 'parsecs'"),
        (["--sla-auto-tune", "--sla-params", '{"p98_ttft": "<2s"}'], "unknown metric 'p98_ttft'"),
        (["--sla-auto-tune", "--sla-params", "[{"], "--sla-params is not valid JSON"),
        (["--sla-auto-tune"], "--sla-auto-tune needs --sla-params"),
        (["--url", "localhost:8000"], "--url must be an http(s) URL"),
    ],
)
def test_mistakes_are_one_line_user_errors(argv: list[str], message: str) -> None:
    with pytest.raises(UserError) as caught:
        parse("--model", "m", *argv)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_model_is_required() -> None:
    with pytest.raises(UserError, match="--model is required"):
        parse("--parallel", "2")


def test_help_stays_light() -> None:
    code = (
        "import sys; from assay.cli.main import build_parser; build_parser().format_help();"
        "heavy = ('aiohttp', 'uvloop', 'numpy', 'pydantic', 'rich', 'assay.perf.runner');"
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---- as a process -----------------------------------------------------------------------------------


def test_bad_sla_params_exit_2_with_one_line() -> None:
    process = assay_perf("--model", "m", "--sla-auto-tune", "--sla-params", '{"p99_ttft": "fast"}')
    assert_one_line_error(process, "--sla-params p99_ttft", "'fast'")


def test_wrong_url_exits_2_with_one_line(tmp_path: Path) -> None:
    process = assay_perf("--model", "m", "--url", "http://127.0.0.1:9/v1", "--outputs-dir", str(tmp_path))
    assert_one_line_error(process, "cannot connect to http://127.0.0.1:9/v1/chat/completions")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_drains_writes_partial_results_and_exits_130(tmp_path: Path, workers: str) -> None:
    with run_server_in_thread(ServerConfig(ttft_ms=20, itl_ms=2)) as srv:
        process = assay_perf(
            *("--model", "m", "--url", srv.url, "--prompt", "hi", "--parallel", "4", "--number", "20000"),
            *("--outputs-dir", str(tmp_path), "--num-workers", workers, "--max-tokens", "8"),
        )
        deadline = time.monotonic() + 30
        while srv.stats()["requests_total"] < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 130, (out, err)
    assert "interrupted" in err and "Traceback" not in err
    (run_dir,) = tmp_path.glob("*/m/parallel_4_number_20000")
    data = json.loads((run_dir / "benchmark_summary.json").read_text())
    assert 0 < data["Total Requests"] < 20_000
    assert data["Interrupted"].startswith("yes")
    assert (run_dir / "benchmark_data.db").stat().st_size > 0
    assert (run_dir.parent / "perf_report.html").exists()


def test_failed_requests_get_one_warning_line_naming_their_classes(capsys: pytest.CaptureFixture[str]) -> None:
    from types import SimpleNamespace

    from assay.cli.perf_cmd import _warn_about_failures

    summary = {"Total Requests": 10, "Failed Requests": 7, "Failed: connect error": 6, "Failed: timeout": 1}
    bad = SimpleNamespace(
        metrics=SimpleNamespace(full_summary=lambda: summary), spec=SimpleNamespace(name="parallel_4_number_10"),
        run_dir="out/parallel_4_number_10",
    )  # fmt: skip
    good = SimpleNamespace(
        metrics=SimpleNamespace(full_summary=lambda: {"Total Requests": 3, "Failed Requests": 0}),
        spec=SimpleNamespace(name="x"), run_dir="y",
    )  # fmt: skip
    _warn_about_failures([bad, good])
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "assay: parallel_4_number_10: 7 of 10 requests failed (6 connect error, 1 timeout); the server stopped "
        "answering or refused connections; partial results are in out/parallel_4_number_10"
    ]
