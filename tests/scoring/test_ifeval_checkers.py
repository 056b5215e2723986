"""IFEval checkers: the reference implementation's rules and quirks, case by case.

The broad equivalence with the reference (EvalScope's copy of Google's code, run on a fixed set of
responses) is pinned in tests/benchmarks/test_ifeval.py; these cases document the individual rules.
"""

from __future__ import annotations

from typing import Any

import pytest

from assay.scoring.ifeval import INSTRUCTION_IDS, InstructionError, build_checker, check_instructions, loose_variants
from assay.scoring.ifeval._text import count_sentences, count_words, detect_language, word_tokenize

CASES: list[tuple[str, dict[str, Any], str, bool]] = [
    # keywords are regular expressions, matched case-insensitively anywhere
    ("keywords:existence", {"keywords": ["cat", "dog"]}, "A CATALOG of dogs", True),
    ("keywords:existence", {"keywords": ["cat", "dog"]}, "A catalog", False),
    ("keywords:frequency", {"keyword": "cat", "frequency": 2, "relation": "at least"}, "cat category", True),
    ("keywords:frequency", {"keyword": "cat", "frequency": 2, "relation": "less than"}, "cat category", False),
    ("keywords:forbidden_words", {"forbidden_words": ["cat"]}, "a category", True),
    ("keywords:forbidden_words", {"forbidden_words": ["cat"]}, "a Cat.", False),
    ("keywords:letter_frequency", {"letter": "A", "let_frequency": 3, "let_relation": "at least"}, "aAa", True),
    ("keywords:letter_frequency", {"letter": "a", "let_frequency": 3, "let_relation": "less than"}, "aAa", False),
    # not a letter: the reference would check a random letter; the given character is counted
    ("keywords:letter_frequency", {"letter": "#", "let_frequency": 2, "let_relation": "at least"}, "#a #b", True),
    # "don't" is two \w+ words
    ("length_constraints:number_words", {"num_words": 3, "relation": "less than"}, "don't go", False),
    ("length_constraints:number_words", {"num_words": 3, "relation": "at least"}, "don't go", True),
    # Punkt knows "Dr." and "U.S." do not end sentences
    (
        "length_constraints:number_sentences",
        {"num_sentences": 2, "relation": "less than"},
        "Dr. Smith moved to the U.S. in May.",
        True,
    ),
    (
        "length_constraints:number_sentences",
        {"num_sentences": 2, "relation": "at least"},
        "Dr. Smith moved to the U.S. in May.",
        False,
    ),
    # paragraphs split on *** ; a blank middle piece fails outright
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "one\n***\ntwo", True),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "***\none\n***\ntwo\n***", True),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "one\n***\n***\ntwo", False),
    # nth paragraph is looked up among all \n\n pieces, blank ones included
    (
        "length_constraints:nth_paragraph_first_word",
        {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "then"},
        '"First" part.\n\n"Then," the end.',
        True,
    ),
    (
        "length_constraints:nth_paragraph_first_word",
        {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "then"},
        "\n\nFirst part.\n\nThen the end.",
        False,
    ),
    ("detectable_content:number_placeholders", {"num_placeholders": 2}, "[a] and [b]", True),
    ("detectable_content:number_placeholders", {"num_placeholders": 2}, "[a and b]", False),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "Hi.\np.s. bye", True),
    ("detectable_content:postscript", {"postscript_marker": "P.P.S"}, "Hi.\nP.S. bye", False),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "* a\n- b\n**bold**", True),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "* a\n* b\n* c", False),
    ("detectable_format:constrained_response", {}, "Well. My answer is maybe.", True),
    ("detectable_format:constrained_response", {}, "my answer is yes.", False),
    # **bold** counts once: the single-star pattern only sees the empty "**" pairs
    ("detectable_format:number_highlighted_sections", {"num_highlights": 1}, "**bold** text", True),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}, "**bold** text", False),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}, "*one* and * *", False),
    (
        "detectable_format:multiple_sections",
        {"section_spliter": "Section", "num_sections": 2},
        "Section 1 a Section 2 b",
        True,
    ),
    (
        "detectable_format:multiple_sections",
        {"section_spliter": "SECTION", "num_sections": 2},
        "Section 1 a Section 2 b",
        False,
    ),
    ("detectable_format:json_format", {}, '```json\n{"a": NaN}\n```', True),
    ("detectable_format:json_format", {}, "{'a': 1}", False),
    ("detectable_format:title", {}, "<<My Title>>\ntext", True),
    ("detectable_format:title", {}, "<< >> text", False),
    ("combination:two_responses", {}, "first******second", True),
    ("combination:two_responses", {}, "same****** same ", False),
    ("combination:repeat_prompt", {"prompt_to_repeat": "Say hi."}, "  say HI. Hi!", True),
    ("combination:repeat_prompt", {"prompt_to_repeat": "Say hi."}, "Sure: say hi. Hi!", False),
    ("startend:end_checker", {"end_phrase": "Any other questions?"}, 'Done. any other questions?"', True),
    ("startend:end_checker", {"end_phrase": "Any other questions?"}, "Any other questions? Yes.", False),
    ("startend:quotation", {}, '  "quoted"  ', True),
    ("startend:quotation", {}, '"', False),
    # NLTK word tokens: "HELLO." splits into HELLO and "."; "A-B" is one token
    (
        "change_case:capital_word_frequency",
        {"capital_frequency": 3, "capital_relation": "at least"},
        "HELLO. A-B NO",
        True,
    ),
    (
        "change_case:capital_word_frequency",
        {"capital_frequency": 3, "capital_relation": "less than"},
        "HELLO. A-B NO",
        False,
    ),
    ("change_case:english_capital", {}, "THIS IS ALL IN ENGLISH AND IN CAPITAL LETTERS.", True),
    ("change_case:english_capital", {}, "THIS IS ALMOST all capitals.", False),
    ("change_case:english_lowercase", {}, "this is all in english and in lowercase letters.", True),
    ("change_case:english_lowercase", {}, "This is not.", False),
    ("punctuation:no_comma", {}, "a full-width comma， is not a comma", True),
    ("punctuation:no_comma", {}, "a, b", False),
    (
        "language:response_language",
        {"language": "de"},
        "Das ist ein ganz normaler deutscher Satz über das Wetter.",
        True,
    ),
    ("language:response_language", {"language": "de"}, "This is a perfectly ordinary English sentence.", False),
    # no letters: langdetect cannot tell, which the reference counts as followed
    ("language:response_language", {"language": "de"}, "12345 !!!", True),
]


@pytest.mark.parametrize(("instruction", "kwargs", "response", "expected"), CASES)
def test_checker_follows_the_reference_rule(
    instruction: str, kwargs: dict[str, Any], response: str, expected: bool
) -> None:
    assert build_checker(instruction, kwargs).follows(response) is expected


def test_every_instruction_has_a_passing_and_a_failing_case() -> None:
    outcomes = {(instruction, expected) for instruction, _, _, expected in CASES}
    assert {i for i, _ in outcomes} == set(INSTRUCTION_IDS)
    assert all((i, True) in outcomes and (i, False) in outcomes for i in INSTRUCTION_IDS)
    assert len(INSTRUCTION_IDS) == 25


def test_loose_forgives_a_first_line_a_last_line_and_asterisks() -> None:
    assert loose_variants("Sure:\n*body*\nBye") == [
        "Sure:\n*body*\nBye",
        "Sure:\nbody\nBye",
        "*body*\nBye",
        "Sure:\n*body*",
        "*body*",
        "body\nBye",
        "Sure:\nbody",
        "body",
    ]
    verdict = check_instructions(
        ["startend:quotation", "punctuation:no_comma"], [{}, {}], 'Sure, here it is:\n"quoted"'
    )
    assert verdict.strict == (False, False)
    assert verdict.loose == (True, True)
    assert (verdict.prompt_strict, verdict.prompt_loose) == (False, True)


def test_blank_response_follows_nothing() -> None:
    # "no commas" would hold for an empty string; the reference requires a non-blank response first.
    verdict = check_instructions(["punctuation:no_comma"], [{}], "  \n ")
    assert verdict.strict == verdict.loose == (False,)


def test_hub_style_kwargs_with_none_values_are_ignored() -> None:
    hub_kwargs = {"num_highlights": None, "relation": None, "num_words": 3, "keyword": None}
    hub_kwargs["relation"] = "less than"
    assert check_instructions(["length_constraints:number_words"], [hub_kwargs], "one two").strict == (True,)


@pytest.mark.parametrize(
    ("instruction", "kwargs", "message"),
    [
        ("keywords:nonexistent", {}, "unknown IFEval instruction"),
        ("length_constraints:number_words", {"num_words": 3}, "needs kwarg 'relation'"),
        ("length_constraints:number_words", {"num_words": 3, "relation": "at most"}, "must be one of"),
        ("length_constraints:number_words", {"num_words": "x", "relation": "at least"}, "whole number"),
        ("keywords:letter_frequency", {"letter": "ab", "let_frequency": 1, "let_relation": "at least"}, "single"),
        ("punctuation:no_comma", {"num_words": 3}, "takes no kwarg 'num_words'"),
        (
            "length_constraints:nth_paragraph_first_word",
            {"num_paragraphs": 2, "nth_paragraph": 3, "first_word": "x"},
            "between 1 and num_paragraphs",
        ),
    ],
)
def test_bad_instruction_is_refused_with_the_reason(instruction: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InstructionError, match=message):
        build_checker(instruction, kwargs)


def test_text_measurements_match_nltk_conventions() -> None:
    assert count_words("state-of-the-art, don't") == 6
    assert count_sentences("Mr. Brown paid $3.50 for it. Then he left! Did he?") == 3
    assert word_tokenize('He said "HI." Then left.') == ["He", "said", "``", "HI", ".", "''", "Then", "left", "."]
    assert detect_language("Ceci est une phrase tout à fait ordinaire en français.") == "fr"
    assert detect_language("!!!") is None


def test_tokenizers_need_no_nltk_data_lookup_or_download() -> None:
    """With NLTK's data path empty and its downloader disabled, sentence and word tokenizing still work."""
    import subprocess
    import sys

    code = (
        "import nltk\n"
        "nltk.data.path.clear()\n"
        "def refuse(*a, **k): raise SystemExit('nltk.download was called')\n"
        "nltk.download = refuse\n"
        "from assay.scoring.ifeval._text import count_sentences, word_tokenize\n"
        "print(count_sentences('Dr. Smith left. He came back.'), len(word_tokenize('HELLO. A-B NO')))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["2", "4"]
