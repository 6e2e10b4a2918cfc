r"""Empirical spectra against analytic laws: index, Kolmogorov–Smirnov and L¹ distances,
and a finite-size study.  Returns numbers (host NumPy), never plots.

Conventions: ``eigs`` is a host or device array of shape ``(samples, n)``; it is moved to the
host once (``to_numpy``).  Theory laws come from :mod:`rmtland.analytic`; for simulated
Pennington–Bahri matrices the theory is evaluated at the *realised* ratio ``n/m``
(:func:`rmtland.sampling.hessian_m`).
"""
import time

import numpy as np

from . import _validate
from ._backend import get_xp, to_numpy
from .analytic import PenningtonBahri
from .sampling import count_negative, eigvalsh_batched, hessian_m, iter_hessian_chunks

__all__ = ["snap_zeros", "index_estimate", "ks_distance", "l1_distance", "fit_power_law",
           "hessian_spectra", "hessian_index_sample", "compare_hessian", "finite_size_study"]


def snap_zeros(eigs):
    r"""Set eigenvalues that are zero to working precision to exactly 0.

    A rank-deficient matrix (e.g. :math:`H_0 = XX^\top/m` with :math:`n > m`) has exact zero
    eigenvalues that a solver returns as :math:`\pm O(n\,u\,\|H\|)`; the usual numerical-
    rank tolerance :math:`|\lambda| \le n\,u \max_i|\lambda_i|` (per matrix, :math:`u` the unit
    roundoff of the dtype; Golub & Van Loan, Sec. 5.4.1) decides.  Returns a float64 host copy.
    """
    eigs = to_numpy(eigs)
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
    eigs = to_numpy(eigs)
    if eigs.ndim != 2 or eigs.size == 0:
        raise ValueError(f"eigs must have shape (samples, n) with samples, n >= 1, "
                         f"got {eigs.shape}")
    frac = np.mean(eigs < x, axis=1)
    stderr = float(np.std(frac, ddof=1) / np.sqrt(frac.size)) if frac.size > 1 else None
    return float(frac.mean()), stderr


def ks_distance(eigs, law):
    r"""Kolmogorov–Smirnov distance :math:`\sup_x |F_N(x) - F(x)|` between the pooled
    empirical CDF of ``eigs`` and the law's CDF (atoms included).

    Both CDFs are right-continuous step-or-smooth functions, so the supremum is attained at
    a sample point, from the right or from the left: :math:`\max_i \max(|F_N(x_i) - F(x_i)|,
    |F_N(x_i^-) - F(x_i^-)|)`, where :math:`F(x^-)` removes an atom of the law at
    :math:`x` (e.g. Marchenko–Pastur's at 0; pass eigenvalues through :func:`snap_zeros`).
    """
    x = np.sort(to_numpy(eigs).ravel().astype(float))
    if x.size == 0:
        raise ValueError("eigs must contain at least one eigenvalue")
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
        raise ValueError("l1_distance needs a law without atoms (the density of an atom is "
                         "not a function); use ks_distance")
    bins = _validate.integer("bins", bins, 1)
    x = to_numpy(eigs).ravel().astype(float)
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
    points)."""
    n, d = np.asarray(n, float), np.asarray(d, float)
    if n.size < 2 or np.any(n <= 0) or np.any(d <= 0):
        raise ValueError("fit_power_law needs at least two positive (n, d) pairs")
    X = np.column_stack([np.ones_like(n), np.log(n)])
    coef, *_ = np.linalg.lstsq(X, np.log(d), rcond=None)
    stderr = None
    if n.size > 2:
        resid = np.log(d) - X @ coef
        cov = resid @ resid / (n.size - 2) * np.linalg.inv(X.T @ X)
        stderr = float(np.sqrt(cov[1, 1]))
    return float(coef[1]), stderr, float(np.exp(coef[0]))


def hessian_spectra(n, phi, eps, samples, *, rng=None, device="cpu", dtype="float64",
                    chunk=None, progress=None):
    r"""Eigenvalues of ``samples`` Pennington–Bahri matrices of size ``n`` (host array).

    Samples chunk by chunk (:func:`rmtland.sampling.iter_hessian_chunks`), diagonalises each
    chunk on its device and copies the eigenvalues to the host; ``progress(done, total)`` is
    called after each chunk.  Returns ``(eigs, seconds)`` with ``eigs`` of shape
    ``(samples, n)``.
    """
    samples = _validate.integer("samples", samples, 1)
    t0 = time.perf_counter()
    out, done = [], 0
    for H in iter_hessian_chunks(n, phi, eps, batch=samples, rng=rng, device=device,
                                 dtype=dtype, chunk=chunk):
        out.append(to_numpy(eigvalsh_batched(H)))
        done += H.shape[0]
        if progress is not None:
            progress(done, samples)
    return np.concatenate(out), time.perf_counter() - t0


def hessian_index_sample(n, phi, eps, samples, *, rng=None, device="cpu", dtype="float64",
                         chunk=None):
    r"""Empirical index of ``samples`` Pennington–Bahri matrices without eigenvalues:
    negative-eigenvalue counts by Sylvester's law of inertia
    (:func:`rmtland.sampling.count_negative`).  Returns ``(mean, stderr, theory)`` with the
    theory at the realised ratio ``n/m``."""
    samples = _validate.integer("samples", samples, 2)
    chunks = iter_hessian_chunks(n, phi, eps, batch=samples, rng=rng, device=device,
                                 dtype=dtype, chunk=chunk)
    if eps == 0:   # H = H0 is singular for phi > 1: its inertia is decided by snap_zeros
        frac = np.concatenate([np.mean(snap_zeros(eigvalsh_batched(H)) < 0, axis=1)
                               for H in chunks])
    else:
        frac = np.concatenate([to_numpy(count_negative(H)) for H in chunks]) / n
    theory = PenningtonBahri(n / hessian_m(n, phi), eps).index()
    return float(frac.mean()), float(frac.std(ddof=1) / np.sqrt(samples)), theory


def compare_hessian(eigs, phi, eps, n):
    r"""Empirical index, KS and L¹ distances of simulated spectra against the theory at the
    realised ratio :math:`\varphi_{\rm eff} = n/m`, :math:`m = \mathrm{round}(n/\varphi)`."""
    phi_eff = n / hessian_m(n, phi)
    law = PenningtonBahri(phi_eff, eps)
    eigs = snap_zeros(eigs)
    alpha, stderr = index_estimate(eigs)
    theory = law.index()
    return {"phi_effective": phi_eff, "eps": float(eps), "empirical_index": alpha,
            "index_stderr": stderr,
            "theory_index": theory,
            "index_z": (alpha - theory) / stderr if stderr else None,
            "ks_distance": ks_distance(eigs, law),
            "l1_distance": l1_distance(eigs, law) if not law.atoms() else None}


def finite_size_study(phi, eps, ns=(250, 500, 1000, 2000, 4000), *, eigenvalues=None,
                      rng=None, device="cpu", dtype="float64", progress=None):
    r"""How the KS and L¹ distances and the index error shrink with ``n``.

    For each ``n`` the number of matrices is ``eigenvalues // n`` (at least 2; default
    ``eigenvalues = 4 * max(ns)``), so every size pools about the same number of eigenvalues
    and the sampling noise of the pooled CDF, :math:`O(N^{-1/2})`, is comparable.  Fits
    :math:`d \propto n^{b}` to each distance (:func:`fit_power_law`).  Seeds: one child of a
    ``SeedSequence`` per size.
    """
    ns = [_validate.integer("n", n, 2) for n in ns]
    if len(ns) < 2:
        raise ValueError("ns must hold at least two sizes")
    total = 4 * max(ns) if eigenvalues is None else _validate.integer("eigenvalues",
                                                                         eigenvalues, 1)
    get_xp(device)  # fail early on a missing GPU
    seeds = np.random.SeedSequence(rng if not isinstance(rng, np.random.SeedSequence)
                                   else rng.entropy).spawn(len(ns))
    rows = []
    for n, seed in zip(ns, seeds):
        samples = max(2, total // n)
        eigs, seconds = hessian_spectra(n, phi, eps, samples, rng=seed, device=device,
                                        dtype=dtype, progress=progress)
        row = {"n": n, "samples": samples, "seconds": seconds}
        row.update(compare_hessian(eigs, phi, eps, n))
        rows.append(row)
    fits = {}
    for key in ("ks_distance", "l1_distance"):
        if all(r[key] for r in rows):
            b, se, c = fit_power_law([r["n"] for r in rows], [r[key] for r in rows])
            fits[key] = {"exponent": b, "exponent_stderr": se, "prefactor": c}
    return {"phi": phi, "eps": eps, "rows": rows, "fits": fits}
