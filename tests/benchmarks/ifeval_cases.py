"""IFEval verification data: hand-written responses and deterministic response generators.

Both sides of the check read this module: Assay's tests (scoring with Assay's own checkers) and
``bench/ifeval_reference.py`` (scoring with EvalScope 1.14.1's copy of Google's checkers, which
writes the expected outcomes). It therefore uses the standard library only and imports neither
``assay`` nor ``evalscope``.

Files, under ``tests/benchmarks/data/ifeval/``:

- ``responses.jsonl``: one hand-written case a line, ``{"id", "key", "prompt",
  "instruction_id_list", "kwargs", "response", "probe", "expected": {"strict": [...], "loose":
  [...]}}``. Keys below ``SYNTHETIC_KEY_START`` are real records of the shared IFEval set (prompt
  and kwargs copied verbatim); keys from it up are realistic records written for one case.
- ``full_expected.json``: ``{generator_name: {str(key): {"strict": [...], "loose": [...]}}}`` for
  every generator in ``GENERATORS`` on all 541 shared records.

An expected outcome is ``True``/``False`` per instruction, or ``None`` where the reference's own
outcome is random: EvalScope replaces a ``letter`` kwarg that is not an ASCII letter (records 1122
``'#'`` and 1129 ``'!'``) by ``random.choice(string.ascii_letters)``, so no fixed answer exists.

Example:
    >>> cases = load_cases()
    >>> case = next(c for c in cases if c.id == "quotation_two_quote_marks_only")
    >>> case.expected_strict
    (True,)
    >>> GENERATORS["upper"]({"prompt": "Say hi, please."})
    'SAY HI, PLEASE.'
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data" / "ifeval"
RESPONSES_PATH = DATA_DIR / "responses.jsonl"
FULL_EXPECTED_PATH = DATA_DIR / "full_expected.json"

#: ../shared/data beside the checkout, as in tests/conftest.py; ASSAY_SHARED_DATA overrides.
SHARED_DATA = Path(os.environ.get("ASSAY_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
SHARED_RECORDS_PATH = SHARED_DATA / "ifeval" / "input_data.jsonl"

#: Case keys from here up belong to records written for the fixture, not to the shared set.
SYNTHETIC_KEY_START = 900_000

Outcomes = tuple[bool | None, ...]


@dataclass(frozen=True)
class IFEvalCase:
    """One hand-written response to one IFEval record, with the reference's verdicts."""

    id: str
    """Short unique name of the case."""
    key: int
    """Record key: a real record's key, or ``SYNTHETIC_KEY_START`` and up for a written one."""
    prompt: str
    """The record's prompt (read by ``combination:repeat_prompt`` only through its kwargs)."""
    instruction_id_list: tuple[str, ...]
    """Instruction ids, e.g. ``"keywords:frequency"``."""
    kwargs: tuple[dict[str, Any], ...]
    """One dict per instruction, with only the keys that instruction takes."""
    response: str
    """The model response under test."""
    probe: str
    """What the case pins, in words."""
    expected_strict: Outcomes
    """Reference verdict per instruction, strict scoring (``None``: the reference is random)."""
    expected_loose: Outcomes
    """Reference verdict per instruction, loose scoring (first/last line dropped, ``*`` removed)."""

    def record(self) -> dict[str, Any]:
        """The case's record in the shared set's layout (``key, prompt, instruction_id_list, kwargs``)."""
        return {
            "key": self.key,
            "prompt": self.prompt,
            "instruction_id_list": list(self.instruction_id_list),
            "kwargs": [dict(kw) for kw in self.kwargs],
        }


def load_cases(path: Path = RESPONSES_PATH) -> list[IFEvalCase]:
    """Read ``responses.jsonl``; a case without ``expected`` (not yet written) gets empty outcomes."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        expected = row.get("expected") or {}
        cases.append(
            IFEvalCase(
                id=row["id"],
                key=row["key"],
                prompt=row["prompt"],
                instruction_id_list=tuple(row["instruction_id_list"]),
                kwargs=tuple(row["kwargs"]),
                response=row["response"],
                probe=row["probe"],
                expected_strict=tuple(expected.get("strict", ())),
                expected_loose=tuple(expected.get("loose", ())),
            )
        )
    return cases


def load_records(path: Path = SHARED_RECORDS_PATH) -> list[dict[str, Any]]:
    """The 541 shared IFEval records, in file order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_full_expected(path: Path = FULL_EXPECTED_PATH) -> dict[str, dict[str, dict[str, list[bool | None]]]]:
    """``{generator_name: {str(key): {"strict": [...], "loose": [...]}}}``."""
    data: dict[str, dict[str, dict[str, list[bool | None]]]] = json.loads(path.read_text(encoding="utf-8"))
    return data


# Response generators: fixed "models" whose verdicts fall both ways across the set. All but
# `follower` ignore the kwargs; `follower` obeys some of them naively, and its own additions
# (a title, a postscript paragraph) break other instructions of the same record.

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def _sentences(prompt: str) -> list[str]:
    """The prompt's non-empty lines split after '.', '?' or '!' (a rough split is all we need)."""
    pieces = (piece.strip() for line in prompt.splitlines() for piece in _SENTENCE_END.split(line))
    return [piece for piece in pieces if piece]


def echo(record: dict[str, Any]) -> str:
    """The prompt itself: passes repeat_prompt wherever the request is repeated from the start."""
    return str(record["prompt"])


def upper(record: dict[str, Any]) -> str:
    """The prompt in capitals: english_capital and capital-word counts, fails lowercase."""
    return str(record["prompt"]).upper()


def lower(record: dict[str, Any]) -> str:
    """The prompt in lowercase: english_lowercase, case-insensitive repeats and keywords."""
    return str(record["prompt"]).lower()


def markdown(record: dict[str, Any]) -> str:
    """A markdown answer built from the prompt's sentences.

    A ``<<title>>`` of the first five words, then paragraphs split by ``***`` whose count follows
    the prompt: the first sentence with its first word ``*highlighted*``, one ``* bullet`` per
    further sentence, ``SECTION n`` headers over the first two bullets' words, and a ``P.S.``.
    """
    sentences = _sentences(str(record["prompt"]))
    words = str(record["prompt"]).split()
    title = " ".join(words[:5]).strip("<>")
    first, rest = sentences[0], sentences[1:]
    head, _, tail = first.partition(" ")
    paragraphs = [f"<<{title}>>", f"*{head}* {tail}".rstrip()]
    if rest:
        paragraphs.append("\n".join(f"* {sentence}" for sentence in rest))
    paragraphs.extend(f"SECTION {n}\n{sentence.split()[0]}" for n, sentence in enumerate(rest[:2], start=1))
    paragraphs.append(f"P.S. {len(words)} words were asked for.")
    return "\n\n***\n\n".join(paragraphs)


def quoted_no_commas(record: dict[str, Any]) -> str:
    """The prompt without commas, wrapped in double quotes, ending with a stock closing question."""
    body = str(record["prompt"]).replace(",", "")
    return f'"{body}\nIs there anything else I can help with?"'


def json_fenced(record: dict[str, Any]) -> str:
    """A fenced JSON object about the prompt (not quoting it): json_format passes, most others fail."""
    prompt = str(record["prompt"])
    payload = {"words_in_request": len(prompt.split()), "first_word": prompt.split()[0], "answer": "My answer is yes."}
    return "```json\n" + json.dumps(payload, indent=2) + "\n```"


def two_answers(record: dict[str, Any]) -> str:
    """The first and the last sentence as two responses split by ``******``, then a P.P.S.

    Paragraphs are separated by blank lines, so the nth-paragraph checks see three paragraphs.
    """
    sentences = _sentences(str(record["prompt"]))
    return f"{sentences[0]}\n\n******\n\n{sentences[-1]}\n\nP.P.S. Answer: [answer] by [name]."


def follower(record: dict[str, Any]) -> str:
    """One paragraph per prompt sentence (blank-line separated), adjusted to some kwargs.

    Pads or cuts to ``num_paragraphs`` and starts paragraph ``nth_paragraph`` with ``first_word``;
    adds a ``<<title>>`` line, the ``keywords``, ``num_placeholders`` placeholders, a paragraph
    starting with ``postscript_marker`` and a last line ``end_phrase``, whichever the record has.
    """
    kwargs = {key: value for kw in record["kwargs"] for key, value in kw.items()}
    paragraphs = _sentences(str(record["prompt"]))
    if "num_paragraphs" in kwargs:
        wanted = int(kwargs["num_paragraphs"])
        paragraphs = (paragraphs + [f"More on point {n}." for n in range(len(paragraphs), wanted)])[:wanted]
    if "first_word" in kwargs and 0 < int(kwargs.get("nth_paragraph", 0)) <= len(paragraphs):
        index = int(kwargs["nth_paragraph"]) - 1
        paragraphs[index] = f"{str(kwargs['first_word']).capitalize()} {paragraphs[index]}"
    paragraphs[0] = f"<<{record['instruction_id_list'][0]}>>\n{paragraphs[0]}"
    if "keywords" in kwargs:
        paragraphs[-1] += " Keywords: " + " ".join(kwargs["keywords"]) + "."
    if "num_placeholders" in kwargs:
        paragraphs[-1] += " " + " ".join(f"[field {n}]" for n in range(int(kwargs["num_placeholders"])))
    if "postscript_marker" in kwargs:
        paragraphs.append(f"{kwargs['postscript_marker']} Thanks for reading.")
    if "end_phrase" in kwargs:
        paragraphs[-1] += "\n" + str(kwargs["end_phrase"])
    return "\n\n".join(paragraphs)


#: Every generator by its name, in the order the reference report lists them.
GENERATORS: dict[str, Callable[[dict[str, Any]], str]] = {
    "echo": echo,
    "upper": upper,
    "lower": lower,
    "markdown": markdown,
    "quoted_no_commas": quoted_no_commas,
    "json_fenced": json_fenced,
    "two_answers": two_answers,
    "follower": follower,
}
