"""``BenchmarkMeta``: the frozen description of a benchmark and of how it is run.

A meta is declared once per benchmark (``@register_benchmark(BenchmarkMeta(...))``); the user's
``dataset_args`` then produce an *effective* meta with :meth:`BenchmarkMeta.with_overrides`, which
is what the adapter runs with and what reports record. Field names are EvalScope's, so its
``dataset_args`` keys map one to one.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class BenchmarkExample(BaseModel):
    """One raw record of a benchmark, shown by ``assay benchmark-info`` through the adapter's own code.

    Example:
        >>> BenchmarkExample(record={"question": "1+1?", "answer": "#### 2"}, source="made up").subset is None
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    record: dict[str, Any] = Field(
        description="One record in a schema the adapter reads (hub or upstream release), unchanged."
    )
    subset: str | None = Field(default=None, description="Subset the record belongs to; None = first of subset_list.")
    source: str = Field(description="Where the record comes from (file and position, or 'illustrative').")


class BenchmarkMeta(BaseModel):
    """Everything that defines a benchmark run except the model: data, prompts, scoring, version.

    Example:
        >>> meta = BenchmarkMeta(name="toy", pretty_name="Toy", dataset_id="me/toy", version="1",
        ...                      subset_list=["default"], eval_split="test", prompt_template="{question}",
        ...                      metric_list=["acc"], description="A toy benchmark.")
        >>> meta.with_overrides({"few_shot_num": 0}).few_shot_num
        0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- identity -----------------------------------------------------------------------------
    name: str = Field(description="Registry name, as EvalScope spells it (`gsm8k`, `arc`).")
    pretty_name: str = Field(description="Display name for tables and reports.")
    description: str = Field(description="One paragraph: what is measured, on what data, how it is scored.")
    tags: list[str] = Field(default_factory=list, description="Free-form labels (`math`, `multiple-choice`).")
    paper_url: str | None = Field(default=None, description="Paper that introduced the benchmark.")
    version: str = Field(
        description="Version of prompts and scoring; bumped whenever either changes, which invalidates "
        "cached predictions (prompts) and reviews (scoring)."
    )

    # --- data ---------------------------------------------------------------------------------
    dataset_id: str = Field(description="Hugging Face hub id the data is downloaded from by default.")
    dataset_revision: str | None = Field(
        default=None,
        description="Hub commit the data is pinned to; None = the hub's default branch (unpinned).",
    )
    modelscope_dataset_id: str | None = Field(
        default=None,
        description="ModelScope id when it differs from `dataset_id` (used with dataset_hub='modelscope').",
    )
    homepage: str | None = Field(
        default=None, description="Page describing the data and its terms (project site or dataset card)."
    )
    license: str | None = Field(
        default=None,
        description="Licence of the data: an SPDX id (`CC-BY-SA-4.0`) or short text; None = not stated or not "
        "confirmed (benchmark-info then points to `homepage`).",
    )
    sample_counts: dict[str, int] = Field(
        default_factory=dict,
        description="Published number of eval-split records per subset; empty when not published per subset.",
    )
    sample_total: int | None = Field(
        default=None,
        ge=0,
        description="Published eval-split total when per-subset numbers are not; None = sum of `sample_counts`.",
    )
    example: BenchmarkExample | None = Field(
        default=None, description="One real (or labelled illustrative) record, rendered by benchmark-info."
    )
    local_path: str | None = Field(
        default=None,
        description="Local file or folder that replaces the hub (set from dataset_args or --dataset-dir).",
    )
    dataset_dir_names: list[str] = Field(
        default_factory=list,
        description="Folders under --dataset-dir tried after `<name>/` (arena_hard_v2 reads the arena_hard checkout).",
    )
    local_layout: str = Field(
        default="",
        description="The local files this benchmark reads, in words (shown in errors and benchmark-info).",
    )
    available_subsets: list[str] | None = Field(
        default=None, description="Every subset that exists; None = any name (the user's own files)."
    )
    subset_list: list[str] = Field(description="Subsets evaluated (default: all available).")
    train_split: str | None = Field(default=None, description="Split few-shot examples are drawn from; None = none.")
    eval_split: str = Field(description="Split that is evaluated.")
    shuffle: bool = Field(default=False, description="Shuffle evaluated samples (with the run seed) before `limit`.")
    shuffle_choices: bool | int = Field(
        default=False, description="Shuffle MCQ options: True uses the run seed, an int is its own seed."
    )

    # --- prompting ----------------------------------------------------------------------------
    few_shot_num: int = Field(default=0, ge=0, description="Worked examples placed before each question.")
    few_shot_random: bool = Field(
        default=False,
        description="Draw few-shot examples at random (seeded) instead of the first N of the split.",
    )
    prompt_template: str = Field(description="Prompt for one question; placeholders depend on the task family.")
    few_shot_prompt_template: str | None = Field(
        default=None,
        description="Prompt with examples (`{fewshot}` placeholder); used when few_shot_num > 0.",
    )
    system_prompt: str | None = Field(default=None, description="System message sent before the prompt; None = none.")
    query_template: str | None = Field(
        default=None,
        description="EvalScope field kept for config compatibility; no built-in benchmark uses it.",
    )

    # --- scoring ------------------------------------------------------------------------------
    filters: dict[str, Any] = Field(
        default_factory=dict, description="Answer filters applied in order before extraction (name -> args)."
    )
    scorers: dict[str, str] = Field(
        default_factory=dict,
        description="Metric name -> the registered scorer that computes it (`{'acc': 'math_equiv'}`); "
        "`metric_list` picks among these metrics. Empty = the adapter family's `default_scorers`.",
    )
    metric_list: list[str] = Field(description="Metric names reported per sample (`acc`, `BLEU`, `Rouge`).")
    headline_metric: str | None = Field(
        default=None,
        description="Report key shown as the benchmark's score when it is not the first one (general_qa's "
        "`Rouge-L-R`); None = the first key of the first metric.",
    )
    metric_args: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Options of metrics given in EvalScope's `{name: {options}}` form."
    )
    aggregation: str = Field(
        default="mean", description="How per-sample values are combined (`mean`, `mean_and_pass_at_k` ...)."
    )
    category_map: dict[str, str] = Field(
        default_factory=dict, description="Subset -> category for grouped report rows (MMLU's four areas)."
    )
    extra_params: dict[str, Any] = Field(
        default_factory=dict, description="Benchmark-specific options (name -> value)."
    )
    extra_params_help: dict[str, str] = Field(
        default_factory=dict, description="What each extra param does (for benchmark-info)."
    )

    def with_overrides(self, updates: dict[str, Any]) -> BenchmarkMeta:
        """A copy with ``updates`` applied and validated (``model_copy`` would skip validation)."""
        return BenchmarkMeta.model_validate({**self.model_dump(), **updates})
