"""Plotting layer: arrays in, matplotlib Figure out; never evaluates the theory.

One module per domain (:mod:`~rmtland.plotting.hessian`, :mod:`~rmtland.plotting.spinglass`),
the shared look in :mod:`~rmtland.plotting._style`.  ``import rmtland.plotting`` does not
import matplotlib; each function does, when called.
"""
from . import fit, hessian, spinglass
from ._style import SAVE_KWARGS

__all__ = ["fit", "hessian", "spinglass", "SAVE_KWARGS"]
