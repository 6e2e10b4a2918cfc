"""Analytic layer: pure math (NumPy/SciPy, sympy for derivations), deterministic, no RNG."""
from .hessian import (PenningtonBahri, alpha0, cdf, density, eps_c, g_c, index, moments,
                      support_edges)
from .laws import (DiscreteLaw, FreeSum, MarchenkoPastur, PointMass, Semicircle, SpectralLaw,
                   SubordinatedSum, free_convolve)
from .transforms import (cubic_roots, free_cumulants_from_moments, herglotz_root,
                         moments_from_free_cumulants, poly_roots)

__all__ = ["PenningtonBahri", "alpha0", "cdf", "cubic_roots", "density", "eps_c", "g_c", "index",
           "moments", "support_edges", "DiscreteLaw", "FreeSum", "MarchenkoPastur", "PointMass",
           "Semicircle", "SpectralLaw", "SubordinatedSum", "free_convolve",
           "free_cumulants_from_moments", "herglotz_root", "moments_from_free_cumulants",
           "poly_roots"]
