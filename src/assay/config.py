"""``TaskConfig``: one typed description of an evaluation run, with EvalScope's field names.

An EvalScope user's YAML, JSON or Python dict works here unchanged: every field keeps EvalScope 1.x's
name and meaning, and its deprecated spellings (``timeout``, ``stream``, ``judge_strategy``,
``judge_model_args``, ``eval_type: server``) are folded into their new homes with a warning. Unknown
keys are an error with a "did you mean" hint, because a silently ignored typo (``reapeats: 4``)
produces a plausible but wrong run.

Where we differ from EvalScope (documented in docs/compat.md):
- ``dataset_hub`` defaults to ``huggingface`` (ModelScope is optional), and ``dataset_dir`` is a
  root of local copies laid out as ``<dataset_dir>/<benchmark>/``.
- Per-sample failures never abort a run: every finished record is kept; with failures and without
  ``ignore_errors`` the run ends with exit code 1 after writing everything.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from assay.config_parsing import describe_validation_error, parse_dict_arg, read_config_file
from assay.errors import UserError, did_you_mean
from assay.judge.config import JudgeConfig, judge_from_legacy
from assay.sandbox import SandboxConfig
from assay.secrets import mask_secrets as mask_secrets  # re-exported: the rule shared with perf
from assay.types import GenerateConfig


class TaskConfig(BaseModel):
    """Everything that defines an evaluation run.

    Example:
        >>> cfg = TaskConfig(model="qwen", api_url="http://127.0.0.1:8000/v1", datasets=["gsm8k"],
        ...                  limit=10, generation_config={"max_tokens": 512})
        >>> cfg.eval_type, cfg.eval_batch_size, cfg.model_id
        ('openai_api', 8, 'qwen')
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=False, protected_namespaces=())

    model: str | None = Field(None, description="Model name sent to the server, or a local model path.")
    model_id: str | None = Field(None, description="Name used in output paths and reports (default: model's basename).")
    model_args: dict[str, Any] = Field(default_factory=dict, description="Backend options (e.g. api='completions').")
    model_task: str = Field("text_generation", description="Only text generation is supported today.")
    chat_template: str | None = Field(None, description="Jinja chat template for local models.")
    models: list[dict[str, Any]] | None = Field(None, description="A sweep: one run per entry (config_models.py).")
    sweep_parallel: int | None = Field(None, ge=1, description="Sweep runs at once (default: all for Ray/APIs, or 1).")
    datasets: list[str] = Field(default_factory=list, description="Benchmark names, e.g. ['gsm8k', 'arc'].")
    dataset_args: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Per-benchmark options.")
    dataset_dir: str | None = Field(None, description="Root of local copies: <dataset_dir>/<benchmark>/.")
    dataset_hub: str = Field("huggingface", description="'huggingface' or 'modelscope'.")
    repeats: int = Field(1, ge=1, description="Answers per sample (for pass@k / vote@k).")
    repeats_as_n: bool = Field(
        True,
        description=(
            "With repeats > 1, ask a server for a sample's repeats as `n` completions of one request "
            "(one request each where it answers fewer; each completion is journaled on its own)."
        ),
    )
    generation_config: GenerateConfig = Field(default_factory=GenerateConfig)
    eval_type: str | None = Field(None, description="Backend: openai_api, mock_llm, llm_ckpt, or a registered one.")
    eval_backend: str = Field("Native", description="Only EvalScope's 'Native' backend exists here.")
    eval_config: str | dict[str, Any] | None = Field(None, description="Accepted for compatibility; unused.")
    limit: int | float | None = Field(None, description="Samples per subset: a count, or a fraction in (0, 1).")
    eval_batch_size: int | None = Field(None, ge=1, description="Requests in flight at once.")
    use_cache: str | None = Field(None, description="An earlier output folder to resume into.")
    rerun_review: bool = Field(False, description="With use_cache: re-score every prediction.")
    work_dir: str = Field("./outputs", description="Root folder of outputs.")
    no_timestamp: bool = Field(False, description="Write straight into work_dir (no timestamped sub-folder).")
    ignore_errors: bool = Field(False, description="Exit 0 even if some samples failed.")
    debug: bool = Field(False, description="Verbose logs, tracebacks on errors.")
    dry_run: bool = Field(False, description="Validate and print the config, then stop.")
    seed: int | None = Field(42, description="Seed for shuffling and few-shot sampling.")
    api_url: str | None = Field(None, description="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1.")
    api_key: SecretStr | None = Field(None, description="API key; never written to logs or outputs.")
    timeout: float | None = Field(None, description="Deprecated: use generation_config.timeout.")
    stream: bool | None = Field(None, description="Deprecated: use generation_config.stream.")
    judge: JudgeConfig | None = Field(
        None, description="LLM-judge settings: strategy, models, contract (docs/judges.md)."
    )
    judge_strategy: str | None = Field(None, description="Deprecated: use judge.strategy.")
    judge_model_args: dict[str, Any] | None = Field(None, description="Deprecated: use judge.models / judge.contract.")
    judge_worker_num: int | None = Field(None, ge=1, description="Deprecated: use judge.concurrency.")
    sandbox: SandboxConfig | None = Field(
        None, description="How model-written code runs: {engine: bwrap | none, ...} (docs/code.md)."
    )
    keep_images: Literal["thumbnail", "original", "none"] = Field(
        "thumbnail",
        description="Keep a copy of each image sent under <out>/images/ for the viewer: scaled down, as sent, or none.",
    )
    executor: Literal["local", "ray"] = Field(
        "local",
        description="Who sends the requests: the driver's own loop, or Ray actors (docs/distributed.md).",
    )
    ray_address: str | None = Field(
        None, description="With executor 'ray': the Ray cluster to join (default: start a local Ray)."
    )
    ray_actors: int | None = Field(
        None, ge=1, description="With executor 'ray': actors holding a model client (default: Ray's CPU count)."
    )
    ray_scoring: Literal["auto", "actors", "driver"] = Field(
        "auto", description="With executor 'ray': who scores; auto = the actors for CPU-heavy scorers (math, code)."
    )
    analysis_report: bool = Field(False, description="Accepted for compatibility; unused.")
    collect_perf: bool = Field(True, description="Record per-request latency and tokens (always on).")
    enable_progress_tracker: bool = Field(False, description="Accepted for compatibility; unused.")

    # ---- input normalisation ------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        """Name the unknown key and the closest known one instead of pydantic's generic message."""
        if isinstance(data, dict):
            known = set(cls.model_fields)
            for key in data:
                if key not in known:
                    raise UserError(f"unknown TaskConfig key {key!r}{did_you_mean(key, known)}")
            from assay.config_models import normalise_models

            return normalise_models(data)
        return data

    @field_validator("datasets", mode="before")
    @classmethod
    def _one_dataset_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("generation_config", mode="before")
    @classmethod
    def _parse_generation_config(cls, value: Any) -> Any:
        return parse_dict_arg(value, "generation_config") if isinstance(value, str) else value

    @field_validator("judge", "judge_model_args", "sandbox", mode="before")
    @classmethod
    def _parse_judge_dicts(cls, value: Any) -> Any:
        return parse_dict_arg(value, "judge option") if isinstance(value, str) else value

    @field_validator("model_args", "dataset_args", mode="before")
    @classmethod
    def _parse_dict_fields(cls, value: Any) -> Any:
        return parse_dict_arg(value, "dict option") if isinstance(value, str) else value

    @field_validator("limit", mode="before")
    @classmethod
    def _limit_int_when_whole(cls, value: Any) -> Any:
        """``--limit 10`` arrives as 10.0; a whole number means a count, as in EvalScope."""
        if isinstance(value, float) and value.is_integer() and value >= 1:
            return int(value)
        return value

    @model_validator(mode="after")
    def _derive_defaults(self) -> TaskConfig:
        self._warn_unused_keys()
        self._migrate_deprecated()
        if self.limit is not None and (self.limit <= 0 or (isinstance(self.limit, float) and self.limit > 1)):
            raise UserError(f"limit must be a positive count or a fraction in (0, 1], got {self.limit}")
        if self.models:  # a sweep: each member derives its own backend defaults (assay.config_models)
            from assay.config_models import check_members

            check_members(self)
            return self
        from assay.models._api import backend_defaults, canonical_eval_type, infer_eval_type

        self.eval_type = canonical_eval_type(self.eval_type or infer_eval_type(self.model, self.api_url))
        self._check_run_target()
        # The backend's own defaults: its concurrency, and its sampling settings when none are given
        # (API servers decode greedily, EvalScope's service default, so scores are reproducible).
        defaults = backend_defaults(self.eval_type)
        if self.eval_batch_size is None:
            self.eval_batch_size = defaults.eval_batch_size
        if self.model_id is None and self.model:
            self.model_id = safe_filename(os.path.basename(self.model.rstrip("/")) or self.model)
        if defaults.generation_config and not self.generation_config.model_fields_set:
            self.generation_config = GenerateConfig(**defaults.generation_config)
        return self

    def _check_run_target(self) -> None:
        """Refuse, before any data or network, a run that names no model or a local copy that is not there.

        A missing ``dataset_dir`` or ``local_path`` is an error, never a silent switch to the hub: that
        would evaluate other data than the user asked for (and wait on the network to do it).
        """
        if self.eval_backend.lower() != "native":
            raise UserError(
                f"eval_backend {self.eval_backend!r} is not available: Assay runs only EvalScope's 'Native' "
                "backend; leave --eval-backend out"
            )
        if not self.model and self.eval_type != "mock_llm":
            raise UserError(
                "no model given: pass --model NAME (the model the server serves, or a local model folder; "
                "--model mock runs the built-in mock model)"
            )
        if self.dataset_dir:
            self.dataset_dir = os.path.expanduser(self.dataset_dir)
            if not Path(self.dataset_dir).is_dir():
                raise UserError(
                    f"--dataset-dir folder not found: {self.dataset_dir} (it holds one folder per benchmark, "
                    "<dir>/<benchmark>/); fix the path, or leave --dataset-dir out to read from the hub"
                )
        for name, args in self.dataset_args.items():
            local = args.get("local_path")
            if local and not Path(str(local)).expanduser().exists():
                raise UserError(
                    f"dataset_args.{name}.local_path not found: {local}; fix the path, or remove local_path "
                    f"to read {name} from the hub"
                )

    def _warn_unused_keys(self) -> None:
        """Say once which given keys this version accepts but does not act on (never ignore silently)."""
        given = [
            key
            for key, default in _NOT_IN_EFFECT.items()
            if key in self.model_fields_set and getattr(self, key) not in (None, default)
        ]
        if given:
            warn_once(f"{', '.join(given)}: accepted for EvalScope compatibility but not used by this version")

    def _migrate_deprecated(self) -> None:
        """Fold EvalScope's deprecated top-level keys into their current homes."""
        gen_updates: dict[str, Any] = {}
        if self.timeout is not None:
            _deprecated("timeout", "generation_config.timeout")
            gen_updates["timeout"] = self.timeout
            self.timeout = None
        if self.stream is not None:
            _deprecated("stream", "generation_config.stream")
            gen_updates["stream"] = self.stream
            self.stream = None
        if gen_updates:
            merged = {**self.generation_config.model_dump(exclude_unset=True), **gen_updates}
            self.generation_config = GenerateConfig(**merged)
        if self.judge_strategy is not None or self.judge_model_args is not None or self.judge_worker_num is not None:
            _deprecated("judge_strategy/judge_model_args/judge_worker_num", "judge")
            legacy = judge_from_legacy(
                self.judge,
                strategy=self.judge_strategy,
                model_args=self.judge_model_args,
                worker_num=self.judge_worker_num,
            )
            try:
                self.judge = JudgeConfig.model_validate(legacy)
            except ValidationError as exc:
                raise UserError("invalid judge settings: " + describe_validation_error(exc, "judge")) from None
            self.judge_strategy = None
            self.judge_model_args = None
            self.judge_worker_num = None

    # ---- derived values -----------------------------------------------------------------------

    @property
    def api_key_value(self) -> str | None:
        """The real key, for the HTTP client only."""
        return self.api_key.get_secret_value() if self.api_key is not None else None

    def resolve_work_dir(self, now: datetime | None = None) -> Path:
        """The output folder of this run: the cache folder when resuming, else a timestamped one."""
        if self.use_cache:
            return Path(self.use_cache)
        if self.no_timestamp:
            return Path(self.work_dir)
        return Path(self.work_dir) / (now or datetime.now()).strftime("%Y%m%d_%H%M%S")

    def to_safe_dict(self) -> dict[str, Any]:
        """A dump for configs/task_config.yaml and logs: the API key (anywhere) is masked."""
        data: dict[str, Any] = mask_secrets(self.model_dump(mode="json", exclude_none=True))
        return data

    # ---- construction from files / CLI --------------------------------------------------------

    @classmethod
    def from_any(cls, source: TaskConfig | dict[str, Any] | str | Path) -> TaskConfig:
        """Build from a TaskConfig, a dict, a YAML/JSON file path, or a JSON string."""
        if isinstance(source, TaskConfig):
            return source
        if isinstance(source, (str, Path)):
            source = (
                read_config_file(Path(source)) if not str(source).lstrip().startswith("{") else json.loads(str(source))
            )
        try:
            return cls.model_validate(source)
        except ValidationError as exc:
            raise UserError(describe_validation_error(exc)) from None


#: Keys accepted for EvalScope compatibility that change nothing yet, with the value that means "unset".
_NOT_IN_EFFECT: dict[str, Any] = {
    "eval_config": None,
    "analysis_report": False,
    "enable_progress_tracker": False,
}

_warned: set[str] = set()


def warn_once(message: str) -> None:
    """Print ``assay: warning: <message>`` on stderr once per process (and log it)."""
    if message in _warned:
        return
    _warned.add(message)
    sys.stderr.write(f"assay: warning: {message}\n")
    logging.getLogger("assay").warning(message)


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"TaskConfig '{old}' is deprecated; use '{new}' instead", DeprecationWarning, stacklevel=4)


def safe_filename(name: str) -> str:
    """A string usable as one path component on every OS."""
    return re.sub(r"[^\w.\-]+", "_", name).strip("._") or "model"
