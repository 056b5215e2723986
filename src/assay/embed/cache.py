"""A persistent store of embedding vectors, so a text is sent to a model once across runs and tasks.

Embedding a corpus is the expensive part of a retrieval evaluation, and the same corpus is often
scored again (another split, another metric, a run that was killed half way). The cache is one
SQLite file (WAL mode, so a second run may read while one writes) mapping a key to a float32
vector. The key is the SHA-256 of the *model identity* (model name, server, the options that can
change a vector, the prefix applied) and the exact text sent, so a change to any of them misses
instead of returning a vector of another model.

Example:
    >>> import tempfile, numpy as np
    >>> cache = VectorCache(Path(tempfile.mkdtemp()) / "vectors.sqlite")
    >>> key = cache_key('{"model": "e5"}', "query: hello")
    >>> cache.put_many({key: np.array([0.5, 0.25], dtype=np.float32)})
    >>> cache.get_many([key, "other"])[key].tolist()
    [0.5, 0.25]
    >>> cache.close()
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from assay.errors import UserError

__all__ = ["CACHE_FILE_NAME", "VectorCache", "cache_key", "default_cache_path", "open_cache"]

#: File name of the default cache inside ``$ASSAY_CACHE_DIR`` (default ``~/.cache/assay``).
CACHE_FILE_NAME = "embeddings.sqlite"
#: Keys looked up per SELECT: SQLite allows at most 999 bound variables in older builds.
_LOOKUP_CHUNK = 500


def cache_key(identity: str, text: str) -> str:
    """The cache key of ``text`` embedded by the model that ``identity`` (a JSON string) describes."""
    return hashlib.sha256(f"{identity}\0{text}".encode()).hexdigest()


def default_cache_path() -> Path:
    """``$ASSAY_CACHE_DIR/embeddings.sqlite``, or ``~/.cache/assay/embeddings.sqlite`` when unset."""
    root = os.environ.get("ASSAY_CACHE_DIR") or str(Path.home() / ".cache" / "assay")
    return Path(root).expanduser() / CACHE_FILE_NAME


def open_cache(setting: Any) -> VectorCache | None:
    """The cache that ``model_args.embedding_cache`` asks for: None/True = the default, a path, or False = none.

    Raises:
        UserError: the setting is neither a boolean nor a path.
    """
    if setting is False or (isinstance(setting, str) and setting.strip().lower() in ("false", "no", "off", "0")):
        return None
    if setting is None or setting is True:
        return VectorCache(default_cache_path())
    if isinstance(setting, (str, os.PathLike)):
        return VectorCache(Path(setting).expanduser())
    raise UserError(f"model_args embedding_cache must be a file path or false, got {setting!r}")


class VectorCache:
    """Vectors by key in one SQLite file; every write is committed at once, so a killed run keeps it.

    One object is used from one thread (the run's event loop); several processes may share the file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL sync survives a killed process (only a power cut may lose the last commits).
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dimension INTEGER NOT NULL, vector BLOB)"
            )
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            raise UserError(
                f"cannot open the embedding cache {path} ({exc}); set model_args embedding_cache to another "
                "path, or to false to run without it"
            ) from None

    def get_many(self, keys: Iterable[str]) -> dict[str, NDArray[np.float32]]:
        """The cached vectors among ``keys`` (keys not in the cache are absent from the result)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, NDArray[np.float32]] = {}
        for start in range(0, len(wanted), _LOOKUP_CHUNK):
            chunk = wanted[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT key, dimension, vector FROM vectors WHERE key IN ({marks})", chunk)
            for key, dimension, blob in rows:
                vector = np.frombuffer(blob, dtype="<f4")
                if vector.size == dimension:  # a torn or foreign row is a miss, not a wrong vector
                    found[key] = vector.astype(np.float32)
        return found

    def put_many(self, vectors: Mapping[str, NDArray[np.floating]]) -> None:
        """Store (or replace) vectors by key and commit."""
        rows = []
        for key, vector in vectors.items():
            flat = np.ascontiguousarray(vector, dtype="<f4").reshape(-1)
            rows.append((key, int(flat.size), flat.tobytes()))
        self._db.executemany("INSERT OR REPLACE INTO vectors (key, dimension, vector) VALUES (?, ?, ?)", rows)
        self._db.commit()

    def close(self) -> None:
        """Close the file; the object cannot be used afterwards."""
        self._db.close()
