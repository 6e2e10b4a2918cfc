r"""Studies of the Pennington–Bahri Hessian: the figures behind ``rmtland reproduce``, the
``simulate hessian`` command, and the sampling studies they run (spectra, indices by inertia,
the finite-size study).

Parameter choices (fixed; PB17 = Pennington & Bahri, ICML 2017)
----------------------------------------------------------------
* :data:`PHIS` = (0.25, 0.5, 0.75, 2.0): three ratios below 1, where a critical loss
  :math:`\varepsilon_c > 0` exists (0.0435, 0.0113, 0.00127), and one above, where
  :math:`\varepsilon_c = 0` and :math:`H_0` has an atom of mass :math:`1 - 1/\varphi` at 0;
* :data:`EPS` = (0, 0.01, 0.1, 0.5): :math:`\varepsilon = 0` (pure Marchenko–Pastur), one
  loss below every :math:`\varepsilon_c` but for :math:`\varphi = 0.75`, two above them all;
* index curves: :math:`\varepsilon` log-spaced on :data:`EPS_RANGE`; the 3/2-law panel:
  :math:`x = (\varepsilon - \varepsilon_c)/\varepsilon_c` log-spaced on :data:`X_RANGE`;
* :math:`\varepsilon_c(\varphi)` on :data:`PHI_RANGE`, checked against the root of the left
  support edge :math:`\lambda_-(\varepsilon) = 0` at a few :math:`\varphi`.

Grid sizes (:data:`GRIDS`) and simulation sizes (:data:`SIM`) depend on the level.

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
Theory", ICML 2017, PMLR 70:2798–2806 (PB17).
"""
import time

import numpy as np

from .._validate import InputError
from .. import _seeds, _validate
from .._backend import device_name, get_xp, to_numpy
from .._io import check_output_dir
from .._progress import Progress
from ..analytic.hessian import PenningtonBahri, alpha0, eps_c, index
from ..compare import hessian as cmp
from ..compare.metrics import fit_power_law, snap_zeros
from ..linalg.dense import count_negative, eigvalsh_batched, require_memory
from ..sampling.hessian import hessian_m, iter_hessian_chunks
from . import _run

__all__ = ["PHIS", "EPS", "GRIDS", "SIM", "BIAS_PHIS", "BIAS_EPS", "theory_table",
           "hessian_spectra", "hessian_index_sample", "finite_size_study", "index_bias_study",
           "simulate_hessian", "check_hessian",
           "figure_hessian_density", "figure_hessian_index", "figure_hessian_eps_c",
           "figure_hessian_finite_size"]

#: ratios phi = parameters / (outputs x samples) shown in the figures
PHIS = (0.25, 0.5, 0.75, 2.0)
#: losses eps shown in the density figure and tabulated in theory_hessian.json
EPS = (0.0, 0.01, 0.1, 0.5)

#: grid sizes per level
GRIDS = {
    "smoke": {"density_points": 300, "index_eps": 24, "three_halves_x": 16, "phi_grid": 40,
              "eps_c_checks": 3},
    "quick": {"density_points": 2000, "index_eps": 150, "three_halves_x": 80, "phi_grid": 300,
              "eps_c_checks": 9},
    "full": {"density_points": 6000, "index_eps": 500, "three_halves_x": 200,
             "phi_grid": 1000, "eps_c_checks": 19},
}

#: simulation sizes per level.  ``n`` divides exactly by every phi of :data:`PHIS`
#: (m = n/phi is an integer), so the simulated ratio is the nominal one; the index-bias
#: sizes ``bias_ns`` are multiples of 12, so that also holds for every phi of
#: :data:`BIAS_PHIS`.  ``bias_samples`` matrices per (phi, eps, n): the s.e. of
#: b = n(alpha^ - alpha) is s/sqrt(S) with s ~ 0.7-0.9 eigenvalue (the spread of the count of
#: negative eigenvalues); measured at the quick size: <= 0.037 per n and <= 0.044 for b_inf
#: (the 1/n extrapolation of index_bias_study costs a factor ~1.2), ~12 s on 2 CPU cores;
#: the full size gives ~0.012 for b_inf.
SIM = {
    "smoke": {"n": 60, "samples": 3, "index_eps": 4, "index_samples": 4,
              "finite_ns": (40, 80, 160), "finite_eigenvalues": 960,
              "bias_ns": (12, 24), "bias_samples": 8},
    "quick": {"n": 300, "samples": 12, "index_eps": 7, "index_samples": 24,
              "finite_ns": (100, 200, 400, 800, 1600), "finite_eigenvalues": 9600,
              "bias_ns": (24, 48, 96), "bias_samples": 500},
    "full": {"n": 1200, "samples": 50, "index_eps": 12, "index_samples": 200,
             "finite_ns": (250, 500, 1000, 2000, 4000), "finite_eigenvalues": 64000,
             "bias_ns": (48, 96, 192, 384), "bias_samples": 4000},
}
#: (phi, eps) of the finite-size study: a loss above eps_c(0.5) = 0.0113
FINITE_SIZE = (0.5, 0.1)
#: ratios of the index-bias study (panel (c) of the finite-size figure): three below 1
#: (eps_c = 0.0435, 0.0113, 0.00127) and three above (eps_c = 0; H_0 has n - m zero
#: eigenvalues, the atom of mass 1 - 1/phi at 0)
BIAS_PHIS = (0.25, 0.5, 0.75, 1.5, 2.0, 4.0)
#: losses of the index-bias study: 0.001 is below eps_c for phi = 0.25, 0.5 and 0.75 (alpha = 0;
#: for 0.75 only just, 0.79 eps_c), 0.005 below it for phi = 0.25 and 0.5; for phi > 1 both
#: are "small": the atom of H_0 at 0 is smeared into a narrow bump (a separate support
#: interval for phi = 2, 4, and for phi = 1.5 at 0.001); 0.1 and 0.5 are above every eps_c.
BIAS_EPS = (0.001, 0.005, 0.1, 0.5)
#: the index-bias study of the finite-size figure draws from this child of SeedSequence(seed)
#: (the spectra study draws from children 0, 1, ... of the same sequence, one per size, so a
#: large index keeps the two apart)
BIAS_SEED_CHILD = 1000
#: eps range of the simulated indices (log-spaced)
SIM_EPS_RANGE = (3e-3, 1.0)
#: eps range of the index curves, x range of the 3/2-law collapse, phi range of eps_c(phi)
EPS_RANGE = (1e-4, 1.0)
X_RANGE = (1e-3, 10.0)
PHI_RANGE = (0.005, 0.995)
#: points of the fitted power-law lines of the finite-size figure
FIT_LINE_POINTS = 50


# -- sampling studies ------------------------------------------------------------------------
def hessian_spectra(n, phi, eps, samples, *, rng=None, device="cpu", dtype="float64",
                    chunk=None, progress=None):
    r"""Eigenvalues of ``samples`` Pennington–Bahri matrices of size ``n`` (host array).

    Samples chunk by chunk (:func:`rmtland.sampling.iter_hessian_chunks`), diagonalises each
    chunk on its device and copies the eigenvalues to the host (the one device-to-host
    boundary); ``progress(done, total)`` is called after each chunk.  Returns
    ``(eigs, seconds)`` with ``eigs`` of shape ``(samples, n)``.
    """
    samples = _validate.integer("samples", samples, 1)
    n = _validate.integer("n", n, 1)
    require_memory(np, samples * n * np.dtype(dtype).itemsize, "samples",
                        f"the eigenvalues of {samples} matrices of size n={n}")
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
    (:func:`rmtland.linalg.count_negative`).  Returns ``(mean, stderr, theory)`` with the
    theory at the realised ratio ``n/m`` (:func:`rmtland.compare.hessian.index_from_counts`).

    At :math:`\varepsilon = 0`, :math:`H = H_0` is singular for :math:`\varphi > 1`; its zero
    eigenvalues are decided by :func:`rmtland.compare.metrics.snap_zeros`, so the counts come
    from eigenvalues there."""
    counts = _negative_counts(n, phi, eps, samples, rng=rng, device=device, dtype=dtype,
                              chunk=chunk)
    return cmp.index_from_counts(counts, n, phi, eps)


def _negative_counts(n, phi, eps, samples, *, rng, device, dtype, chunk=None):
    """Host int array of the negative-eigenvalue counts behind :func:`hessian_index_sample`."""
    samples = _validate.integer("samples", samples, 2)
    eps = _validate.nonnegative("eps", eps)
    chunks = iter_hessian_chunks(n, phi, eps, batch=samples, rng=rng, device=device,
                                 dtype=dtype, chunk=chunk)
    if eps == 0:
        return np.concatenate([np.sum(snap_zeros(to_numpy(eigvalsh_batched(H))) < 0, axis=1)
                               for H in chunks])
    return np.concatenate([to_numpy(count_negative(H)) for H in chunks])


def finite_size_study(phi, eps, ns=(250, 500, 1000, 2000, 4000), *, eigenvalues=None,
                      rng=None, device="cpu", dtype="float64", progress=None):
    r"""How the KS and L¹ distances and the index error shrink with ``n``.

    For each ``n`` the number of matrices is ``eigenvalues // n`` (at least 2; default
    ``eigenvalues = 4 * max(ns)``), so every size pools about the same number of eigenvalues
    and the sampling noise of the pooled CDF, :math:`O(N^{-1/2})`, is comparable.  Fits
    :math:`d \propto n^{b}` to each distance (:func:`rmtland.compare.metrics.fit_power_law`),
    with the fitted line on :data:`FIT_LINE_POINTS` points.  Seeds: size ``i`` uses child
    ``i`` of ``rng``'s ``SeedSequence`` (:func:`rmtland._seeds.children`), so two different
    children of one sequence give different studies and the same child the same study.
    """
    ns = [_validate.integer("n", n, 2) for n in ns]
    if len(ns) < 2:
        raise InputError("ns must hold at least two sizes")
    total = 4 * max(ns) if eigenvalues is None else _validate.integer("eigenvalues",
                                                                         eigenvalues, 1)
    get_xp(device)  # fail early on a missing GPU
    rows = []
    for n, seed in zip(ns, _seeds.children(rng, len(ns))):
        samples = max(2, total // n)
        eigs, seconds = hessian_spectra(n, phi, eps, samples, rng=seed, device=device,
                                        dtype=dtype, progress=progress)
        row = {"n": n, "samples": samples, "seconds": seconds}
        row.update(cmp.compare_hessian(eigs, phi, eps, n))
        rows.append(row)
    fits = {}
    n_line = np.geomspace(min(ns), max(ns), FIT_LINE_POINTS)
    for key in ("ks_distance", "l1_distance"):
        if all(r[key] for r in rows):
            b, se, c = fit_power_law([r["n"] for r in rows], [r[key] for r in rows])
            fits[key] = {"exponent": b, "exponent_stderr": se, "prefactor": c,
                         "line": [n_line.tolist(), (c * n_line ** b).tolist()]}
    return {"phi": phi, "eps": eps, "rows": rows, "fits": fits}


def index_bias_study(phis=BIAS_PHIS, eps_values=BIAS_EPS, ns=(24, 48, 96), samples=500, *,
                     rng=None, device="cpu", dtype="float64", progress=None):
    r"""The finite-size bias of the index, :math:`b = n(\hat\alpha - \alpha)` in eigenvalues
    per matrix, and its :math:`n \to \infty` limit, for every :math:`(\varphi, \varepsilon)`
    of ``phis`` × ``eps_values``.

    At each size ``n`` of ``ns``, ``samples`` matrices are sampled and their negative
    eigenvalues counted by inertia (as :func:`hessian_index_sample`);
    :func:`rmtland.compare.hessian.index_bias` gives :math:`b \pm` s.e. with the theory
    :math:`\alpha` at the realised ratio :math:`n/m`.  The limit
    (:func:`rmtland.compare.hessian.index_bias_limit`): where :math:`\alpha > 0` the model
    :math:`b(n) = b_\infty + c/n` (weighted least squares, with its :math:`\chi^2`); where
    :math:`\alpha = 0` at every ``n`` (:math:`\varphi < 1`, :math:`\varepsilon \le
    \varepsilon_c`) :math:`b(n) \ge 0` is the rate of excursions of the smallest eigenvalue
    below 0, which vanishes as :math:`n \to \infty`, and :math:`b` at the largest ``n`` is
    reported.  ``zero_within_error``: :math:`|b_\infty| < 2` s.e.

    For :math:`\varphi > 1`, :math:`H_0` has exactly :math:`n - m` zero eigenvalues; with a
    small :math:`\varepsilon` they become a narrow bump around 0 (the smeared atom of mass
    :math:`1 - 1/\varphi`), which to first order in :math:`\sqrt{\varepsilon}` is the spectrum
    of the GOE part compressed to the null space of :math:`H_0`: a GOE of size :math:`n - m`,
    symmetric about 0, whose mean count of negative eigenvalues is exactly :math:`(n-m)/2`, so
    the bump adds no bias at that order.  The counts are decided by inertia (LDLᵀ); the bump's
    eigenvalues are :math:`O(\sqrt{\varepsilon})` away from 0, far above rounding.

    Seeds: pair ``k`` (in the order phi-major) uses child ``k`` of ``rng``'s ``SeedSequence``,
    and size ``i`` child ``i`` of that.  ``progress(done, total)`` is called after each pair.

    Returns a dict: ``phis``, ``eps``, ``ns``, ``samples``, ``rows`` (one per pair: ``phi``,
    ``eps``, ``eps_c``, ``regime`` ("alpha > 0" or "alpha = 0"), ``sizes`` (the rows of
    :func:`~rmtland.compare.hessian.index_bias` with ``seconds``), the limit's fields
    (:func:`~rmtland.compare.hessian.index_bias_limit`) and ``seconds``), ``seconds``.
    """
    phis = [_validate.positive("phi", phi) for phi in phis]
    eps_values = [_validate.nonnegative("eps", e) for e in eps_values]
    ns = sorted(_validate.integer("n", n, 2) for n in ns)
    samples = _validate.integer("samples", samples, 2)
    if not phis or not eps_values:
        raise InputError("phis and eps_values must hold at least one value each")
    if len(set(ns)) < 2:
        raise InputError("ns must hold at least two different sizes")
    get_xp(device)  # fail early on a missing GPU
    pairs = [(phi, e) for phi in phis for e in eps_values]
    t_start = time.perf_counter()
    rows = []
    for k, ((phi, e), seed) in enumerate(zip(pairs, _seeds.children(rng, len(pairs)))):
        t_pair = time.perf_counter()
        sizes = []
        for n, child in zip(ns, _seeds.children(seed, len(ns))):
            t0 = time.perf_counter()
            counts = _negative_counts(n, phi, e, samples, rng=child, device=device, dtype=dtype)
            sizes.append({**cmp.index_bias(counts, n, phi, e),
                          "seconds": time.perf_counter() - t0})
        zero = all(r["theory_index"] == 0.0 for r in sizes)
        limit = cmp.index_bias_limit([r["n"] for r in sizes], [r["b"] for r in sizes],
                                     [r["b_stderr"] for r in sizes], zero_limit=zero)
        rows.append({"phi": phi, "eps": e, "eps_c": eps_c(phi),
                     "regime": "alpha = 0" if zero else "alpha > 0", "sizes": sizes,
                     **limit, "seconds": time.perf_counter() - t_pair})
        if progress is not None:
            progress(k + 1, len(pairs))
    return {"phis": phis, "eps": eps_values, "ns": ns, "samples": samples, "rows": rows,
            "seconds": time.perf_counter() - t_start}


# -- theory tables ---------------------------------------------------------------------------
def theory_table(phis=PHIS, eps_values=EPS):
    r"""Per :math:`\varphi`: :math:`\varepsilon_c`, :math:`\alpha_0` (None for
    :math:`\varphi \ge 1`, where the 3/2 law does not apply), and the index at each
    :math:`\varepsilon`, all from :mod:`rmtland.analytic.hessian`."""
    return [{"phi": float(phi), "eps_c": eps_c(phi),
             "alpha0": alpha0(phi) if phi < 1 else None,
             "index": [{"eps": float(e), "alpha": index(e, phi)} for e in eps_values]}
            for phi in phis]


def _law_summary(curve):
    law = PenningtonBahri(curve["phi"], curve["eps"])
    return {"phi": curve["phi"], "eps": curve["eps"],
            "support": [list(s) for s in curve["support"]],
            "atoms": [list(a) for a in curve["atoms"]],
            "continuous_mass": float(law.continuous_mass()),
            "index": curve["index"]}


# -- figures ---------------------------------------------------------------------------------
def _simulate_pairs(params, lvl, device, seed):
    """Sampled eigenvalues for each (phi, eps) and their comparison with the theory."""
    n, samples = SIM[lvl]["n"], SIM[lvl]["samples"]
    bar = Progress(len(params), f"spectra n={n}")
    out, rows = {}, []
    for k, ((phi, e), child) in enumerate(zip(params, _seeds.children(seed, len(params)))):
        eigs, seconds = hessian_spectra(n, phi, e, samples, rng=child, device=device)
        out[(phi, e)] = eigs
        rows.append({"phi": phi, "eps": e, "n": n, "samples": samples, "seconds": seconds,
                     **cmp.compare_hessian(eigs, phi, e, n)})
        bar(k + 1)
    bar.close()
    return out, rows


def _simulate_indices(phis, lvl, device, seed):
    """Empirical indices on a log grid of eps for every phi (inertia counts)."""
    sim = SIM[lvl]
    eps_grid = np.geomspace(*SIM_EPS_RANGE, sim["index_eps"])
    seeds = _seeds.children(seed, len(phis) * eps_grid.size)
    bar = Progress(len(seeds), f"indices n={sim['n']}")
    empirical, rows, k = {}, [], 0
    for phi in phis:
        alpha, stderr = [], []
        for e in eps_grid:
            a, se, th = hessian_index_sample(sim["n"], phi, float(e), sim["index_samples"],
                                             rng=seeds[k], device=device)
            alpha.append(a)
            stderr.append(se)
            rows.append({"phi": float(phi), "eps": float(e), "n": sim["n"],
                         "samples": sim["index_samples"], "empirical_index": a,
                         "index_stderr": se, "theory_index": th})
            k += 1
            bar(k)
        empirical[float(phi)] = (eps_grid, np.array(alpha), np.array(stderr))
    bar.close()
    return empirical, rows


def _sim_parameters(simulated, device, seed):
    """``device`` and ``seed`` of a figure's own simulation (none: nothing was simulated)."""
    return {"device": device, "seed": seed} if simulated else {}


@_run.register("hessian_density", kind="both", claim=(
    "Adding the semicircle part (variance 2*eps) to the Marchenko-Pastur Gauss-Newton part "
    "spreads the Hessian spectrum to negative eigenvalues; for phi < 1 only once eps "
    "exceeds eps_c(phi) (Pennington & Bahri 2017, Sec. 3)."))
def figure_hessian_density(quick=True, *, smoke=False, phis=PHIS, eps=EPS,
                           samples=None, extra_summary=None, simulate=False, device="cpu",
                           seed=0):
    r"""Figure "hessian_density": :math:`\rho(\lambda)` for every :math:`(\varphi, \varepsilon)`
    of ``phis`` × ``eps``, one panel per :math:`\varphi` (PB17 Sec. 3, Fig. 1).

    ``samples`` (mapping ``(phi, eps) -> eigenvalues``) is overlaid as histograms; with
    ``simulate=True`` they are sampled here (:data:`SIM` sizes, one ``SeedSequence(seed)``
    child per pair) and the summary gains each pair's KS distance and indices.
    """
    from ..plotting.hessian import plot_hessian_density_panels
    lvl = _run.level(quick, smoke)
    n_points = GRIDS[lvl]["density_points"]
    params = [(float(phi), float(e)) for phi in phis for e in eps]
    sim_summary = []
    if simulate and samples is None:
        samples, sim_summary = _simulate_pairs(params, lvl, device, seed)
    curves = cmp.density_curves(params, samples=samples, n_points=n_points)
    def draw():
        return plot_hessian_density_panels(curves, samples=samples)[0]
    summary = {"laws": [_law_summary(c) for c in curves]}
    if sim_summary:
        summary["simulation"] = sim_summary
    summary.update(extra_summary or {})
    return {"name": "hessian_density", "claim": _run.FIGURES["hessian_density"].claim,
            "draw": draw,
            "parameters": {"level": lvl, "phis": list(map(float, phis)),
                           "eps": list(map(float, eps)), "density_points": n_points,
                           "samples": sorted(map(list, samples)) if samples else [],
                           **_sim_parameters(sim_summary, device, seed)},
            "summary": summary, "curves": {"density": curves}}


@_run.register("hessian_index", kind="both", claim=(
    "The index alpha(eps, phi) vanishes for eps <= eps_c(phi) and grows as "
    "alpha0 * ((eps - eps_c)/eps_c)^(3/2) just above it (phi < 1); for phi >= 1 it is "
    "positive for every eps > 0 (Pennington & Bahri 2017, Eqs. (13)-(17))."))
def figure_hessian_index(quick=True, *, smoke=False, phis=PHIS,
                         empirical=None, extra_summary=None, simulate=False, device="cpu",
                         seed=0):
    r"""Figure "hessian_index": (a) :math:`\alpha(\varepsilon, \varphi)` against
    :math:`\varepsilon` with :math:`\varepsilon_c` and the 3/2 law; (b) :math:`\alpha/\alpha_0`
    against :math:`(\varepsilon-\varepsilon_c)/\varepsilon_c` for :math:`\varphi < 1`
    (PB17 Eqs. (13)–(17)).

    ``empirical`` (mapping ``phi -> (eps, alpha, stderr)``) is overlaid as points; with
    ``simulate=True`` it is measured here by inertia counts (:func:`hessian_index_sample`)
    at :data:`SIM` sizes for log-spaced :math:`\varepsilon` in :data:`SIM_EPS_RANGE`.
    """
    from ..plotting.hessian import plot_index_figure
    lvl = _run.level(quick, smoke)
    g = GRIDS[lvl]
    sim_rows = []
    if simulate and empirical is None:
        empirical, sim_rows = _simulate_indices(phis, lvl, device, seed)
    eps_grid = np.geomspace(*EPS_RANGE, g["index_eps"])
    x_grid = np.geomspace(*X_RANGE, g["three_halves_x"])
    index_curves = [cmp.index_curve(phi, eps_grid) for phi in phis]
    three = [cmp.three_halves_curve(phi, x_grid) for phi in phis if phi < 1]
    def draw():
        return plot_index_figure(index_curves, three, empirical=empirical)[0]
    summary = {
        "table": theory_table(phis, EPS),
        "curves": {str(float(c["phi"])): {"eps": c["eps"].tolist(), "alpha": c["alpha"].tolist()}
                   for c in index_curves},
        "three_halves_ratio_at_x": [
            {"phi": float(phi), "x": x, "alpha_over_law": index(eps_c(phi) * (1 + x), phi)
             / (alpha0(phi) * x ** 1.5)}
            for phi in phis if phi < 1 for x in (1e-3, 1e-2, 1e-1, 1.0)],
    }
    if sim_rows:
        summary["simulation"] = sim_rows
    summary.update(extra_summary or {})
    return {"name": "hessian_index", "claim": _run.FIGURES["hessian_index"].claim,
            "draw": draw,
            "parameters": {"level": lvl, "phis": list(map(float, phis)),
                           "eps_range": list(EPS_RANGE), "n_eps": g["index_eps"],
                           "x_range": list(X_RANGE), "n_x": g["three_halves_x"],
                           "empirical": sorted(map(float, empirical)) if empirical else [],
                           **_sim_parameters(sim_rows, device, seed)},
            "summary": summary, "curves": {"index": index_curves, "three_halves": three}}


@_run.register("hessian_eps_c", kind="theory", claim=(
    "The closed form eps_c = (1 - 20 phi - 8 phi^2 + (1 + 8 phi)^(3/2))/16 is where the left "
    "support edge of the Hessian spectrum crosses 0; eps_c and the 3/2-law coefficient "
    "alpha0 decrease to 0 as phi -> 1 (Pennington & Bahri 2017, Eqs. (16)-(17))."))
def figure_hessian_eps_c(quick=True, *, smoke=False, marks=PHIS,
                         extra_summary=None):
    r"""Figure "hessian_eps_c": :math:`\varepsilon_c(\varphi)` and :math:`\alpha_0(\varphi)` on
    :math:`0 < \varphi < 1`, with a numerical check of :math:`\varepsilon_c`: the closed form
    (PB17 Eq. (16)) is where the left support edge crosses 0; it decreases from 1/8 at
    :math:`\varphi \to 0` to 0 at :math:`\varphi = 1`, as does :math:`\alpha_0` (Eq. (17)).
    """
    from ..plotting.hessian import plot_eps_c
    lvl = _run.level(quick, smoke)
    g = GRIDS[lvl]
    curve = cmp.eps_c_curve(np.linspace(*PHI_RANGE, g["phi_grid"]))
    check_phis = np.linspace(0.05, 0.95, g["eps_c_checks"])
    check_eps = np.array([cmp.eps_c_numerical(phi) for phi in check_phis])
    marks = [float(m) for m in marks if m < 1]
    mark_curve = cmp.eps_c_curve(marks) if marks else None
    def draw():
        return plot_eps_c(curve, marks=mark_curve, numeric=(check_phis, check_eps))[0]
    summary = {
        "checks": [{"phi": float(phi), "eps_c": eps_c(phi), "eps_c_numerical": float(e),
                    "rel_diff": abs(float(e) - eps_c(phi)) / eps_c(phi)}
                   for phi, e in zip(check_phis, check_eps)],
        "marks": [{"phi": m, "eps_c": eps_c(m), "alpha0": alpha0(m)} for m in marks],
        "curve": {k: curve[k].tolist() for k in ("phi", "eps_c", "alpha0")},
    }
    summary.update(extra_summary or {})
    return {"name": "hessian_eps_c", "claim": _run.FIGURES["hessian_eps_c"].claim,
            "draw": draw,
            "parameters": {"level": lvl, "phi_range": list(PHI_RANGE),
                           "n_phi": g["phi_grid"], "check_phis": check_phis.tolist(),
                           "marks": marks},
            "summary": summary, "curves": curve}


@_run.register("hessian_finite_size", kind="simulation", claim=(
    "The spectra of sampled Gauss-Newton-plus-residual matrices approach the free-"
    "probability law as n grows: KS and L1 distances fall as a fitted power of n. The index "
    "carries an O(1/n) bias: n(alpha_hat - alpha) tends to a limit b_inf of a fraction of an "
    "eigenvalue per matrix, measured with its standard error for phi on both sides of 1 and "
    "eps below and above eps_c: positive for phi < 1 above eps_c; smaller for phi > 1, and "
    "zero within error there as eps -> 0, where the smeared atom of H0 at 0 is symmetric; "
    "below eps_c (alpha = 0) only rare excursions of the smallest eigenvalue below 0, which "
    "vanish as n grows."))
def figure_hessian_finite_size(quick=True, *, smoke=False, device="cpu",
                               seed=0, extra_summary=None):
    r"""Figure "hessian_finite_size": how the simulated spectrum approaches the
    free-probability law as :math:`n` grows, at :math:`(\varphi, \varepsilon)` =
    :data:`FINITE_SIZE` (:func:`finite_size_study`; sizes in :data:`SIM`), and (panel (c))
    the limit of the index bias :math:`n(\hat\alpha - \alpha)` for every
    :math:`(\varphi, \varepsilon)` of :data:`BIAS_PHIS` × :data:`BIAS_EPS`
    (:func:`index_bias_study`, sizes ``bias_ns`` and ``bias_samples`` of :data:`SIM`).

    Seeds: the spectra study uses children 0, 1, ... of ``SeedSequence(seed)``, one per size;
    the index-bias study child :data:`BIAS_SEED_CHILD` of the same sequence.
    """
    from ..plotting.hessian import plot_finite_size
    lvl = _run.level(quick, smoke)
    sim = SIM[lvl]
    phi, eps = FINITE_SIZE
    bar = Progress(len(sim["finite_ns"]), "finite-size study")
    sizes_done = []

    def progress(done, total):
        if done == total:
            sizes_done.append(done)
            bar(len(sizes_done))
    study = finite_size_study(phi, eps, sim["finite_ns"], eigenvalues=sim["finite_eigenvalues"],
                              rng=seed, device=device, progress=progress)
    bar.close()
    n_pairs = len(BIAS_PHIS) * len(BIAS_EPS)
    bar = Progress(n_pairs, f"index-bias study n={list(sim['bias_ns'])}")
    bias = index_bias_study(BIAS_PHIS, BIAS_EPS, sim["bias_ns"], sim["bias_samples"],
                            rng=_seeds.child(_seeds.seed_sequence(seed), BIAS_SEED_CHILD),
                            device=device, progress=lambda done, total: bar(done))
    bar.close()
    def draw():
        return plot_finite_size(study, bias=bias)[0]
    summary = {"rows": study["rows"], "fits": study["fits"], "index_bias": bias}
    summary.update(extra_summary or {})
    return {"name": "hessian_finite_size", "claim": _run.FIGURES["hessian_finite_size"].claim,
            "draw": draw,
            "parameters": {"level": lvl, "phi": phi, "eps": eps, "ns": list(sim["finite_ns"]),
                           "eigenvalues_per_size": sim["finite_eigenvalues"], "seed": seed,
                           "device": device,
                           "index_bias": {"phis": list(BIAS_PHIS), "eps": list(BIAS_EPS),
                                          "ns": list(sim["bias_ns"]),
                                          "samples": sim["bias_samples"],
                                          "seed_child": BIAS_SEED_CHILD}},
            "summary": summary, "curves": {"study": study, "index_bias": bias}}


@_run.register_data("theory_hessian.json", "simulation_hessian.json")
def _hessian_data(records, lvl, simulate, device, seed):
    """``theory_hessian.json`` (and ``simulation_hessian.json`` when simulating)."""
    table = theory_table(PHIS, EPS)
    files = {"theory_hessian.json": {
        "rmtland_version": _run.__version__,
        "versions": _run.versions(),
        "source": "Pennington & Bahri, ICML 2017 (PB17); rmtland.analytic.hessian",
        "parameters": {"level": lvl, "phis": list(PHIS), "eps": list(EPS),
                       "grids": GRIDS[lvl], "eps_range": list(EPS_RANGE),
                       "x_range": list(X_RANGE), "phi_range": list(PHI_RANGE)},
        "table": table,
        "laws": records["hessian_density"]["summary"]["laws"],
        "figures": records,
    }}
    if simulate:
        files["simulation_hessian.json"] = {
            "rmtland_version": _run.__version__, "versions": _run.versions(), "device": device,
            "seed": seed, "level": lvl,
            "sizes": {k: list(v) if isinstance(v, tuple) else v for k, v in SIM[lvl].items()},
            "spectra": records["hessian_density"]["summary"]["simulation"],
            "indices": records["hessian_index"]["summary"]["simulation"],
            "finite_size": records["hessian_finite_size"]["summary"]}
    return files, {"table": table}


#: ``method="auto"`` of :func:`simulate_hessian` is dense up to this ``n``, SLQ above.
#: From ``benchmarks/bench_matfree.py`` on the 2-core CPU (see its notes): SLQ with the
#: default options is faster than dense ``eigvalsh`` per matrix from n ~ 2000 on.
DENSE_MAX_N = 2048
#: simulate_hessian's matrix-free methods
METHODS = ("auto", "dense", "slq", "kpm")
#: points of the CDF grid of a matrix-free run (on the theory's support, padded)
ESTIMATE_POINTS = 600


def hessian_estimates(n, phi, eps, samples, *, method="slq", probes=32, steps=80, degree=200,
                      rng=None, device="cpu", dtype="float64", progress=None):
    r"""Matrix-free spectra of ``samples`` Pennington–Bahri matrices: each is the exact
    distributional shortcut :func:`rmtland.sampling.hessian.hessian_operator`
    (``model="laguerre"``: Laguerre tridiagonal + GOE in stored tiles, the law of
    ``sample_hessian`` at every ``n``), estimated by :func:`rmtland.linalg.spectral.spectrum`
    on a common grid spanning the theory's support.  Seeds: matrix ``s`` uses child ``2s``
    of ``rng``'s ``SeedSequence``, its probes child ``2s + 1``.

    Returns a dict: ``x``, ``cdf`` (every probe's CDF, pooled), ``index`` (every probe's),
    ``index_bias_bound`` (mean over matrices), ``matvecs`` (total), ``seconds``.
    """
    from ..linalg.spectral import spectrum
    from ..sampling.hessian import hessian_operator
    samples = _validate.integer("samples", samples, 1)
    ss = _seeds.seed_sequence(rng)
    law = PenningtonBahri(n / hessian_m(n, phi), eps)
    lo, hi = law.support()[0][0], law.support()[-1][1]
    pad = 0.1 * (hi - lo) + 0.05
    x = np.linspace(lo - pad, hi + pad, ESTIMATE_POINTS)
    t0 = time.perf_counter()
    cdf, index, bias, matvecs = [], [], [], 0
    for s in range(samples):
        op = hessian_operator(n, phi, eps, rng=_seeds.child(ss, 2 * s), dtype=dtype,
                              device=device)
        r = spectrum(op, method=method, probes=probes, steps=steps, degree=degree, x=x,
                     rng=_seeds.child(ss, 2 * s + 1))
        cdf.append(r["per_probe"]["cdf"])
        index.append(r["per_probe"]["index"])
        bias.append(r["index_bias_bound"])
        matvecs += r["matvecs"]
        if progress is not None:
            progress(s + 1, samples)
    return {"x": x, "cdf": np.concatenate(cdf), "index": np.concatenate(index),
            "index_bias_bound": float(np.mean(bias)), "matvecs": int(matvecs),
            "seconds": time.perf_counter() - t0}


#: Lanczos steps of the spectral bounds a KPM run starts with (rmtland.linalg.spectral)
KPM_BOUNDS_STEPS = 40
#: probes per block product of rmtland.linalg.spectral.spectrum (its default ``block``)
PROBE_BLOCK = 16


def _hessian_bytes(n, samples, probes, steps, degree, *, phi, method, itemsize):
    """Peak working memory of :func:`simulate_hessian` (bytes), from the sizes alone.

    Dense: every matrix's eigenvalues (``samples * n`` numbers) plus one matrix at a time
    (the factor ``X``, ``n * m`` numbers, ``H`` and the eigensolver's copy, ``3 n^2``).
    Matrix-free (:func:`hessian_estimates`): the Wigner part in stored tiles of
    :data:`rmtland.sampling.hessian.TILE` (about ``n^2/2`` numbers), the probe block's vectors,
    and on the host every probe's coefficients and CDF (SLQ: the ``steps x steps`` Gauss
    rules of all probes at once; KPM: the ``degree`` moments and the CDF's
    ``points x degree`` Chebyshev table)."""
    from ..sampling.hessian import TILE
    if method == "dense":
        m = max(1, int(round(n / phi)))
        return 8 * samples * n + itemsize * (n * m + 3 * n * n)
    tile = min(TILE, n)
    T = -(-n // tile)
    device = itemsize * (T * (T + 1) // 2 * tile * tile + 8 * n * min(probes, PROBE_BLOCK))
    pts = ESTIMATE_POINTS
    if method == "slq":
        host = 8 * probes * (2 * steps + 2 * steps * steps + 2 * pts) + 8 * samples * probes * pts
    else:
        host = 8 * probes * (degree + 1 + 2 * pts) + 8 * 3 * pts * (degree + 1) \
            + 8 * samples * probes * pts
    return device + host


def _hessian_operations(n, samples, probes, steps, degree, *, phi, method):
    """Work of :func:`simulate_hessian` (multiply-adds, plus
    :data:`rmtland._validate.LOOP_OPERATIONS` per Python-level step), from the sizes.
    Dense, per matrix: ``X X^T`` (``n^2 m``) and the eigenvalues (~``10 n^3``).
    Matrix-free, per matrix: drawing the Wigner tiles (~``10 n^2``), then ``n^2`` per product
    with one probe column, ``probes * steps`` products (SLQ; plus the Gauss rules,
    ``10 steps^3`` per probe) or ``probes * degree/2`` products and the spectral bounds (KPM;
    plus the CDF's Chebyshev sums), each Lanczos or Chebyshev step a Python-level step per
    probe block and tile pair."""
    loop = _validate.LOOP_OPERATIONS
    if method == "dense":
        m = max(1, int(round(n / phi)))
        return samples * (n * n * m + 10 * n ** 3 + loop)
    from ..sampling.hessian import TILE
    tile = min(TILE, n)
    T = -(-n // tile)
    pairs = T * (T + 1) // 2
    blocks = -(-probes // PROBE_BLOCK)
    if method == "slq":
        products, loops, rest = probes * steps, steps * blocks, probes * 10 * steps ** 3
    else:
        half = (degree + 1) // 2
        products = probes * half + KPM_BOUNDS_STEPS
        loops = half * blocks + KPM_BOUNDS_STEPS
        rest = 10 * probes * ESTIMATE_POINTS * (degree + 1)
    return samples * (10 * n * n + products * (n * n + 4 * n) + loops * pairs * loop + rest)


def check_hessian(phi, eps, n, samples, *, method="auto", probes=32, steps=80, degree=200,
                  dtype="float64", device="cpu", max_bytes=None):
    r"""The up-front check of :func:`simulate_hessian` (also of ``rmtland simulate hessian``
    and of the sweep kind ``"hessian"``): every parameter's range, then the memory and the
    work of the run from the sizes alone (pure arithmetic, nothing allocated).

    Memory (:func:`_hessian_bytes`) must fit the budget of
    :func:`rmtland.linalg.dense.memory_budget` on ``device`` (or ``max_bytes``) and the work
    (:func:`_hessian_operations`) :data:`rmtland._validate.WORK_MAX`; a refusal names the
    size to reduce (``n``, ``samples``, ``probes``, ``steps`` or ``degree``) and its largest
    value given the others (:func:`rmtland._validate.within_budget`).  Returns
    ``{"method", "m", "bytes", "operations"}`` (``method`` resolved from ``"auto"``).
    Raises :class:`InputError`.
    """
    from ..analytic.hessian import EPS_MAX, PHI_MAX
    from ..linalg.dense import memory_budget
    from ..linalg.spectral import check_options
    phi = _validate.positive("phi", phi, PHI_MAX)
    _validate.nonnegative("eps", eps, EPS_MAX)
    n = _validate.integer("n", n, 1)
    samples = _validate.integer("samples", samples, 1)
    real, _ = _validate.float_dtypes(dtype)
    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}, got {method!r}")
    if method == "auto":
        method = "dense" if n <= DENSE_MAX_N else "slq"
    o = check_options(None if method == "dense" else method, probes, steps, degree)
    m = hessian_m(n, phi)
    xp = get_xp(device)
    sizes = {"n": n, "samples": samples}
    minimum = {"n": 1, "samples": 1}
    if method == "slq":
        sizes.update(probes=o["probes"], steps=o["steps"])
        minimum.update(probes=1, steps=1)
    elif method == "kpm":
        sizes.update(probes=o["probes"], degree=o["degree"])
        minimum.update(probes=1, degree=2)
    fixed = {"probes": o["probes"], "steps": o["steps"], "degree": o["degree"]}

    def sized(f, **kw):
        return lambda **s: f(**dict(fixed, **s), phi=phi, method=method, **kw)
    what = f"the {method} run (n = {n}, samples = {samples})"
    limit = memory_budget(xp, max_bytes)[1]
    item = np.dtype(real).itemsize
    if method == "dense" and n * m * item > limit:     # phi alone sets the factor's width
        raise InputError(f"phi must be >= {n * n * item / limit:.3g} for n = {n} (allowed "
                         f"range [{n * n * item / limit:.3g}, {PHI_MAX:g}]): the factor X "
                         f"(n x m, m = round(n/phi) = {float(m):.3g}) needs about "
                         f"{n * m * item / 2**30:.3g} GiB, more than the {limit / 2**30:.3g} "
                         f"GiB available on {'the GPU' if xp is not np else 'the host'}")
    nbytes, ops = _validate.within_budget(
        sizes, _validate.Budget(sized(_hessian_bytes, itemsize=item), limit, what=what,
                                where="the GPU" if xp is not np else "the host"),
        _validate.Budget(sized(_hessian_operations), _validate.WORK_MAX, what=what,
                         unit="operations"), minimum=minimum)
    return {"method": method, "m": m, "bytes": nbytes, "operations": ops}


def simulate_hessian(phi, eps, n, samples, *, seed=0, device="cpu", dtype="float64",
                     out=None, pdf=False, progress=True, method="auto", probes=32, steps=80,
                     degree=200):
    r"""Sample ``samples`` Pennington–Bahri matrices of size ``n``, compare their spectra with
    the theory, and (with ``out``) write ``out/result.json`` and ``out/spectrum.png``.

    Returns the result dict: parameters (``phi``, ``eps``, ``n``, ``m``, ``samples``, ``seed``,
    ``device`` as resolved, ``dtype``), the empirical numbers (``empirical_index``,
    ``index_stderr``), the theory at the realised ratio (``theory_index``, ``support``,
    ``eps_c``), the distances (``ks_distance``, ``l1_distance``), ``seconds`` and versions,
    ``method`` and ``matvecs`` (0 for dense).

    ``method``: ``"dense"`` (eigenvalues of every matrix), ``"slq"`` or ``"kpm"``
    (matrix-free, :func:`hessian_estimates` with ``probes``, ``steps`` / ``degree``; the
    result also has ``index_bias_bound``, ``ks_stderr``, ``probes`` and ``steps`` or
    ``degree``; the figure histograms ``n`` quantiles of the estimated CDF), ``"auto"``:
    dense up to :data:`DENSE_MAX_N`, SLQ above.

    Its first step is :func:`check_hessian`: bad parameters, and sizes whose memory or work
    would not fit, are refused (:class:`rmtland._validate.InputError`) before anything is
    allocated.
    """
    method = check_hessian(phi, eps, n, samples, method=method, probes=probes, steps=steps,
                           degree=degree, dtype=dtype, device=device)["method"]
    from ..plotting.hessian import plot_hessian_densities
    if out is not None:
        check_output_dir(out)                     # before any computing
    device_used = device_name(get_xp(device))     # a missing GPU fails here, before work
    if method != "dense":
        return _simulate_hessian_matfree(phi, eps, n, samples, seed, device, device_used,
                                         dtype, out, pdf, progress, method, probes, steps,
                                         degree)
    t0 = time.perf_counter()
    bar = Progress(samples, f"simulate hessian n={n}") if progress else None
    eigs, _ = hessian_spectra(n, phi, eps, samples, rng=seed, device=device, dtype=dtype,
                              progress=bar)
    if bar:
        bar.close()
    c = cmp.compare_hessian(eigs, phi, eps, n)
    law = PenningtonBahri(c["phi_effective"], eps)
    result = {"phi": float(phi), "eps": float(eps), "n": int(n), "m": hessian_m(n, phi),
              "samples": int(samples), "seed": seed, "device": device_used, "dtype": dtype,
              **c, "support": law.support(), "eps_c": eps_c(c["phi_effective"]),
              "method": "dense", "matvecs": 0,
              "seconds": None, "versions": _run.versions()}
    result["seconds"] = time.perf_counter() - t0
    if out is not None:
        key = (c["phi_effective"], float(eps))
        se = c["index_stderr"]

        def draw():
            curves = cmp.density_curves([key], samples={key: eigs})
            title = (rf"$n = {n}$, {samples} samples, "
                     rf"$\varphi = n/m = {c['phi_effective']:.4g}$, $\varepsilon = {eps:g}$" "\n"
                     rf"$\hat\alpha = {c['empirical_index']:.4f}"
                     + (rf" \pm {se:.4f}$" if se else "$")
                     + rf" (theory {c['theory_index']:.4f}), KS {c['ks_distance']:.2g}")
            return plot_hessian_densities(curves, samples={key: eigs}, title=title, bins=80)[0]
        result["files"] = _run.figure_names("spectrum", pdf) + ["result.json"]
        _run.write_run(out, {"result.json": result}, [("spectrum", draw)], pdf,
                       owned=_run.figure_names("spectrum", True))
    return result


def _simulate_hessian_matfree(phi, eps, n, samples, seed, device, device_used, dtype, out, pdf,
                              progress, method, probes, steps, degree):
    """The ``slq`` / ``kpm`` branch of :func:`simulate_hessian`."""
    from ..linalg.spectral import check_options
    from ..plotting.hessian import plot_hessian_densities
    o = check_options(method, probes, steps, degree)
    samples = _validate.integer("samples", samples, 1)
    t0 = time.perf_counter()
    bar = Progress(samples, f"simulate hessian n={n} ({method})") if progress else None
    est = hessian_estimates(n, phi, eps, samples, method=method, probes=o["probes"],
                            steps=o["steps"], degree=o["degree"], rng=seed, device=device,
                            dtype=dtype, progress=bar)
    if bar:
        bar.close()
    c = cmp.compare_hessian_estimate(est["x"], est["cdf"], est["index"], phi, eps, n,
                                     index_bias_bound=est["index_bias_bound"])
    law = PenningtonBahri(c["phi_effective"], eps)
    result = {"phi": float(phi), "eps": float(eps), "n": int(n), "m": hessian_m(n, phi),
              "samples": samples, "seed": seed, "device": device_used, "dtype": dtype,
              "method": method, "probes": o["probes"],
              ("steps" if method == "slq" else "degree"): o["steps" if method == "slq"
                                                            else "degree"],
              "operator": "Laguerre tridiagonal + GOE (stored tiles): exact in law",
              "matvecs": est["matvecs"], **c, "support": law.support(),
              "eps_c": eps_c(c["phi_effective"]), "seconds": None,
              "versions": _run.versions()}
    result["seconds"] = time.perf_counter() - t0
    if out is not None:
        key = (c["phi_effective"], float(eps))
        F = np.maximum.accumulate(np.clip(est["cdf"].mean(axis=0), 0.0, 1.0))
        q = (np.arange(n) + 0.5) / n
        pseudo = np.interp(q, F, est["x"])          # quantiles of the estimated CDF

        def draw():
            curves = cmp.density_curves([key], samples={key: pseudo})
            title = (rf"$n = {n}$, {samples} matrices, {method.upper()} "
                     rf"({o['probes']} probes), $\varphi = {c['phi_effective']:.4g}$, "
                     rf"$\varepsilon = {eps:g}$" "\n"
                     rf"$\hat\alpha = {c['empirical_index']:.4f}"
                     + (rf" \pm {c['index_stderr']:.4f}$" if c["index_stderr"] else "$")
                     + rf" (theory {c['theory_index']:.4f}), KS {c['ks_distance']:.2g}")
            return plot_hessian_densities(
                curves, samples={key: pseudo}, title=title, bins=80,
                sample_label=f"{method.upper()} estimate (histogram of {n} quantiles of its "
                             "CDF)")[0]
        result["files"] = _run.figure_names("spectrum", pdf) + ["result.json"]
        _run.write_run(out, {"result.json": result}, [("spectrum", draw)], pdf,
                       owned=_run.figure_names("spectrum", True))
    return result
