"""TaskConfig: EvalScope's keys, legacy aliases, dict flags and helpful errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.config import TaskConfig, mask_secrets, parse_dict_arg
from assay.errors import UserError


def test_unknown_key_is_an_error_with_a_suggestion() -> None:
    with pytest.raises(UserError, match=r"unknown TaskConfig key 'reapeats' \(did you mean 'repeats'\?\)"):
        TaskConfig(model="m", datasets=["gsm8k"], reapeats=4)  # type: ignore[call-arg]


def test_api_url_selects_openai_api_with_evalscope_defaults() -> None:
    cfg = TaskConfig(model="org/qwen2.5-7b", api_url="http://127.0.0.1:8000/v1", datasets="gsm8k")
    assert cfg.eval_type == "openai_api"
    assert cfg.eval_batch_size == 8
    assert cfg.model_id == "qwen2.5-7b"
    assert cfg.datasets == ["gsm8k"]
    assert cfg.generation_config.temperature == 0.0


def test_legacy_eval_type_and_top_level_timeout_stream_are_migrated() -> None:
    with pytest.warns(DeprecationWarning):
        cfg = TaskConfig(model="m", eval_type="service", timeout=30, stream=True, generation_config={"max_tokens": 9})
    assert cfg.eval_type == "openai_api"
    assert cfg.generation_config.timeout == 30
    assert cfg.generation_config.stream is True
    assert cfg.generation_config.max_tokens == 9
    assert cfg.timeout is None and cfg.stream is None


def test_legacy_judge_keys_fold_into_the_typed_judge_block() -> None:
    with pytest.warns(DeprecationWarning):
        cfg = TaskConfig(
            model="m",
            judge_strategy="llm_recall",
            judge_model_args={
                "model_id": "qwen",
                "api_url": "http://j/v1",
                "api_key": "sk-judge-secret",
                "score_type": "numeric",
                "score_pattern": r"\[\[(\d+)\]\]",
                "generation_config": {"max_tokens": 64},
            },
            judge_worker_num=12,
        )
    assert cfg.judge is not None
    assert cfg.judge.strategy == "llm_recall"
    assert cfg.judge.concurrency == 12 and cfg.judge.workers == 12
    [judge] = cfg.judge.models
    assert (judge.model_id, judge.api_url, judge.name) == ("qwen", "http://j/v1", "qwen")
    assert cfg.judge.contract.score_type == "numeric" and cfg.judge.contract.score_pattern == r"\[\[(\d+)\]\]"
    # a given key overrides one judge default; the others (greedy, a timeout) stay
    assert judge.generation_config.max_tokens == 64
    assert judge.generation_config.temperature == 0.0 and judge.generation_config.timeout == 120.0
    assert cfg.judge_strategy is None and cfg.judge_model_args is None and cfg.judge_worker_num is None
    assert "sk-judge-secret" not in str(cfg.to_safe_dict())


def test_judge_given_twice_is_a_user_error() -> None:
    with pytest.raises(UserError, match=r"judge\.strategy is given twice"), pytest.warns(DeprecationWarning):
        TaskConfig(model="m", judge={"strategy": "llm"}, judge_strategy="rule")


def test_judge_env_defaults_as_evalscope_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELSCOPE_JUDGE_LLM", "env-judge")
    monkeypatch.setenv("MODELSCOPE_API_BASE", "http://env/v1")
    monkeypatch.setenv("MODELSCOPE_SDK_TOKEN", "tok")
    monkeypatch.setenv("JUDGE_PROMPT_TEMPLATE", "Q {question} G {gold} P {pred}")
    cfg = TaskConfig(model="m", judge={"strategy": "llm"})
    assert cfg.judge is not None
    [judge] = cfg.judge.resolved_models()
    assert (judge.model_id, judge.api_url) == ("env-judge", "http://env/v1")
    assert judge.api_key is not None and judge.api_key.get_secret_value() == "tok"
    assert cfg.judge.resolved_contract().prompt_template == "Q {question} G {gold} P {pred}"


def test_judge_without_any_endpoint_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MODELSCOPE_JUDGE_LLM", "MODELSCOPE_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    cfg = TaskConfig(model="m", judge={"strategy": "llm", "models": [{"model_id": "q"}]})
    assert cfg.judge is not None
    with pytest.raises(UserError, match="judge 'q' has no api_url"):
        cfg.judge.resolved_models()


def test_unknown_generation_keys_pass_through_to_the_request_body() -> None:
    cfg = TaskConfig(
        model="m", api_url="http://x/v1", generation_config="max_tokens=5,min_p=0.1,chat_template_kwargs={}"
    )
    assert cfg.generation_config.max_tokens == 5
    assert cfg.generation_config.request_extras() == {"min_p": 0.1, "chat_template_kwargs": {}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1, "b": [1, 2]}', {"a": 1, "b": [1, 2]}),
        ("max_tokens=512,temperature=0.6,stream=true", {"max_tokens": 512, "temperature": 0.6, "stream": True}),
        ('stop=["a","b"],seed=3', {"stop": ["a", "b"], "seed": 3}),
        ("name=qwen", {"name": "qwen"}),
        ("", {}),
    ],
)
def test_dict_flags_accept_json_and_key_value_pairs(text: str, expected: dict[str, object]) -> None:
    assert parse_dict_arg(text, "--x") == expected


def test_invalid_json_in_a_flag_names_the_flag() -> None:
    with pytest.raises(UserError, match="invalid JSON in --dataset-args"):
        parse_dict_arg('{"gsm8k": {few_shot_num: 0}}', "--dataset-args")


def test_limit_whole_float_is_a_count_and_fraction_stays() -> None:
    assert TaskConfig(model="m", limit=10.0).limit == 10
    assert TaskConfig(model="m", limit=0.5).limit == 0.5
    with pytest.raises(UserError, match="limit"):
        TaskConfig(model="m", limit=-1)


def test_api_key_is_masked_everywhere_it_is_dumped() -> None:
    cfg = TaskConfig(model="m", api_url="http://x/v1", api_key="sk-secret-123", model_args={"api_key": "sk-2"})
    dumped = json.dumps(cfg.to_safe_dict())
    assert "sk-secret-123" not in dumped and "sk-2" not in dumped
    assert "sk-secret-123" not in repr(cfg)
    assert cfg.api_key_value == "sk-secret-123"
    assert mask_secrets({"nested": [{"token": "t"}]}) == {"nested": [{"token": "***"}]}


def test_yaml_and_json_files_load(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("model: m\ndatasets: [arc]\nlimit: 3\n")
    (tmp_path / "c.json").write_text(json.dumps({"model": "m", "datasets": ["arc"], "repeats": 2}))
    assert TaskConfig.from_any(tmp_path / "c.yaml").limit == 3
    assert TaskConfig.from_any(str(tmp_path / "c.json")).repeats == 2
    with pytest.raises(UserError, match="config file not found"):
        TaskConfig.from_any(tmp_path / "missing.yaml")


def test_wrong_type_gives_one_line_error() -> None:
    with pytest.raises(UserError, match="repeats"):
        TaskConfig.from_any({"model": "m", "repeats": "many"})


def test_masking_spares_counts_that_merely_mention_tokens() -> None:
    masked = mask_secrets(
        {"max_tokens": 64, "min_tokens": 1, "api_key": "k", "auth_token": "t", "headers": {"Authorization": "b"}}
    )
    assert masked == {
        "max_tokens": 64,
        "min_tokens": 1,
        "api_key": "***",
        "auth_token": "***",
        "headers": {"Authorization": "***"},
    }


def test_unused_keys_warn_once_that_they_are_not_in_effect(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from assay import config as config_module

    monkeypatch.setattr(config_module, "_warned", set())
    given = {"judge_strategy": "llm", "judge_model_args": {"model_id": "qwen"}, "analysis_report": True}
    with pytest.warns(DeprecationWarning):
        TaskConfig(model="m", api_url="http://127.0.0.1:8000/v1", **given)
    err = capsys.readouterr().err
    assert "judge" not in err  # judge keys are in effect now
    assert "assay: warning: analysis_report: accepted for EvalScope compatibility but not used" in err
    with pytest.warns(DeprecationWarning):
        TaskConfig(model="m", api_url="http://127.0.0.1:8000/v1", **given)
    assert capsys.readouterr().err == ""  # once per process
    TaskConfig(model="m", api_url="http://127.0.0.1:8000/v1", analysis_report=False)  # the default: nothing to say
    assert capsys.readouterr().err == ""
