"""Where a Ray actor may run: the CPUs and GPUs it reserves, read from ``model_args``.

An API client waits on the network, so its actor reserves nothing (4 actors fit a 2-CPU Ray). A
model whose weights load in the actor (``llm_ckpt`` and other in-process backends) reserves what
``model_args`` asks: ``num_gpus`` (default 0) and ``num_cpus`` (default 1, since a forward pass is
CPU work even beside a GPU). Ray then gives each actor its own devices (``CUDA_VISIBLE_DEVICES``
is set per actor), so four actors with ``num_gpus: 1`` on a 4-GPU node load four copies, one per
GPU, instead of four copies on GPU 0.

These keys place the model; they do not change its answers. They are therefore not passed to the
backend (which would warn about a key it does not know) and not part of the prediction
fingerprint: a run resumed with another ``num_gpus`` reuses every answer.

Example:
    >>> from assay.config import TaskConfig
    >>> actor_placement(TaskConfig(model="/ckpt/step-1000", datasets=["arc"], model_args={"num_gpus": 1}))
    {'num_cpus': 1.0, 'num_gpus': 1.0}
    >>> default_actor_count({'num_cpus': 1.0, 'num_gpus': 1.0}, {"CPU": 64.0, "GPU": 8.0})
    8
"""

from __future__ import annotations

from assay.config import TaskConfig
from assay.errors import UserError

#: ``model_args`` keys that say where an actor runs, not what the model answers.
PLACEMENT_MODEL_ARGS = frozenset({"num_gpus", "num_cpus"})


def holds_weights(config: TaskConfig) -> bool:
    """Whether the model runs inside the actor rather than behind a URL (the in-process mock model
    counts as one: it stands in for a checkpoint in tests)."""
    return not config.api_url


def actor_placement(config: TaskConfig) -> dict[str, float]:
    """The ``num_cpus`` / ``num_gpus`` each actor reserves (a one-line ``UserError`` for a bad value)."""
    weights = holds_weights(config)
    placement = {"num_cpus": 1.0 if weights else 0.0, "num_gpus": 0.0}
    for key in sorted(PLACEMENT_MODEL_ARGS):
        if key not in config.model_args:
            continue
        value = config.model_args[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise UserError(f"model_args {key} must be a number >= 0 (e.g. 1, or 0.5 to share a GPU), got {value!r}")
        if key == "num_gpus" and value and not weights:
            raise UserError(
                f"model_args num_gpus is for a model loaded by the actors; {config.eval_type} behind "
                f"--api-url {config.api_url} runs elsewhere (drop num_gpus)"
            )
        placement[key] = float(value)
    return placement


def default_actor_count(placement: dict[str, float], resources: dict[str, float]) -> int:
    """Actors when ``--ray-actors`` is not given: as many as the cluster's GPUs (or CPUs) hold, at least 1."""
    if placement["num_gpus"]:
        return max(1, int(resources.get("GPU", 0) // placement["num_gpus"]))
    if placement["num_cpus"]:
        return max(1, int(resources.get("CPU", 1) // placement["num_cpus"]))
    return max(1, int(resources.get("CPU", 1)))


def check_resources(placement: dict[str, float], actors: int, resources: dict[str, float]) -> None:
    """Refuse at once a run whose actors the cluster can never place (Ray would wait for ever)."""
    for key, resource in (("num_gpus", "GPU"), ("num_cpus", "CPU")):
        need = placement[key] * actors
        have = resources.get(resource, 0.0)
        if need > have + 1e-9:
            raise UserError(
                f"--executor ray: {actors} actors x {key} {placement[key]:g} need {need:g} {resource}s; "
                f"the Ray cluster has {have:g} (lower --ray-actors or model_args {key})"
            )


def describe(placement: dict[str, float]) -> str:
    """``"1 CPU, 1 GPU"``, for the log."""
    return f"{placement['num_cpus']:g} CPU, {placement['num_gpus']:g} GPU"
