"""Experiments layer: the studies behind ``simulate``, ``reproduce`` and the figure scripts.

The runner and the figure registry live in :mod:`~rmtland.experiments._run`; each domain
registers its figures and data files from its own module (:mod:`~rmtland.experiments.hessian`,
:mod:`~rmtland.experiments.spinglass`, :mod:`~rmtland.experiments.networks`,
:mod:`~rmtland.experiments.trained`), imported here in
the order ``reproduce`` runs them.
"""
from . import hessian, spinglass, networks, trained  # noqa: F401, I001  (registers, in order)
from .fit import fit_spectrum
from ._run import FIGURES, figure_main, reproduce, run_figure
from .hessian import EPS, PHIS, SIM, simulate_hessian
from .networks import simulate_network
from .spinglass import SPIN_COUNT, SPIN_SIM, simulate_spinglass
from .trained import simulate_trained
from .sweep import KINDS, register_kind, run_sweep  # noqa: E402  (after the domains)

__all__ = ["FIGURES", "figure_main", "reproduce", "run_figure", "simulate_hessian",
           "simulate_spinglass", "simulate_network", "simulate_trained", "fit_spectrum",
           "hessian", "spinglass", "networks", "trained", "PHIS",
           "EPS", "SIM", "SPIN_SIM", "SPIN_COUNT", "KINDS", "register_kind", "run_sweep"]
