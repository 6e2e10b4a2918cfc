r"""The Pennington–Bahri Hessian: simulated spectra against the free-probability law, and the
theory curves the figures draw (computed here, handed to :mod:`rmtland.plotting.hessian` as
arrays).

For sampled matrices the theory is evaluated at the *realised* ratio :math:`n/m`,
:math:`m = \mathrm{round}(n/\varphi)` (:func:`rmtland.sampling.hessian_m`).

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
Theory", ICML 2017, PMLR 70:2798–2806 (PB17): density (Sec. 3), index (Eq. (13)),
:math:`\varepsilon_c` (Eq. (16)), the 3/2 law (Eq. (17)).
"""
import numpy as np

from .._validate import InputError
from .. import _validate
from .._backend import to_numpy
from ..analytic.hessian import PenningtonBahri, alpha0, eps_c, index
from ..sampling.hessian import hessian_m
from .metrics import index_estimate, ks_distance, l1_distance, mean_and_stderr, snap_zeros

__all__ = ["compare_hessian", "index_from_counts", "index_bias", "index_bias_limit",
           "density_curves", "index_curve", "three_halves_curve", "eps_c_curve",
           "eps_c_numerical", "compare_hessian_estimate"]

#: Relative padding of the density window beyond the supports, atoms and samples.
DENSITY_PAD = 0.04
#: Points of the 3/2 law drawn on [eps_c, (1 + span) eps_c] (log-spaced in x).
THREE_HALVES_POINTS = 60
#: Extra points of an index curve in (eps_c, 2 eps_c], where the onset x^{3/2} is steep.
ONSET_POINTS = 25
#: |z| below which an index bias counts as zero within error (index_bias_limit)
ZERO_Z = 2.0


def compare_hessian(eigs, phi, eps, n):
    r"""Empirical index, KS and L¹ distances of simulated spectra against the theory at the
    realised ratio :math:`\varphi_{\rm eff} = n/m`, :math:`m = \mathrm{round}(n/\varphi)`.

    ``eigs`` (``(samples, n)``, host or device) is moved to the host once, here; zero
    eigenvalues of a rank-deficient :math:`H_0` are snapped first
    (:func:`~rmtland.compare.metrics.snap_zeros`)."""
    phi_eff = n / hessian_m(n, phi)
    law = PenningtonBahri(phi_eff, eps)
    eigs = snap_zeros(to_numpy(eigs))
    alpha, stderr = index_estimate(eigs)
    theory = law.index()
    return {"phi_effective": phi_eff, "eps": float(eps), "empirical_index": alpha,
            "index_stderr": stderr,
            "theory_index": theory,
            "index_z": (alpha - theory) / stderr if stderr else None,
            "ks_distance": ks_distance(eigs, law),
            "l1_distance": l1_distance(eigs, law) if not law.atoms() else None}


def index_from_counts(counts, n, phi, eps):
    r"""Index from negative-eigenvalue counts per matrix (host or device ``counts``):
    ``(mean, stderr, theory)`` with the theory at the realised ratio ``n/m``."""
    frac = to_numpy(counts) / n
    mean, stderr = mean_and_stderr(frac)
    return mean, stderr, PenningtonBahri(n / hessian_m(n, phi), eps).index()


def index_bias(counts, n, phi, eps):
    r"""Finite-size bias of the index in eigenvalues per matrix,
    :math:`b = n(\hat\alpha - \alpha) = \overline{N_-} - n\,\alpha(\varepsilon, n/m)`, from
    the negative-eigenvalue counts :math:`N_-` of ``samples`` matrices of size ``n`` (host or
    device ``counts``), with the theory at the realised ratio :math:`n/m` (PB17 Eq. (13)).

    The standard error is :math:`s/\sqrt{S}` of the counts (:math:`n` times that of
    :math:`\hat\alpha`).  When all :math:`S` counts agree (e.g. no negative eigenvalue at all
    below :math:`\varepsilon_c`) the sample s.e. is 0; it is then floored at :math:`1/S` (one
    matrix in :math:`S` with one more negative eigenvalue) and ``stderr_floored`` says so.

    Returns a dict: ``n``, ``m``, ``phi_effective``, ``samples``, ``mean_count``,
    ``theory_index``, ``b``, ``b_stderr``, ``stderr_floored``, ``negative_fraction`` (the
    fraction of matrices with at least one negative eigenvalue).
    """
    counts = np.asarray(to_numpy(counts), dtype=float).ravel()
    n = _validate.integer("n", n, 1)
    if counts.size < 2:
        raise InputError(f"counts must hold at least 2 samples, got {counts.size}")
    m = hessian_m(n, phi)
    theory = PenningtonBahri(n / m, eps).index()
    mean, se = mean_and_stderr(counts)
    floored = se == 0.0
    return {"n": n, "m": m, "phi_effective": n / m, "samples": int(counts.size),
            "mean_count": mean, "theory_index": theory, "b": mean - n * theory,
            "b_stderr": 1.0 / counts.size if floored else se, "stderr_floored": bool(floored),
            "negative_fraction": float(np.mean(counts > 0))}


def index_bias_limit(ns, b, stderr, *, zero_limit=False):
    r"""The :math:`n \to \infty` limit :math:`b_\infty` of the index bias
    :math:`b(n) = n(\hat\alpha - \alpha)` measured at the sizes ``ns`` with standard errors
    ``stderr`` (:func:`index_bias`).

    Model ``"1/n"`` (default): :math:`b(n) = b_\infty + c/n`, the form of a finite-size
    correction :math:`E\,F_n(0) = F(0) + b_\infty/n + O(n^{-2})` of the expected counting
    function at a point inside the bulk; weighted least squares in :math:`1/n` with weights
    :math:`1/\mathrm{se}_n^2` and the covariance :math:`(X^\top W X)^{-1}` of known variances
    (not rescaled by the residuals; Seber & Lee, *Linear Regression Analysis*, 2nd ed., Wiley
    2003, Sec. 3.10), with the fit's :math:`\chi^2`, its degrees of freedom
    :math:`k - 2` and p-value as a check of the model.  Also the weighted mean over ``ns``
    (the limit if there is no trend) and :math:`z_c = c/\mathrm{se}(c)`.

    Model ``"largest n"`` (``zero_limit=True``, for losses with :math:`\alpha = 0`, i.e.
    :math:`\varphi < 1`, :math:`\varepsilon \le \varepsilon_c`): there the law has no mass
    below 0 and a negative eigenvalue needs the smallest one to cross the positive gap
    :math:`\lambda_-`, so :math:`b(n) \ge 0` falls to 0 (faster than any power once the
    edge window :math:`\propto n^{-2/3}` is well inside the gap); :math:`c/n` is not its form.
    :math:`b_\infty` is then reported as :math:`b` at the largest ``n``, an upper estimate.

    Returns a dict: ``model``, ``b_inf``, ``b_inf_stderr``, ``z`` (:math:`b_\infty/\mathrm{se}`),
    ``zero_within_error`` (:math:`|z| <` :data:`ZERO_Z`), and for model ``"1/n"`` also ``c``,
    ``c_stderr``, ``c_z``, ``chi2``, ``dof``, ``p_value`` (None for 0 degrees of freedom),
    ``b_mean``, ``b_mean_stderr``.
    """
    ns = np.asarray(ns, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    se = np.asarray(stderr, dtype=float).ravel()
    if not (ns.size == b.size == se.size) or ns.size < 1:
        raise InputError("ns, b and stderr must have one common length >= 1")
    if np.any(ns < 1) or not (np.all(np.isfinite(b)) and np.all(np.isfinite(se))
                              and np.all(se > 0)):
        raise InputError("ns must be >= 1, b finite and stderr finite and > 0")
    order = np.argsort(ns)
    ns, b, se = ns[order], b[order], se[order]
    if zero_limit:
        out = {"model": "largest n", "b_inf": float(b[-1]), "b_inf_stderr": float(se[-1])}
    else:
        if ns.size < 2 or np.unique(ns).size < 2:
            raise InputError("the 1/n model needs at least two different sizes")
        from scipy.stats import chi2 as chi2_dist
        w = 1.0 / se ** 2
        X = np.column_stack([np.ones_like(ns), 1.0 / ns])
        cov = np.linalg.inv(X.T @ (w[:, None] * X))
        coef = cov @ (X.T @ (w * b))
        resid = b - X @ coef
        chi2 = float(np.sum(w * resid ** 2))
        dof = int(ns.size - 2)
        c_se = float(np.sqrt(cov[1, 1]))
        out = {"model": "1/n", "b_inf": float(coef[0]), "b_inf_stderr": float(np.sqrt(cov[0, 0])),
               "c": float(coef[1]), "c_stderr": c_se, "c_z": float(coef[1]) / c_se,
               "chi2": chi2, "dof": dof,
               "p_value": float(chi2_dist.sf(chi2, dof)) if dof > 0 else None,
               "b_mean": float(np.sum(w * b) / np.sum(w)),
               "b_mean_stderr": float(1.0 / np.sqrt(np.sum(w)))}
    out["z"] = out["b_inf"] / out["b_inf_stderr"]
    out["zero_within_error"] = bool(abs(out["z"]) < ZERO_Z)
    return out


def _density_grid(law, lo, hi, n_points):
    """Uniform grid on [lo, hi] plus cosine-clustered nodes on every support interval, so that
    narrow bumps (the smeared atom at small eps) and square-root edges are resolved; the
    edges themselves and 0 are grid points."""
    parts = [np.linspace(lo, hi, n_points), [0.0] if lo < 0 < hi else []]
    n_edge = max(40, n_points // 8)
    theta = np.linspace(0.0, np.pi, n_edge)
    for a, b in law.support():
        nodes = (a + b) / 2 - (b - a) / 2 * np.cos(theta)
        nodes[0], nodes[-1] = a, b
        parts.append(nodes)
    return np.unique(np.concatenate(parts))


def density_curves(params, *, samples=None, n_points=2000):
    r"""Theory lines :math:`\rho(\lambda)` of the Pennington–Bahri law for each
    :math:`(\varphi, \varepsilon)` of ``params``, on one common window that covers every
    support, atom and sample (padded by :data:`DENSITY_PAD`).

    Returns a list of dicts (one per pair, in order): ``phi``, ``eps``, ``x``, ``rho``
    (continuous part, PB17 Sec. 3), ``support``, ``atoms`` (``[(loc, mass)]``), ``index``
    (PB17 Eq. (13)), ``window`` (``(lo, hi)``).
    """
    pairs = [(_validate.positive("phi", phi), _validate.nonnegative("eps", e))
             for phi, e in params]
    if not pairs:
        raise InputError("params must contain at least one (phi, eps) pair")
    n_points = _validate.integer("n_points", n_points, 10)
    laws = [PenningtonBahri(phi, eps) for phi, eps in pairs]
    atoms = [loc for law in laws for loc, _ in law.atoms()]
    lo = min([law.support()[0][0] for law in laws] + atoms)
    hi = max([law.support()[-1][1] for law in laws] + atoms)
    for eigs in (samples or {}).values():
        e = to_numpy(eigs)
        if e.size:
            lo, hi = min(lo, float(np.min(e))), max(hi, float(np.max(e)))
    pad = DENSITY_PAD * (hi - lo)
    lo, hi = lo - pad, hi + pad
    curves = []
    for (phi, eps), law in zip(pairs, laws):
        x = _density_grid(law, lo, hi, n_points)
        curves.append({"phi": phi, "eps": eps, "x": x, "rho": law.density(x),
                       "support": [tuple(map(float, s)) for s in law.support()],
                       "atoms": [(float(a), float(m)) for a, m in law.atoms()],
                       "index": float(law.index()), "window": (lo, hi)})
    return curves


def index_curve(phi, eps_grid, *, three_halves_span=1.0):
    r""":math:`\alpha(\varepsilon, \varphi)` on ``eps_grid``; for :math:`\varphi < 1` with
    :math:`\varepsilon_c` inside the grid's range, also :math:`\varepsilon_c` itself and
    :data:`ONSET_POINTS` points in :math:`(\varepsilon_c, 2\varepsilon_c]`, and the 3/2 law
    :math:`\alpha_0 x^{3/2}`, :math:`x = (\varepsilon-\varepsilon_c)/\varepsilon_c`, on
    :math:`[\varepsilon_c, (1 + \text{span})\varepsilon_c]` (PB17 Eqs. (13), (16), (17)).

    Returns a dict: ``phi``, ``eps_c``, ``eps``, ``alpha``, and ``law`` (``(eps, alpha)`` of
    the 3/2 law, or ``None``).
    """
    phi = _validate.positive("phi", phi)
    eps_grid = np.sort(_validate.finite_array("eps_grid", eps_grid).ravel())
    if eps_grid.size == 0 or np.any(eps_grid < 0):
        raise InputError("eps_grid must hold at least one value, all >= 0")
    span = _validate.positive("three_halves_span", three_halves_span)
    ec = eps_c(phi)
    grid = [eps_grid]
    inside = ec > 0 and eps_grid[0] <= ec <= eps_grid[-1]
    if inside:
        grid.append(ec * (1 + np.concatenate([[0.0], np.geomspace(1e-3, 1.0, ONSET_POINTS)])))
    x = np.unique(np.concatenate(grid))
    x = x[(x >= eps_grid[0]) & (x <= eps_grid[-1])]
    law = None
    if phi < 1 and inside:
        xr = np.concatenate([[0.0], np.geomspace(1e-3, 1.0, THREE_HALVES_POINTS) * span])
        law = (ec * (1 + xr), alpha0(phi) * xr ** 1.5)
    return {"phi": phi, "eps_c": ec, "eps": x, "alpha": np.array([index(e, phi) for e in x]),
            "law": law}


def three_halves_curve(phi, x_grid):
    r"""The 3/2 law as a collapse, :math:`0 < \varphi < 1`: :math:`\alpha/\alpha_0(\varphi)` at
    :math:`\varepsilon = \varepsilon_c(1 + x)` for ``x_grid`` (:math:`x > 0`), beside the law
    :math:`x^{3/2}` it tends to as :math:`x \downarrow 0` (PB17 Eq. (17)).

    Returns a dict: ``phi``, ``eps_c``, ``alpha0``, ``x``, ``ratio`` (:math:`\alpha/\alpha_0`),
    ``law`` (:math:`x^{3/2}`).
    """
    phi = _validate.positive("phi", phi)
    a0 = alpha0(phi)                         # ValueError for phi >= 1
    x = np.sort(_validate.finite_array("x_grid", x_grid).ravel())
    if x.size == 0 or np.any(x <= 0):
        raise InputError("x_grid must hold at least one value, all > 0")
    ec = eps_c(phi)
    return {"phi": phi, "eps_c": ec, "alpha0": a0, "x": x,
            "ratio": np.array([index(ec * (1 + v), phi) for v in x]) / a0, "law": x ** 1.5}


def eps_c_curve(phi_grid):
    r""":math:`\varepsilon_c(\varphi)` and :math:`\alpha_0(\varphi)` on ``phi_grid``
    (:math:`0 < \varphi < 1`; PB17 Eqs. (16)–(17)).  Returns a dict ``phi``, ``eps_c``,
    ``alpha0``."""
    grid = np.sort(_validate.finite_array("phi_grid", phi_grid).ravel())
    if grid.size == 0 or np.any(grid <= 0) or np.any(grid >= 1):
        raise InputError("phi_grid must hold values in (0, 1): eps_c = 0 and alpha0 is "
                         "undefined for phi >= 1")
    return {"phi": grid, "eps_c": np.array([eps_c(phi) for phi in grid]),
            "alpha0": np.array([alpha0(phi) for phi in grid])}


def eps_c_numerical(phi, *, xtol=1e-15):
    r""":math:`\varepsilon_c(\varphi)` found numerically, independently of the closed form: the
    root in :math:`\varepsilon` of the left support edge :math:`\lambda_-(\varepsilon, \varphi) = 0`
    (:meth:`PenningtonBahri.support`), bracketed in :math:`[10^{-12}, 1]` (:math:`0 < \varphi < 1`).

    The edge is linear in :math:`\varepsilon` near the root (slope :math:`-2 g_c`), so the root is
    well conditioned, unlike the zero crossing of the index (:math:`\propto x^{3/2}`).
    """
    from scipy.optimize import brentq
    phi = _validate.positive("phi", phi)
    if not phi < 1:
        raise InputError(f"phi must be in (0, 1), got {phi!r}")
    return brentq(lambda e: PenningtonBahri(phi, e).support()[0][0], 1e-12, 1.0, xtol=xtol,
                  rtol=4 * np.finfo(float).eps, maxiter=200)


def compare_hessian_estimate(x, cdf, index, phi, eps, n, *, index_bias_bound=None):
    r"""Matrix-free estimates (:func:`rmtland.linalg.spectral.spectrum`) against the theory at
    the realised ratio :math:`n/m`: the index and a KS distance on the grid, each with its
    standard error.

    Parameters
    ----------
    x : array ``(G,)``
        The grid of the CDF.
    cdf : array ``(P, G)``
        One CDF estimate per probe (all probes of all matrices pooled: each (matrix, probe)
        pair is an independent draw of an unbiased estimate of the expected spectral CDF).
    index : array ``(P,)``
        The index estimate of each probe.
    index_bias_bound : float, optional
        The estimator's bias bound (reported, and added to the error bar of ``index_z``'s
        verdict by the caller).

    Returns
    -------
    dict
        The keys of :func:`compare_hessian` (``l1_distance`` None: no histogram here)
        and ``ks_stderr`` (the standard error of the CDF estimate where the KS sup is attained),
        ``index_bias_bound``.  The KS distance here is :math:`\sup_{x \in \text{grid}}
        |\hat F(x) - F(x)|`: it includes the estimator's noise, :math:`O(\text{ks\_stderr})`.
    """
    x = np.asarray(x, dtype=float)
    cdf = np.atleast_2d(np.asarray(cdf, dtype=float))
    phi_eff = n / hessian_m(n, phi)
    law = PenningtonBahri(phi_eff, eps)
    alpha, stderr = mean_and_stderr(index)
    F, Fs = cdf.mean(axis=0), (cdf.std(axis=0, ddof=1) / np.sqrt(cdf.shape[0])
                               if cdf.shape[0] > 1 else np.zeros(x.size))
    gap = np.abs(F - law.cdf(x))
    i = int(np.argmax(gap))
    theory = law.index()
    return {"phi_effective": phi_eff, "eps": float(eps), "empirical_index": alpha,
            "index_stderr": stderr, "theory_index": theory,
            "index_z": (alpha - theory) / stderr if stderr else None,
            "index_bias_bound": None if index_bias_bound is None else float(index_bias_bound),
            "ks_distance": float(gap[i]), "ks_stderr": float(Fs[i]), "l1_distance": None}
