r"""Figures of the spherical p-spin glass: complexity curves, critical points found in sampled
Hamiltonians, and minima counts against the exact finite-N mean.

Arrays in, Figure out: theory curves arrive from :mod:`rmtland.compare.spinglass`
(``complexity_curves``, ``index_fraction_curve``); nothing here evaluates the theory.
Theory is a line (gid ``"theory"``), simulation points or histograms (gid ``"simulation"``).

References
----------
A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
Comm. Pure Appl. Math. 66, 165 (2013), doi:10.1002/cpa.21422 (ABC13).
A. Choromanska, M. Henaff, M. Mathieu, G. Ben Arous, Y. LeCun, "The Loss Surfaces of
Multilayer Networks", AISTATS 2015, PMLR 38:192–204, arXiv:1412.0233.
"""
import numpy as np

from . import _style

__all__ = ["plot_complexity", "plot_spinglass_minima", "plot_minima_count"]

#: histogram bins of the minima energies (fewer when there are few minima)
MINIMA_BINS = 20


def plot_complexity(curves, *, figsize=(11, 4.2), axes=None):
    r"""Complexity of the spherical :math:`p`-spin glass: (a) :math:`\Theta_{k,p}(u)` for each
    ``k`` and the total :math:`\Theta_p(u)`, with the thresholds :math:`-E_k` (where
    :math:`\Theta_{k,p}` crosses 0) and :math:`-E_\infty` marked; (b) a zoom on the band
    :math:`[-E_0, -E_\infty]` where the thresholds lie (ABC13 Thms. 2.5, 2.8).

    ``curves`` is :func:`rmtland.compare.spinglass.complexity_curves`'s dict.

    Returns
    -------
    fig, axes (2 Axes)
    """
    p, ks, E, E_inf = curves["p"], curves["ks"], curves["E"], curves["E_inf"]
    fig, axes = _style.get_axes_pair(axes, figsize)
    colors = _style.colors(len(ks), _style.CMAP_INDEX)
    for ax, panel in zip(axes, curves["panels"]):
        u = panel["u"]
        for k, c in zip(ks, colors):
            ax.plot(u, panel["theta"][k], color=c, gid="theory",
                    label=rf"$\Theta_{{{k},{p}}}(u)$, $-E_{{{k}}} = {-E[k]:.4f}$")
            ax.plot([-E[k]], [0.0], "o", color=c, ms=4, gid="threshold")
        ax.plot(u, panel["total"], color="0.2", lw=2, ls="--", gid="theory",
                label=rf"$\Theta_{{{p}}}(u)$ (all critical points)")
        ax.axhline(0, color="0.5", lw=0.8)
        ax.axvline(-E_inf, color="0.4", ls=":", lw=1, gid="threshold",
                   label=rf"$-E_\infty = {-E_inf:.4f}$")
        ax.set_xlabel("energy per site $u = H_N/N$")
        ax.set_ylabel(r"complexity $\lim N^{-1}\log \mathbb{E}\,\mathrm{Crt}_N(u)$")
    axes[0].set_title("(a) complexity by index $k$")
    axes[1].set_title(r"(b) the band $[-E_0, -E_\infty]$")
    axes[1].set_ylim(-0.01, 1.3 * max(0.0, curves["theta_at_minus_E_inf"]))
    _style.legend(axes[0], loc="lower right")
    fig.suptitle(rf"Spherical {p}-spin glass: complexity of critical points (Auffinger, "
                 r"Ben Arous & Černý 2013)")
    return fig, axes


def plot_spinglass_minima(runs, theory, *, figsize=(11, 4.2), axes=None):
    r"""Critical points found in simulated spherical :math:`p`-spin glasses.

    (a) histograms of the energies per site of the distinct minima found, one per :math:`N`
    (simulation), with :math:`-E_0` and :math:`-E_\infty` (theory); (b) the index fraction
    :math:`k/(N-1)` of every critical point found against its energy (simulation, points)
    over the semicircle law (theory, line).

    Parameters
    ----------
    runs : list of dict
        Results of :func:`rmtland.experiments.spinglass.simulate_spinglass` with their
        ``"points"`` (energies and indices); any number of minima, including one or none, or
        all at one energy, plots.
    theory : dict
        :func:`rmtland.compare.spinglass.index_fraction_curve`'s dict (``p``, ``u``,
        ``fraction``, ``E_0``, ``E_inf``), on a window covering the runs' energies.
    """
    fig, axes = _style.get_axes_pair(axes, figsize)
    p, E0, Einf = theory["p"], theory["E_0"], theory["E_inf"]
    colors = _style.colors(len(runs))
    ax = axes[0]
    for run, c in zip(runs, colors):
        u = np.asarray(run["points"]["minima_energy_per_site"], dtype=float)
        if u.size:
            edges = _style.bin_edges(u, min(MINIMA_BINS, max(1, u.size)))
            _style.histogram(ax, u, edges, c,
                             label=f"$N = {run['N']}$: {u.size} minima, {run['starts']} starts")
    ax.axvline(-E0, color="k", ls="--", gid="theory", label=rf"$-E_0 = {-E0:.4f}$")
    ax.axvline(-Einf, color="k", ls=":", gid="theory", label=rf"$-E_\infty = {-Einf:.4f}$")
    ax.set_xlabel("energy per site of the minimum $u = H_N/N$")
    ax.set_ylabel("density of minima found")
    ax.set_title(r"(a) energies of the minima found; the band $[-E_0, -E_\infty]$")
    _style.legend(ax, loc="upper left")
    ax = axes[1]
    for run, c in zip(runs, colors):
        u = np.asarray(run["points"]["energy_per_site"], dtype=float)
        k = np.asarray(run["points"]["index"], dtype=float)
        ax.plot(u, k / (run["N"] - 1), "o", ms=3, color=c, alpha=0.7, gid="simulation",
                label=f"$N = {run['N']}$ ({u.size} critical points)")
    ax.plot(theory["u"], theory["fraction"], color="k", lw=1.5, gid="theory",
            label=r"semicircle law: $F_{sc}(2u/E_\infty)$")
    ax.set_xlim(float(np.min(theory["u"])), float(np.max(theory["u"])))
    ax.set_xlabel("energy per site $u = H_N/N$")
    ax.set_ylabel(r"index fraction $k/(N-1)$")
    ax.set_title("(b) index against energy")
    _style.legend(ax, loc="upper left")
    fig.suptitle(rf"Spherical {p}-spin glass: critical points found by descent and Newton "
                 "from random starts")
    return fig, axes


def plot_minima_count(study, *, figsize=(6.4, 4.4), ax=None):
    r"""Mean number of distinct minima found per Hamiltonian against :math:`N` for several
    numbers of random starts (simulation, points with standard-error bars) and the exact
    finite-:math:`N` mean :math:`\mathbb{E}\,\mathrm{Crt}_{N,0}(\mathbb{R})` of ABC13 Thm. 2.3
    by Monte Carlo over the GOE (theory, line with its ±2 standard-error band)."""
    fig, ax = _style.get_axes(ax, figsize)
    rows = study["rows"]
    N = np.array([r["N"] for r in rows], dtype=float)
    th = np.array([r["theory_mean"] for r in rows])
    se = np.array([r["theory_stderr"] for r in rows])
    ax.plot(N, th, "-", color="k", gid="theory",
            label=r"exact finite-$N$ mean $\mathbb{E}\,\mathrm{Crt}_{N,0}$ (GOE formula)")
    ax.fill_between(N, th - 2 * se, th + 2 * se, color="0.7", alpha=0.5, gid="theory-band")
    levels = study["starts_levels"]
    for j, (s, c) in enumerate(zip(levels, _style.colors(len(levels)))):
        m = np.array([r["found_mean"][j] for r in rows])
        e = np.array([r["found_stderr"][j] for r in rows])
        ax.errorbar(N + (j - len(levels) / 2) * 0.08, m, yerr=e, fmt="o", ms=4, capsize=2,
                    color=c, gid="simulation", label=f"found from {s} starts (mean ± s.e.)")
    ax.set_xlabel("number of spins $N$")
    ax.set_ylabel("distinct minima per Hamiltonian")
    ax.set_title(rf"Spherical {study['p']}-spin glass: minima found vs the exact mean, "
                 rf"{study['hamiltonians']} Hamiltonians per $N$", fontsize="medium")
    _style.legend(ax, loc="upper left")
    return fig, ax
