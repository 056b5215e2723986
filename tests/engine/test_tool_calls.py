"""Function calling fits the engine: a BFCL-style benchmark, written in this file, runs on real BFCL data.

Its samples carry tool definitions; the engine sends them (streamed or not) to the project's test
server, which answers with tool calls (streamed as fragments); a scorer reads the assembled calls.
The accuracy is computed here independently from the raw BFCL files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import BenchmarkMeta, DataSpec, LocalFile, QuestionAnswerAdapter, register_benchmark
from assay.mock_server import Rule, RuleToolCall, ServerConfig, run_server_in_thread
from assay.scoring import BaseScorer, register_scorer
from assay.types import ChatMessage, ModelOutput, Sample, Score, ToolInfo
from tests.conftest import shared_data

LIMIT = 30


def _tool_name(name: str) -> str:
    """OpenAI-compatible servers refuse dots in function names; BFCL's own harness writes '_'."""
    return name.replace(".", "_")


def _parameters(schema: dict[str, Any]) -> dict[str, Any]:
    """BFCL writes JSON Schema objects as type 'dict'."""
    return {**schema, "type": "object"} if schema.get("type") == "dict" else schema


@register_benchmark(
    BenchmarkMeta(
        name="toy_bfcl_simple",
        pretty_name="BFCL simple (test)",
        description="One function, one call: the call's name and arguments must match the ground truth.",
        version="1",
        dataset_id="local/bfcl",
        local_layout="<dir>/BFCL_v4_simple_python.json and possible_answer/ beside it",
        available_subsets=["default"],
        subset_list=["default"],
        eval_split="test",
        prompt_template="{question}",
        scorers={"call_acc": "bfcl_call_match"},
        metric_list=["call_acc"],
    )
)
class ToyBFCLSimple(QuestionAnswerAdapter):
    data: ClassVar[DataSpec] = DataSpec(
        upstream=lambda root, subset, split: [LocalFile(root / "BFCL_v4_simple_python.json")]
    )

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        answers = self._answers()[str(record["id"])]
        turn = record["question"][0]
        return Sample(
            id=str(record["id"]),
            input=[ChatMessage(role=m["role"], content=m["content"]) for m in turn],
            target=json.dumps(answers),
            tools=[
                ToolInfo(
                    name=_tool_name(f["name"]), description=f["description"], parameters=_parameters(f["parameters"])
                )
                for f in record["function"]
            ],
            tool_choice="auto",
            subset=subset,
        )

    def _answers(self) -> dict[str, Any]:
        if not hasattr(self, "_possible"):
            path = Path(self.meta.local_path or ".") / "possible_answer" / "BFCL_v4_simple_python.json"
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            self._possible = {row["id"]: row["ground_truth"] for row in rows}
        return self._possible


@register_scorer("bfcl_call_match")
class BFCLCallMatch(BaseScorer):
    """The one call's function and every argument are among the ground truth's allowed values."""

    version = "1"
    supported_metrics = ("call_acc",)

    async def score(self, sample: Sample, output: ModelOutput, ctx: Any) -> Score:
        calls = output.tool_calls or []
        if len(calls) != 1:
            return self.zero(explanation=f"{len(calls)} calls, expected 1")
        [expected] = json.loads(str(sample.target))
        [(name, allowed)] = expected.items()
        call = calls[0]
        arguments = json.loads(call.arguments)
        ok = call.name == _tool_name(name) and all(arguments.get(key, "") in values for key, values in allowed.items())
        return self.scored(float(ok), extracted=f"{call.name}({call.arguments})")


def _first_allowed(allowed: dict[str, list[Any]]) -> dict[str, Any]:
    return {key: values[0] for key, values in allowed.items() if values and values[0] != ""}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_function_calling_benchmark_runs_on_bfcl_data_with_exact_accuracy(tmp_path: Path, stream: bool) -> None:
    root = shared_data("bfcl") / "data"
    questions = [json.loads(line) for line in (root / "BFCL_v4_simple_python.json").read_text().splitlines()][:LIMIT]
    answers_file = root / "possible_answer" / "BFCL_v4_simple_python.json"
    answers = {
        json.loads(line)["id"]: json.loads(line)["ground_truth"] for line in answers_file.read_text().splitlines()
    }
    rules = []
    for i, question in enumerate(questions):
        [(name, allowed)] = answers[question["id"]][0].items()
        text = question["question"][0][-1]["content"]
        if i % 3 == 0:  # the right call
            calls = [RuleToolCall(name=_tool_name(name), arguments=json.dumps(_first_allowed(allowed)))]
        elif i % 3 == 1:  # the right function, a wrong argument
            calls = [
                RuleToolCall(
                    name=_tool_name(name), arguments=json.dumps({"unexpected": 1, **{k: "x" for k in allowed}})
                )
            ]
        else:  # no call at all
            calls = None
        rules.append(Rule(contains=text, reply="I would call a function.", tool_calls=calls))
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["toy_bfcl_simple"],
            dataset_args={"toy_bfcl_simple": {"local_path": str(root)}},
            generation_config={"temperature": 0.0, "stream": stream},
            limit=LIMIT,
            work_dir=str(tmp_path),
            no_timestamp=True,
        )
        report = run_task(config, show_progress=False)["toy_bfcl_simple"]
        sent = srv.stats()["tools"]
    assert report.counts.scored == LIMIT and report.counts.errored == 0
    assert report.score == pytest.approx(10 / LIMIT)  # items 0, 3, ..., 27 got the right call
    # Every request carried its function, under the name a server accepts.
    assert len(sent) == LIMIT
    predictions = (tmp_path / "predictions" / "mock-model" / "toy_bfcl_simple_default.jsonl").read_text()
    records = [json.loads(line) for line in predictions.splitlines()]
    assert sum(bool(r["output"].get("tool_calls")) for r in records) == 20
