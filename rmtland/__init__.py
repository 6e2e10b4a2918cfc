"""rmtland: random-matrix theory of deep-learning loss landscapes.

Analytic predictions (free probability for the Pennington–Bahri Hessian; spherical spin
glasses) side by side with batched CPU/GPU simulation.  ``import rmtland`` imports neither
CuPy nor matplotlib.
"""
from ._version import __version__

from .analytic import (DiscreteLaw, FreeSum, MarchenkoPastur, PenningtonBahri, PointMass,
                       Semicircle, SubordinatedSum, alpha0, eps_c, free_convolve, index)

__all__ = ["DiscreteLaw", "FreeSum", "MarchenkoPastur", "PenningtonBahri", "PointMass",
           "Semicircle", "SubordinatedSum", "alpha0", "eps_c", "free_convolve", "index",
           "__version__"]
