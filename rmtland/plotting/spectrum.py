r"""Figure of a PyTorch model's Hessian spectra (``rmtland spectrum --torch``): one panel per
part (:math:`H`, :math:`H_0`, :math:`H_1`), the whole selection's density (histogram of the
dense eigenvalues, or the SLQ/KPM density with its ±2 s.e. band), each layer's block as an
outline, the fitted law's density when a law was fitted, and the top eigenvalues as ticks.

Arrays in, Figure out: every number arrives from :mod:`rmtland.experiments.spectrum`; nothing
here evaluates a law or a spectrum (histogram binning is presentation).
"""
import numpy as np

from . import _style

__all__ = ["plot_spectrum", "plot_class_mean_study"]

BINS = 80


def plot_spectrum(panels, *, title=None, bins=BINS, logy=True, axes=None):
    r"""One panel per entry of ``panels`` (dicts of
    :func:`rmtland.experiments.spectrum._curves`: ``part``, ``method``, ``eigenvalues`` or
    ``x``/``density``/``density_stderr``, ``layers`` (name -> eigenvalues or density on
    ``layers_x``), ``top``, ``fit_x``/``fit_density``/``fit_label``, ``index``,
    ``index_stderr``).  ``logy``: density on a log scale (a trained network's spectrum is a
    tall peak near 0 and a long tail of outliers).  Returns ``(fig, axes)``."""
    if axes is None:
        fig, grid = _style.new_figure((4.6 * len(panels), 3.8), 1, len(panels))
        axes = list(grid[0])
    else:
        fig = axes[0].figure
    for ax, p in zip(axes, panels):
        _panel(ax, p, bins, logy)
    if title:
        fig.suptitle(title, fontsize="medium")
    return fig, axes


def _panel(ax, p, bins, logy):
    color = _style.colors(1)[0]
    layer_colors = _style.colors(max(len(p["layers"]), 1), cmap="plasma")
    dense = p["eigenvalues"] is not None
    if dense:
        w = np.asarray(p["eigenvalues"], float)
        edges = _style.bin_edges(w, bins)
        _style.histogram(ax, w, edges, color, label=f"{p['part']} (dense, n = {w.size})")
        for (name, lw), col in zip(p["layers"].items(), layer_colors):
            lw = np.asarray(lw, float)
            counts, _ = np.histogram(lw, bins=edges)
            ax.stairs(counts / (w.size * np.diff(edges)), edges, color=col, lw=0.9,
                      label=f"layer {name} (n = {lw.size}, share of n)")
    else:
        x, d = np.asarray(p["x"], float), np.asarray(p["density"], float)
        ax.plot(x, d, color=color, lw=1.2, label=f"{p['part']} ({p['method']})")
        if p["density_stderr"] is not None:
            se = np.asarray(p["density_stderr"], float)
            ax.fill_between(x, np.maximum(d - 2 * se, 0), d + 2 * se, color=color, alpha=0.25,
                            lw=0, label="± 2 s.e.")
        for (name, ld), col in zip(p["layers"].items(), layer_colors):
            ax.plot(p["layers_x"][name], ld, color=col, lw=0.9, label=f"layer {name}")
    if p["fit_x"] is not None:
        ax.plot(p["fit_x"], p["fit_density"], color="k", lw=_style.THEORY_LW,
                label=p["fit_label"])
    if logy:
        ax.set_yscale("log")
        ymax = ax.get_ylim()[1]
        ax.set_ylim(max(ymax * 1e-6, ax.get_ylim()[0]), ymax * 2)
    top = np.asarray(p["top"], float)
    if top.size:                                  # ticks along the bottom of the panel
        ax.plot(top, np.zeros(top.size), "^", color="C3", ms=6, clip_on=False,
                transform=ax.get_xaxis_transform(), label=f"top {top.size} eigenvalues")
    se = (" (exact)" if not p["index_stderr"] and p["method"] == "dense" else
          "" if p["index_stderr"] is None else f" ± {_style.fmt(p['index_stderr'])}")
    ax.set_title(f"{p['part']}: index {_style.fmt(p['index'])}{se}", fontsize="medium")
    ax.set_xlabel("eigenvalue")
    ax.set_ylabel("density")
    _style.legend(ax, loc="upper right", fontsize="x-small")


def plot_class_mean_study(rows, *, bins=BINS, title=None):
    r"""The worked example's figure (``simulations/torch_digits.py``), one row per model of
    ``rows`` (``(label, curves)``, ``curves`` of
    :func:`rmtland.experiments.spectrum.class_mean_study`): (a) the dense spectra of
    :math:`H`, :math:`H_0`, :math:`H_1` (log density); (b) each layer's diagonal block of
    :math:`H`; (c) the bulk of :math:`H` with the fitted laws (KS, p-value); (d) the top
    eigenvalues of :math:`H` against the class-mean strengths :math:`\theta_c`, their
    free-spike locations :math:`\lambda(\theta_c)` from each fit and the first-order
    :math:`\theta_c + u_c^\top(H - B)u_c`.  Returns ``(fig, axes)``."""
    fig, axes = _style.new_figure((18, 4.2 * len(rows)), len(rows), 4)
    for (label, c), ax in zip(rows, axes):
        _study_row(ax, label, c, bins)
    if title:
        fig.suptitle(title, fontsize="medium")
    return fig, axes


def _study_row(ax, label, c, bins):
    import matplotlib.ticker as mticker
    part_colors = dict(zip(("H", "H0", "H1"), _style.colors(3)))
    e = np.asarray(c["eigenvalues"]["H"], float)
    allv = np.concatenate([np.asarray(v, float) for v in c["eigenvalues"].values()])
    edges = _style.bin_edges(allv, bins)
    for part, w in c["eigenvalues"].items():
        w = np.asarray(w, float)
        counts, _ = np.histogram(w, bins=edges)
        ax[0].stairs(counts / (w.size * np.diff(edges)), edges, color=part_colors[part],
                     lw=1.1, fill=part == "H", alpha=0.35 if part == "H" else 1.0, label=part)
    ax[0].set_yscale("log")
    ax[0].set_title(f"({label}) spectra of H, H0, H1", fontsize="medium")
    lcol = _style.colors(max(len(c["layers"]), 1), cmap="plasma")
    ledges = _style.bin_edges(e, bins)
    for (name, w), col in zip(c["layers"].items(), lcol):
        w = np.asarray(w, float)
        counts, _ = np.histogram(w, bins=ledges)
        ax[1].stairs(counts / (w.size * np.diff(ledges)), ledges, color=col, lw=1.1,
                     label=f"layer {name} (n = {w.size})")
    ax[1].set_yscale("log")
    ax[1].set_title(f"({label}) H per layer (diagonal blocks)", fontsize="medium")
    # (c) the bulk: the eigenvalues the fits kept (outliers by the rule left out of view)
    hi = float(c["bulk_hi"])
    bulk = e[e <= hi]
    bedges = _style.bin_edges(bulk, bins)
    _style.histogram(ax[2], bulk, bedges, part_colors["H"], label=f"H ({bulk.size} of "
                                                                   f"{e.size})")
    for (key, f), ls in zip(c["fits"].items(), ("-", "--", "-.", ":")):
        p = c["p_values"][key]
        x = np.asarray(f["x"], float)
        keep = (x >= bedges[0]) & (x <= bedges[-1])
        ax[2].plot(x[keep], np.asarray(f["density"], float)[keep], color="k", ls=ls, lw=1.2,
                   label=f"{key}: KS {_style.fmt(c['ks'][key])}, p {_style.fmt(p)}")
    ax[2].set_yscale("log")
    ax[2].set_ylim(bottom=1e-3 * max(ax[2].get_ylim()[1], 1e-300))
    ax[2].set_title(f"({label}) bulk of H and fitted laws", fontsize="medium")
    # (d) outliers
    r = np.arange(1, len(c["observed"]) + 1)
    ax[3].plot(r, c["observed"], "o", color="C3", label="observed top eigenvalues of H")
    ax[3].plot(r, c["theta"], "s", mfc="none", color="C0", label=r"$\theta_c$ (class means)")
    for (key, f), mk in zip(c["fits"].items(), ("v", "^", "<", ">")):
        pred = np.array([np.nan if v is None else v for v in f["predicted"]], float)
        if np.any(np.isfinite(pred)):
            ax[3].plot(r, pred, mk, mfc="none", ms=5, alpha=0.8,
                       label=rf"$\lambda(\theta_c)$, {key}")
    ax[3].plot(r, c["first_order"], "x", color="k",
               label=r"$\theta_c + u_c^\top(H-B)u_c$")
    ax[3].set_yscale("log")
    ax[3].set_xlabel("rank")
    ax[3].xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax[3].set_title(f"({label}) outliers: observed and predicted", fontsize="medium")
    for a in ax[:3]:
        a.set_xlabel("eigenvalue")
        a.set_ylabel("density")
    for a in ax:
        _style.legend(a, loc="upper right", fontsize="x-small")
