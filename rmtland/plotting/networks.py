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

from . import _style

__all__ = ["plot_network_study", "plot_linear_landscape"]


def plot_network_study(study, *, figsize=(11, 4.2), axes=None):
    r"""(a) index fraction :math:`\alpha` against the loss :math:`\varepsilon` at the critical
    points found (simulation, points, one colour per :math:`\varphi`), beside the
    Pennington–Bahri index at each point's matched :math:`(\varphi, \varepsilon)` (theory, open
    markers joined by a line per :math:`\varphi`) and, when a fit exists, the fitted
    :math:`\alpha_0((\varepsilon - \varepsilon_c)/\varepsilon_c)^{\gamma}` (line); (b) the three
    freeness KS distances per point against the loss, with the model's own sampling level.

    ``study`` is :func:`rmtland.experiments.networks.network_study`'s dict (``groups``: per
    :math:`\varphi` the arrays ``loss``, ``index_fraction``, ``theory_index``, ``ks``, ...).
    """
    fig, axes = _style.get_axes_pair(axes, figsize)
    groups = study["groups"]
    colors = _style.colors(len(groups), _style.CMAP_INDEX)
    ax = axes[0]
    for g, c in zip(groups, colors):
        eps = np.asarray(g["loss"], dtype=float)
        if not eps.size:
            continue
        order = np.argsort(eps)
        ax.plot(eps, g["index_fraction"], "o", color=c, ms=4, gid="simulation",
                label=rf"$\varphi = {g['phi']:.3g}$: {eps.size} critical points")
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
    _style.legend(ax, loc="lower right")
    ax = axes[1]
    markers = {"ks_free_convolution": ("o", "free convolution of spec $H_0$, spec $H_1$"),
               "ks_rotated": ("s", r"$H_0 + Q H_1 Q^\top$, Haar $Q$"),
               "ks_pennington_bahri": ("^", "PB17 law, matched moments")}
    for key, (marker, label) in markers.items():
        first = True
        for g, c in zip(groups, colors):
            ks = np.asarray(g["ks"].get(key, []), dtype=float)
            if ks.size:
                ax.plot(g["ks_loss"], ks, marker, mfc="none" if marker != "o" else c,
                        color=c, ms=5, ls="none", gid="simulation",
                        label=label if first else None)
                first = False
    if study.get("ks_reference") is not None:
        ax.axhline(study["ks_reference"], color="0.4", ls=":", lw=1, gid="reference",
                   label="model's own KS level (same n, PB17 matrices)")
    ax.set_xlabel(r"loss $\varepsilon$ at the critical point")
    ax.set_ylabel("KS distance of spec $H$ to")
    ax.set_title("(b) freeness test at each critical point")
    ax.set_ylim(bottom=0)
    _style.legend(ax, loc="upper right")
    fig.suptitle(study["title"])
    return fig, axes


def plot_linear_landscape(landscape, *, figsize=(6.4, 4.4), ax=None):
    r"""Critical points of a one-hidden-layer linear network: the exact Baldi–Hornik list
    (theory, open circles: loss against the number of negative Hessian eigenvalues) and the
    points the numerical finder recovered (simulation, filled dots), with the recall."""
    fig, ax = _style.get_axes(ax, figsize)
    ax.plot(landscape["exact_index"], landscape["exact_loss"], "o", mfc="none", ms=9,
            color="k", ls="none", gid="theory",
            label=f"exact (Baldi & Hornik): {len(landscape['exact_loss'])} points")
    ax.plot(landscape["found_index"], landscape["found_loss"], "o", ms=4, color="C3",
            ls="none", gid="simulation",
            label=f"found numerically: recall {landscape['recall']:.0%}, "
                  f"{landscape['spurious']} spurious")
    ax.set_xlabel("number of negative Hessian eigenvalues")
    ax.set_ylabel(r"loss $\varepsilon$")
    ax.set_title(landscape["title"], fontsize="medium")
    _style.legend(ax, loc="lower right")      # high-index saddles sit upper right
    return fig, ax
