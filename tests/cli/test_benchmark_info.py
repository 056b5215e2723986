"""``assay benchmark-info``: every benchmark's card, and declared sample counts against the real files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import build_adapter, get_benchmark_meta, list_benchmarks
from assay.benchmarks._vision import IMAGE_PLACEHOLDER
from assay.cli.main import main
from tests.benchmarks.helpers import builtin_benchmarks
from tests.conftest import shared_data


def _card(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["benchmark-info", *argv]) == 0
    return capsys.readouterr().out


def _names() -> list[Any]:
    return list(builtin_benchmarks())


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("name", _names())
def test_card_shows_license_count_and_rendered_example(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    meta = get_benchmark_meta(name)
    assert meta.example is not None, f"{name} declares no example record"
    out = _card(capsys, name)
    lines = out.splitlines()
    assert any(line.strip().startswith("license: ") and line.split(":", 1)[1].strip() for line in lines)
    assert any(line.startswith("samples: ") for line in lines)
    example = out.split("\nexample (", 1)[1]
    prompt = example.split("\ntarget: ", 1)[0].split("\n", 1)[1]
    assert prompt.strip()
    # Some text of the record reaches the prompt (the longest string field is the question or passage).
    longest = max(_strings(meta.example.record), key=len)
    assert IMAGE_PLACEHOLDER.sub("", longest).strip()[:20] in prompt  # an <image n> is shown as [image: ...]
    assert example.split("\ntarget: ", 1)[1].strip()


def test_card_prints_the_module_docstring_and_unpinned_revision(capsys: pytest.CaptureFixture[str]) -> None:
    out = _card(capsys, "math_500")
    assert "how it is run:" in out and "Math-Verify" in out
    assert "revision unpinned" in out
    assert "samples: 500 (test split, Level 1 43, Level 2 90" in out


def test_card_of_a_benchmark_without_confirmed_license_points_to_its_homepage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _card(capsys, "trivia_qa")
    assert "license: not stated (see http://nlp.cs.washington.edu/triviaqa/)" in out


def test_card_lists_many_subsets_compactly_with_total(capsys: pytest.CaptureFixture[str]) -> None:
    out = _card(capsys, "mmlu")
    assert "samples: 14042 (test split, 57 subsets:" in out
    assert "professional_law 1534" in out


def test_list_output_is_unchanged_one_line_per_benchmark_name_first(capsys: pytest.CaptureFixture[str]) -> None:
    out = _card(capsys, "--list")
    lines = out.splitlines()
    assert [line.split("\t")[0] for line in lines] == [m.name for m in list_benchmarks()]
    assert "gsm8k\tGSM8K\t1 subset\tmath,reasoning" in lines


# ---------------------------------------------------------------------------------------------- truth
#: benchmark -> (shared folder, extra dataset_args). The shared copies are the upstream releases of
#: the same splits the hub holds, so their counts are the published ones.
_SHARED: dict[str, tuple[str, dict[str, Any]]] = {
    "gsm8k": ("gsm8k", {}),
    "mmlu": ("mmlu", {}),
    "arc": ("arc", {}),
    "math_500": ("math500", {}),
    "bbh": ("bbh", {}),
    "cmmlu": ("cmmlu", {}),
    "hellaswag": ("hellaswag", {}),
    "truthful_qa": ("truthfulqa", {}),
    "aime24": ("aime/aime24", {}),
    "aime25": ("aime/aime25", {}),
    # Only 'all' is declared: the simple-evals copy of the MATH test split has no level column.
    "competition_math": ("math", {}),
    "ifeval": ("ifeval", {}),
}


def _load_shared(name: str) -> dict[str, list[Any]]:
    folder, extra = _SHARED[name]
    meta = get_benchmark_meta(name)
    args = {"local_path": str(shared_data(folder)), "subset_list": list(meta.sample_counts), "few_shot_num": 0}
    return build_adapter(name, {**args, **extra}).load()


@pytest.mark.parametrize("name", sorted(_SHARED))
def test_declared_sample_counts_equal_the_records_loaded_from_the_real_files(name: str) -> None:
    loaded = _load_shared(name)
    assert {subset: len(samples) for subset, samples in loaded.items()} == get_benchmark_meta(name).sample_counts


@pytest.mark.parametrize("name", sorted(_SHARED))
def test_example_record_renders_like_the_same_real_record(name: str) -> None:
    """The example is a real record: its prompt is the prompt of a sample loaded from the real file."""
    meta = get_benchmark_meta(name)
    assert meta.example is not None
    subset = meta.example.subset or meta.subset_list[0]
    adapter = build_adapter(name, {"few_shot_num": 0})
    rendered = adapter.prompted_sample(meta.example.record, subset=subset)
    assert rendered.input in [sample.input for sample in _load_shared(name)[subset]]


def test_dataset_dir_counts_and_shows_the_real_data_with_its_few_shot_prompt(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = shared_data("mmlu").parent
    out = _card(capsys, "mmlu", "--dataset-dir", str(root))
    assert "samples: 14042 loaded from " in out and "57 subsets:" in out
    # The real 5-shot prompt: the subject's dev examples come before the first test question.
    assert "example (first loaded sample, 5-shot):" in out
    assert "Here are some examples of how to answer similar questions:" in out
    assert "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q." in out


def test_dataset_dir_without_the_few_shot_split_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    # The shared GSM8K copy has the test split only; its 4-shot prompt needs train.jsonl.
    assert main(["benchmark-info", "gsm8k", "--dataset-dir", str(shared_data("gsm8k").parent)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "few_shot_num" in captured.err


def test_local_path_loads_that_folder(capsys: pytest.CaptureFixture[str]) -> None:
    out = _card(capsys, "arc", "--local-path", str(shared_data("arc")))
    assert "samples: 3548 loaded from 2 files; ARC-Easy 2376, ARC-Challenge 1172" in out


@pytest.mark.parametrize("flag", ["--dataset-dir", "--local-path"])
def test_missing_path_is_one_line_user_error_with_exit_2(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["benchmark-info", "gsm8k", flag, str(tmp_path / "nope")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("assay: error: ") and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err
