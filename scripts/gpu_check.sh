#!/usr/bin/env bash
# sigbench on a CUDA GPU: installs (make install-dev, a no-op when up to date), runs the
# tests marked `cuda` (skipped everywhere else), then the measured tables of
# scripts/gpu_check.py: the demo on GPU and CPU (accuracies within a stated tolerance),
# every model of the models grid on the GPU, GPU signature backends and featurize against
# lanes on the CPU, and training throughput by precision.
#
#     make gpu-check                          # tables in results/gpu_check.md
#     OUT=/some/dir scripts/gpu_check.sh      # tables in /some/dir/gpu_check.md
#     scripts/gpu_check.sh --quick            # fewer epochs and images
#
# Exits 2 with one line where there is no GPU, 1 when a test failed or a part failed or
# fell outside its tolerance (every part still runs), 0 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
NO_GPU="run it on a machine with an NVIDIA GPU"
if ! nvidia-smi -L >/dev/null 2>&1; then
    echo "gpu_check: no NVIDIA GPU here (nvidia-smi lists none); $NO_GPU" >&2
    exit 2
fi
[ -n "${PYTHON:-}" ] || make -s install-dev || exit 1
PY=${PYTHON:-.venv/bin/python}
if ! "$PY" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())'; then
    echo "gpu_check: torch sees no CUDA device (torch.cuda.is_available() is False); $NO_GPU" >&2
    exit 2
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
status=0
"$PY" -m pytest -m cuda -q -p no:cacheprovider tests || status=1
"$PY" scripts/gpu_check.py --out "${OUT:-results}/gpu_check.md" "$@" || status=1
exit $status
