r"""Figure of a law fitted to a measured spectrum (``rmtland fit``): the bulk's histogram with
the fitted density, the outliers and the predicted outlier locations marked, and the residual
CDF.

Arrays in, Figure out: every number arrives from :func:`rmtland.compare.fit.fit_curves`
(through :mod:`rmtland.experiments.fit`); nothing here evaluates a law or a fit.
"""
import numpy as np

from . import _style

__all__ = ["plot_fit"]

BINS = 60
#: outliers beyond this many bulk widths right of the bulk are listed, not drawn to scale
FAR = 0.5


def plot_fit(curves, *, title=None, bins=BINS, figsize=(11, 4.2), axes=None):
    r"""(left) histogram of the bulk (weighted by the SLQ weights for SLQ input) with the
    fitted density as a line, the outliers as red ticks and the predicted locations of the
    supplied spikes as open triangles; (right) the residual :math:`\hat F(x) - F(x)` of the
    empirical CDF (at the middle of each jump) against the fitted one at the bulk points, with
    :math:`\pm` the KS distance.

    ``curves``: :func:`rmtland.compare.fit.fit_curves`.  Returns ``(fig, axes)``.
    """
    fig, (ax, ar) = _style.get_axes_pair(axes, figsize)
    pts = np.asarray(curves["points"], float)
    w = np.asarray(curves["weights"], float)
    x = np.asarray(curves["x"], float)
    edges = _style.bin_edges(np.concatenate([pts, x[[0, -1]]]), bins, x[0], x[-1])
    counts, edges = np.histogram(pts, bins=edges, weights=w)
    heights = counts / np.diff(edges)
    color = _style.colors(1)[0]
    ax.stairs(heights, edges, fill=True, color=color, alpha=0.25, lw=0, label="bulk (data)")
    ax.stairs(heights, edges, fill=False, color=color, alpha=0.75, lw=0.8)
    ax.plot(x, curves["density"], color="k", lw=_style.THEORY_LW,
            label=f"fitted {curves['law']}")
    for loc, mass in curves["atoms"]:
        ax.axvline(loc, color="k", ls=":", lw=1, label=f"atom {_style.fmt(mass)} at "
                                                      f"{_style.fmt(loc)}")
    top = float(np.max(heights)) if heights.size else 1.0
    dmax = float(np.max(curves["density"])) if len(curves["density"]) else top
    pos = heights[heights > 0]
    typical = float(np.median(pos)) if pos.size else top
    if max(dmax, top) > 50 * typical:  # a spike (data or fit) would squash the rest: log scale
        ax.set_yscale("log")
        ax.set_ylim(min(typical, top) * 1e-2, 2 * max(top, dmax))
    out = np.asarray(curves["outliers"], float)
    pred = np.asarray(curves["predicted"], float)
    # outliers far right of the bulk (beyond FAR bulk widths) are listed at the right edge
    # instead of stretching the axis until the bulk is one bin wide
    width = x[-1] - x[0]
    far_at = x[-1] + FAR * width
    near_out, far_out = out[out <= far_at], out[out > far_at]
    near_pred, far_pred = pred[pred <= far_at], pred[pred > far_at]
    y_tick = (top * 0.15) if ax.get_yscale() == "linear" else top * 0.05
    if near_out.size:
        ax.vlines(near_out, ax.get_ylim()[0] if ax.get_yscale() == "log" else 0, y_tick,
                  color="C3", lw=1.5, label=f"{near_out.size} outlier(s)")
    if near_pred.size:
        ax.plot(near_pred, np.full(near_pred.size, 1.4 * y_tick), "v", mfc="none", color="C3",
                label="predicted (supplied spikes)")
    marks = np.concatenate([x[[0, -1]], near_out, near_pred])
    lo, hi = float(marks.min()), float(marks.max())
    ax.set_xlim(lo - 0.02 * (hi - lo), hi + 0.06 * (hi - lo))
    if far_out.size or far_pred.size:
        what = [f"{far_out.size} outlier(s) in [{_style.fmt(far_out.min())}, "
                f"{_style.fmt(far_out.max())}]"] if far_out.size else []
        if far_pred.size:
            what.append(f"{far_pred.size} predicted up to {_style.fmt(far_pred.max())}")
        ax.plot([], [], ">", color="C3", label="right of the axis: " + "; ".join(what))
    ax.set_xlabel("eigenvalue")
    ax.set_ylabel("density")
    _style.legend(ax, loc="upper right")
    ar.plot(curves["cdf_x"], curves["residual"], color=color, lw=1)
    ks = float(curves["ks"])
    for s in (-1, 1):
        ar.axhline(s * ks, color="k", ls="--", lw=0.8)
    ar.axhline(0, color="k", lw=0.5)
    ar.set_xlabel("eigenvalue")
    ar.set_ylabel(r"$\hat F(x) - F(x)$ (mid-jump)")
    ar.set_title(f"residual CDF (dashed: ± KS = {ks:.3g})")
    if title:
        fig.suptitle(title)
    return fig, (ax, ar)
