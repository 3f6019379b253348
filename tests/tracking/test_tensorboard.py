"""TensorBoard tracking, read back with TensorBoard's own event reader."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip(
    "tensorboard", reason="the tensorboard extra: pip install 'sigbench[tensorboard]'"
)

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import metadata

from sigbench.tracking import Tracking

from .conftest import MakeRun


def _events(run: Path) -> EventAccumulator:
    events = EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    return events


def test_each_run_gets_epochs_final_scores_and_its_hparams_session(make_run: MakeRun) -> None:
    runs = [make_run(depth=2), make_run(depth=5)]
    with Tracking(["tensorboard"], runs[0].parents[1]) as tracking:
        tracking.log_all(runs)
    for run, depth in zip(runs, (2, 5), strict=True):
        # One folder per run, one event file, no timestamped sub-run (add_hparams' layout).
        assert [p.is_file() for p in (run / "tensorboard").iterdir()] == [True]
        events = _events(run)
        val_acc = [(s.step, round(s.value, 4)) for s in events.Scalars("val_acc")]
        assert val_acc == [(e, round(0.4 + depth / 100 + e / 100, 4)) for e in (1, 2, 3)]
        (accuracy,) = events.Scalars("final/accuracy")
        assert accuracy.value == pytest.approx(0.5 + depth / 10) and accuracy.step == 3
        content = events.SummaryMetadata(metadata.SESSION_START_INFO_TAG).plugin_data.content
        session = metadata.parse_session_start_info_plugin_data(content)
        assert session.hparams["signature.depth"].number_value == depth
        assert session.hparams["model.kind"].string_value == "imagesig_fc"
        assert session.group_name == run.name
    assert not list(runs[0].parent.glob("*/.tensorboard*")), "a staging folder was left behind"


def test_a_run_that_has_its_events_is_not_written_again(make_run: MakeRun) -> None:
    run = make_run()
    with Tracking(["tensorboard"], run.parents[1]) as tracking:
        tracking.log(run)
    (written,) = (run / "tensorboard").iterdir()
    stamp = written.stat().st_mtime_ns
    with Tracking(["tensorboard"], run.parents[1]) as tracking:  # a later command
        tracking.log(run)
    assert [p.name for p in (run / "tensorboard").iterdir()] == [written.name]
    assert written.stat().st_mtime_ns == stamp
    assert tracking.summaries() == [
        f"tensorboard: wrote 0 runs, 1 already there (tensorboard --logdir {run.parent})"
    ]
