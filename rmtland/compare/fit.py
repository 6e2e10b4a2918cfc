r"""Fitting a spectral law to a measured spectrum: parameters with standard errors, a
goodness-of-fit p-value, and the outliers with the spike strengths that explain them.

Laws (:data:`LAWS`, parameters in :data:`PARAMS`):

* ``"pb"``: Pennington–Bahri :math:`\mathrm{PB}(\varphi, \varepsilon) = \mathrm{MP}(\varphi)
  \boxplus \mathrm{SC}(2\varepsilon)` (PB17 Sec. 3), mean 1, no free scale;
* ``"mp"``: :math:`s\cdot\mathrm{MP}(\varphi)`, Marchenko–Pastur with a scale :math:`s`;
* ``"mp+semicircle"``: :math:`s\cdot(\mathrm{MP}(\varphi) \boxplus \mathrm{SC}(\sigma^2))
  = s\cdot\mathrm{PB}(\varphi, \sigma^2/2)`, PB with a free overall scale (a network's Hessian is
  not normalised to mean 1).

:math:`\varphi` is fitted, or fixed (``phi=``, e.g. parameters / (outputs × samples) from the
architecture).

**Estimator: minimum Cramér–von Mises distance.**  With the bulk sorted, :math:`y_1 \le \dots
\le y_N` and weights :math:`w_k` (:math:`1/N` for eigenvalues; the Gauss-quadrature weights of
SLQ), the fit minimises :math:`\sum_k w_k (F_\theta(y_k) - c_k + w_k/2)^2`, :math:`c_k =
\sum_{j\le k} w_j` (for eigenvalues :math:`N^{-1}\sum_i (F_\theta(y_{(i)}) - (i-\frac12)/N)^2
= W^2/N - 1/(12N^2)`, the Cramér–von Mises statistic; Anderson & Darling 1952; Wolfowitz 1957
for minimum-distance estimation) by nonlinear least squares (trust-region reflective, on the
logarithms of the parameters) from a moment start.  It uses the laws' exact CDFs
(:meth:`PenningtonBahri.cdf` is closed form) and, unlike the Kolmogorov–Smirnov distance, is
smooth in the parameters, so a fit takes a few tens of CDF evaluations.  On the law's own
quantiles :math:`y_i = F^{-1}((i-\frac12)/N)` every residual vanishes at the truth: the fit
returns it exactly.  The goodness of fit is reported as the KS distance of the fitted law
(:func:`~rmtland.compare.metrics.ks_distance`).

**Standard errors and p-value: parametric bootstrap at the same size, with refits.**  For
eigenvalues (one matrix of size :math:`n`), ``bootstrap`` = B replicate spectra of the fitted
model are drawn at the same :math:`n` (PB: the tridiagonal Laguerre matrix plus a GOE
matrix, exact in law for the eigenvalues of :func:`~rmtland.sampling.hessian.sample_hessian`
with :math:`m = \mathrm{round}(n/\hat\varphi)`, see :func:`~rmtland.sampling.hessian.
hessian_operator`; MP: :func:`~rmtland.sampling.ensembles.wishart_eigenvalues`), the detected
spikes planted in them (additive: :func:`~rmtland.sampling.spiked.add_spikes`; covariance:
:func:`~rmtland.sampling.spiked.sample_spiked_wishart`); each replicate goes through the same
procedure (outlier rule, fit, KS).  The standard error of a parameter is the standard
deviation of its B refitted values; the p-value is :math:`(1 + \#\{KS_b \ge KS\})/(B+1)`
(Davison & Hinkley 1997, Sec. 4.2; refitting in each replicate accounts for the estimated
parameters, Stute, Gonzáles Manteiga & Presedo Quindimil 1993).  The eigenvalues are never
resampled i.i.d.: eigenvalues of one random matrix are strongly correlated (rigidity), and an
i.i.d. bootstrap overstates the parameter error many-fold.  For SLQ input (nodes and weights
per probe, the probes i.i.d.) the probes are resampled with replacement and refitted (the
standard error); there is no p-value (the finite-n null of an SLQ estimate needs the matrix
and the quadrature's own error, which a file of nodes and weights does not carry).

**Outliers.**  With a ``rule`` (:data:`OUTLIER_RULES`, the validated rules of
:func:`rmtland.compare.trained.outliers`; default ``"edge"``, which can find none) the top
``count`` eigenvalues are outliers and the law is fitted to the rest (the spiked version of
the law).  Each outlier is reported with

* ``value``: the observed eigenvalue;
* ``spike``: :math:`\hat\theta = 1/G(\mathrm{value})`, the strength of an additive spike free
  from the fitted bulk that would put the outlier there (Benaych-Georges & Nadakuditi 2011,
  Theorem 2.1; :func:`rmtland.analytic.spiked.additive_strength`), or for
  ``spike_kind="covariance"`` (law ``"mp"``) the population eigenvalue :math:`\hat\ell` in
  units of :math:`s` (Baik & Silverstein 2006; :func:`~rmtland.analytic.spiked.
  covariance_strength`); ``None`` when the value is not right of the fitted bulk;
  ``spike_stderr`` its bootstrap standard error (the spikes are planted in every replicate);
* ``predicted``: :math:`\lambda(\theta)` (:func:`~rmtland.analytic.spiked.additive_location`,
  or :math:`s\,\ell(1 + \varphi/(\ell-1))` for covariance spikes) for strengths the user
  supplies (``spikes=[...]``, e.g. from class means), the largest strength paired with the
  largest outlier; ``None`` when no strength is given for it or it is below the BBP threshold
  (then no outlier separates).  ``predictions`` lists every supplied strength with its
  location.

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix Theory",
ICML 2017, PMLR 70, 2798–2806, https://proceedings.mlr.press/v70/pennington17a.html.
T. W. Anderson, D. A. Darling, "Asymptotic theory of certain goodness of fit criteria based
on stochastic processes", Ann. Math. Statist. 23(2), 193–212 (1952),
doi:10.1214/aoms/1177729437.
J. Wolfowitz, "The minimum distance method", Ann. Math. Statist. 28(1), 75–88 (1957),
doi:10.1214/aoms/1177707038.
W. Stute, W. Gonzáles Manteiga, M. Presedo Quindimil, "Bootstrap based goodness-of-fit
tests", Metrika 40, 243–256 (1993), doi:10.1007/BF02613687.
A. C. Davison, D. V. Hinkley, "Bootstrap Methods and their Application", Cambridge University
Press (1997), doi:10.1017/CBO9780511802843.
F. Benaych-Georges, R. R. Nadakuditi, Adv. Math. 227(1), 494–521 (2011),
doi:10.1016/j.aim.2011.02.007, arXiv:0910.2120.
J. Baik, J. W. Silverstein, J. Multivariate Anal. 97(6), 1382–1408 (2006),
doi:10.1016/j.jmva.2005.08.003.
"""
import math

import numpy as np

from .._validate import InputError
from .. import _seeds, _validate
from ..analytic.hessian import EPS_MAX, PHI_MAX, PenningtonBahri
from ..analytic.laws import MarchenkoPastur, SpectralLaw
from ..analytic import spiked
from .metrics import ks_distance, snap_zeros

__all__ = ["fit_law", "check_fit", "fitted_law", "fit_curves", "ScaledLaw", "LAWS", "PARAMS",
           "OUTLIER_RULES", "SPIKE_KINDS", "MIN_EIGS", "EIG_MAX", "DEFAULT_BOOTSTRAP",
           "DEFAULT_RULE"]

#: laws that can be fitted
LAWS = ("pb", "mp", "mp+semicircle")
#: their parameters, in order
PARAMS = {"pb": ("phi", "eps"), "mp": ("phi", "scale"),
          "mp+semicircle": ("phi", "sigma2", "scale")}
#: outlier rules (the validated ones of rmtland.compare.trained; "none": no outliers)
OUTLIER_RULES = ("edge", "gap_ratio", "widest_gap", "none")
DEFAULT_RULE = "edge"
SPIKE_KINDS = ("additive", "covariance")
#: fewest eigenvalues (or SLQ probes' nodes) a fit accepts
MIN_EIGS = 20
DEFAULT_BOOTSTRAP = 100
#: largest |eigenvalue| accepted (the moments of the start must not overflow)
EIG_MAX = 1e100
#: parameter box of the fit (log-parameters are bounded to it)
_LO = {"phi": 1e-6, "eps": 1e-12, "sigma2": 1e-12, "scale": 1e-300}
_HI = {"phi": 1e6, "eps": min(EPS_MAX, 1e6), "sigma2": min(EPS_MAX, 1e6), "scale": 1e300}
#: bytes of working memory per replicate matrix in a chunk
_CHUNK_BYTES = 2 ** 26


class ScaledLaw(SpectralLaw):
    r"""The law of :math:`sX`, :math:`X \sim` ``law``, :math:`s > 0`: :math:`F(x) = F_X(x/s)`,
    :math:`\rho(x) = \rho_X(x/s)/s`, :math:`G(z) = G_X(z/s)/s`."""

    def __init__(self, law, scale):
        self.law = law
        self.scale = _validate.positive("scale", scale)

    def support(self):
        return [[a * self.scale, b * self.scale] for a, b in self.law.support()]

    def atoms(self):
        return [(loc * self.scale, mass) for loc, mass in self.law.atoms()]

    def stieltjes(self, z):
        return self.law.stieltjes(np.asarray(z) / self.scale) / self.scale

    def density(self, x):
        return self.law.density(_validate.finite_array("x", x) / self.scale) / self.scale

    def cdf(self, x):
        return self.law.cdf(_validate.finite_array("x", x) / self.scale)

    def moments(self, k):
        return self.law.moments(k) * self.scale ** np.arange(1, k + 1)

    def __repr__(self):
        return f"ScaledLaw({self.law!r}, scale={self.scale!r})"


def fitted_law(law, params):
    """The :class:`~rmtland.analytic.laws.SpectralLaw` of ``law`` (:data:`LAWS`) at
    ``params`` (``{name: value}``, names of :data:`PARAMS`)."""
    p = params
    if law == "pb":
        return PenningtonBahri(p["phi"], p["eps"])
    if law == "mp":
        return ScaledLaw(MarchenkoPastur(p["phi"]), p["scale"])
    if law == "mp+semicircle":
        return ScaledLaw(PenningtonBahri(p["phi"], p["sigma2"] / 2), p["scale"])
    raise InputError(f"law must be one of {LAWS}, got {law!r}")


# --------------------------------------------------------------------------- validation

def _work(law, rule, n, bootstrap):
    """Operations of the bootstrap: per replicate one dense eigendecomposition (~4 n^3
    multiply-adds with the GOE draw; tridiagonal replicates ~30 n^2) and one refit (~60 law
    evaluations, each a Python-level loop step plus ~1e3 n)."""
    eig = 4.0 * n ** 3 if _dense(law, rule) else 30.0 * n * n
    return bootstrap * (eig + 60 * (_validate.LOOP_OPERATIONS + 1e3 * n))


def _dense(law, rule):
    """Whether the replicates are dense matrices: all but MP without outliers (detected
    spikes of the MP law are planted in a dense matrix)."""
    return law != "mp" or rule != "none"


def _memory(law, rule, n):
    """Bytes of one replicate: a dense n x n matrix, the GOE draw and the solver's workspace
    (about four float64 n x n arrays; a chunk of replicates stays within _CHUNK_BYTES), or
    the tridiagonal model's O(n) arrays."""
    return 32.0 * n * n if _dense(law, rule) else 64.0 * n


def check_fit(law, n, bootstrap, *, phi=None, rule=DEFAULT_RULE, spikes=None,
              spike_kind="additive"):
    """Validate the options of :func:`fit_law` for ``n`` eigenvalues (``None``: SLQ input)
    before any computing; returns the normalised ``(phi, spikes)``.  Raises
    :class:`InputError` naming the parameter and its range (a bootstrap whose memory or
    work exceeds the house budgets of :func:`rmtland._validate.within_budget` included)."""
    if law not in LAWS:
        raise InputError(f"law must be one of {', '.join(LAWS)}, got {law!r}")
    if phi is not None:
        phi = _validate.positive("phi", phi, PHI_MAX)
    if rule not in OUTLIER_RULES:
        raise InputError(f"rule must be one of {', '.join(OUTLIER_RULES)}, got {rule!r}")
    if spike_kind not in SPIKE_KINDS:
        raise InputError(f"spike_kind must be one of {SPIKE_KINDS}, got {spike_kind!r}")
    if spike_kind == "covariance" and law != "mp":
        raise InputError("spike_kind='covariance' (population spikes on Marchenko-Pastur) needs "
                         f"law='mp', got law={law!r}")
    bootstrap = _validate.integer("bootstrap", bootstrap, 1)
    if spikes is not None:
        spikes = _validate.finite_array("spikes", spikes).ravel()
        if spikes.size == 0 or np.any(spikes <= 0) or np.any(spikes > EIG_MAX):
            raise InputError(f"spikes must be one or more spike strengths in (0, {EIG_MAX:g}] "
                             "(data units, bounded as the eigenvalues are), got "
                             f"{spikes.tolist() if spikes.size <= 8 else '...'}")
        spikes = np.sort(spikes)[::-1]
    if n is not None:
        if n < MIN_EIGS:
            raise InputError(f"eigs must hold at least {MIN_EIGS} eigenvalues, got {n}")
        if n > 1 and phi is not None and round(n / phi) < 1:
            raise InputError(f"phi must be in (0, {2 * n}] for n = {n} eigenvalues "
                             f"(m = round(n/phi) >= 1), got {phi!r}")
        _validate.within_budget(
            {"bootstrap": bootstrap, "n": n},
            _validate.Budget(lambda bootstrap, n: _memory(law, rule, n), _memory_limit(),
                             what="a bootstrap replicate"),
            _validate.Budget(lambda bootstrap, n: _work(law, rule, n, bootstrap),
                             _validate.WORK_MAX,
                             what="bootstrap (replicates and refits)", unit="operations"),
            minimum={"bootstrap": 1, "n": MIN_EIGS})
    return phi, bootstrap, spikes


def _memory_limit():
    from ..linalg.dense import memory_budget
    return memory_budget(np)[1]


# --------------------------------------------------------------------------- the fit

def _moment_start(y, w, law, phi):
    """Moment estimates: PB has cumulants kappa_2 = phi + 2 eps, kappa_3 = phi^2 (mean 1);
    s MP(phi) mean s, variance s^2 phi; s PB(phi, sigma2/2) mean s, kappa_2 = s^2 (phi +
    sigma2), kappa_3 = s^3 phi^2 (module docstring)."""
    mean = float(np.sum(w * y))
    k2 = float(np.sum(w * (y - mean) ** 2))
    k3 = float(np.sum(w * (y - mean) ** 3))
    s = mean if mean > 0 else math.sqrt(k2) if k2 > 0 else 1.0
    if law == "pb":
        s = 1.0
    p = {}
    p["phi"] = phi if phi is not None else math.sqrt(max(k3, 1e-4 * s ** 3) / s ** 3)
    if law == "pb":
        p["eps"] = max((k2 - p["phi"]) / 2, 1e-3 * p["phi"])
    elif law == "mp":
        p["scale"] = s
        if phi is None:
            p["phi"] = max(k2 / s ** 2, 1e-4)
    else:
        p["scale"] = s
        p["sigma2"] = max(k2 / s ** 2 - p["phi"], 1e-3 * p["phi"])
    return {k: min(max(v, _LO[k]), _HI[k]) for k, v in p.items()}


def _mid_cdf(law, x):
    """:math:`(F(x) + F(x^-))/2`: the CDF with each atom counted half at its location."""
    return law.cdf(x) - sum(mass * (x == loc) for loc, mass in law.atoms()) / 2


def _tied(y, w):
    r"""Distinct sorted points, their total weights and the empirical mid-CDF
    :math:`\hat F(u^-) + W/2` at each."""
    u, first = np.unique(y, return_index=True)
    W = np.add.reduceat(w, first)
    return u, W, np.cumsum(W) - W / 2


def _fit_weighted(y, w, law, phi, start=None):
    r"""Minimum Cramér–von Mises fit of ``law`` to the sorted points ``y`` with weights ``w``
    (sum 1); returns ``{name: value}``.

    Tied points (the exact zeros of a rank-deficient spectrum) form one jump of the empirical
    CDF: the residual there compares mid-CDFs, :math:`F(u) - a/2` against
    :math:`\hat F(u^-) + W/2` (``a`` the law's atom at ``u``, ``W`` the tie's weight), so an
    atom is fitted to the mass of the tie; without ties this is the residual of the module
    docstring.  The scaled laws are fitted to ``y`` divided by its root mean square (and the
    scale multiplied back), so that the fit does not depend on the units."""
    from scipy.optimize import least_squares
    free = [k for k in PARAMS[law] if not (k == "phi" and phi is not None)]
    c = 1.0
    if "scale" in PARAMS[law]:
        top = float(np.max(np.abs(y)))
        c = top * float(np.sqrt(np.sum(w * (y / top) ** 2))) if top > 0 else 0.0
        if not c > 0:
            raise InputError("eigs must not all be zero (the scale of the law is undefined)")
        y = y / c
    p0 = dict(start) if start is not None else _moment_start(y, w, law, phi)
    if start is not None and c != 1.0:
        p0["scale"] = start["scale"] / c
    if phi is not None:
        p0["phi"] = phi
    u, W, target = _tied(y, w)
    sw = np.sqrt(W)
    hi_phi = min(_HI["phi"], y.size)              # m = round(n/phi) >= 1 for the bootstrap

    def params(v):
        return dict(p0, **{k: float(math.exp(x)) for k, x in zip(free, v)})

    def resid(v):
        return sw * (_mid_cdf(fitted_law(law, params(v)), u) - target)

    lo = np.log([_LO[k] for k in free])
    hi = np.log([hi_phi if k == "phi" else _HI[k] for k in free])
    v0 = np.clip(np.log([p0[k] for k in free]), lo + 1e-9, hi - 1e-9)
    res = least_squares(resid, v0, bounds=(lo, hi), method="trf", x_scale=1.0,
                        diff_step=1e-6, xtol=1e-10, ftol=1e-12, gtol=1e-12, max_nfev=200)
    p = params(res.x)
    if "scale" in p:
        p["scale"] *= c
    return p


def _weighted_ks(y, w, law):
    r""":math:`\sup_x |\hat F(x) - F(x)|` for the weighted empirical CDF :math:`\hat F` of the
    sorted points ``y`` (weights ``w``): as :func:`~rmtland.compare.metrics.ks_distance`
    (attained at a point, from the right or the left), with weights."""
    F = law.cdf(y)
    F_left = F - sum(mass * (y == loc) for loc, mass in law.atoms())
    c = np.concatenate([[0.0], np.cumsum(w)])
    upper = c[np.searchsorted(y, y, side="right")]
    lower = c[np.searchsorted(y, y, side="left")]
    return float(max(np.max(np.abs(upper - F)), np.max(np.abs(lower - F_left))))


def _split(eigs, rule):
    """``(bulk ascending, outliers descending)`` of one spectrum by ``rule``."""
    from .trained import outliers
    e = np.sort(eigs)
    k = 0 if rule == "none" else outliers(e, rule)["count"]
    return e[:e.size - k], e[e.size - k:][::-1]


def _strength(bulk, law, params, x, kind):
    """Spike strength of an outlier at ``x`` (module docstring), ``None`` left of the bulk."""
    try:
        if kind == "covariance":
            return spiked.covariance_strength(x / params["scale"], params["phi"])
        return spiked.additive_strength(bulk, x)
    except InputError:
        return None


def _location(bulk, params, theta, kind):
    """Predicted outlier of strength ``theta``; ``None`` at or below the BBP threshold."""
    try:
        if kind == "covariance":
            return params["scale"] * spiked.covariance_location(theta, params["phi"])
        return spiked.additive_location(bulk, theta)
    except InputError:
        return None


def _one_fit(eigs, law, phi, rule, kind, start=None):
    """The whole procedure on one spectrum: outliers, fit of the bulk, KS, spike strengths."""
    bulk_e, out = _split(eigs, rule)
    if bulk_e.size < MIN_EIGS:
        raise InputError(f"eigs must leave at least {MIN_EIGS} bulk eigenvalues after the "
                         f"outlier rule {rule!r}, got {bulk_e.size}")
    y = snap_zeros(bulk_e) if law == "mp" else bulk_e
    p = _fit_weighted(y, np.full(y.size, 1.0 / y.size), law, phi, start)
    bulk = fitted_law(law, p)
    theta = [_strength(bulk, law, p, float(x), kind) for x in out]
    return p, bulk, ks_distance(y, bulk), out, theta


# --------------------------------------------------------------------------- bootstrap

def _replicates(law, p, n, B, thetas, kind, rng):
    """Yield chunks ``(b, n)`` of eigenvalues of the fitted model at size ``n``: the bulk
    (module docstring) plus the spikes ``thetas`` (data units; covariance: population
    eigenvalues in units of the scale)."""
    from ..linalg.dense import eigvalsh_batched
    from ..sampling.ensembles import laguerre_tridiagonal, sample_goe, wishart_eigenvalues
    from ..sampling.hessian import hessian_m
    from ..sampling.spiked import add_spikes, sample_spiked_wishart
    m = hessian_m(n, p["phi"])
    s = p.get("scale", 1.0)
    eps = p["eps"] if law == "pb" else p.get("sigma2", 0.0) / 2
    ss = _seeds.seed_sequence(rng)
    chunk = max(1, min(B, _CHUNK_BYTES // (8 * n * n)))
    i = np.arange(n)
    for c, start in enumerate(range(0, B, chunk)):
        b = min(chunk, B - start)
        g = _seeds.children(_seeds.child(ss, c), 4)
        if law == "mp" and kind == "covariance" and len(thetas):
            kids = _seeds.children(g[3], b)
            yield np.stack([s * np.linalg.eigvalsh(sample_spiked_wishart(
                n, m, thetas, rng=kids[j])[0]) for j in range(b)])
            continue
        if law == "mp" and not len(thetas):
            yield s * wishart_eigenvalues(n, m, batch=b, rng=g[0])
            continue
        if law == "mp":
            H = np.zeros((b, n, n))
            H[:, i, i] = s * wishart_eigenvalues(n, m, batch=b, rng=g[0])
        else:
            d, e = laguerre_tridiagonal(n, m, batch=b, rng=g[0])
            H = sample_goe(n, batch=b, var=2 * eps, rng=g[1])
            H[:, i, i] += d
            H[:, i[:-1], i[1:]] += e
            H[:, i[1:], i[:-1]] += e
            H *= s
        if len(thetas):
            kids = _seeds.children(g[2], b)
            for j in range(b):
                H[j] = add_spikes(H[j], thetas, rng=kids[j])[0]
        yield eigvalsh_batched(H)


def _stderr(values):
    v = np.asarray([x for x in values if x is not None], dtype=float)
    return float(np.std(v, ddof=1)) if v.size >= 2 else None


# --------------------------------------------------------------------------- the entry point

def fit_law(eigs=None, *, nodes=None, weights=None, law="pb", phi=None, rule=DEFAULT_RULE,
            bootstrap=DEFAULT_BOOTSTRAP, spikes=None, spike_kind="additive", rng=None,
            progress=None):
    r"""Fit ``law`` to a measured spectrum (module docstring: estimator, bootstrap, outliers).

    Parameters
    ----------
    eigs : array_like, optional
        The eigenvalues of one symmetric matrix (any shape; flattened), at least
        :data:`MIN_EIGS`, finite.
    nodes, weights : array_like of shape ``(probes, steps)``, optional
        Instead of ``eigs``: stochastic Lanczos quadrature, the Gauss nodes and weights of each
        probe (each row's weights sum to 1; the per-probe quadrature of
        :func:`rmtland.linalg.spectral.spectrum`).
    law : {"pb", "mp", "mp+semicircle"}
        :data:`LAWS`; parameters :data:`PARAMS`.
    phi : float, optional
        Fix :math:`\varphi` (e.g. parameters / (outputs × samples)); fitted when ``None``.
    rule : {"edge", "gap_ratio", "widest_gap", "none"}
        Outlier rule (:func:`rmtland.compare.trained.outliers`); the law is fitted to the
        rest.  Not applied to SLQ input.
    bootstrap : int
        Replicates B >= 1 of the parametric (eigenvalues) or probe (SLQ) bootstrap.
    spikes : sequence of float, optional
        Spike strengths :math:`\theta` (additive) or population eigenvalues :math:`\ell`
        (``spike_kind="covariance"``, law ``"mp"``, in units of the fitted scale) whose
        outlier locations are predicted.
    spike_kind : {"additive", "covariance"}
    rng : None, int, SeedSequence or Generator
        Seed of the bootstrap.
    progress : callable, optional
        ``progress(done, total)`` after each bootstrap replicate.

    Returns
    -------
    dict
        ``law``; ``params`` ``{name: {"value", "stderr", "fixed"}}``; ``ks`` (KS distance of
        the fitted law to the bulk); ``p_value`` (``None`` for SLQ input); ``edges`` (support
        intervals of the fitted bulk) and ``atoms``; ``threshold`` (BBP threshold of the
        fitted bulk, additive: :math:`1/G(b^+)`, covariance: :math:`1+\sqrt\varphi`);
        ``outliers`` ``[{"value", "spike", "spike_stderr", "predicted"}]`` (largest first);
        ``predictions`` ``[{"theta", "location"}]``; ``n`` (eigenvalues; probes for SLQ),
        ``bulk_n``; ``distance`` ``"cramer-von-mises"``; ``input``
        (``"eigenvalues"``/``"slq"``); ``rule``, ``spike_kind``; ``bootstrap`` ``{"replicates",
        "kind", "ks"}`` (the replicates' KS distances).
    """
    if (eigs is None) == (nodes is None and weights is None):
        raise InputError("give eigs, or nodes and weights (SLQ), not both and not neither")
    if eigs is not None:
        e = _validate.finite_array("eigs", eigs, EIG_MAX).ravel()
        phi, bootstrap, spikes = check_fit(law, e.size, bootstrap, phi=phi, rule=rule,
                                           spikes=spikes, spike_kind=spike_kind)
        return _fit_eigs(e, law, phi, rule, bootstrap, spikes, spike_kind, rng, progress)
    if nodes is None or weights is None:
        raise InputError("nodes and weights must be given together (SLQ input)")
    X = _validate.finite_array("nodes", nodes, EIG_MAX)
    W = _validate.finite_array("weights", weights)
    if X.ndim != 2 or X.shape != W.shape:
        raise InputError(f"nodes and weights must be arrays of the same shape (probes, steps), "
                         f"got {X.shape} and {W.shape}")
    if np.any(W < 0) or not np.allclose(W.sum(axis=1), 1.0, atol=1e-6):
        raise InputError("weights must be >= 0 and sum to 1 over each probe's steps")
    if X.size < MIN_EIGS:
        raise InputError(f"nodes must hold at least {MIN_EIGS} nodes, got {X.size}")
    if spike_kind == "covariance":
        raise InputError("spike_kind='covariance' needs eigenvalues, not SLQ nodes")
    phi, bootstrap, spikes = check_fit(law, None, bootstrap, phi=phi, rule="none",
                                       spikes=spikes, spike_kind=spike_kind)
    return _fit_slq(X, W, law, phi, bootstrap, spikes, rng, progress)


def _params_out(law, p, reps, phi):
    return {k: {"value": float(p[k]),
                "stderr": None if (k == "phi" and phi is not None) else
                _stderr([r[k] for r in reps]),
                "fixed": bool(k == "phi" and phi is not None)} for k in PARAMS[law]}


def _predictions(bulk, p, spikes, kind):
    if spikes is None:
        return []
    return [{"theta": float(t), "location": _location(bulk, p, float(t), kind)} for t in spikes]


def _threshold(bulk, p, kind):
    if kind == "covariance":
        return float(spiked.covariance_threshold(p["phi"]))
    return float(spiked.additive_threshold(bulk))


def _fit_eigs(e, law, phi, rule, B, spikes, kind, rng, progress=None):
    n = e.size
    p, bulk, ks, out, theta = _one_fit(e, law, phi, rule, kind)
    planted = [t for t in theta if t is not None]
    reps, ks_b, theta_b = [], [], []
    for chunk in _replicates(law, p, n, B, planted, kind, rng):
        for eb in chunk:
            pb, _, kb, _, tb = _one_fit(eb, law, phi, rule, kind, start=p)
            reps.append(pb)
            ks_b.append(kb)
            theta_b.append(tb)
            if progress is not None:
                progress(len(reps), B)
    preds = _predictions(bulk, p, spikes, kind)
    outs = []
    for i, (x, t) in enumerate(zip(out, theta)):
        se = None
        if t is not None:
            se = _stderr([tb[i] if i < len(tb) else None for tb in theta_b])
        outs.append({"value": float(x), "spike": t, "spike_stderr": se,
                     "predicted": preds[i]["location"] if i < len(preds) else None})
    return {"law": law, "params": _params_out(law, p, reps, phi), "ks": ks,
            "p_value": (1 + sum(k >= ks for k in ks_b)) / (B + 1),
            "edges": [[float(a), float(b)] for a, b in bulk.support()],
            "atoms": [[float(a), float(m)] for a, m in bulk.atoms()],
            "threshold": _threshold(bulk, p, kind), "outliers": outs, "predictions": preds,
            "n": int(n), "bulk_n": int(n - out.size), "distance": "cramer-von-mises",
            "input": "eigenvalues", "rule": rule, "spike_kind": kind,
            "bootstrap": {"replicates": B, "kind": "parametric", "ks": [float(k) for k in ks_b]}}


def _pooled(X, W):
    order = np.argsort(X, axis=None, kind="stable")
    return X.ravel()[order], W.ravel()[order] / X.shape[0]


def _fit_slq(X, W, law, phi, B, spikes, rng, progress=None):
    y, w = _pooled(X, W)
    p = _fit_weighted(y, w, law, phi)
    bulk = fitted_law(law, p)
    gen = _seeds.generator(rng)
    reps = []
    for _ in range(B):
        idx = gen.integers(0, X.shape[0], X.shape[0])
        yb, wb = _pooled(X[idx], W[idx])
        reps.append(_fit_weighted(yb, wb, law, phi, start=p))
        if progress is not None:
            progress(len(reps), B)
    preds = _predictions(bulk, p, spikes, "additive")
    return {"law": law, "params": _params_out(law, p, reps, phi), "ks": _weighted_ks(y, w, bulk),
            "p_value": None,
            "edges": [[float(a), float(b)] for a, b in bulk.support()],
            "atoms": [[float(a), float(m)] for a, m in bulk.atoms()],
            "threshold": _threshold(bulk, p, "additive"), "outliers": [], "predictions": preds,
            "n": int(X.shape[0]), "bulk_n": int(X.size), "distance": "cramer-von-mises",
            "input": "slq", "rule": "none", "spike_kind": "additive",
            "bootstrap": {"replicates": B, "kind": "probes", "ks": []}}


# --------------------------------------------------------------------------- figure arrays

def fit_curves(result, eigs=None, *, nodes=None, weights=None, points=400):
    r"""The arrays the fit figure draws (:func:`rmtland.plotting.fit.plot_fit`), from a
    :func:`fit_law` ``result`` and the data it was fitted to.

    Returns
    -------
    dict
        ``points``, ``weights`` (the bulk: eigenvalues with weight :math:`1/N`, or the pooled
        SLQ nodes), ``x``, ``density`` (the fitted law's density on a grid over the bulk and
        the fitted support), ``atoms``, ``cdf_x``, ``residual`` (:math:`\hat F - F` at the
        distinct bulk points ``cdf_x``, both at the middle of their jumps: the empirical
        :math:`\hat F(u^-) + W/2`, the law's atoms counted half), ``ks``,
        ``outliers`` (values), ``predicted`` (locations of the supplied spikes that
        separate), ``edges``, ``law``, ``params``.
    """
    law = fitted_law(result["law"], {k: v["value"] for k, v in result["params"].items()})
    if eigs is not None:
        e = np.sort(_validate.finite_array("eigs", eigs).ravel())
        y = e[:result["bulk_n"]]
        if result["law"] == "mp":
            y = snap_zeros(y)
        w = np.full(y.size, 1.0 / y.size)
    else:
        y, w = _pooled(_validate.finite_array("nodes", nodes),
                       _validate.finite_array("weights", weights))
    sup = result["edges"]
    lo, hi = min(y[0], sup[0][0]), max(y[-1], sup[-1][1])
    pad = 0.02 * (hi - lo)
    x = np.linspace(lo - pad, hi + pad, _validate.integer("points", points, 2))
    u, _, target = _tied(y, w)
    residual = target - _mid_cdf(law, u)
    return {"points": y, "weights": w, "x": x, "density": law.density(x),
            "atoms": result["atoms"], "cdf_x": u, "residual": residual, "ks": result["ks"],
            "outliers": np.array([o["value"] for o in result["outliers"]], dtype=float),
            "predicted": np.array([p["location"] for p in result["predictions"]
                                   if p["location"] is not None], dtype=float),
            "edges": sup, "law": result["law"],
            "params": {k: v["value"] for k, v in result["params"].items()}}
