"""MBPP: mostly basic Python problems, 3-shot, scored by running each problem's asserts.

* **Prompt**: EvalScope 1.14.1's (``evalscope/benchmarks/mbpp/mbpp_adapter.py``, ``PROMPT`` and
  ``FEWSHOT_PROMPT``): the task, its three asserts, and by default the same three fixed worked
  examples (task ids 2, 3 and 4 of the prompt split, carriage returns included) ending in
  ``[BEGIN]``, so the reply is code followed by ``[DONE]``. ``few_shot_num`` is 3 or 0.
* **Scoring**: the ``code_exec`` scorer with the ``mbpp`` harness: the code is cut at ``[DONE]``,
  taken from the first fenced block (else the reply), stopped before the model's own asserts
  (:func:`assay.scoring.code_extract.extract_mbpp_code`, which says where it differs from
  EvalScope); the program is the setup code, the code and the asserts, run in the run's sandbox
  with EvalScope's 20 s limit (``review_timeout=20``).
* **Metrics**: ``acc`` aggregated with ``mean_and_pass_at_k`` (EvalScope's default).
* **Data**: ``google-research-datasets/mbpp`` on the hub: subset ``full`` (EvalScope's default, the
  500-problem test split) or ``sanitized`` (the 257 hand-verified test problems). Locally, the
  google-research release files ``mbpp.jsonl`` (974 problems) and ``sanitized-mbpp.json`` (427)
  hold every split in one file; their test split is task ids 11-510 (the release's README), which
  is what is evaluated, so the few-shot problems (ids 2-4) are never scored against themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._base import BenchmarkAdapter, DataSpec, LocalFile, format_template, read_local_file
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.types import Sample

PROMPT_TEMPLATE = (
    "You are an expert Python programmer, and here is your task: {question} Your code should pass these tests:"
    "\n\n{tests}"
)
FEW_SHOT_PROMPT_TEMPLATE = "{fewshot}\n" + PROMPT_TEMPLATE + "\n[BEGIN]\n"
#: EvalScope's three fixed examples, exactly (the ``\r`` are in its prompt too).
FEW_SHOT_EXAMPLES = (
    "You are an expert Python programmer, and here is your task: Write a function to find the similar elements "
    "from the given two tuple lists. Your code should pass these tests:\n\n"
    "assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)\n"
    "assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)\n"
    "assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)\n[BEGIN]\n"
    "def similar_elements(test_tup1, test_tup2):\r\n  res = tuple(set(test_tup1) & set(test_tup2))\r\n"
    "  return (res)\n[DONE]\n"
    "You are an expert Python programmer, and here is your task: Write a python function to identify non-prime "
    "numbers. Your code should pass these tests:\n\n"
    "assert is_not_prime(2) == False\nassert is_not_prime(10) == True\nassert is_not_prime(35) == True\n"
    "[BEGIN]\nimport math\r\ndef is_not_prime(n):\r\n    result = False\r\n"
    "    for i in range(2,int(math.sqrt(n)) + 1):\r\n        if n % i == 0:\r\n            result = True\r\n"
    "    return result\n[DONE]\n"
    "You are an expert Python programmer, and here is your task: Write a function to find the largest integers "
    "from a given list of numbers using heap queue algorithm. Your code should pass these tests:\n\n"
    "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65]\n"
    "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75]\n"
    "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],5)==[85, 75, 65, 58, 35]\n"
    "[BEGIN]\nimport heapq as hq\r\ndef heap_queue_largest(nums,n):\r\n  largest_nums = hq.nlargest(n, nums)\r\n"
    "  return largest_nums\n[DONE]"
)
#: EvalScope's ``review_timeout`` for MBPP, in seconds.
TIMEOUT_S = 20.0
#: The google-research release files, each holding every split, by subset.
RELEASE_FILES = {"full": "mbpp.jsonl", "sanitized": "sanitized-mbpp.json"}
#: Task ids of the test split (google-research mbpp/README.md: 11-510 test, 1-10 prompt).
TEST_TASK_IDS = range(11, 511)


def read_mbpp_file(found: LocalFile) -> list[dict[str, Any]]:
    """A local file; a release file (every split in one) keeps only its test split's task ids."""
    records = read_local_file(found)
    if found.path.name in RELEASE_FILES.values():
        records = [r for r in records if int(r["task_id"]) in TEST_TASK_IDS]
    return records


def _release_files(root: Any, subset: str, split: str) -> list[LocalFile]:
    # The release files hold the test split only as a task-id range, so they stand for 'test' alone.
    return [LocalFile(root / RELEASE_FILES[subset])] if split == "test" and subset in RELEASE_FILES else []


@register_benchmark(
    BenchmarkMeta(
        name="mbpp",
        pretty_name="MBPP",
        description=(
            "MBPP (Mostly Basic Python Problems) measures entry-level Python programming: crowd-sourced tasks "
            "such as 'write a function to find the shared elements of two lists', each with three asserts that "
            "the model sees in its prompt. By default three fixed worked examples come first (3-shot) and the "
            "reply ends with [DONE]; the code is run with the asserts in an isolated sandbox (20 s limit) and a "
            "problem is solved when all of them pass. Subsets: 'full' (500 test problems) and 'sanitized' (257 "
            "hand-verified test problems)."
        ),
        tags=["coding"],
        paper_url="https://arxiv.org/abs/2108.07732",
        version="1",
        dataset_id="google-research-datasets/mbpp",
        modelscope_dataset_id="google-research-datasets/mbpp",
        homepage="https://github.com/google-research/google-research/tree/master/mbpp",
        license="CC-BY-4.0",  # google-research-datasets/mbpp dataset card (shared/data/mbpp/SOURCE.md)
        # Hub test splits; the sanitized count is also that of the shared release file's ids 11-510 (tested).
        sample_counts={"full": 500, "sanitized": 257},
        example=BenchmarkExample(
            record={
                "source_file": "Benchmark Questions Verification V2.ipynb",
                "task_id": 12,
                "prompt": "Write a function to sort a given matrix in ascending order according to the sum of its "
                "rows.",
                "code": "def sort_matrix(M):\n    result = sorted(M, key=sum)\n    return result",
                "test_imports": [],
                "test_list": [
                    "assert sort_matrix([[1, 2, 3], [2, 4, 5], [1, 1, 1]])==[[1, 1, 1], [1, 2, 3], [2, 4, 5]]",
                    "assert sort_matrix([[1, 2, 3], [-2, 4, -5], [1, -1, 1]])==[[-2, 4, -5], [1, -1, 1], [1, 2, 3]]",
                    "assert sort_matrix([[5,8,9],[6,4,3],[2,1,4]])==[[2, 1, 4], [6, 4, 3], [5, 8, 9]]",
                ],
            },
            subset="sanitized",
            source="task 12 of sanitized-mbpp.json (google-research mbpp)",
        ),
        local_layout=(
            "the google-research release files <dir>/mbpp.jsonl (subset 'full') and <dir>/sanitized-mbpp.json "
            "(subset 'sanitized'), of which task ids 11-510 (the test split) are evaluated, or hub-style "
            "<dir>/<subset>/test.jsonl|parquet; records have task_id, text (full) or prompt (sanitized), code, "
            "test_list and test_setup_code (full) or test_imports (sanitized)"
        ),
        available_subsets=["full", "sanitized"],
        subset_list=["full"],
        eval_split="test",
        few_shot_num=3,
        prompt_template=PROMPT_TEMPLATE,
        few_shot_prompt_template=FEW_SHOT_PROMPT_TEMPLATE,
        scorers={"acc": "code_exec"},
        metric_list=["acc"],
        aggregation="mean_and_pass_at_k",
    )
)
class MBPPAdapter(BenchmarkAdapter):
    """MBPP records (full or sanitized schema) to samples carrying their asserts and setup code."""

    data: ClassVar[DataSpec] = DataSpec(upstream=_release_files, reader=read_mbpp_file)
    template_fields: ClassVar[frozenset[str]] = frozenset({"question", "tests", "fewshot"})
    required_template_fields: ClassVar[frozenset[str]] = frozenset({"question"})
    allowed_few_shot_nums: ClassVar[tuple[int, ...] | None] = (0, 3)
    few_shot_examples: ClassVar[str] = "EvalScope's three fixed examples, task ids 2, 3 and 4"

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        # The full set says 'text' and 'test_setup_code'; the sanitized set 'prompt' and 'test_imports'.
        question = record["text"] if "text" in record else record["prompt"]
        setup = record.get("test_setup_code")
        if setup is None:
            setup = "\n".join(record.get("test_imports") or [])
        return Sample(
            id=str(record["task_id"]),
            input=str(question),
            target=str(record["code"]),
            subset=subset,
            metadata={
                "task_id": record["task_id"],
                "test_list": [str(t) for t in record["test_list"]],
                "test_setup_code": str(setup),
            },
        )

    def fewshot_text(self, subset: str) -> str | None:
        return FEW_SHOT_EXAMPLES if self.meta.few_shot_num else None

    def format_prompt(self, sample: Sample, fewshot: str | None) -> str:
        assert isinstance(sample.input, str)
        tests = "\n".join(sample.metadata["test_list"])
        if fewshot:
            template = self.meta.few_shot_prompt_template or FEW_SHOT_PROMPT_TEMPLATE
            return format_template(
                template,
                "few_shot_prompt_template",
                self.meta.name,
                fewshot=fewshot,
                question=sample.input,
                tests=tests,
            )
        return format_template(
            self.meta.prompt_template, "prompt_template", self.meta.name, question=sample.input, tests=tests
        )

    def scorer_options(self) -> dict[str, dict[str, Any]]:
        return {"code_exec": {"harness": "mbpp", "timeout_s": TIMEOUT_S}}
