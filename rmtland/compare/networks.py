r"""Hessians of real networks against the theory: is :math:`H_1` free from :math:`H_0`, does the
index follow the 3/2 law in the loss, and do minimisers sit at the memorisation loss?

The statistics here are applied to the Hessian :math:`H = H_0 + H_1` of a network at a critical
point (Gauss–Newton part :math:`H_0`, residual part :math:`H_1`, both symmetric :math:`n\times n`
host arrays; DESIGN.md, *Networks*) and to the losses and indices of many critical points.  They
take arrays and return numbers; the only randomness is the Monte Carlo of the rotation test and
of the optional noise reference (explicit ``rng``).

* :func:`freeness_test` — three Kolmogorov–Smirnov distances of :math:`\mathrm{spec}(H)` to what
  freeness of :math:`H_0` and :math:`H_1` predicts: (a) the free convolution of their empirical
  spectra, (b) the spectra of :math:`H_0 + QH_1Q^\top` with :math:`Q` Haar-orthogonal, (c) the
  Pennington–Bahri law with moment-matched :math:`(\varphi, \varepsilon)` and scale :math:`c`.
* Haar rotations come from :func:`rmtland.sampling.ensembles.haar_orthogonal`.
* :func:`fit_three_halves`, :func:`theory_index_curve`, :func:`loss_scale` — the onset
  :math:`\alpha = \alpha_0((\varepsilon-\varepsilon_c)/\varepsilon_c)^\gamma` fitted to measured
  indices and the theory's index curve under the scale mapping network loss → model
  :math:`\varepsilon`.
* :func:`memorisation_deviation` — mean loss of minimisers against PB17's
  :math:`\tfrac12(1-\varphi)^2`.

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix Theory", Proc.
34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
https://proceedings.mlr.press/v70/pennington17a.html (PB17).
S. T. Belinschi, H. Bercovici, "A new approach to subordination results in free probability", J.
Anal. Math. 101, 357–365 (2007). The subordination route of the free convolution.
F. Mezzadri, "How to generate random matrices from the classical compact groups", Notices Amer.
Math. Soc. 54(5), 592–604 (2007), arXiv:math-ph/0609050. Haar orthogonal matrices by QR.
J. A. Mingo, R. Speicher, "Free Probability and Random Matrices", Fields Institute Monographs 35,
Springer, New York (2017), doi:10.1007/978-1-4939-6942-5. Asymptotic freeness of independent
Wishart and GOE matrices, and of a matrix and a Haar-rotated one (Ch. 4).
"""
import math

import numpy as np

from .._validate import InputError
from .. import _seeds, _validate
from ..analytic.hessian import PenningtonBahri, alpha0, eps_c, index
from ..analytic.laws import DiscreteLaw, free_convolve
from ..sampling.ensembles import haar_orthogonal, sample_goe, sample_wishart
from ..sampling.hessian import hessian_m
from .metrics import ks_distance, mean_and_stderr, snap_zeros

__all__ = ["freeness_test", "freeness_table", "rejection_rate", "ks_two_sample", "monte_carlo_p_value", "fit_three_halves",
           "three_halves_model", "theory_index_curve", "loss_scale", "memorisation_deviation",
           "memorisation_loss"]

#: Default number of Haar rotations pooled in the rotation test (b).
ROTATIONS = 8
#: Default number of grid nodes on which the density of the free convolution (a) is tabulated.
GRID = 1025
#: Default number of Pennington–Bahri model draws behind the noise reference.
REFERENCE_SAMPLES = 3
#: Largest quadrature error of the free convolution's CDF at which (a) is reported (else None).
QUADRATURE_MAX = 0.01
#: The three distances of :func:`freeness_test`, in order (a), (b), (c).
FREENESS_KEYS = ("ks_free_convolution", "ks_rotated", "ks_pennington_bahri")
#: Default number of Haar rotations behind each p-value (the null of :func:`freeness_test`).
NULL_DRAWS = 100
#: Haar rotations drawn and diagonalised at once in the null (bounds its memory).
NULL_BLOCK = 64
#: Level at which a point's p-value counts as a rejection in :func:`freeness_table`.
LEVEL = 0.05
#: Relative asymmetry ``max|H - H^T| / max(1, max|H|)`` accepted (and symmetrised away).
SYMMETRY_TOL = 1e-8


# -- Haar rotations and two-sample KS -------------------------------------------------------
def ks_two_sample(a, b):
    r"""Two-sample Kolmogorov–Smirnov distance :math:`\sup_x |F_a(x) - F_b(x)|` between the
    empirical CDFs of two samples (exact: both are right-continuous step functions, constant
    between consecutive pooled points, so the supremum is attained at a pooled point)."""
    a = np.sort(_validate.finite_array("a", a).ravel())
    b = np.sort(_validate.finite_array("b", b).ravel())
    if a.size == 0 or b.size == 0:
        raise InputError("a and b must each contain at least one value")
    x = np.concatenate([a, b])
    fa = np.searchsorted(a, x, side="right") / a.size
    fb = np.searchsorted(b, x, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


# -- the free convolution of two empirical spectra, tabulated -------------------------------
class _TabulatedLaw:
    """CDF of the free sum: trapezoid cumulative of the density on a grid, plus its atoms
    (the interface :func:`~rmtland.compare.metrics.ks_distance` needs: ``cdf``, ``atoms``)."""

    def __init__(self, x, cum, atoms):
        self.x, self.cum, self._atoms = x, cum, atoms

    def atoms(self):
        return self._atoms

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        out = np.interp(x, self.x, self.cum, left=0.0, right=self.cum[-1])
        for loc, mass in self._atoms:
            out = out + mass * (x >= loc)
        return out


def _discrete(eigs):
    """DiscreteLaw of a spectrum with repeated values merged (so that a multiple eigenvalue,
    e.g. H0's snapped zeros, is one atom and the free sum sees its atom)."""
    pts, counts = np.unique(eigs, return_counts=True)
    return DiscreteLaw(pts, counts / counts.sum())


def _free_convolution_cdf(e0, e1, grid):
    r"""The free convolution of the empirical spectra ``e0``, ``e1`` by subordination, its
    CDF tabulated on ``grid`` nodes: ``(law, quadrature_error)``.

    The density (:meth:`rmtland.analytic.SubordinatedSum.density`) is evaluated on a uniform
    grid over the enclosing interval (sum of the two hulls) and integrated by the cumulative
    trapezoid rule.  Error estimate: the largest difference between the cumulative integrals
    with steps :math:`h` and :math:`2h` (every other node) and the defect of the total mass;
    at the square-root edges the trapezoid error is :math:`O(h^{3/2})`, so the step-:math:`2h`
    difference bounds the step-:math:`h` error (:math:`2^{3/2} - 1 > 1`)."""
    law = free_convolve(_discrete(e0), _discrete(e1), "subordination")
    atoms = law.atoms()
    (lo, hi), = law.support()
    if hi <= lo:                       # both spectra single points: the sum is an atom
        return _TabulatedLaw(np.array([lo, lo + 1.0]), np.zeros(2), atoms), 0.0
    x = np.linspace(lo, hi, grid)
    rho = np.zeros_like(x)
    keep = np.ones(x.shape, dtype=bool)
    for loc, _ in atoms:               # an atom reads as ~1.5 m/(pi eta) on its node
        keep &= np.abs(x - loc) > 1e-9 * (hi - lo)
    rho[keep] = law.density(x[keep])
    rho[[0, -1]] = 0.0                 # the hull ends bound the support
    h = x[1] - x[0]
    cum = np.concatenate([[0.0], np.cumsum((rho[1:] + rho[:-1]) * h / 2)])
    cum2 = np.concatenate([[0.0], np.cumsum((rho[2::2] + rho[:-2:2]) * h)])
    mass = 1.0 - sum(m for _, m in atoms)
    err = max(float(np.max(np.abs(cum[::2] - cum2))), abs(float(cum[-1]) - mass))
    return _TabulatedLaw(x, cum, atoms), err


def _resolved_free_convolution(e0, e1, grid):
    """:func:`_free_convolution_cdf` at ``grid`` nodes and, when its quadrature error exceeds
    :data:`QUADRATURE_MAX`, once more at ``4 (grid - 1) + 1`` (step h/4); ``(None, None)`` when
    the subordination does not converge."""
    try:
        fc, err = _free_convolution_cdf(e0, e1, grid)
        if err > QUADRATURE_MAX:
            fc, err = _free_convolution_cdf(e0, e1, 4 * (grid - 1) + 1)
    except RuntimeError:
        return None, None
    return fc, err


# -- the freeness test ----------------------------------------------------------------------
def _check_pair(H0, H1):
    mats = []
    for name, H in (("H0", H0), ("H1", H1)):
        H = _validate.finite_array(name, H)
        if H.ndim != 2 or H.shape[0] != H.shape[1] or H.shape[0] < 2:
            raise InputError(f"{name} must be a square (n, n) array with n >= 2, "
                             f"got shape {H.shape}")
        asym = float(np.max(np.abs(H - H.T)))
        if asym > SYMMETRY_TOL * max(1.0, float(np.max(np.abs(H)))):
            raise InputError(f"{name} must be symmetric (max |{name} - {name}^T| = {asym:.3g} "
                             f"exceeds {SYMMETRY_TOL:g} relative)")
        mats.append((H + H.T) / 2)
    if mats[0].shape != mats[1].shape:
        raise InputError(f"H0 and H1 must have the same shape, got {mats[0].shape} and "
                         f"{mats[1].shape}")
    return mats


def _match(e0, e1, n, phi):
    """Moment matching of (c, phi, eps) from the spectra of H0 (snapped) and H1."""
    c = float(np.mean(e0))
    if not c > 0:
        raise InputError(f"H0 must have a positive mean eigenvalue (a Gauss–Newton matrix is "
                         f"positive semi-definite), got tr(H0)/n = {c:.6g}")
    var0 = float(np.var(e0))
    phi_moments = var0 / c ** 2
    zeros = int(np.count_nonzero(e0 == 0))
    out = {"c": c, "phi_moments": phi_moments,
           "phi_rank": n / (n - zeros) if 0 < zeros < n else None, "zeros_h0": zeros}
    if phi is None:
        if not phi_moments > 0:
            raise InputError("H0's spectrum has zero variance, so phi = var/mean^2 = 0 is "
                             "outside the allowed range (0, 1e20]; pass phi")
        out["phi"], out["phi_source"] = phi_moments, "moments"
    else:
        out["phi"], out["phi_source"] = phi, "given"
    out["eps"] = float(np.var(e1)) / (2 * c ** 2)
    out["h1_mean"] = float(np.mean(e1)) / c
    return out


def _distances(H0, e0, e1, eH, phi, rotations, gen, grid):
    """The three KS distances (a), (b), (c) and the matched parameters; and the references
    the Haar null measures its draws against (``(distances, references)``)."""
    n = e0.size
    fc, quad_err = _resolved_free_convolution(e0, e1, grid)
    # exact zeros meet an atom at 0 (e.g. H1 = 0); a CDF the grid does not resolve (H1 tiny
    # but not 0 against H0: the free sum's peaks are narrower than the grid step) is no test
    if quad_err is None or quad_err > QUADRATURE_MAX:
        fc = None
    ks_a = ks_distance(snap_zeros(eH), fc) if fc is not None else None
    pool = snap_zeros(np.linalg.eigvalsh(_rotated(H0, e1, rotations, gen)))
    ks_b = ks_two_sample(snap_zeros(eH), pool)
    m = _match(e0, e1, n, phi)
    law = PenningtonBahri(m["phi"], m["eps"])
    ks_c = ks_distance(snap_zeros(eH / m["c"]), law)
    return ({"ks_free_convolution": ks_a, "ks_rotated": ks_b, "ks_pennington_bahri": ks_c,
             "quadrature_error": quad_err, **m},
            {"ks_free_convolution": fc, "ks_rotated": pool, "ks_pennington_bahri": law,
             "c": m["c"]})


def _rotated(H0, e1, count, gen):
    r""":math:`H_0 + Q\,\mathrm{diag}(e_1)\,Q^\top` for ``count`` Haar :math:`Q`, ``(count, n, n)``."""
    Q = haar_orthogonal(e1.size, batch=count, rng=gen)
    rotated = H0 + (Q * e1[None, None, :]) @ np.swapaxes(Q, -1, -2)
    return (rotated + np.swapaxes(rotated, -1, -2)) / 2


def _statistics(eigs, refs):
    """The three distances of one spectrum ``eigs`` (a row of eigenvalues) to ``refs``."""
    fc, pool, law = (refs[k] for k in FREENESS_KEYS)
    return {"ks_free_convolution": None if fc is None else ks_distance(snap_zeros(eigs), fc),
            "ks_rotated": ks_two_sample(snap_zeros(eigs), pool),
            "ks_pennington_bahri": ks_distance(snap_zeros(eigs / refs["c"]), law)}


def monte_carlo_p_value(observed, null):
    r"""Monte Carlo p-value :math:`(1 + \#\{T_r \ge T\})/(1 + R)` of an observed statistic
    :math:`T` against ``R`` null draws :math:`T_r` (``None`` entries, unresolved draws, are
    left out; ``None`` when ``observed`` is ``None`` or no draw is resolved).

    When :math:`T` and the :math:`T_r` are exchangeable under the null, :math:`P(p \le u)
    \le u` for every :math:`u` (equality at :math:`u = j/(R+1)`): the test is exact at every
    level, whatever :math:`R` (Davison & Hinkley, *Bootstrap Methods and their Application*,
    CUP 1997, Sec. 4.2.1; Phipson & Smyth, Stat. Appl. Genet. Mol. Biol. 9(1) 39 (2010),
    doi:10.2202/1544-6115.1585)."""
    if observed is None:
        return None
    vals = [v for v in null if v is not None]
    if not vals:
        return None
    return (1 + sum(v >= observed for v in vals)) / (1 + len(vals))


def _haar_null(H0, e1, observed, refs, draws, gen):
    """The three distances on ``draws`` spectra of H0 + Q H1 Q^T (Haar Q), in blocks of
    :data:`NULL_BLOCK` rotations (memory ``NULL_BLOCK n^2``), and the p-values."""
    null = {k: [] for k in FREENESS_KEYS}
    for start in range(0, draws, NULL_BLOCK):
        for ev in np.linalg.eigvalsh(_rotated(H0, e1, min(NULL_BLOCK, draws - start), gen)):
            for k, v in _statistics(ev, refs).items():
                null[k].append(v)
    p = {k: monte_carlo_p_value(observed[k], null[k]) for k in FREENESS_KEYS}
    summary = {k: None if not [v for v in null[k] if v is not None] else {
        "mean": float(np.mean([v for v in null[k] if v is not None])),
        "q95": float(np.quantile([v for v in null[k] if v is not None], 0.95))}
        for k in FREENESS_KEYS}
    return p, summary


def freeness_test(H0, H1, *, rng=None, rotations=ROTATIONS, phi=None, reference=False,
                  reference_samples=REFERENCE_SAMPLES, grid=GRID, null_draws=NULL_DRAWS):
    r"""How far is :math:`\mathrm{spec}(H_0 + H_1)` from what freeness of :math:`H_0` and
    :math:`H_1` predicts?  Three Kolmogorov–Smirnov distances.

    (a) ``ks_free_convolution``: **one-sample** KS between :math:`\mathrm{spec}(H)` and the free
        convolution :math:`\mu_0 \boxplus \mu_1` of the empirical spectral laws of :math:`H_0`
        and :math:`H_1` (:func:`rmtland.analytic.free_convolve` with ``"subordination"``,
        Belinschi & Bercovici 2007).  :class:`~rmtland.analytic.SubordinatedSum` has no
        closed-form CDF (its default ``cdf`` integrates adaptively point by point, too slow
        here), so the CDF is the cumulative trapezoid integral of its density on ``grid``
        uniform nodes over the enclosing interval, plus its atoms (Bercovici–Voiculescu:
        :math:`a + b` with mass :math:`\mu_0(\{a\}) + \mu_1(\{b\}) - 1 > 0`; repeated eigenvalues
        are merged first).  The quadrature error is estimated (``quadrature_error``: steps
        :math:`h` against :math:`2h`, and the total-mass defect); measured 5e-5 – 3e-4 at the
        default 1025 nodes for n = 200–400, :math:`\varphi = 1/2`, and 1.3e-3 at n = 120,
        :math:`\varphi = 2` (H0's atom at 0 makes a narrow peak), below the distances.
        When it exceeds :data:`QUADRATURE_MAX` the density is tabulated once more on a grid
        four times finer; if the error still exceeds it (e.g. :math:`H_1` nonzero but orders
        of magnitude smaller than :math:`H_0`, as at a near-zero-loss minimum: the free sum's
        peaks are narrower than the grid step) the distance is not resolved and is ``None``;
        so it is when the subordination iteration does not converge at a grid node
        (``quadrature_error`` is then ``None`` too).
    (b) ``ks_rotated``: **two-sample** KS between :math:`\mathrm{spec}(H)` and the pooled spectra
        of :math:`H_0 + QH_1Q^\top` over ``rotations`` independent Haar-orthogonal :math:`Q`
        (both with their rounding-level zeros snapped to 0, :func:`~rmtland.compare.metrics.
        snap_zeros`)
        (:func:`rmtland.sampling.ensembles.haar_orthogonal`; :math:`QH_1Q^\top` is formed as
        :math:`Q\Lambda_1Q^\top`, the
        same law since :math:`QV` is Haar for any orthogonal :math:`V`).  :math:`H_0` and a
        Haar-rotated :math:`H_1` are asymptotically free (Mingo & Speicher 2017, Ch. 4), so this
        is freeness at the same finite :math:`n`.
    (c) ``ks_pennington_bahri``: **one-sample** KS between :math:`\mathrm{spec}(H)/c` and the
        exact CDF of :class:`~rmtland.analytic.PenningtonBahri` :math:`(\varphi, \varepsilon)`
        (PB17 Sec. 3), scales matched to the measured moments: :math:`H_0 \approx c\,
        \mathrm{MP}(\varphi)` (mean :math:`c`, variance :math:`c^2\varphi`), so
        :math:`c = \overline{\lambda(H_0)}` and, unless ``phi`` is given,
        :math:`\varphi = \mathrm{var}\,\lambda(H_0)/c^2`; the snapped zero eigenvalues of
        :math:`H_0` (:func:`~rmtland.compare.metrics.snap_zeros`) count in both, as the atom
        :math:`1 - 1/\varphi` of MP.  :math:`H_1 \approx c\,\mathrm{SC}(2\varepsilon)`, so
        :math:`\varepsilon = \mathrm{var}\,\lambda(H_1)/(2c^2)`.  The mean of
        :math:`\lambda(H_1)` is not matched (the model's :math:`H_1` is centred); it is
        reported as ``h1_mean`` (units of :math:`c`).

    Parameters
    ----------
    H0, H1 : array_like, shape (n, n)
        Symmetric host arrays (relative asymmetry up to :data:`SYMMETRY_TOL` is symmetrised
        away), :math:`n \ge 2`; the mean eigenvalue of ``H0`` must be positive.
    rng : None, int, SeedSequence or Generator
        Seed of the rotations and of the reference draws.
    rotations : int
        Haar rotations pooled in (b), ``>= 1`` (default :data:`ROTATIONS`).
    phi : float, optional
        The known ratio :math:`\varphi = n/(km)` (parameters over outputs × samples), used in
        (c) instead of the moment estimate; :math:`c` is the mean eigenvalue of :math:`H_0`
        either way.
    reference : bool
        Also measure the sampling-noise level of each distance (below).  Default ``False``.
    reference_samples : int
        Model draws behind the reference (default :data:`REFERENCE_SAMPLES`).
    grid : int
        Nodes of the density grid of (a), ``>= 3`` and odd (default :data:`GRID`).
    null_draws : int
        Haar rotations :math:`R \ge 1` behind the p-values (default :data:`NULL_DRAWS`).

    Returns
    -------
    dict
        ``ks_free_convolution``, ``ks_rotated``, ``ks_pennington_bahri``, ``quadrature_error``,
        the matched ``c``, ``phi``, ``eps``, ``phi_source`` (``"moments"`` or ``"given"``),
        ``phi_moments``, ``phi_rank`` (:math:`n/\mathrm{rank}\,H_0` when :math:`H_0` has zero
        eigenvalues, else ``None``; equals :math:`n/(km)` for a generic rank-:math:`km`
        :math:`H_0`), ``h1_mean``, ``zeros_h0`` (eigenvalues of :math:`H_0` snapped to 0),
        ``n``, ``rotations``, ``methods`` (one line per distance), ``p_value`` (per distance,
        against the Haar null below), ``null_draws``, ``null`` (per distance the null draws'
        ``mean`` and 95% quantile ``q95``), ``null_model``, ``reference`` (``None``, or the
        noise levels) and ``p_value_pb_model`` (``None``, or per distance the p-value against
        the PB-model draws of the reference).

    Notes
    -----
    **p-values: the Haar null.**  The hypothesis tested is that :math:`H_1` sits in a
    uniformly random orientation relative to :math:`H_0`: :math:`H = H_0 + QH_1Q^\top` with
    :math:`Q` Haar-orthogonal, independent of both (at finite :math:`n` the exact form of
    "free"; Mingo & Speicher 2017, Ch. 4).  ``null_draws`` = :math:`R` further rotations
    :math:`Q_r` give spectra :math:`\mathrm{spec}(H_0 + Q_rH_1Q_r^\top)`, and each of the three
    distances is measured on each of them against the **same** reference as the observed
    spectrum: (a) the same free convolution (it depends on the spectra of :math:`H_0` and
    :math:`H_1` only, which every rotation keeps), (b) the same pooled ``rotations`` spectra
    (independent of the null draws), (c) the same matched law and scale :math:`c`.  Under the
    hypothesis the observed distance and the :math:`R` null distances are exchangeable, so
    :func:`monte_carlo_p_value`, :math:`(1 + \#\{T_r \ge T\})/(1 + R)`, is an exact p-value
    (uniform on :math:`\{1, \dots, R+1\}/(R+1)`; calibrated in
    tests/test_freeness_pvalues.py on pairs :math:`(H_0, QH_1Q^\top)` with an independent Haar
    :math:`Q`).  The null of (c) tests freeness, not the PB law: it asks whether the observed
    spectrum fits the matched law worse than a free pair of the same spectra does.
    ``p_value_pb_model`` (with ``reference=True``): the same formula against the
    ``reference_samples`` PB-model draws, a second reference (for (c) it tests the PB model
    itself; exact when the point's pair is such a draw; its resolution is
    :math:`1/(R_{\rm ref}+1)`).

    **Noise reference.**  :math:`1.36/\sqrt n` (the i.i.d. KS quantile) is the wrong scale for
    eigenvalues: level repulsion makes a spectrum far more regular than an i.i.d. sample, and
    the distances are :math:`O(\log n/n)`, plus the :math:`1/(2n)` floor of comparing :math:`n`
    steps with a continuous CDF.  With ``reference=True`` the same three distances are measured
    on ``reference_samples`` draws of the Pennington–Bahri model at the matched parameters and
    size — :math:`H_0' = c\,XX^\top/m'`, :math:`X` of shape :math:`n\times m'`,
    :math:`m' = \mathrm{round}(n/\varphi)` (:func:`rmtland.sampling.sample_wishart`,
    :func:`rmtland.sampling.hessian_m`), :math:`H_1' = c\,\mathrm{GOE}(2\varepsilon)`
    (:func:`rmtland.sampling.sample_goe`), independent, hence asymptotically free; the same
    pair of laws :func:`rmtland.sampling.sample_hessian` adds — and their mean and maximum are
    returned (``reference["ks_..."] = {"mean", "max", "values"}``), with the parameters matched
    on each draw (``reference["matched"] = {"c", "phi", "eps"}``, lists: they estimate the
    point's own ``c``, ``phi`` and ``eps``).  Distances well above these
    levels mean the data are not explained by freeness at this :math:`n`.  When ``phi`` is
    given, the reference uses its realised :math:`n/m'`.  The reference costs
    ``reference_samples`` times the test itself.

    Measured (tests/test_compare_networks.py; :math:`H_0` Wishart :math:`\varphi = 1/2`,
    :math:`H_1` GOE of variance 0.2, 8 rotations, defaults): the three distances are
    :math:`n\,\mathrm{KS} \approx 2.3`–2.8 on average and at most 3.8 over 6 seeds at each of
    :math:`n = 200, 300, 400` (0.009–0.013 at 200, 0.006–0.0075 at 400), at the level of the
    reference (means 0.011–0.015 at 200, 0.006–0.008 at 400); for the commuting, non-free
    :math:`H_1 = s(H_0 - \bar\lambda)`, :math:`s = 0.3`, (a) and (b) are 0.12–0.13 and (c)
    0.11 at every size, 8× the reference maximum at :math:`n = 200` and 15× at 400.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
       (2017), https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3: the free model.
    .. [2] S. T. Belinschi, H. Bercovici, "A new approach to subordination results in free
       probability", J. Anal. Math. 101, 357–365 (2007). Thm. 4.1: subordination.
    .. [3] F. Mezzadri, "How to generate random matrices from the classical compact groups",
       Notices Amer. Math. Soc. 54(5), 592–604 (2007), arXiv:math-ph/0609050. Haar rotations.
    .. [4] J. A. Mingo, R. Speicher, "Free Probability and Random Matrices", Fields Institute
       Monographs 35, Springer, New York (2017), doi:10.1007/978-1-4939-6942-5. Ch. 4:
       asymptotic freeness of independent Wishart and GOE matrices, and of Haar-rotated ones.
    .. [5] H. Bercovici, D. Voiculescu, "Regularity questions for free convolution", Oper.
       Theory Adv. Appl. 104, Birkhäuser (1998). Atoms of a free convolution.
    """
    H0, H1 = _check_pair(H0, H1)
    rotations = _validate.integer("rotations", rotations, 1)
    grid = _validate.integer("grid", grid, 3)
    if grid % 2 == 0:
        raise InputError(f"grid must be an odd integer >= 3 (steps h and 2h share the nodes), "
                         f"got {grid}")
    if phi is not None:
        phi = _validate.positive("phi", phi)
    if not isinstance(reference, (bool, np.bool_)):
        raise InputError(f"reference must be True or False, got {reference!r}")
    reference_samples = _validate.integer("reference_samples", reference_samples, 1)
    ss = _seeds.seed_sequence(rng)
    n = H0.shape[0]
    e0 = snap_zeros(np.linalg.eigvalsh(H0))
    e1 = np.linalg.eigvalsh(H1)
    eH = np.linalg.eigvalsh(H0 + H1)
    null_draws = _validate.integer("null_draws", null_draws, 1)
    gen = np.random.default_rng(_seeds.child(ss, 0))
    out, refs = _distances(H0, e0, e1, eH, phi, rotations, gen, grid)
    p, null = _haar_null(H0, e1, out, refs, null_draws, gen)
    out.update(p_value=p, null_draws=null_draws, null=null, null_model=(
        f"spec(H0 + Q H1 Q^T), {null_draws} Haar Q, each distance against the observed "
        "spectrum's own reference; p = (1 + #{null >= observed}) / (1 + draws)"))
    out.update(n=n, rotations=rotations, methods={
        "ks_free_convolution": "one-sample KS: spec(H) vs the free convolution of the empirical "
                               "spectra of H0 and H1 (subordination; CDF by trapezoid "
                               "quadrature of the density)",
        "ks_rotated": f"two-sample KS: spec(H) vs spec(H0 + Q H1 Q^T), {rotations} Haar Q pooled",
        "ks_pennington_bahri": "one-sample KS: spec(H)/c vs the exact CDF of PenningtonBahri(phi, "
                               "eps), moment-matched"})
    out["reference"] = (_reference(out, n, phi, rotations, reference_samples, ss, grid)
                        if reference else None)
    out["p_value_pb_model"] = None if out["reference"] is None else {
        k: monte_carlo_p_value(out[k], out["reference"][k]["values"]) for k in FREENESS_KEYS}
    return out


def _reference(fit, n, phi, rotations, samples, ss, grid):
    """The three distances on Pennington–Bahri model draws at the matched parameters."""
    m = hessian_m(n, fit["phi"])
    c, e = fit["c"], fit["eps"]
    keys = FREENESS_KEYS
    values = {k: [] for k in keys}
    matched = {"c": [], "phi": [], "eps": []}
    for r in range(samples):
        s_w, s_g, s_q = _seeds.children(_seeds.child(ss, 1 + r), 3)
        H0 = c * sample_wishart(n, m, rng=s_w)[0]
        H1 = c * sample_goe(n, var=2 * e, rng=s_g)[0] if e > 0 else np.zeros((n, n))
        e0 = snap_zeros(np.linalg.eigvalsh(H0))
        e1 = np.linalg.eigvalsh(H1)
        eH = np.linalg.eigvalsh(H0 + H1)
        d, _ = _distances(H0, e0, e1, eH, None if phi is None else n / m, rotations,
                          np.random.default_rng(s_q), grid)
        for k in keys:
            values[k].append(d[k])
        for k in matched:
            matched[k].append(d[k])
    def stats(v):
        ok = [x for x in v if x is not None]       # (a) unresolved on a draw: None
        return {"mean": float(np.mean(ok)) if ok else None,
                "max": float(np.max(ok)) if ok else None, "values": v}
    out = {k: stats(v) for k, v in values.items()}
    out.update(samples=samples, m=m, phi_model=n / m, matched=matched,
               model="H0' = c X X^T/m', H1' = c GOE(2 eps), independent (PB model at the matched "
                     "parameters, same n)")
    return out



def rejection_rate(p_values, level=LEVEL):
    r"""The fraction :math:`f` of the p-values (``None`` skipped) at most ``level``, with its
    binomial standard error :math:`\sqrt{f(1-f)/N}` over the :math:`N` p-values:
    ``{"rejected", "rejected_stderr", "p_points"}`` (``None`` fractions when there are none)."""
    p = np.array([v for v in p_values if v is not None], dtype=float)
    f = float(np.mean(p <= level)) if p.size else None
    return {"rejected": f, "p_points": int(p.size),
            "rejected_stderr": None if f is None else math.sqrt(f * (1 - f) / p.size)}


def freeness_table(rows, eps_edges, level=LEVEL):
    r"""Where freeness fails: the freeness tests of many critical points, grouped by
    :math:`\varphi` and by loss bin, as p-values and as distances against a noise reference.

    Each row is one critical point: ``phi``, ``loss``, optionally ``data`` (a task label: rows
    are grouped by it too), ``freeness`` (the three distances of :func:`freeness_test` with
    its ``p_value`` per distance and ``null_draws``) and optionally ``reference``
    (``freeness_test(..., reference=True)``'s ``reference``).

    **The combined statement per group** (per distance): ``rejected``, the fraction of the
    :math:`N` points whose p-value is :math:`\le` ``level``, with its binomial standard error
    :math:`\sqrt{f(1-f)/N}` (``rejected_stderr``), beside what freeness would give:
    ``rejected_if_free`` :math:`= \lfloor \mathrm{level}\,(R+1)\rfloor/(R+1)` (the exact
    rejection rate of a Monte Carlo p-value with :math:`R` draws, :func:`monte_carlo_p_value`;
    :math:`R` the smallest ``null_draws`` of the group) and its standard error
    :math:`\sqrt{p_0(1-p_0)/N}`.  The points of a group are independent tests (each with its
    own rotations), so ``rejected`` is a binomial proportion.  ``median_p`` is the median
    p-value.

    **Against the PB-model reference** (rows with ``reference``; its :math:`R'` draws): if the
    point's :math:`H_0, H_1` were as free as the model's pair, its distance and the
    :math:`R'` model distances would be exchangeable, so the probability that it exceeds all
    :math:`R'` is :math:`1/(R'+1)`: ``above`` (the fraction of points above every draw) beside
    ``above_if_free`` and its binomial standard error ``above_if_free_stderr``; ``None`` where
    no row has a reference.

    Parameters
    ----------
    rows : sequence of dict
        As above; rows with neither ``p_value`` nor ``reference`` (not tested) are skipped.
    eps_edges : sequence of float
        Increasing loss-bin edges; a point with ``loss`` outside ``[eps_edges[0],
        eps_edges[-1])`` is skipped.
    level : float in (0, 1)
        Rejection level of a p-value (default :data:`LEVEL` = 0.05).

    Returns
    -------
    list of dict
        One per non-empty (``data``, ``phi``, bin): ``data``, ``phi``, ``eps_lo``, ``eps_hi``,
        ``points``, ``level``, ``null_draws``, ``rejected_if_free``,
        ``rejected_if_free_stderr``, ``draws`` (:math:`R'`, or ``None``), ``above_if_free``,
        ``above_if_free_stderr``, and per distance ``{"points", "median", "median_p",
        "p_points", "rejected", "rejected_stderr", "reference_median", "above"}`` over the
        points where that distance is resolved (``None`` when none is: see
        ``QUADRATURE_MAX``); ``rejected`` over the ``p_points`` of them with a p-value.
    """
    edges = _validate.finite_array("eps_edges", eps_edges).ravel()
    if edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise InputError(f"eps_edges must hold at least two increasing values, got "
                         f"{edges.tolist()}")
    level = _validate.positive("level", level)
    if level >= 1:
        raise InputError(f"level must be in (0, 1), got {level!r}")
    groups = {}
    for r in rows:
        f = r.get("freeness")
        if not isinstance(f, dict) or not (f.get("p_value") or r.get("reference") is not None):
            continue                            # not tested
        b = int(np.searchsorted(edges, r["loss"], side="right")) - 1
        if 0 <= b < edges.size - 1:
            groups.setdefault((r.get("data", ""), r["phi"], b), []).append(r)
    table = []
    for (data, phi, b), grp in sorted(groups.items()):
        tested = [r for r in grp if r["freeness"].get("p_value")]
        R = min(r["freeness"]["null_draws"] for r in tested) if tested else None
        p0 = None if R is None else math.floor(level * (R + 1)) / (R + 1)
        refd = [r for r in grp if r.get("reference") is not None]
        draws = min(len(r["reference"][FREENESS_KEYS[0]]["values"]) for r in refd) \
            if refd else None
        row = {"data": data, "phi": float(phi), "eps_lo": float(edges[b]),
               "eps_hi": float(edges[b + 1]), "points": len(grp), "level": level,
               "null_draws": R, "rejected_if_free": p0,
               "rejected_if_free_stderr": (None if p0 is None
                                           else math.sqrt(p0 * (1 - p0) / len(tested))),
               "draws": draws,
               "above_if_free": None if draws is None else 1.0 / (draws + 1),
               "above_if_free_stderr": None if draws is None else math.sqrt(
                   (1.0 / (draws + 1)) * (1 - 1.0 / (draws + 1)) / len(refd))}
        for k in FREENESS_KEYS:
            use = [r for r in grp if r["freeness"][k] is not None]
            if not use:
                row[k] = None
                continue
            d = np.array([r["freeness"][k] for r in use])
            pv = [r["freeness"]["p_value"][k] for r in use if r["freeness"].get("p_value")]
            rate = rejection_rate(pv, level)
            entry = {"points": len(use), "median": float(np.median(d)),
                     "p_points": rate["p_points"],
                     "median_p": (float(np.median([v for v in pv if v is not None]))
                                  if rate["p_points"] else None),
                     "rejected": rate["rejected"], "rejected_stderr": rate["rejected_stderr"],
                     "reference_median": None, "above": None}
            ref = [r for r in use if r.get("reference") is not None
                   and None not in r["reference"][k]["values"][:draws]]
            if ref:
                vals = [r["reference"][k]["values"][:draws] for r in ref]
                entry["reference_median"] = float(np.median([np.mean(v) for v in vals]))
                entry["above"] = float(np.mean([r["freeness"][k] > max(v)
                                                for r, v in zip(ref, vals)]))
            row[k] = entry
        table.append(row)
    return table


# -- the index against the loss -------------------------------------------------------------
def three_halves_model(eps, eps_c, gamma, alpha0):
    r""":math:`\alpha_0\,((\varepsilon - \varepsilon_c)/\varepsilon_c)^\gamma` for
    :math:`\varepsilon > \varepsilon_c`, 0 otherwise (PB17 Eq. (17) has :math:`\gamma = 3/2`)."""
    x = (np.asarray(eps, dtype=float) - eps_c) / eps_c
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(x > 0, alpha0 * np.maximum(x, 1e-300) ** gamma, 0.0)


def _three_halves_jac(eps, eps_c, gamma, alpha0):
    """d model / d(eps_c, gamma, alpha0)."""
    x = (eps - eps_c) / eps_c
    pos = x > 0
    xs = np.where(pos, x, 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        xg = np.where(pos, xs ** gamma, 0.0)
        d_ec = np.where(pos, -alpha0 * gamma * xs ** (gamma - 1) * eps / eps_c ** 2, 0.0)
        d_g = np.where(pos, alpha0 * xg * np.log(xs), 0.0)
    return np.column_stack([d_ec, d_g, xg])


def fit_three_halves(eps, alpha, alpha_se=None, *, eps_c=None, exponent=None):
    r"""Fit the onset of the index, :math:`\alpha = \alpha_0((\varepsilon -
    \varepsilon_c)/\varepsilon_c)^\gamma` (PB17 Eq. (17): :math:`\gamma = 3/2`), to measured
    indices.

    Only points with :math:`\alpha > 0` are fitted (the law is for the onset; pass points near
    it).  Weighted nonlinear least squares (``scipy.optimize.curve_fit``, trust-region
    reflective with the exact Jacobian and the bounds :math:`10^{-12}\min\varepsilon \le
    \varepsilon_c < \min\varepsilon`, :math:`10^{-3} \le \gamma \le 10`,
    :math:`\alpha_0 \ge 0`), started from the best point of a profile over
    :math:`\varepsilon_c` of the linear fit of :math:`\log\alpha` on
    :math:`\log((\varepsilon-\varepsilon_c)/\varepsilon_c)`.

    Standard errors: with ``alpha_se`` the errors are taken as known (``absolute_sigma=True``),
    :math:`\mathrm{Cov} = (J^\top W J)^{-1}`, :math:`W = \mathrm{diag}(1/se_i^2)`; without,
    unweighted and rescaled by :math:`\chi^2/\nu` (``absolute_sigma=False``; needs more points
    than free parameters).  First order in the errors (Press et al., *Numerical Recipes*, 3rd
    ed., CUP 2007, Sec. 15.4–15.5); :math:`\varepsilon_c`, :math:`\gamma` and :math:`\alpha_0`
    are strongly correlated (see ``covariance``).

    Parameters
    ----------
    eps : array_like
        Losses :math:`\varepsilon_i > 0` of the critical points (or of bins of them).
    alpha : array_like
        Their indices (fractions of negative eigenvalues).
    alpha_se : array_like, optional
        Standard errors of ``alpha`` (``> 0``), e.g. from
        :func:`~rmtland.compare.metrics.index_estimate`.
    eps_c : float, optional
        Fix :math:`\varepsilon_c` (``> 0``) instead of fitting it.
    exponent : float, optional
        Fix :math:`\gamma` (``> 0``; e.g. ``1.5``) instead of fitting it.

    Returns
    -------
    dict
        ``eps_c``, ``eps_c_stderr``, ``gamma``, ``gamma_stderr``, ``alpha0``,
        ``alpha0_stderr`` (``None`` for fixed parameters), ``eps_c_fixed``, ``gamma_fixed``,
        ``covariance`` (free parameters in the order ``eps_c, gamma, alpha0``), ``chi2`` (in
        units of ``alpha_se``; the plain residual sum of squares without), ``dof``,
        ``points`` (used), ``dropped`` (points with :math:`\alpha \le 0`), ``at_bound``
        (:math:`\varepsilon_c` or :math:`\gamma` on a bound, :math:`\varepsilon_c` within a
        factor 1000 of its lower bound included: the errors are then not meaningful),
        ``weighted``, ``model``.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
       (2017), https://proceedings.mlr.press/v70/pennington17a.html. Eq. (17): the 3/2 law.
    """
    from scipy.optimize import curve_fit
    eps = _validate.finite_array("eps", eps).ravel()
    alpha = _validate.finite_array("alpha", alpha).ravel()
    if eps.size != alpha.size:
        raise InputError(f"eps and alpha must have the same length, got {eps.size} and "
                         f"{alpha.size}")
    if np.any(eps <= 0):
        raise InputError("eps must be > 0 (losses)")
    if alpha_se is not None:
        alpha_se = _validate.finite_array("alpha_se", alpha_se).ravel()
        if alpha_se.size != eps.size or np.any(alpha_se <= 0):
            raise InputError("alpha_se must hold one value > 0 per point")
    fixed_ec = eps_c is not None
    fixed_g = exponent is not None
    if fixed_ec:
        eps_c = _validate.positive("eps_c", eps_c)
    if fixed_g:
        exponent = _validate.positive("exponent", exponent)
    keep = alpha > 0
    dropped = int(np.count_nonzero(~keep))
    e, a = eps[keep], alpha[keep]
    se = alpha_se[keep] if alpha_se is not None else None
    free = 3 - fixed_ec - fixed_g
    need = free + (0 if se is not None else 1)
    if e.size < max(need, 1):
        raise InputError(f"fit_three_halves needs at least {need} points with alpha > 0 "
                         f"({free} free parameters{'' if se is not None else ' and no alpha_se'})"
                         f", got {e.size}")
    if fixed_ec and np.any(e <= eps_c):
        raise InputError(f"eps_c={eps_c!r} must lie below every eps with alpha > 0 "
                         f"(smallest {e.min()!r})")
    w = np.ones_like(a) if se is None else 1 / se
    emin = float(e.min())
    upper_ec = emin * (1 - 1e-9)

    def linear_start(ec):
        """Weighted LS of log alpha on [1, log x] (gamma free) or [1] (gamma fixed)."""
        lx = np.log((e - ec) / ec)
        wl = w * a                       # d log alpha = d alpha / alpha
        if fixed_g:
            la0 = np.sum(wl ** 2 * (np.log(a) - exponent * lx)) / np.sum(wl ** 2)
            g = exponent
        else:
            X = np.column_stack([np.ones_like(lx), lx]) * wl[:, None]
            coef, *_ = np.linalg.lstsq(X, np.log(a) * wl, rcond=None)
            la0, g = coef
        a0 = math.exp(min(la0, 700.0))
        r = (a - three_halves_model(e, ec, g, a0)) * w
        return float(r @ r), g, a0

    if fixed_ec:
        ec0 = eps_c
    else:
        cands = emin * (1 - np.geomspace(1e-6, 0.999, 200))
        ec0 = min(cands, key=lambda c: linear_start(c)[0])
    _, g0, a00 = linear_start(ec0)
    g0 = exponent if fixed_g else float(np.clip(g0, 1e-3, 10.0))

    names = [p for p, f in (("eps_c", fixed_ec), ("gamma", fixed_g), ("alpha0", False)) if not f]
    cols = [i for i, p in enumerate(("eps_c", "gamma", "alpha0")) if p in names]

    def full(p):
        vals = dict(zip(names, p))
        return (vals.get("eps_c", eps_c), vals.get("gamma", exponent), vals["alpha0"])

    def f(x, *p):
        return three_halves_model(x, *full(p))

    def jac(x, *p):
        return _three_halves_jac(x, *full(p))[:, cols]

    p0 = [v for v, nm in ((ec0, "eps_c"), (g0, "gamma"), (a00, "alpha0")) if nm in names]
    lo = {"eps_c": emin * 1e-12, "gamma": 1e-3, "alpha0": 0.0}
    hi = {"eps_c": upper_ec, "gamma": 10.0, "alpha0": np.inf}
    bounds = ([lo[k] for k in names], [hi[k] for k in names])
    p0 = [float(np.clip(v, lo[k] * (1 + 1e-9), hi[k] * (1 - 1e-9))) for v, k in zip(p0, names)]
    popt, pcov = curve_fit(f, e, a, p0=p0, sigma=se, absolute_sigma=se is not None,
                           jac=jac, bounds=bounds, method="trf", max_nfev=20000,
                           ftol=1e-14, xtol=1e-14, gtol=1e-14)
    ec, g, a0 = full(popt)
    finite = bool(np.all(np.isfinite(pcov)))
    err = dict(zip(names, np.sqrt(np.abs(np.diag(pcov))))) if finite else {}
    r = (a - three_halves_model(e, ec, g, a0)) * w
    at_bound = ((not fixed_ec and (ec >= upper_ec * (1 - 1e-7) or ec <= lo["eps_c"] * 1e3))
                or (not fixed_g and (g <= 1e-3 * 1.001 or g >= 10.0 * 0.999)))

    def se_of(k):
        return float(err[k]) if k in err else None

    return {"eps_c": float(ec), "eps_c_stderr": se_of("eps_c"),
            "gamma": float(g), "gamma_stderr": se_of("gamma"),
            "alpha0": float(a0), "alpha0_stderr": se_of("alpha0"),
            "eps_c_fixed": fixed_ec, "gamma_fixed": fixed_g,
            "covariance": pcov.tolist() if finite else None,
            "chi2": float(r @ r), "dof": int(e.size - free), "points": int(e.size),
            "dropped": dropped, "at_bound": bool(at_bound), "weighted": se is not None,
            "model": "alpha = alpha0 ((eps - eps_c)/eps_c)^gamma"}


def theory_index_curve(phi, eps_grid, scale=1.0):
    r"""The Pennington–Bahri index as a function of the **network** loss, under the mapping
    :math:`\varepsilon_{\rm model} = \mathrm{scale}\cdot\varepsilon_{\rm network}`.

    The mapping implemented (PB17 Sec. 5 compares the index of network critical points with
    the theory through the loss; the paper's exact mapping was not available to us, so this
    is our choice): at a critical point with Hessian parts :math:`H_0`, :math:`H_1`, the
    model's parameters are the matched ones of :func:`freeness_test` —
    :math:`\varphi = n/(km)` (parameters over outputs × samples, DESIGN.md) and
    :math:`\varepsilon_{\rm model} = \mathrm{var}\,\lambda(H_1)/(2c^2)`,
    :math:`c = \overline{\lambda(H_0)}` — and ``scale`` is the ratio
    :math:`\varepsilon_{\rm model}/\varepsilon_{\rm network}` (fitted over critical points by
    :func:`loss_scale`).  With PB17's normalisation and its assumptions (:math:`H_0` of mean 1,
    :math:`H_1` of variance twice the loss), ``scale = 1``.  Then
    :math:`\alpha_{\rm theory}(\varepsilon) = \alpha_{\rm PB}(\mathrm{scale}\cdot\varepsilon,
    \varphi)` and the network's critical loss is :math:`\varepsilon_c(\varphi)/\mathrm{scale}`.

    Parameters
    ----------
    phi : float
        :math:`\varphi > 0`.
    eps_grid : array_like
        Network losses :math:`\ge 0`.
    scale : float
        :math:`\varepsilon_{\rm model}/\varepsilon_{\rm network} > 0` (default 1).

    Returns
    -------
    dict
        ``eps`` (the grid), ``eps_model``, ``alpha`` (exact index, PB17 Eq. (13)),
        ``eps_c`` (network units), ``eps_c_model``, ``alpha0`` and ``three_halves``
        (:math:`\alpha_0((\varepsilon-\varepsilon_c)/\varepsilon_c)^{3/2}` on the grid, 0 below
        :math:`\varepsilon_c`; both ``None`` for :math:`\varphi \ge 1`), ``phi``, ``scale``.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
       (2017), https://proceedings.mlr.press/v70/pennington17a.html. Eqs. (13), (16), (17);
       Sec. 5.
    """
    phi = _validate.positive("phi", phi)
    scale = _validate.positive("scale", scale)
    grid = _validate.finite_array("eps_grid", eps_grid)
    if np.any(grid < 0):
        raise InputError("eps_grid must be >= 0 (losses)")
    flat = grid.ravel()
    model = scale * flat
    alpha = np.array([index(float(v), phi) for v in model]).reshape(grid.shape)
    ec_model = eps_c(phi)
    out = {"eps": grid, "eps_model": model.reshape(grid.shape), "alpha": alpha,
           "eps_c": ec_model / scale, "eps_c_model": ec_model, "phi": phi, "scale": scale,
           "alpha0": None, "three_halves": None}
    if phi < 1:
        a0 = alpha0(phi)
        out["alpha0"] = a0
        out["three_halves"] = three_halves_model(grid, ec_model / scale, 1.5, a0)
    return out


def loss_scale(loss, eps_model, eps_model_se=None):
    r"""The scale of :func:`theory_index_curve`: least squares through the origin of
    :math:`\varepsilon_{\rm model} = \mathrm{scale}\cdot\varepsilon_{\rm network}` over
    critical points, :math:`\hat s = \sum w_i L_i \varepsilon_i / \sum w_i L_i^2`
    (:math:`w_i = 1/se_i^2`, or 1).

    Standard error: :math:`(\sum w_i L_i^2)^{-1/2}` with known errors; without, the residual
    variance :math:`\sum (\varepsilon_i - \hat s L_i)^2/(N-1)` times
    :math:`(\sum L_i^2)^{-1}` (``None`` for one point).  Returns ``(scale, stderr)``.
    """
    L = _validate.finite_array("loss", loss).ravel()
    E = _validate.finite_array("eps_model", eps_model).ravel()
    if L.size != E.size or L.size == 0:
        raise InputError(f"loss and eps_model must have the same length >= 1, got {L.size} and "
                         f"{E.size}")
    if np.any(L <= 0) or np.any(E < 0):
        raise InputError("loss must be > 0 and eps_model >= 0")
    if eps_model_se is not None:
        se = _validate.finite_array("eps_model_se", eps_model_se).ravel()
        if se.size != L.size or np.any(se <= 0):
            raise InputError("eps_model_se must hold one value > 0 per point")
        w = 1 / se ** 2
        s = float(np.sum(w * L * E) / np.sum(w * L ** 2))
        return s, float(1 / math.sqrt(np.sum(w * L ** 2)))
    s = float(np.sum(L * E) / np.sum(L ** 2))
    if L.size == 1:
        return s, None
    r = E - s * L
    return s, float(math.sqrt(r @ r / (L.size - 1) / np.sum(L ** 2)))


# -- memorisation ---------------------------------------------------------------------------
def memorisation_loss(phi):
    r"""PB17's memorisation curve: :math:`\tfrac12(1-\varphi)^2` for :math:`\varphi < 1`, 0 for
    :math:`\varphi \ge 1` (enough parameters to fit every target: the minimum is 0).

    PB17 (abstract and Sec. 5) observe, as an open problem, that in a memorisation task (random
    targets) the loss of minimisers is well approximated by :math:`\tfrac12(1-\varphi)^2`.  Note
    it is not the residual of linear least squares, :math:`\tfrac12(1-\varphi)`.
    """
    phi = _validate.positive("phi", phi)
    return 0.5 * (1 - phi) ** 2 if phi < 1 else 0.0


def memorisation_deviation(phi, losses):
    r"""Mean loss of minimisers over seeds against PB17's memorisation curve
    :func:`memorisation_loss`.

    Parameters
    ----------
    phi : float
        :math:`\varphi > 0`.
    losses : array_like
        Loss of the minimiser found with each seed, shape ``(seeds,)``; or ``(seeds, k)``,
        several minimisers per seed, averaged within a seed first (seeds are the independent
        units).

    Returns
    -------
    dict
        ``mean`` and ``stderr`` (:math:`s/\sqrt S` over the :math:`S` seeds; ``None`` for one
        seed), ``prediction`` (:math:`\tfrac12(1-\varphi)^2`, or 0 for :math:`\varphi \ge 1`),
        ``deviation`` (mean − prediction), ``z`` (deviation / stderr; ``None`` when the stderr
        is ``None`` or 0 to rounding, i.e. all per-seed means equal), ``seeds``, ``phi``.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
       (2017), https://proceedings.mlr.press/v70/pennington17a.html. Abstract and Sec. 5: the
       energy of minimisers of a memorisation task is close to (1 − φ)²/2.
    """
    pred = memorisation_loss(phi)
    losses = _validate.finite_array("losses", losses)
    if losses.ndim not in (1, 2) or losses.size == 0:
        raise InputError(f"losses must have shape (seeds,) or (seeds, k) with at least one "
                         f"value, got {losses.shape}")
    if np.any(losses < 0):
        raise InputError("losses must be >= 0")
    per_seed = losses.mean(axis=1) if losses.ndim == 2 else losses
    mean, stderr = mean_and_stderr(per_seed)
    dev = mean - pred
    # an s.e. at the rounding level of the per-seed means (all equal) carries no information
    noise = 16 * np.finfo(float).eps * float(np.max(np.abs(per_seed)))
    z = dev / stderr if stderr is not None and stderr > noise else None
    return {"mean": mean, "stderr": stderr, "prediction": pred, "deviation": dev,
            "z": z, "seeds": int(per_seed.size),
            "phi": float(phi)}
