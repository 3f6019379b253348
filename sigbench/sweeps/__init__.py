"""Sweeps: grids of settings (:mod:`~sigbench.sweeps.grids`), the scheduler that trains the
points not finished yet under per-run locks and resumes after a kill
(:mod:`~sigbench.sweeps.scheduler`), and where the points run
(:mod:`~sigbench.sweeps.executors`: serial, a process pool; :mod:`~sigbench.sweeps.ray_executor`).
"""
