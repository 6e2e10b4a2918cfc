r"""FreeSum.stieltjes ON the real axis (free_convolve(..., "algebraic")), for Marchenko–Pastur(phi)
boxplus semicircle(variance 2 eps), the Pennington–Bahri law.

* inside the support, -Im G(x + i0)/pi is the density: against PenningtonBahri.density (a
  second route: the cubic typed by hand and solved in closed form, where FreeSum derives its
  polynomial with sympy and solves it with numpy) and against the 30-digit mpmath density
  samples of tests/data/pb_reference.json (fully independent);
* outside the support (left, right, and in the gap for phi > 1), Im G = 0 exactly and G equals
  the Stieltjes transform int rho(l)/(x - l) dl by test-side quadrature
  (tests/_quadrature.integrate_density, converged to 1e-12 relative).
"""
import numpy as np
import pytest

import _pb_reference as ref
from _quadrature import integrate_density
from rmtland.analytic import FreeSum, MarchenkoPastur, PenningtonBahri, Semicircle, free_convolve

#: (phi, eps): one interval; one interval at large eps; a gap (phi > 1); a wide gap
CASES = [(0.5, 0.25), (0.1, 1.0), (2.0, 0.01), (5.0, 0.001)]


@pytest.fixture(scope="module", params=CASES, ids=[f"{p}-{e}" for p, e in CASES])
def laws(request):
    phi, eps = request.param
    fs = free_convolve(MarchenkoPastur(phi), Semicircle(2 * eps), "algebraic")
    assert isinstance(fs, FreeSum)
    return phi, eps, fs, PenningtonBahri(phi, eps)


def test_inside_the_support_minus_im_g_over_pi_is_the_density(laws):
    """Interior points (1/8 .. 7/8 of each interval: simple roots, well conditioned): the two
    routes agree to rounding, measured <= 2e-15 relative; 1e-12 allowed."""
    phi, eps, fs, pb = laws
    x = np.concatenate([np.linspace(a, b, 9)[1:-1] for a, b in pb.support()])
    G = fs.stieltjes(x + 0j)
    assert np.all(G.imag < 0)                              # Herglotz: Im G < 0 inside
    np.testing.assert_allclose(-G.imag / np.pi, pb.density(x), rtol=1e-12)


def test_inside_the_support_matches_mpmath(laws):
    phi, eps, fs, _ = laws
    cases = [c for c in ref.mpmath_cases() if (c["phi"], c["eps"]) == (phi, eps)]
    if not cases:
        pytest.skip("no mpmath case at this (phi, eps)")
    x, rho = np.array(cases[0]["density_samples"]).T
    # mpmath: 25 significant digits; measured agreement <= 2e-15 relative
    np.testing.assert_allclose(-fs.stieltjes(x + 0j).imag / np.pi, rho, rtol=1e-12)


def test_outside_the_support_g_is_real_and_the_stieltjes_integral(laws):
    phi, eps, fs, pb = laws
    support = pb.support()
    x = [support[0][0] - 1.0, support[0][0] - 0.05, support[-1][1] + 0.05, support[-1][1] + 2.0]
    if len(support) == 2:                                   # the gap between the intervals
        x.append((support[0][1] + support[1][0]) / 2)
    x = np.array(x)
    G = fs.stieltjes(x + 0j)
    assert np.all(G.imag == 0)
    expected = [integrate_density(pb, lambda lam, xi=xi: 1.0 / (xi - lam)) for xi in x]
    # quadrature converged to 1e-12 relative on a smooth integrand (distance >= 0.05 from the
    # support); measured agreement 2e-15
    np.testing.assert_allclose(G.real, expected, rtol=1e-10)
    # signs: G < 0 left of everything, > 0 right of everything
    assert G.real[0] < 0 and G.real[1] < 0 and G.real[2] > 0 and G.real[3] > 0


def test_real_axis_agrees_with_just_above_it(laws):
    """G(x + i0) is the limit from the upper half plane: at eta = 1e-9 the value moves by
    O(eta |G'|) (|G'| <= 1/dist^2 = 400 outside, O(1/sqrt(distance to an edge)) inside)."""
    phi, eps, fs, pb = laws
    a, b = pb.support()[0]
    x = np.array([a - 0.05, (a + b) / 2])
    on = fs.stieltjes(x + 0j)
    above = fs.stieltjes(x + 1e-9j)
    np.testing.assert_allclose(on, above, atol=1e-6)
