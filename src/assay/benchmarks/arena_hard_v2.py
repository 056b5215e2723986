"""Arena-Hard-Auto v2.0: 500 hard prompts and 250 creative-writing prompts, judged against a baseline per category.

* **Subsets**: ``hard_prompt`` (coding and math; baseline ``o3-mini-2025-01-31``) and
  ``creative_writing`` (baseline ``gemini-2.0-flash-001``): upstream's ``JUDGE_SETTINGS``, each
  category with its own judge system prompt (creative writing's does not ask the judge to write its
  own answer first). ``extra_params.baseline_model`` replaces a baseline (a name, or {subset: name}).
* **Prompt**: the question as the only user message; generation settings are the run's.
* **Judging** (scorer ``arena_pairwise``, :mod:`assay.benchmarks._arena`): two games per question with
  the positions swapped; a verdict is the last ``[[label]]`` (else ``[label]``) of the judge's reply,
  as upstream's current ``get_score``. Upstream's judge is GPT-4.1 (temperature 0, max_tokens 16000).
* **Metrics**: ``arena_score`` (the headline): the Bradley-Terry win rate against the baseline with a
  90% bootstrap interval, per category and pooled over both; ``win_rate``: the mean game outcome per
  question. Upstream's official hard-prompt number is style controlled: set
  ``extra_params.style_control`` for ``arena_score_style_controlled``. A question the judge could not
  decide in either game is excluded with the judge's reason.
* **Data**: a checkout of lmarena/arena-hard-auto (``local_path`` at its root or at
  ``data/arena-hard-v2.0``) with ``model_answer/<baseline>.jsonl`` for each evaluated category; no hub
  copy carries the baselines' answers.
"""

from __future__ import annotations

from typing import ClassVar

from assay.benchmarks._arena import (
    CREATIVE_WRITING_SYSTEM_PROMPT,
    EXTRA_PARAMS,
    EXTRA_PARAMS_HELP,
    JUDGE_SYSTEM_PROMPT,
    ArenaAdapter,
    upstream_question_files,
)
from assay.benchmarks._base import DataSpec
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark

SUBSETS = ["hard_prompt", "creative_writing"]


@register_benchmark(
    BenchmarkMeta(
        name="arena_hard_v2",
        pretty_name="Arena-Hard-Auto v2.0",
        description=(
            "Arena-Hard-Auto v2.0 asks 500 fresh, hard Chatbot Arena prompts (open-ended coding and math) and "
            "250 creative-writing prompts, and has an LLM judge compare each answer with a baseline's "
            "(o3-mini for hard prompts, Gemini 2.0 Flash for creative writing), twice with the positions "
            "swapped. The score is the model's predicted win rate against the baseline from a Bradley-Terry "
            "fit (strong preferences weigh 3) with a 90% bootstrap interval, per category; optionally "
            "controlled for answer length and markdown."
        ),
        tags=["instruction-following", "arena", "llm-judge", "creative-writing"],
        paper_url="https://arxiv.org/abs/2406.11939",
        version="1",
        dataset_id="lmarena-ai/arena-hard-auto",
        homepage="https://github.com/lmarena/arena-hard-auto",
        license="Apache-2.0",  # repository LICENSE
        sample_counts={"hard_prompt": 500, "creative_writing": 250},  # data/arena-hard-v2.0/question.jsonl (tested)
        example=BenchmarkExample(
            record={
                "uid": "ec71c09662a64365",
                "category": "hard_prompt",
                "subcategory": "coding",
                "prompt": "please write a python script that takes a .mp4 file and outputs screenshots taken 10s apart",
            },
            subset="hard_prompt",
            source="data/arena-hard-v2.0/question.jsonl, line 2 (lmarena/arena-hard-auto)",
        ),
        local_layout=(
            "a checkout of lmarena/arena-hard-auto: <dir>/data/arena-hard-v2.0/question.jsonl (uid, category, "
            "prompt) and <dir>/data/arena-hard-v2.0/model_answer/<baseline>.jsonl; or <dir> being that "
            "arena-hard-v2.0 folder"
        ),
        dataset_dir_names=["arena_hard"],  # one upstream checkout holds v0.1 and v2.0
        available_subsets=list(SUBSETS),
        subset_list=list(SUBSETS),
        eval_split="test",
        prompt_template="{question}",
        metric_list=["win_rate"],
        headline_metric="arena_score",
        category_map={subset: subset for subset in SUBSETS},
        extra_params=dict(EXTRA_PARAMS),
        extra_params_help=dict(EXTRA_PARAMS_HELP),
    )
)
class ArenaHardV2Adapter(ArenaAdapter):
    """Arena-Hard-Auto v2.0: subsets are the ``category`` column, each with its baseline and judge prompt."""

    data: ClassVar[DataSpec] = DataSpec(upstream=upstream_question_files("arena-hard-v2.0"), subset_key="category")
    official_baselines: ClassVar[dict[str, str]] = {
        "hard_prompt": "o3-mini-2025-01-31",
        "creative_writing": "gemini-2.0-flash-001",
    }
    judge_system_prompts: ClassVar[dict[str, str]] = {
        "hard_prompt": JUDGE_SYSTEM_PROMPT,
        "creative_writing": CREATIVE_WRITING_SYSTEM_PROMPT,
    }
    verdict_rule: ClassVar[str] = "v2.0"
