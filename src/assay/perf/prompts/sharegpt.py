"""``--dataset sharegpt``: prompts from ShareGPT conversations (a JSON array or JSONL file).

Two layouts, each read with the semantics of the tool it comes from:

* **ShareGPT** (``ShareGPT_V3_unfiltered_cleaned_split.json``, as vLLM's and SGLang's serving
  benchmarks read it): records with ``conversations: [{"from": "human"|"gpt", "value": ...}]``. The
  prompt is the first human turn (``from`` ``human`` or ``user``); a conversation without one is
  skipped.
* **swift/sharegpt** (EvalScope's ``share_gpt_zh`` / ``share_gpt_en``,
  ``evalscope/perf/plugin/datasets/share_gpt.py``): records with
  ``conversation: [{"human": ..., "assistant": ...}]``. The prompt is the whole conversation as
  user/assistant messages, ending with the last human turn (a trailing assistant reply is dropped).
  In text mode only that last human turn is sent.

A record with neither field is an error naming the file, the record and the fields it has; an empty
conversation is skipped, as in EvalScope. ``--min/--max-prompt-length`` filter what is sent.

``share_gpt_zh`` / ``share_gpt_en`` are registered here too; without ``--dataset-path`` they
download EvalScope's files from the Hugging Face dataset ``shareAI/ShareGPT-Chinese-English-90k``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from assay.errors import UserError
from assay.perf.plugins import Prompt, register_dataset
from assay.perf.prompts._base import PromptSourceBase
from assay.perf.prompts._files import dataset_file, hub_file, json_type, missing_field, read_json_records

_EXPECTED = (
    'ShareGPT records like {"conversations": [{"from": "human", "value": "..."}, ...]} '
    '(or swift\'s {"conversation": [{"human": "...", "assistant": "..."}]})'
)
_HUMAN = ("human", "user")
HF_DATASET_ID = "shareAI/ShareGPT-Chinese-English-90k"


@register_dataset("sharegpt")
class ShareGPT(PromptSourceBase):
    """Prompts from ShareGPT-format conversations."""

    name = "sharegpt"
    #: File inside a ``--dataset-path`` folder, and its path in :data:`HF_DATASET_ID`; None: a path is needed.
    default_file: ClassVar[str | None] = None

    def dataset_prompts(self) -> Iterator[Prompt]:
        """One prompt per conversation that has a human turn, in file order."""
        for where, record in read_json_records(self._path(), _EXPECTED):
            if "conversations" in record:
                prompt = self._first_human_turn(where, record["conversations"])
            elif "conversation" in record:
                prompt = self._swift_conversation(where, record["conversation"])
            else:
                raise missing_field(where, "conversations", record, _EXPECTED)
            if prompt is not None:
                yield prompt

    def describe(self) -> str:
        """The file read."""
        if self.args.dataset_path or self.default_file is None:
            return super().describe()
        return f"{HF_DATASET_ID}/{self.default_file}"

    def _first_human_turn(self, where: str, turns: Any) -> Prompt | None:
        for turn in _turn_list(where, "conversations", turns):
            if turn.get("from") in _HUMAN:
                value = turn.get("value")
                if not isinstance(value, str):
                    raise UserError(f"{where}: a human turn's 'value' is a JSON {json_type(value)}, not a string")
                return self.text_prompt(value) if value.strip() else None
        return None

    def _swift_conversation(self, where: str, turns: Any) -> Prompt | None:
        messages: list[dict[str, Any]] = []
        for turn in _turn_list(where, "conversation", turns):
            human = str(turn.get("human") or "").strip()
            assistant = str(turn.get("assistant") or "").strip()
            if not human:
                continue
            messages.append({"role": "user", "content": human})
            if assistant:
                messages.append({"role": "assistant", "content": assistant})
        if messages and messages[-1]["role"] == "assistant":
            messages.pop()
        return self.messages_prompt(messages) if messages else None

    def _path(self) -> Path:
        path = dataset_file(self.args, self.name, default_name=self.default_file)
        if path is not None:
            return path
        if self.default_file is None:
            raise UserError(f"--dataset {self.name} needs --dataset-path (a ShareGPT .json or .jsonl file)")
        return hub_file(self.name, HF_DATASET_ID, f"sharegpt_jsonl/{self.default_file}")


@register_dataset("share_gpt_zh")
class ShareGPTZh(ShareGPT):
    """EvalScope's ``share_gpt_zh``: swift/sharegpt ``common_zh_70k.jsonl``."""

    name = "share_gpt_zh"
    default_file = "common_zh_70k.jsonl"


@register_dataset("share_gpt_en")
class ShareGPTEn(ShareGPT):
    """EvalScope's ``share_gpt_en``: swift/sharegpt ``common_en_70k.jsonl``."""

    name = "share_gpt_en"
    default_file = "common_en_70k.jsonl"


def _turn_list(where: str, field: str, turns: Any) -> list[dict[str, Any]]:
    if not isinstance(turns, list) or not all(isinstance(turn, dict) for turn in turns):
        raise UserError(f"{where}: {field!r} must be a list of turn objects, got a JSON {json_type(turns)}")
    return turns
