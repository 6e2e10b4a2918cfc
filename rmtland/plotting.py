r"""Figures for the Pennington–Bahri Hessian: theory as lines, simulation as histograms/points.

Layer 4 of DESIGN.md: takes parameters (and, optionally, host arrays from the simulation
layer), evaluates :mod:`rmtland.analytic`, and draws with matplotlib's object-oriented API.
matplotlib is imported inside the functions (``import rmtland`` must not import it), figures
are built as :class:`matplotlib.figure.Figure` objects without pyplot, so nothing here
depends on a GUI backend, registers a global figure or calls ``show``.  Every function
returns ``(fig, ax)`` (``ax`` is a NumPy array of Axes for the multi-panel functions) and
accepts ``ax=`` to draw into an existing Axes, e.g. one made by ``pyplot.subplots()`` for
interactive use.

Conventions shared by every plot:

* theory is a solid line (``Line2D.get_gid() == "theory"``), evaluated exactly at the
  line's x data, so ``line.get_ydata()`` can be checked against the analytic functions;
* simulation is a filled histogram (gid ``"simulation"``) or points with error bars
  (gid ``"empirical"``), in the colour of the theory line it is compared with;
* auxiliary marks carry their own gids: ``"support-edge"``, ``"atom"``, ``"eps-c"``,
  ``"three-halves"`` (the 3/2 law, dashed), ``"mark"``, ``"numeric"``.

Sources: Pennington & Bahri, ICML 2017 (PB17): density of :math:`H = H_0 + H_1` (Sec. 3),
index :math:`\alpha(\varepsilon, \varphi)` (Eq. (13)), :math:`\varepsilon_c(\varphi)` (Eq. (16)),
the 3/2 law (Eq. (17)).
"""
import math

import numpy as np

from . import _validate
from ._backend import to_numpy
from .analytic.hessian import PenningtonBahri, alpha0, eps_c, index

__all__ = ["plot_hessian_densities", "plot_hessian_density_panels", "plot_index_vs_eps",
           "plot_three_halves_law", "plot_index_figure", "plot_eps_c"]

#: matplotlib keyword arguments used for every saved figure (see :mod:`rmtland.experiments`)
SAVE_KWARGS = {"dpi": 200}

_EPS_TEX = r"\varepsilon"
_LAW_TEX = r"$\alpha_0\,((\varepsilon-\varepsilon_c)/\varepsilon_c)^{3/2}$"
_EPS_C_TEX = (r"$\varepsilon_c = \frac{1 - 20\varphi - 8\varphi^2 + (1+8\varphi)^{3/2}}{16}$")
_ALPHA0_TEX = (r"$\alpha_0 = \frac{2(3-t)}{3\pi\sqrt{t}\,(1+t)},\ t = \sqrt{1+8\varphi}$")


# -- helpers ---------------------------------------------------------------------------------
def _fmt(v):
    """Short, exact-looking number for labels: 0.25, 2, 0.0113, 1e-04."""
    return f"{float(v):.3g}"


def _new_figure(figsize, nrows=1, ncols=1, **kwargs):
    from matplotlib.figure import Figure
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes


def _get_axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    fig, axes = _new_figure(figsize)
    return fig, axes[0, 0]


def _colors(n, cmap="viridis"):
    """``n`` colours from a sequential colormap (its light end dropped, to stay readable)."""
    import matplotlib
    return [matplotlib.colormaps[cmap](v) for v in np.linspace(0.0, 0.82, max(n, 1))][:n]


def _pairs(params):
    """Validate ``params`` (iterable of ``(phi, eps)``) into a list of float pairs."""
    out = []
    for item in params:
        try:
            phi, eps = item
        except (TypeError, ValueError):
            raise ValueError(f"params must be (phi, eps) pairs, got {item!r}") from None
        out.append((_validate.positive("phi", phi), _validate.nonnegative("eps", eps)))
    if not out:
        raise ValueError("params must contain at least one (phi, eps) pair")
    return out


def _grid(values, name, positive=False):
    arr = _validate.finite_array(name, values).ravel()
    if arr.size == 0:
        raise ValueError(f"{name} must contain at least one value")
    if positive and np.any(arr <= 0):
        raise ValueError(f"{name} must contain only values > 0")
    return arr


def _key_map(mapping, name, keyfun):
    """Normalize the keys of a user mapping (samples / empirical) to floats."""
    if mapping is None:
        return {}
    return {keyfun(k): v for k, v in dict(mapping).items()}


def _density_grid(law, lo, hi, n_points):
    """Uniform grid on [lo, hi] plus cosine-clustered nodes on every support interval, so that
    narrow bumps (the smeared atom at small eps) and square-root edges are resolved; the
    edges themselves and 0 are grid points."""
    parts = [np.linspace(lo, hi, n_points), [0.0] if lo < 0 < hi else []]
    n_edge = max(40, n_points // 8)
    theta = np.linspace(0.0, np.pi, n_edge)
    for a, b in law.support():
        nodes = (a + b) / 2 - (b - a) / 2 * np.cos(theta)
        nodes[0], nodes[-1] = a, b
        parts.append(nodes)
    return np.unique(np.concatenate(parts))


def _legend(ax, extra_handles=(), **kwargs):
    handles, labels = ax.get_legend_handles_labels()
    for h in extra_handles:
        handles.append(h)
        labels.append(h.get_label())
    kwargs.setdefault("fontsize", "small")
    kwargs.setdefault("framealpha", 0.9)
    return ax.legend(handles, labels, **kwargs)


# -- densities -------------------------------------------------------------------------------
def plot_hessian_densities(params, *, samples=None, n_points=2000, bins=None, colors=None,
                           show_edges=True, shade_negative=None, ymax=None, title=None,
                           legend_loc="upper right", ax=None):
    r"""Spectral densities :math:`\rho(\lambda)` of the Pennington–Bahri Hessian on one Axes.

    Parameters
    ----------
    params : iterable of (phi, eps)
        :math:`\varphi > 0`, :math:`\varepsilon \ge 0`; one theory line each, in this order.
    samples : mapping (phi, eps) -> array, optional
        Sampled eigenvalues (host array, any shape; all of them are used) drawn as a
        filled density histogram in the colour of the matching line (histogram = simulation,
        line = theory).  The histogram is normalized by the total number of eigenvalues, so
        an atom of the law (e.g. at 0 for :math:`\varepsilon = 0`, :math:`\varphi > 1`) lands
        in one bin and the continuous part compares directly with the line.  A key that is
        not in ``params`` is a ``ValueError``.
    n_points : int
        Uniform grid size (plus ``n_points // 8`` cosine-clustered nodes per support interval).
    bins : int or array, optional
        Histogram bins (default: ``clip(sqrt(n), 30, 120)`` over the common x range).
    colors : list, optional
        One matplotlib colour per pair (default: viridis in the order of ``params``).
    show_edges : bool
        Short vertical ticks at the support edges, in the line's colour.
    shade_negative : bool, optional
        Fill :math:`\rho` on :math:`\lambda < 0`, whose area is the index :math:`\alpha`
        (default: only without ``samples``, whose filled histograms it would blur).
    ymax : float, optional
        Upper y limit (default: automatic; 1.2 × the largest theory peak with ``samples``).
    title : str, optional
        Default names :math:`\varphi` when all pairs share it.
    ax : matplotlib Axes, optional
        Draw into it instead of a new figure.

    Returns
    -------
    fig, ax

    Notes
    -----
    Density of the continuous part, :meth:`PenningtonBahri.density` (PB17 Sec. 3); the
    Marchenko–Pastur atom of mass :math:`1 - 1/\varphi` at 0 (:math:`\varepsilon = 0`,
    :math:`\varphi > 1`) is drawn as a vertical arrow and named in the legend.  The legend
    gives the index :math:`\alpha(\varepsilon, \varphi)` of each line (PB17 Eq. (13)).
    """
    from matplotlib.patches import Patch

    pairs = _pairs(params)
    n_points = _validate.integer("n_points", n_points, 10)
    if colors is None:
        colors = _colors(len(pairs))
    if len(colors) != len(pairs):
        raise ValueError(f"colors must have one entry per pair ({len(pairs)}), got {len(colors)}")
    samples = _key_map(samples, "samples", lambda k: tuple(_pairs([k])[0]))
    unknown = [k for k in samples if k not in pairs]
    if unknown:
        raise ValueError(f"samples has keys {unknown} that are not in params {pairs}")

    if shade_negative is None:
        shade_negative = not samples
    fig, ax = _get_axes(ax, (5.0, 3.6))
    laws = [PenningtonBahri(phi, eps) for phi, eps in pairs]
    atoms = [loc for law in laws for loc, _ in law.atoms()]
    lo = min([law.support()[0][0] for law in laws] + atoms)
    hi = max([law.support()[-1][1] for law in laws] + atoms)
    for eigs in samples.values():
        e = to_numpy(eigs)
        if e.size:
            lo, hi = min(lo, float(np.min(e))), max(hi, float(np.max(e)))
    pad = 0.04 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    one_phi = len({phi for phi, _ in pairs}) == 1

    ax.axvline(0.0, color="0.6", lw=0.7, ls=":", zorder=0, gid="zero")
    peak = 0.0
    atom_lines = []
    for (phi, eps), law, color in zip(pairs, laws, colors):
        x = _density_grid(law, lo, hi, n_points)
        rho = law.density(x)
        peak = max(peak, float(rho.max()))
        alpha = law.index()
        label = (f"${_EPS_TEX} = {_fmt(eps)}$" if one_phi
                 else rf"$\varphi = {_fmt(phi)},\ {_EPS_TEX} = {_fmt(eps)}$")
        if eps == 0:
            label += " (MP)"
        label += rf", $\alpha = {alpha:.3f}$" if alpha > 0 else r", $\alpha = 0$"
        for loc, mass in law.atoms():
            label += f"\n   + atom {_fmt(mass)} at $\\lambda = {_fmt(loc)}$"
        (line,) = ax.plot(x, rho, color=color, lw=1.6, label=label, gid="theory", zorder=3)
        if shade_negative and x[0] < 0 and alpha > 0:
            neg = x <= 0
            ax.fill_between(x[neg], rho[neg], color=color, alpha=0.3, lw=0, zorder=2,
                            gid="negative")
        if show_edges:
            for a, b in law.support():
                for edge in (a, b):
                    ax.axvline(edge, ymin=0.0, ymax=0.06, color=color, lw=1.4, zorder=4,
                               gid="support-edge")
        for loc, mass in law.atoms():
            atom_lines.append((loc, mass, color))

    tr = ax.get_xaxis_transform()
    for i, (loc, mass, color) in enumerate(atom_lines):
        top = 0.95 - 0.1 * i
        ax.annotate("", xy=(loc, top), xytext=(loc, 0.0), xycoords=tr, textcoords=tr,
                    arrowprops={"arrowstyle": "-|>", "color": color, "lw": 2.0},
                    gid="atom", zorder=5)
        ax.text(loc - 0.012 * (hi - lo), top - 0.02, f"atom {_fmt(mass)}",
                transform=tr, color=color, fontsize="small", ha="right", va="top")

    handles = []
    if samples:
        bins_given = bins
        for (phi, eps), color in zip(pairs, colors):
            if (phi, eps) not in samples:
                continue
            e = to_numpy(samples[(phi, eps)]).astype(float).ravel()
            e = _validate.finite_array("samples", e)
            if e.size == 0:
                raise ValueError(f"samples[{(phi, eps)}] is empty")
            if bins_given is None:
                nb = int(np.clip(np.sqrt(e.size), 30, 120))
                edges = np.linspace(lo, hi, nb + 1)
            elif np.ndim(bins_given) == 0:
                edges = np.linspace(lo, hi, _validate.integer("bins", bins_given, 1) + 1)
            else:
                edges = np.asarray(bins_given, dtype=float)
            counts, edges = np.histogram(e, bins=edges)
            heights = counts / (e.size * np.diff(edges))
            ax.stairs(heights, edges, fill=True, color=color, alpha=0.22, lw=0, zorder=1,
                      gid="simulation")
            ax.stairs(heights, edges, fill=False, color=color, alpha=0.7, lw=0.8, zorder=1,
                      gid="simulation-outline")
        handles.append(Patch(facecolor="0.55", alpha=0.4, label="sampled spectra (histogram)"))

    ax.set_xlim(lo, hi)
    if ymax is None and samples:
        ymax = 1.2 * peak
    ax.set_ylim(0.0, ymax if ymax is not None else 1.12 * peak)
    ax.set_xlabel(r"eigenvalue $\lambda$")
    ax.set_ylabel(r"density $\rho(\lambda)$")
    if title is None:
        title = (rf"Pennington–Bahri Hessian, $\varphi = {_fmt(pairs[0][0])}$" if one_phi
                 else "Pennington–Bahri Hessian densities")
    ax.set_title(title)
    _legend(ax, handles, loc=legend_loc, title="theory (lines)" if samples else None,
            title_fontsize="small")
    return fig, ax


def plot_hessian_density_panels(params, *, samples=None, ncols=2, n_points=2000, bins=None,
                                suptitle=None, figsize=None, **kwargs):
    r"""One panel per :math:`\varphi` (in order of first appearance), each drawn by
    :func:`plot_hessian_densities`; a given :math:`\varepsilon` has the same colour in every
    panel.

    Parameters
    ----------
    params, samples, n_points, bins
        As in :func:`plot_hessian_densities`.
    ncols : int
        Panels per row.
    suptitle : str, optional
        Figure title (default names the model).
    **kwargs
        Passed on to :func:`plot_hessian_densities` (``show_edges``, ``shade_negative``, ...).

    Returns
    -------
    fig, axes : Figure, 1-D ndarray of Axes (one per distinct phi)
    """
    pairs = _pairs(params)
    ncols = _validate.integer("ncols", ncols, 1)
    phis = list(dict.fromkeys(phi for phi, _ in pairs))
    all_eps = sorted({eps for _, eps in pairs})
    palette = dict(zip(all_eps, _colors(len(all_eps))))
    samples = _key_map(samples, "samples", lambda k: tuple(_pairs([k])[0]))
    unknown = [k for k in samples if k not in pairs]
    if unknown:
        raise ValueError(f"samples has keys {unknown} that are not in params {pairs}")

    ncols = min(ncols, len(phis))
    nrows = math.ceil(len(phis) / ncols)
    fig, grid = _new_figure(figsize or (4.6 * ncols, 3.5 * nrows), nrows, ncols)
    axes = grid.ravel()
    for extra in axes[len(phis):]:
        extra.remove()
    axes = axes[:len(phis)]
    for ax, phi in zip(axes, phis):
        group = [(p, e) for p, e in pairs if p == phi]
        sub = {k: v for k, v in samples.items() if k[0] == phi}
        letter = "abcdefghijklmnopqrstuvwxyz"[list(axes).index(ax) % 26]
        plot_hessian_densities(group, samples=sub or None, n_points=n_points, bins=bins,
                               colors=[palette[e] for _, e in group],
                               title=rf"({letter}) $\varphi = {_fmt(phi)}$", ax=ax, **kwargs)
    if suptitle is None:
        shaded = kwargs.get("shade_negative")
        shaded = not samples if shaded is None else shaded
        suptitle = (r"Spectral density of $H = H_0 + H_1$: Marchenko–Pastur($\varphi$) "
                    r"$\boxplus$ semicircle of variance $2\varepsilon$"
                    + (r" (shaded area: index $\alpha$)" if shaded else
                       " (lines: theory, histograms: samples)" if samples else ""))
    fig.suptitle(suptitle)
    return fig, np.asarray(axes, dtype=object)


# -- index -----------------------------------------------------------------------------------
def _index_curve(phi, eps_grid):
    """alpha(eps, phi) on eps_grid, with eps_c and points just above it added (phi < 1)."""
    grid = [eps_grid]
    ec = eps_c(phi)
    if ec > 0 and eps_grid.min() <= ec <= eps_grid.max():
        grid.append(ec * (1 + np.concatenate([[0.0], np.geomspace(1e-3, 1.0, 25)])))
    x = np.unique(np.concatenate(grid))
    x = x[(x >= eps_grid.min()) & (x <= eps_grid.max())]
    return x, np.array([index(e, phi) for e in x])


def _check_empirical(empirical, phis):
    emp = _key_map(empirical, "empirical", lambda k: _validate.positive("phi", k))
    unknown = [k for k in emp if k not in phis]
    if unknown:
        raise ValueError(f"empirical has phi keys {unknown} that are not in phis {phis}")
    out = {}
    for phi, triple in emp.items():
        try:
            e, a, s = (np.asarray(to_numpy(v), dtype=float).ravel() for v in triple)
        except (TypeError, ValueError):
            raise ValueError(f"empirical[{phi}] must be (eps, alpha, stderr) arrays") from None
        if not (e.shape == a.shape == s.shape):
            raise ValueError(f"empirical[{phi}]: eps, alpha and stderr must have equal lengths")
        out[phi] = (e, a, s)
    return out


def _empirical_handle():
    from matplotlib.lines import Line2D
    return Line2D([], [], color="0.25", marker="o", ms=4, ls="none",
                  label="simulation (mean ± s.e.)")


def plot_index_vs_eps(phis, eps_grid, *, logx=True, three_halves=True, three_halves_span=1.0,
                      empirical=None, colors=None, title=None, legend_loc="upper left", ax=None):
    r"""Index :math:`\alpha(\varepsilon, \varphi)` against the loss :math:`\varepsilon`, one line
    per :math:`\varphi`, with :math:`\varepsilon_c(\varphi)` and the 3/2 law for
    :math:`\varphi < 1`.

    Parameters
    ----------
    phis : iterable of float
        :math:`\varphi > 0`, one theory line each.
    eps_grid : array
        :math:`\varepsilon` values (> 0 when ``logx``).  For :math:`\varphi < 1` the line also
        passes through :math:`\varepsilon_c` and 25 points in
        :math:`(\varepsilon_c, 2\varepsilon_c]` when :math:`\varepsilon_c` lies in the grid's
        range, so that the onset is resolved.
    logx : bool
        Logarithmic :math:`\varepsilon` axis (default; the :math:`\varepsilon_c` span decades).
    three_halves : bool
        For :math:`\varphi < 1`, the 3/2 law :math:`\alpha_0 ((\varepsilon-\varepsilon_c)/
        \varepsilon_c)^{3/2}` dashed on :math:`[\varepsilon_c, (1 + \text{span})\,\varepsilon_c]`,
        and :math:`\varepsilon_c` marked by a dotted vertical line.
    three_halves_span : float
        Relative range of the dashed 3/2 law (default 1: up to :math:`2\varepsilon_c`).
    empirical : mapping phi -> (eps, alpha, stderr), optional
        Simulated indices drawn as points with error bars in the colour of that
        :math:`\varphi` (a key not in ``phis`` is a ``ValueError``).
    colors, title, legend_loc, ax
        As in :func:`plot_hessian_densities`.

    Returns
    -------
    fig, ax

    Notes
    -----
    :math:`\alpha` from :func:`rmtland.analytic.hessian.index` (exact CDF at 0, PB17 Eq. (13));
    :math:`\varepsilon_c` PB17 Eq. (16); :math:`\alpha_0` PB17 Eq. (17).  For
    :math:`\varphi \ge 1`, :math:`\varepsilon_c = 0` and
    :math:`\alpha \to (1 - 1/\varphi)/2` as :math:`\varepsilon \downarrow 0` (half the smeared
    atom).
    """
    from matplotlib.lines import Line2D

    phis = [_validate.positive("phi", p) for p in phis]
    if not phis:
        raise ValueError("phis must contain at least one value")
    eps_grid = np.sort(_grid(eps_grid, "eps_grid", positive=logx))
    if np.any(eps_grid < 0):
        raise ValueError("eps_grid must contain only values >= 0")
    span = _validate.positive("three_halves_span", three_halves_span)
    colors = _colors(len(phis), "plasma") if colors is None else colors
    if len(colors) != len(phis):
        raise ValueError(f"colors must have one entry per phi ({len(phis)}), got {len(colors)}")
    emp = _check_empirical(empirical, phis)

    fig, ax = _get_axes(ax, (5.0, 3.6))
    any_law = False
    for phi, color in zip(phis, colors):
        ec = eps_c(phi)
        x, alpha = _index_curve(phi, eps_grid)
        label = rf"$\varphi = {_fmt(phi)}$, ${_EPS_TEX}_c = {_fmt(ec) if ec else '0'}$"
        ax.plot(x, alpha, color=color, lw=1.6, label=label, gid="theory", zorder=3)
        if phi < 1 and three_halves and eps_grid[0] <= ec <= eps_grid[-1]:
            any_law = True
            xr = np.concatenate([[0.0], np.geomspace(1e-3, 1.0, 60) * span])
            ax.plot(ec * (1 + xr), alpha0(phi) * xr ** 1.5, color=color, lw=1.3, ls="--",
                    gid="three-halves", zorder=4)
            ax.axvline(ec, color=color, lw=0.8, ls=":", zorder=1, gid="eps-c")
        if phi in emp:
            e, a, s = emp[phi]
            bars = ax.errorbar(e, a, yerr=s, fmt="o", ms=3.5, color=color, capsize=2, lw=1,
                               zorder=5)
            bars.lines[0].set_gid("empirical")
    handles = []
    if any_law:
        handles.append(Line2D([], [], color="0.25", ls="--", lw=1.3,
                              label="3/2 law " + _LAW_TEX))
        handles.append(Line2D([], [], color="0.25", ls=":", lw=0.8,
                              label=rf"${_EPS_TEX}_c(\varphi)$"))
    if emp:
        handles.append(_empirical_handle())
    if logx:
        ax.set_xscale("log")
    ax.set_xlim(eps_grid[0], eps_grid[-1])
    # headroom above the curves for the legend (upper left, where alpha is smallest)
    ax.set_ylim(0.0, 1.35 * max(max(line.get_ydata().max() for line in ax.lines
                                    if line.get_gid() == "theory"), 1e-3))
    ax.set_xlabel(r"loss $\varepsilon$")
    ax.set_ylabel(r"index $\alpha$ (fraction of $\lambda < 0$)")
    if title is None:
        title = (r"Index $\alpha(\varepsilon, \varphi)$, "
                 rf"${_fmt(eps_grid[0])} \leq \varepsilon \leq {_fmt(eps_grid[-1])}$")
    ax.set_title(title)
    _legend(ax, handles, loc=legend_loc)
    return fig, ax


def plot_three_halves_law(phis, x_grid, *, empirical=None, colors=None, title=None,
                          legend_loc="upper left", ax=None):
    r"""The 3/2 law as a collapse: :math:`\alpha/\alpha_0(\varphi)` against
    :math:`x = (\varepsilon - \varepsilon_c)/\varepsilon_c` on log–log axes, one line per
    :math:`\varphi < 1`, and :math:`x^{3/2}` dashed.

    Parameters
    ----------
    phis : iterable of float
        :math:`0 < \varphi < 1` (``ValueError`` otherwise: :math:`\varepsilon_c = 0` there).
    x_grid : array
        :math:`x > 0`; theory evaluated at :math:`\varepsilon = \varepsilon_c (1 + x)`.
    empirical : mapping phi -> (eps, alpha, stderr), optional
        As in :func:`plot_index_vs_eps`; points with :math:`\varepsilon > \varepsilon_c` are
        drawn at :math:`(x, \alpha/\alpha_0)` with error bars :math:`s/\alpha_0`.
    colors, title, legend_loc, ax
        As in :func:`plot_hessian_densities`.

    Returns
    -------
    fig, ax

    Notes
    -----
    PB17 Eq. (17): :math:`\alpha \approx \alpha_0 x^{3/2}` as :math:`x \downarrow 0`; the lines
    tend to the dashed one at small :math:`x` and depart from it for :math:`x \gtrsim 0.1`.
    """
    from matplotlib.lines import Line2D

    phis = [_validate.positive("phi", p) for p in phis]
    if not phis:
        raise ValueError("phis must contain at least one value")
    for p in phis:
        alpha0(p)  # ValueError for phi >= 1
    x_grid = np.sort(_grid(x_grid, "x_grid", positive=True))
    colors = _colors(len(phis), "plasma") if colors is None else colors
    if len(colors) != len(phis):
        raise ValueError(f"colors must have one entry per phi ({len(phis)}), got {len(colors)}")
    emp = _check_empirical(empirical, phis)

    fig, ax = _get_axes(ax, (5.0, 3.6))
    for phi, color in zip(phis, colors):
        ec, a0 = eps_c(phi), alpha0(phi)
        y = np.array([index(ec * (1 + x), phi) for x in x_grid]) / a0
        ax.plot(x_grid, y, color=color, lw=1.6, gid="theory", zorder=3,
                label=rf"$\varphi = {_fmt(phi)}$, $\alpha_0 = {a0:.4f}$")
        if phi in emp:
            e, a, s = emp[phi]
            keep = e > ec
            bars = ax.errorbar((e[keep] - ec) / ec, a[keep] / a0, yerr=s[keep] / a0, fmt="o",
                               ms=3.5, color=color, capsize=2, lw=1, zorder=5)
            bars.lines[0].set_gid("empirical")
    ax.plot(x_grid, x_grid ** 1.5, color="0.15", ls="--", lw=1.3, gid="three-halves", zorder=4,
            label=r"3/2 law: $x^{3/2}$")
    handles = [_empirical_handle()] if emp else []
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x_grid[0], x_grid[-1])
    ax.set_xlabel(r"$x = (\varepsilon - \varepsilon_c)/\varepsilon_c$")
    ax.set_ylabel(r"$\alpha(\varepsilon, \varphi)\,/\,\alpha_0(\varphi)$")
    ax.set_title(title if title is not None else
                 r"3/2 law near $\varepsilon_c$: $\alpha \approx \alpha_0\, x^{3/2}$")
    _legend(ax, handles, loc=legend_loc)
    return fig, ax


def plot_index_figure(phis, eps_grid, x_grid, *, empirical=None, suptitle=None, figsize=None,
                      **kwargs):
    r"""Two panels: (a) :func:`plot_index_vs_eps` for every :math:`\varphi`, (b)
    :func:`plot_three_halves_law` for those :math:`< 1`, with matching colours.

    Returns
    -------
    fig, axes : Figure, 1-D ndarray of 2 Axes
    """
    phis = [_validate.positive("phi", p) for p in phis]
    colors = _colors(len(phis), "plasma")
    fig, grid = _new_figure(figsize or (10.4, 4.0), 1, 2)
    ax_a, ax_b = grid[0]
    plot_index_vs_eps(phis, eps_grid, empirical=empirical, colors=colors, ax=ax_a,
                      title=r"(a) index against the loss", **kwargs)
    small = [(p, c) for p, c in zip(phis, colors) if p < 1]
    if small:
        emp_b = None if empirical is None else {
            k: v for k, v in dict(empirical).items() if _validate.positive("phi", k) < 1}
        plot_three_halves_law([p for p, _ in small], x_grid, empirical=emp_b or None,
                              colors=[c for _, c in small], ax=ax_b,
                              title=r"(b) the 3/2 law near $\varepsilon_c$, $\varphi < 1$")
    else:
        ax_b.remove()
    fig.suptitle(suptitle if suptitle is not None else
                 r"Index of $H = H_0 + H_1$ (fraction of negative eigenvalues), "
                 r"Pennington & Bahri 2017")
    return fig, np.asarray([ax_a, ax_b], dtype=object)


# -- eps_c -----------------------------------------------------------------------------------
def plot_eps_c(phi_grid, *, marks=None, numeric=None, figsize=None, suptitle=None, axes=None):
    r"""Critical loss :math:`\varepsilon_c(\varphi)` (panel a) and the 3/2-law coefficient
    :math:`\alpha_0(\varphi)` (panel b) for :math:`0 < \varphi < 1`.

    Parameters
    ----------
    phi_grid : array
        :math:`\varphi \in (0, 1)` (``ValueError`` otherwise).
    marks : iterable of float, optional
        :math:`\varphi` values to mark on both curves (e.g. those of the other figures).
    numeric : (phis, eps) arrays, optional
        An independent numerical determination of :math:`\varepsilon_c` (e.g. the root of
        the left support edge :math:`\lambda_-(\varepsilon) = 0`), drawn as open circles.
    axes : pair of Axes, optional
        Draw into them instead of a new figure.

    Returns
    -------
    fig, axes : Figure, 1-D ndarray of 2 Axes

    Notes
    -----
    Closed forms, PB17 Eq. (16) and Eq. (17) (:func:`rmtland.analytic.hessian.eps_c`,
    :func:`~rmtland.analytic.hessian.alpha0`).  Below :math:`\varepsilon_c` the index vanishes
    (critical points are minima); above it :math:`\alpha > 0`.
    """
    phi_grid = np.sort(_grid(phi_grid, "phi_grid", positive=True))
    if np.any(phi_grid >= 1):
        raise ValueError("phi_grid must lie in (0, 1): eps_c = 0 and alpha0 is undefined for "
                         "phi >= 1")
    marks = [] if marks is None else [_validate.positive("marks", m) for m in marks]
    if any(m >= 1 for m in marks):
        raise ValueError("marks must lie in (0, 1)")
    if axes is None:
        fig, grid = _new_figure(figsize or (10.4, 3.9), 1, 2)
        ax_a, ax_b = grid[0]
    else:
        ax_a, ax_b = axes
        fig = ax_a.figure
    ec = np.array([eps_c(p) for p in phi_grid])
    a0 = np.array([alpha0(p) for p in phi_grid])

    ax_a.plot(phi_grid, ec, color="C0", lw=1.8, gid="theory", label=_EPS_C_TEX)
    ax_a.fill_between(phi_grid, ec, 0, color="C0", alpha=0.08, lw=0)
    ax_a.text(0.06, 0.2, "$\\alpha = 0$: minima", transform=ax_a.transAxes, fontsize="small",
              color="C0")
    ax_a.text(0.55, 0.62, r"$\alpha > 0$: saddle points", transform=ax_a.transAxes,
              fontsize="small", color="0.3")
    ax_b.plot(phi_grid, a0, color="C3", lw=1.8, gid="theory", label=_ALPHA0_TEX)
    if marks:
        m = np.asarray(marks)
        ax_a.plot(m, [eps_c(p) for p in m], "s", color="k", ms=5, ls="none", gid="mark",
                  label=r"$\varphi$ of the density and index figures", zorder=5)
        ax_b.plot(m, [alpha0(p) for p in m], "s", color="k", ms=5, ls="none", gid="mark",
                  label=r"$\varphi$ of the density and index figures", zorder=5)
    if numeric is not None:
        p_num, e_num = (np.asarray(v, dtype=float).ravel() for v in numeric)
        if p_num.shape != e_num.shape:
            raise ValueError("numeric must be two arrays of equal length (phis, eps)")
        ax_a.plot(p_num, e_num, "o", mfc="none", mec="C1", mew=1.4, ms=7, ls="none",
                  gid="numeric", zorder=6,
                  label=r"numerical: root of $\lambda_-(\varepsilon) = 0$")
    ax_a.set_xlim(0, 1)
    ax_b.set_xlim(0, 1)
    ax_a.set_ylim(bottom=0)
    ax_b.set_ylim(bottom=0)
    xlabel = r"$\varphi$ = parameters / (outputs $\times$ samples)"
    ax_a.set_xlabel(xlabel)
    ax_b.set_xlabel(xlabel)
    ax_a.set_ylabel(r"critical loss $\varepsilon_c(\varphi)$")
    ax_b.set_ylabel(r"3/2-law coefficient $\alpha_0(\varphi)$")
    ax_a.set_title(r"(a) critical loss: $\alpha = 0$ for $\varepsilon \leq \varepsilon_c$")
    ax_b.set_title(r"(b) $\alpha \approx \alpha_0 ((\varepsilon-\varepsilon_c)/"
                   r"\varepsilon_c)^{3/2}$")
    _legend(ax_a, loc="upper right", fontsize="medium")
    _legend(ax_b, loc="upper right", fontsize="medium")
    if axes is None:
        fig.suptitle(suptitle if suptitle is not None else
                     r"Critical loss and 3/2-law coefficient, $0 < \varphi < 1$ "
                     r"(Pennington & Bahri 2017, Eqs. (16)–(17))")
    return fig, np.asarray([ax_a, ax_b], dtype=object)


def plot_finite_size(study, *, figsize=(11, 4.2), suptitle=None, axes=None):
    r"""Finite-size study of :func:`rmtland.compare.finite_size_study`: (a) KS and L¹ distances
    between the simulated spectra and the theory against :math:`n` (log–log, points) with
    the fitted power laws :math:`c\,n^{b}` (lines); (b) the index error in eigenvalues per
    matrix, :math:`n(\hat\alpha - \alpha)`, with :math:`\pm 2` standard errors.

    Returns
    -------
    fig, axes (2 Axes)
    """
    rows, fits = study["rows"], study["fits"]
    if axes is None:
        fig, axes = _new_figure(figsize, 1, 2)
        axes = axes[0]
    else:
        fig = axes[0].figure
    n = np.array([r["n"] for r in rows], dtype=float)
    ax = axes[0]
    for key, label, marker in (("ks_distance", "KS distance", "o"),
                               ("l1_distance", r"L$^1$ distance", "s")):
        if key not in fits:
            continue
        d = np.array([r[key] for r in rows])
        pts = ax.plot(n, d, marker, label=f"{label} (simulation)", gid="simulation")[0]
        f = fits[key]
        se = f"{f['exponent_stderr']:.2f}" if f["exponent_stderr"] is not None else "n/a"
        nn = np.geomspace(n.min(), n.max(), 50)
        ax.plot(nn, f["prefactor"] * nn ** f["exponent"], "-", color=pts.get_color(),
                label=rf"fit $\propto n^{{{f['exponent']:.2f}}}$ (s.e. {se})", gid="fit")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("matrix size $n$")
    ax.set_ylabel("distance to the theory")
    ax.set_title("(a) spectrum: simulation vs free-probability law")
    _legend(ax, loc="upper right")
    ax = axes[1]
    bias = np.array([r["n"] * (r["empirical_index"] - r["theory_index"]) for r in rows])
    err = np.array([r["n"] * (r["index_stderr"] or 0.0) for r in rows])
    ax.errorbar(n, bias, yerr=2 * err, fmt="o", capsize=3, gid="simulation",
                label=r"$n(\hat\alpha - \alpha)$, $\pm 2$ s.e.")
    ax.axhline(0.0, color="0.3", lw=1, ls="--", gid="theory", label=r"theory $\alpha(\varepsilon,\varphi)$")
    ax.set_xscale("log")
    ax.set_xlabel("matrix size $n$")
    ax.set_ylabel(r"index error $n(\hat\alpha - \alpha)$ [eigenvalues per matrix]")
    ax.set_title("(b) index: finite-size bias in eigenvalues")
    _legend(ax, loc="best")
    fig.suptitle(suptitle or rf"Finite-size study, $\varphi = {_fmt(study['phi'])}$, "
                 rf"$\varepsilon = {_fmt(study['eps'])}$")
    return fig, axes


def plot_complexity(p, ks=range(6), *, u_range=None, n_points=600, figsize=(11, 4.2),
                    axes=None):
    r"""Complexity of the spherical :math:`p`-spin glass (ABC13 Thms. 2.5, 2.8): (a)
    :math:`\Theta_{k,p}(u)` for each ``k`` and the total :math:`\Theta_p(u)`, with the thresholds
    :math:`-E_k` (where :math:`\Theta_{k,p}` crosses 0) and :math:`-E_\infty` marked; (b) a zoom on
    the band :math:`[-E_0, -E_\infty]` where the thresholds lie.

    Returns
    -------
    fig, axes (2 Axes)
    """
    from .analytic import spinglass as sg
    ks = [int(k) for k in ks]
    E_inf = sg.E_inf(p)
    E = {k: sg.threshold(k, p) for k in ks}
    lo = -1.15 * E[min(ks)] if u_range is None else u_range[0]
    hi = 0.5 if u_range is None else u_range[1]
    if axes is None:
        fig, axes = _new_figure(figsize, 1, 2)
        axes = axes[0]
    else:
        fig = axes[0].figure
    colors = _colors(len(ks), "plasma")
    for ax, (a, b) in zip(axes, ((lo, hi), (-E[min(ks)] - 0.01, -E_inf + 0.01))):
        u = np.linspace(a, b, n_points)
        for k, c in zip(ks, colors):
            ax.plot(u, sg.complexity_index(u, p, k), color=c, gid="theory",
                    label=rf"$\Theta_{{{k},{p}}}(u)$, $-E_{{{k}}} = {-E[k]:.4f}$")
            ax.plot([-E[k]], [0.0], "o", color=c, ms=4, gid="threshold")
        ax.plot(u, sg.complexity_total(u, p), color="0.2", lw=2, ls="--", gid="theory",
                label=rf"$\Theta_{{{p}}}(u)$ (all critical points)")
        ax.axhline(0, color="0.5", lw=0.8)
        ax.axvline(-E_inf, color="0.4", ls=":", lw=1, gid="threshold",
                   label=rf"$-E_\infty = {-E_inf:.4f}$")
        ax.set_xlabel("energy per site $u = H_N/N$")
        ax.set_ylabel(r"complexity $\lim N^{-1}\log \mathbb{E}\,\mathrm{Crt}_N(u)$")
    axes[0].set_title("(a) complexity by index $k$")
    axes[1].set_title(r"(b) the band $[-E_0, -E_\infty]$")
    axes[1].set_ylim(-0.01, 1.3 * max(0.0, float(sg.complexity_index([-E_inf], p, 0)[0])))
    _legend(axes[0], loc="lower right")
    fig.suptitle(rf"Spherical {p}-spin glass: complexity of critical points (Auffinger, "
                 r"Ben Arous & Černý 2013)")
    return fig, axes


def plot_spinglass_minima(runs, p, *, figsize=(11, 4.2), axes=None):
    r"""Critical points found in simulated spherical :math:`p`-spin glasses.

    (a) histograms of the energies per site of the distinct minima found, one per :math:`N`
    (simulation), with :math:`-E_0` and :math:`-E_\infty` (theory) bounding the band of
    Choromanska et al.; (b) the index fraction :math:`k/(N-1)` of every critical point found
    against its energy (simulation, points) over the semicircle law (theory, line).

    ``runs`` is a list of :func:`rmtland.experiments.simulate_spinglass` results with their
    ``"points"`` (energies and indices).
    """
    from .analytic import spinglass as sg
    if axes is None:
        fig, axes = _new_figure(figsize, 1, 2)
        axes = axes[0]
    else:
        fig = axes[0].figure
    E0, Einf = sg.threshold(0, p), sg.E_inf(p)
    colors = _colors(len(runs), "viridis")
    ax = axes[0]
    for run, c in zip(runs, colors):
        u = np.asarray(run["points"]["minima_energy_per_site"])
        if u.size:
            ax.hist(u, bins=20, density=True, histtype="stepfilled", alpha=0.35, color=c,
                    edgecolor=c, gid="simulation",
                    label=f"$N = {run['N']}$: {u.size} minima, {run['starts']} starts")
    ax.axvline(-E0, color="k", ls="--", gid="theory", label=rf"$-E_0 = {-E0:.4f}$")
    ax.axvline(-Einf, color="k", ls=":", gid="theory", label=rf"$-E_\infty = {-Einf:.4f}$")
    ax.set_xlabel("energy per site of the minimum $u = H_N/N$")
    ax.set_ylabel("density of minima found")
    ax.set_title(r"(a) energies of the minima found; the band $[-E_0, -E_\infty]$")
    _legend(ax, loc="upper left")
    ax = axes[1]
    u_all = []
    for run, c in zip(runs, colors):
        u = np.asarray(run["points"]["energy_per_site"])
        k = np.asarray(run["points"]["index"])
        ax.plot(u, k / (run["N"] - 1), "o", ms=3, color=c, alpha=0.7, gid="simulation",
                label=f"$N = {run['N']}$ ({u.size} critical points)")
        u_all.append(u)
    u_all = np.concatenate(u_all) if u_all else np.array([-Einf, Einf])
    lo, hi = min(u_all.min(), -Einf) - 0.1, max(u_all.max(), 0.2) + 0.1
    grid = np.linspace(lo, hi, 400)
    ax.plot(grid, sg.index_fraction(grid, p), color="k", lw=1.5, gid="theory",
            label=r"semicircle law: $F_{sc}(2u/E_\infty)$")
    ax.set_xlabel("energy per site $u = H_N/N$")
    ax.set_ylabel(r"index fraction $k/(N-1)$")
    ax.set_title("(b) index against energy")
    _legend(ax, loc="upper left")
    fig.suptitle(rf"Spherical {p}-spin glass: critical points found by descent and Newton "
                 "from random starts")
    return fig, axes


def plot_minima_count(study, *, figsize=(6.4, 4.4), ax=None):
    r"""Mean number of distinct minima found per Hamiltonian against :math:`N` for several
    numbers of random starts (simulation, points with standard-error bars) and the exact
    finite-:math:`N` mean :math:`\mathbb{E}\,\mathrm{Crt}_{N,0}(\mathbb{R})` of ABC13 Thm. 2.3
    by Monte Carlo over the GOE (theory, line with its standard-error band)."""
    fig, ax = _get_axes(ax, figsize)
    rows = study["rows"]
    N = np.array([r["N"] for r in rows], dtype=float)
    th = np.array([r["theory_mean"] for r in rows])
    se = np.array([r["theory_stderr"] for r in rows])
    ax.plot(N, th, "-", color="k", gid="theory",
            label=r"exact finite-$N$ mean $\mathbb{E}\,\mathrm{Crt}_{N,0}$ (GOE formula)")
    ax.fill_between(N, th - 2 * se, th + 2 * se, color="0.7", alpha=0.5, gid="theory-band")
    levels = study["starts_levels"]
    colors = _colors(len(levels), "viridis")
    for j, (s, c) in enumerate(zip(levels, colors)):
        m = np.array([r["found_mean"][j] for r in rows])
        e = np.array([r["found_stderr"][j] for r in rows])
        ax.errorbar(N + (j - len(levels) / 2) * 0.08, m, yerr=e, fmt="o", ms=4, capsize=2,
                    color=c, gid="simulation", label=f"found from {s} starts (mean ± s.e.)")
    ax.set_xlabel("number of spins $N$")
    ax.set_ylabel("distinct minima per Hamiltonian")
    ax.set_title(rf"Spherical {study['p']}-spin glass: minima found vs the exact mean, "
                 rf"{study['hamiltonians']} Hamiltonians per $N$", fontsize="medium")
    _legend(ax, loc="upper left")
    return fig, ax
