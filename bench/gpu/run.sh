#!/usr/bin/env bash
# The GPU benchmark in one command, on the GPU machine (CUDA toolkit, python3 with torch and transformers,
# a Node binary): builds the cuda addon when it is missing, runs Tessera's and PyTorch's sides in the same
# call, and writes $OUT/bench.json (default runs/gpu-bench) with the side-by-side table.
#   bash bench/gpu/run.sh [--rows kernels,gpt2,bert-pretrain,bert-encode,vit,transformer] [--fp32] [--compile] [--profile] [--cpu-profile]
# --profile adds per-op GPU times; --cpu-profile writes V8 CPU profiles of the host side to $OUT/cpu-profiles.
# dist/ must be built (npx tsc -p .). NODE_API_INCLUDE names the folder with node_api.h if node's own is absent.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-runs/gpu-bench}
mkdir -p "$OUT"
ROWS=kernels,gpt2,bert-pretrain,bert-encode,vit,transformer
EXTRA_TS=()
EXTRA_PY=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --fp32) EXTRA_TS+=(--fp32); EXTRA_PY+=(--fp32); shift ;;
    --compile) EXTRA_PY+=(--compile); shift ;;
    --profile) EXTRA_TS+=(--profile); shift ;;
    --cpu-profile) EXTRA_TS+=(--cpu-profile "$OUT/cpu-profiles"); shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 1 ;;
  esac
done
[ -f dist/bench/gpu/tessera.js ] || { echo "run.sh: dist/bench/gpu/tessera.js is missing (run npx tsc -p . first)" >&2; exit 1; }
if [ ! -f build/native/tessera_cuda.node ]; then
  INC=${NODE_API_INCLUDE:-$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")/include/node}
  cmake -S native -B build/cuda -G Ninja -DTESSERA_CUDA=ON -DNODE_INCLUDE_DIR="$INC" > "$OUT/cmake.log"
  cmake --build build/cuda --target tessera_cuda >> "$OUT/cmake.log"
fi
node dist/bench/gpu/tessera.js --rows "$ROWS" --out "$OUT/tessera.json" "${EXTRA_TS[@]}"
python3 bench/gpu/torch_bench.py --rows "$ROWS" --out "$OUT/torch.json" "${EXTRA_PY[@]}"
node dist/bench/gpu/report.js "$OUT/tessera.json" "$OUT/torch.json" --out "$OUT/bench.json"
