"""Code extraction from replies: fenced blocks, unclosed fences, whole replies, MBPP's and LiveCodeBench's rules."""

from __future__ import annotations

import pytest

from assay.scoring.code_extract import (
    extract_code,
    extract_last_fenced_code,
    extract_mbpp_code,
    fenced_blocks,
    reply_mode,
)

FULL_FUNCTION = "def add(a, b):\n    return a + b"


def test_first_fenced_block_is_the_code_as_evalscope() -> None:
    reply = f"Here it is:\n```python\n{FULL_FUNCTION}\n```\nExample:\n```python\nprint(add(1, 2))\n```\n"
    assert extract_code(reply) == FULL_FUNCTION


def test_last_block_is_taken_when_asked() -> None:
    reply = "Draft:\n```python\ndef add(a, b): pass\n```\nFixed:\n```python\n" + FULL_FUNCTION + "\n```"
    assert extract_code(reply, block="last") == FULL_FUNCTION


def test_untagged_fence_counts_and_other_languages_are_skipped() -> None:
    assert extract_code(f"```\n{FULL_FUNCTION}\n```") == FULL_FUNCTION
    assert extract_code(f"```text\n3\n```\n```py\n{FULL_FUNCTION}\n```") == FULL_FUNCTION
    # Only a block in another language: it is still the best guess.
    assert fenced_blocks("```bash\nls\n```") == ["ls"]


def test_closing_fence_may_be_indented() -> None:
    assert extract_code(f"1. code:\n   ```python\n{FULL_FUNCTION}\n   ```") == FULL_FUNCTION


def test_unclosed_fence_of_a_truncated_reply_gives_the_rest() -> None:
    assert extract_code("Sure.\n```python\ndef add(a, b):\n    return a") == "def add(a, b):\n    return a"


def test_reply_without_fence_is_taken_whole_and_a_blank_reply_has_no_code() -> None:
    assert extract_code("    return a + b\n") == "    return a + b\n"
    assert extract_code("") is None
    assert extract_code(" \n\t") is None


def test_carriage_returns_are_removed() -> None:
    assert extract_code("```python\r\nx = 1\r\ny = 2\r\n```") == "x = 1\ny = 2"


def test_mbpp_cuts_at_done_and_before_the_models_own_asserts() -> None:
    reply = f"{FULL_FUNCTION}\nassert add(1, 1) == 3\n[DONE]\nYou are an expert"
    assert extract_mbpp_code(reply) == FULL_FUNCTION


@pytest.mark.parametrize("marker", ['if __name__ == "__main__":\n    print(add(1, 2))', "# Example usage\nadd(1, 2)"])
def test_mbpp_drops_main_guards_and_example_usage(marker: str) -> None:
    assert extract_mbpp_code(f"```python\n{FULL_FUNCTION}\n{marker}\n```") == FULL_FUNCTION + "\n"


def test_mbpp_keeps_every_definition_of_unfenced_code_inside_prose() -> None:
    reply = "Here you go:\nimport math\ndef helper(x):\n    return x\n\ndef add(a, b):\n    return helper(a) + b\nDone."
    code = extract_mbpp_code(reply)
    assert code == "import math\ndef helper(x):\n    return x\n\ndef add(a, b):\n    return helper(a) + b\n"


def test_mbpp_keeps_a_compiling_unfenced_reply_whole() -> None:
    reply = "import re\n\nPATTERN = re.compile('a')\n\ndef f(s):\n    return bool(PATTERN.search(s))\n"
    assert extract_mbpp_code(reply) == reply


def test_mbpp_prose_without_code_is_kept_for_the_sandbox_to_reject() -> None:
    assert extract_mbpp_code("I cannot solve this.") == "I cannot solve this."
    assert extract_mbpp_code("[DONE]") is None


def test_reply_mode_tells_a_full_function_from_a_continuation() -> None:
    assert reply_mode(FULL_FUNCTION, "add") == "full_function"
    assert reply_mode("from typing import List\n\nasync def add(a, b):\n    ...", "add") == "full_function"
    assert reply_mode("    return a + b", "add") == "completion"
    assert reply_mode("def adder(a, b):\n    return a + b", "add") == "completion"


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        # lcb_runner's extract_code_generation: the lines between the last two lines holding ```.
        ("Idea:\n```python\nx = 1\n```\nFinal:\n```python\nprint(2)\n```\nDone.", "print(2)"),
        ("```python\nimport sys\nprint(1)\n```", "import sys\nprint(1)"),
        ("Use ```code``` fences.\nprint(3)\n```", "print(3)"),  # any line with ``` counts as a fence
        ("```python\nprint(1)", None),  # one fence line: EvalScope runs '' and fails
        ("print(1)", None),
        ("```\n   \n```", None),
        ("```python\r\nprint(4)\r\n```", "print(4)\r"),  # carriage returns are kept, as upstream
    ],
)
def test_live_code_bench_takes_the_block_between_the_last_two_fence_lines(reply: str, code: str | None) -> None:
    assert extract_last_fenced_code(reply) == code
