r"""Figure of a PyTorch model's Hessian spectra (``rmtland spectrum --torch``): one panel per
part (:math:`H`, :math:`H_0`, :math:`H_1`), the whole selection's density (histogram of the
dense eigenvalues, or the SLQ/KPM density with its ±2 s.e. band), each layer's block as an
outline, the fitted law's density when a law was fitted, and the top eigenvalues as ticks.

Arrays in, Figure out: every number arrives from :mod:`rmtland.experiments.spectrum`; nothing
here evaluates a law or a spectrum (histogram binning is presentation).
"""
import numpy as np

from . import _style

__all__ = ["plot_spectrum"]

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
    top = np.asarray(p["top"], float)
    if top.size:
        lo, hi = ax.get_ylim()
        ax.plot(top, np.full(top.size, hi * 0.5 if logy else 0.9 * hi), "v", color="C3",
                ms=5, label=f"top {top.size}")
    if logy:
        ax.set_yscale("log")
        ymax = ax.get_ylim()[1]
        ax.set_ylim(max(ymax * 1e-6, ax.get_ylim()[0]), ymax * 2)
    se = "" if p["index_stderr"] is None else f" ± {_style.fmt(p['index_stderr'])}"
    ax.set_title(f"{p['part']}: index {_style.fmt(p['index'])}{se}", fontsize="medium")
    ax.set_xlabel("eigenvalue")
    ax.set_ylabel("density")
    _style.legend(ax, loc="upper right", fontsize="x-small")
