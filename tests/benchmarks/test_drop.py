"""DROP: hub-schema records, EvalScope's prompts, the official EM/F1, exact oracle scores."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.benchmarks.drop import DROP_EXAMPLES, drop_em_f1, extract_answer, gold_answers, normalize_span
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.benchmarks.fixtures import DROP_RECORDS, drop_answer, write_drop
from tests.benchmarks.helpers import prompt_of

GOLD_REPLIES = {
    "q-number": "2 + 0 = 2.\nAnswer: 2",
    "q-spans": "Answer: Jacobs Wells",
    "q-date": "answer: 10 December 1993",
    "q-alias": "Answer: Amangkurat II.",
}
TAIL = '\n\nThink step by step, then write a line of the form "Answer: [ANSWER]" at the end of your response.'


@pytest.fixture
def drop_dir(tmp_path: Path) -> Path:
    return write_drop(tmp_path)


def test_records_load_with_query_ids_and_all_gold_answers(drop_dir: Path) -> None:
    samples = build_adapter("drop", {"local_path": str(drop_dir)}).load()["default"]
    assert [s.id for s in samples] == ["q-number", "q-spans", "q-date", "q-alias"]
    assert [s.metadata["gold_answers"] for s in samples] == [
        [["2"]],
        [["Jacobs", "Wells"]],
        [["10 December 1993"]],
        [["Amangkurat II"], ["Amangkurat"]],
    ]


def test_zero_and_three_shot_prompts_equal_evalscope(drop_dir: Path) -> None:
    # EvalScope 1.14.1: prompt_template.format(drop_examples='' or DROP_EXAMPLES, query=...).
    query = (
        "Passage: The Giants scored 3 touchdowns and 2 field goals.\n"
        "Question: How many field goals did the Giants score?"
    )
    zero = build_adapter("drop", {"local_path": str(drop_dir), "few_shot_num": 0}).load(limit=1)["default"][0]
    head = "You will be asked to read a passage and answer a question. "
    assert prompt_of(zero) == head + "\n# Your Task\n\n---\n" + query + TAIL
    three = build_adapter("drop", {"local_path": str(drop_dir)}).load(limit=1)["default"][0]
    assert prompt_of(three) == head + DROP_EXAMPLES + "\n# Your Task\n\n---\n" + query + TAIL
    # sha256 of EvalScope 1.14.1's DROP_EXAMPLES string.
    digest = hashlib.sha256(DROP_EXAMPLES.encode()).hexdigest()
    assert digest == "c9913bff35254d2e1212f4583ed550c8ea0cb69d4c6ef10371c972645cbb9171"
    assert DROP_EXAMPLES.startswith("Some examples of passages and Q&A are provided below.\n\n# Examples\n---\n")
    assert DROP_EXAMPLES.endswith(
        "Question: How many total yards of touchdown passes did Drew Brees make?\nAnswer:  43\n\n"
    )
    assert DROP_EXAMPLES.count("\n---\nPassage: ") == 3 and "The VOC's subsequent involvement" in DROP_EXAMPLES


def test_few_shot_num_other_than_0_or_3_is_refused() -> None:
    with pytest.raises(UserError, match="few_shot_num 0 or 3"):
        build_adapter("drop", {"few_shot_num": 1})


def test_hub_snapshot_parquet_with_row_wise_validated_answers_loads(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{**r, "validated_answers": [drop_answer(spans=["Amangkurat"])]} for r in DROP_RECORDS[3:]]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "drop_validation.parquet")
    sample = build_adapter("drop", {"local_path": str(tmp_path)}).load()["default"][0]
    assert sample.id == "q-alias" and sample.metadata["gold_answers"] == [["Amangkurat II"], ["Amangkurat"]]


def test_row_wise_validated_answers_from_parquet_are_read_too() -> None:
    record = {**DROP_RECORDS[3], "validated_answers": [drop_answer(spans=["Amangkurat"]), drop_answer(number="5")]}
    assert gold_answers(record) == [("Amangkurat II",), ("Amangkurat",), ("5",)]


@pytest.mark.parametrize(
    ("span", "normalized"),
    [
        ("The 2 touch-downs.", "2.0 touch downs"),
        ("1,000", "1000.0"),
        ("2.0", "2.0"),
        ("-3", "3.0"),
        ("Kaeding's", "kaedings"),
    ],
)
def test_normalization_follows_the_official_scorer(span: str, normalized: str) -> None:
    assert normalize_span(span) == normalized


# (prediction, golds, (em, f1)): expectations computed with EvalScope 1.14.1's drop utils (NumPy/SciPy),
# which our implementation matched on 3,000 random cases.
OFFICIAL_CASES = [
    ("2", [("2",)], (1.0, 1.0)),
    ("2.0", [("2",)], (1.0, 1.0)),
    ("2 touchdowns", [("2",)], (0.0, 0.67)),
    ("3", [("2",)], (0.0, 0.0)),
    ("Jacobs Wells", [("Jacobs", "Wells")], (0.0, 0.33)),
    ("Jacobs", [("Jacobs", "Wells")], (0.0, 0.5)),
    ("Jacobs a Kaeding's", [("Jacobs Kaeding's",)], (1.0, 1.0)),
    ("", [("touchdown", "Kaeding's 2 2"), ("a",)], (1.0, 1.0)),
    ("10 2.0 1,000 3.", [("", "3. yards", "1993 2"), ("1000 an a", "touchdown yards", "Jacobs")], (0.0, 0.13)),
    (
        "Bolts New-Orleans -3 43",
        [("Bolts",), ("an 43 1993", "Bolts Kaeding's Giants", ""), ("", "an Kaeding's 1000")],
        (0.0, 0.33),
    ),
    ("", [("",), ("1000 the yards", ""), ("", "", "2.0")], (0.0, 0.5)),
    ("Kaeding's yards 1,000 43", [("",), ("Kaeding's 2 the", "1993 2.0"), ("Kaeding's", "2.0 two")], (0.0, 0.2)),
    ("New-Orleans 1000", [("", ""), ("10 1000 1000", "", "2.0 10 December")], (0.0, 0.13)),
]


@pytest.mark.parametrize(("prediction", "golds", "expected"), OFFICIAL_CASES)
def test_em_f1_equal_the_official_scorer(
    prediction: str, golds: list[tuple[str, ...]], expected: tuple[float, float]
) -> None:
    assert drop_em_f1(prediction, golds) == expected


def test_extraction_takes_the_last_answer_line() -> None:
    assert extract_answer("Answer: 3\nwait.\nANSWER :  4 yards\n") == "4 yards"
    assert extract_answer("no marker") == "no marker"


def _run(tmp_path: Path, srv_url: str, drop_dir: Path) -> Any:
    config = TaskConfig(
        model="mock-model",
        api_url=srv_url,
        datasets=["drop"],
        dataset_args={"drop": {"local_path": str(drop_dir)}},
        eval_batch_size=64,
        work_dir=str(tmp_path),
        no_timestamp=True,
    )
    return run_task(config, show_progress=False)["drop"]


def _metric(report: Any, name: str) -> float:
    return float(next(m.score for m in report.metrics if m.name.endswith(name)))


def test_oracle_gold_wrong_and_mixed_replies_give_exact_scores(tmp_path: Path, drop_dir: Path) -> None:
    gold_rules = [Rule(contains=r["question"], reply=GOLD_REPLIES[r["query_id"]]) for r in DROP_RECORDS]
    with run_server_in_thread(ServerConfig(rules=gold_rules)) as srv:
        report = _run(tmp_path / "gold", srv.url, drop_dir)
    # A reply is one span, so a two-span gold is never matched exactly: q-spans scores EM 0 and
    # F1 0.33 (its one bag against each gold span: P 1/2, R 1, mean over the two gold spans).
    assert report.counts.scored == 4
    assert _metric(report, "f1") == pytest.approx(3.33 / 4) and _metric(report, "em") == pytest.approx(3 / 4)
    assert report.score == pytest.approx(3.33 / 4)  # F1 is the headline

    with run_server_in_thread(ServerConfig(default_reply="Answer: Paris")) as srv:
        report = _run(tmp_path / "wrong", srv.url, drop_dir)
    assert _metric(report, "f1") == 0.0 and _metric(report, "em") == 0.0

    mixed = [
        Rule(contains="field goals did", reply="Answer: 2 field goals"),  # EM 0, F1 0.5 (P 1/3, R 1)
        Rule(contains="When was the treaty", reply="Answer: December 1993"),  # EM 0, F1 0.8 (P 1, R 2/3)
        Rule(contains="Who killed", reply="Answer: Amangkurat"),  # EM 1 via the validated answer
    ]
    with run_server_in_thread(ServerConfig(rules=mixed, default_reply="Answer: Wells")) as srv:
        report = _run(tmp_path / "mixed", srv.url, drop_dir)
    assert _metric(report, "f1") == pytest.approx((0.5 + 0.5 + 0.8 + 1.0) / 4)  # "Wells" on q-spans: 0.5
    assert _metric(report, "em") == pytest.approx(1 / 4)
