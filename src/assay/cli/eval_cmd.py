"""``assay eval``: EvalScope's flags, a config file, or both (flags win over the file)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

#: Flags whose value is a dict given as JSON or as k=v,k2=v2.
_DICT_FLAGS = ("model_args", "dataset_args", "generation_config", "judge", "judge_model_args")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``eval`` to the ``assay`` parser."""
    p = sub.add_parser(
        "eval",
        help="evaluate a model on benchmarks",
        description="Evaluate a model on benchmarks. Dict-valued flags take JSON or k=v,k2=v2.",
    )
    p.add_argument("--config", help="YAML or JSON file of TaskConfig keys (flags override it)")
    m = p.add_argument_group("model")
    m.add_argument(
        "--model",
        nargs="+",
        help="model name sent to the server (or 'mock' for the built-in mock model); several names run a sweep: "
        "one run per model, every other flag shared (docs/distributed.md)",
    )
    m.add_argument("--model-id", help="name used in output paths and reports")
    m.add_argument("--model-args", help="backend options, e.g. api=completions")
    m.add_argument("--chat-template", help="Jinja chat template (local models)")
    m.add_argument("--api-url", help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1")
    m.add_argument("--api-key", help="API key (or set OPENAI_API_KEY); never written to outputs")
    m.add_argument("--eval-type", help="backend: openai_api, mock_llm (llm_ckpt: local models)")
    m.add_argument("--generation-config", help="e.g. max_tokens=512,temperature=0,timeout=60,stream=true")
    m.add_argument("--timeout", type=float, help="[deprecated] use --generation-config timeout=SECONDS")
    m.add_argument("--stream", action="store_true", default=None, help="[deprecated] --generation-config stream=true")
    d = p.add_argument_group("data")
    d.add_argument("--datasets", nargs="+", help="benchmark names (see `assay benchmark-info --list`)")
    d.add_argument("--dataset-args", help='per-benchmark JSON, e.g. \'{"gsm8k": {"few_shot_num": 0}}\'')
    d.add_argument("--dataset-dir", help="root of local copies: <dir>/<benchmark>/")
    d.add_argument("--dataset-hub", help="huggingface (default) or modelscope")
    d.add_argument("--limit", type=float, help="samples per subset: a count, or a fraction in (0, 1)")
    d.add_argument("--repeats", type=int, help="answers per sample (pass@k, vote@k)")
    d.add_argument(
        "--repeats-as-n",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="ask a sample's repeats as n completions of one request where the server supports it (default on)",
    )
    d.add_argument("--seed", type=int, help="seed for shuffling and few-shot sampling (default 42)")
    r = p.add_argument_group("run")
    r.add_argument("--eval-batch-size", type=int, help="requests in flight at once (default 8 for APIs)")
    r.add_argument("--work-dir", help="root folder of outputs (default ./outputs)")
    r.add_argument("--no-timestamp", action="store_true", default=None, help="write straight into --work-dir")
    r.add_argument("--use-cache", help="resume into this earlier output folder, reusing finished samples")
    r.add_argument("--rerun-review", action="store_true", default=None, help="with --use-cache: re-score all")
    r.add_argument("--ignore-errors", action="store_true", default=None, help="exit 0 even if samples failed")
    r.add_argument("--debug", action="store_true", default=None, help="verbose logs and tracebacks")
    r.add_argument("--dry-run", action="store_true", default=None, help="check config and data, then stop")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument(
        "--keep-images",
        choices=["thumbnail", "original", "none"],
        help="copy of each image sent, kept under <out>/images/ for `assay app` (default thumbnail)",
    )
    r.add_argument("--eval-backend", help="only 'Native' (EvalScope compatibility)")
    r.add_argument(
        "--sweep-parallel",
        type=int,
        help="with several --model: models run at once (default: all for Ray or API models, else 1)",
    )
    x = p.add_argument_group("many machines (docs/distributed.md)")
    x.add_argument("--executor", choices=["local", "ray"], help="who sends the requests: local (default) or ray")
    x.add_argument("--ray-address", help="with --executor ray: the Ray cluster to join (default: a local Ray)")
    x.add_argument("--ray-actors", type=int, help="with --executor ray: actors (default: Ray's CPU count)")
    x.add_argument(
        "--ray-scoring",
        choices=["auto", "actors", "driver"],
        help="with --executor ray: who scores (auto: the actors for CPU-heavy scorers such as math and code)",
    )
    j = p.add_argument_group("LLM judge (docs/judges.md)")
    j.add_argument(
        "--judge",
        help='judge settings as JSON: {"strategy": ..., "models": [{"model_id", "api_url", ...}], "contract": {...}}',
    )
    j.add_argument(
        "--judge-strategy",
        choices=["auto", "rule", "llm", "llm_recall"],
        help="auto: judge only judge benchmarks; rule; llm: judge every benchmark; llm_recall: judge what the rule "
        "scores wrong",
    )
    j.add_argument(
        "--judge-model-args",
        help="the judge as JSON or k=v: model_id, api_url, api_key, eval_type, generation_config, system_prompt, "
        "prompt_template, score_type, score_pattern, score_mapping",
    )
    j.add_argument("--judge-worker-num", type=int, help="judge requests in flight (default 16)")
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Merge the config file (if any) with the flags the user actually gave."""
    from assay.config_parsing import parse_dict_arg, read_config_file

    data: dict[str, Any] = {}
    if args.config:
        from pathlib import Path

        data.update(read_config_file(Path(args.config)))
    skip = {"config", "func", "command", "no_progress"}
    for key, value in vars(args).items():
        if key in skip or value is None:
            continue
        if key in _DICT_FLAGS and isinstance(value, str):
            value = parse_dict_arg(value, "--" + key.replace("_", "-"))
        data[key] = value
    names = data.pop("model") if isinstance(data.get("model"), list) else None
    if names is not None:  # --model A [B ...] wins over the file's model or models
        data.pop("models", None)
        if len(names) == 1:  # one name is an ordinary run, several a sweep
            data["model"] = names[0]
        else:
            data["models"] = [{"model": name} for name in names]
    return data


def run(args: argparse.Namespace) -> int:
    """Run ``assay eval``; exit 1 when samples failed (unless --ignore-errors), 2 on user mistakes."""
    from rich.console import Console

    from assay.config import TaskConfig
    from assay.engine.checks import check_task

    config = TaskConfig.from_any(config_from_args(args))
    show_progress = not args.no_progress and sys.stderr.isatty()
    if config.models:
        return _run_sweep(config, show_progress)
    check_task(config)  # every typo is reported before any data, network or output folder
    console = Console(stderr=False)
    if config.dry_run:
        return _dry_run(config, console)
    from assay.engine.outputs import prepare_work_dir
    from assay.engine.runner import run_task
    from assay.report.console import print_reports

    work_dir = prepare_work_dir(config)
    reports = run_task(config, show_progress=show_progress, work_dir=work_dir)
    assert isinstance(reports, dict)  # a config without models is one run
    print_reports(list(reports.values()), console)
    console.print(f"outputs: {work_dir}")
    return _errored_exit(sum(r.counts.errored for r in reports.values()), config)


def _errored_exit(errored: int, config: Any) -> int:
    if errored and not config.ignore_errors:
        sys.stderr.write(
            f"assay: {errored} samples failed (reasons above; details in reviews/); finished work is saved — "
            "rerun with --use-cache <output dir> to retry only those, or pass --ignore-errors\n"
        )
        return 1
    return 0


def _run_sweep(config: Any, show_progress: bool) -> int:
    """``assay eval --model A B ...``: one run per model, one table, non-zero when a model failed."""
    from rich.console import Console

    from assay.engine.checks import check_task
    from assay.engine.sweep import member_configs, prepare_sweep_dir, run_sweep, sweep_table

    members = member_configs(config)
    for member in members:
        check_task(member)  # a mistake in any member is reported before any output folder
    console = Console(stderr=False)
    if config.dry_run:
        console.print(f"sweep of {len(members)} models: {', '.join(str(m.model_id) for m in members)}")
        return _dry_run(members[0], console)
    root = prepare_sweep_dir(config)
    sweep = run_sweep(config, show_progress=show_progress, work_dir=root)
    console.print(sweep_table(sweep))
    console.print(f"outputs: {root}")
    if sweep.failed:
        named = "; ".join(f"{m.model_id} ({m.reason or m.status})" for m in sweep.failed)
        sys.stderr.write(
            f"assay: {len(sweep.failed)} of {len(sweep.members)} models failed: {named}; the others' results are "
            f"saved — rerun with --use-cache {root} to retry only what is missing\n"
        )
        return 1
    return _errored_exit(sum(r.counts.errored for m in sweep.reports.values() for r in m.values()), config)


def _dry_run(config: Any, console: Any) -> int:
    """Print the effective config and the samples each benchmark would run, without any model call."""
    import tempfile
    from pathlib import Path

    import yaml

    from assay.engine.plan import build_plans

    console.print(yaml.safe_dump(config.to_safe_dict(), sort_keys=False, allow_unicode=True))
    if config.eval_type in ("embedding", "rerank"):
        from assay.embed.runner import build_tasks

        for task in build_tasks(config):
            console.print(f"{task.name}: {task.describe()}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for plan in build_plans(config, Path(tmp)):
            sizes = {name: len(s.samples) for name, s in plan.subsets.items()}
            console.print(f"{plan.name}: {sum(sizes.values())} samples × {config.repeats} repeats {sizes}")
    return 0
