r"""Symmetric tridiagonal matrices: their lowest eigenvalues by vectorised Sturm-sequence
bisection, batched over matrices and brackets (NumPy or CuPy).

Used for the Dumitriu–Edelman tridiagonal GOE (:func:`rmtland.sampling.ensembles.
sample_goe_tridiagonal`) and the finite-N critical-point formula
(:func:`rmtland.compare.spinglass.mean_critical_points`).

References
----------
W. Barth, R. S. Martin, J. H. Wilkinson, "Calculation of the eigenvalues of a symmetric
tridiagonal matrix by the method of bisection", Numer. Math. 9, 386 (1967),
doi:10.1007/BF02162154.  LAPACK ``dstebz`` (the pivot floor ``pivmin``).
"""
import math

import numpy as np

from .._validate import InputError
from .. import _validate
from .._backend import array_namespace

__all__ = ["lowest_eigenvalues", "count_below", "eigvalsh_tridiagonal"]


# ----------------------------------------------------------------------- Sturm bisection

def count_below(dT, e2T, x, pivmin, xp):
    r"""Number of eigenvalues :math:`< x` of each tridiagonal matrix (Sturm / Sylvester inertia).

    ``dT`` (N, B) diagonal, ``e2T`` (N-1, B) squared off-diagonal, ``x`` (B, m) shifts.  The
    pivots of :math:`T - xI = LDL^\top` are :math:`q_1 = d_1 - x`,
    :math:`q_i = d_i - x - e_{i-1}^2/q_{i-1}`; the count is :math:`\#\{q_i < 0\}` (Sylvester's law
    of inertia).  A pivot of modulus below ``pivmin`` is replaced by ``-pivmin`` (LAPACK dstebz).
    """
    q = dT[0][:, None] - x
    q = xp.where(xp.abs(q) < pivmin, -pivmin, q)
    count = (q < 0).astype(np.int32)
    for i in range(1, dT.shape[0]):
        q = (dT[i][:, None] - x) - e2T[i - 1][:, None] / q
        q = xp.where(xp.abs(q) < pivmin, -pivmin, q)
        count += q < 0
    return count


def lowest_eigenvalues(diag, offdiag, m):
    r"""The ``m`` lowest eigenvalues of each symmetric tridiagonal matrix, by vectorised
    Sturm-sequence bisection (batched over matrices and over the ``m`` brackets; NumPy or CuPy).

    Parameters
    ----------
    diag : array of shape ``(..., N)``
    offdiag : array of shape ``(..., N - 1)``
    m : int
        How many eigenvalues, ``1 <= m <= N``.

    Returns
    -------
    array of shape ``(..., m)``, ascending, on the backend and dtype of ``diag``.

    Notes
    -----
    Eigenvalue :math:`\lambda_j` (0-based) is bracketed by Gershgorin's interval and bisected on
    the rule "count of eigenvalues below the midpoint :math:`\ge j+1`" (Barth, Martin &
    Wilkinson, Numer. Math. 9 (1967); LAPACK ``dstebz``).  The number of halvings takes the
    bracket to :math:`4\,\varepsilon\,\max(|a|, |b|)` (machine :math:`\varepsilon` of the dtype),
    so the absolute error is a small multiple of :math:`\varepsilon\|T\|`.  Cost:
    :math:`O(N \cdot m \cdot \text{batch})` per halving, about 50 halvings in float64.
    """
    xp = array_namespace(diag, offdiag)
    if diag.ndim < 1 or offdiag.shape[:-1] != diag.shape[:-1] or \
            offdiag.shape[-1] != diag.shape[-1] - 1:
        raise InputError(f"diag (..., N) and offdiag (..., N-1) shapes do not match: "
                         f"{diag.shape} and {offdiag.shape}")
    N = diag.shape[-1]
    m = _validate.integer("m", m, 1)
    if m > N:
        raise InputError(f"m must be an integer in [1, N={N}], got {m}")
    lead = diag.shape[:-1]
    dtype = xp.result_type(diag.dtype, offdiag.dtype)
    if not np.issubdtype(np.dtype(str(dtype)), np.floating):
        dtype = xp.float64
    B = int(np.prod(lead, dtype=np.int64))
    d = xp.reshape(diag, (B, N)).astype(dtype, copy=False)
    e = xp.reshape(offdiag, (B, N - 1)).astype(dtype, copy=False)
    if B == 0:
        return xp.zeros(lead + (m,), dtype=dtype)
    if not bool(xp.all(xp.isfinite(d))) or not bool(xp.all(xp.isfinite(e))):
        raise InputError("diag and offdiag must contain only finite numbers")
    ae = xp.abs(e)
    radius = xp.zeros_like(d)
    radius[:, :-1] += ae
    radius[:, 1:] += ae
    lo = xp.min(d - radius, axis=1)                       # Gershgorin bounds, per matrix
    hi = xp.max(d + radius, axis=1)
    eps = float(np.finfo(np.dtype(str(dtype))).eps)
    tiny = float(np.finfo(np.dtype(str(dtype))).tiny)
    e2 = e * e
    scale = max(float(xp.max(xp.abs(lo))), float(xp.max(xp.abs(hi))), tiny)
    pivmin = tiny * max(1.0, float(xp.max(e2)) if N > 1 else 1.0)
    # widen a little so that the end points are strict bounds even after rounding
    pad = 2 * eps * scale + pivmin
    lo = lo - pad
    hi = hi + pad
    width = float(xp.max(hi - lo))
    n_iter = int(math.ceil(math.log2(max(width, tiny) / (4 * eps * scale)))) + 2
    n_iter = min(max(n_iter, 1), 200)
    j1 = xp.arange(1, m + 1, dtype=np.int32)[None, :]     # j + 1
    lo = xp.broadcast_to(lo[:, None], (B, m)).copy()
    hi = xp.broadcast_to(hi[:, None], (B, m)).copy()
    dT = xp.ascontiguousarray(d.T)
    e2T = xp.ascontiguousarray(e2.T)
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        above = count_below(dT, e2T, mid, pivmin, xp) >= j1      # mid > lambda_j
        hi = xp.where(above, mid, hi)
        lo = xp.where(above, lo, mid)
    return xp.reshape(0.5 * (lo + hi), lead + (m,))




def eigvalsh_tridiagonal(diag, offdiag):
    r"""All eigenvalues, ascending, of each symmetric tridiagonal matrix of a batch.

    Parameters
    ----------
    diag : array of shape ``(batch, N)``
    offdiag : array of shape ``(batch, N - 1)``

    Returns
    -------
    array of shape ``(batch, N)`` on the backend of ``diag``.

    Notes
    -----
    NumPy: LAPACK ``?stebz``/``?stemr`` through :func:`scipy.linalg.eigh_tridiagonal`, one call
    per matrix (:math:`O(N^2)` each, against :math:`O(N^3)` for a dense matrix).  CuPy: the
    batched Sturm bisection of :func:`lowest_eigenvalues` for all :math:`N` eigenvalues.
    """
    xp = array_namespace(diag, offdiag)
    if diag.ndim != 2 or offdiag.shape != (diag.shape[0], diag.shape[1] - 1):
        raise InputError(f"diag (batch, N) and offdiag (batch, N-1) shapes do not match: "
                         f"{diag.shape} and {offdiag.shape}")
    if xp is not np:
        return lowest_eigenvalues(diag, offdiag, diag.shape[1])
    from scipy.linalg import eigh_tridiagonal
    if not (np.all(np.isfinite(diag)) and np.all(np.isfinite(offdiag))):
        raise InputError("diag and offdiag must contain only finite numbers")
    out = np.empty(diag.shape, dtype=np.result_type(diag.dtype, offdiag.dtype, np.float32))
    for i in range(diag.shape[0]):               # one LAPACK call per matrix
        out[i] = eigh_tridiagonal(diag[i], offdiag[i], eigvals_only=True)
    return out
