"""The run folder as a format: what a results folder holds and how it is written and read.

:mod:`~sigbench.runs.rundir` (layout, atomic writes, partial/publish, a run's config and
metrics), :mod:`~sigbench.runs.locks` (one process trains a run at a time),
:mod:`~sigbench.runs.checkpoint` (the checkpoint format and ``load_run``) and
:mod:`~sigbench.runs.grid_records` (which runs make up a sweep). Everything that reads or
writes a run folder goes through here.
"""
