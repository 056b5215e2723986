"""Answer extraction reproduces EvalScope 1.x exactly.

Every expected value below was produced by EvalScope 1.14.1 itself (``parse_answers``,
``parse_answers_zh`` and ``metrics/math/parser.py extract_answer``) on the same input; an empty
result there is ``None`` here.
"""

from __future__ import annotations

import pytest

from assay.scoring.extract import choice_index, choice_label, extract_choice, extract_math_answer

MCQ_SINGLE = [
    ("ANSWER: B", 4, "B"),
    ("answer: b", 4, None),  # the marker is case-insensitive, the label is not
    ("Answer: B.", 4, "B"),  # trailing period
    ("ANSWER: A\nwait\nANSWER: C", 4, "C"),  # the last marker wins
    ("no answer here", 4, None),
    ("I think it's B", 4, "B"),  # fallback: last capital letter
    ("The answer is B because of Newton", 4, None),  # last capital 'N' is no option: no answer
    ("**ANSWER: D**", 4, "D"),
    ("ANSWER: **D**", 4, "D"),
    ("ANSWER: (C)", 4, "C"),
    ("ANSWER: $\\boxed{B}$", 4, "B"),
    ("ANSWER: [LETTER]\n...\nANSWER: A", 4, "A"),
    ("ANSWER: A\nANSWER: [LETTER]", 4, "A"),  # a later echoed placeholder does not hide the answer
    ("ANSWER: B, not C", 4, "B"),
    ("ANSWER: E", 4, None),  # not an option of a 4-option question
    ("ANSWER: E", 5, "E"),
    ("", 4, None),
    ("ANSWER:B", 4, "B"),
    ("answer : c", 4, None),
    ("ANSWER: AB", 4, None),  # two letters for a single-answer question
    ("ANSWER: A and B", 4, None),
    ("Final ANSWER: \\text{C}", 4, "C"),
    ("ANSWER: 1", 30, "1"),  # options past Z are labelled 1, 2, ...
    ("ANSWER: B\n", 4, "B"),
    ("The correct option is (B).", 4, "B"),
    ("答案：B", 4, "B"),  # English parser: falls back to the last capital
    ("ANSWER: Z", 4, None),
    ("ANSWER: c.", 4, None),
    ("answer: B.", 3, "B"),
    ("ANSWER: (A, C)", 4, None),
]

MCQ_MULTIPLE = [
    ("ANSWER: A, C", 4, "AC"),
    ("ANSWER: AC", 4, "AC"),
    ("ANSWER: A and C", 4, "AC"),
    ("ANSWER: (A, C)", 4, "AC"),
    ("ANSWER: A/C", 4, "AC"),
    ("ANSWER: A、C", 4, "AC"),
    ("ANSWER: AB,CD", 4, "ABCD"),
    ("ANSWER: A, E", 4, "A"),  # labels stop at the first non-option
    ("ANSWER: B", 4, "B"),
    ("no", 4, None),
]

CHINESE_SINGLE = [
    ("答案：B", 4, "B"),
    ("答案: C。", 4, "C"),
    ("答案：B\n解释", 4, "B"),
    ("所以答案是 B", 4, "B"),  # no '答案：' marker: last capital
    ("ANSWER: B", 4, "B"),
    ("答案：（C）", 4, "C"),
    ("答案：b", 4, None),
    ("答案：**A**", 4, "A"),
    ("我认为是A", 4, "A"),
    ("", 4, None),
]

CHINESE_MULTIPLE = [
    ("答案：A,C", 4, "AC"),
    ("答案：AC", 4, "AC"),
    ("答案：A、C", 4, "AC"),
    ("答案：A 和 C", 4, "A"),
    ("答案：A/C", 4, "AC"),
    ("答案：AE", 4, None),
]

MATH = [
    ("\\boxed{18}", "18"),
    ("so the answer is \\boxed{\\frac{1}{2}}.", "\\frac{1}{2}"),
    ("\\boxed 5", "5"),
    ("The answer is 18", "18"),  # no box: Math-Verify's expression fallback
    ("I think 3 then 5", "5"),
    ("no number here", None),
    ("", None),
    ("ANSWER: \\boxed{18}", "18"),
    ("$18", "18"),
    ("18%", "18%"),
    ("1,000", "1000"),
    ("x = \\boxed{1{,}000}", "1,000"),
    ("\\boxed{18} and later \\boxed{20}", "18,20"),
    ("1.5e3", "1.5e3"),
    ("The answer is $\\boxed{\\dfrac{3}{4}}$", "\\frac{3}{4}"),
    ("Total: 18 dollars.", "18"),
    ("#### 72", "72"),
    ("-5", "-5"),
    ("\\boxed{\\text{B}}", "\\text{B}"),
    ("3/4", "3/4"),
    ("\\boxed{\\frac{a}{b}+\\sqrt{2}}", "\\frac{a}{b}+\\sqrt{2}"),  # nested braces
    ("she has 2e5 apples", "2"),
    ("12.5%", "12.5%"),
    ("The final answer is $\\boxed{1,000,000}$", "1,000,000"),
    ("1e-3", "1e-3"),
    ("3.00", "3.00"),
    ("\\boxed{x^2}", "x^2"),
    ("Reasoning: 5*3=15\n\nANSWER: \\boxed{15}", "15"),
    ("$\\$1,234.50$", "1,234.50"),
]


@pytest.mark.parametrize(("text", "num_choices", "expected"), MCQ_SINGLE)
def test_extract_choice_matches_evalscope_single_answer(text: str, num_choices: int, expected: str | None) -> None:
    assert extract_choice(text, num_choices) == expected


@pytest.mark.parametrize(("text", "num_choices", "expected"), MCQ_MULTIPLE)
def test_extract_choice_matches_evalscope_multiple_answers(text: str, num_choices: int, expected: str | None) -> None:
    assert extract_choice(text, num_choices, multiple=True) == expected


@pytest.mark.parametrize(("text", "num_choices", "expected"), CHINESE_SINGLE)
def test_extract_choice_matches_evalscope_chinese_single(text: str, num_choices: int, expected: str | None) -> None:
    assert extract_choice(text, num_choices, chinese=True) == expected


@pytest.mark.parametrize(("text", "num_choices", "expected"), CHINESE_MULTIPLE)
def test_extract_choice_matches_evalscope_chinese_multiple(text: str, num_choices: int, expected: str | None) -> None:
    assert extract_choice(text, num_choices, chinese=True, multiple=True) == expected


@pytest.mark.parametrize(("text", "expected"), MATH)
def test_extract_math_answer_matches_evalscope(text: str, expected: str | None) -> None:
    assert extract_math_answer(text) == expected


def test_choice_labels_run_past_z_as_numbers_and_invert() -> None:
    assert [choice_label(i) for i in (0, 3, 25, 26, 27)] == ["A", "D", "Z", "1", "2"]
    assert [choice_index(label) for label in ("A", "d", "Z", "1", "2")] == [0, 3, 25, 26, 27]
    with pytest.raises(ValueError, match="not an option label"):
        choice_index("?")


def test_the_boxed_number_fast_path_agrees_with_math_verify_on_generated_replies() -> None:
    import random

    from assay.scoring.extract import boxed_plain_number

    rng = random.Random(1)
    prefixes = ["", "The answer is ", "So $x = 5$ and therefore ", "Step 1: 3+4=7.\nStep 2: 7*6=42\n", "Answer: **"]
    prefixes += ["$$", "\\(", "We get 12 apples and 3 pears, so ", "Thus the total is $"]
    suffixes = ["", ".", "$", "$.", "$$", "\\)", " dollars.", "**", "\n", " is the answer", "\\%", "%"]
    numbers = ["42", "0", "-3", "18.0", "3.14", "1000", "007", "+5", "1,000", "12.", ".5", "-0.25"]
    numbers += ["1234567890123456789"]
    checked = 0
    for _ in range(1500):
        reply = rng.choice(prefixes) + "\\boxed{" + rng.choice(numbers) + "}" + rng.choice(suffixes)
        reply += rng.choice(["", " and \\boxed{7}"])
        fast = boxed_plain_number(reply)
        if fast is not None:
            checked += 1
            assert fast == extract_math_answer(reply), reply
    assert checked > 300  # the fast path covered the common replies; the others were refused (None)


def test_the_boxed_number_fast_path_agrees_on_a_sweep_of_integers_and_decimals() -> None:
    from assay.scoring.extract import boxed_plain_number

    numbers = [str(i) for i in range(-300, 301)] + [f"{i / 10:.1f}" for i in range(-200, 201)]
    numbers += [f"{i / 100:.2f}" for i in range(-300, 301)] + ["0.500", "+0.5", "00.5", "-0.0", "+0"]
    for number in numbers:
        reply = f"The answer is \\boxed{{{number}}}."
        fast = boxed_plain_number(reply)
        if fast is not None:
            assert fast == extract_math_answer(reply), reply
    assert boxed_plain_number("\\boxed{0.5}") is None  # Math-Verify shows it as \\frac{1}{2}
