"""Tool calls put back together from the fragments an OpenAI-compatible server streams.

A streamed call arrives in pieces, each tagged with the call's ``index`` within its choice: the
first usually carries the ``id`` and the function ``name``, later ones pieces of the ``arguments``
JSON text. Pieces are joined by that index: the first ``id`` wins, the name is set once (a server
that repeats it whole in every piece is not doubled; one that streams it in parts is joined), and
the ``arguments`` pieces are concatenated. A non-streamed ``message.tool_calls`` list is read the
same way, each entry being a whole call at its position.

Example:
    >>> calls = ToolCallAssembler()
    >>> calls.add([{"index": 0, "id": "c1", "function": {"name": "add", "arguments": '{"a": '}}], False)
    True
    >>> calls.add([{"index": 0, "function": {"arguments": "1}"}}], False)
    True
    >>> calls.calls()
    [ToolCall(id='c1', name='add', arguments='{"a": 1}')]
"""

from __future__ import annotations

from typing import Any

import orjson

from assay.types import ToolCall


class _CallParts:
    """One tool call being assembled."""

    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.arguments: list[str] = []


class ToolCallAssembler:
    """The tool calls of one choice, assembled fragment by fragment."""

    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts: dict[int, _CallParts] = {}

    def __bool__(self) -> bool:
        return bool(self._parts)

    def add(self, fragments: list[Any], whole_body: bool) -> bool:
        """Add the ``tool_calls`` of one delta (or, with ``whole_body``, of a whole message).

        Returns:
            Whether a fragment carried a name or arguments: generated output, for timing.
        """
        parts = self._parts
        output = False
        for position, fragment in enumerate(fragments):
            if type(fragment) is not dict:
                continue
            call_id = fragment.get("id")
            call_id = call_id if type(call_id) is str else ""
            number = position if whole_body else fragment.get("index")
            if type(number) is not int:
                # A server that leaves the index out: a new id starts a call, else the last one goes on.
                known = call_id == "" or any(p.id == call_id for p in parts.values())
                number = max(parts, default=0) if known and parts else len(parts)
            call = parts.get(number)
            if call is None:
                call = parts[number] = _CallParts()
            if call_id and not call.id:
                call.id = call_id
            function = fragment.get("function")
            if type(function) is dict:
                output = _add_function(call, function) or output
        return output

    def calls(self) -> list[ToolCall]:
        """The calls, in index order."""
        return [
            ToolCall(id=call.id, name=call.name, arguments="".join(call.arguments))
            for _, call in sorted(self._parts.items())
        ]


def _add_function(call: _CallParts, function: dict[str, Any]) -> bool:
    output = False
    name = function.get("name")
    if type(name) is str and name:
        if name != call.name:
            call.name += name
        output = True
    arguments = function.get("arguments")
    if type(arguments) in (dict, list):  # some servers send the object, not its JSON text
        arguments = orjson.dumps(arguments).decode()
    if type(arguments) is str and arguments:
        call.arguments.append(arguments)
        output = True
    return output
