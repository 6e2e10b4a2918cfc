r"""Statistics between empirical spectra and analytic laws, for every domain: the index with
its standard error, Kolmogorov–Smirnov and L¹ distances, zero snapping, power-law fits.

Every function takes **host** (NumPy) arrays and returns numbers; device arrays are moved to
the host once, by the caller, at the boundary (:func:`rmtland._backend.to_numpy`), and a device
array passed here is refused by NumPy itself.  Nothing here samples or plots.
"""
import numpy as np

from .._validate import InputError
from .. import _validate

__all__ = ["snap_zeros", "index_estimate", "ks_distance", "l1_distance", "fit_power_law",
           "mean_and_stderr"]


def snap_zeros(eigs):
    r"""Set eigenvalues that are zero to working precision to exactly 0.

    A rank-deficient matrix (e.g. :math:`H_0 = XX^\top/m` with :math:`n > m`) has exact zero
    eigenvalues that a solver returns as :math:`\pm O(n\,u\,\|H\|)`; the usual numerical-
    rank tolerance :math:`|\lambda| \le n\,u \max_i|\lambda_i|` (per matrix, :math:`u` the unit
    roundoff of the dtype; Golub & Van Loan, Sec. 5.4.1) decides.  Returns a float64 host copy.
    """
    eigs = np.asarray(eigs)
    u = np.finfo(eigs.dtype).eps if np.issubdtype(eigs.dtype, np.floating) else 0.0
    eigs = eigs.astype(float)
    tol = eigs.shape[-1] * u * np.max(np.abs(eigs), axis=-1, keepdims=True)
    return np.where(np.abs(eigs) <= tol, 0.0, eigs)


def index_estimate(eigs, x=0.0):
    r"""Fraction of eigenvalues below ``x`` per matrix, its mean over matrices and the
    standard error of that mean, :math:`s/\sqrt{S}` with the sample standard deviation
    :math:`s` over the :math:`S` matrices (``None`` when :math:`S = 1`).

    Returns
    -------
    mean : float
    stderr : float or None
    """
    eigs = np.asarray(eigs)
    if eigs.ndim != 2 or eigs.size == 0:
        raise InputError(f"eigs must have shape (samples, n) with samples, n >= 1, "
                         f"got {eigs.shape}")
    return mean_and_stderr(np.mean(eigs < x, axis=1))


def mean_and_stderr(values):
    r"""Mean of per-sample ``values`` and its standard error :math:`s/\sqrt{S}` (sample standard
    deviation :math:`s`, :math:`S` samples; ``None`` when :math:`S = 1`)."""
    values = np.asarray(values, dtype=float).ravel()
    if values.size == 0:
        raise InputError("values must hold at least one sample")
    stderr = float(np.std(values, ddof=1) / np.sqrt(values.size)) if values.size > 1 else None
    return float(values.mean()), stderr


def ks_distance(eigs, law):
    r"""Kolmogorov–Smirnov distance :math:`\sup_x |F_N(x) - F(x)|` between the pooled
    empirical CDF of ``eigs`` and the law's CDF (atoms included).

    Both CDFs are right-continuous step-or-smooth functions, so the supremum is attained at
    a sample point, from the right or from the left: :math:`\max_i \max(|F_N(x_i) - F(x_i)|,
    |F_N(x_i^-) - F(x_i^-)|)`, where :math:`F(x^-)` removes an atom of the law at
    :math:`x` (e.g. Marchenko–Pastur's at 0; pass eigenvalues through :func:`snap_zeros`).
    """
    x = np.sort(np.asarray(eigs, dtype=float).ravel())
    if x.size == 0:
        raise InputError("eigs must contain at least one eigenvalue")
    N = x.size
    F = law.cdf(x)
    F_left = F - sum(mass * (x == loc) for loc, mass in law.atoms())
    upper = np.searchsorted(x, x, side="right") / N   # F_N(x)
    lower = np.searchsorted(x, x, side="left") / N    # F_N(x-)
    return float(max(np.max(np.abs(upper - F)), np.max(np.abs(lower - F_left))))


def l1_distance(eigs, law, bins=100):
    r"""L¹ distance :math:`\int |h(x) - \rho(x)|\,dx` between the histogram density ``h`` of
    the pooled ``eigs`` and the law's density (which must have no atoms).

    The histogram spans the law's support and the sample range; inside each bin the
    integral is done by 16-point Gauss–Legendre (the density is smooth within a bin except at
    the edges, where the error is below the histogram's own).
    """
    if law.atoms():
        raise InputError("l1_distance needs a law without atoms (the density of an atom is "
                         "not a function); use ks_distance")
    bins = _validate.integer("bins", bins, 1)
    x = np.asarray(eigs, dtype=float).ravel()
    sup = law.support()
    lo, hi = min(x.min(), sup[0][0]), max(x.max(), sup[-1][1])
    h, edges = np.histogram(x, bins=bins, range=(lo, hi), density=True)
    t, w = np.polynomial.legendre.leggauss(16)
    mid, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
    nodes = mid[:, None] + half[:, None] * t
    rho = law.density(nodes.ravel()).reshape(nodes.shape)
    return float(np.sum(half[:, None] * w * np.abs(h[:, None] - rho)))


def fit_power_law(n, d):
    r"""Least-squares fit :math:`\log d = \log c + b \log n`; returns ``(b, stderr_b, c)``.

    The standard error is the usual OLS one from the residual variance (``None`` with two
    points; e.g. Seber & Lee, *Linear Regression Analysis*, 2nd ed., Wiley 2003, Sec. 3.3)."""
    n, d = np.asarray(n, float), np.asarray(d, float)
    if n.size < 2 or np.any(n <= 0) or np.any(d <= 0):
        raise InputError("fit_power_law needs at least two positive (n, d) pairs")
    X = np.column_stack([np.ones_like(n), np.log(n)])
    coef, *_ = np.linalg.lstsq(X, np.log(d), rcond=None)
    stderr = None
    if n.size > 2:
        resid = np.log(d) - X @ coef
        cov = resid @ resid / (n.size - 2) * np.linalg.inv(X.T @ X)
        stderr = float(np.sqrt(cov[1, 1]))
    return float(coef[1]), stderr, float(np.exp(coef[0]))
