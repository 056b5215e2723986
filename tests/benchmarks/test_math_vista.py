"""MathVista: the hub snapshot's testmini parquet, EvalScope's two prompts with the picture after the
text, its math-parser scoring, and a run against the test server reading the pictures.

Also the unit tests of the ``qwen_math_equal`` scorer (:mod:`assay.scoring.scorers.qwen_math`),
whose expected verdicts were computed with EvalScope's own ``evalscope/metrics/math/parser.py``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assay.benchmarks import build_adapter
from assay.benchmarks.math_vista import OPEN_PROMPT
from assay.errors import UserError
from assay.mock_server import Rule
from assay.scoring.pool import TimedOut
from assay.scoring.scorers._qwen_math_text import word_to_number
from assay.scoring.scorers.qwen_math import (
    QwenMathEqualScorer,
    extract_answer,
    math_equal,
    quick_math_equal,
    safe_for_eval,
    strip_answer_string,
)
from assay.types import ImagePart, ModelOutput, Sample, SampleStatus, TextPart
from tests.benchmarks.helpers import score
from tests.benchmarks.test_ai2d import (
    HF_IMAGE,
    assert_journal_has_references_only,
    image_cell,
    image_spool,  # noqa: F401 - autouse: images are spooled under the test's folder
    received_images,
    run_on_server,
    sha256_of,
    user_parts,
)

METADATA = pa.struct(
    [
        ("category", pa.string()),
        ("context", pa.string()),
        ("grade", pa.string()),
        ("img_height", pa.int64()),
        ("img_width", pa.int64()),
        ("language", pa.string()),
        ("skills", pa.list_(pa.string())),
        ("source", pa.string()),
        ("split", pa.string()),
        ("task", pa.string()),
    ]
)
SCHEMA = pa.schema(
    [
        ("pid", pa.string()),
        ("question", pa.string()),
        ("image", pa.string()),
        ("decoded_image", HF_IMAGE),
        ("choices", pa.list_(pa.string())),
        ("unit", pa.string()),
        ("precision", pa.float64()),
        ("answer", pa.string()),
        ("question_type", pa.string()),
        ("answer_type", pa.string()),
        ("metadata", METADATA),
        ("query", pa.string()),
    ]
)
SHARD = "data/testmini-00000-of-00001-725687bf7a18d64b.parquet"


# ---------------------------------------------------------------------------------------------- fixture
def _row(pid: str, question: str, answer: str, drawn: str, **fields: Any) -> dict[str, Any]:
    """One record in the AI4Math/MathVista schema; free-form unless ``choices`` are given."""
    choices = fields.get("choices")
    return {
        "pid": pid,
        "question": question,
        "image": f"images/{pid}.png",
        "decoded_image": image_cell(drawn, background=fields.get("background", "white"), name=pid),
        "choices": choices,
        "unit": fields.get("unit"),
        "precision": fields.get("precision"),
        "answer": answer,
        "question_type": "multi_choice" if choices else "free_form",
        "answer_type": fields.get("answer_type", "text" if choices else "integer"),
        "metadata": {
            "category": "math-targeted-vqa",
            "context": "synthetic scene",
            "grade": "elementary school",
            "img_height": 64,
            "img_width": 128,
            "language": "english",
            "skills": ["arithmetic reasoning"],
            "source": "assay-tests",
            "split": "testmini",
            "task": "figure question answering",
        },
        "query": f"Hint: ...\nQuestion: {question}",
    }


ROWS = [
    # The server reads "42" and answers its option: C (right).
    _row("1", "Which number is written in the image?", "42", "42", choices=["7", "12", "42", "5"]),
    # Free form, the number read: right.
    _row("2", "How many apples are in the basket? Count them.", "12", "12"),
    # A float with its precision (kept in metadata, unused by the comparison): right.
    _row("3", "What is the length of the rod?", "1.25", "1.25", answer_type="float", precision=2.0, unit="m"),
    # EvalScope's percentage rule: 0.5 matches a gold 50 (right).
    _row("4", "What share of the circle is shaded, in percent?", "50", "0.5"),
    # Asked for the number, answered with the background colour: wrong (decided by SymPy on the pool).
    _row("5", "Which number is painted on the board?", "9", "9", background="green"),
]


def write_math_vista(root: Path) -> list[str]:
    """The hub snapshot layout (``data/testmini-...parquet``); each row's image SHA-256 in order."""
    path = root / SHARD
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(ROWS, schema=SCHEMA), path)
    return [sha256_of(row["decoded_image"]) for row in ROWS]


def math_vista_rules() -> list[Rule]:
    return [
        Rule(read="colour", contains="painted", reply="The answer is {read}."),
        Rule(read="option", contains="multiple choice", reply="Reading the picture.\nANSWER: {read}"),
        Rule(read="text", reply="The answer is {read}."),
    ]


def _load(data: Path) -> list[Sample]:
    return build_adapter("math_vista", {"local_path": str(data)}).load()["default"]


# ---------------------------------------------------------------------------------------------- loading, prompts
def test_meta_matches_evalscope() -> None:
    meta = build_adapter("math_vista").meta
    assert (meta.dataset_id, meta.modelscope_dataset_id, meta.eval_split) == (
        "AI4Math/MathVista",
        "evalscope/MathVista",
        "testmini",
    )
    assert meta.subset_list == ["default"] and meta.sample_counts == {"default": 1000}
    assert meta.prompt_template == OPEN_PROMPT and meta.few_shot_num == 0 and meta.dataset_revision is None
    assert meta.metric_list == ["acc"] and meta.scorers == {"acc": "qwen_math_equal"} and "multimodal" in meta.tags


def test_records_load_with_letter_or_text_targets_and_metadata(tmp_path: Path) -> None:
    hashes = write_math_vista(tmp_path)
    samples = _load(tmp_path)
    assert [s.id for s in samples] == ["1", "2", "3", "4", "5"]
    assert [s.target for s in samples] == ["C", "12", "1.25", "50", "9"]
    assert [s.metadata["images"][1].sha256 for s in samples] == hashes
    third = samples[2].metadata
    assert (third["question_type"], third["answer_type"], third["precision"], third["unit"]) == (
        "free_form",
        "float",
        2.0,
        "m",
    )
    assert third["source"] == "assay-tests" and third["skills"] == ["arithmetic reasoning"]


def test_multiple_choice_prompt_is_evalscope_cot_then_the_image(tmp_path: Path) -> None:
    hashes = write_math_vista(tmp_path)
    text, image = user_parts(_load(tmp_path)[0])
    assert isinstance(text, TextPart) and text.text == (
        "Answer the following multiple choice question. The last line of your response should be of the following "
        "format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B,C,D. Think step by step before "
        "answering.\n\nWhich number is written in the image?\n\nA) 7\nB) 12\nC) 42\nD) 5"
    )
    assert isinstance(image, ImagePart) and image.sha256 == hashes[0]


def test_free_form_prompt_is_evalscope_open_prompt_then_the_image(tmp_path: Path) -> None:
    hashes = write_math_vista(tmp_path)
    text, image = user_parts(_load(tmp_path)[1])
    assert isinstance(text, TextPart) and text.text == (
        "How many apples are in the basket? Count them.\n"
        "Please reason step by step, and put your final answer within \\boxed{} without units."
    )
    assert isinstance(image, ImagePart) and image.sha256 == hashes[1]
    assert image.source == "math_vista/default/testmini#1/decoded_image"


def test_an_answer_outside_the_choices_stays_the_gold_text(tmp_path: Path) -> None:
    row = _row("9", "Pick one.", "3.0", "3", choices=["1", "2", "3"])
    pq.write_table(pa.Table.from_pylist([row], schema=SCHEMA), tmp_path / "testmini.parquet")
    (sample,) = _load(tmp_path)
    assert sample.target == "3.0" and sample.choices == ["1", "2", "3"]


def test_image_path_is_read_when_there_is_no_decoded_image(tmp_path: Path) -> None:
    row = _row("8", "What is written?", "4", "4")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "8.png").write_bytes(row["decoded_image"]["bytes"])
    row["decoded_image"] = None
    pq.write_table(pa.Table.from_pylist([row], schema=SCHEMA), tmp_path / "testmini.parquet")
    (sample,) = _load(tmp_path)
    assert sample.metadata["images"][1].sha256 == sha256_of({"bytes": (tmp_path / "images" / "8.png").read_bytes()})


def test_a_record_of_unknown_question_type_is_named(tmp_path: Path) -> None:
    row = _row("7", "?", "1", "1") | {"question_type": "essay"}
    pq.write_table(pa.Table.from_pylist([row], schema=SCHEMA), tmp_path / "testmini.parquet")
    with pytest.raises(UserError, match="math_vista record 7 has question_type 'essay'"):
        _load(tmp_path)


# ---------------------------------------------------------------------------------------------- end to end
def test_server_reading_the_images_scores_exactly(tmp_path: Path) -> None:
    hashes = write_math_vista(tmp_path / "data")
    report, stats, out = run_on_server(tmp_path, "math_vista", tmp_path / "data", math_vista_rules())
    # Right: 1 (C), 2 (12), 3 (1.25), 4 (0.5 for 50). Wrong: 5 (a colour for a number).
    assert report.counts.scored == 5 and report.counts.excluded == 0
    assert report.score == 4 / 5
    assert received_images(stats) == sorted(hashes) and stats["images_total"] == 5
    assert_journal_has_references_only(out, hashes)


# ---------------------------------------------------------------------------------------------- the scorer
#: (reply, gold, verdict): EvalScope's extract_answer + strip_answer_string + math_equal on the same input.
EVALSCOPE_VERDICTS = [
    ("So the answer is \\boxed{\\dfrac{1}{2}}.", "0.5", True),  # SymPy: 1/2 == 0.5
    ("The answer is 50%.", "0.5", True),  # 50% reads 0.5
    ("The answer is 0.5.", "50", True),  # gold/100 also counts
    ("Reasoning...\nANSWER: C", "C", True),
    ("Reasoning...\nANSWER: (C)", "C", True),  # the last lone A-E
    ("It is C or maybe D.\nANSWER: D", "C", False),
    ("The answer is one of them", "1", True),  # number words anywhere are read: "one" -> 1
    ("\\boxed{(1, 2)}", "(1,2.0)", True),  # tuples element by element
    ("\\boxed{x = 3}", "3", True),
    ("\\boxed{y = 2x + 1}", "y=1+2x", True),
    ("\\boxed{1.2345}", "1.2346", True),  # relative 1e-4
    ("\\boxed{1.23}", "1.2346", False),
    ("\\boxed{\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}}", "\\begin{pmatrix}1&2\\\\3&4.0\\end{pmatrix}", True),
    ("The total is 1,200 dollars", "1200", True),  # no marker: the last number
    ("no number here", "7", False),
    ("\\boxed{3, 1, 2}", "1,2,3", True),  # integer lists are sorted
    ("\\boxed{90^\\circ}", "90", True),
    ("\\boxed{\\text{five}}", "5", True),
    ("\\boxed{green}", "9", False),
    ("\\boxed{2x}", "x", False),
    ("The answer is 12.\nANSWER: C", "C", True),  # "the answer is" wins; its tail still ends in a lone C
]


@pytest.mark.parametrize(("reply", "gold", "verdict"), EVALSCOPE_VERDICTS)
def test_scorer_gives_evalscopes_verdict(reply: str, gold: str, verdict: bool) -> None:
    result = score(build_adapter("math_vista"), Sample(id="s", input="q", target=gold), reply)
    assert result.status is SampleStatus.SCORED and result.value == {"acc": float(verdict)}


def test_an_empty_extraction_is_a_scored_zero_counted_as_no_answer() -> None:
    result = score(build_adapter("math_vista"), Sample(id="s", input="q", target="7"), "I pick band B")
    assert result.value == {"acc": 0.0} and result.extracted is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\\$1,234.50", "1234.50"),
        ("3, 1, 2", "1,2,3"),
        ("k = 3/4", "\\frac{3}{4}"),
        ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"),
        ("12th grade", "12"),
        ("band", "b"),  # "and" is deleted anywhere
        ("2.000", "2"),
        ("5\\%", "5"),
    ],
)
def test_strip_answer_string(text: str, expected: str) -> None:
    assert strip_answer_string(text) == expected


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("two million twenty three thousand and forty nine", 2023049),
        ("one point five", 1.5),
        ("nine hundred ninety nine", 999),
        ("point", 0),  # word2number's reading of a lone "point"
    ],
)
def test_word_to_number_follows_word2number(words: str, value: float) -> None:
    assert word_to_number(words) == value


def test_word_to_number_refuses_what_word2number_refuses() -> None:
    for text in ("no numbers", "one thousand two thousand"):
        with pytest.raises(ValueError):
            word_to_number(text)
    with pytest.raises(IndexError):
        word_to_number("thousand one")


def test_extraction_order_boxed_then_answer_is_then_marker_then_last_number() -> None:
    assert extract_answer("The answer is 3. Final: \\boxed{4}") == "4"
    assert extract_answer("The answer is 3.\nANSWER: 5") == "3ANSWER:5"
    assert extract_answer("ANSWER: 5") == "5"
    assert extract_answer("first 2, then -3.5") == "-3.5"
    assert extract_answer("boxed") == ""


def test_quick_verdict_decides_texts_letters_and_numbers_without_sympy() -> None:
    assert quick_math_equal("0.0001", "0.00010001") is True
    assert quick_math_equal("10000", "100") is True  # gold x100
    assert quick_math_equal("7", "8") is False  # numbers never reach SymPy
    assert quick_math_equal("", "8") is False
    assert quick_math_equal("x+1", "1+x") is None
    assert math_equal("x+1", "1+x") is True


def test_parse_expr_never_sees_text_naming_python_objects() -> None:
    assert safe_for_eval("2*sqrt(3)+x") and safe_for_eval("km/h") and safe_for_eval("sin(x)**2")
    for text in ("eval(chr(95))", "(1).real", "__import__", "lambda:1", "open(x)", "latex(x)"):
        assert not safe_for_eval(text), text
    assert math_equal("eval(chr(49))", "1") is False  # EvalScope would run eval and say True


class _TimingOutPool:
    async def call(self, *args: Any, timeout_s: float) -> TimedOut:
        return TimedOut(seconds=timeout_s)


def test_a_sympy_check_that_runs_out_of_time_excludes_the_sample() -> None:
    scorer = QwenMathEqualScorer(["acc"])
    context: Any = SimpleNamespace(pool=_TimingOutPool(), math=SimpleNamespace(timeout_s=5.0))
    sample, reply = Sample(id="s", input="q", target="1+x"), ModelOutput(text="\\boxed{x+1}")
    result = asyncio.run(scorer.score(sample, reply, context))
    assert result.status is SampleStatus.EXCLUDED and "longer than 5 s" in (result.reason or "")
