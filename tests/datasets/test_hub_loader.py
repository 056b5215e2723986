"""Hub loading through ``datasets.load_dataset``, exercised on a local folder (no network)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from assay.datasets import check_hub, load_hub_split
from assay.errors import UserError

README = """---
configs:
- config_name: main
  data_files:
  - split: test
    path: main/test.jsonl
---
"""


def make_hub_folder(root: Path) -> Path:
    """A folder ``datasets.load_dataset`` reads like a hub repo with a 'main' configuration."""
    (root / "main").mkdir(parents=True)
    rows = [{"question": "1+1?", "answer": "#### 2"}, {"question": "2+2?", "answer": "#### 4"}]
    (root / "main" / "test.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    (root / "README.md").write_text(README)
    return root


def test_loads_a_configuration_split_in_order_and_records_where_it_came_from(tmp_path: Path) -> None:
    root = make_hub_folder(tmp_path / "repo")
    loaded = load_hub_split(str(root), "main", "test", cache_dir=str(tmp_path / "cache"))
    assert [r["question"] for r in loaded.records] == ["1+1?", "2+2?"]
    assert (loaded.hub, loaded.dataset_id, loaded.subset, loaded.split) == ("huggingface", str(root), "main", "test")
    assert loaded.revision is None


def test_unknown_split_is_a_user_error(tmp_path: Path) -> None:
    root = make_hub_folder(tmp_path / "repo")
    with pytest.raises(UserError, match="has no subset 'main' / split 'train'"):
        load_hub_split(str(root), "main", "train", cache_dir=str(tmp_path / "cache"))


@pytest.mark.skipif(importlib.util.find_spec("modelscope") is not None, reason="modelscope is installed")
def test_modelscope_without_the_package_asks_to_install_it() -> None:
    with pytest.raises(UserError, match="pip install modelscope"):
        load_hub_split("AI-ModelScope/gsm8k", "main", "test", hub="modelscope")


def test_unknown_hub_suggests_the_closest_and_local_hub_needs_local_files() -> None:
    with pytest.raises(UserError, match=r"unknown dataset hub 'hugginface' \(did you mean 'huggingface'\?\)"):
        check_hub("hugginface")
    with pytest.raises(UserError, match="needs local files"):
        load_hub_split("openai/gsm8k", "main", "test", hub="local")
