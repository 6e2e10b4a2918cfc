r"""Figures of trained networks: the final losses of many networks against their width beside
the spin-glass minima (Choromanska et al. 2015), and the Hessian's bulk and outliers at the end
of training (Sagun et al. 2017; Papyan 2019).

Arrays in, Figure out: every number (fitted lines included) arrives from
:mod:`rmtland.experiments.trained`; nothing here evaluates a law or a fit.

References
----------
A. Choromanska et al., AISTATS 2015, PMLR 38:192–204, arXiv:1412.0233, Sec. 6.
L. Sagun et al., arXiv:1706.04454 (2017). V. Papyan, ICML 2019, arXiv:1901.08244.
"""
import numpy as np

from . import _style

__all__ = ["plot_trained_losses", "plot_trained_hessian"]

BINS = 25


def _loss_histograms(ax, block, activation, networks):
    widths = block["widths"]
    colors = _style.colors(len(widths))
    allv = np.concatenate([np.asarray(v, float) for v in block["test"]])
    edges = _style.bin_edges(allv, BINS)
    for w, v, r, c in zip(widths, block["test"], block["rows"], colors):
        _style.histogram(ax, v, edges, c, label=(
            f"width {w}: {r['test_mean']:.3f} ± {r['test_std']:.3f} (train "
            f"{r['train_mean']:.3f} ± {r['train_std']:.3f})"
            + ("" if r.get("converged_fraction") is None else
               f", {r['converged_fraction']:.0%} converged")))
    ax.set_xlabel("final test loss (cross-entropy)")
    ax.set_ylabel("density over networks")
    ax.set_title(f"{activation}: test losses of {networks} networks per width")
    _style.legend(ax, loc="upper right")


def plot_trained_losses(curves, *, figsize=(15, 8.4)):
    r"""(top) histograms of the final test losses per width, one panel per activation, and the
    spin-glass minima (mean ± spread of the energy per site against :math:`N`, with the band
    :math:`[-E_0, -E_\infty]`); (bottom) the spread (standard deviation over networks) of the
    train and test losses against the width with the fitted power laws, the train–test
    correlation against the width (Fisher 95% intervals), and the spread of the spin-glass
    minima energies against :math:`N` with its fitted power law.

    ``curves`` is :func:`rmtland.experiments.trained`'s curves dict: ``losses`` (per
    activation: ``widths``, ``train``, ``test``, ``rows``, ``fits`` with ``line``), ``spin``
    (``rows``, ``E_0``, ``E_inf``, ``spread_fit`` with ``line``; may be None), ``networks``.
    """
    fig, axes = _style.new_figure(figsize, 2, 3)
    acts = list(curves["losses"])
    for j, a in enumerate(acts[:2]):
        _loss_histograms(axes[0, j], curves["losses"][a], a, curves["networks"])
    ax = axes[1, 0]
    colors = _style.colors(max(len(acts), 2), _style.CMAP_INDEX)
    for a, c in zip(acts, colors):
        block = curves["losses"][a]
        w = np.asarray(block["widths"], float)
        for which, marker, ls in (("test", "o", "-"), ("train", "s", "--")):
            std = [r[f"{which}_std"] for r in block["rows"]]
            se = [r[f"{which}_std_stderr"] for r in block["rows"]]
            ax.errorbar(w, std, yerr=se, fmt=marker, color=c, ms=4, capsize=2,
                        gid="simulation", mfc=c if which == "test" else "none")
            fit = next((f for f in block["fits"] if f["loss"] == which), None)
            if fit is not None and fit.get("line") is not None:
                se_txt = "" if fit["stderr"] is None else f" ± {fit['stderr']:.2f}"
                ax.plot(*fit["line"], ls=ls, color=c, lw=1, gid="fit",
                        label=f"{a} {which}: std ∝ width^({fit['exponent']:.2f}{se_txt})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("hidden width")
    ax.set_ylabel("std of final loss over networks")
    ax.set_title("spread of the losses against width (± s.e.)")
    _style.legend(ax, loc="best")
    ax = axes[1, 1]
    for a, c in zip(acts, colors):
        rows = curves["losses"][a]["rows"]
        ok = [r for r in rows if r["train_test_corr"] is not None]
        if ok:
            w = np.array([r["width"] for r in ok], float)
            r_ = np.array([r["train_test_corr"] for r in ok])
            ci = np.array([r["train_test_corr_ci95"] for r in ok])
            ax.errorbar(w, r_, yerr=[r_ - ci[:, 0], ci[:, 1] - r_], fmt="o-", color=c, ms=4,
                        capsize=2, gid="simulation", label=a)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("hidden width")
    ax.set_ylabel("Pearson r (train, test loss)")
    ax.set_title("train–test correlation against width (95% CI)")
    _style.legend(ax, loc="best")
    spin = curves.get("spin")
    ax_top, ax_bot = axes[0, 2], axes[1, 2]
    if spin:
        N = np.array([r["N"] for r in spin["rows"]], float)
        mean = np.array([r["mean"] for r in spin["rows"]])
        std = np.array([r["std"] or 0.0 for r in spin["rows"]])
        ax_top.errorbar(N, mean, yerr=std, fmt="o", color="C0", capsize=3, gid="simulation",
                        label="minima found: mean ± std")
        ax_top.axhline(-spin["E_0"], color="k", ls="--", gid="theory",
                       label=rf"$-E_0 = {-spin['E_0']:.4f}$")
        ax_top.axhline(-spin["E_inf"], color="k", ls=":", gid="theory",
                       label=rf"$-E_\infty = {-spin['E_inf']:.4f}$")
        ax_top.set_xscale("log")
        ax_top.set_xlabel("N (spins)")
        ax_top.set_ylabel("energy per site of the minima")
        ax_top.set_title(f"spherical {spin['p']}-spin: minima by descent")
        _style.legend(ax_top, loc="best")
        ok = std > 0
        ax_bot.plot(N[ok], std[ok], "o", color="C0", gid="simulation")
        fit = spin.get("spread_fit")
        if fit is not None and fit.get("line") is not None:
            se_txt = "" if fit["stderr"] is None else f" ± {fit['stderr']:.2f}"
            ax_bot.plot(*fit["line"], "-", color="C0", lw=1, gid="fit",
                        label=f"std ∝ N^({fit['exponent']:.2f}{se_txt})")
        ax_bot.set_xscale("log")
        ax_bot.set_yscale("log")
        ax_bot.set_xlabel("N (spins)")
        ax_bot.set_ylabel("std of the minima energies")
        ax_bot.set_title("spin glass: spread against N")
        _style.legend(ax_bot, loc="best")
    else:
        ax_top.set_axis_off()
        ax_bot.set_axis_off()
    fig.suptitle("Final losses of independently trained networks on the digits (CHO15 "
                 "Sec. 6) beside the spin-glass minima")
    return fig, axes


def plot_trained_hessian(curves, *, figsize=(12, 8.4)):
    r"""(a) the spectra of :math:`H`, :math:`H_0`, :math:`H_1` of one trained network at the
    largest K (histogram, log counts) with the bulk edge; (b) the top eigenvalues of
    :math:`H` (rank plot) per K with each bulk edge; (c) outliers of :math:`H` against K
    (mean ± s.e. over networks) with the lines K and K − 1 and the fitted line; (d) the bulk
    edge against the number of parameters, coloured by K.

    ``curves``: ``rows`` (:func:`rmtland.experiments.trained.hessian_study` rows), ``fits``,
    ``width``, ``spectra`` (label -> ``H``, ``H0``, ``H1``, ``edge``), and ``lines``
    (``K``, ``fit`` arrays) from the experiments layer.
    """
    fig, axes = _style.new_figure(figsize, 2, 2)
    spectra = curves["spectra"]
    labels = list(spectra)
    ax = axes[0, 0]
    last = spectra[labels[-1 if len(labels) == 1 else _largest_k(labels, curves)]]
    allv = np.concatenate([last["H"], last["H0"], last["H1"]])
    edges = np.linspace(float(allv.min()), float(allv.max()), 80)
    for key, c in (("H", "C0"), ("H0", "C1"), ("H1", "C2")):
        counts, _ = np.histogram(last[key], edges)
        ax.stairs(np.maximum(counts, 0.8), edges, color=c, lw=1, gid="simulation", label=key)
    rule = curves["rows"][0].get("rule", "widest_gap")
    ax.axvline(last["edge"], color="k", ls="--", gid="fit", label=f"bulk edge ({rule} rule)")
    ax.set_yscale("log")
    ax.set_ylim(bottom=0.7)
    ax.set_xlabel("eigenvalue")
    ax.set_ylabel("count")
    ax.set_title(f"(a) spectrum at the end of training ({labels[_largest_k(labels, curves)]})")
    _style.legend(ax, loc="upper right")
    ax = axes[0, 1]
    rows = [r for r in curves["rows"] if r["width"] == curves["width"]]
    colors = _style.colors(len(rows))
    for r, c in zip(rows, colors):
        s = spectra[f"K={r['classes']}, h={r['width']}"]
        top = np.sort(s["H"])[::-1][:30]
        top = top[top > 0]
        ax.plot(np.arange(1, top.size + 1), top, "o-", ms=3, lw=0.8, color=c,
                gid="simulation", label=f"K = {r['classes']}")
        ax.axhline(s["edge"], color=c, ls=":", lw=0.8, gid="fit")
    ax.set_yscale("log")
    ax.set_xlabel("rank")
    ax.set_ylabel("eigenvalue of H")
    ax.set_title("(b) top (positive) eigenvalues of H; dotted: bulk edges")
    _style.legend(ax, loc="upper right")
    ax = axes[1, 0]
    K = np.array([r["classes"] for r in rows], float)
    o = np.array([r["outliers_mean"] for r in rows], float)
    se = np.array([r["outliers_stderr"] or 0.0 for r in rows])
    angles = [r["angle_max"] for r in rows if r.get("angle_max") is not None]
    angle_txt = (f"\ntop K − 1 eigenvectors of H within {min(angles):.0f}°–{max(angles):.0f}° of "
                 "the class-mean gradients" if angles else "")
    ax.errorbar(K, o, yerr=se, fmt="o", color="C0", capsize=3, gid="simulation",
                label="outliers of H (mean ± s.e.)")
    o0 = np.array([r["outliers_h0"] for r in rows], float)
    ax.plot(K, o0, "s", mfc="none", color="C1", gid="simulation",
            label="outliers of H0")
    og = np.array([r["outliers_gap"] for r in rows], float)
    ax.plot(K, og, "^", mfc="none", color="C2", gid="simulation",
            label="outliers of H, widest-gap rule")
    lines = curves.get("lines", {})
    if "K" in lines:
        ax.plot(lines["K"], lines["K"], "k--", lw=0.8, gid="reference", label="K")
        ax.plot(lines["K"], np.asarray(lines["K"]) - 1, "k:", lw=0.8, gid="reference",
                label="K − 1")
    if lines.get("fit") is not None:
        f = curves["fits"]["outliers_vs_classes"]
        se_txt = "" if f["slope_stderr"] is None else f" ± {f['slope_stderr']:.2f}"
        ax.plot(lines["K"], lines["fit"], "-", color="C0", lw=1, gid="fit",
                label=f"fit: slope {f['slope']:.2f}{se_txt}")
    ax.set_xlabel("number of classes K")
    ax.set_ylabel("outliers above the bulk edge")
    ax.set_title(f"(c) outliers against K (width {curves['width']}, {rule} rule){angle_txt}",
                 fontsize="medium")
    top = float(np.nanmax(np.concatenate([o + se, o0, og, [1.0]])))
    ax.set_ylim(0, 1.7 * top)                   # the legend sits above the points
    _style.legend(ax, loc="upper left", ncol=2, fontsize="small")
    ax = axes[1, 1]
    allK = sorted({r["classes"] for r in curves["rows"]})
    kc = dict(zip(allK, _style.colors(len(allK))))
    for r in curves["rows"]:
        ax.errorbar(r["parameters"], r["bulk_edge"], yerr=r["bulk_edge_stderr"] or 0.0,
                    fmt="o" if r["width"] == curves["width"] else "s", color=kc[r["classes"]],
                    capsize=2, gid="simulation",
                    label=f"K = {r['classes']}, width {r['width']}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters n")
    ax.set_ylabel("bulk edge (largest non-outlier eigenvalue of H)")
    ax.set_title("(d) bulk edge against parameters and K")
    _style.legend(ax, loc="best")
    fig.suptitle(f"Hessian of trained {curves['rows'][0]['activation']} networks "
                 "(cross-entropy, first K digit classes): bulk and outliers")
    return fig, axes


def _largest_k(labels, curves):
    """Index in ``labels`` of the spectrum at the largest K and the main width."""
    best, idx = -1, len(labels) - 1
    for i, r in enumerate(curves["rows"]):
        if r["width"] == curves["width"] and r["classes"] > best:
            best, idx = r["classes"], i
    return idx
