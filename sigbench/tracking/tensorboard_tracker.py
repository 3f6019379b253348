"""TensorBoard: event files in ``<run>/tensorboard/``, so ``tensorboard --logdir results/runs``
lists every run, overlays their learning curves and fills the HParams table.

Each run's folder gets one event file: the history columns per epoch (``train_loss``,
``val_acc``, ...), the final scores as ``final/<metric>``, and the hparams plugin's session
record (tensorboard's own ``hparams_pb``) holding every config key. No run writes an
experiment record, so the plugin builds the table from all runs' sessions together;
``SummaryWriter.add_hparams`` would instead put each run's table in a second, timestamped
sub-run. The folder is written beside the run and renamed into place: it is there whole or
not at all, and a run that has one is not written again.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sigbench.errors import SigbenchError
from sigbench.tracking.record import (
    HISTORY_CLOCK,
    HISTORY_STEP,
    TENSORBOARD_DIR,
    TrackedRun,
    TrackedSweep,
)

INSTALL_HINT = "pip install 'sigbench[tensorboard]'"
FINAL_PREFIX = "final/"


class TensorBoardTracker:
    """Writes each finished run's event file into the run folder itself."""

    name = "tensorboard"

    def __init__(self) -> None:
        try:
            # An optional heavy dependency: imported only when --track tensorboard asks for it.
            from tensorboard.plugins.hparams.summary_v2 import hparams_pb
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise SigbenchError(f"--track tensorboard needs TensorBoard: {INSTALL_HINT}") from None
        self._writer, self._hparams_pb = SummaryWriter, hparams_pb
        self.logged = 0
        self.already = 0
        self.root: Path | None = None

    def log(self, run: TrackedRun, sweep: TrackedSweep | None = None) -> bool:
        """Write ``run``'s event file unless it has one; True when written now.

        ``tensorboard --logdir`` over the runs folder shows a sweep's runs side by side
        already, so ``sweep`` adds nothing here.
        """
        final = run.path / TENSORBOARD_DIR
        self.root = run.path.parent
        if final.is_dir():
            self.already += 1
            return False
        staging = run.path / f".{TENSORBOARD_DIR}.tmp-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            self._write(run, staging)
            os.replace(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.logged += 1
        return True

    def _write(self, run: TrackedRun, folder: Path) -> None:
        writer = self._writer(log_dir=str(folder))
        try:
            writer.file_writer.add_summary(
                self._hparams_pb(run.params, trial_id=run.run_id, start_time_secs=run.started_at)
            )
            last = 0
            for row in run.history:
                last = int(row.get(HISTORY_STEP, 0))
                walltime = run.started_at + row.get(HISTORY_CLOCK, 0.0)
                for key, value in row.items():
                    if key != HISTORY_STEP:
                        writer.add_scalar(key, value, global_step=last, walltime=walltime)
            for key, value in run.metrics.items():
                if "." not in key:  # top-level scores; per-class figures stay in MLflow
                    writer.add_scalar(
                        f"{FINAL_PREFIX}{key}", value, global_step=last, walltime=run.finished_at
                    )
        finally:
            writer.close()

    def close(self) -> None:
        """Nothing to finish: each run's file is closed when written."""

    def summary(self) -> str:
        where = f"tensorboard --logdir {self.root}" if self.root else "no runs"
        return f"tensorboard: wrote {self.logged} runs, {self.already} already there ({where})"
