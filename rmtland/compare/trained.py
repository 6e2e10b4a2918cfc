r"""Statistics of trained networks: how the final losses of many independently trained
networks spread with width (Choromanska et al. 2015), and the bulk and outliers of the Hessian
at the end of training (Sagun et al. 2017; Papyan 2019), with the bulk held against the
Marchenko–Pastur / Pennington–Bahri laws at matched moments.

Host arrays in, numbers out (as :mod:`rmtland.compare.metrics`, whose KS distance, power-law
fit and mean ± s.e. are reused here).

Outlier rule (stated once, used everywhere)
-------------------------------------------
On a positive semi-definite spectrum (the Gauss–Newton part :math:`H_0`) the bulk is found by
iterating a moment-matched Marchenko–Pastur fit: start from every eigenvalue; fit
:math:`c\,\mathrm{MP}(\varphi)` to the current bulk by its first two moments (mean :math:`c`,
variance :math:`c^2\varphi`: DESIGN.md's MP has mean 1, variance :math:`\varphi`); its right
edge is :math:`\lambda_+ = c(1+\sqrt\varphi)^2`; the new bulk is every eigenvalue
:math:`\le \lambda_+`; repeat until the bulk stops changing (at most ``max_iter`` times).  The
**outliers** are the eigenvalues above the final edge.  Removing outliers lowers the variance,
so the edge moves down and the bulk only shrinks: the iteration ends.  On a pure MP sample the
rule removes nothing or the few eigenvalues within the edge's :math:`O(n^{-2/3})` fluctuation;
a spike above the BBP threshold (population eigenvalue :math:`\ell > 1 + \sqrt\varphi`, which
puts the sample eigenvalue at :math:`\ell(1 + \varphi/(\ell - 1)) > \lambda_+`) is removed
(Baik, Ben Arous & Péché 2005; tests/test_compare_trained.py).

References
----------
A. Choromanska, M. Henaff, M. Mathieu, G. Ben Arous, Y. LeCun, "The Loss Surfaces of Multilayer
Networks", AISTATS 2015, PMLR 38:192–204, arXiv:1412.0233 (CHO15), Sec. 6.
L. Sagun, U. Evci, V. U. Güney, Y. Dauphin, L. Bottou, "Empirical Analysis of the Hessian of
Over-Parametrized Neural Networks", arXiv:1706.04454 (2017): bulk near 0 set by the
parameters, outliers set by the data (about the number of classes).
V. Papyan, "Measurements of Three-Level Hierarchical Structure in the Outliers in the Spectrum
of Deepnet Hessians", ICML 2019, PMLR 97:5012–5021, arXiv:1901.08244: C outliers of the
Gauss–Newton part from the C class means.
J. Baik, G. Ben Arous, S. Péché, "Phase transition of the largest eigenvalue for nonnull complex
sample covariance matrices", Ann. Probab. 33(5), 1643–1697 (2005),
doi:10.1214/009117905000000233 (the BBP threshold).
R. A. Fisher, "On the probable error of a coefficient of correlation deduced from a small
sample", Metron 1, 3–32 (1921) (the z-transform of r, standard error 1/sqrt(B-3)).
"""
import math

import numpy as np

from .._validate import InputError
from .. import _validate
from ..analytic.hessian import PenningtonBahri
from ..analytic.laws import MarchenkoPastur
from .metrics import fit_power_law, ks_distance, mean_and_stderr, snap_zeros

__all__ = ["loss_statistics", "spread_fit", "correlation", "mp_bulk", "hessian_bulk",
           "linear_fit", "gap_outliers", "MAX_ITER", "GAP_SEARCH"]

#: iterations of the outlier rule (module notes)
MAX_ITER = 200
#: the second rule looks for the largest gap among the top GAP_SEARCH * n eigenvalues
GAP_SEARCH = 0.1


def gap_outliers(eigs, *, search=GAP_SEARCH):
    r"""Second, model-free outlier rule: with the eigenvalues sorted downwards,
    :math:`\lambda_1 \ge \lambda_2 \ge \dots`, the number of outliers is the :math:`j` that
    maximises the ratio :math:`\lambda_j/\lambda_{j+1}` over the positive eigenvalues with
    :math:`j \le \max(1, \lfloor \mathrm{search}\cdot nfloor)` (the widest multiplicative gap at
    the top of the spectrum).  Returns ``(count, ratio)``."""
    e = np.sort(np.asarray(eigs, dtype=float).ravel())[::-1]
    e = e[e > 0]
    J = min(max(1, int(search * np.asarray(eigs).size)), e.size - 1)
    if J < 1:
        return 0, None
    ratio = e[:J] / e[1:J + 1]
    j = int(np.argmax(ratio))
    return j + 1, float(ratio[j])


def correlation(x, y):
    r"""Pearson :math:`r` of paired samples with its Fisher-z 95% interval,
    :math:`\tanh(\operatorname{atanh} r \pm 1.96/\sqrt{B-3})` (Fisher 1921), and the
    standard error :math:`(1-r^2)/\sqrt{B-3}` (delta method); ``None`` entries below 4 pairs or
    for a constant sample."""
    x, y = np.asarray(x, float).ravel(), np.asarray(y, float).ravel()
    if x.size != y.size:
        raise InputError(f"x and y must have the same length, got {x.size} and {y.size}")
    if x.size < 4 or np.std(x) == 0 or np.std(y) == 0:
        return {"r": None, "stderr": None, "ci95": None, "pairs": int(x.size)}
    r = float(np.corrcoef(x, y)[0, 1])
    r = min(max(r, -1 + 1e-15), 1 - 1e-15)
    h = 1.96 / math.sqrt(x.size - 3)
    z = math.atanh(r)
    return {"r": r, "stderr": (1 - r * r) / math.sqrt(x.size - 3),
            "ci95": [math.tanh(z - h), math.tanh(z + h)], "pairs": int(x.size)}


def loss_statistics(train, test):
    r"""Per-width statistics of the final losses of ``B`` networks: mean, standard deviation
    (ddof 1) and their standard errors (:math:`s/\sqrt B` for the mean; :math:`s/\sqrt{2(B-1)}`
    for the standard deviation, the normal-theory value), quantiles, and the train–test
    correlation (:func:`correlation`)."""
    out = {}
    for name, v in (("train", train), ("test", test)):
        v = _validate.finite_array(name, np.asarray(v, dtype=float)).ravel()
        if v.size < 2:
            raise InputError(f"{name} must hold the losses of at least 2 networks")
        mean, se = mean_and_stderr(v)
        std = float(np.std(v, ddof=1))
        out.update({f"{name}_mean": mean, f"{name}_mean_stderr": se, f"{name}_std": std,
                    f"{name}_std_stderr": std / math.sqrt(2 * (v.size - 1)),
                    f"{name}_quantiles": np.quantile(v, [0.05, 0.5, 0.95]).tolist(),
                    f"{name}_max": float(v.max())})
    c = correlation(train, test)
    out.update(train_test_corr=c["r"], train_test_corr_stderr=c["stderr"],
               train_test_corr_ci95=c["ci95"], networks=c["pairs"])
    return out


def spread_fit(widths, std):
    r"""The power law :math:`\mathrm{std} = a\,w^{b}` fitted to the spread against the width
    by least squares on the logarithms (:func:`rmtland.compare.metrics.fit_power_law`):
    ``exponent`` :math:`b`, its OLS ``stderr`` (from the residuals; ``None`` with two widths),
    ``prefactor`` :math:`a`, and ``z`` = :math:`b`/stderr (how many standard errors below 0 the
    decay is)."""
    b, se, a = fit_power_law(widths, std)
    return {"exponent": b, "stderr": se, "prefactor": a,
            "z": (b / se) if se else None, "points": len(list(widths)),
            "model": "std = prefactor * width^exponent (OLS on logs)"}


def linear_fit(x, y):
    r"""Ordinary least squares :math:`y = a + b x` with the usual standard errors (residual
    variance over :math:`N-2` degrees of freedom; ``None`` with two points):
    ``slope``, ``slope_stderr``, ``intercept``, ``intercept_stderr``."""
    x, y = np.asarray(x, float).ravel(), np.asarray(y, float).ravel()
    if x.size < 2 or x.size != y.size or np.ptp(x) == 0:
        raise InputError("linear_fit needs at least two points with distinct x")
    A = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    se = [None, None]
    if x.size > 2:
        r = y - A @ coef
        cov = r @ r / (x.size - 2) * np.linalg.inv(A.T @ A)
        se = [float(math.sqrt(cov[0, 0])), float(math.sqrt(cov[1, 1]))]
    return {"slope": float(coef[1]), "slope_stderr": se[1], "intercept": float(coef[0]),
            "intercept_stderr": se[0], "points": int(x.size)}


def mp_bulk(eigs, *, max_iter=MAX_ITER):
    r"""The outlier rule of the module notes on one positive semi-definite spectrum.

    Returns
    -------
    dict
        ``outliers`` (count above the edge), ``bulk_edge`` :math:`c(1+\sqrt\varphi)^2`, the
        matched ``c`` and ``phi`` of the bulk, ``iterations``, ``converged`` (the bulk stopped
        changing within ``max_iter``), ``ks_bulk`` (KS distance of the bulk divided by
        :math:`c` to :math:`\mathrm{MP}(\varphi)`, zeros snapped, :func:`rmtland.compare.
        metrics.ks_distance`), ``zeros`` (eigenvalues snapped to 0), ``top`` (the largest
        eigenvalue) and ``n``.
    """
    e = np.sort(snap_zeros(_validate.finite_array("eigs", np.asarray(eigs, dtype=float))
                           .ravel()))
    if e.size < 2 or not e.mean() > 0:
        raise InputError("eigs must hold at least 2 eigenvalues with a positive mean (a "
                         "positive semi-definite spectrum)")
    tol = e.size * np.finfo(float).eps * np.abs(e).max()
    if e[0] < -tol:
        raise InputError(f"eigs must be positive semi-definite (up to rounding), got a "
                         f"smallest eigenvalue {e[0]:.3g}")
    bulk, it, done = e, 0, False
    while it < max_iter:
        it += 1
        c = float(bulk.mean())
        phi = float(bulk.var()) / c ** 2
        edge = c * (1 + math.sqrt(phi)) ** 2
        new = e[e <= edge]
        if new.size == bulk.size:
            done = True
            break
        bulk = new
    law = MarchenkoPastur(phi) if phi > 0 else None
    ks = ks_distance(bulk / c, law) if law is not None else None
    return {"outliers": int(e.size - bulk.size), "bulk_edge": edge, "c": c, "phi": phi,
            "iterations": it, "converged": done, "ks_bulk": ks,
            "zeros": int(np.count_nonzero(e == 0)), "top": float(e[-1]), "n": int(e.size)}


def hessian_bulk(eig_h, eig_h0, eig_h1, *, max_iter=MAX_ITER):
    r"""Bulk and outliers of :math:`H = H_0 + H_1` at a trained network.

    The rule of the module notes runs on :math:`\mathrm{spec}(H_0)` (:func:`mp_bulk`): the
    edge :math:`\lambda_+` and the matched :math:`(c, \varphi)` of its bulk.  The outliers of
    :math:`H` are its eigenvalues above that edge.  The bulk of :math:`H` (eigenvalues
    :math:`\le \lambda_+`) is held against the Pennington–Bahri law at matched moments
    (PB17 Sec. 3): :math:`H/c \approx \mathrm{PB}(\varphi, \varepsilon)` with :math:`c,
    \varphi` from the bulk of :math:`H_0` and :math:`\varepsilon = \mathrm{var}\,\lambda(H_1)
    /(2c^2)` (:math:`H_1 \approx c\,\mathrm{SC}(2\varepsilon)`, as in
    :func:`rmtland.compare.networks.freeness_test`).

    Returns
    -------
    dict
        ``outliers`` (of H), ``outliers_h0``, ``outliers_gap`` (:func:`gap_outliers` on H)
        and its ``gap_ratio``, ``bulk_edge``, ``c``, ``phi``, ``eps``,
        ``ks_bulk`` (H's bulk against PB), ``ks_bulk_h0`` (H0's bulk against MP),
        ``negative_fraction`` (index of H), ``converged``, ``iterations``, ``n``.
    """
    h0 = mp_bulk(eig_h0, max_iter=max_iter)
    eh = np.sort(np.asarray(eig_h, dtype=float).ravel())
    e1 = np.asarray(eig_h1, dtype=float).ravel()
    if eh.size != h0["n"] or e1.size != h0["n"]:
        raise InputError("eig_h, eig_h0 and eig_h1 must have the same length")
    c, phi = h0["c"], h0["phi"]
    eps = float(e1.var()) / (2 * c ** 2)
    bulk = eh[eh <= h0["bulk_edge"]]
    ks = None
    if phi > 0 and bulk.size:
        ks = ks_distance(snap_zeros(bulk / c), PenningtonBahri(min(phi, 1e20), eps))
    gap, gap_ratio = gap_outliers(eh)
    return {"outliers": int(eh.size - bulk.size), "outliers_h0": h0["outliers"],
            "outliers_gap": gap, "gap_ratio": gap_ratio,
            "bulk_edge": h0["bulk_edge"], "c": c, "phi": phi, "eps": eps, "ks_bulk": ks,
            "ks_bulk_h0": h0["ks_bulk"], "negative_fraction": float(np.mean(eh < 0)),
            "top": float(eh[-1]), "converged": h0["converged"],
            "iterations": h0["iterations"], "n": h0["n"]}
