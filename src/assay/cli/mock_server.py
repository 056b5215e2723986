"""``assay mock-server``: run the OpenAI-compatible test server in the foreground.

Only ``argparse`` is imported at module level so ``assay --help`` stays instant; the server (aiohttp,
pydantic) is imported when the command actually runs.

Example:
    $ assay mock-server --port 8000 --ttft-ms 50 --itl-ms 10 --p-429 0.05
    assay mock-server listening on http://127.0.0.1:8000/v1
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

LISTENING_PREFIX = "assay mock-server listening on "
"""Start of the one line printed once the server accepts connections; scripts wait for it."""

RULES_HELP = (
    'Rules file (--rules): a JSON list, {"rules": [...]}, or JSONL with one rule a line; the first '
    'matching rule wins. Match with exactly one of "contains" (substring) or "regex" (Python re.search, '
    "no flags: start it with (?s) to let . cross newlines) on the last user message (completions: the "
    'prompt), and/or "system_contains" on the system and developer messages joined by newlines. Answer '
    'with "reply", optional "reasoning" and "tool_calls" [{"name", "arguments"}]. '
    '"fault" ("429", "500", "hang", "truncate", "malformed") fails every matching request that '
    'way instead, without drawing from the --p-* faults; with "fail_times": N only the first N, then it '
    "answers. Example line: "
    '{"system_contains": "judge", "regex": "(?s)Answer:.*Paris", "reply": "[[9]]", '
    '"fault": "500", "fail_times": 1}. '
    "GET /admin/stats shows rule_hits, one count per rule."
)
"""The rule-file reference printed under ``--help`` (rules are the one input with no flag per field)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the mock-server flags to ``parser`` (shared by ``assay mock-server`` and ``python -m``)."""
    net = parser.add_argument_group("network")
    net.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    net.add_argument("--port", type=int, default=8000, help="TCP port, 0 picks a free one (default: %(default)s)")
    net.add_argument("--api-key", default=None, help="require 'Authorization: Bearer KEY'")

    reply = parser.add_argument_group("replies")
    reply.add_argument(
        "--model",
        dest="models",
        metavar="NAME",
        action="append",
        default=None,
        help="served model name; repeat for several (default: mock-model)",
    )
    reply.add_argument("--strict-model", action="store_true", help="404 for models not given with --model")
    reply.add_argument("--rules", default=None, metavar="FILE", help="JSON or JSONL file of reply rules (see below)")
    reply.add_argument("--default-reply", default="ANSWER: A", help="reply when no rule matches")
    reply.add_argument("--echo", action="store_true", help="reply with the last user message when no rule matches")

    timing = parser.add_argument_group("timing")
    timing.add_argument("--ttft-ms", type=float, default=0.0, help="time to first token, ms")
    timing.add_argument("--itl-ms", type=float, default=0.0, help="inter-token latency, ms")
    timing.add_argument("--latency-ms", type=float, default=0.0, help="extra delay of non-streaming replies, ms")
    timing.add_argument("--record", default=None, metavar="FILE", help="append per-request timings (JSONL)")

    faults = parser.add_argument_group("faults (probabilities per request, summing to at most 1)")
    for code, what in (
        ("429", "a 429 with Retry-After"),
        ("500", "a 500"),
        ("hang", "silence for --hang-s, then a closed connection"),
        ("truncate", "a response cut off halfway"),
        ("malformed", "a 200 whose JSON is broken"),
    ):
        faults.add_argument(f"--p-{code}", type=float, default=0.0, metavar="P", help=f"probability of {what}")
    faults.add_argument("--retry-after-s", type=float, default=0.0, help="Retry-After sent with 429s, s")
    faults.add_argument("--hang-s", type=float, default=3600.0, help="how long a hung request stays silent, s")
    faults.add_argument("--seed", type=int, default=0, help="seed of the fault RNG (default: %(default)s)")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``mock-server`` sub-command to the ``assay`` parser."""
    parser = subparsers.add_parser(
        "mock-server",
        help="run the OpenAI-compatible test server",
        description="Serve deterministic OpenAI-compatible replies with configurable latency and faults.",
        epilog=RULES_HELP,
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def _rule_problems(exc: ValidationError) -> str:
    """Pydantic's complaints about a rules file, each naming its rule by place in the file, from 1.

    Example: ``rule 2, field fault: Input should be '429', '500', 'hang', 'truncate' or 'malformed'``.
    """
    problems = []
    for error in exc.errors():
        index, *fields = error["loc"] or ("rules",)
        where = f"rule {index + 1}" if isinstance(index, int) else str(index)
        if fields:
            where += f", field {'.'.join(map(str, fields))}"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)


def run(args: argparse.Namespace) -> int:
    """Build the server config from ``args`` and serve until SIGINT/SIGTERM; returns the exit code.

    Raises:
        UserError: a bad flag value, an unreadable rules file, or an address already in use.
    """
    from pydantic import ValidationError

    from assay.errors import UserError
    from assay.mock_server import MockServer, ServerConfig, load_rules, serve_forever

    try:
        rules = load_rules(args.rules) if args.rules else []
    except ValidationError as exc:
        raise UserError(f"mock-server: invalid rules in {args.rules}: {_rule_problems(exc)}") from exc
    except (OSError, ValueError) as exc:
        raise UserError(f"mock-server: cannot read rules from {args.rules}: {exc}") from exc
    try:
        config = ServerConfig(
            host=args.host,
            port=args.port,
            models=args.models or ["mock-model"],
            strict_model=args.strict_model,
            api_key=args.api_key,
            ttft_ms=args.ttft_ms,
            itl_ms=args.itl_ms,
            latency_ms=args.latency_ms,
            default_reply=args.default_reply,
            echo=args.echo,
            rules=rules,
            p_429=args.p_429,
            p_500=args.p_500,
            p_hang=args.p_hang,
            p_truncate=args.p_truncate,
            p_malformed=args.p_malformed,
            retry_after_s=args.retry_after_s,
            hang_s=args.hang_s,
            seed=args.seed,
            record_path=args.record,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in exc.errors())
        raise UserError(f"mock-server: {problems}") from exc

    def announce(server: MockServer) -> None:
        print(LISTENING_PREFIX + server.url, flush=True)

    try:
        serve_forever(config, announce)
    except OSError as exc:
        raise UserError(f"mock-server: cannot listen on {args.host}:{args.port}: {exc}") from exc
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m assay.mock_server``: the same flags, errors as one line."""
    from assay.errors import UserError

    parser = argparse.ArgumentParser(prog="python -m assay.mock_server", description=__doc__, epilog=RULES_HELP)
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except UserError as exc:
        sys.stderr.write(f"{parser.prog}: error: {exc}\n")
        return exc.exit_code
