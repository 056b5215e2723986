"""``assay app``: the results viewer, and ``assay app bundle``: one run as an offline HTML file.

Only ``argparse`` is imported here; the server (Starlette, uvicorn: the ``app`` extra) is imported
when the command runs, so ``assay --help`` stays instant and a missing extra is one clear line.

Example:
    $ assay app --outputs ./outputs
    assay app: serving ./outputs at http://127.0.0.1:9000/ (Ctrl-C to stop)
    $ assay app bundle outputs/20250101_120000 --out report.html
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

#: Host names a browser may send for a loopback-bound server (anything else is refused: DNS rebinding).
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``app`` (and its ``bundle`` sub-command) to the ``assay`` parser."""
    parser = subparsers.add_parser(
        "app",
        help="browse results in a web viewer (or bundle one run as an HTML file)",
        description="Serve a read-only web viewer over the runs in an outputs folder (EvalScope's flags).",
    )
    parser.add_argument("--outputs", default="./outputs", help="folder holding the runs (default: %(default)s)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=9000, help="TCP port, 0 picks a free one (default: %(default)s)")
    parser.set_defaults(func=serve)
    sub = parser.add_subparsers(dest="app_command", metavar="COMMAND", parser_class=type(parser))
    bundle = sub.add_parser(
        "bundle",
        help="write one run as a self-contained offline HTML file",
        description="Write an eval run's reports and first samples as one HTML file that needs no network.",
    )
    bundle.add_argument("run_dir", metavar="RUN_DIR", help="the run's output folder (holds reports/)")
    bundle.add_argument("--out", default="report.html", help="HTML file to write (default: %(default)s)")
    bundle.add_argument("--samples", type=int, default=200, help="samples shown per benchmark (default: %(default)s)")
    bundle.set_defaults(func=bundle_run)


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server on this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost: may resolve to anything


def serve(args: argparse.Namespace) -> int:
    """Check the folder and the extra, then serve until Ctrl-C.

    Raises:
        UserError: the folder is missing or is a run itself, the extra is missing, or the port is taken.
    """
    import socket

    from assay.errors import UserError

    outputs = Path(args.outputs)
    if not 0 <= args.port <= 65535:
        raise UserError(f"app: --port must be a TCP port in 0..65535 (0 picks a free one), got {args.port}")
    if not outputs.is_dir():
        raise UserError(f"app: outputs folder not found: {outputs} (pass --outputs with the folder holding the runs)")
    if (outputs / "reports").is_dir() or (outputs / "predictions").is_dir():
        raise UserError(f"app: {outputs} is one run; pass the folder that holds runs, e.g. --outputs {outputs.parent}")
    try:
        import uvicorn

        from assay.app import create_app
    except ImportError as exc:
        raise UserError(f"app: the viewer needs the 'app' extra: pip install 'assay[app]' ({exc})") from exc
    loopback = is_loopback(args.host)
    if not loopback:
        sys.stderr.write(
            f"assay app: warning: binding {args.host} makes every result under {outputs} visible to anyone "
            "who can reach this machine on the network\n"
        )
    try:
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        sock = socket.create_server((args.host.strip("[]"), args.port), family=family)
    except OSError as exc:
        raise UserError(f"app: cannot listen on {args.host}:{args.port}: {exc}") from exc
    port = sock.getsockname()[1]
    allowed = [*LOOPBACK_NAMES, args.host.strip("[]")] if loopback else None
    app = create_app(outputs, allowed_hosts=allowed)
    shown = f"[{args.host.strip('[]')}]" if family == socket.AF_INET6 else args.host
    print(f"assay app: serving {outputs} at http://{shown}:{port}/ (Ctrl-C to stop)", flush=True)
    config = uvicorn.Config(app, log_level="warning", server_header=False, date_header=False)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def bundle_run(args: argparse.Namespace) -> int:
    """Write the bundle of ``RUN_DIR``; raises UserError when it is not an eval run."""
    from assay.errors import UserError

    run_dir = Path(args.run_dir)
    if not ((run_dir / "reports").is_dir() or (run_dir / "predictions").is_dir()):
        raise UserError(f"app bundle: {run_dir} is not an eval run folder (it has no reports/ or predictions/)")
    if args.samples < 0:
        raise UserError("app bundle: --samples must not be negative")
    from assay.app import write_bundle

    try:
        out = write_bundle(run_dir, Path(args.out), args.samples)
    except OSError as exc:
        raise UserError(f"app bundle: cannot write {args.out}: {exc}") from exc
    print(f"assay app bundle: wrote {out}")
    return 0
