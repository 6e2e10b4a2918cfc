r"""Studies of the spherical p-spin glass: the complexity, minima and minima-count figures
behind ``rmtland reproduce``, and the ``simulate spinglass`` command.

References
----------
A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
Comm. Pure Appl. Math. 66, 165 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129 (ABC13).
A. Choromanska, M. Henaff, M. Mathieu, G. Ben Arous, Y. LeCun, "The Loss Surfaces of
Multilayer Networks", AISTATS 2015, PMLR 38:192–204, arXiv:1412.0233.
"""
import time

import numpy as np

from .. import _seeds
from .._backend import device_name, get_xp, to_numpy
from .._io import check_output_dir
from .._progress import Progress
from ..analytic import spinglass as sg
from ..compare import spinglass as cmp
from ..sampling import spinglass as pspin
from . import _run

__all__ = ["SPIN_PS", "SPIN_SIM", "SPIN_COUNT", "simulate_spinglass",
           "figure_spinglass_complexity", "figure_spinglass_minima", "figure_spinglass_count"]

#: interaction orders of the spin-glass figures
SPIN_PS = (3, 4)
#: complexity-curve points per level
COMPLEXITY_POINTS = {"smoke": 150, "quick": 600, "full": 2000}
#: spin-glass simulation sizes per level: (N, starts) pairs
SPIN_SIM = {"smoke": ((12, 16), (16, 16)),
            "quick": ((25, 100), (50, 100), (75, 48)),
            "full": ((25, 400), (50, 400), (100, 400), (200, 200), (400, 100))}
#: minima-count study per level: sizes N, Hamiltonians per N, nested numbers of starts, GOE
#: samples of the exact finite-N mean.  Smoke: the z-score of the found mean against the exact
#: mean needs a standard error estimated from ~20 Hamiltonians (from 2 it is noise: some
#: |z| > 4 for 9 of seeds 0-9) and 64 starts at N = 8 (16 starts find ~0.5 fewer of the 5.2
#: minima); measured over seeds 0-19: |z| <= 1.7 (tests/test_simulations_smoke.py).
SPIN_COUNT = {"smoke": {"Ns": (6, 8), "hamiltonians": 20, "starts": (16, 64), "gue": 2000},
              "quick": {"Ns": (8, 12, 16, 20), "hamiltonians": 6, "starts": (25, 50, 100, 200),
                        "gue": 20000},
              "full": {"Ns": (10, 14, 18, 22, 26, 30), "hamiltonians": 20,
                       "starts": (50, 100, 200, 400, 800), "gue": 200000}}
#: energy above the highest critical point found shown by the index-fraction panel, and its
#: margin on both sides (energy per site)
INDEX_PANEL_TOP, INDEX_PANEL_MARGIN = 0.2, 0.1
#: the whole real line for the finite-N mean: u = 50 is far above every critical energy
#: (|u| <= E_inf(p) < 2 at large N; at small N the GOE tail beyond t = 50 sqrt(p/(2(p-1)))
#: has probability below exp(-N 1000))
U_WHOLE_LINE = 50.0


def _index_theory(runs, p):
    """The semicircle index-fraction line on a window covering every run's energies."""
    E_inf = sg.E_inf(p)
    u_all = [u for r in runs for u in r["points"]["energy_per_site"]] or [-E_inf, E_inf]
    lo = min(min(u_all), -E_inf) - INDEX_PANEL_MARGIN
    hi = max(max(u_all), INDEX_PANEL_TOP) + INDEX_PANEL_MARGIN
    return cmp.index_fraction_curve(p, lo, hi)


def simulate_spinglass(p, N, starts, *, seed=0, device="cpu", out=None, pdf=False,
                       progress=True, tol=1e-10):
    r"""Sample one spherical :math:`p`-spin Hamiltonian of size ``N`` and find its critical
    points from ``starts`` random starts twice: minima by Riemannian descent plus Newton, and
    critical points of any index by Newton on the sphere
    (:func:`rmtland.sampling.spinglass.find_critical_points`); merge the two sets and compare
    them with the theory (:func:`rmtland.compare.spinglass.summarize_critical_points`).

    Returns the result dict (``p``, ``N``, ``starts``, ``seed``, ``device``,
    ``critical_points`` (distinct ones found), ``minima``, ``minima_energy_mean``,
    ``minima_energy_std``, ``E_0``, ``E_inf``, ``max_gradient_norm`` (:math:`|\mathrm{grad}|/N`),
    ``index_fraction_mean_abs_error`` (points vs the semicircle law), ``seconds``, versions,
    and ``points``: energies and indices).  With ``out``, writes ``out/result.json`` and
    ``out/spinglass.png``.
    """
    if out is not None:
        check_output_dir(out)                     # before any computing
    xp = get_xp(device)
    device_used = device_name(xp)
    t0 = time.perf_counter()
    s_J, s_min, s_any = _seeds.children(seed, 3)
    J = pspin.sample_couplings(N, p, rng=s_J, device=device)
    found = []
    for kind, child in (("minima", s_min), ("any", s_any)):
        bar = Progress(1, f"{'minima' if kind == 'minima' else 'critical points'} N={N}, "
                          f"{starts} starts (iterations)") if progress else None
        found.append(pspin.find_critical_points(J, starts=starts, rng=child, kind=kind, tol=tol,
                                                progress=bar))
        if bar:
            bar.close()
    sigma = xp.concatenate([f["sigma"] for f in found])
    u = np.concatenate([to_numpy(f["energy_per_site"]) for f in found])
    idx = np.concatenate([to_numpy(f["index"]) for f in found])
    gnorm = np.concatenate([to_numpy(f["grad_norm"]) for f in found])
    reps = to_numpy(pspin.distinct_points(sigma)[0]) if sigma.shape[0] else np.zeros(0, int)
    summary = cmp.summarize_critical_points(u[reps], idx[reps], gnorm[reps], N, p)
    result = {"p": int(p), "N": int(N), "starts": int(starts), "seed": seed,
              "device": device_used, **{k: v for k, v in summary.items() if k != "points"},
              "seconds": None, "versions": _run.versions(), "points": summary["points"]}
    result["seconds"] = time.perf_counter() - t0
    if out is not None:
        from ..plotting.spinglass import plot_spinglass_minima

        def draw():
            return plot_spinglass_minima([result], _index_theory([result], p))[0]
        result["files"] = _run.figure_names("spinglass", pdf) + ["result.json"]
        _run.write_run(out, {"result.json": result}, [("spinglass", draw)], pdf,
                       owned=_run.figure_names("spinglass", True))
    return result


@_run.register("spinglass_complexity", kind="theory", claim=(
    "Critical points of the spherical p-spin glass: below -E_inf only minima survive in "
    "exponential number, index-k critical points exist in exponential number only above "
    "-E_k, and -E_0 < -E_1 < ... < -E_inf (Auffinger, Ben Arous & Cerny 2013)."))
def figure_spinglass_complexity(quick=True, *, smoke=False, ps=SPIN_PS,
                                extra_summary=None):
    r"""Figure "spinglass_complexity": :math:`\Theta_{k,p}(u)` for :math:`k = 0..5` and
    :math:`\Theta_p(u)` with the thresholds :math:`-E_k` and :math:`-E_\infty`, for the first
    :math:`p` of ``ps``; the summary tabulates :math:`E_k` (:math:`k = 0..5`) and
    :math:`E_\infty` for every :math:`p` of ``ps`` (ABC13 Thms. 2.5, 2.8, Eq. (2.13))."""
    from ..plotting.spinglass import plot_complexity
    lvl = _run.level(quick, smoke)
    n_points = COMPLEXITY_POINTS[lvl]
    curves = cmp.complexity_curves(ps[0], range(6), n_points=n_points)
    def draw():
        return plot_complexity(curves)[0]
    table = [{"p": int(p), "E_inf": sg.E_inf(p),
              "E_k": {str(k): sg.threshold(k, p) for k in range(6)},
              "complexity_at_minus_E_inf": float(sg.complexity_index([-sg.E_inf(p)], p, 0)[0])}
             for p in ps]
    summary = {"thresholds": table}
    summary.update(extra_summary or {})
    return {"name": "spinglass_complexity", "claim": _run.FIGURES["spinglass_complexity"].claim,
            "draw": draw, "parameters": {"level": lvl, "ps": list(ps), "ks": list(range(6)),
                                           "n_points": n_points},
            "summary": summary, "curves": curves}


@_run.register("spinglass_minima", kind="simulation", claim=(
    "Energies of the minima found by Riemannian descent from random starts in sampled "
    "spherical p-spin glasses, shown against the band [-E_0, -E_inf] of Auffinger, Ben Arous "
    "& Cerny (2013), and the index fraction of every critical point found against the "
    "semicircle law in its energy (Choromanska et al. 2015)."))
def figure_spinglass_minima(quick=True, *, smoke=False, device="cpu", seed=0,
                            p=SPIN_PS[0], extra_summary=None):
    r"""Figure "spinglass_minima": energies of the minima found for several :math:`N` against
    the band :math:`[-E_0, -E_\infty]`, and the index fraction of every critical point found
    against the semicircle law (one Hamiltonian per :math:`N`, :data:`SPIN_SIM` sizes)."""
    from ..plotting.spinglass import plot_spinglass_minima
    lvl = _run.level(quick, smoke)
    seeds = _seeds.children(seed, len(SPIN_SIM[lvl]))
    bar = Progress(len(seeds), "spin-glass critical points")
    runs = []
    for i, ((N, starts), child) in enumerate(zip(SPIN_SIM[lvl], seeds)):
        runs.append(simulate_spinglass(p, N, starts, seed=int(child.generate_state(1)[0]),
                                       device=device, progress=False))
        bar(i + 1)
    bar.close()
    def draw():
        return plot_spinglass_minima(runs, _index_theory(runs, p))[0]
    summary = {"runs": [{k: v for k, v in r.items() if k not in ("points", "versions")}
                        for r in runs]}
    summary.update(extra_summary or {})
    return {"name": "spinglass_minima", "claim": _run.FIGURES["spinglass_minima"].claim,
            "draw": draw,
            "parameters": {"level": lvl, "p": p, "sizes": [list(x) for x in SPIN_SIM[lvl]],
                           "seed": seed, "device": device},
            "summary": summary, "curves": {"runs": runs}}


def minima_count_study(p, Ns, hamiltonians, starts, gue, *, seed=0, device="cpu"):
    r"""At each :math:`N`, the mean number of distinct minima found per sampled Hamiltonian for
    nested numbers of random ``starts`` (with standard errors over ``hamiltonians``), against
    the exact finite-:math:`N` mean :math:`\mathbb{E}\,\mathrm{Crt}_{N,0}(\mathbb{R})` (ABC13
    Thm. 2.3, :func:`rmtland.compare.spinglass.mean_critical_points` with ``gue`` GOE samples
    and :math:`u` = :data:`U_WHOLE_LINE`).  ``saturation_starts`` is, per :math:`N`, the fewest
    starts whose mean count is within one standard error of the count from the most starts;
    ``z_most_starts`` the z-score of the most starts' mean against the exact mean."""
    seeds = iter(_seeds.children(seed, len(Ns) * (hamiltonians * (1 + len(starts)) + 1)))
    bar = Progress(len(Ns), "minima count")
    rows = []
    for i, N in enumerate(Ns):
        counts = np.zeros((hamiltonians, len(starts)))
        for h in range(hamiltonians):
            J = pspin.sample_couplings(N, p, rng=next(seeds), device=device)
            for j, s in enumerate(starts):
                counts[h, j] = len(pspin.find_critical_points(
                    J, starts=s, rng=next(seeds), kind="minima")["energy_per_site"])
        th = cmp.mean_critical_points(N, p, 0, U_WHOLE_LINE, samples=gue, rng=next(seeds),
                                      device=device)
        mean = counts.mean(0)
        se = counts.std(0, ddof=1) / np.sqrt(hamiltonians)
        sat = next(s for s, m in zip(starts, mean) if m >= mean[-1] - se[-1])
        rows.append({"N": N, "found_mean": mean.tolist(), "found_stderr": se.tolist(),
                     "theory_mean": th["mean"], "theory_stderr": th["stderr"],
                     "saturation_starts": int(sat),
                     "z_most_starts": float((mean[-1] - th["mean"])
                                            / np.hypot(se[-1], th["stderr"]))})
        bar(i + 1)
    bar.close()
    return {"p": p, "rows": rows, "starts_levels": list(starts), "hamiltonians": hamiltonians}


@_run.register("spinglass_count", kind="simulation", claim=(
    "At small N the number of distinct minima found from enough random starts matches the "
    "exact finite-N mean number of minima of the spherical p-spin glass, computed from the "
    "GOE formula of Auffinger, Ben Arous & Cerny (2013, Thm. 2.3)."))
def figure_spinglass_count(quick=True, *, smoke=False, device="cpu", seed=0,
                           p=SPIN_PS[0], extra_summary=None):
    r"""Figure "spinglass_count": :func:`minima_count_study` at the :data:`SPIN_COUNT` sizes
    of the level."""
    from ..plotting.spinglass import plot_minima_count
    lvl = _run.level(quick, smoke)
    cfg = SPIN_COUNT[lvl]
    study = minima_count_study(p, cfg["Ns"], cfg["hamiltonians"], cfg["starts"], cfg["gue"],
                               seed=seed, device=device)
    def draw():
        return plot_minima_count(study)[0]
    summary = {"rows": study["rows"]}
    summary.update(extra_summary or {})
    return {"name": "spinglass_count", "claim": _run.FIGURES["spinglass_count"].claim,
            "draw": draw,
            "parameters": {"level": lvl, "p": p, **{k: list(v) if isinstance(v, tuple) else v
                                                     for k, v in cfg.items()},
                           "seed": seed, "device": device},
            "summary": summary, "curves": {"study": study}}
