"""``train --force`` names what retraining loses: what was made from the run afterwards,
never a file training itself writes again (``derived_files``)."""

from __future__ import annotations

from pathlib import Path

from sigbench.config import validate_config
from sigbench.experiments.train import train_run
from sigbench.runs import rundir


def test_what_training_writes_is_not_derived_and_what_came_after_is(tmp_path: Path) -> None:
    spec = {
        "data": {"name": "digits", "image_size": 8, "max_per_class": 6, "val_split": 0.0},
        "signature": {"depth": 2},
        "train": {"epochs": 1},
    }
    run = train_run(validate_config(spec), tmp_path, analysis=True).run_dir
    assert (run / rundir.PROVENANCE_FILE).is_file()  # run.json: written again on retraining
    assert rundir.derived_files(run, analysis=True) == []
    assert rundir.derived_files(run) == ["analysis/"]  # retrained without --analysis: lost
    (run / "export").mkdir()
    (run / "robustness.csv").write_text("transform,accuracy\n")
    assert rundir.derived_files(run, analysis=True) == ["export/", "robustness.csv"]
