"""Arena-Hard-Auto v0.1: 500 hard Chatbot Arena prompts, the model's answers judged against GPT-4-0314's.

* **Prompt**: the question as the only user message (upstream ``gen_answer.py`` adds no system
  prompt); generation settings are the run's (upstream generated with temperature 0, max_tokens 4096).
* **Baseline**: ``gpt-4-0314``'s answers from ``model_answer/gpt-4-0314.jsonl`` beside the questions,
  matched by question id; ``extra_params.baseline_model`` picks another answer file there.
* **Judging** (scorer ``arena_pairwise``, :mod:`assay.benchmarks._arena`): two games per question, the
  baseline shown as Assistant A and then as Assistant B, with upstream's judge prompt; a verdict is
  the one distinct ``[[label]]`` of the judge's reply, as in the v0.1 release.
* **Metrics**: ``arena_score`` (the headline): the Bradley-Terry win rate against the baseline, a
  strong verdict counting 3 battles, with a 90% bootstrap interval; ``win_rate``: the mean game
  outcome per question (1 win, 0.5 tie, 0 loss). ``extra_params.style_control`` adds the
  length-and-markdown-controlled score. A question the judge could not decide in either game is
  excluded with the judge's reason, never scored 0.
* **Data**: a checkout of lmarena/arena-hard-auto (``local_path`` at its root or at
  ``data/arena-hard-v0.1``), or EvalScope's ModelScope copy (``--dataset-hub modelscope``), which
  carries GPT-4-0314's answers; the Hugging Face copy holds the questions only and is refused.
"""

from __future__ import annotations

from typing import ClassVar

from assay.benchmarks._arena import (
    EXTRA_PARAMS,
    EXTRA_PARAMS_HELP,
    JUDGE_SYSTEM_PROMPT,
    ArenaAdapter,
    upstream_question_files,
)
from assay.benchmarks._base import DataSpec
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark


@register_benchmark(
    BenchmarkMeta(
        name="arena_hard",
        pretty_name="Arena-Hard-Auto v0.1",
        description=(
            "Arena-Hard-Auto v0.1 asks 500 challenging prompts from Chatbot Arena (coding, math, reasoning, "
            "writing) and has an LLM judge compare each answer with GPT-4-0314's, twice with the positions "
            "swapped, on a five-point scale. The score is the model's predicted win rate against GPT-4-0314 "
            "from a Bradley-Terry fit of all games (strong preferences weigh 3), with a 90% bootstrap "
            "interval; the benchmark agrees closely with Chatbot Arena's human rankings."
        ),
        tags=["instruction-following", "arena", "llm-judge"],
        paper_url="https://arxiv.org/abs/2406.11939",
        version="1",
        dataset_id="lmarena-ai/arena-hard-auto-v0.1",
        modelscope_dataset_id="AI-ModelScope/arena-hard-auto-v0.1",
        homepage="https://github.com/lmarena/arena-hard-auto",
        license="Apache-2.0",  # repository LICENSE and the Hugging Face dataset card
        sample_counts={"default": 500},  # data/arena-hard-v0.1/question.jsonl (tested)
        example=BenchmarkExample(
            record={
                "uid": "328c149ed45a41c0b9d6f14659e63599",
                "category": "arena-hard-v0.1",
                "cluster": "ABC Sequence Puzzles & Groups",
                "prompt": "Use ABC notation to write a melody in the style of a folk tune.",
            },
            subset="default",
            source="first record of data/arena-hard-v0.1/question.jsonl (lmarena/arena-hard-auto)",
        ),
        local_layout=(
            "a checkout of lmarena/arena-hard-auto: <dir>/data/arena-hard-v0.1/question.jsonl (uid, prompt) "
            "and <dir>/data/arena-hard-v0.1/model_answer/<baseline>.jsonl; or <dir> being that "
            "arena-hard-v0.1 folder"
        ),
        available_subsets=["default"],
        subset_list=["default"],
        eval_split="test",
        prompt_template="{question}",
        metric_list=["win_rate"],
        headline_metric="arena_score",
        extra_params=dict(EXTRA_PARAMS),
        extra_params_help=dict(EXTRA_PARAMS_HELP),
    )
)
class ArenaHardAdapter(ArenaAdapter):
    """Arena-Hard-Auto v0.1 against GPT-4-0314, with the v0.1 release's verdict rule."""

    data: ClassVar[DataSpec] = DataSpec(upstream=upstream_question_files("arena-hard-v0.1"))
    official_baselines: ClassVar[dict[str, str]] = {"default": "gpt-4-0314"}
    judge_system_prompts: ClassVar[dict[str, str]] = {"default": JUDGE_SYSTEM_PROMPT}
    verdict_rule: ClassVar[str] = "v0.1"
    inline_baseline: ClassVar[str | None] = "gpt-4-0314"
