"""scripts/mcu_check.sh against the real Cortex-M tool chain: Debian's arm-none-eabi-gcc and
qemu-system-arm (`make mcu-deps` installs them; without them the end-to-end test is skipped)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "mcu_check.sh"
TOOLS = ("arm-none-eabi-gcc", "arm-none-eabi-size", "qemu-system-arm")
MISSING = [tool for tool in TOOLS if shutil.which(tool) is None]


def _check(run: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable, "PYTHONPATH": str(REPO), "COUNT": "20"}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        ["/bin/bash", str(SCRIPT), str(run), *args],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip


@pytest.mark.skipif(bool(MISSING), reason=f"{', '.join(MISSING)} missing: run `make mcu-deps`")
@pytest.mark.slow
def test_the_cortex_m4_build_agrees_with_x86_under_qemu(digits_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(digits_run, run, ignore=shutil.ignore_patterns("export"))
    result = _check(run, "int8")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "QEMU vs x86      20 of 20 test images give the same class" in out
    flash = float(re.search(r"flash \(model\)\s+([\d.]+) KB", out).group(1))
    ram = float(re.search(r"RAM \(model\)\s+([\d.]+) KB", out).group(1))
    instructions = int(re.search(r"instructions\s+(\d+) per image", out).group(1))
    # 8x8 digits, depth 3, time channel, rows and columns: 16 paths of 8 points and
    # 16 * 14 = 224 features into 50 neurons, whose int8 weights alone are 224 * 50 bytes.
    assert 224 * 50 / 1024 < flash < 200
    assert 0 < ram < 16
    assert 1_000 < instructions < 10_000_000
    build = run / "export" / "mcu-int8"
    assert (build / "firmware.map").is_file()
    assert len((build / "mcu.txt").read_text().split()) == 20


def test_without_the_tool_chain_it_says_how_to_install_it(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dirname").symlink_to(shutil.which("dirname"))
    result = _check(tmp_path / "run", path=str(bin_dir))
    assert result.returncode == 2
    assert "not found; run make mcu-deps" in result.stderr
