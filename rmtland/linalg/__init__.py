"""Linear-algebra layer: batched dense spectra and inertia with memory planning
(:mod:`~rmtland.linalg.dense`), and tridiagonal Sturm bisection
(:mod:`~rmtland.linalg.tridiagonal`), matrix-free operators
(:mod:`~rmtland.linalg.operators`) and their spectra with error bars
(:mod:`~rmtland.linalg.spectral`: SLQ, KPM, Lanczos extremes, trace and counts) and
extreme eigenpairs by thick-restart Lanczos (:mod:`~rmtland.linalg.eigen`).  Functions follow their
arrays' backend (NumPy or CuPy) and fail loudly on both."""
from .dense import (CPU_CHUNK_BYTES, GPU_FREE_FRACTION, JACOBI_MAX_N, LDL_MIN_N, count_negative,
                    eigvalsh_batched, empirical_cdf_at, inertia, memory_budget, plan_chunk)
from .tridiagonal import lowest_eigenvalues
from .operators import Operator, as_operator
from .spectral import spectrum
from .eigen import eigenpairs

__all__ = ["CPU_CHUNK_BYTES", "GPU_FREE_FRACTION", "JACOBI_MAX_N", "LDL_MIN_N",
           "count_negative", "eigvalsh_batched", "empirical_cdf_at", "inertia", "memory_budget",
           "plan_chunk", "lowest_eigenvalues", "Operator", "as_operator", "spectrum", "eigenpairs"]
