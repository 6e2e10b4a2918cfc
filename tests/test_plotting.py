"""Plotting layer: figures carry labels, legends and exactly the analytic curves they claim.

Theory lines are identified by ``Line2D.get_gid() == "theory"`` (rmtland.plotting docstring);
their y data are checked against the analytic functions at their own x data, and their
integrals against the known masses, so a wrong curve, a wrong branch or a grid that misses a
feature fails here.
"""
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rmtland import plotting  # noqa: E402
from rmtland.analytic.hessian import PenningtonBahri, alpha0, eps_c, index  # noqa: E402


def _theory(ax):
    return [ln for ln in ax.lines if ln.get_gid() == "theory"]


def _gid(ax, gid):
    return [ln for ln in ax.lines if ln.get_gid() == gid]


def _check_labels(ax):
    assert ax.get_xlabel().strip() and ax.get_ylabel().strip()
    assert ax.get_title().strip()
    legend = ax.get_legend()
    assert legend is not None and len(legend.get_texts()) >= 1
    assert all(t.get_text().strip() for t in legend.get_texts())


def _trapezoid(y, x):
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


@pytest.fixture(autouse=True)
def _no_pyplot_figures():
    """The plotting functions build Figure objects directly: nothing is registered with
    pyplot (no GUI backend, no figure leak in loops)."""
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before


# -- densities ------------------------------------------------------------------------------
PARAMS = [(0.5, 0.1), (2.0, 0.0), (0.75, 0.01), (2.0, 0.01)]


def test_densities_lines_equal_the_analytic_density():
    fig, ax = plotting.plot_hessian_densities(PARAMS)
    _check_labels(ax)
    assert "lambda" in ax.get_xlabel() and "rho" in ax.get_ylabel()
    lines = _theory(ax)
    assert len(lines) == len(PARAMS)
    for (phi, eps), line in zip(PARAMS, lines):
        law = PenningtonBahri(phi, eps)
        x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
        assert x.size >= 2000 and np.all(np.diff(x) > 0)
        np.testing.assert_allclose(y, law.density(x), rtol=1e-12, atol=0)
        # the grid resolves every feature: the line's area is the continuous mass
        # (1/2 for Marchenko-Pastur phi = 2, whose other half is the atom at 0)
        assert _trapezoid(y, x) == pytest.approx(law.continuous_mass(), abs=2e-3)
        # support edges are grid points and the curve vanishes outside the support
        for a, b in law.support():
            assert np.any(x == a) and np.any(x == b)
        outside = ~np.any([(x > a) & (x < b) for a, b in law.support()], axis=0)
        assert np.all(y[outside] == 0)


def test_densities_edges_atom_and_index_marks():
    fig, ax = plotting.plot_hessian_densities(PARAMS)
    edges = sorted(ln.get_xdata()[0] for ln in _gid(ax, "support-edge"))
    expected = sorted(e for p in PARAMS for iv in PenningtonBahri(*p).support() for e in iv)
    np.testing.assert_allclose(edges, expected, rtol=0, atol=0)
    # exactly one atom (Marchenko-Pastur phi = 2, eps = 0), named in the legend
    atoms = [t for t in ax.texts if t.get_gid() == "atom"]
    assert len(atoms) == 1 and atoms[0].xy[0] == 0.0
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "atom 0.5" in texts[1] and "atom" not in texts[0] + texts[2] + texts[3]
    # legend gives the index of each line
    for (phi, eps), text in zip(PARAMS, texts):
        alpha = index(eps, phi)
        assert (f"{alpha:.3f}" if alpha > 0 else r"\alpha = 0$") in text
    # the negative part is shaded only where alpha > 0
    shaded = [c for c in ax.collections if c.get_gid() == "negative"]
    assert len(shaded) == sum(index(e, p) > 0 for p, e in PARAMS)


def test_densities_samples_hook_draws_normalised_histograms():
    rng = np.random.default_rng(1)
    eigs = 1.0 + 0.8 * rng.standard_normal(4000)
    fig, ax = plotting.plot_hessian_densities(PARAMS[:2], samples={(0.5, 0.1): eigs})
    hists = [p for p in ax.patches if p.get_gid() == "simulation"]
    assert len(hists) == 1
    values, edges, _ = hists[0].get_data()
    assert edges[0] <= eigs.min() and edges[-1] >= eigs.max()
    assert np.sum(values * np.diff(edges)) == pytest.approx(1.0, rel=1e-12)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("histogram" in t for t in labels)
    assert len(_theory(ax)) == 2
    with pytest.raises(ValueError, match="samples"):
        plotting.plot_hessian_densities(PARAMS[:1], samples={(0.3, 0.1): eigs})


def test_densities_draw_into_a_given_axes_and_validate():
    fig, ax = plt.subplots()
    try:
        fig2, ax2 = plotting.plot_hessian_densities([(0.25, 0.5)], ax=ax)
        assert ax2 is ax and fig2 is fig and len(_theory(ax)) == 1
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="phi"):
        plotting.plot_hessian_densities([(-1.0, 0.1)])
    with pytest.raises(ValueError, match="eps"):
        plotting.plot_hessian_densities([(0.5, -0.1)])
    with pytest.raises(ValueError, match="at least one"):
        plotting.plot_hessian_densities([])


def test_density_panels_one_per_phi_same_colour_per_eps():
    params = [(p, e) for p in (0.25, 2.0) for e in (0.0, 0.1, 0.5)]
    fig, axes = plotting.plot_hessian_density_panels(params)
    assert len(axes) == 2 and fig._suptitle.get_text()
    for ax, phi in zip(axes, (0.25, 2.0)):
        _check_labels(ax)
        lines = _theory(ax)
        assert len(lines) == 3
        for eps, line in zip((0.0, 0.1, 0.5), lines):
            np.testing.assert_allclose(line.get_ydata(),
                                       PenningtonBahri(phi, eps).density(line.get_xdata()),
                                       rtol=1e-12)
    for a, b in zip(_theory(axes[0]), _theory(axes[1])):
        assert a.get_color() == b.get_color()


# -- index -----------------------------------------------------------------------------------
def test_index_lines_equal_the_analytic_index():
    phis = [0.25, 0.5, 2.0]
    eps_grid = np.geomspace(1e-3, 1.0, 40)
    fig, ax = plotting.plot_index_vs_eps(phis, eps_grid)
    _check_labels(ax)
    assert ax.get_xscale() == "log"
    lines = _theory(ax)
    assert len(lines) == 3
    for phi, line in zip(phis, lines):
        x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
        np.testing.assert_allclose(y, [index(e, phi) for e in x], rtol=1e-12, atol=0)
        assert set(eps_grid) <= set(x)
        ec = eps_c(phi)
        # zero up to eps_c (phi < 1), positive beyond, increasing
        assert np.all(y[x <= ec] == 0) and np.all(y[x > ec] > 0)
        assert np.all(np.diff(y) >= 0)
        if phi < 1:
            assert ec in x
    # phi = 2: alpha -> (1 - 1/phi)/2 = 1/4 as eps -> 0 (half the smeared atom)
    assert lines[2].get_ydata()[0] == pytest.approx(0.25, abs=0.01)
    # 3/2 law dashed, and eps_c marked, for each phi < 1 only
    law = _gid(ax, "three-halves")
    assert len(law) == 2
    for phi, line in zip(phis[:2], law):
        ec, a0 = eps_c(phi), alpha0(phi)
        x = np.asarray(line.get_xdata())
        assert line.get_linestyle() == "--" and x[0] == pytest.approx(ec, rel=1e-15)
        np.testing.assert_allclose(line.get_ydata(), a0 * ((x - ec) / ec) ** 1.5,
                                   rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose([ln.get_xdata()[0] for ln in _gid(ax, "eps-c")],
                               [eps_c(0.25), eps_c(0.5)])


def test_index_empirical_hook_and_validation():
    emp = {0.5: (np.array([0.02, 0.1]), np.array([0.01, 0.11]), np.array([0.002, 0.004]))}
    fig, ax = plotting.plot_index_vs_eps([0.5, 2.0], np.geomspace(1e-3, 1, 20), empirical=emp)
    pts = _gid(ax, "empirical")
    assert len(pts) == 1
    np.testing.assert_array_equal(pts[0].get_xdata(), emp[0.5][0])
    np.testing.assert_array_equal(pts[0].get_ydata(), emp[0.5][1])
    assert any("simulation" in t.get_text() for t in ax.get_legend().get_texts())
    with pytest.raises(ValueError, match="empirical"):
        plotting.plot_index_vs_eps([2.0], np.geomspace(1e-3, 1, 5), empirical=emp)
    with pytest.raises(ValueError, match="eps_grid"):
        plotting.plot_index_vs_eps([0.5], [0.0, 0.1])          # log axis needs eps > 0
    fig, ax = plotting.plot_index_vs_eps([0.5], [0.0, 0.05, 0.1], logx=False)
    assert ax.get_xscale() == "linear" and _theory(ax)[0].get_ydata()[0] == 0.0


def test_three_halves_collapse():
    phis = [0.25, 0.75]
    x_grid = np.geomspace(1e-3, 10, 30)
    fig, ax = plotting.plot_three_halves_law(phis, x_grid)
    _check_labels(ax)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    lines = _theory(ax)
    assert len(lines) == 2
    for phi, line in zip(phis, lines):
        ec, a0 = eps_c(phi), alpha0(phi)
        np.testing.assert_allclose(line.get_ydata(),
                                   [index(ec * (1 + x), phi) / a0 for x in x_grid], rtol=1e-12)
        # PB17 Eq. (17): alpha / (alpha0 x^{3/2}) -> 1 as x -> 0
        assert line.get_ydata()[0] / x_grid[0] ** 1.5 == pytest.approx(1.0, abs=2e-3)
    (law,) = _gid(ax, "three-halves")
    np.testing.assert_allclose(law.get_ydata(), x_grid ** 1.5)
    with pytest.raises(ValueError, match="phi"):
        plotting.plot_three_halves_law([2.0], x_grid)


def test_index_figure_two_panels():
    fig, axes = plotting.plot_index_figure([0.5, 2.0], np.geomspace(1e-3, 1, 20),
                                           np.geomspace(1e-2, 1, 10))
    assert len(axes) == 2
    assert len(_theory(axes[0])) == 2 and len(_theory(axes[1])) == 1
    for ax in axes:
        _check_labels(ax)
    # matching colours for phi = 0.5 in both panels
    assert _theory(axes[0])[0].get_color() == _theory(axes[1])[0].get_color()


# -- eps_c -----------------------------------------------------------------------------------
def test_eps_c_panels_equal_the_closed_forms():
    phi_grid = np.linspace(0.01, 0.99, 50)
    fig, axes = plotting.plot_eps_c(phi_grid, marks=[0.25, 0.5],
                                    numeric=([0.5], [eps_c(0.5)]))
    assert len(axes) == 2
    for ax in axes:
        _check_labels(ax)
        assert len(_theory(ax)) == 1
    (ec_line,), (a0_line,) = _theory(axes[0]), _theory(axes[1])
    np.testing.assert_array_equal(ec_line.get_xdata(), phi_grid)
    # PB17 Eq. (16) written out here independently of the library's cancellation-free form
    np.testing.assert_allclose(ec_line.get_ydata(),
                               (1 - 20 * phi_grid - 8 * phi_grid ** 2
                                + (1 + 8 * phi_grid) ** 1.5) / 16, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(a0_line.get_ydata(), [alpha0(p) for p in phi_grid], rtol=1e-15)
    assert ec_line.get_ydata()[0] == pytest.approx(1 / 8, abs=0.01)   # eps_c(0+) = 1/8
    marks = _gid(axes[0], "mark")
    np.testing.assert_allclose(marks[0].get_ydata(), [eps_c(0.25), eps_c(0.5)])
    assert len(_gid(axes[0], "numeric")) == 1
    with pytest.raises(ValueError, match="phi_grid"):
        plotting.plot_eps_c([0.5, 1.5])


def test_import_plotting_does_not_import_matplotlib():
    code = ("import sys, rmtland, rmtland.plotting, rmtland.experiments; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_plot_complexity_lines_are_the_theory():
    from rmtland.analytic import spinglass as sg
    fig, axes = plotting.plot_complexity(3, range(3), n_points=200)
    theory = [ln for ln in axes[0].lines if ln.get_gid() == "theory"]
    assert len(theory) == 4                                  # k = 0, 1, 2 and the total
    for k, line in enumerate(theory[:3]):
        u = np.asarray(line.get_xdata())
        np.testing.assert_array_equal(line.get_ydata(), sg.complexity_index(u, 3, k))
    u = np.asarray(theory[3].get_xdata())
    np.testing.assert_array_equal(theory[3].get_ydata(), sg.complexity_total(u, 3))
    marks = [ln for ln in axes[0].lines if ln.get_gid() == "threshold"
             and len(ln.get_xdata()) == 1]
    assert [m.get_xdata()[0] for m in marks] == [-sg.threshold(k, 3) for k in range(3)]
    assert axes[0].get_xlabel() and axes[0].get_ylabel() and axes[0].get_legend()
