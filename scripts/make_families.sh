#!/usr/bin/env bash
# Rebuild eval/families/ (sources, LibreOffice PDFs, truth, index.json) from jixiao_eval/families/.
# Needs LibreOffice and the CJK fonts (CI does not: the committed PDFs are what tests read):
#   apt-get install -y libreoffice-calc-nogui libreoffice-writer-nogui fonts-noto-cjk
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
exec "$PY" -m jixiao_eval.families --out eval/families "$@"
