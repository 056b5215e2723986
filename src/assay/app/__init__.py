"""``assay app``: the results viewer (a read-only web server over an outputs folder) and its bundle.

The server needs the ``app`` extra (``pip install 'assay[app]'``: Starlette and uvicorn); nothing
here imports them until :func:`create_app` is called, so ``import assay`` stays light. The single-file
HTML bundle (:func:`write_bundle`) needs no extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assay.app.bundle import write_bundle
    from assay.app.server import create_app

__all__ = ["create_app", "write_bundle"]

_LAZY = {"create_app": "assay.app.server", "write_bundle": "assay.app.bundle"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'assay.app' has no attribute {name!r}")
