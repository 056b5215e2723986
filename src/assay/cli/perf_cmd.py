"""``assay perf``: EvalScope's ``evalscope perf`` flags, same names, defaults and meaning.

Only ``argparse`` is imported here; the benchmark code loads when the command runs, so
``assay --help`` stays instant.

Beyond EvalScope: ``--model`` also takes JSON (``'{"model": "qwen", "system_prompt": "Be brief."}'``),
``--burstiness`` shapes ``--rate`` arrivals, ``--num-workers`` sets client processes, ``--executor ray``
puts them on Ray actors (docs/distributed.md). EvalScope's
queue and logging tuning flags are accepted and ignored (Assay's client has no such queues).

Example:
    $ assay perf --url http://127.0.0.1:8000/v1/chat/completions --model qwen \\
        --parallel 1 8 64 --number 100 400 1600 --stream
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

#: EvalScope flags that tune its internal queues or logging; accepted for compatibility, unused.
_IGNORED_FLAGS = (
    "--db-commit-interval",
    "--queue-size-multiplier",
    "--in-flight-task-multiplier",
    "--log-every-n-query",
    "--image-patch-size",  # EvalScope's local image-token estimate; image tokens come from server usage here
)
_CONTROL = {"func", "command", "no_progress", "enable_progress_tracker"}


class _KeyValueAction(argparse.Action):
    """``--headers k=v k2=v2`` into a dict (EvalScope's ``ParseKVAction``)."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        pairs: dict[str, str] = {}
        for item in values or []:
            key, sep, value = str(item).partition("=")
            if not sep or not key.strip():
                parser.error(f"{option} expects key=value pairs, got {item!r}")
            pairs[key.strip()] = value.strip()
        setattr(namespace, self.dest, pairs)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``perf`` to the ``assay`` parser."""
    p = sub.add_parser(
        "perf",
        help="stress-test a serving endpoint (EvalScope perf compatible)",
        description="Measure a model server's latency and throughput under load, with EvalScope's flags and files.",
    )
    _target_flags(p.add_argument_group("target"))
    _load_flags(p.add_argument_group("load"))
    _request_flags(p.add_argument_group("request"))
    _prompt_flags(p.add_argument_group("prompts"))
    _output_flags(p.add_argument_group("outputs"))
    _sla_flags(p.add_argument_group("SLA auto-tune"))
    for flag in _IGNORED_FLAGS:
        p.add_argument(flag, dest="_ignored" + flag.replace("-", "_"), help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def _target_flags(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--model", help='model name sent in requests, or JSON: \'{"model": "qwen", "system_prompt": "..."}\''
    )
    g.add_argument(
        "--url",
        help="endpoint URL, or a base URL such as http://host:8000/v1 (default http://127.0.0.1:8877/v1/chat/completions)",
    )
    g.add_argument("--api", help="request protocol: openai (chat), openai_completions, embeddings, or a registered one")
    g.add_argument("--api-key", help="sent as 'Authorization: Bearer KEY'; never written to outputs")
    g.add_argument("--headers", nargs="+", action=_KeyValueAction, metavar="KEY=VALUE", help="extra HTTP headers")
    g.add_argument("--connect-timeout", type=float, help="seconds to connect (default: no limit)")
    g.add_argument("--read-timeout", type=float, help="seconds allowed between two reads (default: no limit)")
    g.add_argument("--total-timeout", type=float, help="seconds allowed per request (default 21600)")
    g.add_argument("--no-test-connection", action="store_true", default=None, help="skip the test request")


def _load_flags(g: argparse._ArgumentGroup) -> None:
    g.add_argument("--parallel", type=int, nargs="+", help="concurrent requests of each run (default 1)")
    g.add_argument("-n", "--number", type=int, nargs="+", help="requests of each run (default 1000)")
    g.add_argument("--rate", type=float, nargs="+", help="requests/s (Poisson): with --open-loop one per run")
    g.add_argument("--burstiness", type=float, help="gamma shape of arrival gaps: 1 Poisson, <1 burstier")
    g.add_argument("--open-loop", action="store_true", default=None, help="send on schedule regardless of replies")
    g.add_argument("--duration", type=float, help="seconds each run sends for (with --number, first limit wins)")
    g.add_argument("--warmup-num", type=float, help="warmup requests per run: a count, or a fraction of --number")
    g.add_argument("--sleep-interval", type=float, help="seconds between the runs of a sweep (default 5)")
    g.add_argument(
        "--num-workers", type=int, help="client processes (default 0: auto, by expected load; Ray: one per CPU)"
    )
    g.add_argument(
        "--executor",
        choices=["local", "ray"],
        help="run the load generators as local processes (default) or as Ray actors, on many hosts",
    )
    g.add_argument("--ray-address", help="--executor ray: Ray cluster to join (default: start a local Ray)")


def _request_flags(g: argparse._ArgumentGroup) -> None:
    g.add_argument("--stream", action=argparse.BooleanOptionalAction, default=None, help="stream with SSE (default)")
    g.add_argument("--max-tokens", type=int, nargs="+", help="max_tokens, or MIN MAX drawn per request (default 2048)")
    g.add_argument("--min-tokens", type=int, help="min_tokens (vLLM / SGLang) for fixed output lengths")
    g.add_argument("--temperature", type=float, help="sampling temperature (default 0)")
    g.add_argument("--top-p", type=float)
    g.add_argument("--top-k", type=int)
    g.add_argument("--frequency-penalty", type=float)
    g.add_argument("--repetition-penalty", type=float)
    g.add_argument("--logprobs", action="store_true", default=None)
    g.add_argument("--n-choices", type=int, help="choices per request (n)")
    g.add_argument("--seed", type=int, help="sampling seed sent to the server; also seeds the arrival schedule")
    g.add_argument("--stop", nargs="*", help="stop strings")
    g.add_argument("--stop-token-ids", type=int, nargs="*", help="stop token ids")
    g.add_argument("--extra-args", help="JSON merged into every request body, e.g. '{\"ignore_eos\": true}'")


def _prompt_flags(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--dataset",
        help="prompt source: openqa, line_by_line, random, speed_benchmark, sharegpt, custom, flickr8k, random_vl",
    )
    g.add_argument("--dataset-path", help="file or folder the prompt source reads")
    g.add_argument("--prompt", help="one fixed prompt for every request (or @file)")
    g.add_argument("--query-template", help="JSON request template with a {prompt} placeholder")
    g.add_argument("--min-prompt-length", type=int, help="shortest prompt kept (tokens with a tokenizer, else chars)")
    g.add_argument("--max-prompt-length", type=int, help="longest prompt kept (default 131072)")
    g.add_argument("--prefix-length", type=int, help="tokens of shared prefix in random prompts")
    g.add_argument("--tokenizer-path", help="tokenizer for exact token counts (local folder or cached model id)")
    g.add_argument("--tokenize-prompt", action="store_true", default=None, help="send token ids (completions)")
    g.add_argument("--apply-chat-template", action=argparse.BooleanOptionalAction, default=None)
    g.add_argument("--image-width", type=int, help="random_vl: image width in pixels (default 224)")
    g.add_argument("--image-height", type=int, help="random_vl: image height in pixels (default 224)")
    g.add_argument("--image-format", help="random_vl: PIL colour mode RGB, RGBA, L or P; sent as PNG (default RGB)")
    g.add_argument("--image-num", type=int, help="random_vl: images per request (default 1)")
    g.add_argument("--rerank-documents", type=int, help="--api rerank: documents per query, from --dataset (default 8)")


def _output_flags(g: argparse._ArgumentGroup) -> None:
    g.add_argument("--outputs-dir", help="root folder of results (default ./outputs)")
    g.add_argument("--no-timestamp", action="store_true", default=None, help="no timestamped sub-folder")
    g.add_argument(
        "--resume",
        metavar="DIR",
        help="continue a killed sweep in DIR (the 'outputs:' folder it printed): finished runs are kept",
    )
    g.add_argument("--name", help="result folder and visualizer run name (default: the model name)")
    g.add_argument("--visualizer", choices=["wandb", "swanlab"], help="log summaries (offline without an API key)")
    g.add_argument("--wandb-api-key", help="[deprecated in EvalScope] prefer WANDB_API_KEY")
    g.add_argument("--swanlab-api-key", help="[deprecated in EvalScope] prefer SWANLAB_API_KEY")
    g.add_argument("--debug", action="store_true", default=None, help="tracebacks instead of one-line errors")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--enable-progress-tracker", action="store_true", help=argparse.SUPPRESS)


def _sla_flags(g: argparse._ArgumentGroup) -> None:
    g.add_argument("--sla-auto-tune", action="store_true", default=None, help="find the highest load meeting an SLA")
    g.add_argument("--sla-variable", choices=["parallel", "rate"], help="what to tune (default parallel)")
    g.add_argument("--sla-params", help='criteria as JSON, e.g. \'[{"p99_ttft": "<=2s", "avg_tpot": "<50ms"}]\'')
    g.add_argument("--sla-num-runs", type=int, help="runs averaged per tested value (default 3)")
    g.add_argument("--sla-upper-bound", type=int, help="highest value tried (default 65536)")
    g.add_argument("--sla-lower-bound", type=int, help="lowest value tried (default 1)")
    g.add_argument("--sla-fixed-parallel", type=int, help="concurrency cap while tuning rate")
    g.add_argument("--sla-number-multiplier", type=float, help="requests per probe = value x this (default 2)")


def _json_flag(flag: str, text: str) -> Any:
    import json

    from assay.errors import UserError

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{flag} is not valid JSON ({exc.msg} at char {exc.pos}): {text!r}") from None


def _model_flag(text: str) -> dict[str, Any]:
    """``--model NAME`` or ``--model '{"model": NAME, "system_prompt": ...}'``."""
    from assay.errors import UserError

    if not text.lstrip().startswith("{"):
        return {"model": text}
    spec = _json_flag("--model", text)
    name = spec.pop("model", None) or spec.pop("name", None)
    unknown = sorted(set(spec) - {"system_prompt"})
    if not isinstance(name, str) or unknown:
        raise UserError('--model JSON takes "model" (the name) and optionally "system_prompt", got ' + text)
    return {"model": name, **spec}


def arguments_from_cli(args: argparse.Namespace) -> Any:
    """The validated :class:`~assay.perf.arguments.PerfArguments` of a parsed command line."""
    from assay.errors import UserError
    from assay.perf.arguments import PerfArguments

    values: dict[str, Any] = {}
    for key, value in vars(args).items():
        if key in _CONTROL or key.startswith("_ignored") or value is None:
            continue
        values[key] = value
    if "model" not in values:
        raise UserError("--model is required (the model name the server serves)")
    values.update(_model_flag(values.pop("model")))
    for flag in ("extra_args", "sla_params"):
        if isinstance(values.get(flag), str):
            values[flag] = _json_flag("--" + flag.replace("_", "-"), values[flag])
    if values.get("num_workers") == 0:
        values["num_workers"] = None
    return PerfArguments.build(values)


def run(args: argparse.Namespace) -> int:
    """Run ``assay perf``: 0 when done, 130 after Ctrl-C (results so far are written), 2 on user mistakes."""
    from rich.console import Console

    from assay.perf.runner import run_perf

    perf_args = arguments_from_cli(args)
    show_progress = not args.no_progress and sys.stderr.isatty()
    try:
        result = run_perf(perf_args, console=Console(), show_progress=show_progress)
    except KeyboardInterrupt:
        sys.stderr.write("assay: interrupted before any run finished\n")
        return 130
    if result.interrupted:
        sys.stderr.write(f"assay: interrupted; what was measured is written to {result.root}\n")
        return 130
    _warn_about_failures(result.runs)
    return 0


def _warn_about_failures(runs: list[Any]) -> None:
    """One line per run with failed requests, naming the classes, so a dead server is not missed."""
    for run in runs:
        summary = run.metrics.full_summary()
        failed = summary.get("Failed Requests") or 0
        if not failed:
            continue
        classes = ", ".join(
            f"{value} {key.removeprefix('Failed: ')}"
            for key, value in summary.items()
            if key.startswith("Failed: ") and value
        )
        hint = "; the server stopped answering or refused connections" if "connect error" in classes else ""
        sys.stderr.write(
            f"assay: {run.spec.name}: {failed} of {summary.get('Total Requests')} requests failed ({classes}){hint}; "
            f"partial results are in {run.run_dir}\n"
        )
