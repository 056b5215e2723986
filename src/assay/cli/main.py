"""The ``assay`` command. Imports stay light here: each sub-command imports its work when run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from assay.cli._parser import ArgumentParser, VersionAction


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every sub-command registered."""
    from assay.cli import app_cmd, benchmark_info, eval_cmd, mock_server, perf_cmd

    parser = ArgumentParser(
        prog="assay",
        description="Assay: fast, exact, reproducible LLM evaluation and serving benchmarks (EvalScope-compatible).",
    )
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    eval_cmd.register(sub)
    perf_cmd.register(sub)
    benchmark_info.register(sub)
    mock_server.register(sub)
    app_cmd.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; user mistakes print one line and return 2, never a traceback."""
    from assay.errors import UserError, storage_problem

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code: int = args.func(args)
        return code
    except UserError as exc:
        sys.stderr.write(f"assay: error: {exc}\n")
        if getattr(args, "debug", False):
            raise
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("assay: interrupted; finished records are saved (resume with --use-cache <output dir>)\n")
        return 130
    except OSError as exc:  # a full disk or a read-only folder is the user's to fix; any other is a bug
        problem = storage_problem(exc)
        if problem is None or getattr(args, "debug", False):
            raise
        sys.stderr.write(f"assay: error: {problem}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
