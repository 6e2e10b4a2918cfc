r"""Figure reproduction: fixed parameter choices, one function per figure, one entry point.

Layer above :mod:`rmtland.plotting` (DESIGN.md: ``cli → experiments → plotting``).  Each
``figure_<name>(out, quick=True, *, smoke=False, pdf=False, ...)`` evaluates the theory on
documented grids, draws with :mod:`rmtland.plotting`, writes ``out/<name>.png`` (and ``.pdf``
with ``pdf=True``) atomically, and returns a dict::

    {"name": ..., "claim": ..., "files": [paths], "parameters": {...},
     "summary": {... JSON-safe numbers ...}, "curves": {... NumPy arrays plotted ...}}

:func:`run_figure` is what the ``simulations/fig_*.py`` scripts call: one figure plus
``out/result.json`` (DESIGN.md contract).  :func:`reproduce` writes every figure and
``out/theory_hessian.json``.

Parameter choices (fixed; PB17 = Pennington & Bahri, ICML 2017)
----------------------------------------------------------------
* :data:`PHIS` = (0.25, 0.5, 0.75, 2.0): three ratios below 1, where a critical loss
  :math:`\varepsilon_c > 0` exists (0.0435, 0.0113, 0.00127), and one above, where
  :math:`\varepsilon_c = 0` and :math:`H_0` has an atom of mass :math:`1 - 1/\varphi` at 0;
* :data:`EPS` = (0, 0.01, 0.1, 0.5): :math:`\varepsilon = 0` (pure Marchenko–Pastur), one
  loss below every :math:`\varepsilon_c` but for :math:`\varphi = 0.75`, two above them all;
* index curves: :math:`\varepsilon` log-spaced on :math:`[10^{-4}, 1]`; the 3/2-law panel:
  :math:`x = (\varepsilon - \varepsilon_c)/\varepsilon_c` log-spaced on :math:`[10^{-3}, 10]`;
* :math:`\varepsilon_c(\varphi)` on :math:`\varphi \in [0.005, 0.995]`, checked against the
  root of the left support edge :math:`\lambda_-(\varepsilon) = 0` at a few :math:`\varphi`.

Grid sizes (:data:`GRIDS`) depend on the level: ``"smoke"`` (tests, < 2 s a figure),
``"quick"`` (default, a few seconds in all) and ``"full"``.

Extension points
----------------
The simulation layer adds data through the keyword arguments that are already plumbed
through to the plots: ``figure_hessian_density(..., samples={(phi, eps): eigenvalues})``
(overlaid as histograms) and ``figure_hessian_index(..., empirical={phi: (eps, alpha,
stderr)})`` (points with error bars); the returned ``summary`` gains whatever the caller adds
through ``extra_summary``.  New figures are registered in :data:`FIGURES`.
"""
import os
import platform
import time

import numpy as np

from . import __version__
from ._backend import device_name, get_xp, to_numpy
from ._io import save_figure, write_json
from ._progress import Progress
from .analytic.hessian import PenningtonBahri, alpha0, eps_c, index

__all__ = ["PHIS", "EPS", "GRIDS", "SIM", "CLAIMS", "FIGURES", "theory_table",
           "eps_c_numerical", "figure_hessian_density", "figure_hessian_index",
           "figure_hessian_eps_c", "figure_hessian_finite_size",
           "figure_spinglass_complexity", "figure_spinglass_minima", "figure_spinglass_count",
           "simulate_hessian",
           "simulate_spinglass",
           "run_figure", "figure_main", "reproduce"]

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

#: the claim each figure shows (also the scripts' docstrings and result.json's "claim")
CLAIMS = {
    "hessian_density": (
        "Adding the semicircle part (variance 2*eps) to the Marchenko-Pastur Gauss-Newton part "
        "spreads the Hessian spectrum to negative eigenvalues; for phi < 1 only once eps "
        "exceeds eps_c(phi) (Pennington & Bahri 2017, Sec. 3)."),
    "hessian_index": (
        "The index alpha(eps, phi) vanishes for eps <= eps_c(phi) and grows as "
        "alpha0 * ((eps - eps_c)/eps_c)^(3/2) just above it (phi < 1); for phi >= 1 it is "
        "positive for every eps > 0 (Pennington & Bahri 2017, Eqs. (13)-(17))."),
    "hessian_eps_c": (
        "The closed form eps_c = (1 - 20 phi - 8 phi^2 + (1 + 8 phi)^(3/2))/16 is where the left "
        "support edge of the Hessian spectrum crosses 0; eps_c and the 3/2-law coefficient "
        "alpha0 decrease to 0 as phi -> 1 (Pennington & Bahri 2017, Eqs. (16)-(17))."),
    "spinglass_complexity": (
        "Critical points of the spherical p-spin glass: below -E_inf only minima survive in "
        "exponential number, index-k critical points exist in exponential number only above "
        "-E_k, and -E_0 < -E_1 < ... < -E_inf (Auffinger, Ben Arous & Cerny 2013)."),
    "spinglass_minima": (
        "Minima found by Riemannian descent from random starts in sampled spherical p-spin "
        "glasses concentrate in the band [-E_0, -E_inf] as N grows, and the index fraction of "
        "critical points follows the semicircle law in their energy (Auffinger, Ben Arous & "
        "Cerny 2013; Choromanska et al. 2015)."),
    "spinglass_count": (
        "At small N the number of distinct minima found from enough random starts matches the "
        "exact finite-N mean number of minima of the spherical p-spin glass, computed from the "
        "GOE formula of Auffinger, Ben Arous & Cerny (2013, Thm. 2.3)."),
    "hessian_finite_size": (
        "The spectra of sampled Gauss-Newton-plus-residual matrices approach the free-"
        "probability law as n grows: KS and L1 distances fall as a fitted power of n, and the "
        "index error is an O(1/n) bias of a fraction of an eigenvalue per matrix."),
}

#: simulation sizes per level.  ``n`` divides exactly by every phi of :data:`PHIS`
#: (m = n/phi is an integer), so the simulated ratio is the nominal one.
SIM = {
    "smoke": {"n": 60, "samples": 3, "index_eps": 4, "index_samples": 4,
              "finite_ns": (40, 80, 160), "finite_eigenvalues": 960},
    "quick": {"n": 300, "samples": 12, "index_eps": 7, "index_samples": 24,
              "finite_ns": (100, 200, 400, 800, 1600), "finite_eigenvalues": 9600},
    "full": {"n": 1200, "samples": 50, "index_eps": 12, "index_samples": 200,
             "finite_ns": (250, 500, 1000, 2000, 4000), "finite_eigenvalues": 64000},
}
#: (phi, eps) of the finite-size study: a loss above eps_c(0.5) = 0.0113
FINITE_SIZE = (0.5, 0.1)
#: eps range of the simulated indices (log-spaced)
SIM_EPS_RANGE = (3e-3, 1.0)

EPS_RANGE = (1e-4, 1.0)
X_RANGE = (1e-3, 10.0)
PHI_RANGE = (0.005, 0.995)


def _level(quick, smoke):
    return "smoke" if smoke else ("quick" if quick else "full")


def _versions():
    import matplotlib
    import scipy
    return {"rmtland": __version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "matplotlib": matplotlib.__version__, "python": platform.python_version()}


def _save(fig, out, stem, pdf):
    """``out/stem.png`` (and ``.pdf``), atomically; returns the paths written."""
    from .plotting import SAVE_KWARGS
    paths = [os.path.join(out, stem + ".png")]
    if pdf:
        paths.append(os.path.join(out, stem + ".pdf"))
    for path in paths:
        save_figure(fig, path, **SAVE_KWARGS)
    return paths


# -- theory tables ---------------------------------------------------------------------------
def eps_c_numerical(phi, *, xtol=1e-15):
    r""":math:`\varepsilon_c(\varphi)` found numerically, independently of the closed form: the
    root in :math:`\varepsilon` of the left support edge :math:`\lambda_-(\varepsilon, \varphi) = 0`
    (:meth:`PenningtonBahri.support`), bracketed in :math:`[10^{-12}, 1]` (:math:`0 < \varphi < 1`).

    The edge is linear in :math:`\varepsilon` near the root (slope :math:`-2 g_c`), so the root is
    well conditioned, unlike the zero crossing of the index (:math:`\propto x^{3/2}`).
    """
    from scipy.optimize import brentq
    if not 0 < phi < 1:
        raise ValueError(f"phi must be in (0, 1), got {phi!r}")
    return brentq(lambda e: PenningtonBahri(phi, e).support()[0][0], 1e-12, 1.0, xtol=xtol,
                  rtol=4 * np.finfo(float).eps, maxiter=200)


def theory_table(phis=PHIS, eps_values=EPS):
    r"""Per :math:`\varphi`: :math:`\varepsilon_c`, :math:`\alpha_0` (None for
    :math:`\varphi \ge 1`, where the 3/2 law does not apply), and the index at each
    :math:`\varepsilon`, all from :mod:`rmtland.analytic.hessian`."""
    rows = []
    for phi in phis:
        rows.append({
            "phi": float(phi),
            "eps_c": eps_c(phi),
            "alpha0": alpha0(phi) if phi < 1 else None,
            "index": [{"eps": float(e), "alpha": index(e, phi)} for e in eps_values],
        })
    return rows


def _law_summary(phi, eps):
    law = PenningtonBahri(phi, eps)
    return {"phi": float(phi), "eps": float(eps),
            "support": [[float(a), float(b)] for a, b in law.support()],
            "atoms": [[float(loc), float(mass)] for loc, mass in law.atoms()],
            "continuous_mass": float(law.continuous_mass()),
            "index": float(law.index())}


# -- figures ---------------------------------------------------------------------------------
def figure_hessian_density(out, quick=True, *, smoke=False, pdf=False, phis=PHIS, eps=EPS,
                           samples=None, extra_summary=None, simulate=False, device="cpu",
                           seed=0):
    r"""Figure "hessian_density": :math:`\rho(\lambda)` for every :math:`(\varphi, \varepsilon)`
    of ``phis`` × ``eps``, one panel per :math:`\varphi`.

    Claim shown: adding the semicircle part of variance :math:`2\varepsilon` to the
    Marchenko–Pastur Gauss–Newton part spreads the spectrum to negative eigenvalues; for
    :math:`\varphi < 1` only once :math:`\varepsilon > \varepsilon_c(\varphi)` (PB17 Sec. 3,
    Fig. 1).

    ``samples`` (mapping ``(phi, eps) -> eigenvalues``) is overlaid as histograms; with
    ``simulate=True`` they are sampled here (:data:`SIM` sizes, one ``SeedSequence(seed)``
    child per pair) and the summary gains each pair's KS distance and indices.
    """
    from .plotting import plot_hessian_density_panels
    level = _level(quick, smoke)
    n_points = GRIDS[level]["density_points"]
    params = [(float(p), float(e)) for p in phis for e in eps]
    sim_summary = []
    if simulate and samples is None:
        samples, sim_summary = _simulate_pairs(params, level, device, seed)
    fig, axes = plot_hessian_density_panels(params, samples=samples, n_points=n_points)
    curves = {}
    for ax in axes:
        for line in (ln for ln in ax.lines if ln.get_gid() == "theory"):
            curves.setdefault("x", []).append(np.asarray(line.get_xdata()))
            curves.setdefault("rho", []).append(np.asarray(line.get_ydata()))
    curves["params"] = params
    files = _save(fig, out, "hessian_density", pdf)
    summary = {"laws": [_law_summary(p, e) for p, e in params]}
    if sim_summary:
        summary["simulation"] = sim_summary
    summary.update(extra_summary or {})
    return {"name": "hessian_density", "claim": CLAIMS["hessian_density"], "files": files,
            "parameters": {"level": level, "phis": list(map(float, phis)),
                           "eps": list(map(float, eps)), "density_points": n_points,
                           "samples": sorted(map(list, samples)) if samples else []},
            "summary": summary, "curves": curves}


def figure_hessian_index(out, quick=True, *, smoke=False, pdf=False, phis=PHIS,
                         empirical=None, extra_summary=None, simulate=False, device="cpu",
                         seed=0):
    r"""Figure "hessian_index": (a) :math:`\alpha(\varepsilon, \varphi)` against :math:`\varepsilon`
    with :math:`\varepsilon_c` and the 3/2 law; (b) :math:`\alpha/\alpha_0` against
    :math:`(\varepsilon-\varepsilon_c)/\varepsilon_c` for :math:`\varphi < 1`.

    Claim shown: the index vanishes below :math:`\varepsilon_c(\varphi)` and grows as
    :math:`\alpha_0 ((\varepsilon-\varepsilon_c)/\varepsilon_c)^{3/2}` just above it; for
    :math:`\varphi \ge 1` it is positive for every :math:`\varepsilon > 0` (PB17 Eqs. (13)–(17)).

    ``empirical`` (mapping ``phi -> (eps, alpha, stderr)``) is overlaid as points; with
    ``simulate=True`` it is measured here: negative-eigenvalue counts by inertia
    (:func:`rmtland.compare.hessian_index_sample`) at :data:`SIM` sizes for log-spaced
    :math:`\varepsilon` in :data:`SIM_EPS_RANGE`.
    """
    from .plotting import plot_index_figure
    level = _level(quick, smoke)
    g = GRIDS[level]
    sim_rows = []
    if simulate and empirical is None:
        empirical, sim_rows = _simulate_indices(phis, level, device, seed)
    eps_grid = np.geomspace(*EPS_RANGE, g["index_eps"])
    x_grid = np.geomspace(*X_RANGE, g["three_halves_x"])
    fig, axes = plot_index_figure(phis, eps_grid, x_grid, empirical=empirical)
    curves = {"index": {}, "three_halves": {}}
    for key, ax in zip(("index", "three_halves"), axes):
        lines = [ln for ln in ax.lines if ln.get_gid() == "theory"]
        these = phis if key == "index" else [p for p in phis if p < 1]
        for phi, line in zip(these, lines):
            curves[key][float(phi)] = (np.asarray(line.get_xdata()), np.asarray(line.get_ydata()))
    files = _save(fig, out, "hessian_index", pdf)
    summary = {
        "table": theory_table(phis, EPS),
        "curves": {str(float(phi)): {"eps": x.tolist(), "alpha": y.tolist()}
                   for phi, (x, y) in curves["index"].items()},
        "three_halves_ratio_at_x": [
            {"phi": float(p), "x": x, "alpha_over_law": index(eps_c(p) * (1 + x), p)
             / (alpha0(p) * x ** 1.5)} for p in phis if p < 1 for x in (1e-3, 1e-2, 1e-1, 1.0)],
    }
    if sim_rows:
        summary["simulation"] = sim_rows
    summary.update(extra_summary or {})
    return {"name": "hessian_index", "claim": CLAIMS["hessian_index"], "files": files,
            "parameters": {"level": level, "phis": list(map(float, phis)),
                           "eps_range": list(EPS_RANGE), "n_eps": g["index_eps"],
                           "x_range": list(X_RANGE), "n_x": g["three_halves_x"],
                           "empirical": sorted(map(float, empirical)) if empirical else []},
            "summary": summary, "curves": curves}


def figure_hessian_eps_c(out, quick=True, *, smoke=False, pdf=False, marks=PHIS,
                         extra_summary=None):
    r"""Figure "hessian_eps_c": :math:`\varepsilon_c(\varphi)` and :math:`\alpha_0(\varphi)` on
    :math:`0 < \varphi < 1`, with a numerical check of :math:`\varepsilon_c`.

    Claim shown: the closed form :math:`\varepsilon_c = (1 - 20\varphi - 8\varphi^2 +
    (1+8\varphi)^{3/2})/16` (PB17 Eq. (16)) is where the left support edge crosses 0; it
    decreases from 1/8 at :math:`\varphi \to 0` to 0 at :math:`\varphi = 1`, as does
    :math:`\alpha_0` (PB17 Eq. (17)).
    """
    from .plotting import plot_eps_c
    level = _level(quick, smoke)
    g = GRIDS[level]
    phi_grid = np.linspace(*PHI_RANGE, g["phi_grid"])
    check_phis = np.linspace(0.05, 0.95, g["eps_c_checks"])
    check_eps = np.array([eps_c_numerical(p) for p in check_phis])
    marks = [float(m) for m in marks if m < 1]
    fig, axes = plot_eps_c(phi_grid, marks=marks, numeric=(check_phis, check_eps))
    files = _save(fig, out, "hessian_eps_c", pdf)
    curves = {"phi": phi_grid, "eps_c": np.asarray(axes[0].lines[0].get_ydata()),
              "alpha0": np.asarray(axes[1].lines[0].get_ydata())}
    summary = {
        "checks": [{"phi": float(p), "eps_c": eps_c(p), "eps_c_numerical": float(e),
                    "rel_diff": abs(float(e) - eps_c(p)) / eps_c(p)}
                   for p, e in zip(check_phis, check_eps)],
        "marks": [{"phi": m, "eps_c": eps_c(m), "alpha0": alpha0(m)} for m in marks],
        "curve": {"phi": phi_grid.tolist(), "eps_c": curves["eps_c"].tolist(),
                  "alpha0": curves["alpha0"].tolist()},
    }
    summary.update(extra_summary or {})
    return {"name": "hessian_eps_c", "claim": CLAIMS["hessian_eps_c"], "files": files,
            "parameters": {"level": level, "phi_range": list(PHI_RANGE),
                           "n_phi": g["phi_grid"], "check_phis": check_phis.tolist(),
                           "marks": marks},
            "summary": summary, "curves": curves}


# -- simulation ------------------------------------------------------------------------------
def _seeds(seed, k):
    return np.random.SeedSequence(seed).spawn(k)


def _simulate_pairs(params, level, device, seed):
    """Sampled eigenvalues for each (phi, eps) and their comparison with the theory."""
    from .compare import compare_hessian, hessian_spectra
    n, samples = SIM[level]["n"], SIM[level]["samples"]
    bar = Progress(len(params), f"spectra n={n}")
    out, rows = {}, []
    for k, ((p, e), child) in enumerate(zip(params, _seeds(seed, len(params)))):
        eigs, seconds = hessian_spectra(n, p, e, samples, rng=child, device=device)
        out[(p, e)] = eigs
        rows.append({"phi": p, "eps": e, "n": n, "samples": samples, "seconds": seconds,
                     **compare_hessian(eigs, p, e, n)})
        bar(k + 1)
    bar.close()
    return out, rows


def _simulate_indices(phis, level, device, seed):
    """Empirical indices on a log grid of eps for every phi (inertia counts)."""
    from .compare import hessian_index_sample
    sim = SIM[level]
    eps_grid = np.geomspace(*SIM_EPS_RANGE, sim["index_eps"])
    seeds = _seeds(seed, len(phis) * eps_grid.size)
    bar = Progress(len(seeds), f"indices n={sim['n']}")
    empirical, rows, k = {}, [], 0
    for p in phis:
        alpha, stderr = [], []
        for e in eps_grid:
            a, se, th = hessian_index_sample(sim["n"], p, float(e), sim["index_samples"],
                                             rng=seeds[k], device=device)
            alpha.append(a)
            stderr.append(se)
            rows.append({"phi": float(p), "eps": float(e), "n": sim["n"],
                         "samples": sim["index_samples"], "empirical_index": a,
                         "index_stderr": se, "theory_index": th})
            k += 1
            bar(k)
        empirical[float(p)] = (eps_grid, np.array(alpha), np.array(stderr))
    bar.close()
    return empirical, rows


def figure_hessian_finite_size(out, quick=True, *, smoke=False, pdf=False, device="cpu",
                               seed=0, extra_summary=None):
    r"""Figure "hessian_finite_size": how the simulated spectrum approaches the
    free-probability law as :math:`n` grows, at :math:`(\varphi, \varepsilon)` =
    :data:`FINITE_SIZE` (:func:`rmtland.compare.finite_size_study`; sizes in :data:`SIM`).

    Claim shown: the KS and L¹ distances between the pooled empirical spectrum and the
    Pennington–Bahri law shrink as a power of :math:`n` (fitted), and the index error is an
    :math:`O(1/n)` bias of a fraction of an eigenvalue per matrix.
    """
    from .compare import finite_size_study
    from .plotting import plot_finite_size
    level = _level(quick, smoke)
    sim = SIM[level]
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
    fig, _ = plot_finite_size(study)
    files = _save(fig, out, "hessian_finite_size", pdf)
    summary = {"rows": study["rows"], "fits": study["fits"]}
    summary.update(extra_summary or {})
    return {"name": "hessian_finite_size", "claim": CLAIMS["hessian_finite_size"],
            "files": files,
            "parameters": {"level": level, "phi": phi, "eps": eps, "ns": list(sim["finite_ns"]),
                           "eigenvalues_per_size": sim["finite_eigenvalues"], "seed": seed,
                           "device": device},
            "summary": summary, "curves": {"study": study}}


def simulate_hessian(phi, eps, n, samples, *, seed=0, device="cpu", dtype="float64",
                     out=None, pdf=False, progress=True):
    r"""Sample ``samples`` Pennington–Bahri matrices of size ``n``, compare their spectra with
    the theory, and (with ``out``) write ``out/result.json`` and ``out/spectrum.png``.

    Returns the result dict: parameters (``phi``, ``eps``, ``n``, ``m``, ``samples``, ``seed``,
    ``device`` as resolved, ``dtype``), the empirical numbers (``empirical_index``,
    ``index_stderr``), the theory at the realised ratio (``theory_index``, ``support``,
    ``eps_c``), the distances (``ks_distance``, ``l1_distance``), ``seconds`` and versions.
    """
    from .compare import compare_hessian, hessian_spectra
    from .sampling import hessian_m
    device_used = device_name(get_xp(device))     # a missing GPU fails here, before work
    t0 = time.perf_counter()
    bar = Progress(samples, f"simulate hessian n={n}") if progress else None
    eigs, _ = hessian_spectra(n, phi, eps, samples, rng=seed, device=device, dtype=dtype,
                              progress=bar)
    if bar:
        bar.close()
    cmp = compare_hessian(eigs, phi, eps, n)
    law = PenningtonBahri(cmp["phi_effective"], eps)
    result = {"phi": float(phi), "eps": float(eps), "n": int(n), "m": hessian_m(n, phi),
              "samples": int(samples), "seed": seed, "device": device_used, "dtype": dtype,
              **cmp, "support": law.support(), "eps_c": eps_c(cmp["phi_effective"]),
              "seconds": None, "versions": _versions()}
    files = []
    if out is not None:
        from .plotting import plot_hessian_densities
        key = (cmp["phi_effective"], float(eps))
        se = cmp["index_stderr"]
        fig, ax = plot_hessian_densities(
            [key], samples={key: eigs},
            title=(rf"$n = {n}$, {samples} samples, $\varphi = n/m = {cmp['phi_effective']:.4g}$,"
                   rf" $\varepsilon = {eps:g}$" "\n"
                   rf"$\hat\alpha = {cmp['empirical_index']:.4f}"
                   + (rf" \pm {se:.4f}$" if se else "$")
                   + rf" (theory {cmp['theory_index']:.4f}), KS {cmp['ks_distance']:.2g}"),
            bins=80)
        files = _save(fig, out, "spectrum", pdf)
    result["seconds"] = time.perf_counter() - t0
    if out is not None:
        path = os.path.join(out, "result.json")
        result["files"] = [os.path.basename(f) for f in files] + ["result.json"]
        write_json(path, result)
    return result


#: interaction orders of the spin-glass figures
SPIN_PS = (3, 4)


def figure_spinglass_complexity(out, quick=True, *, smoke=False, pdf=False, ps=SPIN_PS,
                                extra_summary=None):
    r"""Figure "spinglass_complexity": :math:`\Theta_{k,p}(u)` for :math:`k = 0..5` and
    :math:`\Theta_p(u)` with the thresholds :math:`-E_k` and :math:`-E_\infty`, for the first
    :math:`p` of ``ps``; the summary tabulates :math:`E_k` (:math:`k = 0..5`) and
    :math:`E_\infty` for every :math:`p` of ``ps`` (ABC13 Thms. 2.5, 2.8, Eq. (2.13))."""
    from .analytic import spinglass as sg
    from .plotting import plot_complexity
    level = _level(quick, smoke)
    n_points = {"smoke": 150, "quick": 600, "full": 2000}[level]
    fig, _ = plot_complexity(ps[0], range(6), n_points=n_points)
    files = _save(fig, out, "spinglass_complexity", pdf)
    table = [{"p": int(p), "E_inf": sg.E_inf(p),
              "E_k": {str(k): sg.threshold(k, p) for k in range(6)},
              "complexity_at_minus_E_inf": float(sg.complexity_index([-sg.E_inf(p)], p, 0)[0])}
             for p in ps]
    summary = {"thresholds": table}
    summary.update(extra_summary or {})
    return {"name": "spinglass_complexity", "claim": CLAIMS["spinglass_complexity"],
            "files": files, "parameters": {"level": level, "ps": list(ps), "ks": list(range(6)),
                                           "n_points": n_points},
            "summary": summary, "curves": {}}


def simulate_spinglass(p, N, starts, *, seed=0, device="cpu", out=None, pdf=False,
                       progress=True, tol=1e-10):
    r"""Sample one spherical :math:`p`-spin Hamiltonian of size ``N`` and find its critical
    points from ``starts`` random starts twice: minima by Riemannian descent plus Newton, and
    critical points of any index by Newton on the sphere
    (:func:`rmtland.sampling.pspin.find_critical_points`); merge the two sets.

    Returns the result dict (``p``, ``N``, ``starts``, ``seed``, ``device``,
    ``critical_points`` (distinct ones found), ``minima``, ``minima_energy_mean``,
    ``minima_energy_std``, ``E_0``, ``E_inf``, ``max_gradient_norm`` (:math:`|\mathrm{grad}|/N`),
    ``index_fraction_mean_abs_error`` (points vs the semicircle law), ``seconds``, versions,
    and ``points``: energies and indices).  With ``out``, writes ``out/result.json`` and
    ``out/spinglass.png``.
    """
    from .analytic import spinglass as sg
    from .sampling import pspin
    xp = get_xp(device)
    device_used = device_name(xp)
    t0 = time.perf_counter()
    s_J, s_min, s_any = np.random.SeedSequence(seed).spawn(3)
    J = pspin.sample_couplings(N, p, rng=s_J, device=device)
    bar = Progress(2, f"critical points N={N}") if progress else None
    found = []
    for k, (kind, child) in enumerate((("minima", s_min), ("any", s_any))):
        found.append(pspin.find_critical_points(J, starts=starts, rng=child, kind=kind, tol=tol))
        if bar:
            bar(k + 1)
    if bar:
        bar.close()
    sigma = xp.concatenate([f["sigma"] for f in found])
    u = np.concatenate([to_numpy(f["energy_per_site"]) for f in found])
    idx = np.concatenate([to_numpy(f["index"]) for f in found])
    gnorm = np.concatenate([to_numpy(f["grad_norm"]) for f in found])
    reps = to_numpy(pspin.distinct_points(sigma)[0]) if sigma.shape[0] else np.zeros(0, int)
    u, idx, gnorm = u[reps], idx[reps], gnorm[reps]
    minima = u[idx == 0]
    frac_err = np.abs(idx / (N - 1) - sg.index_fraction(u, p)) if u.size else np.zeros(0)
    result = {"p": int(p), "N": int(N), "starts": int(starts), "seed": seed,
              "device": device_used, "critical_points": int(u.size),
              "minima": int(minima.size),
              "minima_energy_mean": float(minima.mean()) if minima.size else None,
              "minima_energy_std": float(minima.std(ddof=1)) if minima.size > 1 else None,
              "lowest_energy": float(u.min()) if u.size else None,
              "E_0": sg.threshold(0, p), "E_inf": sg.E_inf(p),
              "max_gradient_norm": float(gnorm.max()) if gnorm.size else None,
              "gradient_norm_definition": "|P grad H|_2 / N at each point",
              "index_fraction_mean_abs_error": float(frac_err.mean()) if u.size else None,
              "index_histogram": np.bincount(idx, minlength=1).tolist() if idx.size else [],
              "seconds": None, "versions": _versions(),
              "points": {"energy_per_site": u.tolist(), "index": idx.tolist(),
                         "minima_energy_per_site": minima.tolist()}}
    result["seconds"] = time.perf_counter() - t0
    if out is not None:
        from .plotting import plot_spinglass_minima
        fig, _ = plot_spinglass_minima([result], p)
        files = _save(fig, out, "spinglass", pdf)
        result["files"] = [os.path.basename(f) for f in files] + ["result.json"]
        write_json(os.path.join(out, "result.json"), result)
    return result


#: spin-glass simulation sizes per level: (N, starts) pairs
SPIN_SIM = {"smoke": ((12, 16), (16, 16)),
            "quick": ((25, 100), (50, 100), (75, 48)),
            "full": ((25, 400), (50, 400), (100, 400), (200, 200), (400, 100))}


def figure_spinglass_minima(out, quick=True, *, smoke=False, pdf=False, device="cpu", seed=0,
                            p=SPIN_PS[0], extra_summary=None):
    r"""Figure "spinglass_minima": energies of the minima found for several :math:`N` against
    the band :math:`[-E_0, -E_\infty]`, and the index fraction of every critical point found
    against the semicircle law (one Hamiltonian per :math:`N`, :data:`SPIN_SIM` sizes)."""
    from .plotting import plot_spinglass_minima
    level = _level(quick, smoke)
    seeds = np.random.SeedSequence(seed).spawn(len(SPIN_SIM[level]))
    bar = Progress(len(seeds), "spin-glass critical points")
    runs = []
    for i, ((N, starts), child) in enumerate(zip(SPIN_SIM[level], seeds)):
        runs.append(simulate_spinglass(p, N, starts, seed=int(child.generate_state(1)[0]),
                                       device=device, progress=False))
        bar(i + 1)
    bar.close()
    fig, _ = plot_spinglass_minima(runs, p)
    files = _save(fig, out, "spinglass_minima", pdf)
    summary = {"runs": [{k: v for k, v in r.items() if k not in ("points", "versions")}
                        for r in runs]}
    summary.update(extra_summary or {})
    return {"name": "spinglass_minima", "claim": CLAIMS["spinglass_minima"], "files": files,
            "parameters": {"level": level, "p": p, "sizes": [list(x) for x in SPIN_SIM[level]],
                           "seed": seed, "device": device},
            "summary": summary, "curves": {"runs": runs}}


#: minima-count study per level: sizes N, Hamiltonians per N, nested numbers of starts
SPIN_COUNT = {"smoke": {"Ns": (6, 8), "hamiltonians": 2, "starts": (8, 16), "gue": 2000},
              "quick": {"Ns": (8, 12, 16, 20), "hamiltonians": 6, "starts": (25, 50, 100, 200),
                        "gue": 20000},
              "full": {"Ns": (10, 14, 18, 22, 26, 30), "hamiltonians": 20,
                       "starts": (50, 100, 200, 400, 800), "gue": 200000}}


def figure_spinglass_count(out, quick=True, *, smoke=False, pdf=False, device="cpu", seed=0,
                           p=SPIN_PS[0], extra_summary=None):
    r"""Figure "spinglass_count": at small :math:`N`, the mean number of distinct minima found
    per sampled Hamiltonian, for nested numbers of random starts, against the exact
    finite-:math:`N` mean :math:`\mathbb{E}\,\mathrm{Crt}_{N,0}(\mathbb{R})` (ABC13 Thm. 2.3,
    :func:`rmtland.sampling.goe_tridiagonal.mean_critical_points` with :math:`u = 50`, i.e. the
    whole line).  ``saturation_starts`` is, per :math:`N`, the fewest starts whose mean count
    is within one standard error of the count from the most starts."""
    from .plotting import plot_minima_count
    from .sampling import pspin
    from .sampling.goe_tridiagonal import mean_critical_points
    level = _level(quick, smoke)
    cfg = SPIN_COUNT[level]
    seeds = iter(np.random.SeedSequence(seed).spawn(len(cfg["Ns"]) * (cfg["hamiltonians"] *
                                                                   (1 + len(cfg["starts"])) + 1)))
    bar = Progress(len(cfg["Ns"]), "minima count")
    rows = []
    for i, N in enumerate(cfg["Ns"]):
        counts = np.zeros((cfg["hamiltonians"], len(cfg["starts"])))
        for h in range(cfg["hamiltonians"]):
            J = pspin.sample_couplings(N, p, rng=next(seeds), device=device)
            for j, s in enumerate(cfg["starts"]):
                counts[h, j] = len(pspin.find_critical_points(
                    J, starts=s, rng=next(seeds), kind="minima")["energy_per_site"])
        th = mean_critical_points(N, p, 0, 50.0, samples=cfg["gue"], rng=next(seeds),
                                  device=device)
        mean = counts.mean(0)
        se = counts.std(0, ddof=1) / np.sqrt(cfg["hamiltonians"])
        sat = next(s for s, m in zip(cfg["starts"], mean) if m >= mean[-1] - se[-1])
        rows.append({"N": N, "found_mean": mean.tolist(), "found_stderr": se.tolist(),
                     "theory_mean": th["mean"], "theory_stderr": th["stderr"],
                     "saturation_starts": int(sat),
                     "z_most_starts": float((mean[-1] - th["mean"])
                                            / np.hypot(se[-1], th["stderr"]))})
        bar(i + 1)
    bar.close()
    study = {"p": p, "rows": rows, "starts_levels": list(cfg["starts"]),
             "hamiltonians": cfg["hamiltonians"]}
    fig, _ = plot_minima_count(study)
    files = _save(fig, out, "spinglass_count", pdf)
    summary = {"rows": rows}
    summary.update(extra_summary or {})
    return {"name": "spinglass_count", "claim": CLAIMS["spinglass_count"], "files": files,
            "parameters": {"level": level, "p": p, **{k: list(v) if isinstance(v, tuple) else v
                                                       for k, v in cfg.items()},
                           "seed": seed, "device": device},
            "summary": summary, "curves": {"study": study}}


#: figure name -> function; ``reproduce`` runs them in this order (the finite-size study
#: only when simulating)
FIGURES = {
    "hessian_density": figure_hessian_density,
    "hessian_index": figure_hessian_index,
    "hessian_eps_c": figure_hessian_eps_c,
    "hessian_finite_size": figure_hessian_finite_size,
    "spinglass_complexity": figure_spinglass_complexity,
    "spinglass_minima": figure_spinglass_minima,
    "spinglass_count": figure_spinglass_count,
}
SIMULATION_ONLY = ("hessian_finite_size", "spinglass_minima", "spinglass_count")


def _record(result, seconds):
    """JSON-safe part of a figure result (the arrays in ``curves`` stay out)."""
    return {"figure": result["name"], "claim": " ".join(result["claim"].split()),
            "files": [os.path.basename(f) for f in result["files"]],
            "parameters": result["parameters"], "seconds": round(seconds, 3),
            "summary": result["summary"]}


def run_figure(name, out, *, quick=True, smoke=False, pdf=False, **kwargs):
    """Make one figure of :data:`FIGURES` in ``out`` and write ``out/result.json`` (its
    parameters, versions, timing and the numbers behind it).  Returns the figure's dict with
    ``"result_json"`` added."""
    if name not in FIGURES:
        raise ValueError(f"name must be one of {sorted(FIGURES)}, got {name!r}")
    t0 = time.perf_counter()
    result = FIGURES[name](out, quick, smoke=smoke, pdf=pdf, **kwargs)
    seconds = time.perf_counter() - t0
    path = os.path.join(out, "result.json")
    record = {"rmtland_version": __version__, "versions": _versions(), **_record(result, seconds)}
    write_json(path, record)
    result["result_json"] = path
    result["files"] = result["files"] + [path]
    return result


#: figures drawn without simulation (theory only)
THEORY_ONLY = ("hessian_eps_c", "spinglass_complexity")


def figure_main(name, doc, argv=None):
    """The command line shared by the ``simulations/fig_*.py`` scripts: parse ``argv``, make
    figure ``name`` with :func:`run_figure` (simulation drawn over the theory unless
    ``--theory-only``), print the paths written; returns the exit code."""
    import argparse
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=f"results/{name}",
                        help=f"output directory (default: results/{name})")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds; for tests)")
    parser.add_argument("--full", action="store_true", help="full sizes (meant for a GPU)")
    parser.add_argument("--pdf", action="store_true", help="also write a PDF of the figure")
    kwargs = {}
    if name not in THEORY_ONLY:
        parser.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
        parser.add_argument("--seed", type=int, default=0)
        if name not in SIMULATION_ONLY:
            parser.add_argument("--theory-only", action="store_true", help="no simulation")
    args = parser.parse_args(argv)
    if name not in THEORY_ONLY:
        kwargs = {"device": args.device, "seed": args.seed}
        if name not in SIMULATION_ONLY:
            kwargs["simulate"] = not args.theory_only
    result = run_figure(name, args.out, quick=not args.full, smoke=args.smoke, pdf=args.pdf,
                        **kwargs)
    for path in result["files"]:
        print(path)
    return 0


def reproduce(out, quick=True, *, pdf=False, smoke=False, simulate=True, device="cpu", seed=0):
    r"""Write every figure of :data:`FIGURES` and ``theory_hessian.json`` into ``out``; with
    ``simulate`` (default) the figures carry the simulation over the theory and
    ``simulation_hessian.json`` holds the simulated numbers and their distances to the theory.

    Parameters
    ----------
    out : str or path
        Output directory (created).
    quick : bool
        ``True`` (default): the "quick" grids (a few seconds on a CPU); ``False``: "full".
    pdf : bool
        Also write a PDF of every figure.
    smoke : bool
        Tiny grids (tests).
    simulate : bool
        Sample matrices (:data:`SIM` sizes for the level) and draw them over the theory.
    device : {"cpu", "gpu", "auto"}
        Where the matrices are sampled and diagonalised.
    seed : int
        Root of every figure's ``SeedSequence``.

    Returns
    -------
    dict
        JSON-safe summary: ``out``, ``files`` (every path written), ``rmtland_version``,
        ``seconds`` (per figure and total), ``table`` (per :math:`\varphi`: :math:`\varepsilon_c`,
        :math:`\alpha_0`, index at each :math:`\varepsilon` of :data:`EPS`).

    Notes
    -----
    ``theory_hessian.json`` holds ``rmtland_version``, the versions of the dependencies, the
    parameters (:data:`PHIS`, :data:`EPS`, grid sizes), the table above, the support edges,
    atoms and index of every :math:`(\varphi, \varepsilon)` of the density figure, and each
    figure's summary.
    """
    out = os.fspath(out)
    level = _level(quick, smoke)
    t_start = time.perf_counter()
    files, figures, seconds = [], {}, {}
    if simulate:
        device = device_name(get_xp(device))    # a missing GPU fails before any work
    for name, func in FIGURES.items():
        if name in SIMULATION_ONLY and not simulate:
            continue
        t0 = time.perf_counter()
        kwargs = {"simulate": True, "device": device, "seed": seed} if simulate else {}
        if name in THEORY_ONLY:
            kwargs = {}
        elif name in SIMULATION_ONLY:
            kwargs.pop("simulate")
        result = func(out, quick, smoke=smoke, pdf=pdf, **kwargs)
        seconds[name] = round(time.perf_counter() - t0, 3)
        files += result["files"]
        figures[name] = _record(result, seconds[name])
    table = theory_table(PHIS, EPS)
    data = {
        "rmtland_version": __version__,
        "versions": _versions(),
        "source": "Pennington & Bahri, ICML 2017 (PB17); rmtland.analytic.hessian",
        "parameters": {"level": level, "phis": list(PHIS), "eps": list(EPS),
                       "grids": GRIDS[level], "eps_range": list(EPS_RANGE),
                       "x_range": list(X_RANGE), "phi_range": list(PHI_RANGE)},
        "table": table,
        "laws": figures["hessian_density"]["summary"]["laws"],
        "figures": figures,
    }
    json_path = os.path.join(out, "theory_hessian.json")
    write_json(json_path, data)
    files.append(json_path)
    if simulate:
        sim = {"rmtland_version": __version__, "versions": _versions(), "device": device,
               "seed": seed, "level": level, "sizes": {k: list(v) if isinstance(v, tuple) else v
                                                        for k, v in SIM[level].items()},
               "spectra": figures["hessian_density"]["summary"]["simulation"],
               "indices": figures["hessian_index"]["summary"]["simulation"],
               "finite_size": figures["hessian_finite_size"]["summary"]}
        sim_path = os.path.join(out, "simulation_hessian.json")
        write_json(sim_path, sim)
        files.append(sim_path)
    seconds["total"] = round(time.perf_counter() - t_start, 3)
    return {"out": out, "files": files, "rmtland_version": __version__, "level": level,
            "seconds": seconds, "table": table}
