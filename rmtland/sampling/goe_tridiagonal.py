r"""GOE through the Dumitriu–Edelman tridiagonal model, Sturm-sequence bisection for its lowest
eigenvalues, and the exact finite-N mean number of critical points of the spherical p-spin model.

Tridiagonal GOE
---------------
Dumitriu & Edelman, "Matrix models for beta ensembles", J. Math. Phys. 43, 5830 (2002),
Thm. 2.12 (β = 1): the symmetric tridiagonal matrix

.. math:: H_\beta = \frac{1}{\sqrt2}\begin{pmatrix} N(0,2) & \chi_{(N-1)\beta} & & \\
          \chi_{(N-1)\beta} & N(0,2) & \chi_{(N-2)\beta} & \\ & \ddots & \ddots & \ddots \\
          & & \chi_\beta & N(0,2)\end{pmatrix}

(independent entries) has the eigenvalue law of the GOE :math:`(A + A^\top)/2`, :math:`A_{ij}`
i.i.d. N(0, 1), i.e. :math:`\mathbb E M_{ij}^2 = (1+\delta_{ij})/2`.  Multiplying by
:math:`\sqrt{2\sigma^2/N}` gives the GOE with :math:`\mathbb E M_{ij}^2 = \sigma^2(1+\delta_{ij})/N`
(semicircle of variance :math:`\sigma^2`, support :math:`[-2\sigma, 2\sigma]`, DESIGN.md).  The
default :math:`\sigma^2 = 1/2` is the normalisation of Auffinger, Ben Arous & Černý (CPAM 66
(2013), "ABC13"), :math:`\mathbb E M_{ij}^2 = (1+\delta_{ij})/(2N)`, semicircle on
:math:`[-\sqrt2, \sqrt2]`.  Then the diagonal is N(0, 1/N) and the j-th off-diagonal entry is
:math:`\chi_{N-j}/\sqrt{2N}`, so :math:`\mathbb E\,\mathrm{tr}\,M^2 = 1 + \sum_{j<N} j/N = (N+1)/2`.

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
"""
import math
import warnings

import numpy as np

from .. import _validate
from .._backend import array_namespace, default_rng, get_xp, to_numpy

__all__ = ["sample_goe_tridiagonal", "lowest_eigenvalues", "mean_critical_points"]

#: Samples per chunk in :func:`mean_critical_points` (bounds the working memory).
CHUNK = 4096

_DTYPES = {"float64": np.float64, "float32": np.float32}


def _dtype(dtype):
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in _DTYPES:
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return _DTYPES[name]


def _draw(N, batch, var, dtype, gen, xp):
    """(diag, offdiag) of ``batch`` tridiagonal GOE matrices from the Generator ``gen``."""
    scale = math.sqrt(2.0 * var / N)                     # sqrt(2 sigma^2 / N)
    # Dumitriu-Edelman, beta = 1: diag N(0, 2)/sqrt2 = N(0, 1); offdiag chi_{N-j}/sqrt2.
    diag = gen.standard_normal((batch, N), dtype=np.float64)
    df = xp.arange(N - 1, 0, -1, dtype=np.float64)       # N-1, ..., 1
    chi2 = 2.0 * gen.standard_gamma(xp.broadcast_to(df / 2.0, (batch, N - 1)))
    offdiag = xp.sqrt(chi2 / 2.0)
    diag = (diag * scale).astype(dtype, copy=False)
    offdiag = (offdiag * scale).astype(dtype, copy=False)
    return diag, offdiag


def sample_goe_tridiagonal(N, *, batch, rng=None, device="cpu", var=0.5, dtype="float64"):
    r"""Sample ``batch`` tridiagonal matrices whose eigenvalues have the GOE law with
    :math:`\mathbb E M_{ij}^2 = \sigma^2(1+\delta_{ij})/N` (Dumitriu & Edelman 2002, Thm. 2.12,
    β = 1; module docstring).

    Parameters
    ----------
    N : int
        Matrix size, ``>= 2``.
    batch : int
        Number of matrices, ``>= 1``.
    rng : None, int, numpy.random.SeedSequence or Generator, optional
        Random source (see :func:`rmtland._backend.default_rng`).
    device : {"cpu", "gpu", "auto"}, optional
        Where the arrays live.
    var : float, optional
        Semicircle variance :math:`\sigma^2 > 0`; the default 1/2 is the ABC13 normalisation
        :math:`\mathbb E M_{ij}^2 = (1+\delta_{ij})/(2N)`, support :math:`[-\sqrt2, \sqrt2]`.
    dtype : {"float64", "float32"}, optional

    Returns
    -------
    diag : array of shape ``(batch, N)``
        Diagonal, i.i.d. :math:`N(0, 2\sigma^2/N)`.
    offdiag : array of shape ``(batch, N - 1)``
        Off-diagonal, entry ``j`` (0-based) distributed as
        :math:`\sqrt{\sigma^2/N}\,\chi_{N-1-j}` (non-negative).

    Notes
    -----
    :math:`\mathbb E\,\mathrm{tr}\,M^2 = \sum_i \mathbb E d_i^2 + 2\sum_j \mathbb E e_j^2
    = 2\sigma^2 + \sigma^2 (N-1) = \sigma^2(N+1)`, equal to the dense GOE's
    :math:`N\cdot 2\sigma^2/N + N(N-1)\sigma^2/N`.
    """
    N = _validate.integer("N", N, 2)
    batch = _validate.integer("batch", batch, 1)
    var = _validate.positive("var", var)
    dt = _dtype(dtype)
    xp = get_xp(device)
    gen = default_rng(rng, xp)
    return _draw(N, batch, var, dt, gen, xp)


# ----------------------------------------------------------------------- Sturm bisection

def _count_below(dT, e2T, x, pivmin, xp):
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
        raise ValueError(f"diag (..., N) and offdiag (..., N-1) shapes do not match: "
                         f"{diag.shape} and {offdiag.shape}")
    N = diag.shape[-1]
    m = _validate.integer("m", m, 1)
    if m > N:
        raise ValueError(f"m must be an integer in [1, N={N}], got {m}")
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
        raise ValueError("diag and offdiag must contain only finite numbers")
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
        above = _count_below(dT, e2T, mid, pivmin, xp) >= j1      # mid > lambda_j
        hi = xp.where(above, mid, hi)
        lo = xp.where(above, lo, mid)
    return xp.reshape(0.5 * (lo + hi), lead + (m,))


# ------------------------------------------------------------ mean number of critical points

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
        Random source and device (as in :func:`sample_goe_tridiagonal`).
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
        raise ValueError(f"k must be an integer in [0, N-1={N - 1}], got {k}")
    u = _validate.finite("u", u)
    samples = _validate.integer("samples", samples, 2)
    chunk = _validate.integer("chunk", chunk, 1)
    if not isinstance(importance, (bool, np.bool_)):
        raise ValueError(f"importance must be True or False, got {importance!r}")
    xp = get_xp(device)
    gen = default_rng(rng, xp)

    t = math.sqrt(p / (2.0 * (p - 1))) * u
    method = "conditional" if importance else "plain"
    log_pref = math.log(2.0) + 0.5 * math.log(2.0 / p) + 0.5 * N * math.log(p - 1)
    a = N * (p - 2) / (2.0 * p)

    logs = []
    done = 0
    while done < samples:
        b = min(chunk, samples - done)
        d, e = _draw(N, b, 0.5, np.float64, gen, xp)
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
