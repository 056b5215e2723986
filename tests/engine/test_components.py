"""The component seams of the engine, end to end against the project's test server.

* Images: a general_vmcq-style sample with a generated PNG reaches the server as an ``image_url``
  part (the server decodes it and records its SHA-256); the journal holds a reference (hash and
  file), never base64; a resumed run reuses the prediction.
* Scorers: changing a scorer's version re-scores cached predictions on resume without one new
  request, and an unchanged scorer is not even called.
* Request kinds: a log-likelihood benchmark is refused by a backend that cannot compute it before
  any data-independent work, and an embed benchmark gets vectors through ``/v1/embeddings``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import BenchmarkMeta, DataSpec, QuestionAnswerAdapter, register_benchmark
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.scoring import BaseScorer, register_scorer
from assay.types import ModelOutput, RequestKind, Sample, Score
from tests.benchmarks.helpers import write_jsonl
from tests.engine.vmcq import png, vmcq_data


def test_an_image_travels_as_image_url_and_is_journaled_as_a_reference(tmp_path: Path) -> None:
    data = tmp_path / "data"
    hashes = vmcq_data(data)
    rules = [Rule(contains="red square", reply="ANSWER: A"), Rule(contains="blue square", reply="ANSWER: B")]
    out = tmp_path / "out"
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["toy_vmcq"],
            dataset_args={"toy_vmcq": {"local_path": str(data)}},
            work_dir=str(out),
            no_timestamp=True,
        )
        report = run_task(config, show_progress=False)["toy_vmcq"]
        seen = srv.stats()
        # Resuming asks nothing again: the image's hash is what the fingerprint holds.
        resumed = run_task(config.model_copy(update={"use_cache": str(out)}), show_progress=False)["toy_vmcq"]
        assert srv.stats()["requests_total"] == seen["requests_total"] == 2

    assert sorted(image for entry in seen["images"] for image in entry["images"]) == sorted(hashes.values())
    assert report.score == resumed.score == 0.5
    journal = (out / "predictions" / "mock-model" / "toy_vmcq_default.jsonl").read_text()
    assert "base64" not in journal and "data:image" not in journal and len(journal) < 4000
    for line in journal.splitlines():
        record = json.loads(line)
        image = record["input"][-1]["content"][1]
        assert image == {
            "type": "image",
            "source": str(data / "images" / f"{record['sample_id']}.png"),
            "sha256": hashes[record["sample_id"]],
            "mime_type": "image/png",
            "detail": "low",
        }


def test_a_changed_image_is_a_changed_prompt(tmp_path: Path) -> None:
    data = tmp_path / "data"
    vmcq_data(data)
    with run_server_in_thread(ServerConfig(default_reply="ANSWER: A")) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["toy_vmcq"],
            dataset_args={"toy_vmcq": {"local_path": str(data)}},
            work_dir=str(tmp_path / "out"),
            no_timestamp=True,
        )
        run_task(config, show_progress=False)
        (data / "images" / "red-7.png").write_bytes(png("red", "8"))
        with pytest.raises(Exception, match="different model, prompt or generation config"):
            run_task(config.model_copy(update={"use_cache": str(tmp_path / "out")}), show_progress=False)


# --- scorers: a new version re-scores from the cache, an unchanged one is not called -----------------


@register_scorer("counting_exact")
class CountingExact(BaseScorer):
    """Exact match that counts its calls, so a test can see whether a cached review was reused."""

    version = "1"
    supported_metrics = ("counting_exact",)
    calls: ClassVar[int] = 0

    async def score(self, sample: Sample, output: ModelOutput, ctx: Any) -> Score:
        CountingExact.calls += 1
        return self.scored(float(output.text.strip() == sample.target), extracted=output.text.strip())


@register_benchmark(
    BenchmarkMeta(
        name="toy_exact",
        pretty_name="Toy exact",
        description="Questions answered by a word.",
        version="1",
        dataset_id="toy/exact",
        local_layout="<dir>/test.jsonl with q and a",
        available_subsets=["default"],
        subset_list=["default"],
        eval_split="test",
        prompt_template="{question}",
        scorers={"counting_exact": "counting_exact"},
        metric_list=["counting_exact"],
    )
)
class ToyExact(QuestionAnswerAdapter):
    data: ClassVar[DataSpec] = DataSpec()

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        return Sample(id=f"q{index}", input=str(record["q"]), target=str(record["a"]), subset=subset)


def test_a_new_scorer_version_rescores_cached_predictions_without_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_jsonl(tmp_path / "data" / "test.jsonl", [{"q": f"Say {w}", "a": w} for w in ("yes", "no", "maybe")])
    out = tmp_path / "out"
    with run_server_in_thread(ServerConfig(rules=[Rule(regex="Say (yes|no)", reply="yes")])) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["toy_exact"],
            dataset_args={"toy_exact": {"local_path": str(tmp_path / "data")}},
            work_dir=str(out),
            no_timestamp=True,
        )
        first = run_task(config, show_progress=False)["toy_exact"]
        assert srv.stats()["requests_total"] == 3 and CountingExact.calls == 3
        resume = config.model_copy(update={"use_cache": str(out)})
        run_task(resume, show_progress=False)
        assert CountingExact.calls == 3  # same scorer: cached reviews reused, scorer never called
        monkeypatch.setattr(CountingExact, "version", "2")
        rescored = run_task(resume, show_progress=False)["toy_exact"]
        assert CountingExact.calls == 6  # new version: every cached prediction re-scored ...
        assert srv.stats()["requests_total"] == 3  # ... and not one new request
    assert first.score == rescored.score == pytest.approx(1 / 3)
    reviews = [
        json.loads(x) for x in (out / "reviews" / "mock-model" / "toy_exact_default.jsonl").read_text().splitlines()
    ]
    assert len({r["scoring_fingerprint"] for r in reviews}) == 2


# --- request kinds --------------------------------------------------------------------------------


@register_scorer("vector_length")
class VectorLength(BaseScorer):
    """1 when the output's embedding has the length the sample expects (exercises the embed path)."""

    version = "1"
    supported_metrics = ("vector_length",)

    async def score(self, sample: Sample, output: ModelOutput, ctx: Any) -> Score:
        return self.scored(float(len(output.embedding or []) == int(str(sample.target))))


@register_benchmark(
    BenchmarkMeta(
        name="toy_embed",
        pretty_name="Toy embed",
        description="Texts embedded through the engine's embed request kind.",
        version="1",
        dataset_id="toy/embed",
        local_layout="<dir>/test.jsonl with text",
        available_subsets=["default"],
        subset_list=["default"],
        eval_split="test",
        prompt_template="{question}",
        scorers={"vector_length": "vector_length"},
        metric_list=["vector_length"],
    )
)
class ToyEmbed(QuestionAnswerAdapter):
    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        return Sample(id=f"t{index}", input=str(record["text"]), target="16", subset=subset)

    def request_kind(self) -> RequestKind:
        return RequestKind.EMBED


def test_an_embed_benchmark_gets_vectors_through_the_embeddings_endpoint(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "data" / "test.jsonl", [{"text": "a cat"}, {"text": "a dog"}])
    with run_server_in_thread(ServerConfig()) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["toy_embed"],
            dataset_args={"toy_embed": {"local_path": str(tmp_path / "data")}},
            generation_config={"dimensions": 16},
            work_dir=str(tmp_path / "out"),
            no_timestamp=True,
        )
        report = run_task(config, show_progress=False)["toy_embed"]
        assert srv.stats()["by_endpoint"].get("/v1/embeddings") == 2
    assert report.score == 1.0 and report.counts.scored == 2
    predictions = (tmp_path / "out" / "predictions" / "mock-model" / "toy_embed_default.jsonl").read_text()
    vectors = [json.loads(line)["output"]["embedding"] for line in predictions.splitlines()]
    assert [len(v) for v in vectors] == [16, 16] and vectors[0] != vectors[1]


def test_a_loglikelihood_benchmark_is_refused_by_a_backend_that_cannot_score_options(tmp_path: Path) -> None:
    from assay.errors import UserError

    (tmp_path / "nowhere").mkdir()
    with run_server_in_thread(ServerConfig()) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["arc"],
            # The folder holds no data at all: the backend is refused before any data is read.
            dataset_args={
                "arc": {"local_path": str(tmp_path / "nowhere"), "extra_params": {"choice_scoring": "loglikelihood"}}
            },
            work_dir=str(tmp_path / "out"),
        )
        with pytest.raises(UserError, match="arc scores options by log-likelihood, which OpenAIAPI cannot compute"):
            run_task(config, show_progress=False)
        assert srv.stats()["requests_total"] == 0
