"""MT-Bench: two-turn conversations, each answer rated 1-10 by an LLM judge (FastChat's single-answer grading).

* **Requests**: multi-turn. Each question's two user turns are asked in order, the model's own
  first answer in context for the second (``RequestKind.MULTI_TURN``), as FastChat's
  ``gen_model_answer.py``. ``max_tokens`` is FastChat's 1024 unless the run sets it. Deviation:
  FastChat (and EvalScope) also set a temperature per category (0.7 writing and roleplay, 0.1 stem
  and humanities, 0 otherwise); the run's one ``generation_config`` applies to every category here.
* **Data**: FastChat's release (``fastchat/llm_judge/data/mt_bench``): ``question.jsonl`` (80
  questions, 10 per category, two turns each) and ``reference_answer/gpt-4.jsonl``, GPT-4's answers
  to the 30 math, reasoning and coding questions; or the hub's ``HuggingFaceH4/mt_bench_prompts``
  (EvalScope's data: ``prompt``, ``reference``). Subsets are the 8 categories, so the report's
  subset rows are FastChat's per-category scores. A math, reasoning or coding question without two
  reference answers is refused when loading (its judge prompt needs them). FastChat takes reference
  answers from the file named after the judge model; we always use GPT-4's, whatever the judge.
  The ``reference`` field some records of ``question.jsonl`` carry is not used, as in FastChat.
* **Judging** (``common.py`` ``run_judge_single``, prompts of ``judge_prompts.jsonl`` bundled byte
  for byte): turn 1 with ``single-v1``, or ``single-math-v1`` with the reference's first answer for
  math, reasoning and coding (FastChat's ``NEED_REF_CATS``); turn 2 with ``single-v1-multi-turn`` /
  ``single-math-v1-multi-turn``, which show the whole conversation (and both reference answers).
  Each turn is a separate judge request; answers go in with ``<think>`` reasoning removed.
* **Rating**: the first ``[[x]]`` in the judge's reply, else the first ``[x]`` (FastChat's
  ``one_score_pattern`` and its backup), kept as given on FastChat's 1-10 scale (no range check,
  as upstream). Where FastChat records -1 and drops the rating, the turn has no rating here: it is
  left out of its turn's metric and of ``score``, and the reason is in the review; a question
  with neither turn rated is excluded with the judge's reason.
* **Metrics**: ``score_turn1`` and ``score_turn2``, the means of the turn ratings, and ``score``
  (the headline), FastChat ``show_result.py``'s overall average: the mean over every rated
  (question, turn), so a question with one rated turn weighs half. Its standard error treats each
  question as a cluster of its turns. EvalScope (``mt_bench_adapter.py``) names them
  ``judge_score``, ``first_turn_judge_score`` and ``second_turn_judge_score``, asks for JSON verdicts
  instead of FastChat's format, and drops a question when either turn fails.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile, bundled_text, format_template
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._qa import QuestionAnswerAdapter
from assay.benchmarks._registry import register_benchmark
from assay.datasets.source import read_local_file
from assay.errors import UserError
from assay.judge.scorers import JudgedScorer
from assay.judge.service import PARSE_ERROR, TRANSPORT_ERROR, JudgeVerdict
from assay.scoring.filters import strip_reasoning
from assay.scoring.scorer import register_scorer
from assay.types import ChatMessage, GenerateConfig, ModelOutput, RequestKind, Sample, SampleStatus, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

#: FastChat's eight categories, in ``question.jsonl`` order.
CATEGORIES = ["writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities"]
#: Categories judged against a reference answer (FastChat ``NEED_REF_CATS``, less arena-hard-200).
REFERENCE_CATEGORIES = frozenset({"math", "reasoning", "coding"})
#: FastChat's ``judge_prompts.jsonl`` (lm-sys/FastChat ``0e6d3e4``, ``fastchat/llm_judge/data``).
JUDGE_PROMPTS_FILE = "mt_bench_judge_prompts.jsonl"
#: FastChat ``gen_model_answer.py``'s ``--max-new-token`` default.
DEFAULT_MAX_TOKENS = 1024

#: FastChat's ``one_score_pattern`` and ``one_score_pattern_backup``.
_RATING = re.compile(r"\[\[(\d+\.?\d*)\]\]")
_RATING_BACKUP = re.compile(r"\[(\d+\.?\d*)\]")


@functools.cache
def judge_prompts() -> dict[str, dict[str, str]]:
    """FastChat's judge prompts by name (``single-v1`` ...): system prompt, template, output format."""
    prompts = {}
    for line in bundled_text(JUDGE_PROMPTS_FILE).splitlines():
        if line.strip():
            entry = json.loads(line)
            prompts[entry["name"]] = entry
    return prompts


def parse_rating(reply: str) -> float | None:
    """The rating as FastChat reads it: the first ``[[x]]``, else the first ``[x]``; None without one.

    Example:
        >>> parse_rating("Good. Rating: [[8]]"), parse_rating("Rating: [7.5]"), parse_rating("no rating")
        (8.0, 7.5, None)
    """
    match = _RATING.search(reply) or _RATING_BACKUP.search(reply)
    return float(match.group(1)) if match else None


def judge_prompt(
    turn: int, questions: Sequence[str], answers: Sequence[str], references: Sequence[str]
) -> dict[str, str]:
    """The judge request for ``turn`` (1 or 2): FastChat's prompt name, system message and user message.

    ``references`` is empty outside math, reasoning and coding; otherwise it selects the
    reference-guided prompt, as FastChat's ``make_judge_single``.
    """
    names = ("single-math-v1", "single-math-v1-multi-turn") if references else ("single-v1", "single-v1-multi-turn")
    name = names[turn - 1]
    prompt = judge_prompts()[name]
    fields: dict[str, str]
    if turn == 1:
        fields = {"question": questions[0], "answer": answers[0]}
    else:
        fields = {
            "question_1": questions[0],
            "question_2": questions[1],
            "answer_1": answers[0],
            "answer_2": answers[1],
        }
    if references:
        fields["ref_answer_1"] = references[0]
        if turn == 2:
            fields["ref_answer_2"] = references[1]
    return {"name": name, "system": prompt["system_prompt"], "user": prompt["prompt_template"].format(**fields)}


def release_files(root: Path, subset: str, split: str) -> list[LocalFile]:
    """FastChat's ``data/`` folder (``<root>/mt_bench/question.jsonl``) or its ``mt_bench`` folder."""
    return [LocalFile(root / "mt_bench" / "question.jsonl"), LocalFile(root / "question.jsonl")]


def read_questions(found: LocalFile) -> list[dict[str, Any]]:
    """The records of one file; FastChat's questions get GPT-4's reference answers from beside them.

    Raises:
        UserError: A FastChat ``question.jsonl`` without ``reference_answer/gpt-4.jsonl`` next to it.
    """
    records = read_local_file(found)
    if not records or "turns" not in records[0]:
        return records  # the hub's schema carries its references
    references = found.path.parent / "reference_answer" / "gpt-4.jsonl"
    if not references.is_file():
        raise UserError(
            f"{references} not found: FastChat's MT-Bench grades math, reasoning and coding against GPT-4's "
            f"reference answers; copy fastchat/llm_judge/data/mt_bench/reference_answer/ beside {found.path.name}"
        )
    by_id = {row["question_id"]: row["choices"][0]["turns"] for row in read_local_file(LocalFile(references))}
    return [{**record, "reference_answers": by_id.get(record["question_id"])} for record in records]


@register_benchmark(
    BenchmarkMeta(
        name="mt_bench",
        pretty_name="MT-Bench",
        description=(
            "MT-Bench asks 80 two-turn questions in 8 categories (writing, roleplay, reasoning, math, coding, "
            "extraction, STEM, humanities); the second turn follows up on the model's own first answer. An LLM "
            "judge rates each answer from 1 to 10 with FastChat's single-answer grading prompts, comparing "
            "math, reasoning and coding answers with GPT-4's reference answers. The score is the mean rating "
            "over all rated turns, with the first- and second-turn means beside it."
        ),
        tags=["multi-turn", "instruction-following", "llm-judge"],
        paper_url="https://arxiv.org/abs/2306.05685",
        version="1",
        dataset_id="HuggingFaceH4/mt_bench_prompts",
        homepage="https://github.com/lm-sys/FastChat/tree/main/fastchat/llm_judge",
        license="Apache-2.0",  # FastChat repository (shared/data/mt_bench/SOURCE.md)
        sample_counts=dict.fromkeys(CATEGORIES, 10),  # question.jsonl (SOURCE.md; tested)
        example=BenchmarkExample(
            record={
                "question_id": 81,
                "category": "writing",
                "turns": [
                    "Compose an engaging travel blog post about a recent trip to Hawaii, highlighting cultural "
                    "experiences and must-see attractions.",
                    "Rewrite your previous response. Start every sentence with the letter A.",
                ],
            },
            subset="writing",
            source="first record of question.jsonl (FastChat fastchat/llm_judge/data/mt_bench)",
        ),
        local_layout=(
            "FastChat's <dir>/mt_bench/question.jsonl (or <dir>/question.jsonl) with reference_answer/gpt-4.jsonl "
            "beside it, records {question_id, category, turns: [turn 1, turn 2]}; or hub-style "
            "<dir>/train.jsonl|parquet with {prompt_id, category, prompt: [turn 1, turn 2], reference}"
        ),
        available_subsets=CATEGORIES,
        subset_list=CATEGORIES,
        eval_split="train",
        prompt_template="{question}",
        scorers=dict.fromkeys(("score", "score_turn1", "score_turn2"), "mt_bench_rating"),
        metric_list=["score", "score_turn1", "score_turn2"],
    )
)
class MTBenchAdapter(QuestionAnswerAdapter):
    """Two-turn questions to multi-turn samples (``prompt_template`` applied to each turn); both answers rated."""

    data: ClassVar[DataSpec] = DataSpec(upstream=release_files, reader=read_questions, subset_key="category")

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        fastchat = "turns" in record
        question_id = record["question_id"] if fastchat else record["prompt_id"]
        turns = [str(turn) for turn in (record["turns"] if fastchat else record["prompt"])]
        category = str(record["category"])
        if len(turns) != 2:
            raise UserError(f"mt_bench question {question_id} has {len(turns)} turns; MT-Bench questions have 2")
        references: list[str] = []
        if category in REFERENCE_CATEGORIES:
            given = record.get("reference_answers") if fastchat else record.get("reference")
            if not given or len(given) < 2:
                raise UserError(
                    f"mt_bench {category} question {question_id} has no reference answer for both turns, which its "
                    "judge prompt needs; use FastChat's data (local_path) with reference_answer/gpt-4.jsonl"
                )
            references = [str(answer) for answer in given[:2]]
        messages = [ChatMessage(role="user", content=self._prompt(turn)) for turn in turns]
        return Sample(
            id=str(question_id),
            input=messages,
            target=references or "",
            subset=subset,
            metadata={"question_id": question_id, "category": category, "turns": turns, "references": references},
        )

    def request_kind(self) -> RequestKind:
        return RequestKind.MULTI_TURN

    def generate_config(self, base: GenerateConfig) -> GenerateConfig:
        return base if base.max_tokens is not None else base.model_copy(update={"max_tokens": DEFAULT_MAX_TOKENS})

    def _prompt(self, turn: str) -> str:
        return format_template(self.meta.prompt_template, "prompt_template", self.meta.name, question=turn)


@register_scorer("mt_bench_rating")
class MTBenchRatingScorer(JudgedScorer):
    """FastChat's single-answer grading of both turns; values per turn and their mean over rated turns."""

    version = "1"
    supported_metrics = ("score", "score_turn1", "score_turn2")

    def settings(self) -> dict[str, Any]:
        return {"judge_prompts": judge_prompts(), "parser": [_RATING.pattern, _RATING_BACKUP.pattern]}

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        questions: list[str] = sample.metadata["turns"]
        references: list[str] = sample.metadata["references"]
        if output.turns is None or len(output.turns) != len(questions):
            raise ValueError(f"mt_bench needs an answer to each of the {len(questions)} turns, got {output.turns!r}")
        answers = [strip_reasoning(answer)[0] for answer in output.turns]
        prompts = [judge_prompt(turn, questions, answers, references) for turn in (1, 2)]
        verdicts = await asyncio.gather(
            *(self.ask(ctx, prompt["user"], parse_rating, system=prompt["system"]) for prompt in prompts)
        )
        turns = [
            _turn_record(turn, prompt["name"], answers[turn - 1], v)
            for turn, (prompt, v) in enumerate(zip(prompts, verdicts, strict=True), 1)
        ]
        ratings = {f"score_turn{t['turn']}": float(t["rating"]) for t in turns if "reason" not in t}
        details = {"category": sample.metadata["category"], "turns": turns}
        if not ratings:
            return Score(status=SampleStatus.EXCLUDED, reason=_reason(verdicts), extracted=output.text, details=details)
        values = {**ratings, "score": sum(ratings.values()) / len(ratings)}
        unrated = [f"turn {record['turn']}: {record['reason']}" for record in turns if "reason" in record]
        return Score(
            value={name: values[name] for name in self.metrics if name in values},
            weights={"score": float(len(ratings))} if "score" in self.metrics else {},
            extracted=output.text,
            explanation="; ".join(unrated) or None,
            details=details,
        )


def _turn_record(turn: int, prompt_name: str, answer: str, verdict: JudgeVerdict) -> dict[str, Any]:
    """One turn as the review keeps it: the answer the judge saw, its prompt, rating and replies."""
    record: dict[str, Any] = {"turn": turn, "answer": answer, "judge_prompt": prompt_name, "rating": verdict.value}
    if not verdict.ok:
        record["reason"] = verdict.reason
    record["judge"] = verdict.as_json()
    return record


def _reason(verdicts: Sequence[JudgeVerdict]) -> str:
    """Why no turn is rated, counted as the judge counts it: a parse failure if any turn had one."""
    return PARSE_ERROR if any(v.reason == PARSE_ERROR for v in verdicts) else TRANSPORT_ERROR
