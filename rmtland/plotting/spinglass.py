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

__all__ = ["plot_complexity", "plot_spinglass_minima", "plot_minima_count", "plot_threshold"]

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
    (simulation), with :math:`-E_0` and :math:`-E_\infty` (theory) and, in the legend, the
    fraction of the minima above :math:`-E_\infty` (most: descent ends near the threshold,
    not in the band); (b) the index fraction :math:`k/(N-1)` of every critical point found
    against its energy (simulation, points) over the semicircle law (theory, line), with the
    mean index shift :math:`k - (N-1)F_{sc}(2u/E_\infty)` ± s.e. in the legend.

    Parameters
    ----------
    runs : list of dict
        Results of :func:`rmtland.experiments.spinglass.simulate_spinglass` with their
        ``"points"`` (energies and indices); any number of minima, including one or none, or
        all at one energy, plots.  Optional numbers shown in the legends when present:
        ``minima_fraction_above_minus_E_inf``, ``index_shift_mean``, ``index_shift_stderr``.
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
            above = run.get("minima_fraction_above_minus_E_inf")
            extra = "" if above is None else rf", {100 * above:.0f}% above $-E_\infty$"
            _style.histogram(ax, u, edges, c,
                             label=f"$N = {run['N']}$: {u.size} minima, {run['starts']} starts"
                                   + extra)
    ax.axvline(-E0, color="k", ls="--", gid="theory", label=rf"$-E_0 = {-E0:.4f}$")
    ax.axvline(-Einf, color="k", ls=":", gid="theory", label=rf"$-E_\infty = {-Einf:.4f}$")
    ax.set_xlabel("energy per site of the minimum $u = H_N/N$")
    ax.set_ylabel("density of minima found")
    ax.set_title(r"(a) the minima found lie above the band $[-E_0, -E_\infty]$")
    _style.legend(ax, loc="upper left")
    ax = axes[1]
    for run, c in zip(runs, colors):
        u = np.asarray(run["points"]["energy_per_site"], dtype=float)
        k = np.asarray(run["points"]["index"], dtype=float)
        m, se = run.get("index_shift_mean"), run.get("index_shift_stderr")
        shift = "" if m is None or se is None else f"; shift {m:+.2f} ± {se:.2f}"
        ax.plot(u, k / (run["N"] - 1), "o", ms=3, color=c, alpha=0.7, gid="simulation",
                label=f"$N = {run['N']}$ ({u.size} critical points{shift})")
    ax.plot(theory["u"], theory["fraction"], color="k", lw=1.5, gid="theory",
            label=r"semicircle law: $F_{sc}(2u/E_\infty)$")
    ax.set_xlim(float(np.min(theory["u"])), float(np.max(theory["u"])))
    ax.set_xlabel("energy per site $u = H_N/N$")
    ax.set_ylabel(r"index fraction $k/(N-1)$")
    ax.set_title(r"(b) index vs energy; shift $k - (N-1)F_{sc}$ ± s.e.")
    _style.legend(ax, loc="upper left")
    fig.suptitle(rf"Spherical {p}-spin glass: critical points found by descent and Newton "
                 "from random starts")
    return fig, axes


def plot_minima_count(study, *, figsize=None, axes=None):
    r"""Critical points of index :math:`k` found per sampled Hamiltonian against the exact
    finite-:math:`N` mean :math:`\mathbb{E}\,\mathrm{Crt}_{N,k}(\mathbb{R})` of ABC13 Thm. 2.3.

    One panel per index :math:`k` of the study's rows: the mean count from the most starts
    against :math:`N` (simulation, points with standard-error bars, each labelled with its
    number of Hamiltonians :math:`H`) and the exact mean by Monte Carlo over the GOE (theory,
    line with its ±2 standard-error band); a last panel shows saturation: found / exact
    against the number of starts for every :math:`(N, k)` (simulation) with the exact ratio 1
    (theory).

    ``study`` is :func:`rmtland.experiments.spinglass.minima_count_study`'s dict (``p``,
    ``target_rel_stderr``, ``rows`` with ``N``, ``k``, ``method``, ``hamiltonians``,
    ``starts_levels``, ``found_mean``, ``found_stderr``, ``found_over_exact``,
    ``theory_mean``, ``theory_stderr``).  ``axes``: as many Axes as indices plus one.

    Returns
    -------
    fig, axes (list of Axes)
    """
    rows = study["rows"]
    ks = sorted({r["k"] for r in rows})
    n = len(ks) + 1
    if axes is None:
        fig, grid = _style.new_figure(figsize or (3.7 * n + 0.6, 4.4), 1, n)
        axes = list(grid[0])
    else:
        axes = list(axes)
        fig = axes[0].figure
    colors = _style.colors(len(ks), _style.CMAP_INDEX)
    letters = "abcdefghijklmnopqrstuvwxyz"
    for a, (ax, k, c) in enumerate(zip(axes, ks, colors)):
        rk = sorted((r for r in rows if r["k"] == k), key=lambda r: r["N"])
        N = np.array([r["N"] for r in rk], dtype=float)
        th = np.array([r["theory_mean"] for r in rk])
        se = np.array([r["theory_stderr"] for r in rk])
        ax.plot(N, th, "-", marker="_", ms=16, mew=_style.THEORY_LW,   # a dash when N is one
                color="k", lw=_style.THEORY_LW, gid="theory",
                label=rf"exact mean $\mathbb{{E}}\,\mathrm{{Crt}}_{{N,{k}}}$ (GOE formula)")
        ax.fill_between(N, th - 2 * se, th + 2 * se, color="0.7", alpha=0.5,
                        gid="theory-band", label="exact ± 2 s.e. (Monte Carlo)")
        m = np.array([r["found_mean"][-1] for r in rk])
        e = np.array([r["found_stderr"][-1] for r in rk])
        most = sorted({r["starts_levels"][-1] for r in rk})
        methods = sorted({r["method"] for r in rk})
        ax.errorbar(N, m, yerr=e, fmt="o", ms=4, capsize=3, color=c, gid="simulation",
                    label=f"found ({', '.join(methods)}, {'/'.join(map(str, most))} starts), "
                          "mean ± s.e.")
        for x, y, r in zip(N, m, rk):
            ax.annotate(f"H={r['hamiltonians']}", (x, y), textcoords="offset points",
                        xytext=(5, -11), fontsize="x-small", color="0.3")
        ax.set_xticks(N)
        pad = 0.15 * max(float(N.max() - N.min()), 1.0)   # room for the last point's label
        ax.set_xlim(float(N.min()) - pad, float(N.max()) + pad)
        lo = min(float(np.min(m - e)), float(np.min(th - 2 * se)))
        hi = max(float(np.max(m + e)), float(np.max(th + 2 * se)))
        ax.set_ylim(lo - 0.1 * (hi - lo), hi + 0.45 * (hi - lo))    # + room for the legend
        ax.set_xlabel("number of spins $N$")
        ax.set_ylabel(f"critical points of index {k} per Hamiltonian")
        ax.set_title(f"({letters[a]}) index $k = {k}$" + (" (minima)" if k == 0 else ""))
        _style.legend(ax, loc="upper left", fontsize="x-small")
    ax = axes[len(ks)]
    markers = "osD^v<>ph*"
    Ns = sorted({r["N"] for r in rows})
    for r in sorted(rows, key=lambda r: (r["k"], r["N"])):
        c = colors[ks.index(r["k"])]
        ax.plot(r["starts_levels"], r["found_over_exact"], "-", marker=markers[
            Ns.index(r["N"]) % len(markers)], ms=3.5, lw=1, color=c, gid="saturation",
            label=f"$N = {r['N']}$, $k = {r['k']}$")
    ax.axhline(1.0, color="k", lw=_style.THEORY_LW, gid="theory", label="exact mean")
    ax.set_xscale("log")
    from matplotlib.ticker import NullFormatter
    ax.xaxis.set_minor_formatter(NullFormatter())      # decade labels only: no overlap
    ax.set_xlabel("random starts per Hamiltonian")
    ax.set_ylabel("found / exact mean")
    ax.set_title(f"({letters[len(ks)]}) saturation in the starts")
    _style.legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2,
                  fontsize="x-small")
    Hs = [r["hamiltonians"] for r in rows]
    Htxt = str(Hs[0]) if min(Hs) == max(Hs) else f"{min(Hs)}–{max(Hs)}"
    fig.suptitle(rf"Spherical {study['p']}-spin glass: critical points found from random "
                 r"starts vs the exact mean (ABC13 Thm. 2.3)" "\n"
                 rf"{Htxt} Hamiltonians per $N$, target s.e. "
                 rf"{100 * study['target_rel_stderr']:.3g}% of the exact mean")
    return fig, axes


def plot_threshold(study, *, figsize=(11, 4.4), axes=None):
    r"""Where the minima found by descent sit as :math:`N` grows (the threshold phenomenon of
    Cugliandolo & Kurchan, PRL 71, 173 (1993), against the band of ABC13).

    (a) energies per site of the minima found against :math:`N` (log scale): mean ± standard
    error over Hamiltonians (simulation, points), the spread ± 1 s.d. of all minima
    (simulation, band), the fitted :math:`u_\infty + c N^{-\gamma}` (fit, line) and
    :math:`u_\infty` ± its standard error (fit, band), :math:`-E_0` and :math:`-E_\infty`
    (theory, horizontal lines); (b) fractions of the minima above :math:`-E_\infty` (with
    standard errors), in :math:`[-E_0, -E_\infty]` and below :math:`-E_0` against :math:`N`.

    ``study`` holds arrays only (:func:`rmtland.experiments.spinglass.threshold_curves`):
    ``N``, ``mean``, ``stderr``, ``std``, ``fraction_above``, ``fraction_above_stderr``,
    ``fraction_in_band``, ``fraction_below``, ``fit_N``, ``fit_u`` (the fitted curve,
    evaluated by the caller), ``u_inf``, ``u_inf_stderr``, ``gamma``, ``gamma_fixed``,
    ``gamma_stderr``, ``E_0``, ``E_inf``, ``p``, ``hamiltonians``, ``starts``; optionally an
    alternative fit drawn dashed (``alt_fit_u`` on ``fit_N``, ``alt_gamma``, ``alt_u_inf``,
    ``alt_u_inf_stderr``), to show how much :math:`u_\infty` depends on :math:`\gamma`.
    """
    from fractions import Fraction

    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter
    fig, axes = _style.get_axes_pair(axes, figsize)
    N = np.asarray(study["N"], dtype=float)
    mean, se = np.asarray(study["mean"], float), np.asarray(study["stderr"], float)
    std = np.asarray(study["std"], float)
    E0, Einf = study["E_0"], study["E_inf"]
    c_sim, c_fit = _style.colors(2)
    ax = axes[0]
    ax.fill_between(N, mean - std, mean + std, color=c_sim, alpha=0.15, lw=0,
                    gid="simulation-spread", label="spread of the minima (± 1 s.d.)")
    ax.errorbar(N, mean, yerr=se, fmt="o", ms=5, capsize=3, color=c_sim, gid="simulation",
                label=f"mean ± s.e. over {study['hamiltonians']} Hamiltonians "
                      f"({study['starts']} starts each)")
    if study["gamma_fixed"]:
        g = Fraction(study["gamma"]).limit_denominator(12)
        g = f"{g.numerator}/{g.denominator}" if g.denominator > 1 and abs(
            float(g) - study["gamma"]) < 1e-12 else _style.fmt(study["gamma"])
        gam = rf"$\gamma = {g}$ fixed"
    else:
        gam = rf"$\gamma = {study['gamma']:.2f} \pm {study['gamma_stderr']:.2f}$"
    ax.plot(study["fit_N"], study["fit_u"], "-", color=c_fit, lw=_style.THEORY_LW, gid="fit",
            label=rf"fit $u_\infty + c\,N^{{-\gamma}}$, {gam}")
    if study.get("alt_fit_u") is not None:
        ax.plot(study["fit_N"], study["alt_fit_u"], "--", color=c_fit, lw=1.0, gid="fit-alt",
                label=rf"fit with $\gamma = {_style.fmt(study['alt_gamma'])}$: "
                      rf"$u_\infty = {study['alt_u_inf']:.3f} \pm "
                      rf"{study['alt_u_inf_stderr']:.3f}$")
    u_inf, s = study["u_inf"], study["u_inf_stderr"]
    ax.axhspan(u_inf - s, u_inf + s, color=c_fit, alpha=0.25, lw=0, gid="fit-band",
               label=rf"$u_\infty = {u_inf:.3f} \pm {s:.3f}$ (fit)")
    ax.axhline(-Einf, color="k", ls=":", gid="theory",
               label=rf"$-E_\infty = {-Einf:.4f}$ (threshold)")
    ax.axhline(-E0, color="k", ls="--", gid="theory", label=rf"$-E_0 = {-E0:.4f}$")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(float(np.min(study["fit_N"])), float(np.max(study["fit_N"])))
    lo = min(float(np.min(mean - std)), -E0, u_inf - s)
    hi = float(np.max(mean + std))
    ax.set_ylim(lo - 0.05 * (hi - lo), hi + 0.45 * (hi - lo))    # room for the legend
    ax.set_xlabel("number of spins $N$")
    ax.set_ylabel("energy per site of the minima found $u = H_N/N$")
    ax.set_title("(a) minima energies against $N$")
    _style.legend(ax, loc="upper right", fontsize="x-small")
    ax = axes[1]
    for key, label, marker, c in (
            ("fraction_above", r"above $-E_\infty$", "o", c_sim),
            ("fraction_in_band", r"in $[-E_0, -E_\infty]$", "s", c_fit),
            ("fraction_below", r"below $-E_0$", "^", "0.4")):
        y = np.asarray(study[key], dtype=float)
        err = study.get(key + "_stderr")
        ax.errorbar(N, y, yerr=None if err is None else np.asarray(err, float), fmt=marker + "-",
                    ms=5, capsize=3, color=c, gid="simulation", label=label)
    ax.set_xticks(N)
    ax.set_xticklabels([f"{n:g}" for n in N])
    ax.set_ylim(-0.03, 1.25)
    ax.set_xlabel("number of spins $N$")
    ax.set_ylabel("fraction of the minima found")
    ax.set_title("(b) where the minima sit (mean over Hamiltonians)")
    _style.legend(ax, loc="center right")
    fig.suptitle(rf"Spherical {study['p']}-spin glass: minima found by descent sit above the "
                 r"threshold $-E_\infty$, not in the band $[-E_0, -E_\infty]$")
    return fig, axes
