"""One experiment end to end: train (:mod:`~sigbench.experiments.train`), evaluate
(:mod:`~sigbench.experiments.evaluate`), predict (:mod:`~sigbench.experiments.predict`),
robustness (:mod:`~sigbench.experiments.robustness`), the preparation of model inputs
(:mod:`~sigbench.experiments.inputs`), and a run's exports checked and timed on its own test
split (:mod:`~sigbench.experiments.exports`)."""
