"""``eval_type: embedding``: run embedding tasks against an OpenAI-compatible ``/embeddings`` server.

The generation engine's journal and scorers do not fit here: a retrieval score is a function of
every vector at once, not of one answer. This runner builds the backend, checks the server, runs
each task (:mod:`assay.embed.tasks`) through cached encoders, and writes the same output tree as a
generation run: ``predictions/`` and ``reviews/`` (one line per query or pair, for the viewer),
``reports/<model>/<task>.json`` and ``configs/task_config.yaml``. Resuming is the vector cache's
job (:mod:`assay.embed.cache`): a rerun sends only the texts that have no vector yet.

``eval_type: rerank`` goes through here too (:func:`run_rerank_eval`): the openai_api backend's
``/rerank``, one request per query (:mod:`assay.embed.rerank_tasks`), the same output tree, and no
cache.

``model_args`` keys read here and never passed to the backend: ``query_prefix`` and
``passage_prefix`` (e.g. e5's ``"query: "`` / ``"passage: "``; off unless set; the prefix is part
of the text sent and cached) and ``embedding_cache`` (a path, or false for none).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from datetime import datetime, timezone
from pathlib import Path

import orjson

from assay.config import TaskConfig, safe_filename
from assay.embed.cache import VectorCache, open_cache
from assay.embed.encoder import Encoder, EncodeStats
from assay.embed.rerank_tasks import (
    CustomReranking,
    Reranker,
    RerankModel,
    RerankStats,
    RetrieverSpec,
    get_rerank_task,
)
from assay.embed.tasks import EmbeddingTask, Encoders, MetricResult, TaskResult, dense_run, get_task
from assay.errors import UserError
from assay.models import EmbeddingModel, get_model_api
from assay.models._api import check_model
from assay.report.model import CategoryScore, Counts, DataSource, MetricScore, Report, SubsetScore, Timing
from assay.scoring.stats import mean_and_stderr

__all__ = ["EMBEDDING_MODEL_ARGS", "run_embedding_eval", "run_rerank_eval"]

logger = logging.getLogger(__name__)

#: model_args this runner consumes; the backend never sees them.
EMBEDDING_MODEL_ARGS = ("query_prefix", "passage_prefix", "embedding_cache")
#: model_args that change how requests travel, not what vector comes back: left out of the identity.
_TRANSPORT_MODEL_ARGS = frozenset({"max_connections", "verify_ssl"})


#: Embedding or rerank requests in flight when ``eval_batch_size`` is unset (the openai_api backend's default).
DEFAULT_CONCURRENCY = 8

_Task = EmbeddingTask | CustomReranking


def build_tasks(config: TaskConfig) -> list[_Task]:
    """Every task of ``config.datasets`` (rerank tasks for ``eval_type: rerank``), its data read and
    checked (no request is made)."""
    rerank = config.eval_type == "rerank"
    if not config.datasets:
        names = "custom_reranking" if rerank else "custom_retrieval and/or custom_sts"
        raise UserError(f"no datasets given; pass --datasets {names}")
    get = get_rerank_task if rerank else get_task
    return [get(name, config.dataset_args.get(name, {}), config.dataset_dir) for name in config.datasets]


async def run_embedding_eval(config: TaskConfig, work_dir: Path) -> dict[str, Report]:
    """Run every task of ``config.datasets`` and return ``{task: Report}``; files go under ``work_dir``.

    Raises:
        UserError: no task or an unknown one, bad options or data, no server URL, or a server that
            cannot be reached or fails to embed some texts.
    """
    from assay.engine.outputs import save_config

    if config.eval_type == "rerank":
        return await run_rerank_eval(config, work_dir)
    model_args = {k: v for k, v in config.model_args.items() if k not in EMBEDDING_MODEL_ARGS and k != "backend"}
    backend = _embedding_backend(config)
    model = get_model_api(backend)(
        model=config.model or "", api_url=config.api_url, api_key=config.api_key_value, **model_args
    )
    if not isinstance(model, EmbeddingModel):
        raise UserError(f"the {backend} backend cannot embed text")
    tasks = [task for task in await asyncio.to_thread(build_tasks, config) if isinstance(task, EmbeddingTask)]
    save_config(config, work_dir)  # data errors before any request, above
    cache = open_cache(config.model_args.get("embedding_cache"))
    try:
        stats = EncodeStats()
        encoders = await _checked_encoders(config, model, cache, stats)
        reports = {}
        for task in tasks:
            before = dataclasses.replace(stats, failures=list(stats.failures))
            start = time.perf_counter()
            result = await task.run(encoders)
            requests, latency_s = stats.requests - before.requests, stats.latency_s - before.latency_s
            tokens = stats.prompt_tokens - before.prompt_tokens
            timing = _timing(requests, latency_s, tokens, time.perf_counter() - start, len(result.items))
            reports[task.name] = _write_outputs(config, work_dir, task, result, timing)
        return reports
    finally:
        await model.aclose()
        if cache is not None:
            cache.close()


async def run_rerank_eval(config: TaskConfig, work_dir: Path) -> dict[str, Report]:
    """Run every rerank task of ``config.datasets`` through the openai_api backend's ``/rerank``.

    Raises:
        UserError: an embedding-only model_arg or another backend, no task or an unknown one, bad
            options or data, or a server that cannot be reached or fails a query's request.
    """
    from assay.engine.outputs import save_config

    embedding_only = [key for key in EMBEDDING_MODEL_ARGS if key in config.model_args]
    if embedding_only:
        raise UserError(
            f"model_args {', '.join(embedding_only)} apply to eval_type embedding only; a rerank run sends "
            "queries and documents as they are and caches nothing"
        )
    if config.model_args.get("backend", "openai_api") != "openai_api":
        raise UserError(f"eval_type rerank needs the openai_api backend, got {config.model_args['backend']!r}")
    model_args = {k: v for k, v in config.model_args.items() if k != "backend"}
    model = get_model_api("openai_api")(
        model=config.model or "", api_url=config.api_url, api_key=config.api_key_value, **model_args
    )
    if not isinstance(model, RerankModel):
        raise UserError("the openai_api backend cannot rerank")
    tasks = [task for task in await asyncio.to_thread(build_tasks, config) if isinstance(task, CustomReranking)]
    save_config(config, work_dir)
    try:
        await check_model(model, config.generation_config)
        stats = RerankStats()
        reranker = Reranker(model, config.generation_config, config.eval_batch_size or DEFAULT_CONCURRENCY, stats)
        reports = {}
        for task in tasks:
            before = dataclasses.replace(stats)
            start = time.perf_counter()
            if task.retriever is not None:
                await _first_stage(config, task, task.retriever)
            result = await task.run(reranker)
            requests, latency_s = stats.requests - before.requests, stats.latency_s - before.latency_s
            tokens = stats.prompt_tokens - before.prompt_tokens
            timing = _timing(requests, latency_s, tokens, time.perf_counter() - start, len(result.items))
            reports[task.name] = _write_outputs(config, work_dir, task, result, timing)
        return reports
    finally:
        await model.aclose()


async def _first_stage(config: TaskConfig, task: CustomReranking, spec: RetrieverSpec) -> None:
    """Retrieve each judged query's candidates for a two-stage ``task`` with ``spec``'s embedding model.

    The vectors go through the default vector cache under the identity an ``eval_type: embedding``
    run of the same model, server and prefixes would use, so a corpus either one encoded is reused.

    Raises:
        UserError: the embedding server cannot be reached or fails to embed some texts.
    """
    first = TaskConfig(
        model=spec.model,
        api_url=spec.api_url,
        eval_type="embedding",
        eval_batch_size=config.eval_batch_size,
        model_args={"query_prefix": spec.query_prefix, "passage_prefix": spec.passage_prefix},
    )
    model = get_model_api("openai_api")(model=spec.model, api_url=spec.api_url)
    if not isinstance(model, EmbeddingModel):
        raise UserError("the openai_api backend cannot embed text")
    cache = open_cache(None)
    try:
        stats = EncodeStats()
        encoders = await _checked_encoders(first, model, cache, stats)
        task.use_first_stage(await dense_run(task.data, task.queries, encoders, spec.top_k))
        logger.info(
            "%s: first stage by %s: %d embedding requests, %d vectors from the cache",
            task.name,
            spec.model,
            stats.requests,
            stats.cache_hits,
        )
    finally:
        await model.aclose()
        if cache is not None:
            cache.close()


def _embedding_backend(config: TaskConfig) -> str:
    """The backend model_args ``backend`` names; else ``sentence_transformers`` for a local folder with
    ``modules.json`` (a sentence-transformers model) and no URL, ``openai_api`` otherwise.

    Raises:
        UserError: model_args ``backend`` names neither ``sentence_transformers`` nor ``openai_api``.
    """
    backend = config.model_args.get("backend")
    if backend is None:
        local = not config.api_url and bool(config.model) and (Path(config.model or "") / "modules.json").is_file()
        backend = "sentence_transformers" if local else "openai_api"
    if backend == "sentence_transformers":
        import assay.models.sentence_transformers_backend  # noqa: F401  (registers the backend; imports no torch)
    elif backend != "openai_api":
        raise UserError(f"model_args backend must be sentence_transformers or openai_api, got {backend!r}")
    return str(backend)


async def _checked_encoders(
    config: TaskConfig, model: EmbeddingModel, cache: VectorCache | None, stats: EncodeStats
) -> Encoders:
    """Check the backend, then the query and passage encoders of one model (shared cache and counters)."""
    await check_model(model, config.generation_config)
    return Encoders(
        query=_encoder(config, model, cache, stats, "query_prefix"),
        passage=_encoder(config, model, cache, stats, "passage_prefix"),
    )


def _encoder(
    config: TaskConfig, model: EmbeddingModel, cache: VectorCache | None, stats: EncodeStats, prefix_key: str
) -> Encoder:
    """An encoder that adds the ``prefix_key`` prefix to every text (and so to every cache key)."""
    prefix = str(config.model_args.get(prefix_key) or "")
    identity = model_identity(config, getattr(model, "base_url", config.api_url), prefix)
    concurrency = config.eval_batch_size or DEFAULT_CONCURRENCY
    return Encoder(model, cache, identity, config.generation_config, concurrency, stats, prefix)


def model_identity(config: TaskConfig, api_url: str | None, prefix: str) -> str:
    """JSON of everything that decides the vector a text gets: part of every cache key.

    Example:
        >>> config = TaskConfig(model="e5", api_url="http://h/v1", eval_type="embedding")
        >>> json.loads(model_identity(config, "http://h/v1", "query: "))["prefix"]
        'query: '
    """
    model_args = {
        k: v for k, v in config.model_args.items() if k not in EMBEDDING_MODEL_ARGS and k not in _TRANSPORT_MODEL_ARGS
    }
    return json.dumps(
        {
            "model": config.model,
            "api_url": api_url,
            "eval_type": config.eval_type,
            "model_args": model_args,
            "dimensions": config.generation_config.request_extras().get("dimensions"),
            "prefix": prefix,
        },
        sort_keys=True,
        default=str,
    )


def _timing(requests: int, latency_s: float, prompt_tokens: int, wall_s: float, items: int) -> Timing:
    """Timing of one task from its share of the run's counters (``latency_s`` summed over requests)."""
    return Timing(
        wall_s=wall_s,
        requests=requests,
        samples_per_s=items / wall_s if wall_s > 0 else 0.0,
        mean_latency_s=latency_s / requests if requests else 0.0,
        prompt_tokens=prompt_tokens,
    )


def _write_outputs(config: TaskConfig, work_dir: Path, task: _Task, result: TaskResult, timing: Timing) -> Report:
    """Write predictions, reviews and the report of one task; return the report."""
    model_dir = safe_filename(config.model_id or "model")
    file_name = f"{safe_filename(task.name)}_{result.split}.jsonl"
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    predictions, reviews = [], []
    for item in result.items:
        key = {"key": f"{item.sample_id}#0", "sample_id": item.sample_id, "repeat": 0, "subset": result.split}
        predictions.append(
            {
                **key,
                "model": config.model_id,
                "input": item.input,
                "target": item.target,
                "output": item.output,
                "time": now,
            }
        )
        score = {"status": "scored", "value": item.value, "extracted": item.extracted}
        reviews.append({**key, "target": item.target, "prediction": item.prediction, "score": score})
    for folder, records in (("predictions", predictions), ("reviews", reviews)):
        path = work_dir / folder / model_dir / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    report = _report(config, task, result, timing)
    path = work_dir / "reports" / model_dir / f"{safe_filename(task.name)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(report.model_dump(mode="json"), option=orjson.OPT_INDENT_2))
    return report


def _report(config: TaskConfig, task: _Task, result: TaskResult, timing: Timing) -> Report:
    n = len(result.items)
    metrics = [_metric_score(metric, result.split, n) for metric in result.metrics]
    metrics.sort(key=lambda metric: metric.name != result.headline)
    model_name = config.model_id or "model"
    return Report(
        name=f"{model_name}@{task.name}",
        dataset_name=task.name,
        dataset_pretty_name=task.pretty_name,
        model_name=model_name,
        benchmark_version="1",
        data_sources=[DataSource(subset=result.split, split=result.split, location=result.location)],
        aggregation="mean",
        repeats=1,
        score=metrics[0].score,
        metrics=metrics,
        counts=Counts(total=n, scored=n),
        extraction_failure_rate=0.0,
        timing=timing,
    )


def _metric_score(metric: MetricResult, split: str, n: int) -> MetricScore:
    """One metric in report shape: one subset (the split) in one category, all with the same numbers."""
    # The score is the task's own mean (trec_eval's plain average), not recomputed, so it matches exactly.
    stderr = mean_and_stderr(metric.per_item)[1] if metric.per_item is not None else 0.0
    subset = SubsetScore(name=split, num=n, score=metric.score, stderr=stderr)
    category = CategoryScore(
        name=["default"], num=n, score=metric.score, macro_score=metric.score, stderr=stderr, subsets=[subset]
    )
    return MetricScore(
        name=metric.name,
        num=n,
        score=metric.score,
        macro_score=metric.score,
        stderr=stderr,
        categories=[category],
        method=metric.method,
    )
