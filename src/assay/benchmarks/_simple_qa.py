"""Short-form factuality graded by an LLM judge: SimpleQA's grader, its metrics, and the adapter base.

``simple_qa`` and ``chinese_simpleqa`` share everything but their data and prompts (see
:data:`GRADERS`):

* **The grader** (scorer ``simpleqa_grade``): one judge ask per reply with the official grading
  prompt, filled with the bare question, the gold answer and the cleaned reply exactly as upstream's
  ``GRADER_TEMPLATE.format(question=, target=, predicted_answer=)`` does. The templates are bundled
  verbatim (``data/simple_qa_grader_template.txt`` from openai/simple-evals ``simpleqa_eval.py``,
  ``data/chinese_simpleqa_grader_template.txt`` from OpenStellarTeam/ChineseSimpleQA
  ``judge/chinese_simpleqa_easy.py``, with that script's judge system message).
* **Reading the grade**: the first letter ``A``, ``B`` or ``C`` that stands alone (no ASCII letter
  either side) after any ``<think>`` block, mapped A -> CORRECT, B -> INCORRECT, C -> NOT_ATTEMPTED.
  Upstream searches ``(A|B|C)`` anywhere and defaults to C when nothing matches. Both differ here on
  purpose: a reply with no standalone letter is a ``judge_parse_error`` and the sample is excluded
  (never counted as not attempted), and a capital inside a word is not a grade (upstream reads
  "CORRECT" and "INCORRECT" as C, "Answer: B" as A and "NOT_ATTEMPTED" as A). On every reply that
  follows the prompt's "Just return the letters" the two agree.
* **Per-sample values**: ``is_correct``, ``is_incorrect``, ``is_not_attempted``, exactly one of them 1
  (EvalScope's metric names); the grade is kept in ``details.grade`` beside every judge reply.
* **Corpus metrics** (:func:`grade_rates`, for each subset, category and the whole benchmark), the
  quantities simple-evals prints and the Chinese SimpleQA leaderboard tabulates per category:
  ``correct`` (share graded CORRECT; the headline, as EvalScope's primary ``is_correct`` and
  simple-evals' ``score``), ``not_attempted``, ``correct_given_attempted`` (correct / (correct +
  incorrect); 0 when nothing was attempted, as upstream) and ``f_score`` (harmonic mean of
  ``correct`` and ``correct_given_attempted``; 0 when both are 0, as upstream). Only scored samples
  count: an excluded sample is in none of the denominators.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from assay.benchmarks._base import bundled_text
from assay.benchmarks._qa import QuestionAnswerAdapter
from assay.judge.scorers import JudgedScorer, gold_text, question_text
from assay.report.build import Estimate
from assay.scoring.filters import strip_reasoning
from assay.scoring.scorer import register_scorer
from assay.scoring.stats import mean_and_stderr, weighted_mean_and_stderr
from assay.types import ModelOutput, Sample, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

#: Per-sample value keys, EvalScope's metric names, in the order of the grade letters A, B, C.
VALUE_KEYS: tuple[str, ...] = ("is_correct", "is_incorrect", "is_not_attempted")
#: Grade letter -> (grade name, value key set to 1).
GRADE_OF_LETTER: dict[str, tuple[str, str]] = {
    "A": ("CORRECT", "is_correct"),
    "B": ("INCORRECT", "is_incorrect"),
    "C": ("NOT_ATTEMPTED", "is_not_attempted"),
}
#: The corpus metric that is a benchmark's score.
HEADLINE = "correct"

_STANDALONE_GRADE = re.compile(r"(?<![A-Za-z])([ABC])(?![A-Za-z])")


@dataclass(frozen=True)
class GraderProtocol:
    """How one language's grader is asked: the bundled prompt file and the judge's system message."""

    template_file: str
    system_prompt: str | None


#: ``language`` option of ``simpleqa_grade`` -> its grader. simple-evals sends one user turn; the
#: official Chinese script (and EvalScope) put a system message before it.
GRADERS: dict[str, GraderProtocol] = {
    "en": GraderProtocol("simple_qa_grader_template.txt", None),
    "zh": GraderProtocol(
        "chinese_simpleqa_grader_template.txt",
        "你是一个智能助手，请根据给定问题、标准答案和模型预测的答案来评估模型的回答是否正确。",
    ),
}


def parse_grade_letter(reply: str) -> str | None:
    """The grade letter of a judge reply: the first standalone ``A``, ``B`` or ``C``, else None.

    Example:
        >>> [parse_grade_letter(r) for r in ["A", "**B**", "答案是C", "Answer: B", "CORRECT", "<think>A?</think>C"]]
        ['A', 'B', 'C', 'B', None, 'C']
    """
    answer, _ = strip_reasoning(reply)
    match = _STANDALONE_GRADE.search(answer)
    return match.group(1) if match else None


@register_scorer("simpleqa_grade")
class SimpleQAGrade(JudgedScorer):
    """SimpleQA's three-way grade of a short answer by the run's judge (see the module docstring).

    Option ``language``: ``en`` (simple-evals' grader, the default) or ``zh`` (Chinese SimpleQA's).
    """

    version = "1"
    supported_metrics: ClassVar[tuple[str, ...]] = VALUE_KEYS

    def __init__(self, metrics: Sequence[str] | None = None, **options: Any) -> None:
        super().__init__(metrics, **options)
        language = options.get("language", "en")
        if language not in GRADERS:
            raise ValueError(f"language must be one of {', '.join(GRADERS)}, got {language!r}")
        self.language: str = language
        self.protocol = GRADERS[language]
        self.template = bundled_text(self.protocol.template_file)

    def settings(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "template": self.template,
            "system_prompt": self.protocol.system_prompt,
            "parse": "first standalone A|B|C; none is a judge_parse_error",
        }

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        # str.format as upstream does: the templates hold no braces but these three placeholders,
        # and the values are inserted as they are.
        prompt = self.template.format(
            question=question_text(sample), target=gold_text(sample), predicted_answer=output.text
        )
        verdict = await self.ask(ctx, prompt, parse_grade_letter, system=self.protocol.system_prompt)
        if not verdict.ok:
            return self.excluded(verdict, extracted=output.text)
        grade, key = GRADE_OF_LETTER[str(verdict.value)]
        return Score(
            value={k: float(k == key) for k in VALUE_KEYS},
            extracted=output.text,
            details={"grade": grade, "judge": verdict.as_json()},
        )


def grade_rates(reviews: Sequence[Mapping[str, Any]]) -> dict[str, Estimate]:
    """SimpleQA's corpus metrics over the scored reviews of one group, each with a standard error.

    A sample's grade shares are the means over its scored repeats (one repeat: 0 or 1 each). With
    ``c_i`` its correct share and ``a_i = c_i + incorrect_i`` its attempted share over ``n`` samples:

    * ``correct`` and ``not_attempted`` are means over samples (stderr ``s / sqrt(n)``);
    * ``correct_given_attempted = sum(c) / sum(a)`` is a ratio estimator over the attempted samples;
    * ``f_score = 2 * correct * cga / (correct + cga)`` simplifies to ``2 * sum(c) / sum(1 + a)``
      (write ``C = sum(c)``, ``A = sum(a)``: ``2 (C/n)(C/A) / (C/n + C/A) = 2C / (n + A)``), again a
      ratio of sample sums, and 0 when nothing is correct, as upstream defines it.

    Both ratios get the ratio-estimator (delta-method) error of
    :func:`~assay.scoring.stats.weighted_mean_and_stderr`, with each sample's denominator term as its
    weight. Edge cases: no scored sample gives every metric 0 with ``num`` 0; nothing attempted gives
    ``correct_given_attempted`` 0 with ``num`` 0 and ``f_score`` 0.

    Example:
        >>> def review(i, letter):
        ...     value = {k: float(k == GRADE_OF_LETTER[letter][1]) for k in VALUE_KEYS}
        ...     return {"subset": "default", "sample_id": str(i), "repeat": 0, "score": {"value": value}}
        >>> rates = grade_rates([review(i, g) for i, g in enumerate("AABC")])
        >>> {name: round(e.score, 4) for name, e in rates.items()}
        {'correct': 0.5, 'not_attempted': 0.25, 'correct_given_attempted': 0.6667, 'f_score': 0.5714}
    """
    shares = _per_sample_shares(reviews)
    correct = [c for c, _, _ in shares]
    attempted = [c + i for c, i, _ in shares]
    given = [(c / a, a) for c, a in zip(correct, attempted, strict=True) if a > 0]
    return {
        "correct": _mean(correct, "mean over samples"),
        "not_attempted": _mean([n for _, _, n in shares], "mean over samples"),
        "correct_given_attempted": _ratio(given, "sum(correct) / sum(attempted), ratio-estimator stderr"),
        "f_score": _ratio(
            [(2 * c / (1 + a), 1 + a) for c, a in zip(correct, attempted, strict=True)],
            "2 * sum(correct) / sum(1 + attempted), ratio-estimator stderr",
        ),
    }


def _per_sample_shares(reviews: Sequence[Mapping[str, Any]]) -> list[tuple[float, float, float]]:
    """(correct, incorrect, not attempted) shares of each sample over its scored repeats."""
    repeats: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for review in reviews:
        score = review.get("score") or {}
        value = score.get("value") or {}
        # Excluded and errored reviews carry no grade; neither does a review scored by another scorer.
        if score.get("status", "scored") != "scored" or not all(key in value for key in VALUE_KEYS):
            continue
        repeats[(str(review.get("subset")), str(review.get("sample_id")))].append(value)
    shares = []
    for values in repeats.values():
        n = len(values)
        correct, incorrect, not_attempted = (sum(float(v[key]) for v in values) / n for key in VALUE_KEYS)
        shares.append((correct, incorrect, not_attempted))
    return shares


def _mean(values: list[float], method: str) -> Estimate:
    mean, stderr = mean_and_stderr(values)
    return Estimate(score=mean, num=len(values), stderr=stderr, method=method)


def _ratio(pairs: list[tuple[float, float]], method: str) -> Estimate:
    """``sum(v * w) / sum(w)`` over (value, weight) pairs: a ratio of sums with its clustered error."""
    mean, stderr = weighted_mean_and_stderr([v for v, _ in pairs], [w for _, w in pairs])
    return Estimate(score=mean, num=len(pairs), stderr=stderr, method=method)


class ShortFormQAAdapter(QuestionAnswerAdapter):
    """Base of SimpleQA-style benchmarks: zero-shot question prompts, the ``simpleqa_grade`` judge.

    A subclass sets :attr:`grader_language` and maps its records with :meth:`record_to_sample`,
    keeping the bare question in ``metadata["question"]``: the grader quotes it, not the prompt.
    """

    default_scorers: ClassVar[dict[str, str]] = dict.fromkeys(VALUE_KEYS, "simpleqa_grade")
    allowed_few_shot_nums: ClassVar[tuple[int, ...] | None] = (0,)
    few_shot_examples: ClassVar[str] = "it is asked zero-shot, as upstream does"
    #: Which grader of :data:`GRADERS` judges the replies.
    grader_language: ClassVar[str] = "en"

    def scorer_options(self) -> dict[str, dict[str, Any]]:
        return {"simpleqa_grade": {"language": self.grader_language}}

    def corpus_metrics(self, reviews: Sequence[Mapping[str, Any]]) -> Mapping[str, Estimate]:
        return grade_rates(reviews)
