"""Small result files (reports, configs, perf summaries), parsed once per version of the file.

``/api/runs`` reads every report under the outputs folder on each call; caching the parsed JSON by
``(path, size, mtime)`` makes a repeated listing cost one ``stat`` per file. A file that does not
parse reads as None: a report being rewritten is skipped for a moment rather than failing the list.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import orjson

__all__ = ["read_json", "read_yaml"]

#: Parsed files kept; far more than the reports of a typical outputs folder.
_KEPT = 4096

_lock = threading.Lock()
_cache: dict[tuple[Path, int, int], Any] = {}


def read_json(path: Path) -> Any:
    """The parsed JSON at ``path``, or None when it is missing or not valid JSON."""
    return _cached(path, orjson.loads)


def read_yaml(path: Path) -> Any:
    """The parsed YAML at ``path`` (safe loader), or None when it is missing or invalid."""
    import yaml

    return _cached(path, yaml.safe_load)


def _cached(path: Path, parse: Any) -> Any:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (path, stat.st_size, stat.st_mtime_ns)
    with _lock:
        if key in _cache:
            return _cache[key]
    try:
        value = parse(path.read_bytes())
    except Exception:  # any parse error (orjson, yaml) or a file vanishing: unreadable for now
        value = None
    with _lock:
        if len(_cache) >= _KEPT:
            _cache.clear()
        _cache[key] = value
    return value
