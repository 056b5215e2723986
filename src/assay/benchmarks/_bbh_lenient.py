"""BBH's opt-in lenient answer extraction (``extra_params.answer_extraction: lenient``).

EvalScope reads only the text after the literal ``So the answer is``. Models that answer
``The answer is \\boxed{8}``, ``So the answer is $\\frac{16}{2}$`` or ``So the answer is 8 apples`` are
then scored wrong although the answer is right. Lenient extraction accepts those forms:

1. the answer line: after the last ``So the answer is`` (EvalScope's marker), else after the last
   "the (final) answer is", else the content of the last ``\\boxed{}``, else the last non-blank line;
2. the answer is unwrapped: ``\\boxed{}``, ``\\text{}``-like commands, ``$...$``, ``**bold**``, quotes, a
   final period; ``\\frac{a}{b}`` (and ``\\dfrac``, ``\\tfrac``) becomes ``a/b``;
3. numeric golds (object counting, arithmetic) are compared by value with the *last* number of the
   answer, so units and restated sums ("3 + 5 = 8 apples") do not matter and ``16/2`` equals 8.

Scores are then not comparable with EvalScope's, which is why it is opt-in.

Example:
    >>> lenient_free_form_correct("The answer is $\\\\boxed{\\\\dfrac{16}{2}}$ apples.", "8")
    True
"""

from __future__ import annotations

import re
from fractions import Fraction

_EVALSCOPE_MARKER = "So the answer is "
_ANSWER_IS = re.compile(r"(?i)\bthe\s+(?:final\s+)?answer\s+is\s*:?\s*")
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_TEXT_COMMAND = re.compile(r"\\(?:text|textbf|mathrm|mathbf|textit)\s*\{([^{}]*)\}")
_FRACTION = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_BOLD = re.compile(r"\*\*(.*?)\*\*")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:\s*/\s*-?\d+(?:\.\d+)?)?")
_LETTER = re.compile(r"\(([A-Z])\)|\b([A-Z])\b")


def _braced(text: str, start: int) -> str | None:
    """Content of the brace group opening just before ``start`` (nested braces allowed)."""
    depth = 1
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[start:index]
    return None


def _last_boxed(text: str) -> str | None:
    matches = list(_BOXED.finditer(text))
    return _braced(text, matches[-1].end()) if matches else None


def answer_text(reply: str) -> str:
    """The unwrapped answer of a reply (steps 1 and 2 of the module docstring).

    Example:
        >>> answer_text("Counting them: 5. So the answer is **\\\\text{five}**.")
        'five'
    """
    text = reply.strip()
    markers = list(_ANSWER_IS.finditer(text))
    if _EVALSCOPE_MARKER in text:
        line = text.rsplit(_EVALSCOPE_MARKER, 1)[1]
    elif markers:
        line = text[markers[-1].end() :]
    else:
        boxed = _last_boxed(text)
        lines = [candidate for candidate in text.split("\n") if candidate.strip()]
        line = boxed if boxed is not None else (lines[-1] if lines else "")
    return _unwrap(line.split("\n")[0])


def _unwrap(text: str) -> str:
    boxed = _last_boxed(text)
    if boxed is not None:
        text = boxed
    text = _FRACTION.sub(r"\1/\2", text)
    previous = None
    while previous != text:
        previous, text = text, _TEXT_COMMAND.sub(r"\1", text)
    bold = _BOLD.search(text)
    if bold:
        text = bold.group(1)
    text = text.replace("$", "").replace("\\(", "").replace("\\)", "").strip()
    text = text.rstrip(".").strip().strip("\"'`").strip()
    return text


def _number(text: str) -> Fraction | None:
    try:
        if "/" in text:
            numerator, denominator = text.split("/")
            return Fraction(numerator.replace(",", "").strip()) / Fraction(denominator.strip())
        return Fraction(text.replace(",", ""))
    except (ValueError, ZeroDivisionError):
        return None


def lenient_choice(reply: str) -> str:
    """The option letter: ``(X)`` or a standalone capital in the unwrapped answer, else the answer."""
    answer = answer_text(reply)
    match = _LETTER.search(answer)
    return (match.group(1) or match.group(2)) if match else answer


def lenient_free_form_correct(reply: str, gold: str) -> bool:
    """Whether a free-form reply matches ``gold``: by value for a numeric gold, else by text.

    Example:
        >>> lenient_free_form_correct("So the answer is 3 + 5 = 8 objects.", "8")
        True
    """
    answer = answer_text(reply)
    gold_value = _number(gold.strip())
    if gold_value is not None:
        numbers = _NUMBER.findall(answer)
        return bool(numbers) and _number(numbers[-1]) == gold_value
    return answer.strip().lower() == gold.strip().lower()
