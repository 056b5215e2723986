#!/usr/bin/env bash
# Install what the real-model tests need into the current Python environment, then convert
# SmolLM2-135M-Instruct once into the assay cache. Idempotent: a second run only checks.
#
# Usage: bash scripts/install_real_model_deps.sh        (uses $PYTHON, else `python`)
#
# Torch is pinned to 2.13.0, CPU build, installed on its own first. On this project's machines
# that exact release lies on disk (pip's find-links) while any other release, or plain `torch`,
# resolves to a CUDA build of several GB from PyPI. So the wheel is installed alone with
# --no-index (it can only come from disk), and the next step names torch==2.13.0 beside the other
# packages: pip then keeps the installed CPU build and only adds torch's own dependencies.
set -euo pipefail

PYTHON="${PYTHON:-python}"
TORCH_VERSION="2.13.0"
# Versions checked together with `transformers serve` (see tests/real/).
TRANSFORMERS_VERSION="5.18.0"
GGUF_VERSION="0.19.0"
ACCELERATE_VERSION="1.15.0"
# Local embedding models (the `embed` extra), installed here rather than in the dev extra: it needs
# torch, and only beside the pinned CPU build does pip not fetch a CUDA one.
SENTENCE_TRANSFORMERS_VERSION="6.3.0"
# MTEB tasks by name (the `mteb` extra): it needs sentence-transformers and so torch, as above.
MTEB_VERSION="2.26.24"

pip_install() {
    "$PYTHON" -m pip install -qq --disable-pip-version-check "$@"
}

torch_is_pinned_cpu() {
    "$PYTHON" - "$TORCH_VERSION" <<'EOF' 2>/dev/null
import sys, torch
ok = torch.__version__.split("+")[0] == sys.argv[1] and torch.version.cuda is None
sys.exit(0 if ok else 1)
EOF
}

install_torch() {
    torch_is_pinned_cpu && return 0
    if pip_install --no-index --no-deps "torch==${TORCH_VERSION}" 2>/dev/null; then
        :
    elif [[ -n "${ASSAY_TORCH_INDEX_URL:-}" ]]; then
        pip_install --no-deps --index-url "$ASSAY_TORCH_INDEX_URL" "torch==${TORCH_VERSION}"
    else
        echo "error: no local CPU wheel of torch ${TORCH_VERSION} found by pip (--no-index)." >&2
        echo "Set ASSAY_TORCH_INDEX_URL to an index of CPU torch wheels; PyPI's default is a CUDA build." >&2
        exit 1
    fi
}

serving_stack_present() {
    "$PYTHON" - "$TRANSFORMERS_VERSION" "$GGUF_VERSION" "$ACCELERATE_VERSION" "$SENTENCE_TRANSFORMERS_VERSION" \
        "$MTEB_VERSION" <<'EOF' 2>/dev/null
import importlib.metadata as md, sys
want = dict(zip(("transformers", "gguf", "accelerate", "sentence-transformers", "mteb"), sys.argv[1:]))
ok = all(md.version(name) == version for name, version in want.items())
import fastapi, uvicorn  # noqa: F401  (the [serving] extra)
sys.exit(0 if ok else 1)
EOF
}

install_serving_stack() {
    serving_stack_present && return 0
    pip_install "torch==${TORCH_VERSION}" "transformers[serving]==${TRANSFORMERS_VERSION}" \
        "gguf==${GGUF_VERSION}" "accelerate==${ACCELERATE_VERSION}" \
        "sentence-transformers==${SENTENCE_TRANSFORMERS_VERSION}" "mteb==${MTEB_VERSION}"
    torch_is_pinned_cpu || { echo "error: torch is not the ${TORCH_VERSION} CPU build" >&2; exit 1; }
}

install_torch
install_serving_stack
HF_HUB_DISABLE_PROGRESS_BARS=1 TQDM_DISABLE=1 TRANSFORMERS_VERBOSITY=error \
    "$PYTHON" -c 'from assay.models.smollm2 import ensure_hf_folder; print(ensure_hf_folder())'
