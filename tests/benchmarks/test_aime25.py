"""AIME 2025: the math-evaluation-harness file (answers only, no ids), same checks as AIME 2024."""

from __future__ import annotations

from pathlib import Path

from tests.benchmarks.test_aime24 import check_full_set_loads, check_oracles, check_prompt_equals_evalscope


def test_full_set_loads_30_records_with_position_ids_and_answers() -> None:
    check_full_set_loads("aime25", first_id="default-0")


def test_prompt_equals_evalscope() -> None:
    check_prompt_equals_evalscope("aime25")


def test_gold_fixed_wrong_and_mixed_replies_on_the_full_set(tmp_path: Path) -> None:
    check_oracles("aime25", tmp_path)
