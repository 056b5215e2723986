"""MMMU: per-subject hub parquet, images placed at their placeholders (question and options), both
question kinds scored as EvalScope does, and a run against the test server reading the pixels.

Also the unit tests of the ``mmmu_answer`` scorer (:mod:`assay.scoring.scorers.mmmu`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.benchmarks.mmmu import DISCIPLINES, OPEN_PROMPT
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.report.model import Report
from assay.scoring.scorers.mmmu import acceptable_answers, open_answer, open_answer_matches
from assay.types import ImagePart, Sample, SampleStatus, TextPart
from tests.benchmarks.helpers import score
from tests.benchmarks.test_ai2d import (
    HF_IMAGE,
    NO_RULE,
    assert_journal_has_references_only,
    image_cell,
    image_spool,  # noqa: F401 - autouse: images are spooled under the test's folder
    received_images,
    sha256_of,
    user_parts,
)

MCQ_HEADER = (
    "Answer the following multiple choice question. The last line of your response should be of the following "
    "format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of {letters}. Think step by step before "
    "answering.\n\n"
)
IMAGE_COLUMNS = [f"image_{n}" for n in range(1, 8)]


# ---------------------------------------------------------------------------------------------- fixture
def _row(
    record_id: str, question: str, options: list[str], answer: str, images: list[dict[str, Any]]
) -> dict[str, Any]:
    """One record in the MMMU/MMMU parquet schema; ``options == []`` makes an open question."""
    row: dict[str, Any] = {
        "id": record_id,
        "question": question,
        "options": repr(options),  # the hub stores a Python-literal list as text
        "explanation": "",
        **dict.fromkeys(IMAGE_COLUMNS),
        "img_type": "['Diagrams']",
        "answer": answer,
        "topic_difficulty": "Easy",
        "question_type": "multiple-choice" if options else "open",
        "subfield": "Testing",
    }
    row.update({f"image_{n}": cell for n, cell in enumerate(images, start=1)})
    return row


def _images(*texts: str, background: str = "white") -> list[dict[str, Any]]:
    return [image_cell(text, background=background, name=f"{text}-{background}") for text in texts]


def mmmu_rows() -> dict[str, list[dict[str, Any]]]:
    """Two subjects of items whose answer is drawn in their images (see :func:`mmmu_rules`)."""
    math = [
        # Multiple choice, one image at the start: the server reads "42" and answers its option (C, right).
        _row("validation_Math_1", "<image 1> Which number is drawn?", ["7", "12", "42", "5"], "C", _images("42")),
        # Two images in mid-question: read in the order sent, "3 5" is option B (right; swapped, A).
        _row(
            "validation_Math_2",
            "Read the number in <image 1>, then the one in <image 2>. Which pair did you read, in order?",
            ["5 3", "3 5", "3 3", "5 5"],
            "B",
            _images("3", "5"),
        ),
        # Open: the server reads "3.5 kg" and writes it on the ANSWER line (right, case-insensitive).
        _row("validation_Math_3", "What weight is written in <image 1>?", [], "3.5 KG", _images("3.5 kg")),
    ]
    art = [
        # Options that are images: each goes where its option is; the server reads a colour (no letter: 0).
        _row(
            "validation_Art_1",
            "Which option shows the number 8?",
            ["<image 1>", "<image 2>", "<image 3>"],
            "B",
            _images("6", "8", "9", background="yellow"),
        ),
        # Open, asked for the number, answered with the background colour: wrong.
        _row("validation_Art_2", "Which number is painted in <image 1>?", [], "7", _images("7", background="blue")),
    ]
    return {"Math": math, "Art": art}


def write_mmmu(root: Path) -> dict[str, list[str]]:
    """The hub snapshot layout ``<Subject>/validation-00000-of-00001.parquet``; image hashes by record id."""
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("question", pa.string()),
            ("options", pa.string()),
            ("explanation", pa.string()),
            *((column, HF_IMAGE) for column in IMAGE_COLUMNS),
            ("img_type", pa.string()),
            ("answer", pa.string()),
            ("topic_difficulty", pa.string()),
            ("question_type", pa.string()),
            ("subfield", pa.string()),
        ]
    )
    hashes: dict[str, list[str]] = {}
    for subject, rows in mmmu_rows().items():
        path = root / subject / "validation-00000-of-00001.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
        for row in rows:
            hashes[row["id"]] = [sha256_of(row[c]) for c in IMAGE_COLUMNS if row[c] is not None]
    return hashes


def mmmu_rules() -> list[Rule]:
    """Options are read from the pixels; open questions get the text read, or the colour when a colour is asked."""
    return [
        Rule(read="colour", contains="Which option shows", reply="ANSWER: {read}"),
        Rule(read="colour", contains="painted", reply="It looks {read}.\nANSWER: {read}"),
        Rule(read="text", contains="weight", reply="The label says {read}.\nANSWER: {read}"),
        Rule(read="option", reply="ANSWER: {read}"),
    ]


def _args(data: Path) -> dict[str, Any]:
    return {"local_path": str(data), "subset_list": ["Math", "Art"]}


def _load(data: Path) -> dict[str, list[Sample]]:
    return build_adapter("mmmu", _args(data)).load()


def _run(tmp_path: Path, data: Path) -> tuple[Report, dict[str, Any], Path]:
    out = tmp_path / "out"
    with run_server_in_thread(ServerConfig(rules=mmmu_rules(), default_reply=NO_RULE)) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["mmmu"],
            dataset_args={"mmmu": _args(data)},
            work_dir=str(out),
            no_timestamp=True,
        )
        report = run_task(config, show_progress=False)["mmmu"]
        stats = srv.stats()
    return report, stats, out


def _shape(parts: list[Any]) -> list[str]:
    """Each part as ``text`` or the SHA-256 of its image, in message order."""
    return [part.sha256 if isinstance(part, ImagePart) else "text" for part in parts]


# ---------------------------------------------------------------------------------------------- loading, prompts
def test_meta_matches_evalscope() -> None:
    meta = build_adapter("mmmu").meta
    assert (meta.dataset_id, meta.modelscope_dataset_id, meta.eval_split) == (
        "MMMU/MMMU",
        "AI-ModelScope/MMMU",
        "validation",
    )
    assert meta.subset_list == list(DISCIPLINES) and len(meta.subset_list) == 30
    assert meta.subset_list[:3] == ["Accounting", "Agriculture", "Architecture_and_Engineering"]
    assert sum(meta.sample_counts.values()) == 900
    assert meta.metric_list == ["acc"] and meta.few_shot_num == 0 and meta.dataset_revision is None
    assert "multimodal" in meta.tags
    assert sorted(set(DISCIPLINES.values())) == [
        "Art and Design",
        "Business",
        "Health and Medicine",
        "Humanities and Social Science",
        "Science",
        "Tech and Engineering",
    ]


def test_records_load_per_subject_with_ids_targets_and_images(tmp_path: Path) -> None:
    hashes = write_mmmu(tmp_path)
    samples = _load(tmp_path)
    assert [s.id for s in samples["Math"]] == ["validation_Math_1", "validation_Math_2", "validation_Math_3"]
    assert [s.target for s in samples["Math"] + samples["Art"]] == ["C", "B", "3.5 KG", "B", "7"]
    assert [s.choices for s in samples["Art"]] == [["<image 1>", "<image 2>", "<image 3>"], None]
    for sample in samples["Math"] + samples["Art"]:
        images = sample.metadata["images"]
        assert [images[n].sha256 for n in sorted(images)] == hashes[sample.id]
        assert images[1].data is None  # spooled to disk, not held
    assert samples["Math"][1].metadata["images"][2].source == "mmmu/Math/validation#1/image_2"


def test_mcq_with_one_image_is_evalscope_prompt_cut_at_the_placeholder(tmp_path: Path) -> None:
    hashes = write_mmmu(tmp_path)
    parts = user_parts(_load(tmp_path)["Math"][0])
    # EvalScope: prompt(question, options, SINGLE_ANSWER_COT) cut at "<image 1>" (its docs' Accounting example).
    assert _shape(parts) == ["text", hashes["validation_Math_1"][0], "text"]
    assert parts[0].text == MCQ_HEADER.format(letters="A,B,C,D")
    assert parts[2].text == " Which number is drawn?\n\nA) 7\nB) 12\nC) 42\nD) 5"


def test_two_images_mid_question_arrive_in_text_order(tmp_path: Path) -> None:
    hashes = write_mmmu(tmp_path)
    parts = user_parts(_load(tmp_path)["Math"][1])
    first, second = hashes["validation_Math_2"]
    assert _shape(parts) == ["text", first, "text", second, "text"]
    assert parts[0].text.endswith("Read the number in ")
    assert parts[2].text == ", then the one in "
    assert parts[4].text.startswith(". Which pair did you read, in order?\n\nA) 5 3\nB) 3 5")


def test_option_images_go_where_their_options_are(tmp_path: Path) -> None:
    hashes = write_mmmu(tmp_path)
    parts = user_parts(_load(tmp_path)["Art"][0])
    six, eight, nine = hashes["validation_Art_1"]
    assert _shape(parts) == ["text", six, "text", eight, "text", nine]
    assert parts[0].text.endswith("Which option shows the number 8?\n\nA) ")
    assert [parts[2].text, parts[4].text] == ["\nB) ", "\nC) "]


def test_open_question_uses_evalscope_open_prompt(tmp_path: Path) -> None:
    hashes = write_mmmu(tmp_path)
    parts = user_parts(_load(tmp_path)["Math"][2])
    before, after = OPEN_PROMPT.split("{question}")
    assert _shape(parts) == ["text", hashes["validation_Math_3"][0], "text"]
    assert parts[0].text == before + "What weight is written in "
    assert parts[2].text == "?" + after
    assert before.startswith("\nSolve the following problem step by step.") and after.endswith("\\boxed command.\n\n")


def test_a_users_prompt_template_is_used_for_open_questions_only(tmp_path: Path) -> None:
    write_mmmu(tmp_path)
    samples = build_adapter("mmmu", {**_args(tmp_path), "prompt_template": "Q: {question}\nANSWER:"}).load()
    assert [p.text for p in user_parts(samples["Math"][2]) if isinstance(p, TextPart)] == [
        "Q: What weight is written in ",
        "?\nANSWER:",
    ]
    assert user_parts(samples["Math"][0])[0].text == MCQ_HEADER.format(letters="A,B,C,D")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"question_type": "essay"}, "question_type 'essay'"),
        ({"options": "not a list"}, "'options' must be a non-empty list"),
    ],
)
def test_a_broken_record_is_named(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    row = _row("validation_Math_9", "<image 1>?", ["1", "2"], "A", _images("1")) | change
    path = tmp_path / "Math" / "validation.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([row]), path)
    with pytest.raises(UserError, match=message):
        build_adapter("mmmu", {"local_path": str(tmp_path), "subset_list": ["Math"]}).load()


# ---------------------------------------------------------------------------------------------- end to end
def test_server_reading_the_images_scores_exactly(tmp_path: Path) -> None:
    hashes = write_mmmu(tmp_path / "data")
    report, stats, out = _run(tmp_path, tmp_path / "data")
    # Right: Math 1 (C), Math 2 (B, images read in order), Math 3 (open). Wrong: Art 1 (a colour, no
    # letter), Art 2 (a colour for a number).
    assert report.counts.scored == 5
    assert report.score == 3 / 5
    assert report.counts.extraction_failures == 1
    every = [sha for item in hashes.values() for sha in item]
    assert received_images(stats) == sorted(every) and stats["images_total"] == 8
    # Each request carried its item's images in the order the text places them.
    assert sorted(entry["images"] for entry in stats["images"]) == sorted(hashes.values())
    assert_journal_has_references_only(out, every)
    # Subjects are grouped into MMMU's disciplines: Math is Science (3 of 3), Art is Art and Design (0 of 2).
    categories = {tuple(c.name): (c.num, c.score) for c in report.metrics[0].categories}
    assert categories == {("Science",): (3, 1.0), ("Art and Design",): (2, 0.0)}


# ---------------------------------------------------------------------------------------------- the scorer
@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("The total is 12 m.\nANSWER: 12", "12"),
        ("ANSWER: 3\nOn reflection...\nANSWER:  4 ", "4"),  # the last marker wins
        ("ANSWER:\n  7", "7"),  # "\s*" crosses the line break, as EvalScope's pattern does
        ("  It is 12.  ", "It is 12."),  # no marker: the whole reply
        ("answer: 5", "answer: 5"),  # the marker is case-sensitive
    ],
)
def test_open_answer_is_evalscopes_last_answer_line(reply: str, expected: str) -> None:
    assert open_answer(reply) == expected


@pytest.mark.parametrize(
    ("extracted", "gold", "expected"),
    [
        ("3.5 kg", " 3.5 KG ", True),  # strip and lower-case both sides
        ("3.50", "3.5", False),  # no numeric tolerance, as in EvalScope
        ("1/2", "['0.5', '1/2']", True),  # a list-literal gold accepts any element (EvalScope: never)
        ("['0.5', '1/2']", "['0.5', '1/2']", True),  # and its literal text, as EvalScope does
        ("[0.5", "[0.5", True),  # not a list: compared as text
        ("0.5, 1/2", "['0.5', '1/2']", False),
    ],
)
def test_open_answer_match(extracted: str, gold: str, expected: bool) -> None:
    assert open_answer_matches(extracted, gold) is expected


def test_acceptable_answers_of_a_list_gold() -> None:
    assert acceptable_answers("[1, 2.5, 'x']") == ["[1, 2.5, 'x']", "1", "2.5", "x"]
    assert acceptable_answers("[[1], 2]") == ["[[1], 2]", "2"]


def _sample(target: str, choices: list[str] | None) -> Sample:
    return Sample(id="s", input="q", target=target, choices=choices)


@pytest.mark.parametrize(
    ("reply", "value", "extracted"),
    [
        ("Because of the table.\nANSWER: B", 1.0, "B"),
        ("ANSWER: (B)", 1.0, "B"),
        ("ANSWER: C", 0.0, "C"),
        ("I think it is B, not C", 0.0, "C"),  # no marker: the last capital letter, if it is an option
        ("no idea", 0.0, None),
    ],
)
def test_multiple_choice_reads_the_answer_letter(reply: str, value: float, extracted: str | None) -> None:
    adapter = build_adapter("mmmu")
    verdict = score(adapter, _sample("B", ["1", "2", "3"]), reply)
    assert verdict.status is SampleStatus.SCORED and verdict.value == {"acc": value}
    if extracted is not None:
        assert verdict.extracted == extracted


def test_a_gold_letter_outside_the_options_excludes_the_item() -> None:
    verdict = score(build_adapter("mmmu"), _sample("E", ["1", "2"]), "ANSWER: A")
    assert verdict.status is SampleStatus.EXCLUDED and "not one of the options A, B" in (verdict.reason or "")


def test_open_scoring_counts_an_empty_reply_as_no_answer() -> None:
    adapter = build_adapter("mmmu")
    assert score(adapter, _sample("42", None), "ANSWER: 42").value == {"acc": 1.0}
    empty = score(adapter, _sample("42", None), "   ")
    assert empty.value == {"acc": 0.0} and empty.extracted is None
