r"""Figure of :func:`rmtland.experiments.freeness_scaling.freeness_scaling`: the freeness
defect of :math:`H = H_0 + H_1` against the parameter count at fixed :math:`\varphi`.

Arrays in, Figure out: every number (distances, null levels, rejection fractions, fitted
slopes) arrives in the study's result; nothing is computed here.
"""
from . import _style

__all__ = ["plot_freeness_scaling"]

_TITLES = {"ks_free_convolution": "(a) free convolution of spec $H_0$, spec $H_1$",
           "ks_rotated": r"(b) spec($H_0 + QH_1Q^\top$), Haar $Q$",
           "ks_pennington_bahri": "(c) PB17 law, matched moments"}


def _slope(fit):
    if not fit:
        return "n/a"
    se = "" if fit["stderr"] is None else f" ± {fit['stderr']:.2f}"
    return f"{fit['slope']:.2f}{se}"


def plot_freeness_scaling(result, *, figsize=(14, 7.5)):
    """Top row, one panel per test: the KS distance of spec(H) (filled, mean ± s.e. over the
    units) and the mean distance of the Haar null draws (open, dashed: the finite-size noise
    level) against n on log–log, one colour per phi, the fitted slopes in the legend.  Bottom
    row: the fraction of units rejecting freeness at the study's level ± binomial s.e., with
    the level (dotted: the rate under freeness)."""
    fig, axes = _style.new_figure(figsize, 2, 3)
    rows = result["rows"]
    phis = list(result["fits"])
    colors = _style.colors(len(phis))
    for col, (key, title) in enumerate(_TITLES.items()):
        top, bottom = axes[0, col], axes[1, col]
        for phi, c in zip(phis, colors):
            rs = [r for r in rows if str(r["phi"]) == phi and r[key]["ks_mean"] is not None]
            if not rs:
                continue
            n = [r["n"] for r in rs]
            fit = result["fits"][phi][key]
            top.errorbar(n, [r[key]["ks_mean"] for r in rs],
                         yerr=[r[key]["ks_se"] or 0.0 for r in rs], fmt="o-", color=c, ms=5,
                         gid="simulation", label=rf"$\varphi={_style.fmt(phi)}$: KS, slope "
                                                 f"{_slope(fit['ks'])}")
            top.errorbar(n, [r[key]["null_mean_mean"] for r in rs],
                         yerr=[r[key]["null_mean_se"] or 0.0 for r in rs], fmt="o--",
                         mfc="none", color=c, ms=5, gid="reference",
                         label=f"null mean, slope {_slope(fit['null_mean'])}; "
                               f"ratio {_slope(fit['ratio'])}")
            bottom.errorbar(n, [r[key]["reject_fraction"] for r in rs],
                            yerr=[r[key]["reject_se"] for r in rs], fmt="o-", color=c, ms=5,
                            gid="simulation", label=rf"$\varphi={_style.fmt(phi)}$")
        bottom.axhline(result["level"], color="0.4", ls=":", gid="reference",
                       label=f"level {_style.fmt(result['level'])} (freeness)")
        for ax in (top, bottom):
            ax.set_xscale("log")
            ax.set_xlabel("parameters $n$")
        top.set_yscale("log")
        top.set_ylabel("KS distance of spec $H$")
        top.set_title(title, fontsize="medium")
        bottom.set_ylabel(f"fraction with p ≤ {_style.fmt(result['level'])}")
        bottom.set_ylim(-0.05, 1.05)
        _style.legend(top, fontsize="x-small")
        _style.legend(bottom, fontsize="x-small")
    return fig
