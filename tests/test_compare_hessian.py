"""Theory curves of rmtland.compare.hessian (what the figures draw) against INDEPENDENT
references: closed forms typed here from PB17 (Pennington & Bahri, ICML 2017) and
Marchenko–Pastur, the 30-digit mpmath cases of tests/data/pb_reference.json, a test-side
cubic-root + quadrature index (tests/_pb_reference.py), and limits with a known next-order
term.  Nothing here compares a function of rmtland.analytic with itself.
"""
import math

import numpy as np
import pytest

import _pb_reference as ref
from rmtland.compare import hessian as ch

MPMATH = ref.mpmath_cases()


def _trapezoid(y, x):
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


# -- the test-side references themselves ---------------------------------------------------
@pytest.mark.parametrize("case", [c for c in MPMATH if c["eps"] > 0],
                         ids=lambda c: f"{c['phi']}-{c['label']}-{c['eps']:.3g}")
def test_cubic_reference_matches_mpmath(case):
    """The test-side index (numpy.roots + quad) is itself checked against mpmath: quad is
    asked for 1e-14 absolute, the mpmath values carry 25 digits; 1e-13 allows the rounding of
    the cubic's roots (~1e-16 relative) accumulated over the integral."""
    value, err = ref.index_cubic(case["phi"], case["eps"])
    assert err <= 1e-13
    assert value == pytest.approx(case["index"], abs=1e-13, rel=0)
    assert ref.left_edge(case["phi"], case["eps"]) == pytest.approx(case["support"][0][0],
                                                                    abs=1e-12)


# -- density_curves --------------------------------------------------------------------------
@pytest.mark.parametrize("phi", [0.25, 0.5, 0.9, 2.0])
def test_density_at_eps_zero_is_marchenko_pastur(phi):
    r"""eps = 0: rho(x) = sqrt((b-x)(x-a))/(2 pi phi x) on [a, b] = [(1-sqrt phi)^2,
    (1+sqrt phi)^2], 0 elsewhere, plus an atom 1 - 1/phi at 0 for phi > 1 (MP closed form,
    typed here).  Same formula in double precision: agreement to rounding (1e-13 relative)."""
    (c,) = ch.density_curves([(phi, 0.0)], n_points=500)
    x, rho = c["x"], c["rho"]
    a, b = ref.mp_support(phi)
    assert c["support"] == [pytest.approx((a, b), rel=1e-14)]
    inside = (x > a) & (x < b)
    expected = np.zeros_like(x)
    xi = x[inside]
    expected[inside] = np.sqrt((b - xi) * (xi - a)) / (2 * math.pi * phi * xi)
    np.testing.assert_allclose(rho, expected, rtol=1e-13, atol=1e-13)
    assert c["atoms"] == ([(0.0, pytest.approx(1 - 1 / phi, rel=1e-14))] if phi > 1 else [])
    assert c["index"] == 0.0
    assert np.any(x == a) and np.any(x == b)            # the edges are grid points


def test_density_small_phi_tends_to_a_semicircle():
    r"""phi -> 0: MP(phi) has free cumulants kappa_1 = 1, kappa_n = phi^{n-1}, so MP(phi) +
    SC(2 eps) tends to the semicircle centred at 1 of variance s^2 = 2 eps + phi; the first
    neglected cumulant is kappa_3 = phi^2, so in the bulk (|x - 1| <= s, away from the edges,
    which move by O(phi^2) and spoil the sup norm there) the deviation is O(phi^2).  Checked:
    below phi^2 and shrinking by more than 50 (phi^2 predicts 100) from phi = 1e-2 to 1e-3."""
    eps = 0.5
    dev = []
    for phi in (1e-2, 1e-3):
        (c,) = ch.density_curves([(phi, eps)], n_points=800)
        x, rho = c["x"], c["rho"]
        s2 = 2 * eps + phi
        bulk = np.abs(x - 1) <= math.sqrt(s2)
        sc = np.sqrt(np.maximum(4 * s2 - (x - 1) ** 2, 0)) / (2 * math.pi * s2)
        dev.append(float(np.max(np.abs(rho - sc)[bulk])))
        assert dev[-1] <= phi ** 2
    assert dev[0] / dev[1] > 50


@pytest.mark.parametrize("phi, eps", [(0.5, 0.1), (2.0, 0.0), (0.75, 0.01), (2.0, 0.01),
                                      (0.25, 0.5), (0.5, 0.0)])
def test_density_integrates_to_one_minus_the_atoms(phi, eps):
    r"""Trapezoid on the returned grid = 1 - atom mass (exact: 1 for eps > 0; 1/phi at eps = 0,
    phi > 1).  The grid has cosine-clustered nodes on every support interval, which make a
    square-root edge smooth in the angle, so the rule is second order: the error falls like
    n_points^-2, checked here as a drop by more than 10 (25 for exactly second order) from 400
    to 2000 points; at 2000 points it is measured <= 2e-5 for these laws, and 1e-4 is that
    with a factor 5."""
    errors = []
    for n in (400, 2000):
        (c,) = ch.density_curves([(phi, eps)], n_points=n)
        mass = 1.0 - sum(m for _, m in c["atoms"])
        errors.append(abs(_trapezoid(c["rho"], c["x"]) - mass))
    assert errors[1] <= 1e-4
    assert errors[0] / errors[1] > 10


@pytest.mark.parametrize("case", [c for c in MPMATH if c["eps"] > 0 and c["phi"] in (0.5, 2.0)],
                         ids=lambda c: f"{c['phi']}-{c['eps']:.3g}")
def test_density_curve_support_and_index_match_mpmath(case):
    """Support edges and index a curve carries against the 30-digit mpmath values; the
    library's root finding is accurate to ~1e-15 (measured); 1e-12 absolute."""
    (c,) = ch.density_curves([(case["phi"], case["eps"])], n_points=50)
    assert len(c["support"]) == len(case["support"])
    for got, want in zip(c["support"], case["support"]):
        assert got == pytest.approx(want, abs=1e-12)
    assert c["index"] == pytest.approx(case["index"], abs=1e-12)


def test_density_window_covers_supports_atoms_and_samples():
    curves = ch.density_curves([(0.5, 0.1), (2.0, 0.0)], samples={(0.5, 0.1): [-3.0, 9.0]},
                               n_points=50)
    lo, hi = curves[0]["window"]
    assert all(c["window"] == (lo, hi) for c in curves)
    assert lo < -3.0 and hi > 9.0
    for c in curves:
        assert c["x"][0] == lo and c["x"][-1] == hi and np.all(np.diff(c["x"]) > 0)


@pytest.mark.parametrize("params, kwargs, name", [
    ([], {}, "params"),
    ([(0.0, 0.1)], {}, "phi"),
    ([(0.5, -0.1)], {}, "eps"),
    ([(0.5, 0.1)], {"n_points": 3}, "n_points"),
])
def test_density_curves_bad_input(params, kwargs, name):
    with pytest.raises(ValueError, match=name):
        ch.density_curves(params, **kwargs)


# -- index_curve -----------------------------------------------------------------------------
@pytest.mark.parametrize("phi", [0.1, 0.25, 0.5, 0.75, 0.9])
def test_index_curve_zero_up_to_eps_c_positive_above(phi):
    r"""PB17 Eq. (16): for phi < 1 the index is exactly 0 for eps <= eps_c and > 0 above; eps_c
    (typed closed form, mpmath-evaluated) is itself a grid point, with the 3/2 law starting
    there; the index is non-decreasing in eps."""
    c = ch.index_curve(phi, np.geomspace(1e-5, 1.0, 30))
    ec = ref.eps_c_closed(phi)
    assert c["eps_c"] == pytest.approx(ec, rel=1e-13)
    eps, alpha = c["eps"], c["alpha"]
    assert np.all(alpha[eps <= c["eps_c"]] == 0.0)
    assert np.all(alpha[eps > c["eps_c"]] > 0.0)
    assert np.any(eps == c["eps_c"])
    assert np.all(np.diff(alpha) >= 0) and np.all(np.diff(eps) > 0)
    law_eps, law_alpha = c["law"]
    assert law_eps[0] == c["eps_c"] and law_alpha[0] == 0.0
    x = (law_eps - c["eps_c"]) / c["eps_c"]
    np.testing.assert_allclose(law_alpha, ref.alpha0_closed(phi) * x ** 1.5, rtol=1e-9)


@pytest.mark.parametrize("phi", [0.1, 0.5, 0.9, 1.0, 2.0, 5.0])
def test_index_curve_values_match_mpmath(phi):
    """At every mpmath (phi, eps) case the curve's index equals the 30-digit value (the
    library's index is measured within 2e-16 of it; 1e-12 absolute)."""
    cases = [c for c in MPMATH if c["phi"] == phi]
    c = ch.index_curve(phi, [k["eps"] for k in cases])
    for k in cases:
        (i,) = np.flatnonzero(c["eps"] == k["eps"])      # the grid values are kept exactly
        assert c["alpha"][i] == pytest.approx(k["index"], abs=1e-12)


def test_index_curve_phi_above_one_has_no_threshold():
    """phi >= 1: eps_c = 0, no 3/2 law, alpha > 0 for every eps > 0 and -> (1 - 1/phi)/2 (half
    the smeared atom) as eps -> 0, here checked against the test-side cubic reference."""
    c = ch.index_curve(2.0, [1e-6, 1e-3, 0.1])
    assert c["eps_c"] == 0.0 and c["law"] is None and np.all(c["alpha"] > 0)
    for e, a in zip(c["eps"], c["alpha"]):
        assert a == pytest.approx(ref.index_cubic(2.0, e)[0], abs=1e-12)
    # the smeared atom is symmetric about 0 to leading order: deviation O(sqrt(eps))
    assert c["alpha"][0] == pytest.approx(0.25, abs=0.01)


@pytest.mark.parametrize("grid, name", [([], "eps_grid"), ([-0.1, 0.2], "eps_grid"),
                                        ([0.1, np.nan], "eps_grid")])
def test_index_curve_bad_input(grid, name):
    with pytest.raises(ValueError, match=name):
        ch.index_curve(0.5, grid)
    with pytest.raises(ValueError, match="phi"):
        ch.index_curve(-0.5, [0.1])


# -- three_halves_curve ----------------------------------------------------------------------
@pytest.mark.parametrize("phi", [0.25, 0.5, 0.75])
def test_three_halves_ratio_tends_to_the_law_linearly(phi):
    r"""PB17 Eq. (17): alpha = alpha0 x^{3/2} (1 + c1 x + O(x^2)), x = (eps - eps_c)/eps_c.  So
    ratio/x^{3/2} - 1 = c1 x + O(x^2): it vanishes as x -> 0, and linearly: dev(x)/x is
    constant to O(x) (within 5% from x = 1e-4 to 1e-2; c1 is measured between -0.8 and -0.65
    for these phi).  alpha0 is the closed form typed in tests/_pb_reference.py."""
    x = np.array([1e-4, 1e-3, 1e-2])
    c = ch.three_halves_curve(phi, x)
    assert c["alpha0"] == pytest.approx(ref.alpha0_closed(phi), rel=1e-12)
    assert c["eps_c"] == pytest.approx(ref.eps_c_closed(phi), rel=1e-13)
    np.testing.assert_array_equal(c["law"], x ** 1.5)
    dev = c["ratio"] / x ** 1.5 - 1
    slope = dev / x
    assert abs(dev[0]) <= 1e-4
    assert np.all(np.abs(slope / slope[1] - 1) <= 0.05)
    assert abs(slope[1]) < 1                             # the next-order coefficient is O(1)
    # and the curve itself: ratio = alpha / alpha0 against the test-side cubic index
    for xi, r in zip(x, c["ratio"]):
        a = ref.index_cubic(phi, c["eps_c"] * (1 + xi))[0]
        assert r == pytest.approx(a / ref.alpha0_closed(phi), rel=1e-8)


def test_three_halves_curve_bad_input():
    with pytest.raises(ValueError, match="x_grid"):
        ch.three_halves_curve(0.5, [0.0, 0.1])
    with pytest.raises(ValueError, match="x_grid"):
        ch.three_halves_curve(0.5, [])
    with pytest.raises(ValueError, match="phi"):
        ch.three_halves_curve(2.0, [0.1])                # no 3/2 law for phi >= 1


# -- eps_c_curve and eps_c_numerical ---------------------------------------------------------
def test_eps_c_curve_matches_the_closed_forms():
    r"""eps_c = (1 - 20 phi - 8 phi^2 + (1 + 8 phi)^{3/2})/16 (PB17 Eq. (16), evaluated at 30
    digits; the library's double-precision value is measured within 1.0e-13 relative, worst at
    phi = 0.995 where eps_c = 9e-9 vanishes like (1 - phi)^3; 1e-12 allowed) and
    alpha0 = 2(3 - t)/(3 pi sqrt(t)(1 + t)), t = sqrt(1 + 8 phi) (Eq. (17), typed in double:
    the same operations, 1e-13 relative)."""
    phi = np.array([0.9, 0.005, 0.25, 0.5, 0.75, 0.995])
    c = ch.eps_c_curve(phi)
    np.testing.assert_array_equal(c["phi"], np.sort(phi))
    np.testing.assert_allclose(c["eps_c"], [ref.eps_c_closed(p) for p in c["phi"]], rtol=1e-12)
    np.testing.assert_allclose(c["alpha0"], [ref.alpha0_closed(p) for p in c["phi"]],
                               rtol=1e-13)
    # shape: both decrease to 0 as phi -> 1; eps_c -> 1/8 as phi -> 0 (the closed form at 0)
    assert np.all(np.diff(c["eps_c"]) < 0) and np.all(np.diff(c["alpha0"]) < 0)
    assert c["eps_c"][0] == pytest.approx(1 / 8, abs=0.01)


@pytest.mark.parametrize("grid", [[0.5, 1.0], [0.0, 0.5], [], [0.5, np.inf]])
def test_eps_c_curve_bad_input(grid):
    with pytest.raises(ValueError, match="phi_grid"):
        ch.eps_c_curve(grid)


@pytest.mark.parametrize("phi", [0.01, 0.1, 0.5, 0.9, 0.99])
def test_eps_c_numerical_agrees_with_the_closed_form(phi):
    """The root of the left support edge (brentq, independent of the closed form) against
    Eq. (16) at 30 digits: the brief's 1e-9 relative (the edge is linear in eps at the root,
    so the root is as accurate as the edge, ~1e-15 absolute)."""
    assert ch.eps_c_numerical(phi) == pytest.approx(ref.eps_c_closed(phi), rel=1e-9)


def test_eps_c_numerical_bad_input():
    for phi in (1.0, 2.0):
        with pytest.raises(ValueError, match="phi"):
            ch.eps_c_numerical(phi)
