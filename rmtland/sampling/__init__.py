"""Sampling layer: batched random matrices and their spectra, NumPy or CuPy (xp-generic).

Creation functions take ``device=`` and ``rng=``; functions of arrays follow the arrays'
backend. See :mod:`rmtland.sampling.ensembles` for the seeding and chunking rules.
"""
from .ensembles import (BLOCK, hessian_m, iter_goe_chunks, iter_gue_chunks,
                        iter_hessian_chunks, iter_wishart_chunks, sample_goe, sample_gue,
                        sample_hessian, sample_wishart)
from . import pspin
from .spectra import (JACOBI_MAX_N, LDL_MIN_N, count_negative, eigvalsh_batched,
                      empirical_cdf_at, inertia)

__all__ = [
    "pspin",
    "BLOCK", "JACOBI_MAX_N", "LDL_MIN_N",
    "sample_wishart", "sample_goe", "sample_gue", "sample_hessian", "hessian_m",
    "iter_wishart_chunks", "iter_goe_chunks", "iter_gue_chunks", "iter_hessian_chunks",
    "eigvalsh_batched", "count_negative", "inertia", "empirical_cdf_at",
]
