"""Plotting layer (rmtland.plotting): arrays in, Figure out.

What is checked here is the plotting contract, not the theory (the theory curves are checked
against independent references in tests/test_compare_hessian.py):

* every figure has labelled axes, a title and a legend with non-empty entries;
* theory is drawn as lines with gid ``"theory"`` whose data ARE the arrays handed in (a
  data-flow check: nothing is recomputed, resampled or reordered on the way), simulation as
  histograms (gid ``"simulation"``) or points (gid ``"empirical"``/``"simulation"``);
* bad input raises ``ValueError`` naming the parameter;
* degenerate data plots (no minimum, one minimum, all minima at one energy);
* nothing is clipped: after a draw, every legend and text lies inside the figure;
* the style constants of rmtland.plotting._style are honoured;
* rmtland/plotting/*.py imports nothing that evaluates the theory (read with ``ast``).
"""
import ast
import io
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from rmtland.compare import hessian as ch  # noqa: E402
from rmtland.compare import spinglass as cs  # noqa: E402
from rmtland.plotting import _style  # noqa: E402
from rmtland.plotting import hessian as ph  # noqa: E402
from rmtland.plotting import spinglass as ps  # noqa: E402

PLOTTING_DIR = Path(__file__).resolve().parents[1] / "rmtland" / "plotting"


# -- helpers ---------------------------------------------------------------------------------
def _lines(ax, gid):
    return [ln for ln in ax.lines if ln.get_gid() == gid]


def _points(ax, gid):
    """Data lines of points with gid ``gid`` (an errorbar gives its gid to its caps too)."""
    return [ln for ln in _lines(ax, gid) if ln.get_marker() == "o"]


def _patches(ax, gid):
    return [p for p in ax.patches if p.get_gid() == gid]


def _check_labels(ax):
    assert ax.get_xlabel().strip() and ax.get_ylabel().strip()
    assert ax.get_title().strip()
    legend = ax.get_legend()
    assert legend is not None and len(legend.get_texts()) >= 1
    assert all(t.get_text().strip() for t in legend.get_texts())


def _assert_nothing_clipped(fig):
    """Draw with Agg (as savefig does) and check that every legend, title, axis label and the
    suptitle lies inside the figure (1 pixel of slack for rounding)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    box = fig.bbox
    items = [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        items += [ax.get_legend(), ax.title, ax.xaxis.label, ax.yaxis.label]
    checked = 0
    for item in items:
        if item is None or not item.get_visible() or (hasattr(item, "get_text")
                                                       and not item.get_text()):
            continue
        ext = item.get_window_extent(renderer)
        assert ext.x0 >= box.x0 - 1 and ext.y0 >= box.y0 - 1, (item, ext, box)
        assert ext.x1 <= box.x1 + 1 and ext.y1 <= box.y1 + 1, (item, ext, box)
        checked += 1
    assert checked >= 4


def test_clipping_check_detects_a_legend_outside_the_figure():
    fig, ax = _style.new_figure((4, 3))
    ax = ax[0, 0]
    ax.plot([0, 1], [0, 1], label="a line")
    ax.set(xlabel="x", ylabel="y", title="t")
    ax.legend(loc="upper left", bbox_to_anchor=(1.3, 1.0))
    with pytest.raises(AssertionError):
        _assert_nothing_clipped(fig)


def _png_bytes(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def _no_pyplot_figures():
    """The plotting functions build Figure objects directly: nothing is registered with
    pyplot (no GUI backend, no figure leak in loops)."""
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before


# -- Hessian densities -----------------------------------------------------------------------
PARAMS = [(0.5, 0.1), (2.0, 0.0), (0.75, 0.01), (2.0, 0.01)]


@pytest.fixture(scope="module")
def density_curves():
    return ch.density_curves(PARAMS, n_points=400)


def test_densities_draw_exactly_the_curves_handed_in(density_curves):
    fig, ax = ph.plot_hessian_densities(density_curves)
    _check_labels(ax)
    assert "lambda" in ax.get_xlabel() and "rho" in ax.get_ylabel()
    lines = _lines(ax, "theory")
    assert len(lines) == len(PARAMS)
    for c, line in zip(density_curves, lines):
        np.testing.assert_array_equal(line.get_xdata(), c["x"])
        np.testing.assert_array_equal(line.get_ydata(), c["rho"])
    # support-edge ticks at exactly the edges handed in, nothing else
    edges = sorted(ln.get_xdata()[0] for ln in _lines(ax, "support-edge"))
    assert edges == sorted(e for c in density_curves for iv in c["support"] for e in iv)
    # one atom arrow (phi = 2, eps = 0 carries one atom), at its location, named in the legend
    atoms = [t for t in ax.texts if t.get_gid() == "atom"]
    assert len(atoms) == 1 and atoms[0].xy[0] == density_curves[1]["atoms"][0][0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "atom 0.5" in texts[1] and not any("atom" in t for t in texts[:1] + texts[2:])
    # the legend quotes each curve's index as handed in; shading only where index > 0
    for c, text in zip(density_curves, texts):
        assert (f"{c['index']:.3f}" if c["index"] > 0 else r"\alpha = 0$") in text
    shaded = [col for col in ax.collections if col.get_gid() == "negative"]
    assert len(shaded) == sum(c["index"] > 0 for c in density_curves)
    # the window handed in is the x range
    assert ax.get_xlim() == pytest.approx(density_curves[0]["window"], rel=0, abs=0)
    _assert_nothing_clipped(fig)


def test_densities_are_arrays_in_not_theory(density_curves):
    """A curve whose rho is not the theory (here: doubled) is drawn as given: the plotting
    layer does not evaluate the law behind (phi, eps)."""
    fake = [dict(density_curves[0], rho=2 * density_curves[0]["rho"])]
    fig, ax = ph.plot_hessian_densities(fake)
    np.testing.assert_array_equal(_lines(ax, "theory")[0].get_ydata(), fake[0]["rho"])


def test_densities_samples_drawn_as_normalised_histograms(density_curves):
    rng = np.random.default_rng(1)
    eigs = 1.0 + 0.3 * rng.standard_normal(4000)
    key = (0.5, 0.1)
    fig, ax = ph.plot_hessian_densities(density_curves[:2], samples={key: eigs})
    hists = _patches(ax, "simulation")
    assert len(hists) == 1
    heights, edges, _ = hists[0].get_data()
    # normalised by the total number of values: area = fraction of values inside the bins
    inside = np.mean((eigs >= edges[0]) & (eigs <= edges[-1]))
    assert np.sum(heights * np.diff(edges)) == pytest.approx(inside, rel=1e-12)
    assert inside > 0.99                       # the default bins span the window
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("histogram" in t for t in labels)
    assert len(_lines(ax, "theory")) == 2
    # an integer number of bins is honoured
    fig, ax = ph.plot_hessian_densities(density_curves[:1], samples={key: eigs}, bins=17)
    assert len(_patches(ax, "simulation")[0].get_data()[0]) == 17
    _assert_nothing_clipped(fig)


@pytest.mark.parametrize("kwargs, name", [
    ({"samples": {(0.3, 0.1): [1.0, 2.0]}}, "samples"),       # key not among the curves
    ({"samples": {(0.5, 0.1): []}}, "samples"),               # empty
    ({"samples": {(0.5, 0.1): [1.0, np.nan]}}, "samples"),    # not finite
    ({"samples": {"ab": [1.0]}}, "samples"),                  # not a (phi, eps) pair
    ({"samples": {(0.5, 0.1): [1.0]}, "bins": 0}, "bins"),
    ({"colors": ["r", "g"]}, "colors"),                       # one curve, two colours
])
def test_densities_bad_input_names_the_parameter(density_curves, kwargs, name):
    with pytest.raises(ValueError, match=name):
        ph.plot_hessian_densities(density_curves[:1], **kwargs)


def test_densities_empty_curves_is_an_error():
    with pytest.raises(ValueError, match="curves"):
        ph.plot_hessian_densities([])
    with pytest.raises(ValueError, match="curves"):
        ph.plot_hessian_density_panels([])


def test_densities_draw_into_a_given_axes(density_curves):
    fig, ax = _style.new_figure((4, 3))
    fig2, ax2 = ph.plot_hessian_densities(density_curves[:1], ax=ax[0, 0])
    assert ax2 is ax[0, 0] and fig2 is fig and len(_lines(ax2, "theory")) == 1


def test_density_panels_one_per_phi_same_colour_per_eps():
    params = [(p, e) for p in (0.25, 2.0) for e in (0.0, 0.1, 0.5)]
    curves = ch.density_curves(params, n_points=200)
    eigs = np.linspace(0.5, 1.5, 50)
    fig, axes = ph.plot_hessian_density_panels(curves, samples={(2.0, 0.1): eigs})
    assert len(axes) == 2 and fig._suptitle.get_text()
    for ax, phi in zip(axes, (0.25, 2.0)):
        _check_labels(ax)
        lines = _lines(ax, "theory")
        group = [c for c in curves if c["phi"] == phi]
        assert len(lines) == 3
        for c, line in zip(group, lines):
            np.testing.assert_array_equal(line.get_ydata(), c["rho"])
    for a, b in zip(_lines(axes[0], "theory"), _lines(axes[1], "theory")):
        assert a.get_color() == b.get_color()
    # the samples land in the panel of their phi only
    assert len(_patches(axes[0], "simulation")) == 0 and len(_patches(axes[1], "simulation")) == 1
    _assert_nothing_clipped(fig)


# -- index and the 3/2 law -------------------------------------------------------------------
@pytest.fixture(scope="module")
def index_curves():
    return [ch.index_curve(p, np.geomspace(1e-3, 1.0, 12)) for p in (0.25, 0.5, 2.0)]


def test_index_draws_the_curves_their_law_and_eps_c(index_curves):
    fig, ax = ph.plot_index_vs_eps(index_curves)
    _check_labels(ax)
    assert ax.get_xscale() == "log"
    lines = _lines(ax, "theory")
    assert len(lines) == 3
    for c, line in zip(index_curves, lines):
        np.testing.assert_array_equal(line.get_xdata(), c["eps"])
        np.testing.assert_array_equal(line.get_ydata(), c["alpha"])
    # the 3/2 law (dashed) and eps_c (dotted) exactly for the curves that carry a law
    with_law = [c for c in index_curves if c["law"] is not None]
    assert len(with_law) == 2
    for c, line in zip(with_law, _lines(ax, "three-halves")):
        assert line.get_linestyle() == "--"
        np.testing.assert_array_equal(line.get_xdata(), c["law"][0])
        np.testing.assert_array_equal(line.get_ydata(), c["law"][1])
    assert [ln.get_xdata()[0] for ln in _lines(ax, "eps-c")] == [c["eps_c"] for c in with_law]
    _assert_nothing_clipped(fig)


def test_index_empirical_points_and_validation(index_curves):
    emp = {0.5: (np.array([0.02, 0.1]), np.array([0.01, 0.11]), np.array([0.002, 0.004]))}
    fig, ax = ph.plot_index_vs_eps(index_curves, empirical=emp)
    (pts,) = _lines(ax, "empirical")
    np.testing.assert_array_equal(pts.get_xdata(), emp[0.5][0])
    np.testing.assert_array_equal(pts.get_ydata(), emp[0.5][1])
    assert pts.get_color() == _lines(ax, "theory")[1].get_color()     # colour of its phi
    assert any("simulation" in t.get_text() for t in ax.get_legend().get_texts())
    with pytest.raises(ValueError, match="empirical"):                 # phi not among curves
        ph.plot_index_vs_eps(index_curves[2:], empirical=emp)
    with pytest.raises(ValueError, match="empirical"):                 # unequal lengths
        ph.plot_index_vs_eps(index_curves, empirical={0.5: ([0.1, 0.2], [0.1], [0.1])})
    with pytest.raises(ValueError, match="phi"):
        ph.plot_index_vs_eps(index_curves, empirical={-1.0: ([0.1], [0.1], [0.1])})
    with pytest.raises(ValueError, match="colors"):
        ph.plot_index_vs_eps(index_curves, colors=["r"])
    with pytest.raises(ValueError, match="curves"):
        ph.plot_index_vs_eps([])
    fig, ax = ph.plot_index_vs_eps(index_curves[:1], logx=False)
    assert ax.get_xscale() == "linear"


def test_three_halves_collapse_draws_the_curves():
    x = np.geomspace(1e-3, 10, 12)
    curves = [ch.three_halves_curve(p, x) for p in (0.25, 0.75)]
    emp = {0.25: (np.array([0.01, 0.05, 0.1]), np.array([0.0, 0.01, 0.05]),
                  np.array([1e-3, 2e-3, 3e-3]))}
    fig, ax = ph.plot_three_halves_law(curves, empirical=emp)
    _check_labels(ax)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    lines = _lines(ax, "theory")
    assert len(lines) == 2
    for c, line in zip(curves, lines):
        np.testing.assert_array_equal(line.get_xdata(), c["x"])
        np.testing.assert_array_equal(line.get_ydata(), c["ratio"])
    (law,) = _lines(ax, "three-halves")
    np.testing.assert_array_equal(law.get_ydata(), curves[0]["law"])
    # empirical points above eps_c only, mapped to (x, alpha/alpha0) from the curve's numbers
    (pts,) = _lines(ax, "empirical")
    c = curves[0]
    keep = emp[0.25][0] > c["eps_c"]
    np.testing.assert_allclose(pts.get_xdata(), (emp[0.25][0][keep] - c["eps_c"]) / c["eps_c"],
                               rtol=1e-15)
    np.testing.assert_allclose(pts.get_ydata(), emp[0.25][1][keep] / c["alpha0"], rtol=1e-15)
    with pytest.raises(ValueError, match="colors"):
        ph.plot_three_halves_law(curves, colors=["r"])
    _assert_nothing_clipped(fig)


def test_index_figure_two_panels_and_one_when_no_phi_below_one(index_curves):
    three = [ch.three_halves_curve(0.5, np.geomspace(1e-2, 1, 6))]
    fig, axes = ph.plot_index_figure(index_curves, three)
    assert len(axes) == 2 and len(fig.axes) == 2
    assert len(_lines(axes[0], "theory")) == 3 and len(_lines(axes[1], "theory")) == 1
    for ax in axes:
        _check_labels(ax)
    # phi = 0.5 has the same colour in both panels
    assert _lines(axes[0], "theory")[1].get_color() == _lines(axes[1], "theory")[0].get_color()
    _assert_nothing_clipped(fig)
    fig, axes = ph.plot_index_figure(index_curves[2:], [])
    assert len(fig.axes) == 1                     # panel (b) removed
    with pytest.raises(ValueError, match="index_curves"):
        ph.plot_index_figure([], three)


# -- eps_c -----------------------------------------------------------------------------------
def test_eps_c_panels_draw_the_curve_marks_and_numeric_points():
    curve = ch.eps_c_curve(np.linspace(0.01, 0.99, 30))
    marks = ch.eps_c_curve([0.25, 0.5])
    numeric = (np.array([0.3, 0.6]), np.array([0.03, 0.005]))
    fig, axes = ph.plot_eps_c(curve, marks=marks, numeric=numeric)
    assert len(axes) == 2
    for ax, key in zip(axes, ("eps_c", "alpha0")):
        _check_labels(ax)
        (line,) = _lines(ax, "theory")
        np.testing.assert_array_equal(line.get_xdata(), curve["phi"])
        np.testing.assert_array_equal(line.get_ydata(), curve[key])
        (mark,) = _lines(ax, "mark")
        np.testing.assert_array_equal(mark.get_ydata(), marks[key])
    (num,) = _lines(axes[0], "numeric")
    np.testing.assert_array_equal(num.get_xdata(), numeric[0])
    np.testing.assert_array_equal(num.get_ydata(), numeric[1])
    _assert_nothing_clipped(fig)
    with pytest.raises(ValueError, match="numeric"):
        ph.plot_eps_c(curve, numeric=([0.3, 0.6], [0.03]))


# -- finite-size study -----------------------------------------------------------------------
def _finite_size_study():
    ns = [40.0, 80.0, 160.0]
    line = np.geomspace(40, 160, 5)
    return {"phi": 0.5, "eps": 0.1,
            "rows": [{"n": n, "ks_distance": 0.3 / np.sqrt(n), "l1_distance": 1 / n,
                      "empirical_index": 0.11 + 0.01 / n, "theory_index": 0.11,
                      "index_stderr": 0.002} for n in ns],
            "fits": {"ks_distance": {"exponent": -0.5, "exponent_stderr": 0.01,
                                     "prefactor": 0.3, "line": [line, 0.3 * line ** -0.5]},
                     "l1_distance": {"exponent": -1.0, "exponent_stderr": None,
                                     "prefactor": 1.0, "line": [line, 1 / line]}}}


def test_finite_size_points_fits_and_index_error():
    study = _finite_size_study()
    fig, axes = ph.plot_finite_size(study)
    for ax in axes:
        _check_labels(ax)
    pts = _lines(axes[0], "simulation")
    assert len(pts) == 2
    np.testing.assert_array_equal(pts[0].get_ydata(), [r["ks_distance"] for r in study["rows"]])
    fits = _lines(axes[0], "fit")
    np.testing.assert_array_equal(fits[1].get_ydata(), study["fits"]["l1_distance"]["line"][1])
    assert any("n/a" in t.get_text() for t in axes[0].get_legend().get_texts())
    (bias,) = _points(axes[1], "simulation")
    np.testing.assert_allclose(bias.get_ydata(), [0.01] * 3, rtol=1e-9)   # n (alpha^ - alpha)
    _assert_nothing_clipped(fig)


# -- spin glass ------------------------------------------------------------------------------
def test_complexity_draws_the_curves_and_thresholds():
    curves = cs.complexity_curves(3, range(3), n_points=100)
    fig, axes = ps.plot_complexity(curves)
    for ax, panel in zip(axes, curves["panels"]):
        theory = _lines(ax, "theory")
        assert len(theory) == 4                      # k = 0, 1, 2 and the total
        for k, line in zip(curves["ks"], theory):
            np.testing.assert_array_equal(line.get_xdata(), panel["u"])
            np.testing.assert_array_equal(line.get_ydata(), panel["theta"][k])
        np.testing.assert_array_equal(theory[3].get_ydata(), panel["total"])
        dots = [ln for ln in _lines(ax, "threshold") if len(ln.get_xdata()) == 1]
        assert [d.get_xdata()[0] for d in dots] == [-curves["E"][k] for k in curves["ks"]]
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    _check_labels(axes[0])
    _assert_nothing_clipped(fig)


def _run(N, minima_u, other_u=(), other_k=()):
    u = list(minima_u) + list(other_u)
    return {"N": N, "starts": 8,
            "points": {"minima_energy_per_site": list(minima_u), "energy_per_site": u,
                       "index": [0] * len(minima_u) + list(other_k)}}


@pytest.mark.parametrize("minima", [[], [-1.6], [-1.6] * 5, [-1.66, -1.62, -1.6, -1.55]],
                         ids=["none", "one", "all-equal", "spread"])
def test_spinglass_minima_degenerate_data_plots(minima):
    """Zero minima, one minimum and all minima at one energy used to fail in ``ax.hist``
    ("Too many bins for data range"); every case must draw and save."""
    theory = cs.index_fraction_curve(3, -1.8, 0.3, n_points=50)
    runs = [_run(12, minima, other_u=[-1.2, 0.1], other_k=[2, 6]), _run(16, [-1.64, -1.61])]
    fig, axes = ps.plot_spinglass_minima(runs, theory)
    hists = _patches(axes[0], "simulation")
    assert len(hists) == (2 if minima else 1)
    for h in hists:
        heights, edges, _ = h.get_data()
        assert np.all(np.isfinite(heights)) and np.all(np.diff(edges) > 0)
    if minima:
        heights, edges, _ = hists[0].get_data()
        # every minimum lands in a bin: area = 1 (density normalised by the count)
        assert np.sum(heights * np.diff(edges)) == pytest.approx(1.0, rel=1e-12)
        assert edges[0] <= min(minima) and edges[-1] >= max(minima)
    # the thresholds are the theory's numbers; the index line is the curve handed in
    vlines = [ln.get_xdata()[0] for ln in _lines(axes[0], "theory")]
    assert vlines == [-theory["E_0"], -theory["E_inf"]]
    (line,) = _lines(axes[1], "theory")
    np.testing.assert_array_equal(line.get_ydata(), theory["fraction"])
    pts = _lines(axes[1], "simulation")
    np.testing.assert_array_equal(pts[0].get_ydata(),
                                  np.array(runs[0]["points"]["index"]) / (12 - 1))
    for ax in axes:
        _check_labels(ax)
    _assert_nothing_clipped(fig)
    assert _png_bytes(fig)[:4] == b"\x89PNG"


def test_bin_edges_widen_a_degenerate_range():
    edges = _style.bin_edges([2.0, 2.0], 5)
    assert len(edges) == 6 and edges[0] < 2.0 < edges[-1]
    np.testing.assert_array_equal(_style.bin_edges([0.0, 1.0], 4), np.linspace(0, 1, 5))


def _count_row(N, k, m, th, H):
    levels = [8, 16] if k == 0 else [100, 200]
    found = [m - 0.5, m]
    return {"N": N, "k": k, "method": "descent" if k == 0 else "newton+mirror",
            "hamiltonians": H, "starts_levels": levels, "found_mean": found,
            "found_stderr": [0.3, 0.2], "found_over_exact": [f / th for f in found],
            "theory_mean": th, "theory_stderr": 0.05}


def test_minima_count_points_and_theory_band():
    rows = [_count_row(6, 0, 4.3, 4.4, 30), _count_row(8, 0, 5.0, 5.2, 24),
            _count_row(6, 1, 9.1, 9.0, 30), _count_row(8, 1, 12.3, 12.5, 24)]
    study = {"p": 3, "rows": rows, "target_rel_stderr": 0.04}
    fig, axes = ps.plot_minima_count(study)
    assert len(axes) == 3                                     # k = 0, k = 1, saturation
    for ax in axes:
        _check_labels(ax)
    for ax, k, th in ((axes[0], 0, [4.4, 5.2]), (axes[1], 1, [9.0, 12.5])):
        (line,) = _lines(ax, "theory")
        np.testing.assert_array_equal(line.get_xdata(), [6, 8])
        np.testing.assert_array_equal(line.get_ydata(), th)
        (pts,) = _points(ax, "simulation")                     # the most starts' means
        np.testing.assert_array_equal(pts.get_ydata(), [r["found_mean"][-1] for r in rows
                                                        if r["k"] == k])
        (band,) = [c for c in ax.collections if c.get_gid() == "theory-band"]
        assert band is not None
        assert {t.get_text() for t in ax.texts} == {f"H={r['hamiltonians']}" for r in rows
                                                    if r["k"] == k}
    sat = _lines(axes[2], "saturation")
    assert len(sat) == 4
    np.testing.assert_array_equal(sat[0].get_xdata(), [8, 16])
    np.testing.assert_array_equal(sat[0].get_ydata(), rows[0]["found_over_exact"])
    (one,) = _lines(axes[2], "theory")
    assert list(one.get_ydata()) == [1.0, 1.0]
    assert "30–24" not in fig._suptitle.get_text() and "24–30" in fig._suptitle.get_text()
    assert "4%" in fig._suptitle.get_text()
    _assert_nothing_clipped(fig)


def _threshold_study(gamma_fixed=True):
    N = np.array([20.0, 30.0, 45.0, 70.0])
    grid = np.geomspace(18.0, 700.0, 50)
    return {"N": N, "mean": np.array([-1.39, -1.46, -1.50, -1.54]),
            "stderr": np.array([0.016, 0.013, 0.006, 0.006]),
            "std": np.array([0.12, 0.10, 0.056, 0.049]),
            "fraction_above": np.array([0.98, 0.95, 0.97, 0.97]),
            "fraction_above_stderr": np.array([0.02, 0.03, 0.02, 0.02]),
            "fraction_in_band": np.array([0.02, 0.02, 0.03, 0.02]),
            "fraction_below": np.array([0.0, 0.03, 0.0, 0.01]),
            "fit_N": grid, "fit_u": -1.656 + 1.93 * grid ** (-2 / 3),
            "u_inf": -1.656, "u_inf_stderr": 0.016, "gamma": 2 / 3 if gamma_fixed else 0.79,
            "gamma_fixed": gamma_fixed, "gamma_stderr": None if gamma_fixed else 0.45,
            "E_0": 1.657, "E_inf": 1.633, "p": 3, "hamiltonians": 10, "starts": 16}


@pytest.mark.parametrize("gamma_fixed", [True, False], ids=["gamma-fixed", "gamma-free"])
def test_threshold_draws_the_arrays_handed_in(gamma_fixed):
    study = _threshold_study(gamma_fixed)
    fig, axes = ps.plot_threshold(study)
    ax = axes[0]
    (fit,) = _lines(ax, "fit")
    np.testing.assert_array_equal(fit.get_xdata(), study["fit_N"])
    np.testing.assert_array_equal(fit.get_ydata(), study["fit_u"])
    assert ("2/3" in fit.get_label()) == gamma_fixed
    assert sorted(ln.get_ydata()[0] for ln in _lines(ax, "theory")) == [-1.657, -1.633]
    (pts,) = _points(ax, "simulation")
    np.testing.assert_array_equal(pts.get_ydata(), study["mean"])
    (band,) = _patches(ax, "fit-band")
    if hasattr(band, "get_height"):            # matplotlib >= 3.9: a Rectangle
        ys = [band.get_y(), band.get_y() + band.get_height()]
    else:                                      # older: a Polygon
        ys = np.asarray(band.get_xy())[:, 1]
    assert min(ys) == pytest.approx(-1.672) and max(ys) == pytest.approx(-1.640)
    lines_b = _points(axes[1], "simulation")
    np.testing.assert_array_equal(lines_b[0].get_ydata(), study["fraction_above"])
    for a in axes:
        _check_labels(a)
    _assert_nothing_clipped(fig)
    assert _png_bytes(fig)[:4] == b"\x89PNG"


# -- style constants are honoured ------------------------------------------------------------
def test_style_constants_are_read_when_plotting(monkeypatch, density_curves):
    """THEORY_LW and CMAP are read at call time (editing or monkeypatching the constant
    changes the figure), so that the data-flow test in tests/test_simulations_smoke.py, which
    changes them and checks that no number moves, is not vacuous."""
    monkeypatch.setattr(_style, "THEORY_LW", 3.7)
    monkeypatch.setattr(_style, "CMAP", "Greys")
    fig, ax = ph.plot_hessian_densities(density_curves[:2])
    lines = _lines(ax, "theory")
    assert [ln.get_linewidth() for ln in lines] == [3.7, 3.7]
    greys = matplotlib.colormaps["Greys"]
    assert mcolors.to_rgba(lines[0].get_color()) == greys(0.0)
    assert mcolors.to_rgba(lines[1].get_color()) == greys(_style.CMAP_STOP)
    # the same through every function that uses the default colormap
    fig, axes = ph.plot_hessian_density_panels(density_curves[:2])   # eps 0.1 is the 2nd
    assert mcolors.to_rgba(_lines(axes[0], "theory")[0].get_color()) == greys(_style.CMAP_STOP)
    theory = cs.index_fraction_curve(3, -1.8, 0.3, n_points=20)
    fig, axes = ps.plot_spinglass_minima([_run(12, [-1.6, -1.5])], theory)
    assert mcolors.to_rgba(_lines(axes[1], "simulation")[0].get_color()) == greys(0.0)


# -- layering ----------------------------------------------------------------------------------
#: packages the plotting layer must not import: it never evaluates theory, samples or computes
FORBIDDEN = ("analytic", "compare", "sampling", "linalg", "experiments", "networks")


def _forbidden_imports(source, filename):
    """Imports of a forbidden rmtland package in ``source``, absolute or relative."""
    bad = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            parts = mod.split(".")
            if node.level == 0 and parts[0] != "rmtland":
                continue
            head = parts[1:] if node.level == 0 else parts
            # "from .. import analytic" names the package in the imported names
            targets = [head[0]] if head and head[0] else [a.name for a in node.names]
            if node.level == 1 and mod:          # ._style / .hessian: inside plotting
                continue
            bad += [(node.lineno, mod, t) for t in targets if t in FORBIDDEN]
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == "rmtland" and len(parts) > 1 and parts[1] in FORBIDDEN:
                    bad.append((node.lineno, a.name, parts[1]))
    return bad


def test_import_checker_detects_theory_imports():
    for src in ("from ..analytic.hessian import index", "from .. import analytic",
                "import rmtland.analytic.hessian", "from rmtland.compare import hessian",
                "def f():\n    from ..analytic import spinglass\n"):
        assert _forbidden_imports(src, "<test>"), src
    for src in ("from .. import _validate", "from . import _style", "from ._style import fmt",
                "import numpy as np", "from matplotlib.patches import Patch"):
        assert not _forbidden_imports(src, "<test>"), src


def test_plotting_modules_import_no_theory():
    files = sorted(PLOTTING_DIR.glob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "_style.py", "hessian.py", "spinglass.py"}
    for path in files:
        assert _forbidden_imports(path.read_text(), str(path)) == [], path


def test_import_plotting_does_not_import_matplotlib():
    code = ("import sys, rmtland, rmtland.plotting, rmtland.experiments; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
