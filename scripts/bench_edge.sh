#!/usr/bin/env bash
# The README's edge tables: ImageSig-FC, ImageSig-conv, MobileNetV2 and EfficientNet-Lite0
# trained briefly at 64x64 and 32x32 RGB (JPEG crops of scikit-image photos) and 28x28 grey
# (Fashion-MNIST, `make data`), each exported to ONNX in float and int8, then one
# `sigbench bench inference` per resolution. Latency does not depend on accuracy, so the
# runs are tiny (1 to 3 epochs). Steps already done (a run folder, an export) are skipped.
#
#     bash scripts/bench_edge.sh [ROOT]      # default /tmp/sigbench-edge; 26 min 30 s here
#     KINDS="imagesig_fc mobilenetv2" bash scripts/bench_edge.sh   # only these models
#
# Writes ROOT/r64, r32, r28 (results folders) and ROOT/inference{64,32,28}.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${1:-/tmp/sigbench-edge}
SIGBENCH=${SIGBENCH:-.venv/bin/sigbench}
PYTHON=${PYTHON:-.venv/bin/python}
KINDS=${KINDS:-imagesig_fc imagesig_conv mobilenetv2 efficientnet_lite0}

train() {  # results config kind [--set ...]: one run of `kind`, unless the folder has one
  local results=$1 config=$2 kind=$3
  shift 3
  if grep -qs "kind: $kind\$" "$results"/runs/*/config.yaml; then return; fi
  local epochs=3 batch=()
  case $kind in imagesig_*) ;; *) epochs=1 batch=(--set train.batch_size=64) ;; esac
  "$SIGBENCH" train "$config" "$@" --set model.kind="$kind" --set train.epochs=$epochs \
    "${batch[@]}" --results "$results"
}

[ -d "$ROOT/photos" ] || "$PYTHON" scripts/photo_folder.py "$ROOT/photos"
PHOTOS=(--set data.train="$ROOT/photos/train" --set data.test="$ROOT/photos/test"
  --set data.augment=[])
for kind in $KINDS; do
  for size in 64 32; do
    train "$ROOT/r$size" configs/fire_d4.yaml "$kind" "${PHOTOS[@]}" --set data.image_size=$size
  done
  train "$ROOT/r28" configs/fashion_d4.yaml "$kind" --set data.max_per_class=200
done

for run in "$ROOT"/r*/runs/*; do
  [ -f "$run/export/model.onnx" ] || "$SIGBENCH" export "$run" --format onnx
  [ -f "$run/export/model-int8.onnx" ] || "$SIGBENCH" export "$run" --format onnx --quantize int8
done

for size in 64 32 28; do
  "$SIGBENCH" bench inference "$ROOT/r$size"/runs/* --out "$ROOT/inference$size.csv"
done
