#!/usr/bin/env bash
# Offline demo: the project's own OpenAI-compatible test server plays the model (answers from
# examples/demo_rules.json), and `assay eval` runs two small built-in datasets against it.
set -euo pipefail
cd "$(dirname "$0")/.."
ASSAY=${ASSAY:-.venv/bin/assay}
log=$(mktemp)
$ASSAY mock-server --port 0 --rules examples/demo_rules.json --ttft-ms 20 --itl-ms 2 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$log" | head -1)
[ -n "$url" ] || { echo "mock server did not start:"; cat "$log"; exit 1; }
echo "test server: $url"
$ASSAY eval --model mock-model --api-url "$url" --datasets general_mcq gsm8k \
  --dataset-args '{"general_mcq": {"local_path": "examples/data/general_mcq", "subset_list": ["example"]},
                   "gsm8k": {"local_path": "examples/data/gsm8k", "few_shot_num": 0}}' \
  --generation-config 'max_tokens=256,stream=true' --eval-batch-size 8 --work-dir outputs/demo "$@"
