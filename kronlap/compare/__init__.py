"""Tools that compare kronlap's solvers with each other and with their peers.

:func:`compare` runs every method on one manufactured problem and reports
time, memory, residual and error; :func:`scaling` repeats it over grid
sizes and fits the growth; the ``plot_*`` functions draw the results
(matplotlib, imported when they are called); :func:`~kronlap.compare.cli.main`
is the ``kronlap`` command (``demo``, ``compare``, ``scaling``). These are
tools, not solver API: ``import kronlap`` does not load them.
"""

from .comparison import (
    KRONLAP_METHODS,
    PEER_METHODS,
    RECORD_KEYS,
    check_comparison_memory,
    compare,
    fit_slope,
    format_table,
    manufactured_problem,
    scaling,
)
from .memory import PeakMemory
from .plotting import output_path, plot_comparison, plot_scaling, plot_solution

__all__ = [
    "KRONLAP_METHODS",
    "PEER_METHODS",
    "PeakMemory",
    "RECORD_KEYS",
    "check_comparison_memory",
    "compare",
    "fit_slope",
    "format_table",
    "manufactured_problem",
    "output_path",
    "plot_comparison",
    "plot_scaling",
    "plot_solution",
    "scaling",
]
