"""Sweeps: grids of settings (:mod:`~sigbench.sweeps.grids`), the scheduler that trains the
points not finished yet under per-run locks and resumes after a kill
(:mod:`~sigbench.sweeps.scheduler`), and where the points run
(:mod:`~sigbench.sweeps.executors`: serial, a process pool; :mod:`~sigbench.sweeps.ray_executor`);
search spaces (:mod:`~sigbench.sweeps.space`) and Optuna studies over the same runs
(:mod:`~sigbench.sweeps.study`, :mod:`~sigbench.sweeps.tune`, :mod:`~sigbench.sweeps.tune_outputs`).
"""
