"""IFEval: does the model follow verifiable instructions ("no commas", "at least 300 words", "end with ...")?

* **Prompt**: the record's ``prompt`` as the only user message, unchanged (EvalScope 1.x
  ``ifeval_adapter.py`` uses no template either).
* **Few-shot**: none.
* **Scoring**: each instruction of the record is checked by :mod:`assay.scoring.ifeval`, which
  reproduces the 25 checkers of Google's reference implementation (``instruction_following_eval``),
  strictly (the reply as given) and loosely (the reply, or it without its first and/or last line,
  with or without ``*``). Reasoning in ``<think>`` blocks is removed first.
* **Metrics**: ``prompt_level_strict`` / ``prompt_level_loose``: 1 when every instruction of the
  prompt is followed; ``inst_level_strict`` / ``inst_level_loose``: the share of the prompt's
  instructions followed, averaged over *instructions*, not prompts (each sample is weighted by its
  instruction count), which is the reference's instruction-level accuracy and EvalScope 1.14's.
  ``prompt_level_strict`` is the headline.
* **Data**: ``google/IFEval`` (541 prompts, split ``train``), or the upstream
  ``input_data.jsonl`` given as ``local_path``. A record whose instruction or kwargs the reference
  could not check is reported before any request is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._base import BenchmarkAdapter, DataSpec, LocalFile, format_template
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError
from assay.scoring import ifeval
from assay.scoring.scorers.ifeval import IFEVAL_METRICS as METRICS
from assay.types import Sample


@register_benchmark(
    BenchmarkMeta(
        name="ifeval",
        pretty_name="IFEval",
        description=(
            "IFEval (Instruction-Following Eval) measures whether a model obeys explicit, machine-checkable "
            "instructions such as 'answer in fewer than 5 sentences', 'include the keywords X and Y' or 'wrap "
            "the whole reply in double quotes': 541 prompts carrying 25 kinds of instruction. Each "
            "instruction is checked strictly and loosely (forgiving a first or last line and markdown '*'); "
            "prompt-level scores need every instruction followed, instruction-level scores average over all "
            "instructions."
        ),
        tags=["instruction-following"],
        paper_url="https://arxiv.org/abs/2311.07911",
        version="1",
        dataset_id="google/IFEval",
        modelscope_dataset_id="opencompass/ifeval",
        homepage="https://github.com/google-research/google-research/tree/master/instruction_following_eval",
        license="Apache-2.0",  # google-research repository (shared/data/ifeval/SOURCE.md)
        sample_counts={"default": 541},  # input_data.jsonl (SOURCE.md; tested)
        example=BenchmarkExample(
            record={
                "key": 1000,
                "prompt": 'Write a 300+ word summary of the wikipedia page "https://en.wikipedia.org/wiki/Raymond_III,'
                '_Count_of_Tripoli". Do not use any commas and highlight at least 3 sections that has titles in '
                "markdown format, for example *highlighted section part 1*, *highlighted section part 2*, "
                "*highlighted section part 3*.",
                "instruction_id_list": [
                    "punctuation:no_comma",
                    "detectable_format:number_highlighted_sections",
                    "length_constraints:number_words",
                ],
                "kwargs": [{}, {"num_highlights": 3}, {"relation": "at least", "num_words": 300}],
            },
            subset="default",
            source="first record of input_data.jsonl (google-research instruction_following_eval/data)",
        ),
        local_layout=(
            "the upstream file <dir>/input_data.jsonl (google-research instruction_following_eval/data), or "
            "hub-style <dir>/default/train.jsonl|parquet; records have key, prompt, instruction_id_list and "
            "kwargs (one dict per instruction)"
        ),
        available_subsets=["default"],
        subset_list=["default"],
        eval_split="train",
        prompt_template="{question}",
        metric_list=list(METRICS),
    )
)
class IFEvalAdapter(BenchmarkAdapter):
    """IFEval records to samples carrying their instructions; replies judged by the reference's checks."""

    # google-research's instruction_following_eval/data/input_data.jsonl
    data: ClassVar[DataSpec] = DataSpec(upstream=lambda root, subset, split: [LocalFile(root / "input_data.jsonl")])
    default_scorers: ClassVar[dict[str, str]] = dict.fromkeys(METRICS, "ifeval")

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        key = record.get("key", index)
        instruction_ids = [str(i) for i in record["instruction_id_list"]]
        kwargs = [dict(k or {}) for k in record["kwargs"]]
        try:
            if not instruction_ids:
                raise ifeval.InstructionError("it has no instructions")
            ifeval.build_checkers(instruction_ids, kwargs)
        except ifeval.InstructionError as exc:
            raise UserError(f"ifeval record {key} (line {index + 1}): {exc}; fix or remove the record") from None
        return Sample(
            id=str(key),
            input=str(record["prompt"]),
            target="",
            subset=subset,
            metadata={"key": key, "instruction_id_list": instruction_ids, "kwargs": kwargs},
        )

    def format_prompt(self, sample: Sample, fewshot: str | None) -> str:
        assert isinstance(sample.input, str)
        return format_template(self.meta.prompt_template, "prompt_template", self.meta.name, question=sample.input)
