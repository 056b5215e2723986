"""HellaSwag: the llama.cpp text layout and the hub jsonl schema, EvalScope's prompt, exact oracle accuracy."""

from __future__ import annotations

import bz2
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.benchmarks.helpers import prompt_of, score, write_jsonl
from tests.conftest import shared_data

INSTRUCTION = (
    "Answer the following multiple choice question. The entire content of your response should be of the "
    "following format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B,C,D.\n\n"
)
# The first validation item as the text layout gives it (ctx_b 'he' stays lower-case there).
TEXT_LAYOUT_FIRST_PROMPT = (
    INSTRUCTION + "A man is sitting on a roof. he\n\nA) is using wrap to wrap a pair of skis.\n"
    "B) is ripping level tiles off.\nC) is holding a rubik's cube.\nD) starts pulling up roofing on a roof."
)
# The same item in the hub schema; EvalScope 1.14.1 builds ctx_a + ' ' + ctx_b.capitalize() and cleans
# '[title]' / '[step]' markup from the WikiHow-style endings.
HUB_RECORD = {
    "ind": 24,
    "activity_label": "Roof shingle removal",
    "ctx_a": "A man is sitting on a roof.",
    "ctx_b": "he",
    "endings": [
        "is using wrap to wrap a pair of skis.",
        "is ripping level tiles off.",
        "is holding a rubik's cube. [title] Step one",
        "starts pulling up roofing on a roof.",
    ],
    "label": "3",
}
EVALSCOPE_HUB_PROMPT = (
    INSTRUCTION + "A man is sitting on a roof. He\n\nA) is using wrap to wrap a pair of skis.\n"
    "B) is ripping level tiles off.\nC) is holding a rubik's cube.. Step one\nD) starts pulling up roofing on a roof."
)


def clean(text: str) -> str:
    return re.sub(r"\[.*?\]", "", text.strip().replace(" [title]", ". ")).replace("  ", " ")


def raw_items(root: Path) -> list[tuple[str, str]]:
    """(context-and-options fragment of the prompt, gold letter) per item, read from the raw file."""
    with bz2.open(root / "hellaswag_val_full.txt.bz2", "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    items = []
    for start in range(0, len(lines), 6):
        head, label, *endings = lines[start : start + 6]
        options = "\n".join(f"{letter}) {clean(e)}" for letter, e in zip("ABCD", endings, strict=True))
        items.append((f"{clean(head.split(': ', 1)[1])}\n\n{options}", "ABCD"[int(label)]))
    return items


def run(tmp_path: Path, config: ServerConfig, root: Path) -> Any:
    with run_server_in_thread(config) as srv:
        task = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["hellaswag"],
            dataset_args={"hellaswag": {"local_path": str(root)}},
            eval_batch_size=64,
            work_dir=str(tmp_path),
            no_timestamp=True,
        )
        return run_task(task, show_progress=False)["hellaswag"]


def test_text_layout_full_validation_set() -> None:
    root = shared_data("hellaswag")
    samples = build_adapter("hellaswag", {"local_path": str(root)}).load()["default"]
    assert len(samples) == 10042
    assert (samples[0].id, samples[0].target, samples[0].metadata) == (
        "0",
        "D",
        {"activity_label": "Roof shingle removal"},
    )
    assert prompt_of(samples[0]) == TEXT_LAYOUT_FIRST_PROMPT


def test_hub_jsonl_gives_evalscopes_prompt(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "validation.jsonl", [HUB_RECORD])
    adapter = build_adapter("hellaswag", {"local_path": str(tmp_path)})
    sample = adapter.load()["default"][0]
    assert prompt_of(sample) == EVALSCOPE_HUB_PROMPT
    assert score(adapter, sample, "ANSWER: D").value == {"acc": 1.0}
    assert score(adapter, sample, "ANSWER: A").value == {"acc": 0.0}


def test_full_set_oracle_mix_is_exact(tmp_path: Path) -> None:
    root = shared_data("hellaswag")
    items = raw_items(root)
    assert len(items) == 10042
    # Gold for every 16th item, a wrong letter for every 32nd (offset 1), no letter for the rest.
    rules = [
        Rule(contains=frag, reply=f"ANSWER: {gold if i % 16 == 0 else 'ABCD'['ABCD'.index(gold) - 3]}")
        for i, (frag, gold) in enumerate(items)
        if i % 16 == 0 or i % 32 == 1
    ]
    plain = [(r.contains or "", r.reply) for r in rules]
    answered = [next((reply for text, reply in plain if text in own), "no idea") for own, _ in items]
    expected = Fraction(sum(a == f"ANSWER: {gold}" for a, (_, gold) in zip(answered, items, strict=True)), len(items))
    assert 0.05 < expected < 0.07
    rules.append(Rule(regex=".", reply="no idea"))
    report = run(tmp_path, ServerConfig(rules=rules), root)
    assert report.counts.total == 10042 and report.counts.errored == 0
    assert report.score == pytest.approx(float(expected), abs=1e-12)


def test_full_set_fixed_letter_scores_its_share(tmp_path: Path) -> None:
    root = shared_data("hellaswag")
    golds = [gold for _, gold in raw_items(root)]
    report = run(tmp_path, ServerConfig(default_reply="ANSWER: B"), root)
    assert report.score == pytest.approx(golds.count("B") / len(golds), abs=1e-12)
