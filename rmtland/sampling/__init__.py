"""Sampling layer: random objects, batched and xp-generic (NumPy or CuPy).

Creation functions take ``device=`` and ``rng=`` (seeds through :mod:`rmtland._seeds`):
ensembles (Wishart, GOE, GUE, tridiagonal GOE) in :mod:`~rmtland.sampling.ensembles`, the
Pennington–Bahri Hessian in :mod:`~rmtland.sampling.hessian`, the spherical p-spin glass
(Hamiltonians, derivatives, critical points) in :mod:`~rmtland.sampling.spinglass`.
"""
from . import spinglass
from .ensembles import (BLOCK, goe_eigenvalues, iter_goe_chunks, iter_gue_chunks,
                        iter_wishart_chunks, sample_goe, sample_goe_tridiagonal, sample_gue,
                        sample_wishart, wishart_eigenvalues)
from .hessian import hessian_m, iter_hessian_chunks, sample_hessian

__all__ = [
    "spinglass", "BLOCK",
    "sample_wishart", "sample_goe", "sample_gue", "sample_goe_tridiagonal", "sample_hessian",
    "hessian_m", "iter_wishart_chunks", "iter_goe_chunks", "iter_gue_chunks",
    "iter_hessian_chunks", "goe_eigenvalues", "wishart_eigenvalues",
]
