"""``--visualizer wandb|swanlab``: log each run's summary to an experiment tracker.

Both packages are optional and imported only when asked for; a missing one is a one-line error
with the install command. Without an API key (flag or environment) the tracker runs offline and
writes under the run's output folder, so a machine with no network or account still works; set
``WANDB_MODE`` / ``SWANLAB_MODE`` to choose yourself. Project ``perf_benchmark`` and run name
``--name`` or ``<model>_<timestamp>`` are EvalScope's (``evalscope/perf/utils/log_utils.py``).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from assay.errors import UserError
from assay.perf.arguments import PerfArguments

PROJECT = "perf_benchmark"


class Visualizer:
    """A started tracker run; :meth:`log` one run's numbers, :meth:`finish` at the end."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def log(self, summary: dict[str, Any]) -> None:
        """Log the numeric entries of a run summary."""
        numbers = {k: v for k, v in summary.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        self._module.log(numbers)

    def finish(self) -> None:
        """Close the tracker run (uploads, or finalises the offline files)."""
        self._module.finish()


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise UserError(f"--visualizer {name} needs the {name} package: pip install {name}") from None


def open_visualizer(args: PerfArguments, root: Path, run_name: str) -> Visualizer | None:
    """Start the tracker named by ``--visualizer`` (None when not asked for).

    Raises:
        UserError: the package is not installed.
    """
    if args.visualizer is None:
        return None
    config = args.to_safe_dict()
    if args.visualizer == "wandb":
        wandb = _import("wandb")
        key = args.wandb_api_key or os.environ.get("WANDB_API_KEY")
        mode = os.environ.get("WANDB_MODE") or ("online" if key else "offline")
        if args.wandb_api_key and mode == "online":
            wandb.login(key=args.wandb_api_key)
        wandb.init(project=PROJECT, name=run_name, config=config, dir=str(root), mode=mode)
        return Visualizer(wandb)
    swanlab = _import("swanlab")
    key = args.swanlab_api_key or os.environ.get("SWANLAB_API_KEY")
    mode = os.environ.get("SWANLAB_MODE") or ("cloud" if key else "offline")
    if args.swanlab_api_key and mode == "cloud":
        swanlab.login(api_key=args.swanlab_api_key)
    project = os.environ.get("SWANLAB_PROJ_NAME", PROJECT)
    swanlab.init(project=project, experiment_name=run_name, config=config, logdir=str(root), mode=mode)
    return Visualizer(swanlab)
