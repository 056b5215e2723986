"""LiveCodeBench (code generation): contest problems from LeetCode, AtCoder and Codeforces, run against tests.

* **Prompt**: EvalScope 1.14.1's (``evalscope/benchmarks/live_code_bench/``: the adapter's
  ``prompt_template``, ``prompts.CodeGenerationPromptConstants``, ``load_utils.transform``), which is
  lcb_runner's: the system message ``SYSTEM_MESSAGE_GENERIC``, then ``### Question:``, the problem,
  and a ``### Format:`` part that shows the starter code (LeetCode) or asks for a program reading
  stdin (AtCoder, Codeforces). 0-shot.
* **Scoring**: the ``lcb_exec`` scorer (:mod:`assay.scoring.scorers.lcb`): the code between the last
  two fence lines of the reply runs against the public and private tests in the run's sandbox under
  lcb_runner's rules, 6 s per test (EvalScope's ``review_timeout``). ``acc`` is 1 when every test
  passes, aggregated with ``mean_and_pass_at_k``.
* **Subsets**: the upstream release tags, each a set of files of the hub repo
  ``livecodebench/code_generation_lite``: ``release_vN`` is ``test.jsonl`` .. ``testN.jsonl`` (the
  problems up to release N), ``vN`` is file N alone (the problems new in release N), ``vX_vY`` is
  files X..Y, ``release_latest`` every file present. The default is ``release_latest`` (see
  docs/code.md for why not EvalScope's list of all 28).
* **Dates**: ``extra_params.start_date`` / ``end_date`` (``YYYY-MM-DD``) keep the problems whose
  ``contest_date`` lies in that window, as lcb_runner and EvalScope compare (the end is midnight at
  the start of that day); the selection is made before ``limit``.
* **Data**: the hub (Hugging Face ``livecodebench/code_generation_lite``, ModelScope
  ``evalscope/livecodebench_code_generation_lite_parquet``), or local files: the hub repo's
  ``test*.jsonl`` in one folder, or ``<dir>/<subset>/test.jsonl|parquet``.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import re
import zlib
from collections.abc import Mapping
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

from assay.benchmarks._base import BenchmarkAdapter, DataSpec, LocalFile, format_template
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError
from assay.types import Sample

SYSTEM_PROMPT = (
    "You are an expert Python programmer. You will be given a question (problem specification) and will generate "
    "a correct Python program that matches the specification and passes all tests. You will NOT return anything "
    "except for the program."
)
PROMPT_TEMPLATE = (
    "### Question:\n{question_content}\n\n{format_prompt} ### Answer: (use the provided format with backticks)\n\n"
)
FORMAT_WITH_STARTER_CODE = (
    "You will use the following starter code to write the solution to the problem and enclose your code within "
    "delimiters."
)
FORMAT_WITHOUT_STARTER_CODE = (
    "Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on the "
    "sample inputs). Enclose your code within delimiters as follows."
)
#: EvalScope's ``review_timeout`` for live_code_bench, in seconds per test.
TIMEOUT_S = 6.0
#: Releases whose file the hub repo holds: release N added ``test.jsonl`` (N = 1) or ``testN.jsonl``.
RELEASES = range(1, 7)
SUBSETS = [
    "release_latest",
    *(f"release_v{n}" for n in RELEASES),
    *(name for x in RELEASES for name in (f"v{x}", *(f"v{x}_v{y}" for y in RELEASES if y > x))),
]
_SUBSET = re.compile(r"^(?:release_v(?P<release>\d+)|v(?P<first>\d+)(?:_v(?P<last>\d+))?)$")
_DATE_PARAMS = ("start_date", "end_date")


def release_file(n: int) -> str:
    """The hub repo's file of release ``n``: ``test.jsonl`` for the first, ``testN.jsonl`` after."""
    return "test.jsonl" if n == 1 else f"test{n}.jsonl"


def release_files(root: Path, subset: str, split: str) -> list[LocalFile]:
    """The hub repo's files that make ``subset``, as one :class:`LocalFile` (first file, then ``parts``).

    Example:
        >>> [f.path.name for f in release_files(Path("lcb"), "v2_v4", "test")[0].parts]
        ['test3.jsonl', 'test4.jsonl']
    """
    if split != "test":
        return []
    if subset == "release_latest":
        later = sorted(
            (int(m.group(1)), p) for p in root.glob("test*.jsonl") if (m := re.fullmatch(r"test(\d+)\.jsonl", p.name))
        )
        numbers = [1, *(n for n, _ in later if n > 1)]
    else:
        match = _SUBSET.match(subset)
        if match is None:
            return []
        if match["release"]:
            numbers = list(range(1, int(match["release"]) + 1))
        else:
            first = int(match["first"])
            numbers = list(range(first, int(match["last"] or first) + 1))
    paths = [root / release_file(n) for n in numbers]
    return [LocalFile(paths[0], parts=tuple(paths[1:]))]


class _TextOnlyUnpickler(pickle.Unpickler):
    """Upstream pickles one JSON string; refusing every class means loading it can run no code."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing {module}.{name}: private tests are a pickled string")


def decode_private_tests(value: Any) -> list[dict[str, Any]]:
    """``private_test_cases``: a JSON list, or upstream's ``base64(zlib(pickle(json string)))``.

    Raises:
        ValueError: Neither form (the caller names the problem).
    """
    if isinstance(value, list):
        return value
    text = str(value)
    if not text.strip():
        return []
    try:
        decoded = json.loads(text)
    except ValueError:
        packed = zlib.decompress(base64.b64decode(text.encode("utf-8")))
        decoded = json.loads(_TextOnlyUnpickler(io.BytesIO(packed)).load())
    if not isinstance(decoded, list):
        raise ValueError(f"expected a list of tests, got {type(decoded).__name__}")
    return decoded


def format_prompt(starter_code: str) -> str:
    """The ``### Format:`` part of the prompt (``load_utils.transform``): the starter code, or stdin."""
    if starter_code:
        return f"### Format: {FORMAT_WITH_STARTER_CODE}\n```python\n{starter_code}\n```\n\n"
    return f"### Format: {FORMAT_WITHOUT_STARTER_CODE}\n```python\n# YOUR CODE HERE\n```\n\n"


def parse_date_param(name: str, value: Any) -> datetime | None:
    """``extra_params.start_date`` / ``end_date``: None, or midnight of a ``YYYY-MM-DD`` day.

    A YAML config's unquoted ``2024-08-01`` arrives as a ``date`` and is taken as that day.

    Raises:
        UserError: Not a date in that form.
    """
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.strptime(str(value), "%Y-%m-%d")
    except ValueError:
        raise UserError(
            f"extra_params.{name} for live_code_bench must be a date as YYYY-MM-DD (e.g. 2024-08-01), got {value!r}"
        ) from None


def contest_datetime(value: Any) -> datetime:
    """A record's ``contest_date`` (ISO text, or a timestamp from parquet) as a naive UTC datetime."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _tests_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """EvalScope's ``evaluation_sample``: public then private tests, and the function name if any."""
    public = record["public_test_cases"]
    public = json.loads(public) if isinstance(public, str) else list(public)
    private = decode_private_tests(record["private_test_cases"])
    metadata = record.get("metadata") or "{}"
    metadata = json.loads(metadata) if isinstance(metadata, str) else dict(metadata)
    tests = [*public, *private]
    return {
        "inputs": [t["input"] for t in tests],
        "outputs": [t["output"] for t in tests],
        "fn_name": metadata.get("func_name"),
    }


_EXAMPLE_QUESTION = (
    "Takahashi and Aoki played N games. You are given a string S of length N: the i-th character is T if "
    "Takahashi won the i-th game and A if Aoki won it.\nThe overall winner is the one who won more games; if "
    "both won the same number, it is the one who reached that number first. Print T or A.\n\nInput\n\nN\nS\n\n"
    "Output\n\nPrint T if Takahashi is the overall winner, and A otherwise.\n\nConstraints\n\n- 1 <= N <= 100\n"
    "- S consists of T and A.\n\nSample Input 1\n\n5\nTTAAT\n\nSample Output 1\n\nT"
)


@register_benchmark(
    BenchmarkMeta(
        name="live_code_bench",
        pretty_name="Live-Code-Bench",
        description=(
            "LiveCodeBench measures code generation on competitive-programming problems collected from LeetCode, "
            "AtCoder and Codeforces contests as they are published, so a model can be tested on problems newer "
            "than its training data (subsets by release, or a contest-date window). The model writes a Python "
            "program (stdin to stdout, or a LeetCode class method); it runs in an isolated sandbox against the "
            "problem's public and hidden tests, 6 s per test, and a problem is solved when every test passes."
        ),
        tags=["coding"],
        paper_url="https://arxiv.org/abs/2403.07974",
        version="1",
        dataset_id="livecodebench/code_generation_lite",
        modelscope_dataset_id="evalscope/livecodebench_code_generation_lite_parquet",
        homepage="https://livecodebench.github.io/",
        license="cc (the dataset card states no version)",
        # The upstream README's release sizes (release_latest = release_v6 when the hub holds six files).
        sample_counts={
            "release_latest": 1055,
            "release_v1": 400,
            "release_v2": 511,
            "release_v3": 612,
            "release_v4": 713,
            "release_v5": 880,
            "release_v6": 1055,
        },
        example=BenchmarkExample(
            record={
                "question_title": "Overall Winner",
                "question_content": _EXAMPLE_QUESTION,
                "platform": "atcoder",
                "question_id": "abc000_a",
                "contest_id": "abc000",
                "contest_date": "2023-05-13T00:00:00",
                "starter_code": "",
                "difficulty": "easy",
                "public_test_cases": '[{"input": "5\\nTTAAT\\n", "output": "T\\n", "testtype": "stdin"}]',
                "private_test_cases": (
                    "eJxrYJlaywABPZXR1UqZeQWlJUpWCkqGMXmOMXlKOgpK+aUlUDGoQElqcUlJZUEqSKi4JCUzT6lWRwFJqwlQa0gIhu4QnLpjp+gBAIMbKPk="
                ),
                "metadata": "{}",
            },
            subset="release_v1",
            source="illustrative: an AtCoder-style problem in the hub schema, private tests in upstream's encoding",
        ),
        local_layout=(
            "the hub repo's files <dir>/test.jsonl, test2.jsonl .. test6.jsonl (release_vN = test.jsonl..testN.jsonl, "
            "vN = file N, vX_vY = files X..Y, release_latest = all present), or hub-style "
            "<dir>/<subset>/test.jsonl|parquet; records have question_id, question_content, starter_code, "
            "contest_date, public_test_cases, private_test_cases and metadata"
        ),
        available_subsets=SUBSETS,
        subset_list=["release_latest"],
        eval_split="test",
        prompt_template=PROMPT_TEMPLATE,
        system_prompt=SYSTEM_PROMPT,
        scorers={"acc": "lcb_exec"},
        metric_list=["acc"],
        aggregation="mean_and_pass_at_k",
        extra_params={"start_date": None, "end_date": None, "debug": False},
        extra_params_help={
            "start_date": "YYYY-MM-DD: keep problems whose contest_date is at or after midnight of that day",
            "end_date": "YYYY-MM-DD: keep problems whose contest_date is at or before midnight of that day",
            "debug": "accepted for EvalScope configs; no effect (every review carries its failing test's details)",
        },
    )
)
class LiveCodeBenchAdapter(BenchmarkAdapter):
    """LiveCodeBench records to samples carrying their tests (compact JSON), filtered by contest date."""

    data: ClassVar[DataSpec] = DataSpec(upstream=release_files)
    template_fields: ClassVar[frozenset[str]] = frozenset({"question_content", "format_prompt"})
    required_template_fields: ClassVar[frozenset[str]] = frozenset({"question_content"})

    @classmethod
    def finalize_meta(cls, meta: BenchmarkMeta, given: frozenset[str]) -> BenchmarkMeta:
        start, end = (parse_date_param(name, meta.extra_params.get(name)) for name in _DATE_PARAMS)
        if start is not None and end is not None and start > end:
            raise UserError(
                f"extra_params.start_date ({start:%Y-%m-%d}) of live_code_bench is after end_date ({end:%Y-%m-%d})"
            )
        return super().finalize_meta(meta, given)

    def keep_record(self, record: Mapping[str, Any]) -> bool:
        start, end = (parse_date_param(name, self.meta.extra_params.get(name)) for name in _DATE_PARAMS)
        if start is None and end is None:
            return True
        try:
            moment = contest_datetime(record["contest_date"])
        except (KeyError, ValueError) as exc:
            raise UserError(
                f"live_code_bench problem {record.get('question_id', '?')!r} has no readable contest_date "
                f"({exc!r}), which start_date/end_date filter on"
            ) from exc
        return (start is None or start <= moment) and (end is None or moment <= end)

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        question_id = str(record["question_id"])
        try:
            tests = _tests_of(record)
        except (ValueError, TypeError, KeyError, zlib.error, pickle.UnpicklingError) as exc:
            raise UserError(f"live_code_bench problem {question_id!r}: unreadable test cases ({exc!r})") from exc
        if not tests["inputs"]:
            raise UserError(f"live_code_bench problem {question_id!r} has no test cases")
        return Sample(
            id=question_id,
            input=str(record["question_content"]),
            target="",
            subset=subset,
            metadata={
                "tests": json.dumps(tests),
                "test_count": min(len(tests["inputs"]), len(tests["outputs"])),
                "format_prompt": format_prompt(str(record.get("starter_code") or "")),
            },
        )

    def format_prompt(self, sample: Sample, fewshot: str | None) -> str:
        assert isinstance(sample.input, str)
        return format_template(
            self.meta.prompt_template,
            "prompt_template",
            self.meta.name,
            question_content=sample.input,
            format_prompt=str(sample.metadata["format_prompt"]),
        )

    def scorer_options(self) -> dict[str, dict[str, Any]]:
        return {"lcb_exec": {"timeout_s": TIMEOUT_S}}
