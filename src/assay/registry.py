"""A name -> implementation registry with lazily imported built-ins.

Models, perf prompt sources and perf API plugins are all looked up by a user-typed name. Built-ins are
listed as module paths and imported only when first asked for, so the CLI stays fast; an unknown
name is a one-line ``UserError`` with the closest known name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from assay.errors import UserError, did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    """Implementations of one kind, registered by decorator or found among lazy built-ins.

    Example:
        >>> shapes: Registry[type] = Registry("shape", builtin={})
        >>> @shapes.register("square")
        ... class Square: ...
        >>> shapes.get("square").__name__
        'Square'
    """

    def __init__(self, kind: str, builtin: Mapping[str, str], aliases: Mapping[str, str] | None = None) -> None:
        self.kind = kind
        self._builtin = dict(builtin)
        self._aliases = dict(aliases or {})
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator registering ``obj`` under ``name`` (a later registration replaces an earlier one)."""

        def decorate(obj: T) -> T:
            self._entries[name] = obj
            return obj

        return decorate

    def canonical(self, name: str) -> str:
        """``name`` with aliases resolved (an unknown name is returned unchanged)."""
        return self._aliases.get(name, name)

    def find(self, name: str) -> T | None:
        """The implementation for ``name``, or None when no such name is known."""
        name = self.canonical(name)
        if name not in self._entries and name in self._builtin:
            importlib.import_module(self._builtin[name])
        return self._entries.get(name)

    def get(self, name: str) -> T:
        """The implementation for ``name`` (aliases resolved, built-ins imported on demand)."""
        found = self.find(name)
        if found is None:
            name, known = self.canonical(name), self.names()
            raise UserError(f"unknown {self.kind} {name!r}{did_you_mean(name, known)}; known: {', '.join(known)}")
        return found

    def names(self) -> list[str]:
        """Every name known now, built-ins included."""
        return sorted(set(self._entries) | set(self._builtin))
