r"""The spherical p-spin glass: critical points found in sampled Hamiltonians against the
theory, the exact finite-N mean number of critical points, and the theory curves the figures
draw (computed here, handed to :mod:`rmtland.plotting.spinglass` as arrays).

Critical points of the spherical p-spin model
---------------------------------------------
ABC13 Thm. 2.3 (Eq. (2.7)): for a Borel set :math:`B`, the mean number of critical points of index
:math:`k` of :math:`H_{N,p}` (DESIGN.md convention) with energy per site in :math:`B` is

.. math:: \mathbb E\,\mathrm{Crt}_{N,k}(B) = 2\sqrt{2/p}\,(p-1)^{N/2}\;
          \mathbb E_{\rm GOE}^{N}\Bigl[e^{-N\frac{p-2}{2p}(\lambda_k^N)^2}\,
          \mathbf 1\bigl\{\lambda_k^N \in \sqrt{\tfrac{p}{2(p-1)}}\,B\bigr\}\Bigr],

with :math:`\lambda_k^N` the :math:`(k+1)`-th smallest eigenvalue of an :math:`N\times N` GOE
(size :math:`N`, not :math:`N-1`) with :math:`\mathbb E M_{ij}^2 = (1+\delta_{ij})/(2N)`.  For
:math:`B = (-\infty, u)` the event is :math:`\lambda_k < t := \sqrt{p/(2(p-1))}\,u`;
:math:`u = -E_\infty` maps to the spectral edge :math:`t = -\sqrt2`.  As :math:`N\to\infty`,
:math:`N^{-1}\log\mathbb E\,\mathrm{Crt}_{N,k}((-\infty,u)) \to \Theta_{k,p}(u)`
(:func:`rmtland.analytic.spinglass.complexity_index`, ABC13 Thm. 2.5).  For :math:`p = 2` the
exponential factor is 1 and :math:`\mathbb E\,\mathrm{Crt}_{N,k}(\mathbb R) = 2` exactly (the
2-spin Hamiltonian is a quadratic form: its critical points are the :math:`\pm` eigenvectors).

References
----------
A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
Comm. Pure Appl. Math. 66, 165 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129 (ABC13).
I. Dumitriu, A. Edelman, "Matrix models for beta ensembles", J. Math. Phys. 43, 5830 (2002),
doi:10.1063/1.1507823.
"""
import math
import warnings

import numpy as np

from .._validate import InputError
from .. import _seeds, _validate
from .._backend import get_xp, to_numpy
from ..analytic import spinglass as sg
from ..linalg.tridiagonal import lowest_eigenvalues
from ..sampling.ensembles import sample_goe_tridiagonal

__all__ = ["mean_critical_points", "summarize_critical_points", "complexity_curves",
           "index_fraction_curve", "CHUNK"]

#: Samples per chunk in :func:`mean_critical_points` (bounds the working memory).
CHUNK = 4096


def _conditional_logy(d, e, k, t, a, gen, xp):
    r"""log of the per-sample terms (without the prefactor) of the conditional estimator of
    :func:`mean_critical_points`; overwrites ``d[:, 0]`` with its conditional draw."""
    from scipy.special import log_ndtr, ndtri_exp
    b, N = d.shape
    # eigenvalues mu_0 <= mu_1 <= ... of the trailing block T_{2:} (rows/columns 2..N)
    m_sub = min(k + 1, N - 1)
    mu = to_numpy(lowest_eigenvalues(d[:, 1:], e[:, 1:], m_sub))
    mu_lo = mu[:, k - 1] if k >= 1 else np.full(b, -np.inf)
    mu_hi = mu[:, k] if k <= N - 2 else np.full(b, np.inf)
    # r_2(t): last pivot of the backward LDL^T recurrence of T_{2:} - t, so that
    # [(T_{2:} - t)^{-1}]_{11} = 1/r_2 and h(t) = t + e_1^2 / r_2(t)
    tiny = np.finfo(np.float64).tiny
    r = d[:, N - 1] - t
    for i in range(N - 2, 0, -1):
        r = xp.where(xp.abs(r) < tiny, -tiny, r)
        r = d[:, i] - t - e[:, i] * e[:, i] / r
    r = to_numpy(r)
    e1sq = to_numpy(e[:, 0]) ** 2
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        x_hi = t + e1sq / np.where(np.abs(r) < tiny, -tiny, r)
    impossible = t <= mu_lo
    certain = t >= mu_hi
    z_hi = np.where(certain, np.inf, np.sqrt(N) * x_hi)
    z_hi = np.where(impossible, -np.inf, z_hi)
    log_phi = log_ndtr(z_hi)                                # log P(d_1 < x_hi)
    v = 1.0 - to_numpy(gen.random(b, dtype=np.float64))     # uniform on (0, 1]
    live = ~impossible
    x = np.zeros(b)
    x[live] = ndtri_exp(log_phi[live] + np.log(v[live])) / math.sqrt(N)
    x = np.minimum(x, np.where(certain, np.inf, x_hi))
    d[:, 0] = xp.asarray(x)
    lam = np.minimum(to_numpy(lowest_eigenvalues(d, e, k + 1)[:, k]), t)
    return np.where(live, log_phi - a * lam * lam, -np.inf)


def mean_critical_points(N, p, k, u, *, samples, rng=None, device="cpu", importance=True,
                         chunk=CHUNK):
    r"""Monte Carlo estimate of :math:`\mathbb E\,\mathrm{Crt}_{N,k}((-\infty, u))`, the mean number
    of critical points of index ``k`` with energy per site below ``u`` of the spherical p-spin
    model, from the exact finite-N GOE formula of ABC13 Thm. 2.3, Eq. (2.7):

    .. math:: \mathbb E\,\mathrm{Crt}_{N,k}(B) = 2\sqrt{2/p}\,(p-1)^{N/2}\;
              \mathbb E\Bigl[e^{-N\frac{p-2}{2p}\lambda_k^2}\,
              \mathbf 1\bigl\{\lambda_k \in \sqrt{\tfrac{p}{2(p-1)}}\,B\bigr\}\Bigr],

    :math:`\lambda_k` the :math:`(k+1)`-th smallest eigenvalue of an :math:`N\times N` GOE with
    :math:`\mathbb E M_{ij}^2 = (1+\delta_{ij})/(2N)` (semicircle on :math:`[-\sqrt2,\sqrt2]`),
    sampled as a Dumitriu–Edelman tridiagonal matrix; :math:`\lambda_k` by Sturm bisection.

    Parameters
    ----------
    N : int
        Dimension, ``>= 2``.
    p : int
        Interaction order, ``>= 2``.
    k : int
        Index, ``0 <= k <= N - 1``.
    u : float
        Finite upper end of the energy window :math:`B = (-\infty, u)`.
    samples : int
        Number of GOE matrices, ``>= 2``.
    rng, device
        Random source and device (as in
        :func:`rmtland.sampling.ensembles.sample_goe_tridiagonal`).
    importance : bool, optional
        Use the conditional (importance) sampler of the Notes (default); ``False`` gives plain
        Monte Carlo.
    chunk : int, optional
        Matrices per chunk (memory bound).

    Returns
    -------
    dict
        ``mean``, ``stderr`` (standard error of the mean from the (weighted) sample),
        ``rel_stderr`` (= stderr/mean, scale free), ``log_mean`` (natural log of the mean,
        computed by log-sum-exp, so that :math:`(p-1)^{N/2}` never overflows; ``-inf`` when no
        sample hit the event), ``samples``, ``ess`` (Kish effective sample size
        :math:`(\sum_i y_i)^2/\sum_i y_i^2` of the per-sample terms :math:`y_i` of the
        estimator), ``hits`` (samples with a non-zero term), ``method`` (``"plain"`` or
        ``"conditional"``), ``t`` (the eigenvalue threshold :math:`\sqrt{p/(2(p-1))}\,u`),
        ``N``, ``p``, ``k``, ``u``.  ``mean`` and ``stderr`` overflow to ``inf`` beyond
        ``log_mean`` ≈ 709; use ``log_mean`` and ``rel_stderr`` there.

    Notes
    -----
    **Importance sampling of** :math:`d_1` **from its exact conditional law.**  Write the
    tridiagonal matrix as :math:`T = d_1 e_1e_1^\top + T'`, with :math:`d_1 \sim N(0, 1/N)`
    independent of the rest :math:`R = (d_2, \dots, d_N, e_1, \dots, e_{N-1})`.  Let
    :math:`\mu_0 \le \mu_1 \le \dots` be the eigenvalues of the trailing block :math:`T_{2:}`.
    Expanding the determinant, :math:`\lambda` is an eigenvalue of :math:`T` iff
    :math:`d_1 = h(\lambda) := \lambda + e_1^2/r_2(\lambda)`, with
    :math:`1/r_2(\lambda) = [(T_{2:}-\lambda)^{-1}]_{11}`; :math:`h` is increasing on each
    interval :math:`(\mu_{j-1}, \mu_j)`, and by interlacing :math:`\lambda_k \in (\mu_{k-1},
    \mu_k)` (:math:`\mu_{-1} = -\infty`, :math:`\mu_{N-1} = +\infty`).  Hence, given :math:`R`,
    :math:`\{\lambda_k < t\}` is empty if :math:`t \le \mu_{k-1}`, certain if
    :math:`t \ge \mu_k`, and otherwise equals :math:`\{d_1 < x_{\rm hi}\}`,
    :math:`x_{\rm hi} = h(t)` (:math:`r_2(t)` from the backward :math:`LDL^\top` recurrence of
    :math:`T_{2:} - t`).  The sampler draws :math:`R` from its law, then :math:`d_1` from
    :math:`N(0, 1/N)` conditioned on :math:`d_1 < x_{\rm hi}` (inverse CDF in log space,
    ``scipy.special.ndtri_exp``), and uses the term

    .. math:: y = 2\sqrt{2/p}\,(p-1)^{N/2}\;\Phi(\sqrt N x_{\rm hi})\;e^{-N(p-2)\lambda_k^2/(2p)},

    :math:`\Phi(\sqrt N x_{\rm hi}) = P(d_1 < x_{\rm hi} \mid R)` being exactly the likelihood
    ratio of this proposal on the event.  The estimator is unbiased and its variance is at most
    the plain one (same conditional mean given :math:`R`, smaller conditional variance).  The
    part of the rare event carried by :math:`d_1` (a Gaussian tail of any depth) is integrated
    exactly, so every sample contributes (``hits`` = ``samples`` unless the event is impossible
    given :math:`R`) where plain Monte Carlo sees none.  What remains is the spread of
    :math:`\log\Phi(\sqrt N x_{\rm hi})` over :math:`R` (mostly through :math:`e_1`), of order
    :math:`\sqrt N` deep below the edge; ``ess`` reports it, and the standard error
    :math:`\mathrm{sd}(y)/\sqrt n` (computed in log space) is then itself unreliable when
    ``ess`` is small.
    """
    N = _validate.integer("N", N, 2)
    p = _validate.integer("p", p, 2)
    k = _validate.integer("k", k, 0)
    if k > N - 1:
        raise InputError(f"k must be an integer in [0, N-1={N - 1}], got {k}")
    u = _validate.finite("u", u)
    samples = _validate.integer("samples", samples, 2)
    chunk = _validate.integer("chunk", chunk, 1)
    if not isinstance(importance, (bool, np.bool_)):
        raise InputError(f"importance must be True or False, got {importance!r}")
    xp = get_xp(device)
    gen = _seeds.generator(rng, xp)

    t = math.sqrt(p / (2.0 * (p - 1))) * u
    method = "conditional" if importance else "plain"
    log_pref = math.log(2.0) + 0.5 * math.log(2.0 / p) + 0.5 * N * math.log(p - 1)
    a = N * (p - 2) / (2.0 * p)

    logs = []
    done = 0
    while done < samples:
        b = min(chunk, samples - done)
        d, e = sample_goe_tridiagonal(N, batch=b, rng=gen, device=device)
        if importance:
            logy = _conditional_logy(d, e, k, t, a, gen, xp)
        else:
            lam = lowest_eigenvalues(d, e, k + 1)[:, k]
            logy = to_numpy(xp.where(lam < t, -a * lam * lam, -xp.inf))
        logs.append(logy)
        done += b
    logy = np.concatenate(logs)
    hits = int(np.count_nonzero(np.isfinite(logy)))
    base = {"samples": samples, "hits": hits, "method": method, "t": t,
            "N": N, "p": p, "k": k, "u": u}
    if hits == 0:
        warnings.warn(f"no sample fell in the event lambda_k < {t:.6g}; the estimate is 0 with "
                      "no error bar (raise samples, or use importance=True)", RuntimeWarning,
                      stacklevel=2)
        return {"mean": 0.0, "stderr": 0.0, "rel_stderr": math.inf, "log_mean": -math.inf,
                "ess": 0.0, **base}
    M = float(np.max(logy))
    z = np.exp(logy - M)                                   # in [0, 1], 0 off the event
    s1 = float(z.sum())
    s2 = float((z * z).sum())
    n = samples
    mean_z = s1 / n
    var_z = max(s2 / n - mean_z * mean_z, 0.0) * n / (n - 1)
    se_z = math.sqrt(var_z / n)
    log_mean = log_pref + M + math.log(mean_z)
    with np.errstate(over="ignore"):
        mean = float(np.exp(log_mean))
        stderr = float(np.exp(log_pref + M) * se_z)
    return {"mean": mean, "stderr": stderr, "rel_stderr": se_z / mean_z, "log_mean": log_mean,
            "ess": s1 * s1 / s2, **base}


def summarize_critical_points(energy_per_site, index, grad_norm, N, p):
    r"""Numbers of a set of distinct critical points of one Hamiltonian against the theory.

    Parameters are host or device arrays of the points' energies per site :math:`u`, indices
    :math:`k` and gradient norms :math:`|\mathrm{grad}|/N` (moved to the host once, here).

    Returns a dict: ``critical_points``, ``minima``, ``minima_energy_mean``,
    ``minima_energy_std`` (``None`` when undefined), ``lowest_energy``, ``E_0``, ``E_inf``
    (ABC13 Eq. (2.13), Thm. 2.5), ``max_gradient_norm``,
    ``index_fraction_mean_abs_error`` (mean of :math:`|k/(N-1) - F_{sc}(2u/E_\infty)|`, the
    semicircle law of the index at energy :math:`u`), ``index_histogram``, and ``points``
    (``energy_per_site``, ``index``, ``minima_energy_per_site`` as lists).
    """
    u = np.asarray(to_numpy(energy_per_site), dtype=float).ravel()
    idx = np.asarray(to_numpy(index)).astype(np.int64).ravel()
    gnorm = np.asarray(to_numpy(grad_norm), dtype=float).ravel()
    minima = u[idx == 0]
    frac_err = np.abs(idx / (N - 1) - sg.index_fraction(u, p)) if u.size else np.zeros(0)
    return {"critical_points": int(u.size), "minima": int(minima.size),
            "minima_energy_mean": float(minima.mean()) if minima.size else None,
            "minima_energy_std": float(minima.std(ddof=1)) if minima.size > 1 else None,
            "lowest_energy": float(u.min()) if u.size else None,
            "E_0": sg.threshold(0, p), "E_inf": sg.E_inf(p),
            "max_gradient_norm": float(gnorm.max()) if gnorm.size else None,
            "gradient_norm_definition": "|P grad H|_2 / N at each point",
            "index_fraction_mean_abs_error": float(frac_err.mean()) if u.size else None,
            "index_histogram": np.bincount(idx, minlength=1).tolist() if idx.size else [],
            "points": {"energy_per_site": u.tolist(), "index": idx.tolist(),
                       "minima_energy_per_site": minima.tolist()}}


def index_fraction_curve(p, lo, hi, n_points=400):
    r"""The semicircle law of the index fraction at energy :math:`u`,
    :math:`F_{sc}(2u/E_\infty)` on ``n_points`` of :math:`[lo, hi]`, with the thresholds:
    a dict ``p``, ``u``, ``fraction``, ``E_0``, ``E_inf`` (ABC13 Thm. 2.5, Eq. (2.13))."""
    u = np.linspace(_validate.finite("lo", lo), _validate.finite("hi", hi),
                    _validate.integer("n_points", n_points, 2))
    return {"p": int(p), "u": u, "fraction": sg.index_fraction(u, p),
            "E_0": sg.threshold(0, p), "E_inf": sg.E_inf(p)}


def complexity_curves(p, ks=range(6), *, u_range=None, n_points=600):
    r"""Complexities of the spherical :math:`p`-spin glass for the complexity figure: on a wide
    window and on the band :math:`[-E_0, -E_\infty]`, :math:`\Theta_{k,p}(u)` for each ``k``
    (ABC13 Thm. 2.5) and the total :math:`\Theta_p(u)` (Thm. 2.8).

    Returns a dict: ``p``, ``ks``, ``E_inf``, ``E`` (``{k: E_k}``), ``theta_at_minus_E_inf``
    (:math:`\Theta_{0,p}(-E_\infty)`), and ``panels``: two dicts with ``u``, ``theta``
    (``{k: array}``) and ``total``.
    """
    ks = [_validate.integer("k", k, 0) for k in ks]
    n_points = _validate.integer("n_points", n_points, 2)
    E_inf = sg.E_inf(p)
    E = {k: sg.threshold(k, p) for k in ks}
    lo = -1.15 * E[min(ks)] if u_range is None else _validate.finite("u_range[0]", u_range[0])
    hi = 0.5 if u_range is None else _validate.finite("u_range[1]", u_range[1])
    panels = []
    for a, b in ((lo, hi), (-E[min(ks)] - 0.01, -E_inf + 0.01)):
        u = np.linspace(a, b, n_points)
        panels.append({"u": u, "theta": {k: sg.complexity_index(u, p, k) for k in ks},
                       "total": sg.complexity_total(u, p)})
    return {"p": int(p), "ks": ks, "E_inf": E_inf, "E": E, "panels": panels,
            "theta_at_minus_E_inf": float(sg.complexity_index([-E_inf], p, 0)[0])}
