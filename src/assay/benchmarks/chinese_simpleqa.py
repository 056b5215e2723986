"""Chinese SimpleQA: 3,000 short fact-seeking questions in Chinese over six topics, graded by an LLM judge.

* **Data**: ``chinese_simpleqa.jsonl`` of OpenStellarTeam (its Hugging Face dataset
  ``OpenStellarTeam/Chinese-SimpleQA``, split ``train``, and ``data/`` of its GitHub repository;
  ModelScope ``AI-ModelScope/Chinese-SimpleQA`` with ``--dataset-hub modelscope``). Columns ``id``,
  ``primary_category``, ``secondary_category``, ``question``, ``answer``, ``urls``. The subsets are the
  six ``primary_category`` values, as in EvalScope (one file, grouped by that column), so every
  metric is reported per topic, as the upstream leaderboard does.
* **Prompt** (EvalScope 1.x ``csimple_qa_adapter.py``): ``请回答问题：\\n\\n{question}``, zero-shot, no
  system message. The upstream script sends the bare question after the system message
  ``你是一个智能助手。``: set ``prompt_template: "{question}"`` and that ``system_prompt`` to reproduce it.
* **Judge**: the official grading prompt verbatim (``judge/chinese_simpleqa_easy.py``, identical to
  the repository's ``chinese_simpleqa_eval.py`` ``GRADER_TEMPLATE``, ending
  '只返回字母"A"、"B"或"C"，无须添加其他文本。') after that script's judge system message, quoting the
  bare question, the gold answer and the reply (reasoning removed). EvalScope 1.14 drops the last
  line and asks for a JSON object instead. The grade is the first standalone letter A (正确), B (错误)
  or C (未尝试). A reply without one excludes the sample as a ``judge_parse_error`` (upstream counts
  it 未尝试), and so does a judge request that still fails after its retries (``judge_transport_error``).
* **Metrics**: per sample ``is_correct`` / ``is_incorrect`` / ``is_not_attempted``; per topic and
  overall ``correct`` (the score, EvalScope's primary metric), ``not_attempted``,
  ``correct_given_attempted`` and ``f_score`` (upstream's correct, not_attempted,
  given_attempted_accuracy and F1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.benchmarks._simple_qa import HEADLINE, VALUE_KEYS, ShortFormQAAdapter
from assay.types import Sample

#: The released file: the root of the Hugging Face dataset, ``data/`` of the GitHub repository.
UPSTREAM_FILE = "chinese_simpleqa.jsonl"

#: The six topics (``primary_category``) with their record counts in the released file.
TOPIC_COUNTS: dict[str, int] = {
    "中华文化": 326,
    "人文与社会科学": 609,
    "工程、技术与应用科学": 481,
    "生活、艺术与文化": 601,
    "社会": 453,
    "自然与自然科学": 530,
}


def _upstream_files(root: Path, subset: str, split: str) -> Sequence[LocalFile]:
    return [LocalFile(root / UPSTREAM_FILE), LocalFile(root / "data" / UPSTREAM_FILE)]


@register_benchmark(
    BenchmarkMeta(
        name="chinese_simpleqa",
        pretty_name="Chinese-SimpleQA",
        description=(
            "Chinese SimpleQA measures short-form factuality in Chinese: 3,000 fact-seeking questions with short, "
            "time-invariant answers over six topics (Chinese culture, humanities, engineering, life and art, "
            "society, natural science), each topic a subset. The model answers zero-shot; an LLM judge grades each "
            "answer 正确 / 错误 / 未尝试 with the official Chinese grading prompt. Reported per topic and overall: "
            "the share correct (the score), the share not attempted, correct given attempted, and their F-score."
        ),
        tags=["knowledge", "qa", "chinese", "llm-judge"],
        paper_url="https://arxiv.org/abs/2411.07140",
        version="1",
        dataset_id="OpenStellarTeam/Chinese-SimpleQA",
        modelscope_dataset_id="AI-ModelScope/Chinese-SimpleQA",
        homepage="https://github.com/OpenStellarTeam/ChineseSimpleQA",
        # The GitHub repository says it "follows the MIT License" (as a fork of simple-evals); the
        # dataset card's own terms were not confirmed, so none is claimed here.
        license=None,
        sample_counts=TOPIC_COUNTS,  # counted in data/chinese_simpleqa.jsonl (3,000; EvalScope's card agrees)
        example=BenchmarkExample(
            record={
                "id": "af0a86c0707d4c159b3d6090d9dbdec0",
                "primary_category": "中华文化",
                "secondary_category": "中医",
                "question": (
                    "清朝哪本书提出了温病和时疫的防治原则及方法，形成了中医药防治瘟疫（传染病）的理论和实践体系？"
                ),
                "answer": "《温热论》",
            },
            subset="中华文化",
            source="record 10 of data/chinese_simpleqa.jsonl (OpenStellarTeam/ChineseSimpleQA), without its urls",
        ),
        local_layout=(
            f"<dir>/{UPSTREAM_FILE} (the Hugging Face file; or <dir>/data/{UPSTREAM_FILE} as in the GitHub "
            "repository) with columns id, primary_category, secondary_category, question, answer; or hub-style "
            "<dir>/train.jsonl|parquet with those columns"
        ),
        available_subsets=list(TOPIC_COUNTS),
        subset_list=list(TOPIC_COUNTS),
        eval_split="train",
        prompt_template="请回答问题：\n\n{question}",
        metric_list=list(VALUE_KEYS),
        headline_metric=HEADLINE,
    )
)
class ChineseSimpleQAAdapter(ShortFormQAAdapter):
    """Records grouped into topics by ``primary_category``; graded by ``simpleqa_grade`` in Chinese."""

    data: ClassVar[DataSpec] = DataSpec(upstream=_upstream_files, subset_key="primary_category")
    grader_language: ClassVar[str] = "zh"

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        question = str(record["question"])
        return Sample(
            id=str(record.get("id") or f"{subset}-{index}"),
            input=question,
            target=str(record["answer"]),
            subset=subset,
            metadata={
                "question": question,
                "primary_category": str(record.get("primary_category") or subset),
                "secondary_category": str(record.get("secondary_category") or ""),
            },
        )
