"""The registry and ``build_adapter``: lazy imports, dataset_args validation, data location."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import (
    MultipleChoiceAdapter,
    build_adapter,
    get_benchmark_meta,
    list_benchmarks,
    register_benchmark,
)
from assay.errors import UserError
from assay.types import Sample
from tests.benchmarks.helpers import toy_mcq_meta


def test_importing_the_package_loads_no_benchmark_module_and_no_heavy_library() -> None:
    code = (
        "import sys, assay.benchmarks as b; "
        "heavy = [m for m in ('assay.benchmarks.gsm8k', 'assay.benchmarks.mmlu', 'datasets', 'pyarrow', "
        "'math_verify', 'sympy', 'modelscope') if m in sys.modules]; print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_list_benchmarks_has_every_builtin_with_a_description_and_version() -> None:
    metas = list_benchmarks()
    names = [m.name for m in metas]
    assert names == sorted(names)
    assert {"arc", "general_mcq", "general_qa", "gsm8k", "mmlu"} <= set(names)
    assert all(m.description and m.version and m.pretty_name for m in metas)


def test_builtin_hub_datasets_are_pinned() -> None:
    for name in ("gsm8k", "arc", "mmlu"):
        assert re.fullmatch(r"[0-9a-f]{40}", get_benchmark_meta(name).dataset_revision or "")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: get_benchmark_meta("gsm8"), "unknown benchmark 'gsm8' (did you mean 'gsm8k'?)"),
        (
            lambda: build_adapter("gsm8k", {"few_shot": 0}),
            "unknown dataset_args key 'few_shot' for gsm8k (did you mean 'few_shot_num'?)",
        ),
        (
            lambda: build_adapter("arc", {"subset_list": ["ARC-Chalenge"]}),
            "unknown subset 'ARC-Chalenge' for arc (did you mean 'ARC-Challenge'?)",
        ),
        (lambda: build_adapter("arc", {"metric_list": ["accuracy"]}), "unknown metric 'accuracy' for arc"),
        (
            lambda: build_adapter("general_mcq", {"extra_params": {"use_cott": True}}),
            "unknown extra_params key 'use_cott' for general_mcq (did you mean 'use_cot'?)",
        ),
        (
            lambda: build_adapter("general_mcq", {"extra_params": {"use_cot": "yes"}}),
            "extra_params.use_cot for general_mcq must be true or false",
        ),
        (lambda: build_adapter("gsm8k", {"few_shot_num": -1}), "invalid dataset_args for gsm8k: few_shot_num"),
        (lambda: build_adapter("gsm8k", {"query_template": "{query}"}), "query_template is not used by gsm8k"),
        (
            lambda: build_adapter("gsm8k", {"prompt_template": "Solve {problem}"}),
            "prompt_template of gsm8k uses unknown placeholder(s) ['problem']",
        ),
        (
            lambda: build_adapter("arc", {"prompt_template": "{question}"}),
            "prompt_template of arc must contain {choices}",
        ),
        (
            lambda: build_adapter("gsm8k", {"few_shot_prompt_template": "{question}"}),
            "few_shot_prompt_template of gsm8k must contain {fewshot}",
        ),
        (
            lambda: build_adapter("gsm8k", {"filters": {"regexp": {}}}),
            "unknown filter 'regexp' (did you mean 'regex'?)",
        ),
        (lambda: build_adapter("gsm8k", dataset_hub="local"), "dataset_hub is 'local' but no local data for gsm8k"),
        (
            lambda: build_adapter("gsm8k", {"local_path": "/nonexistent/gsm8k"}).load(),
            "local_path '/nonexistent/gsm8k' for gsm8k does not exist",
        ),
    ],
)
def test_user_mistakes_are_user_errors_with_a_fix(call: Any, message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        call()


def test_overrides_make_the_effective_meta(tmp_path: Path) -> None:
    adapter = build_adapter(
        "gsm8k",
        {
            "few_shot_num": 0,
            "system_prompt": "Be exact.",
            "metric_list": [{"acc": {"numeric": True}}],
            "aggregation": "mean_and_pass_at_k",
        },
        seed=3,
    )
    meta = adapter.meta
    assert (meta.few_shot_num, meta.system_prompt, meta.aggregation) == (0, "Be exact.", "mean_and_pass_at_k")
    assert (meta.metric_list, meta.metric_args) == (["acc"], {"acc": {"numeric": True}})
    assert get_benchmark_meta("gsm8k").few_shot_num == 4  # the declared meta is untouched


def test_user_prompt_template_is_used_for_few_shot_too() -> None:
    meta = build_adapter("gsm8k", {"prompt_template": "Q: {question}\nA:"}).meta
    assert (
        meta.few_shot_prompt_template
        == "Here are some examples of how to solve similar problems:\n\n{fewshot}\n\nQ: {question}\nA:"
    )


def test_data_location_local_dir_hub_and_pins(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "gsm8k").mkdir()
    local = build_adapter("gsm8k", dataset_dir=tmp_path).meta
    assert (local.local_path, local.dataset_revision) == (str(tmp_path / "gsm8k"), None)
    with caplog.at_level(logging.WARNING, logger="assay"):
        hub = build_adapter("arc", dataset_dir=tmp_path).meta  # no <dir>/arc: falls back to the hub, saying so
        build_adapter("arc", dataset_dir=tmp_path)  # said once, not at every build
    assert hub.local_path is None and hub.dataset_revision is not None
    said = [r.message for r in caplog.records if "under --dataset-dir" in r.message]
    assert said == [f"arc: no {tmp_path / 'arc'} under --dataset-dir; reading it from the huggingface hub "
                    "(--dataset-hub local requires local copies)"]  # fmt: skip
    modelscope = build_adapter("gsm8k", dataset_hub="modelscope").meta
    assert (modelscope.dataset_id, modelscope.dataset_revision) == ("AI-ModelScope/gsm8k", None)
    pinned = build_adapter("gsm8k", {"dataset_id": "me/gsm8k", "dataset_revision": "v1"}).meta
    assert (pinned.dataset_id, pinned.dataset_revision) == ("me/gsm8k", "v1")


def test_user_filters_run_before_the_benchmarks_own() -> None:
    meta = build_adapter("gsm8k", {"filters": {"remove_until": "</s>", "regex": {}}}).meta
    assert list(meta.filters) == ["remove_until", "regex"]


def test_register_benchmark_adds_a_custom_benchmark_and_refuses_a_taken_name() -> None:
    meta = toy_mcq_meta("toy_mcq_registry", prompt_template="{question}\n{choices}")

    @register_benchmark(meta)
    class Toy(MultipleChoiceAdapter):
        def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
            return Sample(id=str(index), input=record["q"], choices=["x", "y"], target="A")

    # A meta naming no scorers gets the family's: the multiple-choice letter scorer.
    assert get_benchmark_meta("toy_mcq_registry") == meta.model_copy(
        update={"scorers": {"acc": "choice", "multi_choice_acc": "choice"}}
    )
    assert "toy_mcq_registry" in [m.name for m in list_benchmarks()]
    with pytest.raises(ValueError, match="already registered"):
        register_benchmark(meta.model_copy(update={"name": "gsm8k"}))(Toy)
    with pytest.raises(ValueError, match=r"no scorer .* computes metrics \['BLEU'\]"):
        register_benchmark(meta.model_copy(update={"name": "toy2", "metric_list": ["BLEU"]}))(Toy)
