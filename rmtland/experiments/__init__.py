"""Experiments layer: the studies behind ``simulate``, ``reproduce`` and the figure scripts.

The runner and the figure registry live in :mod:`~rmtland.experiments._run`; each domain
registers its figures and data files from its own module (:mod:`~rmtland.experiments.hessian`,
:mod:`~rmtland.experiments.spinglass`, :mod:`~rmtland.experiments.networks`), imported here in
the order ``reproduce`` runs them.
"""
from . import hessian, spinglass, networks  # noqa: F401, I001  (registers, in this order)
from ._run import FIGURES, figure_main, reproduce, run_figure
from .hessian import EPS, PHIS, SIM, simulate_hessian
from .networks import simulate_network
from .spinglass import SPIN_COUNT, SPIN_SIM, simulate_spinglass

__all__ = ["FIGURES", "figure_main", "reproduce", "run_figure", "simulate_hessian",
           "simulate_spinglass", "simulate_network", "hessian", "spinglass", "networks", "PHIS",
           "EPS", "SIM", "SPIN_SIM", "SPIN_COUNT"]
