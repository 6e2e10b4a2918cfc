r"""Statistics of trained networks: how the final losses of many independently trained
networks spread with width (Choromanska et al. 2015), and the bulk and outliers of the Hessian
at the end of training (Sagun et al. 2017; Papyan 2019), with the bulk held against the
Marchenko–Pastur / Pennington–Bahri laws at matched moments.

Host arrays in, numbers out (as :mod:`rmtland.compare.metrics`, whose KS distance, power-law
fit and mean ± s.e. are reused here).

Outlier rules (validated before use)
------------------------------------
Every rule takes one spectrum and returns a count; :func:`outliers` dispatches by name
(:data:`RULES`), and :func:`outlier_rule_recovery` measures on synthetic spiked matrices with a
planted count (additive and covariance spikes on Marchenko–Pastur bulks with
:math:`\varphi < 1` and :math:`\varphi > 1`, the Pennington–Bahri bulk with negative
eigenvalues, heavy-tailed Student-t Wishart bulks; strengths as multiples of the BBP threshold
of :mod:`rmtland.analytic.spiked`) how often each recovers the planted count exactly.  A rule
is *valid* where it recovers it in ≥ 95% of draws above the threshold
(``simulations/validate_outlier_rules.py`` prints the table; README).

- ``"gap_ratio"`` (:func:`gap_ratio_outliers`): the eigenvalue-ratio estimator of Ahn &
  Horenstein (2013, eq. 5) with :math:`k_{\max} = 50`: the :math:`k \le 50` maximising
  :math:`\lambda_k/\lambda_{k+1}` (sorted downwards).  Never returns 0 (Ahn & Horenstein's
  mock eigenvalue :math:`\lambda_0 = \sum\lambda/\ln n` makes 0 possible only for outliers of
  order :math:`n`, not the :math:`O(1)` spikes here): valid only where at least one outlier is
  known to exist.
- ``"edge"`` (:func:`edge_outliers`): a bulk edge with a Tracy–Widom margin, iterated as
  Onatski's (2010) edge-distribution estimator: fit :math:`\lambda_{k+i} = b + s\,a_i`
  (:math:`a_i` the zeros of Ai, the classical positions of the Airy point process at a
  square-root edge, whose scale :math:`s` is the Tracy–Widom scale) to the ``window``
  eigenvalues below the current count :math:`k`; the new count is the number of eigenvalues
  above :math:`b + c\,s`; start from :math:`k = k_{\max}` and repeat until :math:`k` is
  unchanged.  Can return 0.
- ``"widest_gap"`` (:func:`gap_outliers`): the ratio rule searched over the top 10% of the
  spectrum (the study's former second rule).
- ``"mp_edge"`` (:func:`mp_bulk`): the moment-matched Marchenko–Pastur edge, iterated.  **Not
  valid** on the spectra of trained networks: their bulk is not MP (rank-deficient, spread
  over decades), the moment fit gives :math:`\varphi` = 2.7–700 and an edge at 1e-12–1e-6 and
  calls half the spectrum outliers (issue 18); it also refuses spectra with negative
  eigenvalues.  Kept as a diagnostic only.

Measured (``python benchmarks/validate_outlier_rules.py --n 300 1000 --draws 40``): at
n = 1000 the ``"edge"`` and ``"gap_ratio"`` rules pass at 3× the threshold on every bulk with a
square-root edge, ``"edge"`` also at 1.5× and with 0 below the threshold (reasons in
:data:`RULES`); no rule passes on the Student-t bulk with 3 degrees of freedom (infinite
fourth moment: the top of the bulk is a Poisson-like tail, not a square-root edge), nor at
1.5× for covariance spikes on the rank-deficient MP(4) bulk (m = n/4 samples).  At n = 2000
(r = 9 on the PB and MP(4) bulks, ``--n 2000 --ranks 9 --bulks pb mp_deficient``) the same.
The spectra of trained networks have no square-root edge either (a smooth tail of eigenvalues
decaying over decades): there the edge rule counts tail eigenvalues (10–46 at K = 4 and 10 on
digit networks of width 25, ReLU and tanh, the papers' recipe), like on the t3 bulk, while
the ratio rules count at the largest relative gap.  The default (:data:`DEFAULT_RULE`) is
therefore ``"gap_ratio"``, the rule the literature uses by eye (Sagun et al. 2017; Papyan
2019), validated where at least one outlier exists; its count on a bulk without a square-root
edge has no validated meaning and is reported with the others: where the top of the bulk
itself has gaps, the spectrum alone cannot tell outliers from bulk, and the mechanism —
the principal angles between the top eigenspace and the span of the class-mean gradients
(:func:`eigenspace_angles`, :func:`class_means`; Papyan 2019, 2020) — is what can.

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
S. C. Ahn, A. R. Horenstein, "Eigenvalue ratio test for the number of factors", Econometrica
81(3), 1203–1227 (2013), doi:10.3982/ECTA8968 (the ratio rule).
A. Onatski, "Determining the number of factors from empirical distribution of eigenvalues", Rev.
Econ. Stat. 92(4), 1004–1016 (2010), doi:10.1162/REST_a_00043 (the edge rule's iteration).
C. A. Tracy, H. Widom, "On orthogonal and symplectic matrix ensembles", Commun. Math. Phys. 177,
727–754 (1996), doi:10.1007/BF02099545 (the edge scale).
V. Papyan, "Traces of class/cross-class structure pervade deep learning spectra", JMLR 21(252),
1–64 (2020), arXiv:2008.11865 (outlier subspace and class means).
A. Björck, G. H. Golub, "Numerical methods for computing angles between linear subspaces", Math.
Comp. 27(123), 579–594 (1973), doi:10.1090/S0025-5718-1973-0348991-3; A. V. Knyazev,
M. E. Argentati, "Principal angles between subspaces in an A-based scalar product", SIAM J. Sci.
Comput. 23(6), 2008–2040 (2002), doi:10.1137/S1064827500377332 (principal angles, sine form).
R. A. Fisher, "On the probable error of a coefficient of correlation deduced from a small
sample", Metron 1, 3–32 (1921) (the z-transform of r, standard error 1/sqrt(B-3)).
"""
import math

import numpy as np

from .._validate import InputError
from .. import _seeds, _validate
from ..analytic.hessian import PenningtonBahri
from ..analytic.laws import MarchenkoPastur
from .metrics import fit_power_law, ks_distance, mean_and_stderr, snap_zeros

__all__ = ["loss_statistics", "spread_fit", "correlation", "mp_bulk", "hessian_bulk",
           "linear_fit", "gap_outliers", "gap_ratio_outliers", "edge_outliers", "outliers",
           "principal_angles", "eigenspace_angles", "class_means", "outlier_rule_recovery",
           "RULES", "DEFAULT_RULE", "MIN_VALIDATED_N", "RECOVERY_BULKS", "MAX_ITER",
           "GAP_SEARCH", "KMAX", "EDGE_WINDOW", "EDGE_MARGIN"]

#: iterations of the outlier rule (module notes)
MAX_ITER = 200
#: the second rule looks for the largest gap among the top GAP_SEARCH * n eigenvalues
GAP_SEARCH = 0.1
#: the ratio and edge rules look among the top KMAX eigenvalues (Ahn & Horenstein's k_max)
KMAX = 50
#: eigenvalues below the current count fitted to the Airy positions (edge rule)
EDGE_WINDOW = 20
#: the smallest size in the validation table (``outliers`` marks smaller spectra not valid)
MIN_VALIDATED_N = 300
#: margin of the edge rule above the fitted edge, in fitted Tracy-Widom scales
EDGE_MARGIN = 4.0


def gap_outliers(eigs, *, search=GAP_SEARCH):
    r"""Second, model-free outlier rule: with the eigenvalues sorted downwards,
    :math:`\lambda_1 \ge \lambda_2 \ge \dots`, the number of outliers is the :math:`j` that
    maximises the ratio :math:`\lambda_j/\lambda_{j+1}` over the positive eigenvalues with
    :math:`j \le \max(1, \lfloor \mathrm{search}\cdot n\rfloor)` (the widest multiplicative
    gap at the top of the spectrum): :func:`gap_ratio_outliers` searched over the top
    ``search`` fraction of the spectrum.  Returns ``(count, ratio)``."""
    return gap_ratio_outliers(eigs, kmax=max(1, int(search * np.asarray(eigs).size)))


def _sorted_down(eigs):
    e = _validate.finite_array("eigs", np.asarray(eigs, dtype=float)).ravel()
    return np.sort(e)[::-1]


def gap_ratio_outliers(eigs, *, kmax=KMAX):
    r"""The ``"gap_ratio"`` rule: with :math:`\lambda_1 \ge \lambda_2 \ge \dots`, the count is
    the :math:`k \le k_{\max}` maximising :math:`\lambda_k/\lambda_{k+1}` (Ahn & Horenstein
    2013, eq. 5, without the mock eigenvalue: module notes), over the positive
    :math:`\lambda_{k+1}`.  Returns ``(count, ratio)``; ``(0, None)`` with fewer than two
    positive eigenvalues."""
    kmax = _validate.integer("kmax", kmax, 1)
    e = _sorted_down(eigs)
    e = e[e > 0][:kmax + 1]
    if e.size < 2:
        return 0, None
    ratio = e[:-1] / e[1:]
    k = int(np.argmax(ratio))
    return k + 1, float(ratio[k])


def edge_outliers(eigs, *, kmax=KMAX, window=EDGE_WINDOW, margin=EDGE_MARGIN, max_iter=50):
    r"""The ``"edge"`` rule (module notes): the count :math:`k` of eigenvalues above
    :math:`b + c\,s`, where :math:`(b, s)` is the least-squares fit of
    :math:`\lambda_{k+i} = b + s\,a_i`, :math:`i = 1..\mathrm{window}`, :math:`a_i` the zeros
    of the Airy function (:math:`a_1 = -2.338`; the classical positions of the Airy point
    process, so :math:`s` is the Tracy–Widom scale of a square-root edge, Tracy & Widom
    1996), iterated from :math:`k = k_{\max}` until :math:`k` repeats (Onatski 2010, Sec. 2).

    Returns
    -------
    dict
        ``count``, ``edge`` :math:`b`, ``scale`` :math:`s`, ``threshold`` :math:`b + c\,s`,
        ``iterations``, ``converged`` (False when the iteration cycled; the count is then the
        largest of the cycle).
    """
    from scipy.special import ai_zeros
    kmax = _validate.integer("kmax", kmax, 1)
    window = _validate.integer("window", window, 3)
    margin = _validate.nonnegative("margin", margin)
    e = _sorted_down(eigs)
    if e.size < kmax + window:
        raise InputError(f"eigs must hold at least kmax + window = {kmax + window} "
                         f"eigenvalues, got {e.size}")
    A = np.column_stack([np.ones(window), ai_zeros(window)[0]])
    k, seen, done = kmax, [], False
    for it in range(1, max_iter + 1):
        (b, sc), *_ = np.linalg.lstsq(A, e[k:k + window], rcond=None)
        thr = b + margin * abs(sc)
        new = int(np.count_nonzero(e[:kmax] > thr))
        if new == k:
            done = True
            break
        if new in seen:
            k = max(seen[seen.index(new):] + [k])
            break
        seen.append(k)
        k = new
    return {"count": k, "edge": float(b), "scale": float(abs(sc)), "threshold": float(thr),
            "iterations": it, "converged": done}


#: name -> (valid, reason); validity from the recovery table (module notes;
#: benchmarks/validate_outlier_rules.py, n = 300 and 1000, 40 draws per row)
RULES = {
    "gap_ratio": (True, "n = 1000: recovers the planted count in >= 95% of draws at 3x the BBP "
                        "threshold on every bulk with a square-root edge (MP, rank-deficient "
                        "MP, PB, Student-t 5 d.o.f.), and at 1.5x except covariance spikes on "
                        "the rank-deficient bulk (0.03) and t5 (0.93); n = 300: at 3x except "
                        "covariance spikes on the rank-deficient bulk (m = 75 samples: 0.35); "
                        "cannot return 0; fails on the heavy-tailed t3 bulk (<= 0.90 at r = 1, "
                        "<= 0.30 at r = 3, 9)"),
    "edge": (True, "n = 1000: recovers the planted count in >= 95% of draws at 1.5x and 3x the "
                   "BBP threshold on every bulk with a square-root edge, except covariance "
                   "spikes on the rank-deficient bulk at 1.5x (0.00), and 0 below the "
                   "threshold (>= 97%); n = 300: at 3x except that case (0.53) and t5 (0.93); "
                   "outside its premise on bulks without a square-root edge: on the t3 bulk "
                   "it counts 2-16 tail eigenvalues (recovery <= 0.20), as on trained "
                   "networks' spectra"),
    "widest_gap": (True, "as gap_ratio (the same ratio searched over the top 10% of the "
                         "spectrum; the same recoveries in the table)"),
    "mp_edge": (False, "not valid: recovery 0.17-0.97 on MP bulks (false outliers from the "
                       "moment fit), 0-0.03 on the t3 bulk, refuses spectra with negative "
                       "eigenvalues (PB); on trained networks' rank-deficient spectra it calls "
                       "half the spectrum outliers (issue 18)"),
}
#: the rule of the trained-network study: the top-50 eigengap ratio (see the module notes)
DEFAULT_RULE = "gap_ratio"


def outliers(eigs, rule=DEFAULT_RULE):
    r"""Number of outliers of one spectrum by a named rule (:data:`RULES`, module notes).

    Returns
    -------
    dict
        ``count``, ``rule``, ``valid`` (the rule passed the synthetic validation and the
        spectrum has at least :data:`MIN_VALIDATED_N` eigenvalues), and the
        rule's statistic: ``ratio`` (gap rules), ``edge``/``threshold``/``converged`` (edge
        rule), ``edge``/``converged`` (mp_edge).
    """
    if rule not in RULES:
        raise InputError(f"rule must be one of {sorted(RULES)}, got {rule!r}")
    n = np.asarray(eigs).size
    if n < 8:
        raise InputError(f"eigs must hold at least 8 eigenvalues, got {n}")
    # below KMAX + EDGE_WINDOW eigenvalues the search shrinks (outside the validated range)
    kmax = min(KMAX, n // 4)
    out = {"rule": rule, "valid": RULES[rule][0] and n >= MIN_VALIDATED_N}
    if rule == "gap_ratio":
        out["count"], out["ratio"] = gap_ratio_outliers(eigs, kmax=kmax)
    elif rule == "widest_gap":
        out["count"], out["ratio"] = gap_outliers(eigs)
    elif rule == "edge":
        r = edge_outliers(eigs, kmax=kmax, window=min(EDGE_WINDOW, n - kmax))
        out.update(count=r["count"], edge=r["edge"], threshold=r["threshold"],
                   converged=r["converged"])
    else:
        r = mp_bulk(eigs)
        out.update(count=r["outliers"], edge=r["bulk_edge"], converged=r["converged"])
    return out


def _orthonormal(name, B):
    B = _validate.finite_array(name, np.asarray(B, dtype=float))
    if B.ndim == 1:
        B = B[:, None]
    if B.ndim != 2 or B.shape[1] < 1 or B.shape[1] > B.shape[0]:
        raise InputError(f"{name} must be an n x p basis with 1 <= p <= n, got shape "
                         f"{B.shape}")
    q, r = np.linalg.qr(B)
    d = np.abs(np.diagonal(r))
    if d.min() <= 1e-12 * d.max():
        raise InputError(f"{name} must have linearly independent columns")
    return q


def principal_angles(U, V):
    r"""Principal angles :math:`0 \le \theta_1 \le \dots \le \theta_q \le \pi/2` between
    :math:`\mathrm{span}\,U` and :math:`\mathrm{span}\,V` (``n × p`` and ``n × q`` bases, any
    scaling), :math:`q \le p` after swapping: orthonormalise both (QR); the cosines are the
    singular values of :math:`Q_U^\top Q_V` (Björck & Golub 1973), the sines those of
    :math:`(I - Q_UQ_U^\top)Q_V`; each angle is taken from the sine below :math:`\pi/4` and
    from the cosine above (Knyazev & Argentati 2002, Alg. 3.1), accurate for small angles
    too.  Returns a NumPy array of ``min(p, q)`` angles in radians."""
    qu, qv = _orthonormal("U", U), _orthonormal("V", V)
    if qu.shape[0] != qv.shape[0]:
        raise InputError(f"U and V must have the same number of rows, got {qu.shape[0]} and "
                         f"{qv.shape[0]}")
    if qv.shape[1] > qu.shape[1]:
        qu, qv = qv, qu
    M = qu.T @ qv
    cos = np.clip(np.linalg.svd(M, compute_uv=False), 0, 1)                # descending
    sin = np.clip(np.linalg.svd(qv - qu @ M, compute_uv=False), 0, 1)[::-1]  # ascending
    return np.where(sin < math.sqrt(0.5), np.arcsin(sin), np.arccos(cos))


def class_means(vectors, labels):
    r"""Per-class means of per-sample vectors, as the columns of an ``n × K`` matrix: the
    subspace Papyan (2019, Sec. 4; 2020, Sec. 5) attributes the outliers to when ``vectors``
    are per-sample gradients (rows, ``samples × n``) and ``labels`` the classes
    (integers ``0..K-1``, every class present)."""
    G = _validate.finite_array("vectors", np.asarray(vectors, dtype=float))
    y = np.asarray(labels).ravel()
    if G.ndim != 2 or y.size != G.shape[0] or not np.issubdtype(y.dtype, np.integer):
        raise InputError(f"vectors must be samples x n and labels {G.shape[0]} integers, got "
                         f"shapes {G.shape} and {y.shape}")
    K = int(y.max()) + 1 if y.size else 0
    counts = np.bincount(y, minlength=K) if y.size and y.min() >= 0 else None
    if counts is None or (counts == 0).any():
        raise InputError("labels must be the integers 0..K-1 with every class present")
    M = np.zeros((K, G.shape[1]))
    np.add.at(M, y, G)
    return (M / counts[:, None]).T


def eigenspace_angles(M, V, r):
    r"""Principal angles between the top-``r`` eigenspace of the symmetric matrix ``M`` (the
    eigenvectors of its ``r`` largest eigenvalues) and :math:`\mathrm{span}\,V` — e.g. the
    outlier subspace of a Hessian against the span of the class-mean gradients (Papyan 2019,
    Sec. 4; Papyan 2020, Sec. 5).  Returns :func:`principal_angles` (radians, ascending)."""
    M = _validate.finite_array("M", np.asarray(M, dtype=float))
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise InputError(f"M must be a square matrix, got shape {M.shape}")
    r = _validate.integer("r", r, 1)
    if r > M.shape[0]:
        raise InputError(f"r must be in 1..{M.shape[0]}, got {r}")
    _, vecs = np.linalg.eigh((M + M.T) / 2)
    return principal_angles(vecs[:, -r:], V)


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
    r"""The ``"mp_edge"`` rule (**not valid** on trained networks' spectra: module notes) on one
    positive semi-definite spectrum: start from every eigenvalue; fit :math:`c\,\mathrm{MP}
    (\varphi)` to the current bulk by its first two moments (mean :math:`c`, variance
    :math:`c^2\varphi`); its right edge is :math:`\lambda_+ = c(1+\sqrt\varphi)^2`; the new
    bulk is every eigenvalue :math:`\le \lambda_+`; repeat until the bulk stops changing (at
    most ``max_iter`` times).  The outliers are the eigenvalues above the final edge.

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


def hessian_bulk(eig_h, eig_h0, eig_h1, *, rule=DEFAULT_RULE, max_iter=MAX_ITER):
    r"""Bulk and outliers of :math:`H = H_0 + H_1` at a trained network.

    The outliers of :math:`H` and of :math:`H_0` are counted by ``rule`` (:func:`outliers`;
    default the validated :data:`DEFAULT_RULE`); the bulk is what is left.  The bulk of
    :math:`H_0` gives the matched :math:`(c, \varphi)` (mean :math:`c`, variance
    :math:`c^2\varphi`, one pass) and the bulk of :math:`H` is held against the
    Pennington–Bahri law at matched moments (PB17 Sec. 3): :math:`H/c \approx
    \mathrm{PB}(\varphi, \varepsilon)`, :math:`\varepsilon = \mathrm{var}\,\lambda(H_1)
    /(2c^2)` (:math:`H_1 \approx c\,\mathrm{SC}(2\varepsilon)`, as in
    :func:`rmtland.compare.networks.freeness_test`).  The counts of the other rules are
    reported alongside: ``outliers_gap`` (``"widest_gap"``), ``outliers_gap_ratio``
    (``"gap_ratio"``) and ``outliers_mp_edge`` (``"mp_edge"`` on :math:`H_0`, **not valid**:
    module notes; ``None`` where it refuses the spectrum).

    Returns
    -------
    dict
        ``outliers`` (of H), ``outliers_h0``, ``rule``, ``rule_valid``, ``outliers_gap`` and
        its ``gap_ratio``, ``outliers_gap_ratio``, ``outliers_mp_edge``, ``bulk_edge`` (the
        largest bulk eigenvalue of H), ``c``, ``phi``, ``eps``, ``ks_bulk`` (H's bulk against
        PB), ``ks_bulk_h0`` (H0's bulk against MP), ``negative_fraction`` (index of H),
        ``top``, ``converged`` (the rule's iteration ended on a fixed point, H and H0),
        ``n``.
    """
    eh = _sorted_down(eig_h)
    e0 = _sorted_down(eig_h0)
    e1 = _validate.finite_array("eig_h1", np.asarray(eig_h1, dtype=float)).ravel()
    if eh.size != e0.size or e1.size != e0.size:
        raise InputError("eig_h, eig_h0 and eig_h1 must have the same length")
    h, h0 = outliers(eh, rule), outliers(e0, rule)
    bulk0 = snap_zeros(e0[h0["count"]:])
    if bulk0.size < 2 or not bulk0.mean() > 0:
        raise InputError("eig_h0 must leave a bulk with a positive mean (a positive "
                         "semi-definite spectrum)")
    c = float(bulk0.mean())
    phi = float(bulk0.var()) / c ** 2
    eps = float(e1.var()) / (2 * c ** 2)
    bulk = eh[h["count"]:]
    ks = ks0 = None
    if phi > 0 and bulk.size:
        ks = ks_distance(snap_zeros(bulk / c), PenningtonBahri(min(phi, 1e20), eps))
        ks0 = ks_distance(bulk0 / c, MarchenkoPastur(min(phi, 1e20)))
    try:
        mp_edge = mp_bulk(e0, max_iter=max_iter)["outliers"]
    except InputError:
        mp_edge = None
    gap, gap_ratio = gap_outliers(eh)
    return {"outliers": h["count"], "outliers_h0": h0["count"], "rule": rule,
            "rule_valid": bool(h["valid"] and h0["valid"]),
            "outliers_gap": gap, "gap_ratio": gap_ratio,
            "outliers_gap_ratio": gap_ratio_outliers(eh)[0], "outliers_mp_edge": mp_edge,
            "bulk_edge": float(bulk[0]) if bulk.size else None, "c": c, "phi": phi,
            "eps": eps, "ks_bulk": ks, "ks_bulk_h0": ks0,
            "negative_fraction": float(np.mean(eh < 0)), "top": float(eh[0]),
            "converged": bool(h.get("converged", True) and h0.get("converged", True)),
            "n": int(eh.size)}


#: synthetic bulks of the validation: name -> (law parameters, spike kinds)
RECOVERY_BULKS = {
    "mp": ({"phi": 0.5}, ("additive", "covariance")),
    "mp_deficient": ({"phi": 4.0}, ("additive", "covariance")),
    "pb": ({"phi": 0.5, "eps": 0.1}, ("additive",)),
    "t3": ({"phi": 0.5, "df": 3.0}, ("covariance",)),
    "t5": ({"phi": 0.5, "df": 5.0}, ("covariance",)),
}


def _recovery_bulk(name, n, rng):
    """One bulk matrix of :data:`RECOVERY_BULKS` and its limiting law."""
    from ..analytic.laws import MarchenkoPastur as MP
    from ..sampling.hessian import hessian_m, sample_hessian
    from ..sampling.spiked import sample_spiked_wishart
    p = RECOVERY_BULKS[name][0]
    if name == "pb":
        return (sample_hessian(n, p["phi"], p["eps"], rng=rng)[0],
                PenningtonBahri(p["phi"], p["eps"]))
    W, _ = sample_spiked_wishart(n, hessian_m(n, p["phi"]), df=p.get("df"), rng=rng)
    return W, MP(p["phi"])


def _count(rule, e):
    try:
        return outliers(e, rule)["count"]
    except InputError:          # the rule refuses this spectrum (mp_edge: negative eigenvalues)
        return None


def outlier_rule_recovery(*, n=500, draws=40, ranks=(1, 3, 9), strengths=(0.8, 1.5, 3.0),
                          bulks=tuple(RECOVERY_BULKS), rules=tuple(RULES), seed=0):
    r"""How often each outlier rule recovers a planted number of outliers (module notes).

    For every bulk of ``bulks`` (:data:`RECOVERY_BULKS`: MP(1/2); rank-deficient MP(4), an
    atom 3/4 at 0; PB(φ = 1/2, ε = 0.1), negative eigenvalues present; Wishart of unit-variance
    Student-t entries with 3 and 5 degrees of freedom, φ = 1/2) and ``draws`` draws of size
    ``n``, each spike kind of the bulk, rank :math:`r` and strength :math:`s`:

    - additive: :math:`W + \theta\sum_{i\le r} u_iu_i^\top`, Haar-random frame
      (:func:`rmtland.sampling.spiked.haar_frame`), :math:`\theta = s\,\theta_c`,
      :math:`\theta_c = 1/G(b^+)` of the bulk's law
      (:func:`rmtland.analytic.spiked.additive_threshold`);
    - covariance: :math:`\Sigma^{1/2}W\Sigma^{1/2}`, :math:`\Sigma = I` except :math:`r`
      population eigenvalues :math:`\ell = s\,\ell_c`, :math:`\ell_c = 1 + \sqrt\varphi`
      (Baik & Silverstein 2006; for Student-t entries the threshold of the MP limit).

    The planted count is :math:`r` for :math:`s > 1` and 0 for :math:`s \le 1`.

    Returns
    -------
    dict
        ``rows``: one per (bulk, spike, r, strength) with ``parameter`` (θ or ℓ),
        ``threshold``, ``expected``, ``recovery`` {rule: fraction of draws with exactly the
        expected count}, ``mean_count`` {rule: mean count; ``None`` where the rule refused a
        spectrum}, ``refused`` {rule: draws refused}; ``passes`` {rule: {"bulk/spike/sx":
        recovery ≥ 0.95 for every r at that strength s > 1}}; ``n``, ``draws``, ``seed``.
    """
    from ..analytic.spiked import additive_threshold, covariance_threshold
    from ..sampling.spiked import haar_frame
    n = _validate.integer("n", n, KMAX + EDGE_WINDOW)
    draws = _validate.integer("draws", draws, 1)
    for name, vals, ok in (("bulks", bulks, RECOVERY_BULKS), ("rules", rules, RULES)):
        bad = [v for v in vals if v not in ok]
        if bad or not vals:
            raise InputError(f"{name} must be a non-empty subset of {sorted(ok)}, got {bad}")
    ranks = [_validate.integer("ranks", r, 1) for r in ranks]
    if max(ranks) >= KMAX:
        raise InputError(f"ranks must be in 1..{KMAX - 1}, got {ranks}")
    strengths = [_validate.positive("strengths", s) for s in strengths]
    rows = {}
    for b_i, (name, ss) in enumerate(zip(bulks, _seeds.children(seed, len(bulks)))):
        params, kinds = RECOVERY_BULKS[name]
        for d, sd in enumerate(_seeds.children(ss, draws)):
            g = np.random.default_rng(sd)
            W, law = _recovery_bulk(name, n, g)
            for kind in kinds:
                thr = (additive_threshold(law) if kind == "additive"
                       else covariance_threshold(params["phi"]))
                for r in ranks:
                    U = None
                    for s in strengths:
                        if kind == "additive":
                            par = s * thr
                            if U is None:
                                U = haar_frame(n, r, rng=g)
                            M = W + par * (U @ U.T)
                        else:
                            par = s * thr
                            D = np.ones(n)
                            D[:r] = math.sqrt(par)
                            M = W * D[:, None] * D[None, :]
                        e = np.linalg.eigvalsh(M)
                        key = (name, kind, r, s)
                        row = rows.setdefault(key, {
                            "bulk": name, "spike": kind, "r": r, "strength": s,
                            "parameter": par, "threshold": thr,
                            "expected": r if s > 1 else 0, "counts": {k: [] for k in rules}})
                        for rule in rules:
                            row["counts"][rule].append(_count(rule, e))
    out = []
    for row in rows.values():
        c = row.pop("counts")
        row["recovery"] = {k: float(np.mean([v == row["expected"] for v in c[k]]))
                           for k in rules}
        row["mean_count"] = {k: (float(np.mean(c[k])) if None not in c[k] else None)
                             for k in rules}
        row["refused"] = {k: int(sum(v is None for v in c[k])) for k in rules}
        out.append(row)
    passes = {k: {} for k in rules}
    for row in out:
        if row["strength"] > 1:
            for k in rules:
                tag = f"{row['bulk']}/{row['spike']}/{row['strength']:g}x"
                passes[k][tag] = passes[k].get(tag, True) and row["recovery"][k] >= 0.95
    return {"rows": out, "passes": passes, "n": n, "draws": draws, "seed": seed,
            "criterion": "recovery >= 0.95 for every r at a strength > 1 (above the BBP "
                         "threshold)"}
