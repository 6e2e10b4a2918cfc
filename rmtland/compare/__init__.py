"""Comparison layer: statistics between empirical arrays and the theory, and the theory curves
the figures draw.  Domain-free metrics in :mod:`~rmtland.compare.metrics`; the
Pennington–Bahri Hessian in :mod:`~rmtland.compare.hessian`; the spherical p-spin glass in
:mod:`~rmtland.compare.spinglass`.  Nothing here plots; nothing here samples except the Monte
Carlo evaluation of the exact finite-N formula (:func:`~rmtland.compare.spinglass.
mean_critical_points`), which draws its GOE matrices through :mod:`rmtland.sampling`."""
from .fit import fit_law
from .hessian import compare_hessian, index_from_counts
from .metrics import (fit_power_law, index_estimate, ks_distance, l1_distance, mean_and_stderr,
                      snap_zeros)
from .spinglass import mean_critical_points, summarize_critical_points

__all__ = ["fit_law", "compare_hessian", "index_from_counts", "fit_power_law", "index_estimate",
           "ks_distance", "l1_distance", "mean_and_stderr", "snap_zeros",
           "mean_critical_points", "summarize_critical_points"]
