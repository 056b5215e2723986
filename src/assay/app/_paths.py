"""The one gate between a URL and the file system: every path the viewer reads passes through here.

The viewer serves results from one folder (``--outputs DIR``) and nothing else. A run id in a URL is
a path relative to DIR; it is refused unless it resolves, symlinks followed, to an existing path
inside DIR. The URL has already been percent-decoded once by the server, and it is never decoded
again, so ``%2e%2e%2f`` reaches the file system as ``../`` (refused here) and a double-encoded
``%252e%252e`` as a literal folder name ``%2e%2e`` (which does not exist).

Example:
    >>> import tempfile
    >>> root = OutputsRoot(Path(tempfile.mkdtemp()))
    >>> root.resolve("../etc/passwd")
    Traceback (most recent call last):
    ...
    assay.app._paths.NotInsideRoot: not found: ../etc/passwd
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

__all__ = ["NotInsideRoot", "OutputsRoot"]


class NotInsideRoot(LookupError):
    """A requested path does not exist inside the outputs folder (shown to clients as a 404)."""


class OutputsRoot:
    """The outputs folder, resolved once, and the checks that keep every read inside it."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder).resolve(strict=True)

    def resolve(self, relative: str) -> Path:
        """The existing path that ``relative`` (a run id: POSIX, relative to the root) names.

        Raises:
            NotInsideRoot: ``relative`` is empty, absolute, has a ``..`` or backslash component, or
                resolves (through symlinks) outside the root or to nothing.
        """
        pure = PurePosixPath(relative)
        if not relative or "\x00" in relative or "\\" in relative or pure.is_absolute() or ".." in pure.parts:
            raise NotInsideRoot(f"not found: {relative}")
        if pure.parts and pure.parts[0].endswith(":"):  # a Windows drive ("C:") would escape on Windows
            raise NotInsideRoot(f"not found: {relative}")
        return self.inside(self.path / pure, shown=relative)

    def inside(self, path: Path, shown: str | None = None) -> Path:
        """``path`` resolved (symlinks followed); raises :class:`NotInsideRoot` when it leaves the root."""
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # missing, unreadable, or a symlink loop
            raise NotInsideRoot(f"not found: {shown or path.name}") from exc
        if real != self.path and not real.is_relative_to(self.path):
            raise NotInsideRoot(f"not found: {shown or path.name}")
        return real

    def file(self, path: Path) -> Path | None:
        """``path`` if it is a regular file inside the root (symlinks followed), else None."""
        try:
            real = self.inside(path)
        except NotInsideRoot:
            return None
        return real if real.is_file() else None

    def run_id(self, path: Path) -> str:
        """The id clients use for a folder under the root: its POSIX path relative to the root."""
        return path.relative_to(self.path).as_posix()
