"""Running untrusted model-written code: the ``bwrap`` sandbox, the explicit unsafe engine, the config.

``build_sandbox(config)`` gives the run's sandbox (put in ``ScoringContext.sandbox`` by the engine
for any benchmark whose scorer has ``uses_sandbox``); both engines answer
``await sandbox.run(program, timeout_s=..., stdin=..., files=...) -> ExecResult``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from assay.sandbox.types import ExecResult, Outcome

__all__ = ["ExecResult", "Outcome", "Sandbox", "SandboxConfig", "build_sandbox"]


class Sandbox(Protocol):
    """What code scorers need from the run's sandbox."""

    async def run(
        self, program: str, *, timeout_s: float, stdin: str | None = None, files: Mapping[str, bytes] | None = None
    ) -> ExecResult:
        """Execute ``program`` (Python source) and classify how it ended.

        ``files`` (name -> content) are written next to the program in its working directory
        before it starts: test data too large or too structured to paste into the source.
        """
        ...


class SandboxConfig(BaseModel):
    """TaskConfig ``sandbox``: how model-written code is executed."""

    model_config = ConfigDict(extra="forbid")

    engine: Literal["bwrap", "none"] = Field(
        "bwrap", description="bwrap: isolated (docs/code.md); none: a plain subprocess, UNSAFE (prints a warning)."
    )
    workers: int | None = Field(None, ge=1, description="Executions at once; default: the usable cores.")
    address_space_mb: int = Field(2048, ge=64, description="Address-space limit of one execution, MiB.")
    processes: int = Field(64, ge=1, description="Process limit of one execution.")
    file_size_mb: int = Field(64, ge=1, description="Largest file one execution may write, MiB.")
    scratch_mb: int = Field(128, ge=1, description="Size of each writable tmpfs (/tmp, the working dir), MiB.")
    cgroup: bool = Field(
        True, description="A pids + memory cgroup per execution slot where the host allows one (docs/code.md)."
    )
    python: str = Field("/usr/bin/python3", description="Interpreter inside the sandbox (readable by any uid).")


def build_sandbox(config: SandboxConfig | None) -> Sandbox:
    """The sandbox ``config`` names.

    Raises:
        UserError: ``bwrap`` (package ``bubblewrap``) or another needed tool is missing.
    """
    config = config or SandboxConfig()
    if config.engine == "none":
        from assay.config import warn_once
        from assay.sandbox.unsafe import UnsafeLocalRunner

        warn_once(
            "sandbox engine 'none': model-written code runs UNSANDBOXED with your user's rights "
            "(network, files, environment); use it only on a throwaway machine"
        )
        return UnsafeLocalRunner(workers=config.workers, python=config.python)
    from assay.sandbox.bwrap import BwrapSandbox, Limits

    limits = Limits(
        address_space_mb=config.address_space_mb,
        processes=config.processes,
        file_size_mb=config.file_size_mb,
        scratch_mb=config.scratch_mb,
    )
    return BwrapSandbox(workers=config.workers, limits=limits, python=config.python, cgroup=config.cgroup)
