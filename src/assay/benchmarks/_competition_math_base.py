"""Competition-math family: MATH-500, MATH, AIME and AMC on top of :class:`MathAdapter`.

Everything here is scored like GSM8K (``\\boxed{}`` first, then ``The answer is``/plain
expressions; Math-Verify equivalence in the process pool; a timeout excludes the item). What the
family adds:

* subsets that are the values of a column of one file (EvalScope's ``reformat_subset``: MATH-500 and
  MATH are one test split grouped into ``Level 1`` ... ``Level 5``), declared with
  ``DataSpec(subset_key=...)``;
* :class:`IntegerAnswerMathAdapter`: AIME's rule that only an integer literal is an answer
  (EvalScope's ``compare_answers(..., integer_only=True)``), an option of the ``math_equiv`` scorer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.benchmarks._meta import BenchmarkMeta
from assay.benchmarks._qa import MathAdapter
from assay.types import Sample

#: EvalScope 1.x's prompt of ``math_500`` and ``amc`` (and ``gsm8k``).
BOXED_PROMPT = "{question}\nPlease reason step by step, and put your final answer within \\boxed{{}}."


def answer_text(value: Any) -> str:
    """A gold answer as text; an integral float (AMC's ``27.0``) is written as the integer."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def last_boxed_content(text: str) -> str:
    """What the last ``\\boxed{...}`` (or ``\\fbox{...}``) of a reference solution holds, braces balanced.

    Example:
        >>> last_boxed_content("so $x = \\\\boxed{\\\\frac{1}{2}}$.")
        '\\\\frac{1}{2}'

    A solution without a box is returned whole (stripped).
    """
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return text.strip()
    opening = text.index("{", start)
    depth = 0
    for position in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[position], 0)
        if depth == 0:
            return text[opening + 1 : position].strip()
    return text[opening + 1 :].strip()  # unbalanced: keep what there is


class IntegerAnswerMathAdapter(MathAdapter):
    """Only an integer literal counts as an answer (AIME): ``\\frac{408}{2}`` is wrong for ``204``.

    A gold answer that is not an integer cannot be scored under this rule: the item is excluded.
    """

    def scorer_options(self) -> dict[str, dict[str, Any]]:
        return {"math_equiv": {"integer_only": True}}


#: EvalScope 1.x's prompt of ``aime24``/``aime25`` (its leading newline included).
AIME_PROMPT = (
    "\nSolve the following math problem step by step. Put your answer inside \\boxed{{}}.\n"
    "{question}\nRemember to put your answer inside \\boxed{{}}."
)

AIME_LOCAL_LAYOUT = (
    "<dir>/test.jsonl (as in Qwen2.5-Math and math-evaluation-harness) or hub-style <dir>/default/test.jsonl|parquet; "
    "records have problem and answer (or a solution holding the answer)"
)


class AIMEAdapter(IntegerAnswerMathAdapter):
    """AIME records (``problem``, ``answer`` or ``solution``) to integer-answer math samples."""

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        # math-ai/aime24 has only a solution column, which is the boxed answer ("\\boxed{204}").
        target = answer_text(record.get("answer") or last_boxed_content(str(record.get("solution") or "")))
        return Sample(
            id=str(record.get("id", f"{subset}-{index}")),
            input=str(record["problem"]),
            target=target,
            subset=subset,
            metadata={"url": record.get("url", "")},
        )


def aime_meta(year: int, **fields: Any) -> BenchmarkMeta:
    """The meta of ``aime<yy>``: EvalScope's name, prompt and hub ids for that year's contest.

    ``fields`` add to or override them (the year's licence, count and example record).
    """
    name = f"aime{year % 100:02d}"
    return BenchmarkMeta(
        name=name,
        pretty_name=f"AIME-{year}",
        description=(
            f"AIME {year} measures hard competition-math problem solving on the 30 problems of the {year} "
            "American Invitational Mathematics Examination (I and II), each with an integer answer from "
            "0 to 999. The model reasons step by step and puts its answer in \\boxed{}; it counts only "
            "when the extracted answer is an integer equal to the official one."
        ),
        tags=["math", "reasoning"],
        version="1",
        dataset_id=f"math-ai/{name}",
        homepage="https://artofproblemsolving.com/wiki/index.php/AIME_Problems_and_Solutions",
        modelscope_dataset_id=f"evalscope/{name}",
        local_layout=AIME_LOCAL_LAYOUT,
        available_subsets=["default"],
        subset_list=["default"],
        eval_split="test",
        few_shot_num=0,
        prompt_template=AIME_PROMPT,
        metric_list=["acc"],
        **fields,
    )
