"""Reading prompt files: clear one-line errors that name the file, the line and the problem.

A benchmark fed a file of the wrong shape must stop before the run with a message the user can act
on (EvalScope raises a bare ``KeyError: 'question'`` or reports ``nan`` metrics instead).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from assay.errors import UserError
from assay.perf.arguments import PerfArguments

#: Fields listed in a "record has no field" error before it is cut short.
_MAX_FIELDS_SHOWN = 10


def require_file(args: PerfArguments, dataset: str) -> Path:
    """The prompt file ``--dataset-path`` names, for a source without a default file.

    Raises:
        UserError: No ``--dataset-path``, or it is not a file.
    """
    path = dataset_file(args, dataset)
    if path is None:
        raise UserError(f"--dataset {dataset} needs --dataset-path (the file to read prompts from)")
    return path


def dataset_file(args: PerfArguments, dataset: str, default_name: str | None = None) -> Path | None:
    """The prompt file ``--dataset-path`` names, checked to exist; None without ``--dataset-path``.

    Args:
        args: The run's arguments.
        dataset: The ``--dataset`` name, for messages.
        default_name: EvalScope's file name inside a ``--dataset-path`` folder (``open_qa.jsonl``).

    Raises:
        UserError: The path does not exist, or is a folder without ``default_name``.
    """
    if args.dataset_path is None:
        return None
    path = Path(args.dataset_path)
    if path.is_dir() and default_name is not None:
        path = path / default_name
    if not path.is_file():
        raise UserError(f"--dataset {dataset}: --dataset-path {path} does not exist or is not a file")
    return path


def hub_file(dataset: str, repo_id: str, file_in_repo: str) -> Path:
    """A dataset's default file from the Hugging Face hub (or its local cache), as EvalScope downloads it.

    Raises:
        UserError: The download failed (offline, moved, gated): pass ``--dataset-path`` instead.
    """
    from huggingface_hub import hf_hub_download  # only when a default file is actually needed

    try:
        return Path(hf_hub_download(repo_id, file_in_repo, repo_type="dataset"))
    except Exception as exc:  # every hub failure reads the same to the user
        raise _hub_error(dataset, file_in_repo, repo_id, exc) from exc


def hub_folder(dataset: str, repo_id: str, pattern: str) -> Path:
    """The files matching ``pattern`` of a Hugging Face dataset (or the local cache), as a folder.

    Raises:
        UserError: The download failed (offline, moved, gated): pass ``--dataset-path`` instead.
    """
    from huggingface_hub import snapshot_download  # only when the hub is actually needed

    try:
        return Path(snapshot_download(repo_id, repo_type="dataset", allow_patterns=[pattern]))
    except Exception as exc:  # every hub failure reads the same to the user
        raise _hub_error(dataset, pattern, repo_id, exc) from exc


def _hub_error(dataset: str, what: str, repo_id: str, exc: Exception) -> UserError:
    """One line naming what was downloaded from where, why it failed, and ``--dataset-path`` as the fix."""
    first_line = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    return UserError(
        f"--dataset {dataset} without --dataset-path downloads {what} from the Hugging Face dataset "
        f"{repo_id}, which failed ({first_line}); pass --dataset-path with a local copy"
    )


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, text without the line break)`` for every line of a UTF-8 text file."""
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                yield number, line.rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def read_json_records(path: Path, expected: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(location, record)`` for each JSON object of a JSONL file or of a JSON array file.

    The format is told by the first character: ``[`` is one JSON array (ShareGPT's ``.json``),
    anything else one object per line (blank lines skipped). ``location`` is ``file:line`` or
    ``file[index]``, for messages.

    Args:
        path: The file.
        expected: What a record should look like, appended to shape errors
            (``'JSONL records like {"question": "..."}'``).

    Raises:
        UserError: A line or the file is not valid JSON, or a record is not a JSON object.
    """
    if _first_char(path) == "[":
        try:
            items = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise UserError(f"{path}: not valid JSON ({exc}); expected {expected}") from exc
        for index, item in enumerate(items):
            yield _as_record(f"{path}[{index}]", item, expected)
        return
    for number, line in read_lines(path):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise UserError(f"{where}: not valid JSON ({exc}); expected {expected}") from exc
        yield _as_record(where, item, expected)


def missing_field(where: str, field: str, record: dict[str, Any], expected: str) -> UserError:
    """The error for a record without ``field``, listing the fields it has."""
    found = list(record)
    shown = ", ".join(repr(name) for name in found[:_MAX_FIELDS_SHOWN])
    if len(found) > _MAX_FIELDS_SHOWN:
        shown += f", ... ({len(found)} fields)"
    return UserError(f"{where}: record has no {field!r} field (fields found: {shown or 'none'}); expected {expected}")


def _as_record(where: str, item: Any, expected: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(item, dict):
        raise UserError(f"{where}: a JSON {json_type(item)}, not an object; expected {expected}")
    return where, item


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type (``array``, ``string``...), for messages."""
    names = {list: "array", str: "string", int: "number", float: "number", bool: "boolean", dict: "object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _first_char(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    return head[:1].decode("latin-1")
