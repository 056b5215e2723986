"""Reading what users type into a config: ``k=v,k2=v2`` or JSON flags, YAML/JSON files, and
pydantic's validation errors turned into one line.

Kept apart from :mod:`assay.config` (the ``TaskConfig`` model itself): the CLI uses these parsers
before any model is built, and every message here must name the problem and where it is (file,
line and column, or the config key), never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assay.errors import UserError

__all__ = ["describe_validation_error", "parse_dict_arg", "parse_scalar", "read_config_file"]


def parse_scalar(text: str) -> Any:
    """Type a ``k=v`` value the way a user means it: numbers, booleans, null, JSON, else string."""
    lowered = text.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered in {"none", "null"}:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_dict_arg(text: str, what: str) -> dict[str, Any]:
    """Parse a dict-valued flag given as JSON (``{"a": 1}``) or as ``k=v,k2=v2``.

    Example:
        >>> parse_dict_arg("max_tokens=512,temperature=0.6", "generation_config")
        {'max_tokens': 512, 'temperature': 0.6}
    """
    stripped = text.strip()
    if not stripped:
        return {}
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise UserError(f"invalid JSON in {what}: {exc.msg} at column {exc.colno} of {stripped!r}") from None
        if not isinstance(parsed, dict):
            raise UserError(f"{what} must be a JSON object, got {stripped!r}")
        return parsed
    result: dict[str, Any] = {}
    for part in _split_top_level(stripped):
        if "=" not in part:
            raise UserError(f"cannot parse {what} {stripped!r}: expected JSON or k=v,k2=v2 (bad part {part!r})")
        key, _, raw = part.partition("=")
        result[key.strip()] = parse_scalar(raw.strip())
    return result


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets or quotes (``stop=["a","b"],n=1``)."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in (s.strip() for s in parts) if p]


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UserError(f"config file not found: {path}")
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(f"cannot parse config file {path}: {_yaml_problem(exc)}") from None
    except ValueError as exc:  # JSON errors say "line L column C" themselves; bad UTF-8 too
        raise UserError(f"cannot parse config file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise UserError(f"config file {path} must hold a mapping of TaskConfig keys")
    return data


def _yaml_problem(exc: Exception) -> str:
    """A YAML error as one line with its 1-based position, like JSON's ("... at line 3 column 5")."""

    def at(mark: Any) -> str:
        return f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""

    text = f"{getattr(exc, 'problem', None) or exc}{at(getattr(exc, 'problem_mark', None))}"
    context = getattr(exc, "context", None)
    if context:  # where the unclosed construct began ("while parsing a flow sequence ...")
        text += f" ({context}{at(getattr(exc, 'context_mark', None))})"
    return " ".join(text.split())


def describe_validation_error(exc: ValidationError, prefix: str = "") -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in (prefix, *first["loc"]) if p != "") or "config"
    given = first.get("input")
    shown = "***" if "api_key" in where else repr(given)
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"invalid TaskConfig value for {where!r}: {message} (got {shown})"
