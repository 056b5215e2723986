"""``--dataset openqa``: one prompt per JSONL record, from its ``question`` field.

EvalScope's default dataset (``evalscope/perf/plugin/datasets/openqa.py``): each line of
``open_qa.jsonl`` (HC3-Chinese) is a JSON object whose ``question``, stripped, is the prompt.
``--dataset-path`` may name the file or a folder holding ``open_qa.jsonl``; without it the file is
downloaded from the Hugging Face dataset ``Hello-SimpleAI/HC3-Chinese`` (EvalScope reads the same
file from ModelScope's ``AI-ModelScope/HC3-Chinese`` by default).

Where EvalScope stops with ``KeyError: 'question'``, this source names the file, the line and the
fields the record has. A record whose question is empty is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from assay.errors import UserError
from assay.perf.plugins import Prompt, register_dataset
from assay.perf.prompts._base import PromptSourceBase
from assay.perf.prompts._files import dataset_file, hub_file, json_type, missing_field, read_json_records

FILE_NAME = "open_qa.jsonl"
HF_DATASET_ID = "Hello-SimpleAI/HC3-Chinese"
_EXPECTED = 'JSONL records like {"question": "..."}'


@register_dataset("openqa")
class OpenQA(PromptSourceBase):
    """Questions from a JSONL file (EvalScope's ``openqa``)."""

    name = "openqa"

    def dataset_prompts(self) -> Iterator[Prompt]:
        """One prompt per record's ``question``, in file order."""
        path = self._path()
        for where, record in read_json_records(path, _EXPECTED):
            if "question" not in record:
                raise missing_field(where, "question", record, _EXPECTED)
            question = record["question"]
            if not isinstance(question, str):
                raise UserError(f"{where}: 'question' is a JSON {json_type(question)}, not a string")
            question = question.strip()
            if not question:
                continue
            prompt = self.text_prompt(question)
            if prompt is not None:
                yield prompt

    def describe(self) -> str:
        """The file read."""
        return str(self._path()) if self.args.dataset_path else f"{HF_DATASET_ID}/{FILE_NAME}"

    def _path(self) -> Path:
        path = dataset_file(self.args, self.name, default_name=FILE_NAME)
        return path if path is not None else hub_file(self.name, HF_DATASET_ID, FILE_NAME)
