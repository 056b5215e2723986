"""``mmmu_answer``: MMMU's two kinds of question scored the way EvalScope 1.x scores them.

* **Multiple choice** (the sample has ``choices``): the option letter after the last ``ANSWER:``
  (EvalScope's ``parse_answers``, :func:`assay.scoring.extract.extract_choice`), else the reply's
  last capital letter if it is an option; ``acc`` is 1 when it equals the gold letter.
* **Open** (no ``choices``): the text after the last ``ANSWER:`` on its line, else the whole reply
  (:func:`open_answer`); ``acc`` is 1 when it equals the gold answer after trimming and
  lower-casing both (EvalScope's ``acc`` metric, ``normalize_text``). No numeric tolerance, as in
  EvalScope: ``3.50`` is wrong for a gold ``3.5``.

Two deliberate differences, both on items EvalScope cannot score correctly:

* a gold answer written as a Python list of acceptable answers (``"['0.5', '1/2']"``, the form
  MMMU's own ``eval_open`` takes a list in) is matched by any of its elements, as well as by the
  literal text EvalScope compares;
* a multiple-choice item whose gold letter is not one of its options is EXCLUDED with a reason,
  where EvalScope would count it wrong for every model.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assay.scoring.extract import choice_label, extract_choice
from assay.scoring.scorer import BaseScorer, register_scorer
from assay.scoring.scorers.choice import option_metric
from assay.types import ModelOutput, Sample, SampleStatus, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

__all__ = ["MMMUAnswerScorer", "acceptable_answers", "open_answer", "open_answer_matches"]

# EvalScope's pattern: "\s*" may cross a line break, "(.*)" stops at the end of the line.
_OPEN_ANSWER = re.compile(r"ANSWER:\s*(.*)")


def open_answer(reply: str) -> str:
    """The answer of an open question: what follows the last ``ANSWER:``, else the whole reply, trimmed.

    Example:
        >>> open_answer("Area = 12 m^2.\\nANSWER: 12"), open_answer("  It is 12.  "), open_answer("ANSWER:\\n  7 ")
        ('12', 'It is 12.', '7')
    """
    matches = _OPEN_ANSWER.findall(reply)
    return matches[-1].strip() if matches else reply.strip()


def acceptable_answers(gold: str) -> list[str]:
    """The gold text itself, then each element when it is a Python-literal list of answers.

    Example:
        >>> acceptable_answers("['0.5', '1/2']"), acceptable_answers("1.5"), acceptable_answers("[1, 2")
        (["['0.5', '1/2']", '0.5', '1/2'], ['1.5'], ['[1, 2'])
    """
    answers = [gold]
    text = gold.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return answers
        if isinstance(value, list):
            answers.extend(str(item) for item in value if isinstance(item, (str, int, float)))
    return answers


def open_answer_matches(extracted: str, gold: str) -> bool:
    """EvalScope's ``acc``: equal after ``strip().lower()`` of both sides, against any acceptable answer."""
    answer = extracted.strip().lower()
    return any(answer == candidate.strip().lower() for candidate in acceptable_answers(gold))


@register_scorer("mmmu_answer")
class MMMUAnswerScorer(BaseScorer):
    """The option letter of a multiple-choice reply, or the ``ANSWER:`` text of an open one, against the gold."""

    version = "1"
    supported_metrics = ("acc",)

    def __init__(self, metrics: Sequence[str] | None = None) -> None:
        super().__init__(metrics)

    def settings(self) -> dict[str, object]:
        return {"choice": "evalscope_parse_answers", "open": "last_ANSWER_line_strip_lower", "list_golds": "any"}

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        gold = sample.target if isinstance(sample.target, str) else "".join(sample.target)
        if sample.choices:
            return self._multiple_choice(sample.choices, gold, output.text)
        extracted = open_answer(output.text)
        if not extracted:
            return self.zero(explanation="the reply is empty")
        return self.scored(float(open_answer_matches(extracted, gold)), extracted=extracted)

    def _multiple_choice(self, choices: list[str], gold: str, reply: str) -> Score:
        labels = [choice_label(i) for i in range(len(choices))]
        if gold.strip().upper() not in labels:
            return Score(
                status=SampleStatus.EXCLUDED,
                reason=f"gold answer {gold!r} is not one of the options {', '.join(labels)}",
            )
        extracted = extract_choice(reply, len(choices))
        if extracted is None:
            return self.zero(explanation="no option letter found in the reply")
        return self.scored(option_metric("acc", extracted, [gold]), extracted=extracted)
