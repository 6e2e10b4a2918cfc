"""Shared look of every figure: sizes, colours, legends, save options.

Style only: changing a constant here changes how a figure looks, never a number it shows
(the numbers come in as arrays from :mod:`rmtland.compare` / :mod:`rmtland.experiments`).
matplotlib is imported inside the functions (``import rmtland`` must not import it);
figures are :class:`matplotlib.figure.Figure` objects built without pyplot.
"""
import numpy as np

#: matplotlib keyword arguments used for every saved figure
SAVE_KWARGS = {"dpi": 200}
#: width of theory lines (points)
THEORY_LW = 1.6
#: sequential colormaps: one for (phi, eps) families, one for index curves
CMAP = "viridis"
CMAP_INDEX = "plasma"
#: the light end of a colormap dropped, to stay readable on white
CMAP_STOP = 0.82
#: a data range narrower than this (relative) is drawn as one bar of half-width HALF_WIDTH
MIN_REL_WIDTH, HALF_WIDTH = 1e-9, 1e-3


def fmt(v):
    """Short, exact-looking number for labels: 0.25, 2, 0.0113, 1e-04."""
    return f"{float(v):.3g}"


def new_figure(figsize, nrows=1, ncols=1, **kwargs):
    """A constrained-layout Figure and a 2-D array of Axes (no pyplot, no GUI)."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes


def get_axes(ax, figsize):
    """``(fig, ax)``: the given Axes and its figure, or a new single-Axes figure."""
    if ax is not None:
        return ax.figure, ax
    fig, axes = new_figure(figsize)
    return fig, axes[0, 0]


def get_axes_pair(axes, figsize):
    """``(fig, axes)`` for a two-panel figure: the given pair, or a new 1×2 figure."""
    if axes is not None:
        return axes[0].figure, axes
    fig, grid = new_figure(figsize, 1, 2)
    return fig, grid[0]


def colors(n, cmap=None):
    """``n`` colours from a sequential colormap (its light end dropped); default :data:`CMAP`,
    read at call time."""
    import matplotlib
    cmap = CMAP if cmap is None else cmap
    return [matplotlib.colormaps[cmap](v) for v in np.linspace(0.0, CMAP_STOP, max(n, 1))][:n]


def legend(ax, extra_handles=(), **kwargs):
    """Legend of ``ax`` plus ``extra_handles`` (proxy artists), small and nearly opaque."""
    handles, labels = ax.get_legend_handles_labels()
    for h in extra_handles:
        handles.append(h)
        labels.append(h.get_label())
    kwargs.setdefault("fontsize", "small")
    kwargs.setdefault("framealpha", 0.9)
    return ax.legend(handles, labels, **kwargs)


def histogram(ax, values, edges, color, *, label=None, gid="simulation"):
    """A filled density histogram (simulation) normalised by the number of values, drawn
    with ``stairs``; any data, including a single value or zero spread, plots."""
    values = np.asarray(values, dtype=float).ravel()
    counts, edges = np.histogram(values, bins=edges)
    heights = counts / (max(values.size, 1) * np.diff(edges))
    ax.stairs(heights, edges, fill=True, color=color, alpha=0.25, lw=0, zorder=1, gid=gid,
              label=label)
    ax.stairs(heights, edges, fill=False, color=color, alpha=0.75, lw=0.8, zorder=1,
              gid=gid + "-outline")
    return heights


def bin_edges(values, bins, lo=None, hi=None):
    """Histogram edges on ``[lo, hi]`` (default: the data's range), widened to a small
    interval when the range is degenerate: one value, all values equal, or equal to within
    :data:`MIN_REL_WIDTH` (e.g. the two minima ±σ of an even-p spin glass, whose energies
    agree to rounding), where equal-width bins would have zero width."""
    values = np.asarray(values, dtype=float).ravel()
    lo = float(values.min()) if lo is None else lo
    hi = float(values.max()) if hi is None else hi
    scale = max(abs(lo), abs(hi), 1.0)
    if not hi - lo > MIN_REL_WIDTH * scale:
        mid, half = 0.5 * (lo + hi), HALF_WIDTH * scale
        lo, hi = mid - half, mid + half
    return np.linspace(lo, hi, int(bins) + 1)
