"""Every table, plot and picture, and the only package that imports matplotlib: sweep tables
(:mod:`~sigbench.reporting.tables`, :mod:`~sigbench.reporting.report`), grid plots
(:mod:`~sigbench.reporting.plots`), error-analysis figures (:mod:`~sigbench.reporting.analysis`),
robustness tables (:mod:`~sigbench.reporting.robustness`), the paper's figures
(:mod:`~sigbench.reporting.paper`) and the signature figure
(:mod:`~sigbench.reporting.signature_figure`). The numbers they show come from
:mod:`sigbench.training.metrics` and the run folders (:mod:`sigbench.runs`)."""
