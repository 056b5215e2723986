"""Scorers of document and chart question answering: ``anls``, ``relaxed_acc`` and ``ocr_bench_match``.

Each reproduces EvalScope's metric exactly, quirks included (each quirk is named where it is kept):

* ``anls`` (DocVQA, InfoVQA; EvalScope's ``ANLS`` metric, itself the official DocVQA/ST-VQA
  script): the answer is the text after the last ``ANSWER:`` (else the whole reply, stripped);
  for each gold answer, the Levenshtein distance between the two texts lower-cased with runs of
  whitespace collapsed, divided by the longer *raw* length; the sample scores ``1 - min(distance
  ratio)``, or 0 when that is below the threshold (0.5; exactly 0.5 is kept, as upstream).
* ``relaxed_acc`` (ChartQA; EvalScope's ``relaxed_correctness``, from Qwen-VL): the text after
  the last ``ANSWER:`` (nothing when there is none); numbers (``float()``, a trailing ``%``
  divided by 100) count within 5 % of a non-zero gold number, anything else needs a
  case-insensitive exact match.
* ``ocr_bench_match`` (OCRBench; EvalScope's ``ocr_bench`` ``match_score``, the official OCRBench
  rule): 1 when any gold answer is a substring of the reply, case-insensitive; for the HME100k
  formulas case-sensitive with every space removed from both.

Levenshtein distance is a small two-row dynamic programme here: neither ``rapidfuzz`` nor
``Levenshtein`` (nor EvalScope's ``editdistance``) is installed, and NLTK's ``edit_distance`` (a
core dependency) is a full-matrix Python loop behind a 1.5 s import. The tests check ours against
NLTK's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assay.scoring.scorer import BaseScorer, register_scorer
from assay.types import ModelOutput, Sample, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

#: EvalScope's answer line, case-sensitive; ``\s*`` may cross a newline, ``.`` may not.
ANSWER_LINE = re.compile(r"ANSWER:\s*(.*)")
#: ANLS threshold of the DocVQA challenge and of EvalScope (``thresh_hold=0.5``).
ANLS_THRESHOLD = 0.5
#: ChartQA's tolerance for numeric answers (ChartQA paper, section 5.1).
MAX_RELATIVE_CHANGE = 0.05
#: OCRBench's source dataset whose formulas are compared without spaces and with case kept.
HME_DATASET = "HME100k"


def answer_line(text: str) -> str | None:
    """The stripped text after the last ``ANSWER:``, to the end of its line; None when there is none.

    Example:
        >>> answer_line("The total is 12.\\nANSWER: 12 kg"), answer_line("no marker")
        ('12 kg', None)
    """
    matches = ANSWER_LINE.findall(text)
    return matches[-1].strip() if matches else None


def levenshtein(first: str, second: str) -> int:
    """The edit distance (insertions, deletions, substitutions of code points) between two texts.

    Example:
        >>> levenshtein("kitten", "sitting")
        3
    """
    if len(first) < len(second):
        first, second = second, first
    previous = list(range(len(second) + 1))
    for i, char in enumerate(first, start=1):
        current = [i]
        for j, other in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def anls(prediction: str, answers: Sequence[str], threshold: float = ANLS_THRESHOLD) -> float:
    """Normalized Levenshtein similarity of ``prediction`` to its closest gold answer (0 below ``threshold``).

    As EvalScope and the official script: the distance is taken between the texts lower-cased
    with whitespace runs collapsed, but divided by the longer of the *raw* texts' upper-cased
    lengths (so ``"ß"`` counts 2 and doubled spaces count). No gold answer scores 0; two empty
    texts score 1.

    Example:
        >>> anls("pinterest", ["Pinterest"]), round(anls("pintrest", ["pinterest"]), 4), anls("x", ["pinterest"])
        (1.0, 0.8889, 0.0)
    """
    if not answers:
        return 0.0
    spoken = " ".join(prediction.strip().lower().split())
    ratios = []
    for answer in answers:
        gold = " ".join(answer.strip().lower().split())
        length = max(len(answer.upper()), len(prediction.upper()))
        if length == 0:
            ratios.append(0.0)
            continue
        # The length difference bounds the distance from below; when even that bound falls under
        # the threshold the exact distance cannot matter (IEEE division is monotonic).
        if 1 - abs(len(gold) - len(spoken)) / length < threshold:
            ratios.append(1.0)
            continue
        ratios.append(levenshtein(gold, spoken) / length)
    similarity = 1 - min(ratios)
    return 0.0 if similarity < threshold else similarity


def relaxed_correctness(prediction: str, target: str, max_relative_change: float = MAX_RELATIVE_CHANGE) -> bool:
    """ChartQA's relaxed accuracy of one answer.

    Both sides are read as numbers with Python's ``float`` (a trailing ``%`` divides by 100);
    when both are numbers and the gold one is not 0, the answer counts within
    ``max_relative_change`` of it. Otherwise the texts must match case-insensitively. Kept as
    EvalScope has it: ``1,000`` is text (no comma parsing), ``50%`` is 0.5 so it does not match
    ``50``, and a gold ``0`` is compared as text.

    Example:
        >>> relaxed_correctness("10.4", "10"), relaxed_correctness("52%", "50%"), relaxed_correctness("Yes", "yes")
        (True, True, True)
    """
    predicted, gold = _as_number(prediction), _as_number(target)
    if predicted is not None and gold:
        return abs(predicted - gold) / abs(gold) <= max_relative_change
    return prediction.lower() == target.lower()


def _as_number(text: str) -> float | None:
    try:
        return float(text.rstrip("%")) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        return None


def ocr_bench_match(prediction: str, answers: str | Sequence[str], dataset: str | None) -> bool:
    """OCRBench's rule: some gold answer is a substring of the reply.

    Newlines count as spaces. HME100k (handwritten formulas) keeps case and drops every space;
    every other source compares lower-cased text. An empty gold answer matches anything, as
    upstream.

    Example:
        >>> ocr_bench_match("The sign says CENTRE.", ["centre"], "IIIT5K"), ocr_bench_match("x ^ 2", ["x^2"], "HME100k")
        (True, True)
    """
    golds = [answers] if isinstance(answers, str) else list(answers)
    if dataset == HME_DATASET:
        reply = _squeeze(prediction)
        return any(_squeeze(gold) in reply for gold in golds)
    reply = prediction.lower().strip().replace("\n", " ")
    return any(gold.lower().strip().replace("\n", " ") in reply for gold in golds)


def _squeeze(text: str) -> str:
    return text.strip().replace("\n", " ").replace(" ", "")


def _golds(sample: Sample) -> list[str]:
    return list(sample.target) if isinstance(sample.target, list) else [sample.target]


@register_scorer("anls")
class AnlsScorer(BaseScorer):
    """ANLS of the ``ANSWER:`` line (else the whole reply) against every gold answer (``anls``).

    Args:
        metrics: ``anls``.
        threshold: Similarities below it score 0 (EvalScope's ``thresh_hold``, default 0.5).
    """

    version = "1"
    supported_metrics = ("anls",)

    def __init__(self, metrics: Sequence[str] | None = None, *, threshold: float = ANLS_THRESHOLD) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"the ANLS threshold must be in [0, 1], got {threshold}")
        super().__init__(metrics, threshold=threshold)
        self.threshold = threshold

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        found = answer_line(output.text)
        answer = found if found is not None else output.text.strip()
        value = await ctx.run_cpu(anls, answer, _golds(sample), self.threshold)
        return self.scored(value, extracted=answer)


@register_scorer("relaxed_acc")
class RelaxedAccuracyScorer(BaseScorer):
    """ChartQA's relaxed accuracy of the ``ANSWER:`` line (``relaxed_acc``); no line scores 0.

    A reply without the line is scored as the empty answer, as EvalScope does, and counted as an
    extraction failure (``extracted`` None).
    """

    version = "1"
    supported_metrics = ("relaxed_acc",)

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        found = answer_line(output.text)
        correct = any(relaxed_correctness(found or "", gold) for gold in _golds(sample))
        return self.scored(float(correct), extracted=found)


@register_scorer("ocr_bench_match")
class OcrBenchMatchScorer(BaseScorer):
    """OCRBench's substring match of the whole reply (``acc``); the source is ``metadata["dataset"]``."""

    version = "1"
    supported_metrics = ("acc",)

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        reply = output.text.strip()
        dataset: Any = sample.metadata.get("dataset")
        matched = ocr_bench_match(reply, _golds(sample), dataset if isinstance(dataset, str) else None)
        return self.scored(float(matched), extracted=reply)
