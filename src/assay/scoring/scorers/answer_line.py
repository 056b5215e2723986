"""``answer_line_exact``: the text after the reply's last ``ANSWER:`` equals the gold answer, ignoring case.

EvalScope scores short free-form answers this way where its prompt asks for a final
``ANSWER: [ANSWER]`` line (RealWorldQA's ``extract_answer`` followed by its ``acc`` metric):

* extraction: ``re.findall(r"ANSWER:\\s*(.*)", reply)``, the last match, stripped and lower-cased.
  The marker is case-sensitive; ``\\s*`` may cross a newline (``"ANSWER:\\nB"`` reads ``b``) but
  ``.`` stops at the end of the line;
* comparison: exact equality after stripping and lower-casing both sides (EvalScope's
  ``normalize_text``).

Quirks kept from EvalScope, so scores stay comparable: nothing else is normalised, so
``ANSWER: B.`` or ``ANSWER: **B**`` is wrong against ``B``, and ``ANSWER: 2 cars`` wrong against
``2``. A reply without the marker (or with nothing after it) scores 0 as there, and is counted here
as an extraction failure.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from assay.scoring.scorer import BaseScorer, register_scorer
from assay.types import ModelOutput, Sample, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

#: EvalScope's answer line: case-sensitive marker, then the rest of the line (``\s*`` crosses newlines).
ANSWER_LINE = re.compile(r"ANSWER:\s*(.*)")


def last_answer_line(text: str) -> str | None:
    """The stripped text after the last ``ANSWER:`` to the end of its line; None when there is none or it is empty.

    Example:
        >>> last_answer_line("ANSWER: A\\nOn reflection...\\nANSWER:  Yes "), last_answer_line("answer: B")
        ('Yes', None)
    """
    matches = ANSWER_LINE.findall(text)
    found = matches[-1].strip() if matches else ""
    return found or None


def answer_matches(extracted: str, gold: str) -> bool:
    """EvalScope's ``acc`` of one answer: equal after ``strip().lower()`` on both sides.

    Example:
        >>> answer_matches("YES", " yes"), answer_matches("b.", "B")
        (True, False)
    """
    return extracted.strip().lower() == gold.strip().lower()


@register_scorer("answer_line_exact")
class AnswerLineExactScorer(BaseScorer):
    """1 when the reply's last ``ANSWER:`` line equals a gold answer, ignoring case and outer spaces."""

    version = "1"
    supported_metrics = ("acc",)

    def settings(self) -> dict[str, Any]:
        return {"extractor": "last 'ANSWER:' line (case-sensitive marker)", "compare": "strip, lower, exact"}

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        extracted = last_answer_line(output.text)
        if extracted is None:
            return self.zero(explanation="no 'ANSWER:' line with an answer in the reply")
        golds = sample.target if isinstance(sample.target, list) else [sample.target]
        correct = any(answer_matches(extracted, gold) for gold in golds)
        return self.scored(float(correct), extracted=extracted.lower())
