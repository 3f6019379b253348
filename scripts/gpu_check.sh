#!/usr/bin/env bash
# sigbench on a CUDA GPU: the tests marked `cuda` (skipped everywhere else), then the
# measured tables of scripts/gpu_check.py (demo on GPU and CPU, every model of the models
# grid on the GPU, GPU signature backends against lanes, training throughput by precision).
#
#     make gpu-check                          # tables in results/gpu_check.md
#     OUT=/some/dir scripts/gpu_check.sh      # tables in /some/dir/gpu_check.md
#     scripts/gpu_check.sh --quick            # fewer epochs and images (about 3 minutes)
#
# Exits 2 with one line when torch sees no GPU, 1 when a test or a part of the tables
# failed (every part still runs), 0 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
if ! "$PY" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())'; then
    echo "gpu_check: torch sees no CUDA device (torch.cuda.is_available() is False); run it on a machine with an NVIDIA GPU" >&2
    exit 2
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null
status=0
"$PY" -m pytest -m cuda -q -p no:cacheprovider tests || status=1
"$PY" scripts/gpu_check.py --out "${OUT:-results}/gpu_check.md" "$@" || status=1
exit $status
