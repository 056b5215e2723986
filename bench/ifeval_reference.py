"""Reference IFEval verdicts from EvalScope 1.14.1, the data Assay's own checkers are tested against.

Run it with EvalScope's interpreter, not Assay's: it imports EvalScope's copy of Google's
``instruction_following_eval`` (with nltk and langdetect) from that venv.

    /root/.venvs/evalscope/bin/python bench/ifeval_reference.py           # verify (exit 1 if stale)
    /root/.venvs/evalscope/bin/python bench/ifeval_reference.py --write   # rewrite the expected data

What it does:

- fills ``expected`` of every case in ``tests/benchmarks/data/ifeval/responses.jsonl``;
- scores every generator of ``tests/benchmarks/ifeval_cases.py`` on all 541 shared records into
  ``tests/benchmarks/data/ifeval/full_expected.json``;
- prints the four IFEval scores for the fixture and for each generator, and a per-instruction
  table of strict/loose True/False counts, so one sees every checker reach both outcomes.

Without ``--write`` the files are only compared with a fresh run; exit status 1 if they differ.

Scoring follows ``evalscope.benchmarks.ifeval.utils``: its ``test_instruction_following_strict`` and
``_loose`` give the per-instruction verdicts (kwargs with falsy values dropped, as
``process_results`` does); prompt level is the mean over prompts of all(verdicts), instruction
level the micro mean over all instructions (EvalScope weights each prompt's mean by its count).

Determinism. Sentence splitting and ``word_tokenize`` need NLTK's English ``punkt_tab`` model; it
is copied from the vendored ``src/assay/scoring/ifeval/punkt_english/`` into a temporary
``NLTK_DATA`` before nltk is imported, so nothing is downloaded. EvalScope seeds langdetect itself.
Python's ``random`` is seeded with the record key before each scoring pass; it matters only where
the reference draws a kwarg at random (a ``letter`` that is no ASCII letter), and those verdicts
are written as ``null``: the reference has no fixed answer there.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import random
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
PUNKT_ENGLISH = REPO_ROOT / "src" / "assay" / "scoring" / "ifeval" / "punkt_english"
CASES_MODULE = REPO_ROOT / "tests" / "benchmarks" / "ifeval_cases.py"

SCORE_NAMES = ("prompt_level_strict", "inst_level_strict", "prompt_level_loose", "inst_level_loose")


def load_cases_module() -> ModuleType:
    """``tests/benchmarks/ifeval_cases.py`` by path (``tests`` is no package on this interpreter)."""
    spec = importlib.util.spec_from_file_location("ifeval_cases", CASES_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve the module by name
    spec.loader.exec_module(module)
    return module


def import_reference(nltk_data: Path) -> ModuleType:
    """EvalScope's ``ifeval.utils``, with NLTK reading only the vendored punkt_tab copy."""
    english = nltk_data / "tokenizers" / "punkt_tab" / "english"
    english.mkdir(parents=True)
    for model_file in PUNKT_ENGLISH.iterdir():
        shutil.copy(model_file, english / model_file.name)
    os.environ["NLTK_DATA"] = str(nltk_data)  # read once, when nltk is first imported
    import nltk
    from evalscope.benchmarks.ifeval import utils

    # The language checkers log every LangDetectException (and count it as followed): noise here.
    logging.disable(logging.ERROR)
    found = Path(nltk.data.find("tokenizers/punkt_tab/english/").path)
    if nltk_data not in found.parents:
        raise RuntimeError(f"NLTK loads punkt_tab from {found}, not from the vendored copy")
    return utils


@dataclass(frozen=True)
class Verdicts:
    """The reference's verdicts on one response: raw booleans, and ``None`` where they are random."""

    strict: list[bool]
    loose: list[bool]
    random_at: frozenset[int]

    def expected(self) -> dict[str, list[bool | None]]:
        return {
            "strict": [None if i in self.random_at else v for i, v in enumerate(self.strict)],
            "loose": [None if i in self.random_at else v for i, v in enumerate(self.loose)],
        }


def randomized_instructions(utils: ModuleType, record: dict[str, Any]) -> frozenset[int]:
    """Indexes whose built arguments change with the random seed: the reference fills them by chance."""
    registry = utils.instructions_registry.INSTRUCTION_DICT
    randomized = set()
    for index, instruction_id in enumerate(record["instruction_id_list"]):
        kwargs = {k: v for k, v in record["kwargs"][index].items() if v}  # as process_results does
        built = []
        for seed in (1, 2):
            random.seed(seed)
            instruction = registry[instruction_id](instruction_id)
            instruction.build_description(**kwargs)
            built.append(instruction.get_instruction_args())
        if built[0] != built[1]:
            randomized.add(index)
    return frozenset(randomized)


def judge(utils: ModuleType, record: dict[str, Any], response: str) -> Verdicts:
    example = utils.InputExample(
        key=record["key"],
        instruction_id_list=record["instruction_id_list"],
        prompt=record["prompt"],
        kwargs=record["kwargs"],
    )
    random.seed(record["key"])
    strict = utils.test_instruction_following_strict(example, response).follow_instruction_list
    random.seed(record["key"])
    loose = utils.test_instruction_following_loose(example, response).follow_instruction_list
    return Verdicts(strict=list(strict), loose=list(loose), random_at=randomized_instructions(utils, record))


def scores(verdicts: Sequence[Verdicts]) -> dict[str, float]:
    """The four IFEval scores; an empty input scores 0 rather than dividing by zero."""
    result = {}
    for mode in ("strict", "loose"):
        lists = [getattr(v, mode) for v in verdicts]
        n_instructions = sum(len(lst) for lst in lists)
        result[f"prompt_level_{mode}"] = sum(all(lst) for lst in lists) / len(lists) if lists else 0.0
        result[f"inst_level_{mode}"] = sum(sum(lst) for lst in lists) / n_instructions if n_instructions else 0.0
    return result


def cross_check(utils: ModuleType, record: dict[str, Any], response: str, verdicts: Verdicts) -> None:
    """Our aggregation must equal ``process_results`` on a prompt whose verdicts are not random."""
    if verdicts.random_at:
        return
    theirs = utils.process_results(dict(record), [response])
    ours = scores([verdicts])
    if any(abs(theirs[name] - ours[name]) > 1e-12 for name in SCORE_NAMES):
        raise RuntimeError(f"aggregation differs from process_results on key {record['key']}: {ours} vs {theirs}")


def coverage(rows: Iterable[tuple[Sequence[str], Verdicts]]) -> dict[str, Counter[str]]:
    """Per instruction id: counts of strict/loose True/False and of strict-fail-loose-pass."""
    table: dict[str, Counter[str]] = {}
    for instruction_ids, verdicts in rows:
        for index, instruction_id in enumerate(instruction_ids):
            counts = table.setdefault(instruction_id, Counter())
            if index in verdicts.random_at:
                counts["random"] += 1
                continue
            strict, loose = verdicts.strict[index], verdicts.loose[index]
            counts[f"strict_{strict}"] += 1
            counts[f"loose_{loose}"] += 1
            counts["loose_only"] += (not strict) and loose
    return table


def print_coverage(title: str, table: dict[str, Counter[str]], all_ids: Sequence[str]) -> None:
    print(f"\n{title}")
    columns = ("strict_True", "strict_False", "loose_True", "loose_False", "loose_only", "random")
    print(f"  {'instruction id':<46}" + "".join(f"{c:>13}" for c in columns) + "  gaps")
    for instruction_id in all_ids:
        counts = table.get(instruction_id, Counter())
        gaps = [c for c in ("strict_True", "strict_False") if not counts[c]]
        cells = "".join(f"{counts[c]:>13}" for c in columns)
        print(f"  {instruction_id:<46}{cells}  {', '.join('no ' + g for g in gaps)}")


def print_scores(label: str, values: dict[str, float], n_prompts: int) -> None:
    cells = "  ".join(f"{name}={values[name]:.4f}" for name in SCORE_NAMES)
    print(f"  {label:<18} n={n_prompts:<4} {cells}")


def fixture_rows(cases_module: ModuleType, utils: ModuleType) -> tuple[list[dict[str, Any]], list[Verdicts]]:
    """The fixture's rows with ``expected`` recomputed, and the verdicts behind them."""
    rows, verdicts = [], []
    for line in cases_module.RESPONSES_PATH.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        record = {k: row[k] for k in ("key", "prompt", "instruction_id_list", "kwargs")}
        verdict = judge(utils, record, row["response"])
        cross_check(utils, record, row["response"], verdict)
        rows.append({**{k: v for k, v in row.items() if k != "expected"}, "expected": verdict.expected()})
        verdicts.append(verdict)
    return rows, verdicts


def generator_verdicts(
    cases_module: ModuleType, utils: ModuleType, records: Sequence[dict[str, Any]]
) -> dict[str, list[Verdicts]]:
    return {
        name: [judge(utils, record, generate(record)) for record in records]
        for name, generate in cases_module.GENERATORS.items()
    }


def compare(label: str, path: Path, fresh: Any) -> bool:
    """Whether ``path`` parses to ``fresh`` (JSON lines when ``fresh`` is a list); prints what is stale."""
    if not path.exists():
        print(f"STALE {label}: {path} is missing (run with --write)")
        return False
    text = path.read_text(encoding="utf-8")
    stored = (
        [json.loads(line) for line in text.splitlines() if line.strip()]
        if isinstance(fresh, list)
        else json.loads(text)
    )
    if stored == fresh:
        return True
    if isinstance(fresh, list):
        fresh_by_id = {row["id"]: row for row in fresh}
        stale = [row["id"] for row in stored if fresh_by_id.get(row["id"]) != row]
        print(f"STALE {label}: {len(stale)} case(s) differ, e.g. {stale[:5]} (run with --write)")
    else:
        stale = [name for name in fresh if stored.get(name) != fresh[name]]
        print(f"STALE {label}: generators {stale or sorted(stored)} differ (run with --write)")
    return False


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the expected data instead of verifying it")
    args = parser.parse_args(argv)

    cases_module = load_cases_module()
    with tempfile.TemporaryDirectory(prefix="assay-nltk-") as tmp:
        utils = import_reference(Path(tmp).resolve())
        rows, fixture = fixture_rows(cases_module, utils)
        records = cases_module.load_records()
        by_generator = generator_verdicts(cases_module, utils, records)

    responses_text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    full = {
        name: {str(record["key"]): v.expected() for record, v in zip(records, verdicts, strict=True)}
        for name, verdicts in by_generator.items()
    }
    full_text = json.dumps(full, separators=(",", ":")) + "\n"

    all_ids = sorted(utils.instructions_registry.INSTRUCTION_DICT)
    print(f"Reference: EvalScope ifeval checkers, {len(all_ids)} instruction ids\n\nScores")
    print_scores("fixture", scores(fixture), len(fixture))
    for name, verdicts in by_generator.items():
        print_scores(name, scores(verdicts), len(verdicts))
    print_coverage(
        f"Fixture coverage ({len(rows)} cases)",
        coverage((row["instruction_id_list"], v) for row, v in zip(rows, fixture, strict=True)),
        all_ids,
    )
    print_coverage(
        f"Generator coverage ({len(by_generator)} generators x {len(records)} records)",
        coverage(
            (record["instruction_id_list"], v)
            for verdicts in by_generator.values()
            for record, v in zip(records, verdicts, strict=True)
        ),
        all_ids,
    )

    if args.write:
        cases_module.RESPONSES_PATH.write_text(responses_text, encoding="utf-8")
        cases_module.FULL_EXPECTED_PATH.write_text(full_text, encoding="utf-8")
        print(f"\nwrote {cases_module.RESPONSES_PATH} and {cases_module.FULL_EXPECTED_PATH}")
        return 0
    up_to_date = compare("fixture", cases_module.RESPONSES_PATH, rows)
    up_to_date &= compare("generators", cases_module.FULL_EXPECTED_PATH, full)
    print("\nexpected data up to date" if up_to_date else "\nexpected data is stale")
    return 0 if up_to_date else 1


if __name__ == "__main__":
    sys.exit(main())
