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
           "index_fraction_curve", "index_shift", "minima_band_statistics", "CHUNK"]

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


#: Gauss–Legendre nodes of the per-sample integral of the spectral estimator.
_SPECTRAL_NODES = 32
#: Window of the per-sample integral, in units of its log-integrand: what lies outside is below
#: exp(-_SPECTRAL_K) times the integrand's maximum (strong log-concavity; Notes).
_SPECTRAL_K = 40.0
#: Number of batches of the batch-means standard error of :func:`mean_critical_points`.
_BATCHES = 32
#: :func:`mean_critical_points` warns below this effective sample size (when it is also below
#: half the samples; its Notes).
_ESS_MIN = 100


def _log_char(d, e, x, xp):
    r""":math:`\sum_j \log|x - y_j|` and its derivative :math:`\sum_j 1/(x - y_j)`, :math:`y_j`
    the eigenvalues of the tridiagonal matrices ``(d, e)`` (rows ``(b, n)``, ``(b, n-1)``), at
    ``x`` of shape ``(b, m)``: the pivots :math:`r_i` of the backward :math:`LDL^\top`
    recurrence of :math:`T - x` (:math:`\det(T - x) = \prod_i r_i`) and their derivatives."""
    tiny = float(np.finfo(np.float64).tiny)
    n = d.shape[1]
    r = d[:, n - 1:n] - x
    rp = -xp.ones_like(x)
    logdet = xp.log(xp.abs(r))
    slope = rp / r
    for i in range(n - 2, -1, -1):
        r = xp.where(xp.abs(r) < tiny, -tiny, r)
        e2 = e[:, i:i + 1] * e[:, i:i + 1]
        rp = -1.0 + e2 * rp / (r * r)
        r = d[:, i:i + 1] - x - e2 / r
        logdet = logdet + xp.log(xp.abs(r))
        slope = slope + rp / r
    return logdet, slope


def _spectral_log_constant(N):
    r""":math:`\log(N Z_{N-1}/Z_N)`, :math:`Z_n = \int_{\mathbb R^n}\prod_{i<j}|x_i - x_j|\,
    e^{-N\sum_i x_i^2/2}\,dx` (Mehta's integral, Notes)."""
    return (math.log(N) + 0.5 * N * math.log(N) - 0.5 * math.log(2 * math.pi)
            - math.lgamma(1 + N / 2) + math.lgamma(1.5))


def _spectral_logy(N, k, t, a, b, gen, xp, device):
    r"""log of ``b`` per-sample terms (without the prefactor) of the spectral estimator of
    :func:`mean_critical_points` (its Notes): the eigenvalues :math:`y` of an
    :math:`(N-1)`-point GOE, and the exact integral over :math:`\lambda_k` given them."""
    from scipy.special import roots_legendre
    n = N - 1
    if n == 1:
        d = gen.standard_normal((b, 1), dtype=np.float64) / math.sqrt(N)
        e = xp.zeros((b, 0))
    else:   # the n x n GOE with E M_ii^2 = 1/N, E M_ij^2 = 1/(2N): weight exp(-N y^2/2)
        d, e = sample_goe_tridiagonal(n, batch=b, rng=gen, device=device, var=n / (2.0 * N))
    y = lowest_eigenvalues(d, e, min(k + 1, n))
    c0 = N + 2.0 * a                  # -(log-integrand)'' >= c0 everywhere (Notes)
    K = _SPECTRAL_K
    with np.errstate(all="ignore"):
        lo = y[:, k - 1] if k >= 1 else xp.full(b, -xp.inf)
        y_k = y[:, k] if k <= n - 1 else xp.full(b, xp.inf)
        hi = xp.minimum(y_k, t)
        live = hi > lo
        hi = xp.where(live, hi, 0.0)
        # left end of the search for the maximiser: lo, or a point where the slope is > 0:
        # for x <= min(y_0, 0) - 1, slope >= c0 |x| - (N - 1)/(y_0 - x) >= c0 - N + 1 > 0
        left = lo if k >= 1 else xp.minimum(y[:, 0], 0.0) - 1.0
        left = xp.where(live, left, hi - 1.0)
        # the maximum is at hi = t when the slope there is >= 0 (t below y_k), else inside
        at_t = y_k > t
        _, s = _log_char(d, e, hi[:, None], xp)
        s_hi = xp.where(at_t, -c0 * hi + s[:, 0], -xp.inf)
        edge = live & (s_hi >= 0)
        L, R = left, hi
        if not bool(xp.all(edge | ~live)):
            for _ in range(32):       # bisection on the (decreasing) slope
                mid = 0.5 * (L + R)
                _, s = _log_char(d, e, mid[:, None], xp)
                up = -c0 * mid + s[:, 0] > 0
                L, R = xp.where(up, mid, L), xp.where(up, R, mid)
        x_star = xp.where(edge, hi, 0.5 * (L + R))
        half = math.sqrt(2.0 * K / c0)    # the Gaussian bound exp(-c0 (x - x*)^2 / 2)
        width = xp.where(edge, xp.minimum(half, K / xp.where(edge, s_hi, 1.0)), half)
        A = xp.maximum(x_star - width, xp.where(live, lo, hi - 1.0))
        B = xp.where(edge, hi, xp.minimum(x_star + width, hi))
        tau, w = roots_legendre(_SPECTRAL_NODES)
        tau, w = xp.asarray(tau), xp.asarray(w)
        x = 0.5 * (A + B)[:, None] + 0.5 * (B - A)[:, None] * tau[None, :]
        logdet, _ = _log_char(d, e, x, xp)
        ell = -0.5 * c0 * x * x + logdet
        M = xp.max(ell, axis=1)
        log_int = M + xp.log(xp.sum(w[None, :] * xp.exp(ell - M[:, None]), axis=1)) \
            + xp.log(0.5 * (B - A))
        out = xp.where(live, log_int + _spectral_log_constant(N), -xp.inf)
    return to_numpy(out)


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
    sampled as a Dumitriu–Edelman tridiagonal matrix; eigenvalues by Sturm bisection.

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
        Number of Monte Carlo terms (GOE matrices), ``>= 2``.
    rng, device
        Random source and device (as in
        :func:`rmtland.sampling.ensembles.sample_goe_tridiagonal`).
    importance : {True, False, "conditional", "spectral"}, optional
        ``True`` (default): the variance-reduced estimator of the Notes suited to ``u``:
        ``"spectral"`` below the spectral edge (:math:`t < -\sqrt2`, i.e.
        :math:`u < -E_\infty`), ``"conditional"`` above it.  A string forces that estimator;
        ``False`` gives plain Monte Carlo.  All are unbiased.
    chunk : int, optional
        Matrices per chunk (memory bound).

    Returns
    -------
    dict
        ``mean``; ``stderr``, its standard error from ``batches`` = min(32, samples) batch
        means of consecutive terms (formerly the i.i.d. formula, now ``stderr_iid``),
        :math:`\bigl[\sum_b (S_b - n_b\bar y)^2 \,B/(B-1)\bigr]^{1/2}/n` (:math:`S_b`,
        :math:`n_b` the sum and size of batch :math:`b`); ``stderr_iid``, the i.i.d. formula
        :math:`\mathrm{sd}(y)/\sqrt n` on the same terms, for comparison; ``rel_stderr``
        (= stderr/mean, scale free); ``log_mean`` (natural log of the mean; means, sums and
        standard errors are formed in log space against the largest log-term, so that
        :math:`(p-1)^{N/2}` never overflows; ``-inf`` when no term is non-zero); ``samples``;
        ``batches``; ``ess`` (Kish effective sample size :math:`(\sum_i y_i)^2/\sum_i y_i^2` of
        the terms); ``hits`` (non-zero terms); ``method`` (``"plain"``, ``"conditional"`` or
        ``"spectral"``); ``t`` (the eigenvalue threshold :math:`\sqrt{p/(2(p-1))}\,u`); ``N``,
        ``p``, ``k``, ``u``.  ``mean`` and the standard errors overflow to ``inf`` beyond
        ``log_mean`` ≈ 709; use ``log_mean`` and ``rel_stderr`` there.

    Warns
    -----
    RuntimeWarning
        When no term is non-zero (the estimate is 0 with no error bar), and when ``ess`` is
        below 100 and below ``samples``/2 (Notes, "Error bars").

    Notes
    -----
    **Conditional estimator (above the edge).**  Write the tridiagonal matrix as
    :math:`T = d_1 e_1e_1^\top + T'`, with :math:`d_1 \sim N(0, 1/N)` independent of the rest
    :math:`R = (d_2, \dots, d_N, e_1, \dots, e_{N-1})`.  Let :math:`\mu_0 \le \mu_1 \le \dots`
    be the eigenvalues of the trailing block :math:`T_{2:}`.  Expanding the determinant,
    :math:`\lambda` is an eigenvalue of :math:`T` iff :math:`d_1 = h(\lambda) := \lambda +
    e_1^2/r_2(\lambda)`, with :math:`1/r_2(\lambda) = [(T_{2:}-\lambda)^{-1}]_{11}`; :math:`h` is
    increasing on each interval :math:`(\mu_{j-1}, \mu_j)`, and by interlacing
    :math:`\lambda_k \in (\mu_{k-1}, \mu_k)` (:math:`\mu_{-1} = -\infty`,
    :math:`\mu_{N-1} = +\infty`).  Hence, given :math:`R`, :math:`\{\lambda_k < t\}` is empty if
    :math:`t \le \mu_{k-1}`, certain if :math:`t \ge \mu_k`, and otherwise equals
    :math:`\{d_1 < x_{\rm hi}\}`, :math:`x_{\rm hi} = h(t)` (:math:`r_2(t)` from the backward
    :math:`LDL^\top` recurrence of :math:`T_{2:} - t`).  The sampler draws :math:`R` from its
    law, then :math:`d_1` from :math:`N(0, 1/N)` conditioned on :math:`d_1 < x_{\rm hi}`
    (inverse CDF in log space, ``scipy.special.ndtri_exp``), and uses the term

    .. math:: y = 2\sqrt{2/p}\,(p-1)^{N/2}\;\Phi(\sqrt N x_{\rm hi})\;e^{-N(p-2)\lambda_k^2/(2p)},

    :math:`\Phi(\sqrt N x_{\rm hi}) = P(d_1 < x_{\rm hi} \mid R)` being exactly the likelihood
    ratio of this proposal on the event.  Its variance is at most the plain one (same
    conditional mean given :math:`R`, smaller conditional variance); for :math:`p = 2` and
    :math:`u` above the spectrum every term is exactly the mean.  Below the edge its terms are
    heavy-tailed: :math:`\log\Phi(\sqrt N x_{\rm hi})` spreads by :math:`O(\sqrt N)` over
    :math:`R` (through :math:`e_1, d_2, e_2, \dots`).

    **Spectral estimator (below the edge).**  The eigenvalues of the GOE above have the
    density :math:`Z_N^{-1}\prod_{i<j}|\lambda_i-\lambda_j|\,e^{-N\sum_i\lambda_i^2/2}`.  By
    symmetry (the eigenvalue that is the :math:`(k+1)`-th smallest is any of the :math:`N`,
    the other :math:`N-1` then having exactly :math:`k` of their points below it),

    .. math:: \mathbb E\bigl[f(\lambda_k)\bigr] = \frac{N Z_{N-1}}{Z_N}\,
              \mathbb E_y\Bigl[\int_{y_{(k-1)}}^{y_{(k)}} f(x)\,e^{-Nx^2/2}
              \prod_{j=1}^{N-1}|x - y_j|\,dx\Bigr],

    :math:`y` the eigenvalues of an :math:`(N-1)\times(N-1)` GOE with the same entry variances
    (:math:`\mathbb E M_{ii}^2 = 1/N`, :math:`\mathbb E M_{ij}^2 = 1/(2N)`),
    :math:`y_{(-1)} = -\infty`, :math:`y_{(N-1)} = +\infty`; :math:`Z_n` from Mehta's integral
    (:math:`\int\prod_{i<j}|x_i-x_j|^{2\gamma}\prod_i e^{-x_i^2/2}dx =
    (2\pi)^{n/2}\prod_{j=1}^n\Gamma(1+j\gamma)/\Gamma(1+\gamma)`, at :math:`\gamma = 1/2`,
    rescaled; Mehta 2004, Ch. 17, DLMF §5.14):
    :math:`Z_n = N^{-n/2 - n(n-1)/4}(2\pi)^{n/2}\prod_{j=1}^n\Gamma(1+j/2)/\Gamma(3/2)`, so
    :math:`N Z_{N-1}/Z_N = N^{1+N/2}\,\Gamma(3/2)/(\sqrt{2\pi}\,\Gamma(1+N/2))`.  With
    :math:`f(x) = e^{-N(p-2)x^2/(2p)}\mathbf 1\{x < t\}` the term is the integral over
    :math:`(y_{(k-1)}, \min(t, y_{(k)}))` of :math:`e^{\ell(x)}`,
    :math:`\ell(x) = -(N/2 + a)x^2 + \log|\det(x - T_y)|`, :math:`a = N(p-2)/(2p)`,
    :math:`\log|\det|` and :math:`\ell'` from the :math:`LDL^\top` pivots of the
    :math:`(N-1)`-matrix :math:`T_y`.  :math:`-\ell'' = N + 2a + \sum_j (x-y_j)^{-2} \ge c_0 =
    N + 2a`: :math:`\ell` is strongly concave, so around its maximiser :math:`x^*` (at the end
    :math:`t` when :math:`\ell'(t) \ge 0`, else found by bisection of :math:`\ell'`)
    :math:`\ell(x) \le \ell(x^*) - c_0(x-x^*)^2/2` and, at the end, :math:`\le \ell(t) -
    \ell'(t)(t - x)`; the integral is taken on the window where these bounds exceed
    :math:`\ell(x^*) - 40` by 32-point Gauss–Legendre (the integrand is a polynomial times a
    Gaussian there, entire; the part left out is below :math:`e^{-40}` times the maximum
    times :math:`\sqrt{2\pi/c_0}` or :math:`1/\ell'(t)`; 256 nodes on the window of 80 change
    the log-terms by < 1e-12).  The
    rare part, :math:`\lambda_k` below the edge, is integrated exactly; what remains is the
    spread of :math:`\log\prod_j|x - y_j|`, a linear statistic of the :math:`y` with
    :math:`O(1)` fluctuations (and, for :math:`k \ge 1`, the event :math:`y_{(k-1)} < t`,
    sampled plainly).  Above the edge the window :math:`(y_{(k-1)}, y_{(k)})` is a bulk gap
    and this estimator loses to the conditional one.  Measured (8 seeds × 3000 terms, p = 3):
    variance of the conditional over the spectral estimator, k = 0: 2.8–8.2 at u = −1.66
    (:math:`t` just below the edge), 12–520 at u = −1.8, 160–3·10⁴ at u = −2 (N = 10–40);
    k = 1: 14–85 at u = −1.66; above the edge, k = 0, u = −1.5: 0.06–0.6, and u = 0, k = 0–2:
    0.002–0.08, hence the switch at the edge (simple, though at k = 1–2, u = −1.5 the spectral
    one was already 2–7 times better).  The spectral ess does not degrade with N (about 1100
    of 2000 terms at u = −2 for every N from 20 to 160), the conditional one does (ess 1–2).

    **Error bars.**  The terms are i.i.d., so the batch-means and the i.i.d. variance
    estimates are both unbiased for the variance of the mean; the batch means do not depend
    on the independence of terms within a batch, have :math:`B - 1` degrees of freedom, and
    are what ``stderr`` reports.  Neither protects against heavy-tailed terms: when a few
    terms carry the sum, both standard errors are usually too small (and the mean too
    low), rarely far too large.  Measured for the conditional estimator at N = 60, p = 3,
    k = 0, u = −2 (ess 1–5 in 2000 terms, 40 seeds): the spread of the means was 6.1 times
    the average ``stderr_iid`` and 6.1 times the average batch-means ``stderr``; at N = 20,
    k = 1, u = −1.66 (ess 3.5–14 in 20000 terms) 0.99 and 1.01.  The trustworthy sign is the
    effective sample size: ``rel_stderr``\ :sup:`2` :math:`\approx 1/\mathrm{ess} - 1/n`, and
    the variance estimate itself rests on about ``ess`` terms, so ess < 100 (relative error
    above ~10 %, carried by fewer than 100 terms) is where a RuntimeWarning is issued, unless
    ess is at least half of ``samples`` (coefficient of variation of the terms below 1: no
    few terms dominate, and the error bar is as good as a plain mean's of that size).

    References
    ----------
    ABC13 (module References); Dumitriu & Edelman 2002 (the tridiagonal models, of sizes
    :math:`N` and :math:`N-1`); M. L. Mehta, "Random Matrices", 3rd ed., Elsevier (2004),
    Ch. 17 (Selberg's and Mehta's integrals); NIST DLMF §5.14, https://dlmf.nist.gov/5.14
    (the same integrals); L. Kish, "Survey Sampling", Wiley (1965) (effective sample size);
    B. W. Schmeiser, "Batch size effects in the analysis of simulation output", Oper. Res. 30,
    556–568 (1982) (batch means, 10–30 batches).
    """
    N = _validate.integer("N", N, 2)
    p = _validate.integer("p", p, 2)
    k = _validate.integer("k", k, 0)
    if k > N - 1:
        raise InputError(f"k must be an integer in [0, N-1={N - 1}], got {k}")
    u = _validate.finite("u", u)
    samples = _validate.integer("samples", samples, 2)
    chunk = _validate.integer("chunk", chunk, 1)
    if not (isinstance(importance, (bool, np.bool_))
            or (isinstance(importance, str) and importance in ("conditional", "spectral"))):
        raise InputError(f"importance must be True, False, 'conditional' or 'spectral', got "
                         f"{importance!r}")
    xp = get_xp(device)
    gen = _seeds.generator(rng, xp)

    t = math.sqrt(p / (2.0 * (p - 1))) * u
    if importance is True or importance is np.True_:
        method = "spectral" if t < -math.sqrt(2.0) else "conditional"
    elif isinstance(importance, str):
        method = importance
    else:
        method = "plain"
    log_pref = math.log(2.0) + 0.5 * math.log(2.0 / p) + 0.5 * N * math.log(p - 1)
    a = N * (p - 2) / (2.0 * p)

    logs = []
    done = 0
    while done < samples:
        b = min(chunk, samples - done)
        if method == "spectral":
            logy = _spectral_logy(N, k, t, a, b, gen, xp, device)
        else:
            d, e = sample_goe_tridiagonal(N, batch=b, rng=gen, device=device)
            if method == "conditional":
                logy = _conditional_logy(d, e, k, t, a, gen, xp)
            else:
                lam = lowest_eigenvalues(d, e, k + 1)[:, k]
                logy = to_numpy(xp.where(lam < t, -a * lam * lam, -xp.inf))
        logs.append(logy)
        done += b
    logy = np.concatenate(logs)
    hits = int(np.count_nonzero(np.isfinite(logy)))
    n = samples
    B = min(_BATCHES, n)
    base = {"samples": n, "batches": B, "hits": hits, "method": method, "t": t,
            "N": N, "p": p, "k": k, "u": u}
    if hits == 0:
        warnings.warn(f"no sample fell in the event lambda_k < {t:.6g}; the estimate is 0 with "
                      "no error bar (raise samples, or use importance=True)", RuntimeWarning,
                      stacklevel=2)
        return {"mean": 0.0, "stderr": 0.0, "stderr_iid": 0.0, "rel_stderr": math.inf,
                "log_mean": -math.inf, "ess": 0.0, **base}
    M = float(np.max(logy))
    z = np.exp(logy - M)                                   # in [0, 1], 0 off the event
    s1 = float(z.sum())
    s2 = float((z * z).sum())
    mean_z = s1 / n
    var_z = max(s2 / n - mean_z * mean_z, 0.0) * n / (n - 1)
    se_iid_z = math.sqrt(var_z / n)
    sizes = np.array([len(c) for c in np.array_split(z, B)])
    sums = np.add.reduceat(z, np.concatenate([[0], np.cumsum(sizes)[:-1]]))
    se_z = math.sqrt(float(np.sum((sums - sizes * mean_z) ** 2)) * B / (B - 1)) / n
    ess = s1 * s1 / s2
    log_mean = log_pref + M + math.log(mean_z)
    with np.errstate(over="ignore"):
        mean = float(np.exp(log_mean))
        stderr = float(np.exp(log_pref + M) * se_z)
        stderr_iid = float(np.exp(log_pref + M) * se_iid_z)
    if ess < _ESS_MIN and ess < n / 2:
        warnings.warn(f"effective sample size ess = {ess:.3g} of {n} terms ({method} "
                      f"estimator) is below {_ESS_MIN}: a few terms carry the sum, so the mean "
                      "and its stderr are unreliable (usually too low); raise samples until "
                      f"ess >= {_ESS_MIN}" + ("" if method == "spectral" or t >= -math.sqrt(2)
                                              else ", or use importance=True"),
                      RuntimeWarning, stacklevel=2)
    return {"mean": mean, "stderr": stderr, "stderr_iid": stderr_iid,
            "rel_stderr": se_z / mean_z, "log_mean": log_mean, "ess": ess, **base}


def summarize_critical_points(energy_per_site, index, grad_norm, N, p):
    r"""Numbers of a set of distinct critical points of one Hamiltonian against the theory.

    Parameters are host or device arrays of the points' energies per site :math:`u`, indices
    :math:`k` and gradient norms :math:`|\mathrm{grad}|/N` (moved to the host once, here).

    Returns a dict: ``critical_points``, ``minima``, ``minima_energy_mean``,
    ``minima_energy_std`` (``None`` when undefined), ``lowest_energy``, ``E_0``, ``E_inf``
    (ABC13 Eq. (2.13), Thm. 2.5), ``max_gradient_norm``,
    ``index_fraction_mean_abs_error`` (mean of :math:`|k/(N-1) - F_{sc}(2u/E_\infty)|`, the
    semicircle law of the index at energy :math:`u`), ``minima_fraction_above_minus_E_inf``,
    ``minima_fraction_in_band`` (:math:`-E_0 \le u \le -E_\infty`),
    ``minima_fraction_below_minus_E_0`` (``None`` without minima), the index shift against
    the semicircle law (:func:`index_shift`: ``index_shift_mean``, ``index_shift_stderr``,
    and the same at :math:`u < 0`), ``index_histogram``, and ``points``
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
            **_minima_fractions(minima, p), **index_shift(u, idx, N, p),
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


def index_shift(energy_per_site, index, N, p):
    r"""Finite-:math:`N` shift of the index of critical points against the semicircle law in
    their energy, :math:`\delta = k - (N-1)\,F_{sc}(2u/E_\infty)` in eigenvalues (the law:
    ABC13 Thm. 2.5 and the shifted-GOE Hessian, :func:`rmtland.analytic.spinglass.
    index_fraction`), averaged over the given points, overall and over those at :math:`u < 0`.

    The standard errors are :math:`s/\sqrt n` over the points (sample standard deviation
    :math:`s`, :math:`n` points), treating the points of one Hamiltonian as independent; they
    are a sample of the critical points that descent and Newton reach, not of all critical
    points.  No :math:`1/N` correction to the index law is derived here, and none is known to
    us: the measured shift is reported as an observation.

    Returns a dict ``index_shift_mean``, ``index_shift_stderr``, ``index_shift_points``,
    ``index_shift_negative_u_mean``, ``index_shift_negative_u_stderr``,
    ``index_shift_negative_u_points`` (means ``None`` without points, standard errors
    ``None`` with fewer than 2).
    """
    u = np.asarray(to_numpy(energy_per_site), dtype=float).ravel()
    k = np.asarray(to_numpy(index), dtype=float).ravel()
    d = k - (N - 1) * sg.index_fraction(u, p) if u.size else np.zeros(0)
    out = {}
    for key, sel in (("index_shift", d), ("index_shift_negative_u", d[u < 0])):
        n = int(sel.size)
        out[key + "_mean"] = float(sel.mean()) if n else None
        out[key + "_stderr"] = float(sel.std(ddof=1) / math.sqrt(n)) if n > 1 else None
        out[key + "_points"] = n
    return out


def _minima_fractions(minima, p):
    """Fractions of the minima energies above -E_inf, in [-E_0, -E_inf] and below -E_0 (for
    :func:`summarize_critical_points`)."""
    E0, Einf = sg.threshold(0, p), sg.E_inf(p)
    n = minima.size
    return {"minima_fraction_above_minus_E_inf": float(np.mean(minima > -Einf)) if n else None,
            "minima_fraction_in_band": (float(np.mean((minima >= -E0) & (minima <= -Einf)))
                                        if n else None),
            "minima_fraction_below_minus_E_0": float(np.mean(minima < -E0)) if n else None}


def minima_band_statistics(energies, p):
    r"""Where minima sit relative to the band :math:`[-E_0, -E_\infty]` (ABC13 Eq. (2.13),
    Thms. 2.5, 2.8: below :math:`-E_\infty` only minima exist in exponential number, none
    below :math:`-E_0`) for one system size, from the energies per site of the distinct minima
    found in each of several Hamiltonians.

    Minima of one Hamiltonian are correlated (same couplings), so the independent samples are
    the Hamiltonians: each statistic is first computed per Hamiltonian and then averaged with
    equal weight, and its standard error is :math:`s/\sqrt H` over the :math:`H` Hamiltonians
    that have at least one minimum (sample standard deviation :math:`s`; ``None`` for
    :math:`H < 2`).

    Parameters
    ----------
    energies : sequence of 1-D arrays
        Energies per site :math:`u = H_N/N` of the distinct minima of each Hamiltonian.
    p : int
        Interaction order.

    Returns
    -------
    dict
        ``mean`` and ``stderr`` (of the per-Hamiltonian mean energies), ``std`` (spread of all
        minima pooled, ddof 1), ``min``, ``max``, ``fraction_above`` (:math:`u > -E_\infty`),
        ``fraction_in_band`` (:math:`-E_0 \le u \le -E_\infty`), ``fraction_below``
        (:math:`u < -E_0`), each with ``_stderr``; the three fractions sum to 1;
        ``minima`` (pooled count), ``hamiltonians``, ``hamiltonians_with_minima``, ``E_0``,
        ``E_inf``.
    """
    E0, Einf = sg.threshold(0, p), sg.E_inf(p)
    per = [np.asarray(to_numpy(e), dtype=float).ravel() for e in energies]
    live = [e for e in per if e.size]
    if not live:
        raise InputError("minima_band_statistics needs at least one Hamiltonian with a "
                         "minimum")
    H = len(live)

    def mean_se(values):
        values = np.asarray(values, dtype=float)
        return float(values.mean()), (float(values.std(ddof=1) / math.sqrt(H)) if H > 1
                                      else None)
    pooled = np.concatenate(live)
    out = {"E_0": E0, "E_inf": Einf, "minima": int(pooled.size), "hamiltonians": len(per),
           "hamiltonians_with_minima": H}
    out["mean"], out["stderr"] = mean_se([e.mean() for e in live])
    out["std"] = float(pooled.std(ddof=1)) if pooled.size > 1 else None
    out["min"], out["max"] = float(pooled.min()), float(pooled.max())
    for key, test in (("fraction_above", lambda e: e > -Einf),
                      ("fraction_in_band", lambda e: (e >= -E0) & (e <= -Einf)),
                      ("fraction_below", lambda e: e < -E0)):
        out[key], out[key + "_stderr"] = mean_se([np.mean(test(e)) for e in live])
    return out
