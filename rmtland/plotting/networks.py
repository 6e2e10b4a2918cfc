r"""Figures of real networks against the theory: index against loss at critical points, the
freeness test, and the exact landscape of linear networks.

Arrays in, Figure out: every number arrives from :mod:`rmtland.experiments.networks` (which
computes the theory through :mod:`rmtland.compare`); nothing here evaluates the theory.

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
Theory", ICML 2017, PMLR 70:2798–2806 (PB17), Sec. 5.
P. Baldi, K. Hornik, "Neural networks and principal component analysis: learning from
examples without local minima", Neural Networks 2, 53 (1989),
doi:10.1016/0893-6080(89)90014-2.
"""
import numpy as np
from matplotlib.ticker import NullFormatter

from . import _style

__all__ = ["plot_network_study", "plot_network_run", "plot_freeness", "plot_linear_landscape"]


_KS_TESTS = {"ks_free_convolution": ("o", "free convolution of spec $H_0$, spec $H_1$"),
             "ks_rotated": ("s", r"$H_0 + Q H_1 Q^\top$, Haar $Q$"),
             "ks_pennington_bahri": ("^", "PB17 law, matched moments")}


_FREENESS_TITLES = {
    "ks_free_convolution": "(a) to the free convolution of spec $H_0$ and spec $H_1$",
    "ks_rotated": r"(b) to spec($H_0 + Q H_1 Q^\top$), Haar $Q$",
    "ks_pennington_bahri": "(c) to the PB17 law with matched moments"}


def _index_panel(ax, groups, colors):
    for g, c in zip(groups, colors):
        eps = np.asarray(g["loss"], dtype=float)
        if not eps.size:
            continue
        order = np.argsort(eps)
        label = g.get("label") or rf"$\varphi = {g['phi']:.3g}$"
        ax.plot(eps, g["index"], "o", color=c, ms=4, gid="simulation",
                label=f"{label}: {eps.size} critical points")
        th = np.asarray(g["theory_index"], dtype=float)
        ok = np.isfinite(th[order])
        ax.plot(eps[order][ok], th[order][ok], "--", marker="s", mfc="none", ms=4, color=c,
                lw=1, gid="theory")
        if g.get("fit_line") is not None:
            ax.plot(*g["fit_line"], "-", color=c, lw=_style.THEORY_LW, gid="fit")
    ax.plot([], [], "--", marker="s", mfc="none", color="0.3", lw=1,
            label="PB17 law at each point's matched $(\\varphi, \\varepsilon)$")
    ax.set_xlabel(r"loss $\varepsilon$ at the critical point")
    ax.set_ylabel(r"index $\alpha$ (fraction of negative eigenvalues)")
    ax.set_title(r"(a) index against loss (PB17 Sec. 5)")
    _style.legend(ax, loc="upper left", fontsize="small")


def plot_network_study(study, memorisation_curve, *, figsize=(11, 4.4), axes=None):
    r"""(a) index fraction :math:`\alpha` against the loss :math:`\varepsilon` at the critical
    points found (simulation, points, one colour per :math:`\varphi` and task), beside the
    Pennington–Bahri index at each point's matched :math:`(\varphi, \varepsilon)` (theory, open
    markers joined by a line) and, when a fit resolves the exponent, the fitted
    :math:`\alpha_0((\varepsilon - \varepsilon_c)/\varepsilon_c)^{\gamma}` (line); (b) the
    memorisation loss against :math:`\varphi`: per data set the lowest and the mean loss over
    all its minimisation end points (finite or at infinity), each as mean ± standard error
    over the data sets, beside PB's :math:`\tfrac12(1-\varphi)^2`
    (``memorisation_curve = (phi, loss)``, line); the legend gives the data sets and the
    share of end points the finder called finite.

    ``study`` is :func:`rmtland.experiments.networks.network_study`'s dict.
    """
    fig, axes = _style.get_axes_pair(axes, figsize)
    groups = study["groups"]
    colors = _style.colors(len(groups), _style.CMAP_INDEX)
    _index_panel(axes[0], groups, colors)
    ax = axes[1]
    ax.plot(*memorisation_curve, "-", color="k", lw=_style.THEORY_LW, gid="theory",
            label=r"PB17: $\frac{1}{2}(1-\varphi)^2$ ($\varphi < 1$), 0 above")
    for r, c in zip(study["runs"], colors):
        memo = r.get("memorisation")
        if memo is None:
            continue
        mins = r["minima"]
        starts = sum(mins["status"].values())
        for name, marker, shift in (("lowest", "v", 0.97), ("mean", "o", 1.03)):
            st = memo["statistics"][name]
            err = st["stderr"] if st["stderr"] is not None else 0.0
            ax.errorbar([r["phi"] * shift], [st["mean"]], yerr=[err], fmt=marker, color=c,
                        capsize=3, gid="simulation",
                        label=(rf"$\varphi = {r['phi']:.3g}$: {memo['data_sets']} data sets, "
                               f"{mins['finite_starts']}/{starts} end points finite"
                               if name == "lowest" else None))
    ax.plot([], [], "v", color="0.3", ls="none",
            label=r"lowest end-point loss per data set (mean $\pm$ s.e.)")
    ax.plot([], [], "o", color="0.3", ls="none",
            label=r"mean end-point loss per data set (mean $\pm$ s.e.)")
    ax.set_xscale("log")
    ax.set_xlabel(r"$\varphi$ = parameters / (outputs $\times$ samples)")
    ax.set_ylabel(r"loss $\varepsilon$ at the minimisation end points")
    ax.set_title("(b) memorisation loss at the end points (PB17)")
    ax.xaxis.set_minor_formatter(NullFormatter())           # no crowded minor tick labels
    ax.set_xticks([0.25, 0.5, 1, 2], labels=["0.25", "0.5", "1", "2"])
    ax.set_ylim(bottom=0)
    _style.legend(ax, loc="upper right", fontsize="small")
    fig.suptitle(study["title"])
    return fig, axes


def plot_network_run(study, *, figsize=(11, 4.2), axes=None):
    r"""One ``simulate network`` run: (a) as in :func:`plot_network_study`; (b) the three
    freeness KS distances per point against the loss, with the largest distance over the
    PB-model draws of the same size at each point (the noise reference; grey crosses)."""
    fig, axes = _style.get_axes_pair(axes, figsize)
    groups = study["groups"]
    colors = _style.colors(len(groups), _style.CMAP_INDEX)
    _index_panel(axes[0], groups, colors)
    ax = axes[1]
    top = 0.0
    for key, (marker, label) in _KS_TESTS.items():
        first = True
        for g, c in zip(groups, colors):
            ks = np.asarray(g["ks"].get(key, []), dtype=float)
            if ks.size and np.isfinite(ks).any():
                top = max(top, float(np.nanmax(ks)))
                ax.plot(g["ks_loss"], ks, marker, mfc="none" if marker != "o" else c,
                        color=c, ms=5, ls="none", gid="simulation",
                        label=label if first else None)
                ref = np.asarray(g["ks_reference"].get(key, []), dtype=float)
                if np.isfinite(ref).any():
                    ax.plot(g["ks_loss"], ref, "x", color="0.5", ms=4, ls="none",
                            gid="reference")
                first = False
    ax.plot([], [], "x", color="0.5", ls="none",
            label="largest over PB-model draws of the same size")
    ax.set_xlabel(r"loss $\varepsilon$ at the critical point")
    ax.set_ylabel("KS distance of spec $H$ to")
    ax.set_title("(b) freeness test at each critical point")
    ax.set_ylim(0, 1.6 * top if top > 0 else 1.0)      # room for the legend above the points
    _style.legend(ax, loc="upper right", fontsize="small")
    fig.suptitle(study["title"])
    return fig, axes


def plot_freeness(study, *, figsize=(14, 4.4), axes=None):
    r"""The three freeness tests of :func:`rmtland.compare.networks.freeness_test`, one panel
    each: the KS distance of :math:`\mathrm{spec}(H)` at every tested critical point against
    its loss (simulation, one colour per :math:`\varphi` and task) and, at the same loss, the
    largest distance over the PB-model draws of the same size and matched parameters (the
    noise reference, grey crosses). Points well above their crosses are where freeness (or
    the PB law) fails at this size.  Each panel's title gives the share of tested points
    whose p-value against the Haar null (their own :math:`H_1` rotated) is at most 0.05,
    ± its binomial standard error (about 0.05 under freeness)."""
    if axes is None:
        fig, axes = _style.new_figure(figsize, ncols=3)
        axes = axes[0]
    else:
        fig = axes[0].figure
    groups = study["groups"]
    colors = _style.colors(len(groups), _style.CMAP_INDEX)
    for ax, (key, (marker, title)) in zip(axes, _KS_TESTS.items()):
        top = 0.0
        for g, c in zip(groups, colors):
            ks = np.asarray(g["ks"].get(key, []), dtype=float)
            if not ks.size:
                continue
            label = g.get("label") or rf"$\varphi = {g['phi']:.3g}$"
            ax.plot(g["ks_loss"], ks, marker, color=c, ms=5, ls="none", gid="simulation",
                    label=label)
            ref = np.asarray(g["ks_reference"].get(key, []), dtype=float)
            ax.plot(g["ks_loss"], ref, "x", color="0.5", ms=4, ls="none", gid="reference")
            top = max(top, np.nanmax(np.concatenate([ks, ref, [0.0]])))
        ax.plot([], [], "x", color="0.5", ls="none",
                label="largest over PB-model draws (same size)")
        ax.set_xlabel(r"loss $\varepsilon$ at the critical point")
        ax.set_ylabel("KS distance of spec $H$")
        rate = study.get("freeness_rejection", {}).get(key)
        note = ""
        if rate and rate["p_points"]:
            note = (f"\np ≤ 0.05 (Haar null): {rate['rejected']:.2f} ± "
                    f"{rate['rejected_stderr']:.2f} of {rate['p_points']} points")
        ax.set_title(_FREENESS_TITLES[key] + note, fontsize="medium")
        ax.set_ylim(0, 1.45 * top if top > 0 else 1.0)    # room for the legend above
        _style.legend(ax, loc="upper right", fontsize="x-small")
    fig.suptitle(study["title"].replace("critical points against PB17",
                                        "is H1 free from H0 at the critical points?"))
    return fig, axes


def plot_linear_landscape(landscape, *, figsize=(17, 4.4), axes=None):
    r"""Linear networks: (a) the exact Baldi–Hornik critical points of ``d → p → k`` (theory,
    open circles: loss against the number of negative Hessian eigenvalues) and the points the
    numerical finder recovered (simulation, filled dots), with the recall by class and by loss
    level; the loss levels the finder reached at depth 3 (``d → p → p → k``, crosses at the
    right); (b) Kawaguchi's saddle at the origin of the depth-3 network: the loss drop
    :math:`L(0) - L(tv)` along the escape direction (simulation, points) against
    :math:`at^3 - bt^6` (theory, line), log-log; (c) when ``landscape["tasks"]`` is there and
    a third Axes is (the default): classes found against the number of starts (log x), one
    line per task and start design, filled markers where the global minimum is among them,
    with the global minimum's basin frequency in the legend. ``axes``: 2 or 3 Axes."""
    if axes is None:
        fig, grid = _style.new_figure(figsize, 1, 3)
        axes = grid[0]
    fig = axes[0].figure
    ax = axes[0]
    ax.plot(landscape["exact_index_count"], landscape["exact_loss"], "o", mfc="none", ms=9,
            color="k", ls="none", gid="theory",
            label=f"exact (Baldi & Hornik): {len(landscape['exact_loss'])} points")
    ax.plot(landscape["found_index_count"], landscape["found_loss"], "o", ms=4, color="C3",
            ls="none", gid="simulation",
            label=(f"found, depth 2, {landscape['starts']} starts: "
                   + (f"{landscape['classes_found']}/{landscape['classes']} classes, "
                      if "classes" in landscape else "")
                   + f"{landscape['levels_found']}/{landscape['levels']} levels, "
                   f"{landscape['spurious']} spurious"))
    deep = landscape["deep"]
    if deep["found_loss"]:
        x = max(landscape["exact_index_count"]) + 1.5
        ax.plot(np.full(len(deep["found_loss"]), x), deep["found_loss"], "x", ms=7,
                color="C0", ls="none", gid="simulation",
                label=f"found, depth 3 (loss only): recall {deep['recall']:.0%}, "
                      f"{deep['spurious']} spurious")
    ax.set_xlabel("number of negative Hessian eigenvalues (depth 2)")
    ax.set_ylabel(r"loss $\varepsilon$")
    ax.set_title((f"(a) {landscape['data'][0]} data: " if landscape.get("data") else "(a) ")
                 + f"{landscape['d']} → {landscape['p']} → {landscape['k']} "
                 f"(and {landscape['d']} → {landscape['p']} → {landscape['p']} → "
                 f"{landscape['k']})", fontsize="medium")
    _style.legend(ax, loc="lower right", fontsize="small")   # high-index saddles: upper right
    ax = axes[1]
    kw = landscape["kawaguchi"]
    ax.loglog(kw["t"], kw["drop_theory"], "-", color="k", lw=_style.THEORY_LW, gid="theory",
              label=r"$a t^3 - b t^6$ (closed form)")
    ax.loglog(kw["t"], kw["drop"], "o", color="C3", ms=5, ls="none", gid="simulation",
              label="network engine")
    ax.set_xlabel(r"distance $t$ from the origin along the escape direction $v$")
    ax.set_ylabel(r"loss drop $L(0) - L(tv)$")
    ax.set_title(f"(b) depth 3: a saddle with Hessian max|λ| = "
                 f"{kw['hessian_max_abs_eigenvalue']:.1g} at the origin", fontsize="medium")
    _style.legend(ax, loc="upper left", fontsize="small")
    if len(axes) > 2 and landscape.get("tasks"):
        ax = axes[2]
        styles = {"random": "-", "descent": "--", "scales": ":"}
        for ci, (name, task) in enumerate(landscape["tasks"].items()):
            for design, lad in task["designs"].items():
                x = np.asarray(lad["starts"])
                y = np.asarray(lad["classes_found"])
                gm = np.asarray(lad["global_minimum_found"], dtype=bool)
                need = lad["starts_needed_global_minimum"]
                allc = lad["starts_needed_all_classes"]
                ax.plot(x, y, styles.get(design, ":"), color=f"C{ci}", gid="simulation",
                        label=(f"{name}, {design}: global min. in "
                               f"{lad['global_minimum_frequency']:.1%} of starts, first at "
                               + (f"{need}" if need else f"none of {lad['starts_run']}")
                               + "; all classes at "
                               + (f"{allc}" if allc else f"none of {lad['starts_run']}")))
                ax.plot(x[gm], y[gm], "o", color=f"C{ci}", ms=5, ls="none", gid="simulation")
                ax.plot(x[~gm], y[~gm], "o", mfc="none", color=f"C{ci}", ms=5, ls="none",
                        gid="simulation")
        classes = next(iter(landscape["tasks"].values()))["designs"]
        total = next(iter(classes.values()))["classes"]
        ax.axhline(total, color="k", lw=_style.THEORY_LW, gid="theory",
                   label=f"all {total} Baldi–Hornik classes")
        ax.set_xscale("log")
        ax.set_xticks(x, [str(v) for v in x], minor=False)
        ax.minorticks_off()
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("starts (nested: the first n starts of one run)")
        ax.set_ylabel("classes found (depth 2)")
        ax.set_title("(c) classes found against starts (filled: global minimum found)",
                     fontsize="medium")
        _style.legend(ax, loc="lower right", fontsize="x-small")
    fig.suptitle(landscape["title"])
    return fig, axes
