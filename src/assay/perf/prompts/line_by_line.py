"""``--dataset line_by_line``: one prompt per non-empty line of a text file.

EvalScope's ``line_by_line`` (``evalscope/perf/plugin/datasets/line_by_line.py``): each line, stripped,
is a prompt; empty lines are skipped. As there, a line holding a JSON array of chat messages
(``[{"role": "user", "content": "..."}]``) is sent as that conversation. EvalScope also accepts a line
holding a whole request body (``{"messages": [...], "temperature": 0.6}``); here such a line may
carry ``messages`` or ``prompt`` only, because a prompt source yields prompts, not request options:
other fields are an error rather than silently dropped (set options with ``--extra-args``).

Plain lines are length-filtered like every prompt; unlike EvalScope, JSON lines are too, so one rule
holds for every prompt. Example file: ``../shared/data/sonnet/sonnet.txt``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from assay.errors import UserError
from assay.perf.plugins import Prompt, register_dataset
from assay.perf.prompts._base import PromptSourceBase
from assay.perf.prompts._files import json_type, read_lines, require_file


@register_dataset("line_by_line")
class LineByLine(PromptSourceBase):
    """Prompts from the lines of a text file (EvalScope's ``line_by_line``)."""

    name = "line_by_line"

    def dataset_prompts(self) -> Iterator[Prompt]:
        """One prompt per non-empty line, in file order."""
        path = require_file(self.args, self.name)
        for number, line in read_lines(path):
            line = line.strip()
            if not line:
                continue
            prompt = self.prompt_from_line(line, f"{path}:{number}")
            if prompt is not None:
                yield prompt

    def prompt_from_line(self, line: str, where: str) -> Prompt | None:
        """The prompt one line holds (None when the length filter drops it); override for your format.

        Args:
            line: The line, stripped, never empty.
            where: ``file:line``, for error messages.
        """
        parsed = parse_json_line(line, where)
        if parsed is None:
            return self.text_prompt(line)
        if isinstance(parsed, str):
            return self.text_prompt(parsed)
        return self.messages_prompt(parsed)


def parse_json_line(line: str, where: str) -> list[dict[str, Any]] | str | None:
    """The conversation (or prompt text) a JSON line holds, or None for a plain-text line."""
    if line[0] not in "[{":
        return None
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None  # text that merely starts with a bracket
    if isinstance(value, dict):
        extra = sorted(set(value) - {"messages", "prompt"})
        if extra:
            raise UserError(
                f"{where}: a request-body line may hold only 'messages' or 'prompt', not "
                f"{', '.join(map(repr, extra))}; pass request options with --extra-args"
            )
        if isinstance(value.get("prompt"), str) and "messages" not in value:
            return str(value["prompt"])
        value = value.get("messages")
    if not isinstance(value, list) or not value or not all(isinstance(m, dict) and "role" in m for m in value):
        got = "an array of other things" if isinstance(value, list) and value else f"a JSON {json_type(value)}"
        raise UserError(
            f'{where}: a JSON line must be a list of chat messages like [{{"role": "user", "content": "..."}}], '
            f"got {got}"
        )
    return value
