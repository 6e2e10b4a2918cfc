r"""Matrix-free spectra with error bars: stochastic Lanczos quadrature (SLQ), the kernel
polynomial method (KPM) with Jackson damping, the index :math:`\alpha = P(\lambda < 0)` from
both, and extreme eigenvalues by Lanczos with a residual bound.  One entry,
:func:`spectrum`, takes any operator of :mod:`rmtland.linalg.operators` (or a dense matrix,
or a callable with its size) and returns density, CDF, index and extremes, each with its
standard error over probes and the number of products used.

Probes
------
``probe="rademacher"`` (default): i.i.d. :math:`\pm 1` entries, scaled to unit norm
(:math:`z/\sqrt n`); ``"gaussian"``: i.i.d. N(0, 1) entries normalised to unit norm (uniform on
the sphere).  Either way :math:`\mathbb E[u u^\top] = I/n`, so for every function :math:`f`,
:math:`\mathbb E\,u^\top f(A) u = \mathrm{tr} f(A)/n`: each probe gives an unbiased estimate
of the spectral measure :math:`\mu_A = \frac1n\sum_i \delta_{\lambda_i}` integrated against
:math:`f`, and the standard error is the sample standard deviation over the probes divided by
:math:`\sqrt{\text{probes}}` (Hutchinson, Commun. Stat. Simul. Comput. 19, 433 (1990),
doi:10.1080/03610919008812866).  Probes are applied ``block`` at a time, one block product per
step (a GEMM on the factors, not ``block`` separate products); each column runs its own
recurrence.

SLQ
---
``steps`` Lanczos steps from each probe give a tridiagonal :math:`T_k`; its eigenvalues
:math:`\theta_i` and the squared first components :math:`\tau_i` of its eigenvectors are the
nodes and weights of the Gauss quadrature rule of the probe's measure
:math:`\mu_u = \sum_i (q_i^\top u)^2\delta_{\lambda_i}` (Golub & Meurant, *Matrices, Moments
and Quadrature with Applications*, Princeton 2010, Ch. 6; Ubaru, Chen & Saad, SIAM J. Matrix
Anal. Appl. 38, 1075 (2017), doi:10.1137/16M1104974).  No reorthogonalisation: in floating point
the lost orthogonality only duplicates converged Ritz values, and the quadrature stays that of
a nearby measure (Paige 1976; Knizhnerman 1996; Chen, Trogdon & Ubaru, ICML 2021,
arXiv:2105.06595).

*The CDF and the index, with a rigorous quadrature bound.* With :math:`S_j = \sum_{i \le
j}\tau_i` and :math:`j` the number of nodes below :math:`x`, the Chebyshev–Markov–Stieltjes
inequalities (Akhiezer, *The Classical Moment Problem*, 1965, Ch. 3; used for SLQ by Chen,
Trogdon & Ubaru, arXiv:2105.06595, Sec. 3) give, for each probe,
:math:`S_{j-1} \le \mu_u((-\infty, x)) \le S_{j+1}` (:math:`S_{-1} = 0`,
:math:`S_{k+1} = 1`).  The estimate is the piecewise-linear interpolation of the points
:math:`(\theta_i, S_{i-1} + \tau_i/2)` (0 below :math:`\theta_1`, 1 above :math:`\theta_k`),
which lies in that bracket; the Gauss step :math:`S_j` itself is biased by up to a node's
weight in the bulk, the interpolation by the square of the node spacing.  The distance from
the estimate to the far end of the bracket, averaged over the probes, is
``cdf_bias_bound`` / ``index_bias_bound``: it bounds the quadrature bias
:math:`|\mathbb E \hat F(x) - F(x)|` whatever the spectrum, at an edge too, and the error
bar is ``4 * stderr + bias bound``.  The bound is a worst case, about one node weight; the
realised bias is much smaller (measured in ``benchmarks/bench_matfree.py``).

*Near-zero mass and counts* (``spectrum(..., tau=)``).  A large atom at 0 (an
over-parameterised Gauss–Newton part) sits inside one Gauss node of large weight; the
interpolated CDF at :math:`x = 0` splits it, and at :math:`x = \pm\tau` it leaks part of it
linearly towards the neighbouring nodes, while the Chebyshev–Markov–Stieltjes bracket at
:math:`\pm\tau` spans the whole atom.  The counts below :math:`-\tau`, in
:math:`[-\tau, \tau)` and at or above :math:`\tau` therefore use the Ritz residuals as well.
For an interval :math:`I = (a, b)`, its spectral projector :math:`P` and a Ritz pair
:math:`(\theta_l, y_l)` with :math:`\theta_l \in I`, residual :math:`r_l` and
:math:`\delta_l = \min(\theta_l - a, b - \theta_l)`: :math:`\|(I - P) y_l\| \le r_l/\delta_l`
(expand :math:`\|(A - \theta_l)y_l\|^2` in eigenvectors), so
:math:`|y_l^\top P u| \ge |u^\top y_l| - r_l/\delta_l` with :math:`(u^\top y_l)^2 = \tau_l`,
and as the Ritz vectors are orthonormal (Bessel) the probe's measure holds
:math:`\mu_u(I) = \|P u\|^2 \ge \sum_{\theta_l \in I} (\sqrt{\tau_l} - r_l/\delta_l)_+^2 =:
m(I)`.  With :math:`I = (x, \theta_e)` and the CMS bound beyond node :math:`e`,
:math:`F(x) \le S_e - m(I)` (:math:`S_e` the sum of the weights up to and including node
:math:`e`); with :math:`I = (\theta_s, x)`, :math:`F(x) \ge S_{s-1} + m(I)`; the best
:math:`e` and :math:`s` narrow the CMS bracket (:func:`_resolved_bracket`).  The counts' estimate is
the Gauss rule's own count :math:`S_j` (the weights of the :math:`j` nodes below :math:`x`),
which never splits a node: an atom's node counts wholly on its side of :math:`\pm\tau`,
where the interpolation would leak it across the gap to the next node (40 % zeros in a
bulk on [-0.5, 2], n = 500, 16 probes, 60 steps, :math:`\tau = 0.05`: above
:math:`\tau` 0.491 against the exact 0.484 with s.e. 0.008, the interpolated CDF 0.537; in
the bulk, at :math:`\tau = 0.1` or 0.5, the two agree within the s.e.).  It lies in the
narrowed bracket (clipped; :math:`S_j` is inside the CMS one), and the bias bound is, as for
the CDF, the distance to the bracket's far end (for the mass in :math:`[-\tau, \tau)` the
sum of the two ends').  The residuals :math:`\beta_k |s_{kl}|`
and the orthonormal Ritz vectors are those of exact arithmetic; without
reorthogonalisation the converged Ritz pairs keep them to rounding
(Paige, J. Inst. Math. Appl. 18, 341 (1976), doi:10.1093/imamat/18.3.341) while lost
orthogonality duplicates them (ghosts); ``tests/test_linalg_spectral.py`` checks the
narrowed bracket probe by probe against the exact measure, ghosts included (150 steps at
n = 300).  It narrows as the nodes near :math:`\pm\tau` resolve (residuals small against
their distance to :math:`\pm\tau` times :math:`\sqrt{\tau_l}`): more steps, or a larger
:math:`\tau`; on 40 % zeros in a bulk on [-0.5, 2] (n = 500, mean over 8 probes) the bound
at :math:`-0.1` is 0.01 after 60 steps, at :math:`+0.05` 0.14 after 60 and 0.03 after 200.
KPM counts read its CDF at :math:`\pm\tau` with the degree-halving smoothing estimate as
their bias.

*Trace.* Each probe's first moment :math:`u^\top A u = \alpha_1` (SLQ; KPM:
:math:`c + h\mu_1`), times :math:`n`, is Hutchinson's estimate of :math:`\mathrm{tr} A`;
``trace_stderr`` is its standard error over probes, at no extra product (``steps=1``: the
trace alone, one product per probe).  For Rademacher
probes its variance is exactly :math:`2(\|A\|_F^2 - \sum_i A_{ii}^2)` per probe (Hutchinson
1990; Avron & Toledo, J. ACM 58, 8 (2011), doi:10.1145/1944345.1944349).

*Density.* The quadrature measure smoothed by a Gaussian of standard deviation ``bandwidth``
(default: the spectral width over ``steps``, about the node spacing in the bulk).

*Extremes.* The extreme Ritz values :math:`\theta_1, \theta_k` over all probes, with the
residual bound :math:`r_i = \beta_k |s_{ki}| = \|A y_i - \theta_i y_i\|`: an eigenvalue of
:math:`A` lies within :math:`r_i` of :math:`\theta_i` (Parlett, *The Symmetric Eigenvalue
Problem*, SIAM 1998, Thm. 4.5.1 and Sec. 13.2), and :math:`\theta_1 \ge \lambda_{\min}`,
:math:`\theta_k \le \lambda_{\max}` (Cauchy interlacing).  When the extreme Ritz value has
converged (its residual is small against the gap to the next eigenvalue) that eigenvalue is
the extreme one, and :math:`[\theta_1 - r_1, \theta_k + r_k]` contains the spectrum (Zhou &
Li, Linear Algebra Appl. 435, 480 (2011), doi:10.1016/j.laa.2010.06.034).

KPM
---
Chebyshev moments :math:`\mu_k = u^\top T_k(\tilde A) u` of :math:`\tilde A = (A - c)/h`, with
:math:`[c - h, c + h]` the Lanczos bounds above widened by :data:`KPM_PAD`, from
``ceil(degree/2)`` products per probe (:math:`\mu_{2k} = 2\langle v_k, v_k\rangle - \mu_0`,
:math:`\mu_{2k+1} = 2\langle v_{k+1}, v_k\rangle - \mu_1`), Jackson damping :math:`g_k` and
the expansions of the density and of its integral (Weiße, Wellein, Alvermann & Fehske,
Rev. Mod. Phys. 78, 275 (2006), doi:10.1103/RevModPhys.78.275, Eqs. (71), (78)):

.. math:: F(x) = g_0\mu_0\frac{\pi - \vartheta}{\pi}
   - \frac{2}{\pi}\sum_{k=1}^{N-1} g_k\mu_k\frac{\sin k\vartheta}{k},
   \qquad \vartheta = \arccos\frac{x - c}{h}.

*Safety of the bounds.* For a unit probe :math:`|\mu_k| \le 1` exactly when the spectrum of
:math:`\tilde A` lies in :math:`[-1, 1]` (a weighted mean of :math:`T_k(\tilde\lambda_i)`),
and :math:`T_k` grows like :math:`e^{k\,\mathrm{arccosh}|y|}` outside; a probe with
:math:`|\mu_k| > 1 + \sqrt{\epsilon}` means the bounds missed part of the spectrum, and the
moments are recomputed with the interval widened (up to :data:`KPM_RETRIES` times), never
used.

*Smoothing bias of the index near a square-root edge.* Jackson damping convolves the measure
with a kernel of width :math:`\sigma \approx \pi h/N`.  Inside the bulk :math:`F` is smooth
and the bias is :math:`\tfrac12 F''(x)\sigma^2 \propto N^{-2}`; where a soft edge
:math:`\lambda_-` sits near :math:`x = 0` (:math:`\varepsilon \to \varepsilon_c`,
:math:`\rho \sim c\,(x - \lambda_-)^{1/2}`, :math:`F \sim \tfrac23 c\,(x-\lambda_-)^{3/2}`)
the bias is positive (:math:`F` is convex there), :math:`\tfrac38 c\,|\lambda_-|^{-1/2}\sigma^2`
for :math:`|\lambda_-| \gg \sigma` and of order :math:`c\,\sigma^{3/2} \propto N^{-3/2}` when
the edge is within :math:`\sigma` of 0, where it can exceed the index itself.  With
:math:`\mathrm{bias}(N) = C N^{-p}`, :math:`3/2 \le p \le 2`, the same moments truncated at
:math:`N/2` give :math:`\mathrm{bias}(N) = (\alpha_{N/2} - \alpha_N)/(2^p - 1)`, at most
:math:`|\alpha_{N/2} - \alpha_N|/(2^{3/2} - 1)`: reported as ``index_bias_bound`` (the
estimate itself is not corrected, since :math:`p` is not known).
"""
import math
import time

import numpy as np

from .._validate import InputError
from .. import _seeds, _validate
from .._backend import to_numpy
from .dense import memory_budget
from .operators import as_operator

__all__ = ["PROBES", "METHODS", "KPM_PAD", "KPM_RETRIES", "lanczos", "gauss_quadrature",
           "lanczos_extremes", "spectral_bounds", "kpm_moments", "jackson", "spectrum",
           "check_options", "check_spectrum", "unit_probes"]

PROBES = ("rademacher", "gaussian")
METHODS = ("slq", "kpm")
#: relative widening of the Lanczos bounds for KPM (each side, in units of the width)
KPM_PAD = 0.01
#: how many times KPM widens its interval when a moment shows the spectrum outside it
KPM_RETRIES = 3
#: Lanczos steps of the bounds run before KPM
BOUNDS_STEPS = 40
#: default probes per block product
BLOCK = 16
#: first step at which :func:`lanczos` moves its coefficients to the host (then x4)
LANCZOS_FIRST_TRANSFER = 32


# --------------------------------------------------------------------------- validation

def check_options(method=None, probes=None, steps=None, degree=None, probe=None, block=None,
           points=None, bandwidth=None):
    """Validate the estimator options (before any product)."""
    if method is not None and method not in METHODS:
        raise InputError(f"method must be one of {METHODS}, got {method!r}")
    if probe is not None and probe not in PROBES:
        raise InputError(f"probe must be one of {PROBES}, got {probe!r}")
    out = {}
    if probes is not None:
        out["probes"] = _validate.integer("probes", probes, 1)
    if steps is not None:
        out["steps"] = _validate.integer("steps", steps, 1)
    if degree is not None:
        out["degree"] = _validate.integer("degree", degree, 2)
    if block is not None:
        out["block"] = _validate.integer("block", block, 1)
    if points is not None:
        out["points"] = _validate.integer("points", points, 2)
    if bandwidth is not None:
        out["bandwidth"] = _validate.positive("bandwidth", bandwidth)
    return out


def unit_probes(gen, op, b, kind):
    """``b`` unit-norm probe columns ``(n, b)`` on the operator's backend and dtype."""
    xp, n, dt = op.xp, op.n, op.dtype
    if kind == "rademacher":
        z = gen.integers(0, 2, size=(n, b)).astype(dt)
        z *= 2.0
        z -= 1.0
        z *= 1.0 / math.sqrt(n)
        return z
    z = gen.standard_normal((n, b), dtype=dt)
    return z / xp.sqrt(xp.sum(z * z, axis=0, keepdims=True))


def _blocks(probes, block):
    return [min(block, probes - s) for s in range(0, probes, block)]


# --------------------------------------------------------------------------- Lanczos

def _checkpoints(steps):
    """Steps after which :func:`lanczos` moves its coefficients to the host: 32, 128, 512, ...
    (times 4) and the last one, so a run of ``k`` steps makes at most
    ``2 + log4(k / 32)`` transfers, and stops at most 4x late when every column broke down."""
    out, c = [], LANCZOS_FIRST_TRANSFER
    while c < steps:
        out.append(c)
        c *= 4
    return out + [steps]


def lanczos(op, V0, steps):
    r"""``steps`` Lanczos steps from each column of ``V0`` ``(n, b)``, all columns in one
    block product per step, no reorthogonalisation.

    ``steps`` is clipped to ``n``: the Krylov space of an ``n``-dimensional operator has
    dimension at most ``n``, so in exact arithmetic the recurrence breaks down by step ``n``
    and the ``n``-node Gauss rule is already exact for the probe's measure (Golub & Meurant
    2010, Ch. 4); further steps only add rounding ghosts.

    Returns host arrays ``alpha`` ``(b, k)``, ``beta`` ``(b, k)``, ``k = min(steps, n)``
    (``beta[:, j]`` couples steps ``j`` and ``j+1``; the last one is :math:`\beta_k` of the
    residual bound) and ``length`` ``(b,)``: the steps before a breakdown (:math:`\beta_j`
    below rounding: the Krylov space of that column is invariant), ``k`` otherwise.

    The coefficients and the breakdown test stay on the device; they move to the host in
    blocks (:func:`_checkpoints`: a few transfers per run, not one per step). Non-finite
    coefficients (a product with a NaN or an infinity) raise :class:`InputError` naming
    ``op``.
    """
    op = as_operator(op)
    xp = op.xp
    steps = min(_validate.integer("steps", steps, 1), op.n)
    b = V0.shape[1]
    eps = float(np.finfo(op.dtype).eps)
    tiny = float(np.finfo(float).tiny)
    f64 = np.float64
    q = V0 / xp.sqrt(xp.sum(V0 * V0, axis=0, keepdims=True))
    q_prev = xp.zeros_like(q)
    beta_prev = xp.zeros((1, b), dtype=op.dtype)
    alive = xp.ones(b, dtype=bool)
    length = xp.full(b, steps, dtype=f64)
    scale = xp.zeros(b, dtype=f64)
    alpha, beta, pending = [], [], []
    marks = _checkpoints(steps)
    with np.errstate(invalid="ignore", over="ignore"):      # non-finite: refused below
        for j in range(steps):
            w = op.matvec(q)
            w -= beta_prev * q_prev
            a = xp.sum(q * w, axis=0, keepdims=True)
            w -= a * q
            bt = xp.sqrt(xp.sum(w * w, axis=0, keepdims=True))
            a_d, b_d = a[0].astype(f64), bt[0].astype(f64)
            scale = xp.maximum(scale, xp.abs(a_d) + b_d)
            dead = alive & (b_d <= 10 * eps * xp.maximum(scale, tiny))
            length = xp.where(dead, float(j + 1), length)
            pending += [xp.where(alive, a_d, 0.0)]
            alive = alive & ~dead
            pending += [xp.where(alive, b_d, 0.0)]
            keep = alive.astype(op.dtype)[None, :]
            safe = xp.where(bt > 0, bt, xp.ones_like(bt))
            q_prev, q = q, (w / safe) * keep
            beta_prev = bt * keep
            if j + 1 == marks[0]:                        # one transfer for the block of steps
                marks.pop(0)
                host = to_numpy(xp.stack(pending + [alive.astype(f64), length]))
                pending = []
                if not np.all(np.isfinite(host)):
                    raise InputError("op returned non-finite values (a NaN or an infinity) in "
                                     "the Lanczos recurrence")
                alpha.append(host[0:-2:2])
                beta.append(host[1:-2:2])
                if not host[-2].any():                   # every column broke down
                    pad = np.zeros((steps - j - 1, b))
                    alpha.append(pad)
                    beta.append(pad)
                    break
    return (np.concatenate(alpha).T.copy(), np.concatenate(beta).T.copy(),
            host[-1].astype(np.int64))


def gauss_quadrature(alpha, beta, length=None):
    r"""Nodes, weights and residual bounds of the Gauss rules of Lanczos runs (host arrays).

    ``alpha``, ``beta`` ``(b, k)`` as returned by :func:`lanczos`.  Returns ``nodes``
    ``(b, k)`` ascending (``+inf`` where a run stopped early), ``weights`` ``(b, k)``
    (:math:`\tau_i = s_{1i}^2`, summing to 1; 0 past a breakdown) and ``residuals`` ``(b, k)``
    (:math:`\beta_L |s_{Li}|`, the residual norm of each Ritz pair; 0 after a breakdown).
    """
    alpha = np.asarray(alpha, dtype=float)
    beta = np.asarray(beta, dtype=float)
    b, k = alpha.shape
    length = np.full(b, k) if length is None else np.asarray(length)
    nodes = np.full((b, k), np.inf)
    weights = np.zeros((b, k))
    resid = np.zeros((b, k))
    for L in np.unique(length):
        cols = np.flatnonzero(length == L)
        T = np.zeros((cols.size, L, L))
        i = np.arange(L)
        T[:, i, i] = alpha[cols, :L]
        T[:, i[:-1], i[:-1] + 1] = beta[cols, :L - 1]
        T[:, i[:-1] + 1, i[:-1]] = beta[cols, :L - 1]
        w, S = np.linalg.eigh(T)
        nodes[cols, :L] = w
        weights[cols, :L] = S[:, 0, :] ** 2
        resid[cols, :L] = np.abs(beta[cols, L - 1][:, None] * S[:, L - 1, :])
    return nodes, weights, resid


def _extremes(nodes, resid):
    """(lambda_min, its residual, lambda_max, its residual) over all runs."""
    finite = np.isfinite(nodes)
    lo_i = np.unravel_index(np.argmin(np.where(finite, nodes, np.inf)), nodes.shape)
    hi_i = np.unravel_index(np.argmax(np.where(finite, nodes, -np.inf)), nodes.shape)
    return float(nodes[lo_i]), float(resid[lo_i]), float(nodes[hi_i]), float(resid[hi_i])


def lanczos_extremes(op, *, steps=BOUNDS_STEPS, probes=1, rng=None, probe="rademacher"):
    r"""Most negative and largest eigenvalues by Lanczos, with residual bounds.

    Returns a dict: ``lambda_min``, ``lambda_min_residual``, ``lambda_max``,
    ``lambda_max_residual`` (an eigenvalue lies within the residual of each; see the module
    notes), ``matvecs``.
    """
    op = as_operator(op)
    o = check_options(probes=probes, steps=steps, probe=probe)
    gen = _seeds.generator(rng, op.xp)
    a, bt, L = lanczos(op, unit_probes(gen, op, o["probes"], probe), o["steps"])
    nodes, _, resid = gauss_quadrature(a, bt, L)
    lo, rlo, hi, rhi = _extremes(nodes, resid)
    return {"lambda_min": lo, "lambda_min_residual": rlo, "lambda_max": hi,
            "lambda_max_residual": rhi, "matvecs": int(o["probes"] * a.shape[1])}


def spectral_bounds(op, *, steps=BOUNDS_STEPS, rng=None):
    r"""An interval ``(lo, hi)`` containing the spectrum: the Lanczos extremes widened by their
    residual bounds (:func:`lanczos_extremes`, module notes); also returns the extremes dict."""
    ext = lanczos_extremes(op, steps=steps, rng=rng)
    return (ext["lambda_min"] - ext["lambda_min_residual"],
            ext["lambda_max"] + ext["lambda_max_residual"]), ext


# --------------------------------------------------------------------------- KPM

def jackson(N):
    r"""Jackson damping factors :math:`g_0..g_{N-1}` for ``N`` moments (Weiße et al., Rev. Mod.
    Phys. 78, 275 (2006), Eq. (71)): :math:`g_k = [(N-k+1)\cos\frac{\pi k}{N+1} +
    \sin\frac{\pi k}{N+1}\cot\frac{\pi}{N+1}]/(N+1)`."""
    k = np.arange(N)
    q = np.pi / (N + 1)
    return ((N - k + 1) * np.cos(q * k) + np.sin(q * k) / np.tan(q)) / (N + 1)


def kpm_moments(op, degree, V0, bounds):
    r"""Chebyshev moments :math:`\mu_0..\mu_{\rm degree}` of each unit column of ``V0``
    for :math:`\tilde A = (A - c)/h`, ``(c - h, c + h) = bounds``: host ``(b, degree + 1)``,
    from ``ceil(degree / 2)`` block products (module notes)."""
    op = as_operator(op)
    xp = op.xp
    lo, hi = map(float, bounds)
    c, h = 0.5 * (lo + hi), 0.5 * (hi - lo)
    K = (degree + 1) // 2

    def At(V):
        out = op.matvec(V)
        out -= c * V
        out *= 1.0 / h
        return out

    dot = lambda U, W: xp.sum(U * W, axis=0)       # noqa: E731
    mu = xp.empty((degree + 1, V0.shape[1]), dtype=op.dtype)     # on the device until the end
    v0 = V0
    with np.errstate(invalid="ignore", over="ignore"):      # non-finite: refused below
        v1 = At(v0)
        mu[0] = m0 = dot(v0, v0)
        mu[1] = m1 = dot(v0, v1)
        prev, cur = v0, v1
        for k in range(1, K + 1):
            if k > 1:
                nxt = At(cur)
                nxt *= 2.0
                nxt -= prev
                prev, cur = cur, nxt
            if 2 * k <= degree:
                mu[2 * k] = 2.0 * dot(cur, cur) - m0         # mu_{2k}
            mu[2 * k - 1] = 2.0 * dot(cur, prev) - m1        # mu_{2k-1} (k = 1: mu_1)
    out = to_numpy(mu).T.astype(float)                        # one transfer per call
    if not np.all(np.isfinite(out)):
        raise InputError("op returned non-finite values (a NaN or an infinity) in the "
                         "Chebyshev recurrence")
    return out


def _kpm_cdf(mu, x, c, h, g):
    """Jackson-damped CDF at ``x`` for moment rows ``mu`` ``(b, N)``: ``(b, len(x))``."""
    y = np.clip((np.asarray(x, dtype=float) - c) / h, -1.0, 1.0)
    theta = np.arccos(y)
    k = np.arange(1, mu.shape[1])
    S = np.sin(np.outer(theta, k)) / k                 # (len(x), N-1)
    return (g[0] * mu[:, :1] * (np.pi - theta)[None, :] / np.pi
            - (2.0 / np.pi) * (mu[:, 1:] * g[1:]) @ S.T)


def _kpm_density(mu, x, c, h, g):
    y = (np.asarray(x, dtype=float) - c) / h
    inside = np.abs(y) < 1
    yi = np.where(inside, y, 0.0)
    T = np.cos(np.outer(np.arccos(yi), np.arange(mu.shape[1])))       # T_k(y)
    series = g[0] * mu[:, :1] + 2.0 * (mu[:, 1:] * g[1:]) @ T[:, 1:].T
    return np.where(inside, series / (np.pi * np.sqrt(1 - yi * yi) * h), 0.0)


# --------------------------------------------------------------------------- the entry

def _mean_se(values):
    """Mean over axis 0 and its standard error (s / sqrt(b); None for one probe)."""
    values = np.asarray(values, dtype=float)
    mean = values.mean(axis=0)
    if values.shape[0] < 2:
        return mean, None
    return mean, values.std(axis=0, ddof=1) / math.sqrt(values.shape[0])


def _slq_cdf(nodes, weights, x, resid=None):
    """Per probe at ``x``: the interpolated Gauss CDF and its Chebyshev–Markov–Stieltjes
    bound (module notes), both ``(b, len(x))``.  With the Ritz residuals ``resid`` (the
    counts): the Gauss rule's own step CDF, which never splits a node, and the bracket
    narrowed by the masses the resolved Ritz pairs hold (module notes, *near-zero mass*)."""
    x = np.asarray(x, dtype=float)
    F = np.empty((nodes.shape[0], x.size))
    bound = np.empty_like(F)
    for c in range(nodes.shape[0]):
        keep = np.isfinite(nodes[c])
        theta, tau = nodes[c, keep], weights[c, keep]
        L = theta.size
        cum = np.concatenate([[0.0], np.cumsum(tau)])            # S_0 .. S_L
        j = np.searchsorted(theta, x, side="left")               # nodes below x
        lower = cum[np.maximum(j - 1, 0)]
        upper = cum[np.minimum(j + 1, L)]
        if resid is None:
            F[c] = np.interp(x, theta, cum[:-1] + 0.5 * tau, left=0.0, right=cum[-1])
        else:
            up, dn = _resolved_bracket(theta, tau, resid[c, keep], cum, x)
            upper, lower = np.minimum(upper, up), np.maximum(lower, dn)
            F[c] = np.clip(cum[j], lower, upper)
        bound[c] = np.maximum(F[c] - lower, upper - F[c])
    return F, bound


def _resolved_bracket(theta, tau, r, cum, x):
    """Upper and lower bounds on one probe's CDF at ``x`` from the masses that the Ritz pairs
    hold near their nodes (module notes, *near-zero mass*): for every end node ``e`` above
    ``x``, ``F(x) <= S_{e+1} - sum m_l`` over the nodes ``x <= theta_l < theta_e``; below
    ``x`` symmetrically.  ``(len(x),)`` each."""
    L = theta.size
    ext = np.concatenate([theta, [np.inf]])
    up = np.full(x.size, np.inf)
    dn = np.full(x.size, -np.inf)
    for e in range(L + 1):                   # I = [x, theta_e): nodes in it, F <= S_{e+1} - m
        inside = (theta[None, :] >= x[:, None]) & (np.arange(L) < e)[None, :]
        d = np.minimum(theta[None, :] - x[:, None], ext[e] - theta[None, :])
        m = np.where(inside, _resolved_mass(tau, r, d), 0.0).sum(axis=1)
        up = np.minimum(up, np.where(x <= ext[e], cum[min(e + 1, L)] - m, np.inf))
    ext = np.concatenate([[-np.inf], theta])
    for s in range(-1, L):                   # I = (theta_s, x): F >= S_s + m
        inside = (theta[None, :] < x[:, None]) & (np.arange(L) > s)[None, :]
        d = np.minimum(x[:, None] - theta[None, :], theta[None, :] - ext[s + 1])
        m = np.where(inside, _resolved_mass(tau, r, d), 0.0).sum(axis=1)
        dn = np.maximum(dn, np.where(x > ext[s + 1], cum[max(s, 0)] + m, -np.inf))
    return up, dn


def _resolved_mass(tau, r, delta):
    r"""Lower bound :math:`(\sqrt{\tau} - r/\delta)_+^2` on the probe's spectral mass within
    ``delta`` of a node of weight ``tau`` and Ritz residual ``r`` (module notes); 0 where
    ``delta <= 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.maximum(np.sqrt(tau) - r / delta, 0.0) ** 2
    return np.where(delta > 0, m, 0.0)


def _plan(op, method, o, points):
    """Refuse, before anything is allocated, a call whose arrays do not fit the memory
    budget (:func:`rmtland.linalg.dense.memory_budget`), naming the parameter and its
    largest value that fits. Host float64 arrays: SLQ per probe ``5k`` coefficients, nodes,
    weights and residuals, ``2k^2`` for the tridiagonal matrices and their eigenvectors,
    ``2k`` per grid point for the smoothed density and ``2`` for the CDF and its bound
    (``k`` = steps); KPM per probe ``2(degree + 1)`` moments and ``2`` per grid point, shared
    ``3 (degree + 1)`` per grid point (the Chebyshev tables). Device: ``4 n`` per probe of a
    block (the recurrence vectors) plus its coefficients."""
    limit = memory_budget(np)[1]
    dlimit = memory_budget(op.xp)[1] if op.xp is not np else limit
    probes, block = o["probes"], min(o["block"], o["probes"])
    if method == "slq":
        k = o["steps"]
        shared, per_probe = 8 * points, 8 * (5 * k + 2 * k * k + (2 * k + 2) * points)
        per_column = op.dtype.itemsize * 4 * op.n + 8 * 3 * k
        what = f"steps={k}"
    else:
        N = o["degree"] + 1
        shared, per_probe = 8 * (3 * N * points + points), 8 * (2 * N + 2 * points)
        per_column = op.dtype.itemsize * (4 * op.n + N)
        if shared > limit:
            raise InputError(f"degree={o['degree']} on {points} grid points needs about "
                             f"{shared / 2**30:.3g} GiB for the Chebyshev tables, more than "
                             f"the {limit / 2**30:.3g} GiB available on the host: degree must "
                             f"be in [2, {max(2, limit // (24 * points) - 1)}] here")
        what = f"degree={o['degree']}"
    if shared + per_probe > limit:
        raise InputError(f"{what} with {points} grid points needs about "
                         f"{(shared + per_probe) / 2**30:.3g} GiB per probe, more than the "
                         f"{limit / 2**30:.3g} GiB available on the host; reduce "
                         f"{what.split('=')[0]} or points")
    if shared + probes * per_probe > limit:
        raise InputError(f"probes={probes} needs about "
                         f"{(shared + probes * per_probe) / 2**30:.3g} GiB on the host "
                         f"({what}, {points} grid points), more than the "
                         f"{limit / 2**30:.3g} GiB available: probes must be in "
                         f"[1, {(limit - shared) // per_probe}] here")
    if block * per_column > dlimit:
        where = "the GPU" if op.xp is not np else "the host"
        raise InputError(f"a block of {block} probes of size n={op.n} ({what}) needs about "
                         f"{block * per_column / 2**30:.3g} GiB, more than the "
                         f"{dlimit / 2**30:.3g} GiB available on {where}: block must be in "
                         f"[1, {max(1, dlimit // per_column)}] here (or reduce "
                         f"{what.split('=')[0]})")


def _checked(op, method, probes, steps, degree, probe, x, points, at, tau, bandwidth, block,
             n, dtype, device):
    """Every check of :func:`spectrum` before its first product: the options, ``at``,
    ``tau``, ``x``, the operator, and the memory plan (:func:`_plan`)."""
    o = check_options(method, probes, steps, degree, probe, block, points, bandwidth)
    at = _validate.finite("at", at)
    if tau is not None:
        tau = _validate.nonnegative("tau", tau)
    if x is not None:
        x = np.sort(_validate.finite_array("x", x).ravel())
        if x.size < 1:
            raise InputError("x must hold at least one point")
    op = as_operator(op, n=n, dtype=dtype, device=device)
    o["steps_requested"] = o["steps"]
    o["steps"] = min(o["steps"], op.n)             # exact: Lanczos ends by step n
    _plan(op, method, o, x.size if x is not None else o.get("points", points))
    return op, o, x, at, tau


def check_spectrum(op, *, method="slq", probes=20, steps=100, degree=400, probe="rademacher",
                   x=None, points=400, at=0.0, tau=None, bandwidth=None, block=BLOCK, n=None,
                   dtype=None, device=None):
    """The checks :func:`spectrum` makes before its first product (same arguments, same
    :class:`InputError`, naming the parameter), without any product: for a caller that must
    refuse a run before building its operator's data.  Returns None."""
    _checked(op, method, probes, steps, degree, probe, x, points, at, tau, bandwidth, block,
             n, dtype, device)


def spectrum(op, *, method="slq", probes=20, steps=100, degree=400, probe="rademacher",
             x=None, points=400, at=0.0, tau=None, bandwidth=None, block=BLOCK, rng=None,
             n=None, dtype=None, device=None):
    r"""Density, CDF, index and extreme eigenvalues of a symmetric operator, with error bars.

    Parameters
    ----------
    op : Operator, square array, or callable
        :func:`rmtland.linalg.operators.as_operator` (a callable needs ``n``, and ``dtype``
        and ``device`` when not float64 on the CPU).  A network Hessian:
        :func:`rmtland.networks.operators.hessian_operator`.
    method : {"slq", "kpm"}
    probes : int >= 1
        Random probe vectors (``probe`` kind); the standard errors are over them.
    steps : int >= 1
        Lanczos steps per probe (SLQ); clipped to ``n`` (exact: the Krylov space of an
        ``n x n`` operator has dimension at most ``n``, so Lanczos ends by step ``n`` in exact
        arithmetic, and the ``n``-node Gauss rule is exact; :func:`lanczos`). The result
        gives ``steps`` (used) and ``steps_requested``.
    degree : int >= 2
        Chebyshev moments :math:`\mu_0..\mu_{\rm degree}` (KPM), ``ceil(degree/2)`` products
        per probe.
    probe : {"rademacher", "gaussian"}
    x : array, optional
        Grid for the density and the CDF (default ``points`` points spanning the extremes).
    at : float
        Where the index is taken: :math:`\alpha = F(\text{at}) = P(\lambda < \text{at})`.
    tau : float >= 0, optional
        Also count the eigenvalues below :math:`-\tau`, in :math:`[-\tau, \tau)` and at or
        above :math:`\tau` (module notes, *near-zero mass*): ``counts`` in the result.
    bandwidth : float > 0, optional
        SLQ density smoothing (default (lambda_max - lambda_min) / steps).
    block : int >= 1
        Probes per block product.
    rng : seed (:mod:`rmtland._seeds`)

    Returns
    -------
    dict
        ``method``, ``probe``, ``probes``, ``steps`` or ``degree``, ``matvecs`` (operator
        times vector, all of them), ``x``, ``density``, ``density_stderr``, ``cdf``,
        ``cdf_stderr``, ``cdf_bias_bound``, ``index``, ``index_stderr``,
        ``index_bias_bound`` (module notes: SLQ a rigorous quadrature bound, KPM the
        smoothing bias from degrees N and N/2), ``lambda_min``, ``lambda_min_residual``,
        ``lambda_max``, ``lambda_max_residual``, ``bounds`` (KPM's interval), ``trace`` and
        ``trace_stderr`` (Hutchinson, from each probe's first moment: no extra product),
        ``counts`` (with ``tau``: ``tau`` and ``below``, ``near_zero``, ``above``, each a dict
        of ``fraction``, ``stderr``, ``bias_bound`` and ``count``, ``count_stderr``,
        ``count_bias_bound`` = n times those), ``per_probe`` (host arrays ``index``
        (probes,), ``cdf`` (probes, len(x)) and ``trace`` (probes,), for pooling runs; SLQ
        adds each probe's Gauss rule, ``nodes`` and ``weights`` (probes, steps), with ``+inf``
        nodes of weight 0 where a probe's Lanczos run ended early),
        ``seconds``.  Standard errors are None for one probe.

    Raises
    ------
    InputError
        Bad options (``tau < 0`` included), a non-finite or non-symmetric dense matrix,
        non-finite products (once per call), or ``probes``, ``steps``, ``degree``, ``points`` or ``block`` whose arrays
        would not fit the memory budget: refused before anything is allocated, naming the
        parameter and its largest value that fits (:func:`_plan`).
    """
    op, o, x, at, tau = _checked(op, method, probes, steps, degree, probe, x, points, at, tau,
                                 bandwidth, block, n, dtype, device)
    t0 = time.perf_counter()
    gen = _seeds.generator(rng, op.xp)
    sizes = _blocks(o["probes"], o["block"])
    out = {"method": method, "probe": probe, "probes": o["probes"], "operator": op.name,
           "n": op.n, "dtype": op.dtype.name}
    if method == "slq":
        runs = [lanczos(op, unit_probes(gen, op, b, probe), o["steps"]) for b in sizes]
        nodes, weights, resid = gauss_quadrature(np.concatenate([r[0] for r in runs]),
                                                 np.concatenate([r[1] for r in runs]),
                                                 np.concatenate([r[2] for r in runs]))
        lo, rlo, hi, rhi = _extremes(nodes, resid)
        matvecs = o["probes"] * o["steps"]
        grid = _grid(x, lo - rlo, hi + rhi, o.get("points", points))
        F, bound = _slq_cdf(nodes, weights, grid)
        Fa, bound_a = _slq_cdf(nodes, weights, [at])
        if tau is not None:
            Fc, bc = _slq_cdf(nodes, weights, [-tau, tau], resid)
        tr = op.n * np.concatenate([r[0][:, 0] for r in runs])         # u^T A u: mu_1
        width = hi - lo if hi > lo else max(abs(hi), 1.0)       # one node: c I, steps=1
        h = o.get("bandwidth") or width / o["steps"]
        fin = np.where(np.isfinite(nodes), nodes, 0.0)
        z = (grid[None, None, :] - fin[:, :, None]) / h
        dens = np.einsum("bk,bkx->bx", weights, np.exp(-0.5 * z * z)) / (h * math.sqrt(2 * np.pi))
        out.update(steps=o["steps"], steps_requested=o["steps_requested"], bandwidth=h,
                   cdf_bias_bound=bound.mean(axis=0), index_bias_bound=float(bound_a.mean()))
        bounds = (lo - rlo, hi + rhi)
    else:
        (lo_b, hi_b), ext = spectral_bounds(op, rng=gen)
        lo, rlo, hi, rhi = (ext["lambda_min"], ext["lambda_min_residual"], ext["lambda_max"],
                            ext["lambda_max_residual"])
        N = o["degree"] + 1
        eps = float(np.finfo(op.dtype).eps)
        width = hi_b - lo_b if hi_b > lo_b else max(abs(hi_b), 1.0)
        pad = KPM_PAD * width
        matvecs = ext["matvecs"]
        for attempt in range(KPM_RETRIES + 1):
            bounds = (lo_b - pad, hi_b + pad)
            mu = np.concatenate([kpm_moments(op, o["degree"], unit_probes(gen, op, b, probe),
                                             bounds) for b in sizes])
            matvecs += o["probes"] * ((o["degree"] + 1) // 2)
            if np.all(np.abs(mu) <= 1 + math.sqrt(eps)):
                break
            pad = 2 * pad + 0.25 * width
        else:
            raise np.linalg.LinAlgError(
                f"KPM: moments beyond 1 after {KPM_RETRIES} widenings of the interval "
                f"{bounds}: the operator is not symmetric, or its spectrum is unbounded")
        c, hw = 0.5 * (bounds[0] + bounds[1]), 0.5 * (bounds[1] - bounds[0])
        g = jackson(N)
        grid = _grid(x, lo - rlo, hi + rhi, o.get("points", points))
        F = _kpm_cdf(mu, grid, c, hw, g)
        Fa = _kpm_cdf(mu, [at], c, hw, g)
        Fa_half = _kpm_cdf(mu[:, :N // 2], [at], c, hw, jackson(N // 2))
        dens = _kpm_density(mu, grid, c, hw, g)
        bias = abs(float(Fa_half.mean() - Fa.mean())) / (2 ** 1.5 - 1)
        tr = op.n * (c + hw * mu[:, 1])                                  # u^T A u
        if tau is not None:
            Fc = _kpm_cdf(mu, [-tau, tau], c, hw, g)
            half = _kpm_cdf(mu[:, :N // 2], [-tau, tau], c, hw, jackson(N // 2))
            bc = np.broadcast_to(np.abs(half.mean(0) - Fc.mean(0)) / (2 ** 1.5 - 1), Fc.shape)
        out.update(degree=o["degree"], cdf_bias_bound=None, index_bias_bound=bias)
    dm, ds = _mean_se(dens)
    Fm, Fs = _mean_se(F)
    am, as_ = _mean_se(Fa[:, 0])
    tm, ts = _mean_se(tr)
    per_probe = {"index": Fa[:, 0], "cdf": F, "trace": tr}
    if method == "slq":
        # the Gauss rule of each probe, for fits and pooling (rmtland.compare.fit reads these);
        # a column that ended early (Krylov space exhausted) has +inf nodes of weight 0
        per_probe.update(nodes=nodes, weights=weights)
    if tau is not None:
        out["counts"] = _counts(Fc, bc, tau, op.n)
    out.update(matvecs=int(matvecs), x=grid, density=dm, density_stderr=ds, cdf=Fm,
               cdf_stderr=Fs, index=float(am), index_stderr=None if as_ is None else float(as_),
               at=at, lambda_min=lo, lambda_min_residual=rlo, lambda_max=hi,
               lambda_max_residual=rhi, bounds=tuple(map(float, bounds)), trace=float(tm),
               trace_stderr=None if ts is None else float(ts),
               per_probe=per_probe, seconds=time.perf_counter() - t0)
    return out


def _counts(Fc, bc, tau, n):
    """Fractions below ``-tau``, in ``[-tau, tau)`` and at or above ``tau`` from the per-probe
    CDF ``Fc`` ``(b, 2)`` at ``(-tau, tau)`` and its bias bounds ``bc``: mean, standard error
    over probes, bias bound (the differences of two CDF values: the sum of their bounds; a
    fraction lies in [0, 1], so no bound exceeds ``max(fraction, 1 - fraction)``), and ``n``
    times each."""
    parts = {"below": (Fc[:, 0], bc[:, 0]), "near_zero": (Fc[:, 1] - Fc[:, 0], bc.sum(axis=1)),
             "above": (1.0 - Fc[:, 1], bc[:, 1])}
    out = {"tau": tau}
    for name, (f, b) in parts.items():
        m, se = _mean_se(f)
        bias = min(float(np.mean(b)), max(float(m), 1.0 - float(m)))
        out[name] = {"fraction": float(m), "stderr": None if se is None else float(se),
                     "bias_bound": bias, "count": n * float(m),
                     "count_stderr": None if se is None else n * float(se),
                     "count_bias_bound": n * bias}
    return out


def _grid(x, lo, hi, points):
    if x is not None:
        return x
    pad = 0.02 * (hi - lo if hi > lo else 1.0)
    return np.linspace(lo - pad, hi + pad, points)
