"""``PerfArguments``: one typed description of a ``assay perf`` run, with EvalScope's names.

Every field keeps the name, unit and meaning of EvalScope 1.x's ``evalscope perf`` flag of the same
name, so existing scripts keep working. Lists (``parallel``, ``number``, ``rate``, ``max_tokens``)
describe a sweep: run i uses the i-th value of each.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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
    connect_timeout: float | None = Field(None, description="Seconds to establish a connection.")
    read_timeout: float | None = Field(None, description="Seconds allowed between two reads.")
    total_timeout: float = Field(6 * 60 * 60, description="Seconds allowed for one whole request.")
    no_test_connection: bool = Field(False, description="Skip the connectivity check before the run.")

    # ---- load shape ---------------------------------------------------------------------------
    parallel: list[int] = Field(default_factory=lambda: [1], description="Concurrency of each run (closed loop).")
    number: list[int] | None = Field(None, description="Requests of each run (default: parallel * 10?).")
    rate: list[float] = Field(default_factory=lambda: [-1.0], description="Requests/s of each run; -1 = closed loop.")
    burstiness: float = Field(1.0, description="Gamma shape of inter-arrival times; 1 = Poisson.")
    open_loop: bool = Field(False, description="Send on the arrival schedule regardless of responses.")
    duration: float | None = Field(None, description="Seconds each run lasts (instead of --number).")
    warmup_num: int = Field(0, description="Requests sent (and discarded) before each run.")
    num_workers: int | None = Field(None, description="Client worker processes; None = auto.")
    sleep_interval: float = Field(5.0, description="Seconds between the runs of a sweep.")

    # ---- request body -------------------------------------------------------------------------
    stream: bool = Field(True, description="Stream with SSE (needed for TTFT and ITL).")
    max_tokens: list[int] | None = Field(None, description="max_tokens of each run's requests.")
    min_tokens: int | None = Field(None, description="min_tokens (vLLM/SGLang) for fixed-length outputs.")
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    frequency_penalty: float | None = None
    repetition_penalty: float | None = None
    logprobs: bool | None = None
    n_choices: int | None = None
    seed: int | None = Field(None, description="Sampling seed sent to the server (and prompt sampling).")
    stop: list[str] | None = None
    stop_token_ids: list[int] | None = None
    extra_args: dict[str, Any] = Field(default_factory=dict, description="Merged into every request body.")

    # ---- prompts ------------------------------------------------------------------------------
    dataset: str = Field("openqa", description="Prompt source plugin name.")
    dataset_path: str | None = Field(None, description="File or folder the prompt source reads.")
    prompt: str | None = Field(None, description="One fixed prompt for every request.")
    query_template: str | None = Field(None, description="JSON body template with a {prompt} placeholder.")
    min_prompt_length: int = Field(0, description="Shortest prompt kept (tokens with a tokenizer, else chars).")
    max_prompt_length: int = Field(131072, description="Longest prompt kept (tokens with a tokenizer, else chars).")
    prefix_length: int = Field(0, description="Tokens of shared prefix in random prompts.")
    tokenizer_path: str | None = Field(None, description="Tokenizer for exact token counts.")
    tokenize_prompt: bool = Field(False, description="Send token ids instead of text (completions).")
    apply_chat_template: bool | None = Field(None, description="Apply the tokenizer's chat template.")

    # ---- outputs ------------------------------------------------------------------------------
    outputs_dir: str = Field("./outputs", description="Root folder of results.")
    no_timestamp: bool = Field(False, description="No timestamped sub-folder.")
    name: str | None = Field(None, description="Run name (result folder and visualizer run).")
    visualizer: str | None = Field(None, description="wandb or swanlab (optional, offline works).")
    debug: bool = False

    # ---- SLA auto-tune ------------------------------------------------------------------------
    sla_auto_tune: bool = False
    sla_variable: str = Field("parallel", description="parallel or rate.")
    sla_params: list[dict[str, Any]] | None = Field(None, description="Targets, EvalScope syntax.")
    sla_num_runs: int = 3
    sla_upper_bound: int = 65536
    sla_lower_bound: int = 1
