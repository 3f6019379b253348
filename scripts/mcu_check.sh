#!/usr/bin/env bash
# A run's C export on a Cortex-M4: cross-compiled with a small harness (-mcpu=cortex-m4
# -mthumb -Os, hard float), its flash and RAM reported, run under QEMU's mps2-an386 board
# with semihosting on the run's first 100 test images, and its classes compared with the
# x86 build's. Needs `make mcu-deps` (gcc-arm-none-eabi, libnewlib-arm-none-eabi,
# qemu-system-arm).
#
#     bash scripts/mcu_check.sh RUN [none|int8]     # default int8; exports first if needed
#
# Flash = text + data, RAM = data + bss + the stack's measured high-water mark, all of the
# model alone: the firmware's figures from arm-none-eabi-size less those of the same
# firmware built with a stub model (the harness and the 100 test images). The firmware's
# map (firmware.map) and the build are kept in RUN/export/mcu-<quantize>/.
# Time: QEMU runs with -icount shift=0 (the emulated clock advances a fixed step per
# executed instruction), the harness reads SysTick around each sigbench_model_predict and
# around a loop of known length, so it reports instructions per image. A real Cortex-M4
# needs at least that many cycles (most instructions take 1, loads 2, VDIV/VSQRT 14); the
# milliseconds printed assume one cycle per instruction at MCU_MHZ (default 80), a lower bound.
# MCU_LANES (default 1) sets SIGBENCH_LANES: streams signed side by side. On the M4 (one
# scalar FPU, no SIMD) 1 is both the smallest stack and the fewest instructions: at 28x28,
# depth 4, LANES=4 took 5.6x the stack (1,096 B against 196) and 1.8x the instructions.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:?usage: scripts/mcu_check.sh RUN [none|int8]}
QUANTIZE=${2:-int8}
PYTHON=${PYTHON:-.venv/bin/python}
COUNT=${COUNT:-100}
LANES=${MCU_LANES:-1}
MHZ=${MCU_MHZ:-80}
for tool in arm-none-eabi-gcc arm-none-eabi-size qemu-system-arm; do
  command -v $tool >/dev/null || { echo "mcu_check: $tool not found; run make mcu-deps" >&2; exit 2; }
done
case $QUANTIZE in none) EXPORT=$RUN/export/c ;; int8) EXPORT=$RUN/export/c-int8 ;;
  *) echo "mcu_check: quantize $QUANTIZE: choose none or int8" >&2; exit 2 ;; esac
[ -f "$EXPORT/model.c" ] || "$PYTHON" -m sigbench export "$RUN" --format c --quantize "$QUANTIZE" >/dev/null
BUILD=$RUN/export/mcu-$QUANTIZE
mkdir -p "$BUILD"
"$PYTHON" scripts/mcu_inputs.py "$RUN" "$EXPORT" "$BUILD" --count "$COUNT"

CFLAGS=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -std=c99 -Wall
  -ffunction-sections -fdata-sections -DSIGBENCH_LANES="$LANES" -I "$EXPORT" -I "$BUILD")
LDFLAGS=(-nostartfiles --specs=nano.specs -T scripts/mcu/link.ld -Wl,--gc-sections)
arm-none-eabi-gcc "${CFLAGS[@]}" -c "$EXPORT/model.c" -o "$BUILD/model.o"
arm-none-eabi-gcc "${CFLAGS[@]}" "${LDFLAGS[@]}" scripts/mcu/harness.c "$BUILD/model.o" \
  -Wl,-Map="$BUILD/firmware.map" -lm -o "$BUILD/firmware.elf"
arm-none-eabi-gcc "${CFLAGS[@]}" "${LDFLAGS[@]}" -DSIGBENCH_NO_MODEL scripts/mcu/harness.c \
  -lm -o "$BUILD/stub.elf"

# arm-none-eabi-size's Berkeley columns: text (incl. rodata), data, bss.
read -r text data bss < <(arm-none-eabi-size "$BUILD/firmware.elf" | awk 'NR==2 {print $1, $2, $3}')
read -r stub_text stub_data stub_bss < <(arm-none-eabi-size "$BUILD/stub.elf" | awk 'NR==2 {print $1, $2, $3}')

timeout 600 qemu-system-arm -M mps2-an386 -icount shift=0 -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native -kernel "$BUILD/firmware.elf" >"$BUILD/qemu.txt" 2>&1
timeout 60 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native -kernel "$BUILD/stub.elf" >"$BUILD/qemu-stub.txt" 2>&1
grep '^class ' "$BUILD/qemu.txt" | cut -d' ' -f2 >"$BUILD/mcu.txt"
value() { awk -v key="$1" '$1 == key {print $2}' "$2"; }
stack=$(value stack_bytes "$BUILD/qemu.txt")
stub_stack=$(value stack_bytes "$BUILD/qemu-stub.txt")
[ -n "$stack" ] || { echo "mcu_check: the firmware did not finish under QEMU:" >&2; cat "$BUILD/qemu.txt" >&2; exit 1; }
same=$(paste -d' ' "$BUILD/mcu.txt" "$BUILD/expected.txt" | awk '$1 == $2' | wc -l)
total=$(wc -l <"$BUILD/expected.txt")
same_torch=$(paste -d' ' "$BUILD/mcu.txt" "$BUILD/torch.txt" | awk '$1 == $2' | wc -l)
correct=$(paste -d' ' "$BUILD/mcu.txt" "$BUILD/labels.txt" | awk '$1 == $2' | wc -l)
model_ticks=$(value model_ticks "$BUILD/qemu.txt")
calibration_ticks=$(value calibration_ticks "$BUILD/qemu.txt")
calibration_instructions=$(value calibration_instructions "$BUILD/qemu.txt")

flash=$(( text + data - stub_text - stub_data ))
ram=$(( data + bss - stub_data - stub_bss + stack - stub_stack ))
awk -v f="$flash" -v r="$ram" -v s="$stack" -v ss="$stub_stack" -v q="$QUANTIZE" -v l="$LANES" \
  -v same="$same" -v total="$total" -v e="$EXPORT" -v st="$same_torch" -v c="$correct" \
  -v mt="$model_ticks" -v ct="$calibration_ticks" -v ci="$calibration_instructions" -v mhz="$MHZ" 'BEGIN {
  per_image = mt * ci / ct / total
  printf "export           %s (%s, SIGBENCH_LANES=%s)\n", e, q, l
  printf "flash (model)    %.1f KB (text + data)\n", f / 1024
  printf "RAM (model)      %.1f KB (data + bss + stack; stack %d B of the harness'"'"'s %d)\n", r / 1024, s - ss, s
  printf "instructions     %.0f per image (QEMU -icount; >= %.2f ms at %d MHz)\n", per_image, per_image / (mhz * 1000), mhz
  printf "QEMU vs x86      %d of %d test images give the same class\n", same, total
  printf "QEMU vs torch    %d of %d (the run'"'"'s predictions.npz); %d of %d correct\n", st, total, c, total
}'
[ "$same" -eq "$total" ] && [ "$total" -gt 0 ]
