"""DataSource: one mechanism for subsets that are values of a column, on the hub and in local files.

The hub route goes through the real ``datasets.load_dataset`` on a local folder laid out like a hub
repo (a README with ``configs``), exactly what a download would produce, with no network.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.benchmarks import build_adapter, get_benchmark_meta
from assay.datasets import source as source_module
from assay.errors import UserError
from assay.types import Sample
from tests.benchmarks.helpers import write_jsonl

MMLU_README = """---
configs:
- config_name: all
  data_files:
  - split: test
    path: all/test.jsonl
  - split: dev
    path: all/dev.jsonl
---
"""


def _mmlu_row(subject: str, question: str, answer: int) -> dict[str, object]:
    return {"question": question, "subject": subject, "choices": ["w", "x", "y", "z"], "answer": answer}


def _mmlu_hub_repo(root: Path) -> Path:
    """MMLU's hub layout: every subject in the 'all' configuration, told apart by 'subject'."""
    test = [_mmlu_row("anatomy", "A1?", 0), _mmlu_row("virology", "V1?", 1), _mmlu_row("anatomy", "A2?", 2)]
    dev = [_mmlu_row(s, f"{s} dev {i}?", i % 4) for s in ("anatomy", "virology") for i in range(5)]
    write_jsonl(root / "all" / "test.jsonl", test)
    write_jsonl(root / "all" / "dev.jsonl", dev)
    (root / "README.md").write_text(MMLU_README)
    return root


def _question(sample: Sample) -> str:
    """The question a prompted MMLU sample asks (the line before its options)."""
    assert isinstance(sample.input, list)
    return sample.input[-1].text.split("\n\nA) ")[0].rsplit("\n", 1)[-1]


def test_hub_configuration_holding_every_subject_is_downloaded_once_and_split_by_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _mmlu_hub_repo(tmp_path / "repo")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    calls: list[tuple[str | None, str]] = []
    real = source_module.load_hub_split

    def counting(dataset_id: str, subset: str | None, split: str, **kwargs: object) -> object:
        calls.append((subset, split))
        return real(dataset_id, subset, split, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(source_module, "load_hub_split", counting)
    adapter = build_adapter("mmlu", {"dataset_id": str(repo), "subset_list": ["anatomy", "virology"]})
    loaded = adapter.load()
    assert [_question(s) for s in loaded["anatomy"]] == ["A1?", "A2?"]
    assert [_question(s) for s in loaded["virology"]] == ["V1?"]
    assert [s.target for s in loaded["anatomy"]] == ["A", "C"]
    assert calls == [("all", "test"), ("all", "dev")]  # one read per split, not per subject
    # Every read is recorded per subject, with the hub id and the split it came from.
    assert [(o.subset, o.split, o.location, o.hub) for o in adapter.data_sources] == [
        ("anatomy", "test", str(repo), "huggingface"),
        ("anatomy", "dev", str(repo), "huggingface"),
        ("virology", "test", str(repo), "huggingface"),
        ("virology", "dev", str(repo), "huggingface"),
    ]


def test_local_snapshot_of_the_whole_configuration_is_read_once_for_every_subject(tmp_path: Path) -> None:
    repo = _mmlu_hub_repo(tmp_path / "snapshot")
    adapter = build_adapter("mmlu", {"local_path": str(repo), "subset_list": ["anatomy", "virology"]})
    loaded = adapter.load()
    assert {name: len(samples) for name, samples in loaded.items()} == {"anatomy": 2, "virology": 1}
    assert len(adapter.source._containers) == 2  # all/test.jsonl and all/dev.jsonl, once each
    assert {o.location for o in adapter.data_sources} == {
        str(repo / "all" / "test.jsonl"),
        str(repo / "all" / "dev.jsonl"),
    }


def test_a_per_subject_file_without_the_column_is_that_subjects_own(tmp_path: Path) -> None:
    # The upstream MMLU release: one header-less CSV per subject, no 'subject' column.
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "anatomy_test.csv").write_text("Q1?,a,b,c,d,B\nQ2?,a,b,c,d,D\n")
    adapter = build_adapter("mmlu", {"local_path": str(tmp_path), "subset_list": ["anatomy"], "few_shot_num": 0})
    assert [s.target for s in adapter.load()["anatomy"]] == ["B", "D"]


def test_a_subset_function_is_always_applied_and_may_refuse_a_file(tmp_path: Path) -> None:
    # competition_math groups by level; the simple-evals CSV has no level, so a level cannot be read ...
    (tmp_path / "math_test.csv").write_text("Question,Answer\n1+1?,2\n")
    with pytest.raises(UserError, match="no 'level' column"):
        build_adapter("competition_math", {"local_path": str(tmp_path), "few_shot_num": 0}).load()
    # ... but 'all' takes the whole file.
    adapter = build_adapter(
        "competition_math", {"local_path": str(tmp_path), "few_shot_num": 0, "subset_list": ["all"]}
    )
    assert [s.target for s in adapter.load()["all"]] == ["2"]


def test_hub_route_reads_the_years_of_amc_as_splits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    write_jsonl(repo / "amc23.jsonl", [{"id": 1, "problem": "p?", "answer": 27.0}])
    (repo / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: amc23\n    path: amc23.jsonl\n---\n"
    )
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    adapter = build_adapter("amc", {"dataset_id": str(repo), "subset_list": ["amc23"]})
    assert [s.target for s in adapter.load()["amc23"]] == ["27"]
    [origin] = adapter.data_sources
    assert (origin.subset, origin.split) == ("amc23", "amc23")


def test_missing_local_split_names_the_files_looked_for_and_the_few_shot_fix(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "ARC-Challenge" / "ARC-Challenge-Test.jsonl", [])
    with pytest.raises(UserError) as caught:
        build_adapter("gsm8k", {"local_path": str(tmp_path)}).load()
    message = str(caught.value)
    assert "no 'test' split for subset 'main' of gsm8k" in message and "test.jsonl" in message
    json.dumps(message)  # one line of plain text
    assert "\n" not in message


def test_a_split_stored_in_several_files_reads_them_in_order_and_names_a_missing_one(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", [{"n": 1}])
    write_jsonl(tmp_path / "b.jsonl", [{"n": 2}, {"n": 3}])
    meta = get_benchmark_meta("gsm8k").with_overrides({"local_path": str(tmp_path)})

    def source(*parts: str) -> source_module.DataSource:
        files = [source_module.LocalFile(tmp_path / "a.jsonl", parts=tuple(tmp_path / p for p in parts))]
        return source_module.DataSource(meta, source_module.DataSpec(upstream=lambda root, subset, split: files))

    records, origin = source("b.jsonl").read("main", "test")
    assert [r["n"] for r in records] == [1, 2, 3]
    assert origin.location == f"{tmp_path / 'a.jsonl'} + b.jsonl"
    with pytest.raises(UserError, match=r"files a\.jsonl, b\.jsonl, c\.jsonl in .* but c\.jsonl is missing there"):
        source("b.jsonl", "c.jsonl").read("main", "test")
