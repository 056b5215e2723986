"""``qwen_math_equal``: EvalScope's ``{'acc': {'numeric': True}}`` with its ``extract_answer``, exactly.

EvalScope 1.x scores MathVista with the parser it took from the Qwen2.5-Math evaluation code
(``evalscope/metrics/math/parser.py``): the reply's answer is :func:`extract_answer` (a
``\\boxed{}``, "the answer is", ``ANSWER:``, else the last number), the gold is normalised by
:func:`strip_answer_string`, and :func:`math_equal` decides. That is not Math-Verify (the
``math_equiv`` scorer), and the two disagree on real replies, so benchmarks that EvalScope scores
this way name this scorer. :func:`math_equal` is, in order:

1. equal texts (case-insensitive), or a gold letter A-E equal to the last lone A-E of the answer;
2. both sides numbers (``5%`` reads 0.05): equal within a relative 1e-4 to the gold, the gold
   x100 or the gold /100 (so ``50`` matches a gold ``0.5``; EvalScope's ``include_percentage``);
   numbers never go further;
3. brackets and braces ignored, then tuples and matrices element by element, equations side by
   side, then SymPy: parsed as LaTeX or a Python expression, equal when identical, simplified to
   the same thing, or numerically equal.

Steps 1-2 run inline; step 3 (SymPy can take seconds or hang) runs on the run's time-limited worker
pool, and a check that runs out of time EXCLUDES the sample with a reason instead of scoring it.

One deliberate difference: EvalScope hands any answer text to SymPy's ``parse_expr``, which runs
it through Python's ``eval``, so a reply like ``eval(chr(95)+...)`` executes code in the evaluator.
Here ``parse_expr`` only sees text whose names are plain symbols or math functions
(:func:`safe_for_eval`); other text is still tried as LaTeX, so real answers get the same verdict.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from math import isclose
from typing import TYPE_CHECKING, Any, ClassVar

from assay.scoring.pool import TimedOut
from assay.scoring.scorer import BaseScorer, register_scorer
from assay.scoring.scorers._qwen_math_text import extract_answer, strip_answer_string
from assay.types import ModelOutput, Sample, SampleStatus, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

__all__ = ["QwenMathEqualScorer", "extract_answer", "math_equal", "quick_math_equal", "strip_answer_string"]

_CHOICE_LETTERS = ("A", "B", "C", "D", "E")


def _choice_answer_clean(prediction: str) -> str:
    """The last lone A-E of an answer (any case), else the answer itself (EvalScope's ``choice_answer_clean``)."""
    prediction = prediction.strip("\n").rstrip(".").rstrip("/").strip(" ").lstrip(":")
    letters = re.findall(r"\b(A|B|C|D|E)\b", prediction.upper())
    picked = letters[-1] if letters else prediction.strip().strip(".")
    return picked.rstrip(".").rstrip("/")


def _parse_digits(text: str) -> float | None:
    """A number, reading ``,`` as nothing and a final ``%`` (or ``\\%``) as /100; None if not a number."""
    text = text.replace(",", "")
    try:
        return float(text)
    except ValueError:
        pass
    if text.endswith("%"):
        text = text[:-1].removesuffix("\\")
        try:
            return float(text) / 100
        except ValueError:
            pass
    return None


def _numeric_equal(prediction: float, reference: float) -> bool:
    return isclose(reference, prediction, rel_tol=1e-4)


def quick_math_equal(prediction: str, reference: str) -> bool | None:
    """Steps 1-2 of :func:`math_equal` (no SymPy): the verdict, or None when only SymPy can tell.

    Example:
        >>> quick_math_equal("0.5", "50"), quick_math_equal("ANSWER:B", "B"), quick_math_equal("x+1", "1+x")
        (True, True, None)
    """
    if prediction.strip().lower() == reference.strip().lower():
        return True
    if reference in _CHOICE_LETTERS and _choice_answer_clean(prediction) == reference:
        return True
    pred_value, ref_value = _parse_digits(prediction), _parse_digits(reference)
    if pred_value is not None and ref_value is not None:
        candidates = (ref_value / 100, ref_value, ref_value * 100)
        return any(_numeric_equal(pred_value, candidate) for candidate in candidates)
    if not prediction:
        return False
    return None


def math_equal(prediction: str, reference: str) -> bool:
    """EvalScope's ``math_equal`` of an extracted answer and a normalised gold (see the module docstring).

    Runs SymPy without a time limit: the scorer calls it on the worker pool.

    Example:
        >>> math_equal("\\\\frac{1}{2}", "0.5"), math_equal("(1,2)", "(1, 2.0)"), math_equal("2x", "x")
        (True, True, False)
    """
    quick = quick_math_equal(prediction, reference)
    if quick is not None:
        return quick
    reference, prediction = str(reference).strip(), str(prediction).strip()
    if "pmatrix" in prediction and "pmatrix" not in reference:
        reference = _str_to_pmatrix(reference)
    pred_str, ref_str = prediction, reference
    if (prediction.startswith("[") and prediction.endswith("]") and not reference.startswith("(")) or (
        prediction.startswith("(") and prediction.endswith(")") and not reference.startswith("[")
    ):
        pred_str, ref_str = pred_str.strip("[]()"), ref_str.strip("[]()")
    for bracket in "{}()":
        ref_str, pred_str = ref_str.replace(bracket, ""), pred_str.replace(bracket, "")
    if pred_str.lower() == ref_str.lower():
        return True
    if _tuples_equal(prediction, reference) or _matrices_equal(prediction, reference):
        return True
    if _equations_equal(prediction, reference):
        return True
    return symbolic_equal(prediction, reference)


def _str_to_pmatrix(text: str) -> str:
    rows = re.findall(r"\{.*,.*\}", text.strip())
    return ", ".join(r"\begin{pmatrix}" + row.strip("{}").replace(",", "\\") + r"\end{pmatrix}" for row in rows)


_BRACKETED = re.compile(r"(\(|\[).+(\)|\])")


def _tuples_equal(prediction: str, reference: str) -> bool:
    if _BRACKETED.match(prediction) is None or _BRACKETED.match(reference) is None:
        return False
    pred_parts, ref_parts = prediction[1:-1].split(","), reference[1:-1].split(",")
    return len(pred_parts) == len(ref_parts) and all(
        math_equal(p, r) for p, r in zip(pred_parts, ref_parts, strict=True)
    )


_MATRIX_OPEN = ("\\begin{pmatrix}", "\\begin{bmatrix}")
_MATRIX_CLOSE = ("\\end{pmatrix}", "\\end{bmatrix}")


def _matrix_rows(text: str) -> list[list[str]]:
    inner = text[len("\\begin{pmatrix}") : -len("\\end{pmatrix}")]
    return [line.strip().split("&") for line in inner.split("\\\\") if line.strip()]


def _matrices_equal(prediction: str, reference: str) -> bool:
    if not all(s.startswith(_MATRIX_OPEN) and s.endswith(_MATRIX_CLOSE) for s in (prediction, reference)):
        return False
    pred_rows, ref_rows = _matrix_rows(prediction), _matrix_rows(reference)
    if len(pred_rows) != len(ref_rows):
        return False
    for pred_row, ref_row in zip(pred_rows, ref_rows, strict=True):
        if len(pred_row) != len(ref_row):
            return False
        if not all(math_equal(p, r) for p, r in zip(pred_row, ref_row, strict=True)):
            return False
    return True


def _equations_equal(prediction: str, reference: str) -> bool:
    """``a = b`` on both sides compared as ``a - (b)`` up to sign; ``x = 3`` against ``3`` by its right side."""
    if prediction.count("=") == 1 and reference.count("=") == 1:
        pred_left, pred_right = prediction.split("=")
        ref_left, ref_right = reference.split("=")
        pred = f"{pred_left.strip()} - ({pred_right.strip()})"
        ref = f"{ref_left.strip()} - ({ref_right.strip()})"
        return symbolic_equal(pred, ref) or symbolic_equal(f"-({pred})", ref)
    if prediction.count("=") == 1 and len(prediction.split("=")[0].strip()) <= 2 and "=" not in reference:
        return math_equal(prediction.split("=")[1], reference)
    if reference.count("=") == 1 and len(reference.split("=")[0].strip()) <= 2 and "=" not in prediction:
        return math_equal(prediction, reference.split("=")[1])
    return False


@functools.cache
def _eval_names() -> tuple[frozenset[str], frozenset[str]]:
    """Names ``parse_expr`` binds (Python builtins and keywords, SymPy's namespace), and the harmless ones."""
    import builtins
    import keyword

    import sympy
    import sympy.functions

    bound = frozenset(dir(builtins)) | frozenset(dir(sympy)) | frozenset(keyword.kwlist)
    harmless = frozenset(sympy.functions.__all__) | {"pi", "E", "I", "oo", "zoo", "nan", "abs", "min", "max", "pow"}
    return bound, harmless


def safe_for_eval(text: str) -> bool:
    """Whether ``parse_expr`` (Python ``eval``) may see ``text``: no attribute access, no ``:``, no
    dunder, and every name either unbound (it becomes a symbol), one letter, or a math function.

    Example:
        >>> safe_for_eval("2*sqrt(3)+x"), safe_for_eval("eval(chr(95))"), safe_for_eval("(1).real")
        (True, False, False)
    """
    if "__" in text or ":" in text or re.search(r"[A-Za-z_)\]}]\s*\.", text):
        return False
    bound, harmless = _eval_names()
    return all(len(name) == 1 or name in harmless or name not in bound for name in re.findall(r"[A-Za-z_]\w*", text))


def _parse(text: str) -> Any:
    """The first SymPy reading of ``text`` (LaTeX, Python expression, latex2sympy), else ``text`` itself."""
    from latex2sympy2_extended import latex2sympy
    from sympy.parsing.latex import parse_latex
    from sympy.parsing.sympy_parser import parse_expr

    def guarded_parse_expr(source: str) -> Any:
        if not safe_for_eval(source):
            raise ValueError("not evaluated: the text names Python objects")
        return parse_expr(source)

    for parser in (parse_latex, guarded_parse_expr, latex2sympy):
        for source in (text.replace("\\\\", "\\"), text):
            try:
                return parser(source)
            except Exception:
                continue
    return text


def symbolic_equal(a_text: str, b_text: str) -> bool:
    """EvalScope's ``symbolic_equal``: the two readings are identical, simplify to zero difference,
    are equations with the same ``|lhs - rhs|``, are numerically equal (1e-4), or equal matrices.

    A side that no parser read stays text, which is only compared as text: every further step would
    hand it to ``sympify`` (``eval`` again), where EvalScope's verdict is "not equal" anyway.
    """
    from sympy import N, simplify

    a, b = _parse(a_text), _parse(b_text)
    try:
        if str(a) == str(b) or a == b:
            return True
    except Exception:
        pass
    if isinstance(a, str) or isinstance(b, str):
        return False
    checks = (
        lambda: a.equals(b) or simplify(a - b) == 0,
        lambda: abs(a.lhs - a.rhs).equals(abs(b.lhs - b.rhs)),
        lambda: _numeric_equal(float(N(a)), float(N(b))),
        lambda: a.shape == b.shape and a.applyfunc(lambda x: round(x, 3)).equals(b.applyfunc(lambda x: round(x, 3))),
    )
    for check in checks:
        try:
            if check():
                return True
        except Exception:
            continue
    return False


@register_scorer("qwen_math_equal")
class QwenMathEqualScorer(BaseScorer):
    """EvalScope's numeric ``acc``: :func:`extract_answer` of the reply, :func:`math_equal` with the gold.

    A reply without any answer scores 0 (EvalScope compares the empty string). A SymPy check that
    outlives the run's math time limit, or whose worker fails, EXCLUDES the sample with the reason.
    """

    version = "1"
    supported_metrics = ("acc",)
    #: CPU-heavy: with ``--executor ray`` the actors score it, beside the model, instead of the driver.
    cpu_heavy: ClassVar[bool] = True

    def __init__(self, metrics: Sequence[str] | None = None) -> None:
        super().__init__(metrics)

    def settings(self) -> dict[str, object]:
        return {"extractor": "evalscope_math_parser", "compare": "evalscope_math_equal", "parse_expr": "guarded"}

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        gold = strip_answer_string(sample.target if isinstance(sample.target, str) else sample.target[0])
        extracted = extract_answer(output.text)
        quick = quick_math_equal(extracted, gold)
        if not extracted:  # compared as the empty string, as EvalScope does; counted as "no answer"
            return self.scored(float(quick is True), explanation="no answer found in the reply")
        if quick is not None:
            return self.scored(float(quick), extracted=extracted)
        try:
            verdict = await ctx.pool.call(math_equal, extracted, gold, timeout_s=ctx.math.timeout_s)
        except Exception as exc:
            return Score(status=SampleStatus.EXCLUDED, extracted=extracted, reason=f"math_equal failed: {exc}")
        if isinstance(verdict, TimedOut):
            return Score(
                status=SampleStatus.EXCLUDED,
                extracted=extracted,
                reason=f"math_equal took longer than {verdict.seconds:g} s comparing {extracted!r} with {gold!r}",
            )
        return self.scored(float(verdict), extracted=extracted)
