"""Fingerprints that decide whether a cached record may stand in for new work.

A prediction is reusable only if everything that can change the model's answer is the same: the
model and its backend options, the exact prompt, the sampling settings and the benchmark version.
Transport settings (timeouts, retries, streaming) are left out on purpose: resuming with a longer
timeout must not throw finished work away.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from assay.config import mask_secrets
from assay.types import GenerateConfig, Sample, messages_json

#: model_args keys that only affect transport.
_TRANSPORT_MODEL_ARGS = frozenset({"max_connections", "verify_ssl", "timeout"})


def run_identity(
    *, model: str | None, eval_type: str | None, model_args: dict[str, Any], chat_template: str | None
) -> dict[str, Any]:
    """The part of the fingerprint shared by every sample of a run (also shown when it differs)."""
    args = {k: v for k, v in mask_secrets(model_args).items() if k not in _TRANSPORT_MODEL_ARGS}
    return {"model": model, "eval_type": eval_type, "model_args": args, "chat_template": chat_template}


def prediction_fingerprint(
    identity: dict[str, Any], benchmark_version: str, sample: Sample, config: GenerateConfig
) -> str:
    """Hash of everything that determines one prediction (the repeat index lives in the key)."""
    payload = {
        "run": identity,
        "benchmark_version": benchmark_version,
        "input": messages_json(sample.input),
        "generation": config.sampling_dict(),
    }
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()[:20]
