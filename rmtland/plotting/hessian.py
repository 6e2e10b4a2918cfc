r"""Figures of the Pennington–Bahri Hessian: theory as lines, simulation as histograms/points.

Arrays in, Figure out: every theory line arrives as arrays computed by
:mod:`rmtland.compare.hessian` (``density_curves``, ``index_curve``, ``three_halves_curve``,
``eps_c_curve``); nothing here evaluates the theory.  Every function returns ``(fig, ax)``
(``ax`` an array of Axes for the multi-panel functions) and accepts ``ax=``/``axes=`` to draw
into existing Axes.

Conventions shared by every plot: theory is a solid line (gid ``"theory"``); simulation is a
filled histogram (gid ``"simulation"``) or points with error bars (gid ``"empirical"``) in the
colour of the theory line it is compared with; auxiliary marks carry their own gids
(``"support-edge"``, ``"atom"``, ``"eps-c"``, ``"three-halves"``, ``"mark"``, ``"numeric"``,
``"fit"``).

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
Theory", ICML 2017, PMLR 70:2798–2806 (PB17): density (Sec. 3), index (Eq. (13)),
:math:`\varepsilon_c` (Eq. (16)), the 3/2 law (Eq. (17)).
"""
import math

import numpy as np

from .._validate import InputError
from .. import _validate
from . import _style
from ._style import fmt

__all__ = ["plot_hessian_densities", "plot_hessian_density_panels", "plot_index_vs_eps",
           "plot_three_halves_law", "plot_index_figure", "plot_eps_c", "plot_finite_size"]

_LAW_TEX = r"$\alpha_0\,((\varepsilon-\varepsilon_c)/\varepsilon_c)^{3/2}$"
_EPS_C_TEX = (r"$\varepsilon_c = \frac{1 - 20\varphi - 8\varphi^2 + (1+8\varphi)^{3/2}}{16}$")
_ALPHA0_TEX = (r"$\alpha_0 = \frac{2(3-t)}{3\pi\sqrt{t}\,(1+t)},\ t = \sqrt{1+8\varphi}$")


def _samples_by_pair(samples, curves):
    """``samples`` with float keys, each key one of the curves' (phi, eps)."""
    pairs = [(c["phi"], c["eps"]) for c in curves]
    out = {}
    for key, eigs in dict(samples or {}).items():
        try:
            key = (float(key[0]), float(key[1]))
        except (TypeError, ValueError, IndexError):
            raise InputError(f"samples keys must be (phi, eps) pairs, got {key!r}") from None
        if key not in pairs:
            raise InputError(f"samples has key {key} that is not among the curves {pairs}")
        e = _validate.finite_array("samples", np.asarray(eigs, dtype=float)).ravel()
        if e.size == 0:
            raise InputError(f"samples[{key}] is empty")
        out[key] = e
    return out


def _check_curves(curves, name="curves"):
    curves = list(curves)
    if not curves:
        raise InputError(f"{name} must hold at least one curve")
    return curves


def _curves_and_colors(curves, colors, cmap):
    """The curves as a list, and one colour per curve (default: from ``cmap``)."""
    curves = _check_curves(curves)
    colors = _style.colors(len(curves), cmap) if colors is None else list(colors)
    if len(colors) != len(curves):
        raise InputError(f"colors must have one entry per curve ({len(curves)}), "
                         f"got {len(colors)}")
    return curves, colors


# -- densities -------------------------------------------------------------------------------
def plot_hessian_densities(curves, *, samples=None, bins=None, colors=None, show_edges=True,
                           shade_negative=None, ymax=None, title=None,
                           legend_loc="upper right", sample_label="sampled spectra (histogram)",
                           ax=None):
    r"""Spectral densities :math:`\rho(\lambda)` of the Pennington–Bahri Hessian on one Axes.

    Parameters
    ----------
    curves : list of dict
        Theory lines from :func:`rmtland.compare.hessian.density_curves` (``phi``, ``eps``,
        ``x``, ``rho``, ``support``, ``atoms``, ``index``, ``window``), drawn in this order.
    samples : mapping (phi, eps) -> array, optional
        Sampled eigenvalues (host array, any shape) drawn as a filled density histogram in
        the colour of the matching line, normalised by the total number of eigenvalues, so an
        atom of the law lands in one bin and the continuous part compares directly with the
        line.  A key that is not among the curves is a ``ValueError``.
    bins : int or array, optional
        Histogram bins (default: ``clip(sqrt(n), 30, 120)`` over the window).
    colors : list, optional
        One matplotlib colour per curve (default: the sequential colormap).
    show_edges : bool
        Short vertical ticks at the support edges, in the line's colour.
    shade_negative : bool, optional
        Fill :math:`\rho` on :math:`\lambda < 0`, whose area is the index :math:`\alpha`
        (default: only without ``samples``, whose filled histograms it would blur).
    ymax : float, optional
        Upper y limit (default: 1.12 × the largest theory peak; 1.2 × with ``samples``).
    title : str, optional
        Default names :math:`\varphi` when all curves share it.
    ax : matplotlib Axes, optional

    sample_label : str
        Legend entry of the histograms (default "sampled spectra (histogram)").
    Returns
    -------
    fig, ax

    Notes
    -----
    An atom (the Marchenko–Pastur mass :math:`1 - 1/\varphi` at 0 for :math:`\varepsilon = 0`,
    :math:`\varphi > 1`) is drawn as a vertical arrow and named in the legend, which also
    gives each line's index :math:`\alpha(\varepsilon, \varphi)` (PB17 Eq. (13)).
    """
    from matplotlib.patches import Patch

    curves, colors = _curves_and_colors(curves, colors, _style.CMAP)
    samples = _samples_by_pair(samples, curves)
    if shade_negative is None:
        shade_negative = not samples
    fig, ax = _style.get_axes(ax, (5.0, 3.6))
    lo = min(c["window"][0] for c in curves)
    hi = max(c["window"][1] for c in curves)
    one_phi = len({c["phi"] for c in curves}) == 1

    ax.axvline(0.0, color="0.6", lw=0.7, ls=":", zorder=0, gid="zero")
    peak = 0.0
    atom_marks = []
    for c, color in zip(curves, colors):
        x, rho, alpha = np.asarray(c["x"]), np.asarray(c["rho"]), c["index"]
        peak = max(peak, float(rho.max()))
        label = (rf"$\varepsilon = {fmt(c['eps'])}$" if one_phi
                 else rf"$\varphi = {fmt(c['phi'])},\ \varepsilon = {fmt(c['eps'])}$")
        if c["eps"] == 0:
            label += " (MP)"
        label += rf", $\alpha = {alpha:.3f}$" if alpha > 0 else r", $\alpha = 0$"
        for loc, mass in c["atoms"]:
            label += f"\n   + atom {fmt(mass)} at $\\lambda = {fmt(loc)}$"
        ax.plot(x, rho, color=color, lw=_style.THEORY_LW, label=label, gid="theory", zorder=3)
        if shade_negative and x[0] < 0 and alpha > 0:
            neg = x <= 0
            ax.fill_between(x[neg], rho[neg], color=color, alpha=0.3, lw=0, zorder=2,
                            gid="negative")
        if show_edges:
            for a, b in c["support"]:
                for edge in (a, b):
                    ax.axvline(edge, ymin=0.0, ymax=0.06, color=color, lw=1.4, zorder=4,
                               gid="support-edge")
        atom_marks += [(loc, mass, color) for loc, mass in c["atoms"]]

    tr = ax.get_xaxis_transform()
    for i, (loc, mass, color) in enumerate(atom_marks):
        top = 0.95 - 0.1 * i
        ax.annotate("", xy=(loc, top), xytext=(loc, 0.0), xycoords=tr, textcoords=tr,
                    arrowprops={"arrowstyle": "-|>", "color": color, "lw": 2.0},
                    gid="atom", zorder=5)
        ax.text(loc - 0.012 * (hi - lo), top - 0.02, f"atom {fmt(mass)}",
                transform=tr, color=color, fontsize="small", ha="right", va="top")

    handles = []
    for c, color in zip(curves, colors):
        key = (c["phi"], c["eps"])
        if key not in samples:
            continue
        e = samples[key]
        if bins is None:
            edges = np.linspace(lo, hi, int(np.clip(np.sqrt(e.size), 30, 120)) + 1)
        elif np.ndim(bins) == 0:
            edges = np.linspace(lo, hi, _validate.integer("bins", bins, 1) + 1)
        else:
            edges = np.asarray(bins, dtype=float)
        _style.histogram(ax, e, edges, color)
    if samples:
        handles.append(Patch(facecolor="0.55", alpha=0.4, label=sample_label))

    ax.set_xlim(lo, hi)
    if ymax is None:
        ymax = (1.2 if samples else 1.12) * peak
    ax.set_ylim(0.0, ymax)
    ax.set_xlabel(r"eigenvalue $\lambda$")
    ax.set_ylabel(r"density $\rho(\lambda)$")
    if title is None:
        title = (rf"Pennington–Bahri Hessian, $\varphi = {fmt(curves[0]['phi'])}$" if one_phi
                 else "Pennington–Bahri Hessian densities")
    ax.set_title(title)
    _style.legend(ax, handles, loc=legend_loc, title="theory (lines)" if samples else None,
                  title_fontsize="small")
    return fig, ax


def plot_hessian_density_panels(curves, *, samples=None, ncols=2, bins=None, suptitle=None,
                                figsize=None, **kwargs):
    r"""One panel per :math:`\varphi` (in order of first appearance), each drawn by
    :func:`plot_hessian_densities`; a given :math:`\varepsilon` has the same colour in every
    panel.  ``**kwargs`` go to :func:`plot_hessian_densities` (``show_edges``,
    ``shade_negative``, ...).

    Returns
    -------
    fig, axes : Figure, 1-D ndarray of Axes (one per distinct phi)
    """
    curves = _check_curves(curves)
    ncols = _validate.integer("ncols", ncols, 1)
    samples = _samples_by_pair(samples, curves)
    phis = list(dict.fromkeys(c["phi"] for c in curves))
    all_eps = sorted({c["eps"] for c in curves})
    palette = dict(zip(all_eps, _style.colors(len(all_eps))))
    ncols = min(ncols, len(phis))
    nrows = math.ceil(len(phis) / ncols)
    fig, grid = _style.new_figure(figsize or (4.6 * ncols, 3.5 * nrows), nrows, ncols)
    axes = grid.ravel()
    for extra in axes[len(phis):]:
        extra.remove()
    axes = axes[:len(phis)]
    for i, (ax, phi) in enumerate(zip(axes, phis)):
        group = [c for c in curves if c["phi"] == phi]
        sub = {k: v for k, v in samples.items() if k[0] == phi}
        plot_hessian_densities(group, samples=sub or None, bins=bins,
                               colors=[palette[c["eps"]] for c in group],
                               title=rf"({'abcdefghijklmnopqrstuvwxyz'[i % 26]}) "
                                     rf"$\varphi = {fmt(phi)}$", ax=ax, **kwargs)
    if suptitle is None:
        shaded = kwargs.get("shade_negative")
        shaded = not samples if shaded is None else shaded
        suptitle = (r"Spectral density of $H = H_0 + H_1$: Marchenko–Pastur($\varphi$) "
                    r"$\boxplus$ semicircle of variance $2\varepsilon$"
                    + ("\n" r"shaded area: index $\alpha$" if shaded else
                       "\nlines: theory, histograms: samples" if samples else ""))
    fig.suptitle(suptitle)
    return fig, np.asarray(axes, dtype=object)


# -- index -----------------------------------------------------------------------------------
def _check_empirical(empirical, phis):
    out = {}
    for phi, triple in dict(empirical or {}).items():
        phi = _validate.positive("phi", phi)
        if phi not in phis:
            raise InputError(f"empirical has phi key {phi} that is not among the curves {phis}")
        try:
            e, a, s = (np.asarray(v, dtype=float).ravel() for v in triple)
        except (TypeError, ValueError):
            raise InputError(f"empirical[{phi}] must be (eps, alpha, stderr) arrays") from None
        if not (e.shape == a.shape == s.shape):
            raise InputError(f"empirical[{phi}]: eps, alpha and stderr must have equal lengths")
        out[phi] = (e, a, s)
    return out


def _empirical_handle():
    from matplotlib.lines import Line2D
    return Line2D([], [], color="0.25", marker="o", ms=4, ls="none",
                  label="simulation (mean ± s.e.)")


def plot_index_vs_eps(curves, *, logx=True, empirical=None, colors=None, title=None,
                      legend_loc="upper left", ax=None):
    r"""Index :math:`\alpha(\varepsilon, \varphi)` against the loss :math:`\varepsilon`, one line
    per :math:`\varphi`, with :math:`\varepsilon_c(\varphi)` dotted and the 3/2 law dashed
    where the curve carries it.

    Parameters
    ----------
    curves : list of dict
        From :func:`rmtland.compare.hessian.index_curve` (``phi``, ``eps_c``, ``eps``,
        ``alpha``, ``law``).
    logx : bool
        Logarithmic :math:`\varepsilon` axis (default; the :math:`\varepsilon_c` span decades).
    empirical : mapping phi -> (eps, alpha, stderr), optional
        Simulated indices drawn as points with error bars in the colour of that
        :math:`\varphi` (a key not among the curves is a ``ValueError``).
    colors, title, legend_loc, ax
        As in :func:`plot_hessian_densities`.

    Returns
    -------
    fig, ax
    """
    from matplotlib.lines import Line2D

    curves, colors = _curves_and_colors(curves, colors, _style.CMAP_INDEX)
    emp = _check_empirical(empirical, [c["phi"] for c in curves])
    fig, ax = _style.get_axes(ax, (5.0, 3.6))
    any_law = False
    for c, color in zip(curves, colors):
        ec = c["eps_c"]
        label = rf"$\varphi = {fmt(c['phi'])}$, $\varepsilon_c = {fmt(ec) if ec else '0'}$"
        ax.plot(c["eps"], c["alpha"], color=color, lw=_style.THEORY_LW, label=label,
                gid="theory", zorder=3)
        if c["law"] is not None:
            any_law = True
            ax.plot(*c["law"], color=color, lw=1.3, ls="--", gid="three-halves", zorder=4)
            ax.axvline(ec, color=color, lw=0.8, ls=":", zorder=1, gid="eps-c")
        if c["phi"] in emp:
            e, a, s = emp[c["phi"]]
            bars = ax.errorbar(e, a, yerr=s, fmt="o", ms=3.5, color=color, capsize=2, lw=1,
                               zorder=5)
            bars.lines[0].set_gid("empirical")
    handles = []
    if any_law:
        handles.append(Line2D([], [], color="0.25", ls="--", lw=1.3,
                              label="3/2 law " + _LAW_TEX))
        handles.append(Line2D([], [], color="0.25", ls=":", lw=0.8,
                              label=r"$\varepsilon_c(\varphi)$"))
    if emp:
        handles.append(_empirical_handle())
    if logx:
        ax.set_xscale("log")
    e_lo = min(float(np.min(c["eps"])) for c in curves)
    e_hi = max(float(np.max(c["eps"])) for c in curves)
    ax.set_xlim(e_lo, e_hi)
    # headroom above the curves for the legend (upper left, where alpha is smallest)
    top = max([float(np.max(c["alpha"])) for c in curves]
              + [float(np.max(a + s)) for _, a, s in emp.values() if a.size] + [1e-3])
    ax.set_ylim(0.0, 1.35 * top)
    ax.set_xlabel(r"loss $\varepsilon$")
    ax.set_ylabel(r"index $\alpha$ (fraction of $\lambda < 0$)")
    ax.set_title(title if title is not None else
                 rf"Index $\alpha(\varepsilon, \varphi)$, ${fmt(e_lo)} \leq \varepsilon "
                 rf"\leq {fmt(e_hi)}$")
    _style.legend(ax, handles, loc=legend_loc)
    return fig, ax


def plot_three_halves_law(curves, *, empirical=None, colors=None, title=None,
                          legend_loc="upper left", ax=None):
    r"""The 3/2 law as a collapse: :math:`\alpha/\alpha_0(\varphi)` against
    :math:`x = (\varepsilon - \varepsilon_c)/\varepsilon_c` on log–log axes, one line per
    :math:`\varphi < 1`, and :math:`x^{3/2}` dashed (PB17 Eq. (17)).

    Parameters
    ----------
    curves : list of dict
        From :func:`rmtland.compare.hessian.three_halves_curve` (``phi``, ``eps_c``,
        ``alpha0``, ``x``, ``ratio``, ``law``).
    empirical : mapping phi -> (eps, alpha, stderr), optional
        As in :func:`plot_index_vs_eps`; points with :math:`\varepsilon > \varepsilon_c` are
        drawn at :math:`(x, \alpha/\alpha_0)` with error bars :math:`s/\alpha_0`.
    colors, title, legend_loc, ax
        As in :func:`plot_hessian_densities`.

    Returns
    -------
    fig, ax
    """
    curves, colors = _curves_and_colors(curves, colors, _style.CMAP_INDEX)
    emp = _check_empirical(empirical, [c["phi"] for c in curves])
    fig, ax = _style.get_axes(ax, (5.0, 3.6))
    for c, color in zip(curves, colors):
        ax.plot(c["x"], c["ratio"], color=color, lw=_style.THEORY_LW, gid="theory", zorder=3,
                label=rf"$\varphi = {fmt(c['phi'])}$, $\alpha_0 = {c['alpha0']:.4f}$")
        if c["phi"] in emp:
            e, a, s = emp[c["phi"]]
            ec, a0 = c["eps_c"], c["alpha0"]
            keep = e > ec
            bars = ax.errorbar((e[keep] - ec) / ec, a[keep] / a0, yerr=s[keep] / a0, fmt="o",
                               ms=3.5, color=color, capsize=2, lw=1, zorder=5)
            bars.lines[0].set_gid("empirical")
    ax.plot(curves[0]["x"], curves[0]["law"], color="0.15", ls="--", lw=1.3,
            gid="three-halves", zorder=4, label=r"3/2 law: $x^{3/2}$")
    handles = [_empirical_handle()] if emp else []
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(float(np.min(curves[0]["x"])), float(np.max(curves[0]["x"])))
    ax.set_xlabel(r"$x = (\varepsilon - \varepsilon_c)/\varepsilon_c$")
    ax.set_ylabel(r"$\alpha(\varepsilon, \varphi)\,/\,\alpha_0(\varphi)$")
    ax.set_title(title if title is not None else
                 r"3/2 law near $\varepsilon_c$: $\alpha \approx \alpha_0\, x^{3/2}$")
    _style.legend(ax, handles, loc=legend_loc)
    return fig, ax


def plot_index_figure(index_curves, three_halves_curves, *, empirical=None, suptitle=None,
                      figsize=None):
    r"""Two panels: (a) :func:`plot_index_vs_eps`, (b) :func:`plot_three_halves_law` for the
    :math:`\varphi < 1` among them, with matching colours (panel (b) is removed when there is
    none).

    Returns
    -------
    fig, axes : Figure, 1-D ndarray of 2 Axes
    """
    index_curves = _check_curves(index_curves, "index_curves")
    colors = _style.colors(len(index_curves), _style.CMAP_INDEX)
    by_phi = dict(zip((c["phi"] for c in index_curves), colors))
    fig, grid = _style.new_figure(figsize or (10.4, 4.0), 1, 2)
    ax_a, ax_b = grid[0]
    plot_index_vs_eps(index_curves, empirical=empirical, colors=colors, ax=ax_a,
                      title=r"(a) index against the loss")
    three = list(three_halves_curves or [])
    if three:
        emp_b = {k: v for k, v in dict(empirical or {}).items()
                 if float(k) in {c["phi"] for c in three}}
        plot_three_halves_law(three, empirical=emp_b or None,
                              colors=[by_phi[c["phi"]] for c in three], ax=ax_b,
                              title=r"(b) the 3/2 law near $\varepsilon_c$, $\varphi < 1$")
    else:
        ax_b.remove()
    fig.suptitle(suptitle if suptitle is not None else
                 r"Index of $H = H_0 + H_1$ (fraction of negative eigenvalues), "
                 r"Pennington & Bahri 2017")
    return fig, np.asarray([ax_a, ax_b], dtype=object)


# -- eps_c -----------------------------------------------------------------------------------
def plot_eps_c(curve, *, marks=None, numeric=None, figsize=None, suptitle=None, axes=None):
    r"""Critical loss :math:`\varepsilon_c(\varphi)` (panel a) and the 3/2-law coefficient
    :math:`\alpha_0(\varphi)` (panel b) for :math:`0 < \varphi < 1` (PB17 Eqs. (16)–(17)).

    Parameters
    ----------
    curve : dict
        From :func:`rmtland.compare.hessian.eps_c_curve` (``phi``, ``eps_c``, ``alpha0``).
    marks : dict, optional
        ``phi``, ``eps_c``, ``alpha0`` arrays of the ratios to mark (e.g. those of the other
        figures), as from ``eps_c_curve``.
    numeric : (phis, eps) arrays, optional
        An independent numerical determination of :math:`\varepsilon_c` (the root of the
        left support edge), drawn as open circles.
    axes : pair of Axes, optional

    Returns
    -------
    fig, axes : Figure, 1-D ndarray of 2 Axes
    """
    given = axes is not None
    fig, (ax_a, ax_b) = _style.get_axes_pair(axes, figsize or (10.4, 3.9))
    phi, ec, a0 = (np.asarray(curve[k], dtype=float) for k in ("phi", "eps_c", "alpha0"))
    ax_a.plot(phi, ec, color="C0", lw=1.8, gid="theory", label=_EPS_C_TEX)
    ax_a.fill_between(phi, ec, 0, color="C0", alpha=0.08, lw=0)
    ax_a.text(0.06, 0.2, "$\\alpha = 0$: minima", transform=ax_a.transAxes, fontsize="small",
              color="C0")
    ax_a.text(0.55, 0.62, r"$\alpha > 0$: saddle points", transform=ax_a.transAxes,
              fontsize="small", color="0.3")
    ax_b.plot(phi, a0, color="C3", lw=1.8, gid="theory", label=_ALPHA0_TEX)
    if marks is not None and len(marks["phi"]):
        label = r"$\varphi$ of the density and index figures"
        ax_a.plot(marks["phi"], marks["eps_c"], "s", color="k", ms=5, ls="none", gid="mark",
                  label=label, zorder=5)
        ax_b.plot(marks["phi"], marks["alpha0"], "s", color="k", ms=5, ls="none", gid="mark",
                  label=label, zorder=5)
    if numeric is not None:
        p_num, e_num = (np.asarray(v, dtype=float).ravel() for v in numeric)
        if p_num.shape != e_num.shape:
            raise InputError("numeric must be two arrays of equal length (phis, eps)")
        ax_a.plot(p_num, e_num, "o", mfc="none", mec="C1", mew=1.4, ms=7, ls="none",
                  gid="numeric", zorder=6,
                  label=r"numerical: root of $\lambda_-(\varepsilon) = 0$")
    xlabel = r"$\varphi$ = parameters / (outputs $\times$ samples)"
    for ax in (ax_a, ax_b):
        ax.set_xlim(0, 1)
        ax.set_ylim(bottom=0)
        ax.set_xlabel(xlabel)
    ax_a.set_ylabel(r"critical loss $\varepsilon_c(\varphi)$")
    ax_b.set_ylabel(r"3/2-law coefficient $\alpha_0(\varphi)$")
    ax_a.set_title(r"(a) critical loss: $\alpha = 0$ for $\varepsilon \leq \varepsilon_c$")
    ax_b.set_title(r"(b) $\alpha \approx \alpha_0 ((\varepsilon-\varepsilon_c)/"
                   r"\varepsilon_c)^{3/2}$")
    _style.legend(ax_a, loc="upper right", fontsize="medium")
    _style.legend(ax_b, loc="upper right", fontsize="medium")
    if not given:
        fig.suptitle(suptitle if suptitle is not None else
                     r"Critical loss and 3/2-law coefficient, $0 < \varphi < 1$ "
                     r"(Pennington & Bahri 2017, Eqs. (16)–(17))")
    return fig, np.asarray([ax_a, ax_b], dtype=object)


def plot_finite_size(study, *, bias=None, figsize=None, suptitle=None, axes=None):
    r"""Finite-size study (:func:`rmtland.experiments.hessian.finite_size_study`): (a) KS and
    L¹ distances between the simulated spectra and the theory against :math:`n` (log–log,
    points) with the fitted power laws (lines, the study's ``fits[key]["line"]``); (b) the
    index error in eigenvalues per matrix, :math:`n(\hat\alpha - \alpha)`, with :math:`\pm 2`
    standard errors.

    With ``bias`` (:func:`rmtland.experiments.hessian.index_bias_study`) a third panel (c):
    the limit :math:`b_\infty` of :math:`n(\hat\alpha - \alpha)` against :math:`\varphi`
    (log axis), one colour per :math:`\varepsilon`, :math:`\pm 2` s.e.; filled points are
    the :math:`b_\infty + c/n` extrapolations (:math:`\alpha > 0`), open ones :math:`b` at the
    largest :math:`n` where :math:`\alpha = 0`; a zero line and :math:`\varphi = 1`.  Points
    of one :math:`\varphi` are spread sideways by a few per cent so that their bars do not
    overlap (a drawing offset only).

    Returns
    -------
    fig, axes (2 Axes, or 3 with ``bias``)
    """
    rows, fits = study["rows"], study["fits"]
    ncols = 2 if bias is None else 3
    if axes is None:
        figsize = figsize or ((11, 4.2) if bias is None else (16, 4.4))
        fig, grid = _style.new_figure(figsize, 1, ncols)
        axes = grid[0]
    else:
        if len(axes) != ncols:
            raise InputError(f"axes must hold {ncols} Axes, got {len(axes)}")
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
        ax.plot(*f["line"], "-", color=pts.get_color(),
                label=rf"fit $\propto n^{{{f['exponent']:.2f}}}$ (s.e. {se})", gid="fit")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("matrix size $n$")
    ax.set_ylabel("distance to the theory")
    ax.set_title("(a) spectrum: simulation vs free-probability law")
    _style.legend(ax, loc="best")          # the L1 points sit where "upper right" would be
    ax = axes[1]
    bias_n = np.array([r["n"] * (r["empirical_index"] - r["theory_index"]) for r in rows])
    err = np.array([r["n"] * (r["index_stderr"] or 0.0) for r in rows])
    ax.errorbar(n, bias_n, yerr=2 * err, fmt="o", capsize=3, gid="simulation",
                label=r"$n(\hat\alpha - \alpha)$, $\pm 2$ s.e.")
    ax.axhline(0.0, color="0.3", lw=1, ls="--", gid="theory",
               label=r"theory $\alpha(\varepsilon,\varphi)$")
    ax.set_xscale("log")
    ax.set_xlabel("matrix size $n$")
    ax.set_ylabel(r"index error $n(\hat\alpha - \alpha)$ [eigenvalues per matrix]")
    ax.set_title(rf"(b) index bias at $\varphi = {fmt(study['phi'])}$, "
                 rf"$\varepsilon = {fmt(study['eps'])}$")
    _style.legend(ax, loc="best")
    if bias is not None:
        _plot_index_bias(axes[2], bias)
    fig.suptitle(suptitle or (rf"Finite-size study, $\varphi = {fmt(study['phi'])}$, "
                              rf"$\varepsilon = {fmt(study['eps'])}$" if bias is None else
                              "Finite-size corrections: spectrum and index"))
    return fig, axes


#: relative sideways spread of the points of one phi in panel (c) of plot_finite_size
_DODGE = 0.035


def _plot_index_bias(ax, bias):
    """Panel (c) of :func:`plot_finite_size`: b_inf against phi, one colour per eps."""
    eps_values = list(bias["eps"])
    palette = _style.colors(len(eps_values), _style.CMAP_INDEX)
    for j, (e, color) in enumerate(zip(eps_values, palette)):
        rows = [r for r in bias["rows"] if r["eps"] == e]
        if not rows:
            continue
        shift = (1 + _DODGE) ** (j - (len(eps_values) - 1) / 2)
        for filled in (True, False):
            sel = [r for r in rows if (r["regime"] == "alpha > 0") == filled]
            if not sel:
                continue
            x = np.array([r["phi"] for r in sel]) * shift
            y = np.array([r["b_inf"] for r in sel])
            yerr = 2 * np.array([r["b_inf_stderr"] for r in sel])
            label = rf"$\varepsilon = {fmt(e)}$" + ("" if filled else r", $\alpha = 0$")
            ax.errorbar(x, y, yerr=yerr, fmt="o" if filled else "s", ms=4.5, capsize=2,
                        lw=1, color=color, mfc=color if filled else "white", mec=color,
                        gid="simulation", label=label)
    ax.axhline(0.0, color="0.3", lw=1, ls="--", gid="theory", label="no bias")
    ax.axvline(1.0, color="0.6", lw=0.8, ls=":", gid="mark", label=r"$\varphi = 1$")
    ax.set_xscale("log")
    phis = sorted({float(r["phi"]) for r in bias["rows"]})
    ax.set_xticks(phis)
    ax.set_xticklabels([fmt(p) for p in phis])
    ax.minorticks_off()
    ax.set_xlabel(r"$\varphi$ = parameters / (outputs $\times$ samples)")
    ax.set_ylabel(r"$b_\infty = \lim\, n(\hat\alpha - \alpha)$ [eigenvalues per matrix]")
    ns = ", ".join(str(v) for v in bias["ns"])
    ax.set_title(rf"(c) limit of the index bias, $\pm 2$ s.e. ($n$ = {ns})")
    _style.legend(ax, loc="best", ncol=2, fontsize="x-small")
