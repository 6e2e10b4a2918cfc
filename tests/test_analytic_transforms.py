r"""rmtland.analytic.transforms: polynomial roots, Herglotz branch, moment–cumulant relations.

Tier: analytic, deterministic.  Provenance of the reference values:

* roots: ``numpy.roots`` (companion-matrix eigenvalues, backward stable) and the residual
  :math:`|P(r)| / \sum_k |c_k| |r|^k` (backward error; a root computed to working accuracy
  has a backward error of a few ulp, ~1e-16, whatever its conditioning);
* semicircle moments: Catalan numbers :math:`C_k = \binom{2k}{k}/(k+1)` (Nica & Speicher,
  *Lectures on the Combinatorics of Free Probability*, 2006, Lect. 2);
* Marchenko–Pastur moments: Narayana polynomials
  :math:`m_k(\varphi) = \sum_{r=0}^{k-1} \frac{\varphi^r}{r+1}\binom{k}{r}\binom{k-1}{r}`
  (ibid., Lect. 12, free Poisson law of rate :math:`1/\varphi` rescaled by :math:`\varphi`;
  mean 1, variance :math:`\varphi`, as in DESIGN.md).

Exact cases use ``fractions.Fraction`` or sympy, so they compare with ``==``.
"""
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose
from scipy.optimize import linear_sum_assignment

from rmtland.analytic.transforms import (density_from_stieltjes, free_cumulants_from_moments,
                                         herglotz_root, moments_from_free_cumulants, poly_roots)

ULP = np.finfo(float).eps


def backward_error(coeffs, roots):
    """|P(r)| / sum_k |c_k| |r|^k for every root (coeffs highest first, shape (d+1,))."""
    num = np.abs(np.polyval(coeffs, roots))
    den = np.polyval(np.abs(coeffs), np.abs(roots))
    return num / den


def matched_distance(a, b):
    """Largest |a_i - b_pi(i)| / (1 + |b|) under the optimal matching (no sorting)."""
    cost = np.abs(a[:, None] - b[None, :]) / (1 + np.abs(b[None, :]))
    i, j = linear_sum_assignment(cost)
    return cost[i, j].max()


# ----------------------------------------------------------------------------- poly_roots

@pytest.mark.parametrize("degree", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("kind", ["real", "complex"])
def test_poly_roots_random_against_numpy(degree, kind):
    """Random Gaussian polynomials, solved in one batched call (trailing axis = 200 polys).

    Each root has a backward error within numpy_reference_bound; the whole multiset matches
    numpy.roots under an optimal assignment to 1e-9 (a random Gaussian polynomial has
    well-separated roots: the smallest root separation over these 200 draws keeps the forward
    error below 1e-11); and
    Vieta's formulas rebuild the coefficients (this rules out a root found twice).
    """
    rng = np.random.default_rng(1000 * degree + (kind == "complex"))
    n = 200
    c = rng.standard_normal((degree + 1, n))
    if kind == "complex":
        c = c + 1j * rng.standard_normal((degree + 1, n))
    roots = poly_roots(c)
    assert roots.shape == (degree, n)
    for j in range(n):
        r = roots[:, j]
        assert np.all(backward_error(c[:, j], r) <= numpy_reference_bound(c[:, j])), (c[:, j], r)
        ref = np.roots(c[:, j])
        assert matched_distance(r, ref) < 1e-9, (r, ref)
        # Vieta: c0 * prod(x - r) has the coefficients c; error bound e_k(|r|) * few ulp
        rebuilt = c[0, j] * np.poly(r)
        scale = np.abs(c[0, j]) * np.poly(-np.abs(r)).real * (-1) ** np.arange(degree + 1)
        assert np.all(np.abs(rebuilt - c[:, j]) <= 64 * ULP * np.abs(scale) + 1e-300)


def test_poly_roots_batched_grid():
    """One call on a (3, 4) grid of cubics equals the 12 single calls (same algorithm, so to
    the last bit up to the vectorised arithmetic: 1e-13)."""
    z = np.linspace(-1, 2, 12).reshape(3, 4) + 0.5j
    c = np.stack([np.full(z.shape, 0.3 + 0j), -(0.2 + z * 0.5), z - 0.5, np.full(z.shape, -1 + 0j)])
    roots = poly_roots(c)
    assert roots.shape == (3, 3, 4)
    for idx in np.ndindex(z.shape):
        single = poly_roots(c[(slice(None),) + idx])
        assert matched_distance(roots[(slice(None),) + idx], single) < 1e-13
        assert np.all(backward_error(c[(slice(None),) + idx], single) < 8 * ULP)


def test_poly_roots_broadcasts_coefficients():
    """Documented: "the trailing axes broadcast, so one call solves a polynomial per grid
    point" -- a scalar coefficient next to a grid of coefficients (z G^2 - G + 1 on a grid)."""
    z = np.linspace(1, 2, 12).reshape(3, 4) + 0.5j
    roots = poly_roots([z, -1.0, 1.0])
    assert roots.shape == (2, 3, 4)
    for idx in np.ndindex(z.shape):
        c = np.array([z[idx], -1.0, 1.0])
        assert np.all(backward_error(c, roots[(slice(None),) + idx]) <= numpy_reference_bound(c))


def numpy_reference_bound(c):
    """Backward-error bound for a root finder: 8 ulp, or 10x what numpy.roots achieves (the
    companion-matrix eigenvalues are normwise, not componentwise, backward stable, so for
    widely spread roots numpy's componentwise residual exceeds a few ulp)."""
    return max(8 * ULP, 10 * backward_error(c, np.roots(c)).max())


@pytest.mark.parametrize("roots", [
    (1.0, 2.0, 3.0),            # three real roots: Cardano's w is real and negative
    (-1.0, 1.0, 1e4),
    (1.0, 2.0, 1e6),
    (1e-6, 1.0, 2.0),
    (1e-4, 1.0, 1e4),
    (1e-8, 1.0, 1e8),           # roots spread over 16 decades
    (2.0, 1j, -1j),
])
def test_poly_roots_cubic_known_roots(roots):
    """Monic cubics with known roots, some spread over many decades (the regime of the
    Pennington–Bahri cubic, where G ~ z/(2 eps) coexists with G ~ 1/z).

    Residual-based: each computed root has a backward error within numpy_reference_bound, and
    the exact roots are matched (optimal assignment) with relative error < 1e-10 (the roots
    are simple and well separated relative to their size: condition numbers < 10, so
    rounding the coefficients moves them by < 1e-14 relative); numpy.roots meets this too.
    """
    c = np.poly(roots)
    exact = np.array(roots, dtype=complex)

    def rel_forward(r):
        cost = np.abs(r[:, None] - exact[None, :]) / np.abs(exact[None, :])
        i, j = linear_sum_assignment(cost)
        return cost[i, j].max()

    assert rel_forward(np.roots(c)) < 1e-10              # the reference meets the bound
    r = poly_roots(c)
    assert np.all(backward_error(c, r) <= numpy_reference_bound(c)), (r, roots)
    assert rel_forward(r) < 1e-10, (r, roots)


@pytest.mark.parametrize("degree", [2, 4, 5])
def test_poly_roots_spread_roots_other_degrees(degree):
    """Roots 10^(-8..8) for the closed-form quadratic and the companion-matrix path."""
    exact = np.logspace(-8, 8, degree) * np.where(np.arange(degree) % 2, -1, 1)
    c = np.poly(exact)
    r = poly_roots(c)
    assert np.all(backward_error(c, r) <= numpy_reference_bound(c)), r


# ----------------------------------------------------------------------------- herglotz_root

Z_UPPER = (np.linspace(-4, 6, 41)[:, None] + 1j * np.logspace(-8, 1, 10)[None, :]).ravel()


def test_herglotz_root_semicircle():
    r"""Semicircle of variance 1: G^2 - z G + 1 = 0; exactly one root has Im G < 0 for
    Im z > 0 (product of the roots is 1, so the other has Im > 0), and herglotz_root picks it.
    Reference: G = 2/(z + sqrt(z-2) sqrt(z+2)) (cancellation-free closed form)."""
    roots = poly_roots(np.stack([np.ones_like(Z_UPPER), -Z_UPPER, np.ones_like(Z_UPPER)]))
    assert np.all(np.sum(roots.imag < 0, axis=0) == 1)
    G = herglotz_root(roots, Z_UPPER)
    assert np.all(G.imag < 0)
    ref = 2 / (Z_UPPER + np.sqrt(Z_UPPER - 2) * np.sqrt(Z_UPPER + 2))
    assert_allclose(G, ref, rtol=1e-12)


@pytest.mark.parametrize("phi", [0.3, 1.0, 2.5])
def test_herglotz_root_marchenko_pastur(phi):
    r"""Marchenko–Pastur: phi z G^2 - (z + phi - 1) G + 1 = 0 (DESIGN.md); the chosen root has
    Im G < 0, satisfies the equation, and tends to 1/z."""
    z = Z_UPPER
    roots = poly_roots(np.stack([phi * z, -(z + phi - 1), np.ones_like(z)]))
    G = herglotz_root(roots, z)
    assert np.all(G.imag < 0)
    assert np.all(np.abs(phi * z * G ** 2 - (z + phi - 1) * G + 1)
                  < 64 * ULP * (np.abs(phi * z * G ** 2) + np.abs((z + phi - 1) * G) + 1))
    zbig = np.array([1e4j, 1e4 + 1e3j])
    Gbig = herglotz_root(poly_roots(np.stack([phi * zbig, -(zbig + phi - 1), np.ones(2)])), zbig)
    assert_allclose(zbig * Gbig, 1, atol=10 * (1 + phi) / 1e3)    # zG - 1 = m1/z + ... = O(1/|z|)


def test_herglotz_root_shape_and_choice():
    """Picks, per column, the candidate with the smallest imaginary part."""
    roots = np.array([[1 + 1j, 2 - 3j], [1 - 2j, 2 + 0j], [0 + 0j, 5 - 1j]])
    assert_allclose(herglotz_root(roots, np.array([1j, 1j])), [1 - 2j, 2 - 3j])


def test_density_from_stieltjes_sign_and_clip():
    G = np.array([-0.5j, 1 + 0j, 1e-20j, -2j / np.pi])
    assert_allclose(density_from_stieltjes(G), [0.5 / np.pi, 0, 0, 2 / np.pi ** 2], rtol=1e-15)


# ----------------------------------------------------------------------------- moments/cumulants

def catalan(k):
    return math.comb(2 * k, k) // (k + 1)


def narayana(k, phi):
    return sum(phi ** r * sp.Rational(math.comb(k, r) * math.comb(k - 1, r), r + 1)
               for r in range(k))


def test_moments_semicircle_are_catalan():
    """kappa = (0, 1, 0, 0, ...): m_{2k} = C_k, odd moments 0 (exact, Fractions)."""
    K = 14
    kappa = [Fraction(0), Fraction(1)] + [Fraction(0)] * (K - 2)
    m = moments_from_free_cumulants(kappa)
    assert m[1::2] == [catalan(k) for k in range(1, K // 2 + 1)]
    assert m[0::2] == [0] * (K // 2)


def test_moments_semicircle_variance_and_center():
    """kappa = (c, s2): moments of c + sqrt(s2) * S, S standard semicircle (binomial sum)."""
    c, s2 = Fraction(3, 7), Fraction(5, 2)
    K = 8
    m = moments_from_free_cumulants([c, s2] + [0] * (K - 2))
    ref = [sum(math.comb(n, 2 * j) * c ** (n - 2 * j) * s2 ** j * catalan(j)
               for j in range(n // 2 + 1)) for n in range(1, K + 1)]
    assert m == ref


def test_moments_marchenko_pastur_are_narayana():
    """kappa_j = phi^(j-1) (R = 1/(1 - phi g)) gives the Narayana polynomials (sympy, exact)."""
    phi = sp.Symbol("phi", positive=True)
    K = 9
    m = moments_from_free_cumulants([phi ** j for j in range(K)])
    for k in range(1, K + 1):
        assert sp.expand(m[k - 1] - narayana(k, phi)) == 0, k


def test_moments_free_poisson_rate_one_catalan():
    """All free cumulants 1 (MP at phi = 1): m_k = C_k."""
    m = moments_from_free_cumulants([Fraction(1)] * 12)
    assert m == [catalan(k) for k in range(1, 13)]


def test_cumulants_round_trip_exact():
    """free_cumulants_from_moments inverts moments_from_free_cumulants (Fractions, exact)."""
    rng = np.random.default_rng(7)
    kappa = [Fraction(int(a), int(b)) for a, b in zip(rng.integers(-9, 10, 10),
                                                       rng.integers(1, 9, 10))]
    m = moments_from_free_cumulants(kappa)
    assert free_cumulants_from_moments(m) == kappa
    assert moments_from_free_cumulants(free_cumulants_from_moments(m)) == m


def test_cumulants_of_catalan_and_narayana_moments():
    """The inverse on known moment sequences: Catalan -> (0, 1, 0, ...) after centring is not
    needed: moments C_k (free Poisson) -> all cumulants 1; semicircle -> (0, 1, 0, ...)."""
    assert free_cumulants_from_moments([catalan(k) for k in range(1, 11)]) == [1] * 10
    sc = [0 if n % 2 else catalan(n // 2) for n in range(1, 11)]
    assert free_cumulants_from_moments(sc) == [0, 1] + [0] * 8


def test_cumulants_round_trip_float():
    """Floats: relative error stays at rounding level for K = 8 (sums of O(10^3) terms)."""
    kappa = [0.3, 1.7, -0.4, 0.25, 0.1, -0.05, 0.02, 0.01]
    m = moments_from_free_cumulants(kappa)
    assert_allclose(free_cumulants_from_moments(m), kappa, rtol=1e-10, atol=1e-12)
