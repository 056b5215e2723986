"""``JudgeConfig``: who judges, how verdicts are read, and when a benchmark is judged at all.

The native form is the typed ``judge:`` block of a TaskConfig, shaped like EvalScope 1.14's::

    judge:
      strategy: llm_recall            # auto | rule | llm | llm_recall
      models:                         # one or several judges (agreement is reported)
        - {model_id: qwen2.5-72b, api_url: http://127.0.0.1:8001/v1, api_key: ...}
      contract: {prompt_template: "...{question}...{gold}...{pred}...", score_type: pattern}
      repeats: 1                      # asks per judge; combined with `aggregation`
      concurrency: 16                 # judge requests in flight (EvalScope's judge_worker_num)

EvalScope's older keys map onto it (:func:`judge_from_legacy`): ``judge_strategy`` is
``strategy``; ``judge_model_args`` is one model, its prompt keys (``system_prompt``,
``prompt_template``, ``score_type``, ``score_pattern``, ``score_mapping``) going to ``contract``;
``judge_worker_num`` is ``concurrency``. Unset model fields come from the environment variables
EvalScope reads (``MODELSCOPE_JUDGE_LLM``, ``MODELSCOPE_API_BASE``, ``MODELSCOPE_SDK_TOKEN``,
``JUDGE_SYSTEM_PROMPT``, ``JUDGE_PROMPT_TEMPLATE``), but unlike EvalScope a judged run with no
judge endpoint given anywhere stops with a clear error instead of calling ModelScope's hosted API.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from assay.errors import UserError
from assay.types import GenerateConfig

#: Strategies, EvalScope's names: ``auto`` judges only benchmarks whose own metric is a judge's.
Strategy = Literal["auto", "rule", "llm", "llm_recall"]

#: Sampling a judge uses unless told otherwise: greedy (verdicts reproducible), room for the
#: reasoning before a verdict, and a time limit per attempt so a hung judge cannot stall a run
#: (EvalScope's review stage had none: its issues #542 and #652).
DEFAULT_JUDGE_GENERATION: dict[str, Any] = {"temperature": 0.0, "max_tokens": 4096, "timeout": 120.0, "retries": 3}

#: Judge requests in flight at once when neither ``concurrency`` nor ``judge_worker_num`` is given.
DEFAULT_JUDGE_CONCURRENCY = 16


class JudgeModelConfig(BaseModel):
    """One judge model: where it is served and how it samples (transport and identity)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model_id: str | None = Field(None, description="Model name sent to the judge server (env MODELSCOPE_JUDGE_LLM).")
    judge_id: str | None = Field(None, description="Name in reviews and reports; default: model_id.")
    api_url: str | None = Field(None, description="OpenAI-compatible base URL (env MODELSCOPE_API_BASE).")
    api_key: SecretStr | None = Field(None, description="Judge API key (env MODELSCOPE_SDK_TOKEN); never written out.")
    eval_type: str = Field("openai_api", description="Backend: openai_api, or llm_ckpt to judge with a local model.")
    model_args: dict[str, Any] = Field(default_factory=dict, description="Backend options of the judge.")
    generation_config: GenerateConfig = Field(
        default_factory=lambda: GenerateConfig(**DEFAULT_JUDGE_GENERATION),
        description="Judge sampling and transport (timeout, retries); unset keys take the judge defaults.",
    )

    @field_validator("generation_config", mode="before")
    @classmethod
    def _judge_defaults_under_given(cls, value: Any) -> Any:
        """Keys the user gives override the judge defaults one by one (a lone ``max_tokens`` keeps the timeout)."""
        if isinstance(value, GenerateConfig):
            value = value.model_dump(exclude_unset=True)
        if isinstance(value, dict):
            return {**DEFAULT_JUDGE_GENERATION, **value}
        return value

    @property
    def name(self) -> str:
        """How this judge is named in reviews, reports and the cache key."""
        return self.judge_id or self.model_id or "judge"

    def identity(self) -> dict[str, Any]:
        """What makes this judge's verdicts what they are (cache key and scoring fingerprint)."""
        args = {k: v for k, v in self.model_args.items() if k not in {"api_key", "timeout", "max_connections"}}
        return {
            "model_id": self.model_id,
            "eval_type": self.eval_type,
            "model_args": args,
            "sampling": self.generation_config.sampling_dict(),
        }


class JudgeContract(BaseModel):
    """How the generic judge is asked and how its reply becomes a score.

    Benchmarks with an official judge protocol (Arena-Hard, AlpacaEval, MT-Bench, SimpleQA) keep
    their own prompt and verdict format; these settings drive the generic ``llm_judge`` scorer
    (``strategy: llm`` on a rule-scored benchmark, and the judge half of ``llm_recall``).
    """

    model_config = ConfigDict(extra="forbid")

    system_prompt: str | None = Field(None, description="Judge system message (env JUDGE_SYSTEM_PROMPT).")
    prompt_template: str | None = Field(
        None, description="Judge prompt with {question}, {gold}, {pred} (env JUDGE_PROMPT_TEMPLATE)."
    )
    score_type: Literal["pattern", "numeric"] = Field(
        "pattern", description="'pattern': a verdict label mapped by score_mapping; 'numeric': a number."
    )
    score_pattern: str | None = Field(
        None, description="Regex whose first group is the verdict (pattern) or the number (numeric)."
    )
    score_mapping: dict[str, float] | None = Field(
        None, description="Verdict label -> score (default {'A': 1.0, 'B': 0.0}: correct / incorrect)."
    )

    def identity(self) -> dict[str, Any]:
        """Everything here decides verdicts."""
        return self.model_dump()


class JudgeConfig(BaseModel):
    """The run's judge settings (TaskConfig ``judge``); see the module docstring."""

    model_config = ConfigDict(extra="forbid")

    strategy: Strategy = Field("auto", description="auto | rule | llm | llm_recall (EvalScope's judge_strategy).")
    models: list[JudgeModelConfig] = Field(default_factory=list, description="Judge models; several = a panel.")
    contract: JudgeContract = Field(default_factory=JudgeContract)
    repeats: int = Field(1, ge=1, description="Times each judge is asked each question (needs temperature > 0).")
    aggregation: Literal["mean", "median", "majority_vote"] = Field(
        "mean", description="How the verdicts of repeats and judges combine into one score."
    )
    position_swap: Literal["auto", "on", "off"] = Field(
        "auto", description="Pairwise benchmarks: judge both orders (on), one (off), or the benchmark's default."
    )
    min_valid_judges: int = Field(1, ge=1, description="Verdicts needed for a score; fewer = excluded.")
    concurrency: int | None = Field(None, ge=1, description="Judge requests in flight (EvalScope's judge_worker_num).")

    @model_validator(mode="before")
    @classmethod
    def _one_model_is_a_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("models"), dict):
            data = {**data, "models": [data["models"]]}
        return data

    @model_validator(mode="after")
    def _unique_judges(self) -> JudgeConfig:
        names = [model.name for model in self.models]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"judge models {duplicated} are given more than once; give each a distinct judge_id")
        if self.models and self.min_valid_judges > len(self.models) * self.repeats:
            raise ValueError("min_valid_judges cannot exceed the number of verdicts asked (models x repeats)")
        return self

    @property
    def workers(self) -> int:
        """Judge requests in flight at once."""
        return self.concurrency or DEFAULT_JUDGE_CONCURRENCY

    def resolved_models(self) -> list[JudgeModelConfig]:
        """The judges with unset fields filled from EvalScope's environment variables.

        Raises:
            UserError: An API judge has no model or no URL from the config or the environment.
        """
        models = self.models or [JudgeModelConfig()]
        resolved = []
        for model in models:
            updates: dict[str, Any] = {}
            if model.model_id is None and os.environ.get("MODELSCOPE_JUDGE_LLM"):
                updates["model_id"] = os.environ["MODELSCOPE_JUDGE_LLM"]
            if model.api_url is None and os.environ.get("MODELSCOPE_API_BASE"):
                updates["api_url"] = os.environ["MODELSCOPE_API_BASE"]
            if model.api_key is None and os.environ.get("MODELSCOPE_SDK_TOKEN"):
                updates["api_key"] = SecretStr(os.environ["MODELSCOPE_SDK_TOKEN"])
            model = model.model_copy(update=updates)
            if model.model_id is None:
                raise UserError(
                    "an LLM judge is needed but no judge model is given: pass --judge-model-args "
                    '\'{"model_id": ..., "api_url": ...}\' (or set MODELSCOPE_JUDGE_LLM)'
                )
            if model.eval_type == "openai_api" and model.api_url is None:
                raise UserError(
                    f'judge {model.model_id!r} has no api_url: add "api_url" to --judge-model-args '
                    "(or set MODELSCOPE_API_BASE)"
                )
            resolved.append(model)
        return resolved

    def resolved_contract(self) -> JudgeContract:
        """The contract with JUDGE_SYSTEM_PROMPT / JUDGE_PROMPT_TEMPLATE filling unset prompts."""
        updates: dict[str, Any] = {}
        if self.contract.system_prompt is None and os.environ.get("JUDGE_SYSTEM_PROMPT"):
            updates["system_prompt"] = os.environ["JUDGE_SYSTEM_PROMPT"]
        if self.contract.prompt_template is None and os.environ.get("JUDGE_PROMPT_TEMPLATE"):
            updates["prompt_template"] = os.environ["JUDGE_PROMPT_TEMPLATE"]
        return self.contract.model_copy(update=updates)


#: ``judge_model_args`` keys that describe the verdict contract rather than the model.
_CONTRACT_KEYS = frozenset({"system_prompt", "prompt_template", "score_type", "score_pattern", "score_mapping"})


def judge_from_legacy(
    judge: dict[str, Any] | JudgeConfig | None,
    *,
    strategy: str | None,
    model_args: dict[str, Any] | None,
    worker_num: int | None,
) -> dict[str, Any] | JudgeConfig | None:
    """Fold EvalScope's ``judge_strategy`` / ``judge_model_args`` / ``judge_worker_num`` into ``judge``.

    Example:
        >>> judge_from_legacy(None, strategy="llm", model_args={"model_id": "q", "score_type": "numeric"},
        ...                   worker_num=4)
        {'strategy': 'llm', 'models': [{'model_id': 'q'}], 'contract': {'score_type': 'numeric'}, 'concurrency': 4}

    Raises:
        UserError: Both the typed block and a legacy key set the same thing.
    """
    if strategy is None and model_args is None and worker_num is None:
        return judge
    data: dict[str, Any] = judge.model_dump(exclude_unset=True) if isinstance(judge, JudgeConfig) else dict(judge or {})
    if strategy is not None:
        _set_once(data, "strategy", strategy, "judge_strategy")
    if model_args is not None:
        args = dict(model_args)
        contract = {key: args.pop(key) for key in list(args) if key in _CONTRACT_KEYS}
        _set_once(data, "models", [args], "judge_model_args")
        if contract:
            _set_once(data, "contract", contract, "judge_model_args' prompt keys")
    if worker_num is not None:
        _set_once(data, "concurrency", worker_num, "judge_worker_num")
    return data


def _set_once(data: dict[str, Any], key: str, value: Any, legacy: str) -> None:
    if key in data and data[key] != value:
        raise UserError(f"judge.{key} is given twice (in `judge` and as {legacy}); keep one of them")
    data[key] = value
