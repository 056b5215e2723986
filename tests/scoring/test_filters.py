"""Reasoning removal and EvalScope-named answer filters."""

from __future__ import annotations

import re

import pytest

from assay.errors import UserError
from assay.scoring.filters import apply_filters, build_filters, run_filters, strip_reasoning


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ANSWER: B", ("ANSWER: B", False)),
        ("<think>maybe A</think>\nANSWER: B", ("ANSWER: B", False)),
        ('<think signature="x">a</think>ANSWER: B', ("ANSWER: B", False)),
        ("<think>a</think>mid<think>b</think> end", ("mid end", False)),
        # The chat template opened the block in the prompt: everything up to </think> is reasoning.
        ("maybe A... no</think>\n\nANSWER: C", ("ANSWER: C", False)),
        # Generation stopped inside the reasoning: nothing of it is scored.
        ("<think>let me see, it is probably B", ("", True)),
        ("Preface. <think>unfinished B", ("Preface.", True)),
        ("<think>done</think>ANSWER: A<think>again, maybe D", ("ANSWER: A", True)),
    ],
)
def test_strip_reasoning_drops_think_blocks_and_flags_unterminated_ones(text: str, expected: tuple[str, bool]) -> None:
    assert strip_reasoning(text) == expected


def test_remove_until_drops_text_through_first_delimiter_and_keeps_text_without_it() -> None:
    assert apply_filters("a</s>b</s>c", {"remove_until": "</s>"}) == "b</s>c"
    assert apply_filters("no delimiter", {"remove_until": "</s>"}) == "no delimiter"


def test_regex_defaults_to_evalscope_gsm8k_pattern_and_fallback() -> None:
    assert apply_filters("so #### 1,234", {"regex": {}}) == "1,234"
    assert apply_filters("nothing", {"regex": {}}) == "[invalid]"


def test_regex_selects_match_by_index_and_first_nonempty_group() -> None:
    text = "x=1, y=2, z=3"
    assert apply_filters(text, {"regex": {"regex_pattern": r"=(\d)", "group_select": -1}}) == "3"
    assert apply_filters(text, {"regex": {"regex_pattern": r"(a)?=(\d)", "group_select": 1}}) == "2"
    # An index past the matches gives the fallback (EvalScope raises IndexError).
    assert apply_filters(text, {"regex": {"regex_pattern": r"=(\d)", "group_select": 9, "fallback": ""}}) == ""


def test_extract_is_an_alias_of_regex_and_positional_args_work() -> None:
    assert apply_filters("The answer is 42.", {"extract": [r"answer is (\d+)"]}) == "42"


def test_filters_run_in_the_given_order() -> None:
    filters = build_filters({"remove_until": "Final:", "remove_whitespace": None})
    assert run_filters("work... Final:   B", filters) == "B"


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"remove_untill": "x"}, "unknown filter 'remove_untill' (did you mean 'remove_until'?)"),
        ({"regex": {"regex_pattern": "("}}, "invalid regular expression"),
        ({"regex": {"pattern": "x"}}, "bad arguments for filter 'regex'"),
        ({"remove_until": None}, "bad arguments for filter 'remove_until'"),
    ],
)
def test_filter_mistakes_are_user_errors_raised_when_built(filters: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        build_filters(filters)
