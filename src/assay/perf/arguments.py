"""``PerfArguments``: one typed description of a ``assay perf`` run, with EvalScope's names.

Every field keeps the name, unit, default and meaning of EvalScope 1.x's ``evalscope perf`` flag of
the same name (``evalscope/perf/arguments.py``), so existing scripts keep working. A sweep is
described by lists, paired position by position as EvalScope pairs them:

* closed loop: run i uses ``parallel[i]`` and ``number[i]``; a ``--rate`` paces every run the same
  way (Poisson arrivals, at most ``parallel`` requests in flight);
* ``--open-loop``: run i uses ``rate[i]`` and ``number[i]`` and concurrency is unbounded.

Where EvalScope errors on lists of different lengths, a list of one value is repeated instead
(``--parallel 1 4 16`` alone runs 1000 requests at each level); other mismatches are errors.

Example:
    >>> args = PerfArguments(model="qwen", parallel=[1, 4], number=[10, 40])
    >>> [run.name for run in args.runs()]
    ['parallel_1_number_10', 'parallel_4_number_40']
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assay.errors import UserError

#: Requests per run when ``--number`` is not given (EvalScope's ``Arguments.number`` default).
DEFAULT_NUMBER = 1000
#: ``max_tokens`` when not given (EvalScope's default).
DEFAULT_MAX_TOKENS = 2048

#: ``--image-format`` values: the PIL colour modes random_vl can draw and save as PNG. EvalScope passes
#: the value to ``PIL.Image.new`` with an RGB colour, which works for RGB, RGBA and P; L (grey) is
#: ours, drawn with grey levels.
IMAGE_MODES = ("RGB", "RGBA", "L", "P")


@dataclass(frozen=True, slots=True)
class RunSpec:
    """One run of a sweep: its load level and its folder name."""

    index: int
    #: Closed loop: concurrent users. Open loop: -1 (unbounded, shown as INF, as in EvalScope).
    parallel: int
    number: int
    #: Requests per second of the arrival schedule; -1 = no schedule (closed loop at full speed).
    rate: float
    open_loop: bool

    @property
    def name(self) -> str:
        """EvalScope's run folder name: ``parallel_<P>_number_<N>`` or ``rate_<R>_number_<N>``."""
        if self.open_loop:
            return f"rate_{self.rate}_number_{self.number}"
        return f"parallel_{self.parallel}_number_{self.number}"


class PerfArguments(BaseModel):
    """Everything that defines a serving benchmark (one sweep of runs)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    # ---- target -------------------------------------------------------------------------------
    model: str = Field(description="Model name sent in each request.")
    system_prompt: str | None = Field(None, description="System message (from --model as JSON).")
    url: str = Field("http://127.0.0.1:8877/v1/chat/completions", description="Full endpoint URL.")
    api: str = Field("openai", description="Request protocol plugin: openai, openai_completions, embeddings, custom.")
    api_key: str | None = Field(None, description="Bearer token; never written to outputs.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra HTTP headers.")
    connect_timeout: float | None = Field(None, description="Seconds to establish a connection; None = no limit.")
    read_timeout: float | None = Field(None, description="Seconds allowed between two reads; None = no limit.")
    total_timeout: float = Field(6 * 60 * 60, description="Seconds allowed for one whole request.")
    no_test_connection: bool = Field(False, description="Skip the connectivity check before the run.")

    # ---- load shape ---------------------------------------------------------------------------
    parallel: list[int] = Field(default_factory=lambda: [1], description="Concurrency of each run (closed loop).")
    number: list[int] | None = Field(None, description="Requests of each run; None = 1000 per run.")
    rate: list[float] = Field(
        default_factory=lambda: [-1.0], description="Requests/s: open-loop runs, or a closed-loop pace; -1 = none."
    )
    burstiness: float = Field(1.0, description="Gamma shape of inter-arrival gaps; 1 = Poisson, <1 burstier.")
    open_loop: bool = Field(False, description="Send on the arrival schedule regardless of responses.")
    duration: float | None = Field(None, description="Seconds of sending per run (with --number: first limit wins).")
    warmup_num: float = Field(0, description="Warmup requests per run: a count (>= 1) or a fraction of --number.")
    num_workers: int | None = Field(
        None, description="Client worker processes (Ray actors with --executor ray); None or 0 = auto (Ray: its CPUs)."
    )
    executor: Literal["local", "ray"] = Field(
        "local", description="Where the load generators run: local processes, or Ray actors (many hosts)."
    )
    ray_address: str | None = Field(
        None, description="--executor ray: the Ray cluster to join; None = this process's Ray, or a local one."
    )
    sleep_interval: float = Field(5.0, description="Seconds between the runs of a sweep.")

    # ---- request body -------------------------------------------------------------------------
    stream: bool = Field(True, description="Stream with SSE (needed for TTFT and ITL).")
    max_tokens: list[int] | None = Field(
        default_factory=lambda: [DEFAULT_MAX_TOKENS],
        description="max_tokens: one value, or [min, max] to draw each request's uniformly (EvalScope).",
    )
    min_tokens: int | None = Field(None, description="min_tokens (vLLM/SGLang) for fixed-length outputs.")
    temperature: float | None = Field(0.0, description="Sampling temperature (EvalScope default 0).")
    top_p: float | None = None
    top_k: int | None = None
    frequency_penalty: float | None = None
    repetition_penalty: float | None = None
    logprobs: bool | None = None
    n_choices: int | None = None
    seed: int | None = Field(None, description="Sampling seed sent to the server; also seeds the arrival schedule.")
    stop: list[str] | None = None
    stop_token_ids: list[int] | None = None
    extra_args: dict[str, Any] = Field(default_factory=dict, description="Merged into every request body.")

    # ---- prompts ------------------------------------------------------------------------------
    dataset: str = Field("openqa", description="Prompt source plugin name.")
    dataset_path: str | None = Field(None, description="File or folder the prompt source reads.")
    prompt: str | None = Field(None, description="One fixed prompt for every request.")
    query_template: str | None = Field(
        None, description="Request body template (JSON, or @file): its messages/prompt is set to each prompt."
    )
    min_prompt_length: int = Field(0, description="Shortest prompt kept (tokens with a tokenizer, else chars).")
    max_prompt_length: int = Field(131072, description="Longest prompt kept (tokens with a tokenizer, else chars).")
    prefix_length: int = Field(0, description="Tokens of shared prefix in random prompts.")
    tokenizer_path: str | None = Field(None, description="Tokenizer for exact token counts.")
    tokenize_prompt: bool = Field(False, description="Send token ids instead of text (completions).")
    apply_chat_template: bool | None = Field(None, description="Apply the tokenizer's chat template.")

    # ---- images (random_vl) -------------------------------------------------------------------
    image_width: int = Field(224, description="Width in pixels of each random_vl image (EvalScope default 224).")
    image_height: int = Field(224, description="Height in pixels of each random_vl image (EvalScope default 224).")
    image_format: str = Field(
        "RGB", description="PIL colour mode of random_vl images: RGB, RGBA, L or P (EvalScope's meaning; PNG-encoded)."
    )
    image_num: int = Field(1, description="Images in each random_vl request.")

    # ---- rerank -------------------------------------------------------------------------------
    rerank_documents: int = Field(
        8, ge=1, description="--api rerank: documents scored with each query (the next prompts of --dataset)."
    )

    # ---- outputs ------------------------------------------------------------------------------
    outputs_dir: str = Field("./outputs", description="Root folder of results.")
    no_timestamp: bool = Field(False, description="No timestamped sub-folder.")
    resume: str | None = Field(
        None,
        description="Continue the sweep in this folder (an earlier run's 'outputs:' folder): finished runs are kept.",
    )
    name: str | None = Field(None, description="Run name (result folder and visualizer run).")
    visualizer: str | None = Field(None, description="wandb or swanlab (optional, offline works).")
    wandb_api_key: str | None = Field(None, description="[deprecated in EvalScope] prefer WANDB_API_KEY.")
    swanlab_api_key: str | None = Field(None, description="[deprecated in EvalScope] prefer SWANLAB_API_KEY.")
    debug: bool = False

    # ---- SLA auto-tune ------------------------------------------------------------------------
    sla_auto_tune: bool = Field(False, description="Search the highest load that meets --sla-params.")
    sla_variable: str = Field("parallel", description="What the search varies: parallel or rate.")
    sla_params: list[dict[str, Any]] | None = Field(None, description='Criteria groups, e.g. [{"p99_ttft": "<2s"}].')
    sla_num_runs: int = Field(3, description="Runs averaged per probed value.")
    sla_upper_bound: int = Field(65536, description="Highest value the search may try.")
    sla_lower_bound: int = Field(1, description="Lowest value the search may try.")
    sla_fixed_parallel: int | None = Field(
        None, description="Concurrency cap while tuning rate (default: upper bound)."
    )
    sla_number_multiplier: float | None = Field(None, description="Requests per probe = value x this (default 2).")

    # ---- normalisation ------------------------------------------------------------------------

    @field_validator("parallel", "number", "rate", "max_tokens", "stop", "stop_token_ids", mode="before")
    @classmethod
    def _scalar_to_list(cls, value: Any) -> Any:
        """Accept one value where a list is expected, as EvalScope does."""
        if value is None or isinstance(value, (list, tuple)):
            return value
        return [value]

    @field_validator("sla_params", mode="before")
    @classmethod
    def _one_group_to_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("image_format")
    @classmethod
    def _image_mode(cls, value: str) -> str:
        """A PIL colour mode, case-insensitive (``rgb`` is ``RGB``)."""
        mode = value.upper()
        if mode not in IMAGE_MODES:
            raise ValueError(f"a PIL colour mode is expected, one of {', '.join(IMAGE_MODES)} (images are sent as PNG)")
        return mode

    @model_validator(mode="after")
    def _check(self) -> PerfArguments:
        _check_load(self)
        _check_request(self)
        _check_inputs(self)
        _check_images(self)
        if self.sla_auto_tune:
            _check_sla(self)
        if self.visualizer is not None and self.visualizer not in ("wandb", "swanlab"):
            raise ValueError(f"--visualizer must be wandb or swanlab, got {self.visualizer!r}")
        return self

    # ---- derived values -----------------------------------------------------------------------

    @property
    def model_id(self) -> str:
        """The model's short name (last path component), as EvalScope names result folders."""
        return os.path.basename(self.model.rstrip("/")) or self.model

    def runs(self) -> list[RunSpec]:
        """The runs of the sweep, in order, with EvalScope's pairing of the lists."""
        numbers = self.number or [DEFAULT_NUMBER]
        if self.open_loop:
            rates, numbers = _pair("--rate", self.rate, "--number", numbers)
            return [RunSpec(i, -1, n, float(r), True) for i, (r, n) in enumerate(zip(rates, numbers, strict=True))]
        parallels, numbers = _pair("--parallel", self.parallel, "--number", numbers)
        rate = float(self.rate[0])
        return [RunSpec(i, p, n, rate, False) for i, (p, n) in enumerate(zip(parallels, numbers, strict=True))]

    def warmup_count(self, number: int) -> int:
        """Warmup requests before a run of ``number``: EvalScope's count-or-fraction rule."""
        if self.warmup_num <= 0:
            return 0
        if self.warmup_num >= 1:
            return int(self.warmup_num)
        return max(1, int(self.warmup_num * number))

    def for_run(self, run: RunSpec) -> PerfArguments:
        """A copy describing one run only (what plugins see): single-valued load lists."""
        return self.model_copy(update={"parallel": [run.parallel], "number": [run.number], "rate": [run.rate]})

    def to_safe_dict(self) -> dict[str, Any]:
        """A JSON-ready dump with the API key and auth headers masked (for benchmark_args.json)."""
        from assay.config import mask_secrets

        data: dict[str, Any] = mask_secrets(self.model_dump(mode="json"))
        return data

    @classmethod
    def build(cls, values: dict[str, Any]) -> PerfArguments:
        """Validate ``values``; a mistake becomes a one-line :class:`UserError`.

        Raises:
            UserError: an unknown key, a wrongly typed value or an inconsistent combination.
        """
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise UserError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem of a validation error, as one line naming the flag."""
    first = exc.errors()[0]
    loc = [str(p) for p in first["loc"]]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not loc:
        return message
    flag = "--" + loc[0].replace("_", "-")
    if first["type"] == "extra_forbidden":
        return f"unknown perf argument {loc[0]!r}"
    return f"invalid {flag}: {message} (got {first.get('input')!r})"


def _pair(name_a: str, a: list[Any], name_b: str, b: list[int]) -> tuple[list[Any], list[int]]:
    """Pair two sweep lists position by position; a list of one value is repeated."""
    if len(a) == len(b):
        return a, b
    if len(a) == 1:
        return a * len(b), b
    if len(b) == 1:
        return a, b * len(a)
    raise ValueError(f"{name_a} and {name_b} must have the same number of values, got {a} and {b}")


def _check_load(args: PerfArguments) -> None:
    if args.number is not None and any(n < 1 for n in args.number):
        raise ValueError(f"--number values must be >= 1, got {args.number}")
    if args.open_loop:
        if any(not r > 0 or not math.isfinite(r) for r in args.rate):
            raise ValueError(f"--open-loop needs every --rate value > 0, got {args.rate}")
    else:
        if any(p < 1 for p in args.parallel):
            raise ValueError(f"--parallel values must be > 0, got {args.parallel}")
        if len(args.rate) > 1:
            raise ValueError(f"several --rate values sweep open-loop runs: add --open-loop (got {args.rate})")
        if not (args.rate[0] > 0 or args.rate[0] == -1) or not math.isfinite(args.rate[0]):
            raise ValueError(f"--rate must be > 0, or -1 for no pacing, got {args.rate[0]}")
    args.runs()  # raises on lists that cannot be paired
    if not args.burstiness > 0 or not math.isfinite(args.burstiness):
        raise ValueError(f"--burstiness must be > 0, got {args.burstiness}")
    if args.duration is not None and not args.duration > 0:
        raise ValueError(f"--duration must be > 0 seconds, got {args.duration}")
    if args.warmup_num < 0:
        raise ValueError(f"--warmup-num must be >= 0, got {args.warmup_num}")
    if args.num_workers is not None and args.num_workers < 0:
        raise ValueError(f"--num-workers must be >= 0 (0 = auto), got {args.num_workers}")
    if args.ray_address is not None and args.executor != "ray":
        raise ValueError("--ray-address needs --executor ray")
    for name in ("connect_timeout", "read_timeout", "total_timeout"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise ValueError(f"--{name.replace('_', '-')} must be > 0 seconds, got {value}")


def _check_request(args: PerfArguments) -> None:
    tokens = args.max_tokens
    if tokens is not None:
        if len(tokens) not in (1, 2):
            raise ValueError(f"--max-tokens takes 1 value or 2 values [min max], got {tokens}")
        if min(tokens) < 0 or tokens[0] > tokens[-1]:
            raise ValueError(f"--max-tokens range must satisfy 0 <= min <= max, got {tokens}")
    if not re.match(r"^https?://[^/\s]+", args.url):
        raise ValueError(
            f"--url must be an http(s) URL such as http://127.0.0.1:8000/v1/chat/completions, got {args.url!r}"
        )
    if args.tokenize_prompt and not args.tokenizer_path:
        raise ValueError("--tokenize-prompt needs --tokenizer-path")


#: perf flags that are generation settings (their ``GenerateConfig`` name), checked with its ranges.
_GENERATION_FLAGS = {"max_tokens": "max_tokens", "temperature": "temperature", "top_p": "top_p", "top_k": "top_k"}


def _check_inputs(args: PerfArguments) -> None:
    """Sampling values no server accepts, prompt files that are not there (the dataset's only when
    no ``--prompt`` replaces it) and a prompt-length filter nothing passes: refused here, before the
    connection test and for ``PerfArguments`` built from Python alike, rather than after the first
    request or as an empty run."""
    from assay.types import GenerateConfig

    for flag, key in _GENERATION_FLAGS.items():
        given = getattr(args, flag)
        for value in given if isinstance(given, list) else [given]:
            try:
                GenerateConfig.model_validate({key: value})
            except ValidationError as exc:
                problem = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
                raise ValueError(f"invalid --{flag.replace('_', '-')}: {problem} (got {value!r})") from None
    if args.prompt is None and args.dataset_path is not None and not Path(args.dataset_path).exists():
        raise ValueError(
            f"--dataset-path {args.dataset_path} does not exist; pass the file or folder the --dataset reads"
        )
    if args.prompt is not None and args.prompt.startswith("@") and not Path(args.prompt[1:]).is_file():
        raise ValueError(f"--prompt {args.prompt}: no such file {args.prompt[1:]} (@path reads the prompt from a file)")
    if args.min_prompt_length > args.max_prompt_length:
        raise ValueError(
            f"--min-prompt-length {args.min_prompt_length} is above --max-prompt-length {args.max_prompt_length}: "
            "no prompt can pass the length filter"
        )


def _check_images(args: PerfArguments) -> None:
    for name in ("image_width", "image_height", "image_num"):
        value = getattr(args, name)
        if value < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {value}")


def _check_sla(args: PerfArguments) -> None:
    from assay.perf.sla import parse_sla_params

    if args.sla_variable not in ("parallel", "rate"):
        raise ValueError(f"--sla-variable must be parallel or rate, got {args.sla_variable!r}")
    if not args.sla_params:
        raise ValueError('--sla-auto-tune needs --sla-params, e.g. \'{"p99_ttft": "<=2s"}\'')
    parse_sla_params(args.sla_params)
    if args.sla_variable == "parallel" and args.open_loop:
        raise ValueError("--sla-variable parallel tunes concurrency, which --open-loop does not limit; use rate")
    if args.sla_num_runs < 1:
        raise ValueError("--sla-num-runs must be >= 1")
    if args.sla_lower_bound < 1 or args.sla_upper_bound < args.sla_lower_bound:
        raise ValueError("--sla-lower-bound and --sla-upper-bound must satisfy 1 <= lower <= upper")
    if args.sla_fixed_parallel is not None and args.sla_fixed_parallel < 1:
        raise ValueError("--sla-fixed-parallel must be >= 1")
    multiplier = args.sla_number_multiplier
    if multiplier is not None and (not math.isfinite(multiplier) or multiplier <= 0):
        raise ValueError("--sla-number-multiplier must be finite and > 0")
