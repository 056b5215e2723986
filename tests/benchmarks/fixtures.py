"""Small hand-written records for the benchmarks that have no real data in ../shared/data.

Each ``write_<benchmark>`` lays its records out under a folder as that benchmark's loader expects
and returns the folder to pass as ``local_path``. The benchmark tests pin prompts and scores on
these records; the real-model smoke test (``tests/real/test_real_benchmarks_smoke.py``) runs them
through a real server.
"""

from __future__ import annotations

import base64
import csv
import json
import pickle
import zlib
from pathlib import Path
from typing import Any

from tests.benchmarks.helpers import write_jsonl

# --- boolq: hub schema (question, passage, boolean answer) ---------------------------------------

BOOLQ_ROWS = [
    {"question": "is a tomato a fruit", "passage": "Botanically, a tomato is the fruit of the tomato plant.",
     "answer": True},
    {"question": "can penguins fly", "passage": "Penguins are flightless birds that live mostly in the south.",
     "answer": False},
    {"question": "is the moon a planet", "passage": "The Moon is the only natural satellite of the Earth.",
     "answer": False},
]  # fmt: skip


def write_boolq(root: Path, rows: list[dict[str, Any]] = BOOLQ_ROWS) -> Path:
    write_jsonl(root / "data" / "default" / "validation.jsonl", rows)
    return root / "data"


# --- ceval: the upstream CSV layout, val and dev per subject ---------------------------------------

CEVAL_COLUMNS = ["id", "question", "A", "B", "C", "D", "answer", "explanation"]
CEVAL_VAL = {
    "logic": [
        [0, "所有的鸟都会飞，企鹅是鸟，所以企鹅会飞。这个推理的问题是____",
         "前提错误", "结构错误", "无问题", "结论正确", "A", ""],
        [1, "“如果下雨，地面就湿”的逆否命题是____",
         "地面湿则下雨", "不下雨则地面不湿", "地面不湿则没下雨", "下雨则地面湿", "C", ""],
    ],
    "high_school_physics": [
        [0, "物体做自由落体运动时，加速度____", "逐渐增大", "保持不变", "逐渐减小", "先增后减", "B", ""],
    ],
}  # fmt: skip
CEVAL_DEV = [[i, f"示例问题{i}", "甲", "乙", "丙", "丁", "D", f"因为{i}。"] for i in range(5)]


def _write_ceval_csv(path: Path, rows: list[list[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([CEVAL_COLUMNS, *rows])


def write_ceval(root: Path) -> Path:
    """Subjects ``CEVAL_VAL`` (val split) each with the five ``CEVAL_DEV`` examples (dev split)."""
    folder = root / "ceval"
    for subject, rows in CEVAL_VAL.items():
        _write_ceval_csv(folder / "val" / f"{subject}_val.csv", rows)
        _write_ceval_csv(folder / "dev" / f"{subject}_dev.csv", CEVAL_DEV)
    return folder


# --- commonsense_qa: hub schema (question, five choices, letter answer) ----------------------------

COMMONSENSE_QA_ROWS = [
    {"question": "Where would you put a plate after washing it?",
     "choices": ["cupboard", "oven", "garden", "car", "bathtub"], "answer": "A"},
    {"question": "What do people usually do when they are tired?",
     "choices": ["run", "sleep", "shout", "paint", "swim"], "answer": "B"},
    {"question": "Where is a pencil most likely kept by a student?",
     "choices": ["fridge", "river", "pencil case", "roof", "shoe"], "answer": "C"},
    {"question": "What might a person feel after winning a prize?",
     "choices": ["grief", "boredom", "hunger", "joy", "fear"], "answer": "D"},
]  # fmt: skip


def write_commonsense_qa(root: Path) -> Path:
    write_jsonl(root / "data" / "default" / "validation.jsonl", COMMONSENSE_QA_ROWS)
    return root / "data"


# --- drop: EleutherAI/drop validation schema -------------------------------------------------------

_NO_DATE = {"day": "", "month": "", "year": ""}


def drop_answer(number: str = "", spans: list[str] | None = None, date: dict[str, str] | None = None) -> dict[str, Any]:
    """One DROP answer structure: a number, spans or a date."""
    return {"number": number, "date": date or _NO_DATE, "spans": spans or [], "worker_id": "", "hit_id": ""}


def drop_validated(*answers: dict[str, Any]) -> dict[str, list[Any]]:
    """Validated answers column-wise, as the hub's ``datasets`` library exports EleutherAI/drop."""
    return {key: [a[key] for a in answers] for key in ("number", "date", "spans", "worker_id", "hit_id")}


# Number, multi-span, date and span answers.
DROP_RECORDS: list[dict[str, Any]] = [
    {
        "section_id": "nfl_1",
        "query_id": "q-number",
        "passage": "The Giants scored 3 touchdowns and 2 field goals.",
        "question": "How many field goals did the Giants score?",
        "answer": drop_answer(number="2"),
        "validated_answers": drop_validated(drop_answer(number="2")),
    },
    {
        "section_id": "nfl_1",
        "query_id": "q-spans",
        "passage": "Jacobs and Wells ran for touchdowns; Nicks caught one.",
        "question": "Which players ran for touchdowns?",
        "answer": drop_answer(spans=["Jacobs", "Wells"]),
        "validated_answers": drop_validated(drop_answer(spans=["Jacobs", "Wells"])),
    },
    {
        "section_id": "history_2",
        "query_id": "q-date",
        "passage": "The treaty was signed on 10 December 1993 in Paris.",
        "question": "When was the treaty signed?",
        "answer": drop_answer(date={"day": "10", "month": "December", "year": "1993"}),
        "validated_answers": drop_validated(),
    },
    {
        "section_id": "history_2",
        "query_id": "q-alias",
        "passage": "Amangkurat II killed Trunajaya in 1680.",
        "question": "Who killed Trunajaya?",
        "answer": drop_answer(spans=["Amangkurat II"]),
        "validated_answers": drop_validated(drop_answer(spans=["Amangkurat"])),
    },
]


def write_drop(root: Path) -> Path:
    write_jsonl(root / "drop" / "validation.jsonl", DROP_RECORDS)
    return root / "drop"


# --- general_mcq: EvalScope's local CSV format, val and dev files of subset 'default' -------------

GENERAL_MCQ_CSV_HEADER = "id,question,A,B,C,D,answer\n"


def write_general_mcq(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "default_val.csv").write_text(
        GENERAL_MCQ_CSV_HEADER + "1,中国的首都是哪里？,上海,北京,广州,深圳,B\n2,1+1=?,1,2,3,4,b\n", encoding="utf-8"
    )
    (root / "default_dev.csv").write_text(GENERAL_MCQ_CSV_HEADER + "7,2+2=?,3,4,5,6,B\n", encoding="utf-8")
    return root


# --- general_qa: query/response, question/answer with system, and messages records ---------------

GENERAL_QA_SUBSET = "example"
GENERAL_QA_RECORDS: list[dict[str, Any]] = [
    {"query": "中国的首都是哪里？", "response": "中国的首都是北京"},
    {"question": "What is 2+2?", "answer": "4", "system": "Be brief."},
    {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Hi"}], "answer": "Hello"},
]


def write_general_qa(root: Path) -> Path:
    """The records as subset ``GENERAL_QA_SUBSET``."""
    write_jsonl(root / f"{GENERAL_QA_SUBSET}.jsonl", GENERAL_QA_RECORDS)
    return root


# --- gpqa_diamond: the upstream columns, four answers per question (one missing in rec3) -----------


def _gpqa_row(record_id: str, question: str, correct: str, *incorrect: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {"Record ID": record_id, "Question": question, "Correct Answer": correct}
    row.update({f"Incorrect Answer {n}": text for n, text in enumerate(incorrect, start=1)})
    return row


GPQA_DIAMOND_ROWS = [
    _gpqa_row("rec1", "Which particle mediates the electromagnetic force?", "photon", "gluon", "W boson",
              "graviton"),
    _gpqa_row("rec2", "What is the oxidation state of oxygen in H2O2?", "-1", "-2", "0", "+1"),
    _gpqa_row("rec3", "  Which organelle produces most ATP in eukaryotic cells?  ", "mitochondrion", "ribosome",
              "Golgi apparatus", None),
]  # fmt: skip


def write_gpqa_diamond(root: Path) -> Path:
    write_jsonl(root / "data" / "train.jsonl", GPQA_DIAMOND_ROWS)
    return root / "data"


# --- live_code_bench: the hub repo's test.jsonl (release 1) and test2.jsonl (release 2) --------------


def lcb_private_tests(tests: list[dict[str, str]], *, compressed: bool) -> str:
    """``private_test_cases`` as upstream stores it: JSON text, or base64(zlib(pickle(JSON text)))."""
    text = json.dumps(tests)
    return base64.b64encode(zlib.compress(pickle.dumps(text))).decode() if compressed else text


def lcb_record(
    question_id: str,
    question: str,
    contest_date: str,
    tests: list[tuple[str, str]],
    *,
    func_name: str | None = None,
    starter_code: str = "",
    compressed: bool = False,
) -> dict[str, Any]:
    """One problem in the hub schema: the first test public, the rest private."""
    kind = "functional" if func_name else "stdin"
    cases = [{"input": given, "output": want, "testtype": kind} for given, want in tests]
    platform = "leetcode" if func_name else "atcoder"
    return {
        "question_title": question_id.replace("_", " ").title(),
        "question_content": question,
        "platform": platform,
        "question_id": question_id,
        "contest_id": question_id.split("_")[0],
        "contest_date": contest_date,
        "starter_code": starter_code,
        "difficulty": "easy",
        "public_test_cases": json.dumps(cases[:1]),
        "private_test_cases": lcb_private_tests(cases[1:], compressed=compressed),
        "metadata": json.dumps({"func_name": func_name} if func_name else {}),
    }


#: Release 1 (test.jsonl): a stdin problem (JSON private tests), a LeetCode one (compressed).
LCB_RELEASE_1 = [
    lcb_record(
        "lcb_sum",
        "Read N and then N integers; print their sum.",
        "2023-05-20T00:00:00",
        [("3\n1 2 3\n", "6\n"), ("1\n-5\n", "-5\n"), ("4\n10 20 30 40\n", "100\n")],
    ),
    lcb_record(
        "lcb_twosum",
        "Given nums and target, return the indices of the two numbers that add up to target.",
        "2023-07-01T00:00:00",
        [("[2, 7, 11, 15]\n9", "[0, 1]"), ("[3, 2, 4]\n6", "[1, 2]"), ("[3, 3]\n6", "[0, 1]")],
        func_name="twoSum",
        starter_code="class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        ",
        compressed=True,
    ),
]
#: Release 2 (test2.jsonl): a stdin problem (compressed), a LeetCode one (JSON private tests).
LCB_RELEASE_2 = [
    lcb_record(
        "lcb_max",
        "Each of T lines holds integers; print the largest of each line.",
        "2024-04-10T12:00:00",
        [("2\n1 5 3\n-1 -2\n", "5\n-1\n"), ("1\n7\n", "7\n")],
        compressed=True,
    ),
    lcb_record(
        "lcb_reverse",
        "Return the words of s in reverse order, separated by single spaces.",
        "2024-05-05T00:00:00",
        [('"the sky is blue"', '"blue is sky the"'), ('"  hello world  "', '"world hello"')],
        func_name="reverseWords",
        starter_code="class Solution:\n    def reverseWords(self, s: str) -> str:\n        ",
    ),
]


def write_live_code_bench(root: Path) -> Path:
    """The hub repo's layout: ``test.jsonl`` (release 1) and ``test2.jsonl`` (release 2) in one folder."""
    folder = root / "live_code_bench"
    write_jsonl(folder / "test.jsonl", LCB_RELEASE_1)
    write_jsonl(folder / "test2.jsonl", LCB_RELEASE_2)
    return folder


# --- mmlu_pro: HF schema, category 'math', test and validation (few-shot) splits ------------------

MMLU_PRO_TEST_ROWS = [
    {"question_id": 70, "question": "What is 2 + 3?", "options": [str(n) for n in range(10)],
     "answer": "F", "answer_index": 5, "cot_content": "", "category": "math", "src": "ori_mmlu"},
    {"question_id": 71, "question": "Which number is prime among these?", "options": ["4", "6", "7"],
     "answer": "C", "answer_index": 2, "cot_content": "", "category": "math", "src": "ori_mmlu"},
    {"question_id": 72, "question": "What is 10 / 5?", "options": ["2", "5", "10", "50"],
     "answer": "A", "answer_index": 0, "cot_content": "", "category": "math", "src": "ori_mmlu"},
]  # fmt: skip
MMLU_PRO_VALIDATION_ROWS = [
    {"question_id": 1, "question": "What is 1 + 1?", "options": ["1", "2", "3"], "answer": "B", "answer_index": 1,
     "cot_content": "A: Let's think step by step. 1 + 1 = 2. The answer is (B).", "category": "math",
     "src": "cot_lib"},
]  # fmt: skip


def write_mmlu_pro(root: Path) -> Path:
    """Category ``math`` only."""
    write_jsonl(root / "data" / "math" / "test.jsonl", MMLU_PRO_TEST_ROWS)
    write_jsonl(root / "data" / "math" / "validation.jsonl", MMLU_PRO_VALIDATION_ROWS)
    return root / "data"


# --- mmlu_redux: HF schema with every error type, subject abstract_algebra ------------------------

MMLU_REDUX_ROWS = [
    {"question": "What is the order of the group Z_4?", "choices": ["1", "2", "4", "8"], "answer": 2,
     "error_type": "ok", "source": "x", "correct_answer": None, "potential_reason": ""},
    {"question": "Which element is a ring identity?", "choices": ["0", "1", "2", "3"], "answer": 0,
     "error_type": "wrong_groundtruth", "source": "x", "correct_answer": "B", "potential_reason": ""},
    {"question": "Which of these integers are even?", "choices": ["2", "3", "4", "5"], "answer": 0,
     "error_type": "multiple_correct_answers", "source": "x", "correct_answer": "0, 2", "potential_reason": ""},
    {"question": "What is the square root of 16?", "choices": ["2", "3", "5", "6"], "answer": 3,
     "error_type": "no_correct_answer", "source": "x", "correct_answer": "4", "potential_reason": ""},
    {"question": "Which option is right in this broken item?", "choices": ["a", "b", "c", "d"], "answer": 1,
     "error_type": "multiple_correct_answers", "source": "x", "correct_answer": "(A or C)", "potential_reason": ""},
]  # fmt: skip


def write_mmlu_redux(root: Path) -> Path:
    """Subject ``abstract_algebra`` only."""
    write_jsonl(root / "data" / "abstract_algebra" / "test.jsonl", MMLU_REDUX_ROWS)
    return root / "data"


# --- piqa: hub schema (question, two choices, letter answer) --------------------------------------

PIQA_ROWS = [
    {"question": "How do you keep a door from slamming shut in the wind?",
     "choices": ["Wedge a rubber stopper under it.", "Paint the hinges blue."], "answer": "A"},
    {"question": "How can you dry wet shoes faster?",
     "choices": ["Seal them in a plastic bag.", "Stuff them with newspaper."], "answer": "B"},
    {"question": "How do you soften hard butter quickly?",
     "choices": ["Grate it into thin shreds.", "Put it in the freezer."], "answer": "A"},
]  # fmt: skip


def write_piqa(root: Path) -> Path:
    write_jsonl(root / "data" / "default" / "validation.jsonl", PIQA_ROWS)
    return root / "data"


# --- race: hub schema per subset, three train records for the few-shot examples -------------------


def _race_row(example_id: str, article: str, question: str, answer: str) -> dict[str, Any]:
    options = [f"{question} option {n}" for n in "1234"]
    return {"example_id": example_id, "article": article, "question": question, "options": options, "answer": answer}


RACE_TEST = {
    "high": [
        _race_row("high1.txt", "Tom moved to Paris in 1990.", "Where did Tom move?", "C"),
        _race_row("high2.txt", "The library opens at nine.", "When does the library open?", "A"),
    ],
    "middle": [_race_row("middle1.txt", "Lily has two cats.", "How many cats does Lily have?", "B")],
}
RACE_TRAIN = [_race_row(f"train{i}.txt", f"Train article {i}.", f"Train question {i}?", "D") for i in range(3)]


def write_race(root: Path) -> Path:
    for subset, rows in RACE_TEST.items():
        write_jsonl(root / "data" / subset / "test.jsonl", rows)
        write_jsonl(root / "data" / subset / "train.jsonl", RACE_TRAIN)
    return root / "data"


# --- sciq: hub schema (question, four choices, letter answer) -------------------------------------

SCIQ_ROWS = [
    {"question": "What gas do plants take in for photosynthesis?",
     "choices": ["oxygen", "carbon dioxide", "helium", "neon"], "answer": "B"},
    {"question": "What is the basic unit of life?",
     "choices": ["cell", "atom", "organ", "tissue"], "answer": "A"},
    {"question": "Which force pulls objects toward the Earth?",
     "choices": ["friction", "magnetism", "gravity", "tension"], "answer": "C"},
]  # fmt: skip


def write_sciq(root: Path) -> Path:
    write_jsonl(root / "data" / "default" / "test.jsonl", SCIQ_ROWS)
    return root / "data"


# --- super_gpqa: one file for all fields, 2 to 10 options ------------------------------------------

SUPER_GPQA_TEN_OPTIONS = [f"{n} kg" for n in range(10, 20)]
SUPER_GPQA_ROWS = [
    {"uuid": "u1", "question": "What mass balances the lever?", "options": SUPER_GPQA_TEN_OPTIONS,
     "answer_letter": "C", "field": "Mechanics", "discipline": "Engineering"},
    {"uuid": "u2", "question": "Which dynasty followed the Sui?", "options": ["Han", "Tang", "Song", "Ming"],
     "answer_letter": "B", "field": "History", "discipline": "History"},
    {"uuid": "u3", "question": "Which force keeps a satellite in orbit?", "options": ["gravity", "drag", "lift"],
     "answer_letter": "A", "field": "Mechanics", "discipline": "Engineering"},
    {"uuid": "u4", "question": "Which gas is inert?", "options": ["argon", "oxygen"], "answer_letter": "A",
     "field": "Chemistry", "discipline": "Science"},
]  # fmt: skip


def write_super_gpqa(root: Path) -> Path:
    write_jsonl(root / "data" / "SuperGPQA-all.jsonl", SUPER_GPQA_ROWS)
    return root / "data"


# --- trivia_qa: mandarjoshi/trivia_qa rc.wikipedia records ----------------------------------------

TRIVIA_QA_SUNSET = ["Sunset Blvd", "West Sunset Boulevard", "Sunset Boulevard", "Sunset Bulevard", "Sunset Blvd."]
TRIVIA_QA_SUNSET_NORMALIZED = ["sunset boulevard", "sunset bulevard", "west sunset boulevard", "sunset blvd"]


def trivia_qa_record(
    qid: str, question: str, aliases: list[str], normalized: list[str], pages: list[str]
) -> dict[str, Any]:
    """A mandarjoshi/trivia_qa rc.wikipedia record, column-wise as the ``datasets`` library exports it."""
    return {
        "question": question,
        "question_id": qid,
        "question_source": "http://www.triviacountry.com/",
        "entity_pages": {
            "doc_source": ["TagMe"] * len(pages),
            "filename": [f"{i}.txt" for i in range(len(pages))],
            "title": [f"Title {i}" for i in range(len(pages))],
            "wiki_context": pages,
        },
        "search_results": {"description": [], "filename": [], "rank": [], "title": [], "url": [], "search_context": []},
        "answer": {
            "aliases": aliases,
            "normalized_aliases": normalized,
            "matched_wiki_entity_name": "",
            "normalized_matched_wiki_entity_name": "",
            "normalized_value": normalized[0],
            "type": "WikipediaEntity",
            "value": aliases[0],
        },
    }


TRIVIA_QA_RECORDS = [
    trivia_qa_record(
        "tc_1",
        "Which Lloyd Webber musical premiered in the US on 10th December 1993?",
        TRIVIA_QA_SUNSET,
        TRIVIA_QA_SUNSET_NORMALIZED,
        ["Sunset Boulevard is a musical.", "It's by Andrew Lloyd Webber."],
    ),
    trivia_qa_record(
        "tc_2", "Who was the man behind The Chipmunks?", ["David Seville"], ["david seville"], ["Ross Bagdasarian."]
    ),
    trivia_qa_record("tc_3", "What is the capital of France?", ["Paris"], ["paris"], []),
]


def write_trivia_qa(root: Path) -> Path:
    write_jsonl(root / "trivia_qa" / "rc.wikipedia" / "validation.jsonl", TRIVIA_QA_RECORDS)
    return root / "trivia_qa"


# --- winogrande: hub schema (sentence, option1/2, answer '1'/'2') ----------------------------------

WINOGRANDE_ROWS = [
    {"sentence": "The trophy would not fit in the case because _ was too small.", "option1": "the trophy",
     "option2": "the case", "answer": "2"},
    {"sentence": "Ann lent Beth her umbrella because _ was going out in the rain.", "option1": "Ann",
     "option2": "Beth", "answer": "2"},
    {"sentence": "The ice melted on the table because _ was warm.", "option1": "the table",
     "option2": "the ice", "answer": "1"},
]  # fmt: skip


def write_winogrande(root: Path) -> Path:
    write_jsonl(root / "data" / "default" / "validation.jsonl", WINOGRANDE_ROWS)
    return root / "data"
