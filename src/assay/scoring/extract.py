"""Pull the final answer out of a model's reply: option letters for MCQ, a math expression for QA.

Both extractors reproduce EvalScope 1.x exactly, because the same reply must get the same verdict
in both tools:

* :func:`extract_choice` follows ``evalscope/utils/multi_choices.py`` (``parse_answers`` and
  ``parse_answers_zh``): the label after the *last* ``ANSWER:`` (or ``答案：``) marker that is
  followed by a valid label, then a fallback to the last capital letter of the reply.
* :func:`extract_math_answer` follows ``evalscope/metrics/math/parser.py`` ``extract_answer``: the
  display string Math-Verify extracts (``\\boxed{}`` first, then other LaTeX, then plain
  expressions, the first match in that priority order).
"""

from __future__ import annotations

import logging
import re
from typing import Any

# The answer marker alone; finding markers apart from the label keeps a greedy label pattern from
# swallowing the next marker.
_MARKER_EN = re.compile(r"(?i)ANSWER\s*:\s*\**\s*")
_MARKER_ZH = re.compile(r"答案\s*[:：]\s*\**\s*")

# A label wrapped the way options are printed, possibly several: '(A)', '[A]', '(A, C)', '（A/C）'.
# Only label-shaped content matches, so '(see above)' or an echoed '[LETTER]' stays unparsed.
_BRACKETED = re.compile(r"[\(\[（【]\s*([A-Za-z\d](?:\s*[,，/、]\s*[A-Za-z\d])*)\s*[\)\]）】]")

# Math typesetting a label may sit in: '$B$', '\(B\)', '\boxed{B}', '$\boxed{\text{B}}$'.
_LATEX_PREFIX = re.compile(r"(?:(?:\$+|\\\(|\\(?:boxed|fbox|text|textbf|mathbf|mathrm)\s*\{)\s*)*")

# Unbracketed labels. The English pattern uses \d (any Unicode digit) and the Chinese one [0-9], as
# EvalScope does; the difference only shows for exotic digits and is kept for exact parity.
_PLAIN_EN = re.compile(r"([A-Za-z\d][A-Za-z\d ,，/、]*)")
_PLAIN_ZH = re.compile(r"([A-Za-z0-9][A-Za-z0-9 ,，/、]*)")

_TOKEN = re.compile(r"[A-Za-z\d]+")
_CONNECTORS = frozenset({"and", "or"})
_CONNECTOR_RUN = re.compile(r"\s+(?:and|or)\s+", re.IGNORECASE)


def choice_label(index: int) -> str:
    """Label of the option at ``index``: ``A``..``Z``, then ``1``, ``2``... (EvalScope's scheme)."""
    return chr(ord("A") + index) if index < 26 else str(index - 25)


def choice_index(label: str) -> int:
    """Inverse of :func:`choice_label` (case-insensitive for letters)."""
    if label.isalpha():
        return ord(label.upper()) - ord("A")
    if label.isdigit():
        return 25 + int(label)
    raise ValueError(f"not an option label: {label!r}")


def extract_choice(text: str, num_choices: int, *, chinese: bool = False, multiple: bool = False) -> str | None:
    """The option label(s) a reply chose, or None when it chose none we can read.

    Args:
        text: The reply after reasoning removal and user filters.
        num_choices: How many options the question has (labels ``A``.. for the first 26).
        chinese: Parse ``答案：X`` markers (for the Chinese prompt templates) instead of ``ANSWER: X``.
        multiple: Accept several labels (``ANSWER: A, C``); returned sorted and concatenated (``"AC"``).

    Marker matching is case-insensitive (``answer: b`` finds the marker) but labels are not: a
    lowercase ``b`` is not option B, exactly as in EvalScope. Without a usable marker, the last
    capital letter of the whole reply is taken if it is a valid label.

    Example:
        >>> extract_choice("B looks wrong.\\nANSWER: C", 4)
        'C'
        >>> extract_choice("**Answer:** (A, C)", 4, multiple=True)
        'AC'
        >>> extract_choice("答案：B。", 4, chinese=True)
        'B'
    """
    allowed = {choice_label(i) for i in range(num_choices)}
    marker, plain = (_MARKER_ZH, _PLAIN_ZH) if chinese else (_MARKER_EN, _PLAIN_EN)
    matched = _last_labelled_answer(text, marker, plain, allowed)
    if matched is None:
        answers = _last_capital(text, allowed)
    elif chinese:
        answers = _labels_zh(matched, allowed, multiple)
    else:
        answers = _labels_en(matched, allowed, multiple)
    return "".join(sorted(answers)) if answers else None


def _last_capital(text: str, allowed: set[str]) -> set[str]:
    # Only the very last capital counts; if it is not a label (a name, 'I'), there is no answer
    # rather than an invented one.
    for char in reversed(text):
        if char.isupper():
            return {char} if char in allowed else set()
    return set()


def _is_label_word(word: str, allowed: set[str]) -> bool:
    return word in allowed or set(word) <= allowed


def _label_prefix(capture: str, allowed: set[str]) -> str:
    """The leading part of ``capture`` made only of labels ('B, not C' -> 'B').

    Rejecting the whole capture would lose the label and fall back to the last capital, usually a
    distractor named in the justification. 'and'/'or' between two labels joins them; anywhere else
    it ends the answer.
    """
    tokens = list(_TOKEN.finditer(capture))
    end = 0
    for position, token in enumerate(tokens):
        word = token.group(0)
        if _is_label_word(word, allowed):
            end = token.end()
            continue
        between_labels = (
            end > 0 and position + 1 < len(tokens) and _is_label_word(tokens[position + 1].group(0), allowed)
        )
        if between_labels and word.lower() in _CONNECTORS:
            continue
        break
    return capture[:end]


def _last_labelled_answer(text: str, marker: re.Pattern[str], plain: re.Pattern[str], allowed: set[str]) -> str | None:
    """Labels after the last marker that is followed by any.

    Reasoning models restate the format ('ANSWER: [LETTER]') and revise themselves, so a later
    marker without a label must not hide an earlier one that has one.
    """
    for found in reversed(list(marker.finditer(text))):
        tail = text[found.end() :]
        prefix_match = _LATEX_PREFIX.match(tail)
        if prefix_match is not None:
            tail = tail[prefix_match.end() :]
        for label_pattern in (_BRACKETED, plain):
            label = label_pattern.match(tail)
            if label is None:
                continue
            labels = _label_prefix(label.group(1), allowed)
            if labels:
                return labels
    return None


def _labels_en(matched: str, allowed: set[str], multiple: bool) -> set[str]:
    matched = matched.strip().rstrip(".")
    if not multiple:
        return {matched} if matched in allowed else set()
    joined = _CONNECTOR_RUN.sub(",", matched).replace(" ", "")
    joined = joined.replace("，", ",").replace("、", ",").replace("/", ",")
    by_comma = set(joined.split(","))
    if by_comma <= allowed:
        return by_comma
    by_char = set(joined.replace(",", ""))  # 'AB,CD' lists the labels one by one
    return by_char if by_char <= allowed else set()


def _labels_zh(matched: str, allowed: set[str], multiple: bool) -> set[str]:
    matched = matched.strip().rstrip("。.")
    if not multiple:
        return {matched} if matched in allowed else set()
    joined = matched.replace(" 和 ", "").replace(" ", "")
    joined = joined.replace("，", ",").replace("、", ",").replace("/", ",")
    answers = set(joined.split(",")) if "," in joined else set(joined)
    return answers if answers <= allowed else set()


_SCIENTIFIC = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_BOXED_PLAIN_NUMBER = re.compile(r"\\boxed\{([+-]?[0-9]+(?:\.[0-9]+)?)\}")


def boxed_plain_number(text: str) -> str | None:
    """The answer of a reply whose only box holds a plain number, without Math-Verify; else None.

    For such replies (``... so the answer is \\boxed{18}.``, most GSM8K answers) Math-Verify's
    display string is the box's content as written, so SymPy need not run at all. Anything else
    (several boxes, ``\\fbox``, a percent sign anywhere, thousands commas, other content in the box)
    returns None and goes to :func:`extract_math_answer`. A test checks the agreement on generated
    replies.

    Example:
        >>> boxed_plain_number("So $x = 5$, hence \\\\boxed{-18.50}."), boxed_plain_number("\\\\boxed{1,000}")
        ('-18.50', None)
    """
    if "%" in text or "\\fbox" in text or text.count("\\boxed") != 1:
        return None
    match = _BOXED_PLAIN_NUMBER.search(text)
    if match is None or match.group(1) == "0.5":
        # Math-Verify displays exactly "0.5" as \\frac{1}{2} (SymPy's singleton half), and no other
        # plain number differently: a sweep of 1,900 integers and decimals found only this one.
        return None
    return match.group(1)


def extract_math_answer(text: str) -> str | None:
    """The final answer of a math reply as Math-Verify displays it; None if it found none.

    Matches EvalScope's ``extract_answer``: ``\\boxed{}`` has top priority, then other LaTeX, then
    plain expressions (so ``The answer is 18`` gives ``18``); several boxes are joined
    (``\\boxed{1} \\boxed{2}`` gives ``1,2``); a bare scientific literal (``1.5e3``) is kept as written;
    a percentage keeps its ``%``.

    This runs SymPy and can be slow on adversarial input (no timeout of its own): call it off the
    event loop.

    Example:
        >>> extract_math_answer("so she makes \\\\boxed{18} dollars")
        '18'
    """
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse  # heavy (SymPy)

    # Math-Verify warns on every process start that its signal timer is off; we bound time ourselves.
    logging.getLogger("math_verify").setLevel(logging.ERROR)

    text = text.strip()
    if not text:
        return None
    original = text
    scientific = re.fullmatch(_SCIENTIFIC + r"[eE][+-]?[0-9]+", text) is not None
    if scientific:
        # Math-Verify reads uppercase E as a power of ten and lowercase e as Euler's number.
        text = f"${text.replace('e', 'E')}$"
    objects, display = _math_parse(parse, text, [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()])
    if objects and re.fullmatch(_SCIENTIFIC + r"e[+-]?[0-9]+", display):
        objects, _ = _math_parse(parse, f"${display.replace('e', 'E')}$", [LatexExtractionConfig()])
    if scientific:
        display = original
    if len(objects) == 1 and "%" not in display:
        from math_verify.grader import get_pct_val

        # The expression extractor drops a trailing percent sign from the display; restore it.
        if get_pct_val(objects[0]) is not None:
            display += "%"
    return display or None


def _math_parse(parse: Any, text: str, configs: list[Any]) -> tuple[list[Any], str]:
    result = parse(
        text,
        extraction_config=configs,
        fallback_mode="first_match",
        extraction_mode="first_match",
        parsing_timeout=None,  # signal-based timeouts only work on the main thread; callers bound time
    )
    objects = [item for item in result if not isinstance(item, str)]
    display = next((item for item in result if isinstance(item, str)), "")
    return objects, display
