"""Spherical p-spin sampling: derivatives, Riemannian quantities, critical points (ABC13)."""
import math

import numpy as np
import pytest

from rmtland.analytic.spinglass import E_inf, threshold
from rmtland.sampling import pspin as ps
from rmtland._backend import to_numpy


def _fd_check(f, df, x, h=1e-5, rtol=1e-6):
    """Central differences of f (B,...) along every coordinate of x (N,) against df(x)."""
    N = x.shape[0]
    E = np.eye(N)
    plus, minus = f(x[None, :] + h * E), f(x[None, :] - h * E)
    fd = (plus - minus) / (2 * h)  # (N, ...) derivative along coordinate i
    exact = df(x)
    scale = np.max(np.abs(exact))
    np.testing.assert_allclose(np.moveaxis(fd, 0, -1), exact, rtol=0, atol=rtol * scale)


@pytest.mark.parametrize("p,N", [(2, 7), (3, 8), (4, 6)])
def test_derivatives_match_finite_differences(p, N):
    J = ps.sample_couplings(N, p, rng=11)
    x = np.random.default_rng(12).standard_normal(N) * 1.3  # off the sphere: Euclidean
    _fd_check(lambda s: ps.energy(J, s), lambda s: ps.gradient(J, s), x)
    _fd_check(lambda s: ps.gradient(J, s), lambda s: ps.hessian(J, s), x)
    Hm = ps.hessian(J, x)
    np.testing.assert_allclose(Hm, Hm.T, atol=1e-12 * np.max(np.abs(Hm)))


def test_energy_matches_direct_sum_and_shapes():
    N, p = 5, 3
    J = ps.sample_couplings(N, p, rng=1)
    s = ps.random_sphere_points(N, 4, rng=2)
    direct = N ** (-(p - 1) / 2) * np.einsum("ijk,bi,bj,bk->b", J, s, s, s)
    np.testing.assert_allclose(ps.energy(J, s), direct, rtol=1e-12)
    assert ps.gradient(J, s).shape == (4, N)
    assert ps.hessian(J, s).shape == (4, N, N)
    assert ps.riemannian_hessian(J, s).shape == (4, N - 1, N - 1)
    assert np.ndim(ps.energy(J, s[0])) == 0


@pytest.mark.parametrize("p", [3, 4])
def test_riemannian_gradient_tangent_and_hessian_along_geodesics(p):
    N = 9
    J = ps.sample_couplings(N, p, rng=3)
    s = ps.random_sphere_points(N, 3, rng=4)
    g = ps.riemannian_gradient(J, s)
    np.testing.assert_allclose(np.sum(g * s, axis=1), 0, atol=1e-12 * np.abs(g).max() * N)
    U = ps.tangent_basis(s)
    np.testing.assert_allclose(np.swapaxes(U, 1, 2) @ U, np.broadcast_to(np.eye(N - 1),
                               (3, N - 1, N - 1)), atol=1e-13)
    np.testing.assert_allclose(np.einsum("bi,bij->bj", s, U), 0, atol=1e-12)
    Ht = ps.riemannian_hessian(J, s)
    # second derivative along the unit-speed great circle through s in direction v
    v_t = np.random.default_rng(5).standard_normal((3, N - 1))
    v_t /= np.linalg.norm(v_t, axis=1, keepdims=True)
    v = np.einsum("bij,bj->bi", U, v_t)
    h, rN = 1e-4, math.sqrt(N)

    def gamma(t):
        return math.cos(t / rN) * s + rN * math.sin(t / rN) * v
    d2 = (ps.energy(J, gamma(h)) - 2 * ps.energy(J, s) + ps.energy(J, gamma(-h))) / h ** 2
    exact = np.einsum("bi,bij,bj->b", v_t, Ht, v_t)
    np.testing.assert_allclose(d2, exact, atol=1e-5 * (1 + np.abs(exact).max()))
    # directional first derivative equals grad . v
    d1 = (ps.energy(J, gamma(h)) - ps.energy(J, gamma(-h))) / (2 * h)
    np.testing.assert_allclose(d1, np.sum(g * v, axis=1), atol=1e-6 * np.abs(g).max())


@pytest.mark.parametrize("p", [3, 4])
def test_hessian_scale_second_moment(p):
    """Mean of (lambda + p u)^2 over tangent eigenvalues has expectation p(p-1) exactly."""
    N, S = 16, 40
    assert ps.hessian_scale(N) == 1.0
    gen = np.random.default_rng(7)
    stats = []
    for _ in range(S):
        J = ps.sample_couplings(N, p, rng=gen)
        s = ps.random_sphere_points(N, 1, rng=gen)
        u = ps.energy(J, s) / N
        lam = np.linalg.eigvalsh(ps.riemannian_hessian(J, s) / ps.hessian_scale(N))
        stats.append(np.mean((lam + p * u[:, None]) ** 2))
    stats = np.array(stats)
    se = stats.std(ddof=1) / math.sqrt(S)
    assert abs(stats.mean() - p * (p - 1)) < 5 * se


def test_covariance_of_hamiltonian():
    """E[H(s) H(s')] = N (s.s'/N)^p (ABC13 Eq. (1.2)) for overlaps 1, 0.5, 0."""
    N, p, S = 6, 3, 3000
    gen = np.random.default_rng(8)
    s = ps.random_sphere_points(N, 1, rng=9)[0]
    w = np.random.default_rng(10).standard_normal(N)
    w -= (w @ s) / N * s
    w *= math.sqrt(N) / np.linalg.norm(w)  # w perpendicular to s, |w|^2 = N
    pts = np.stack([s, s, 0.5 * s + math.sqrt(0.75) * w, w])  # s, then partners
    R = np.array([1.0, 0.5, 0.0])
    prods = np.empty((S, 3))
    for k in range(S):
        E = ps.energy(ps.sample_couplings(N, p, rng=gen), pts)
        prods[k] = E[0] * E[1:]
    mean, se = prods.mean(axis=0), prods.std(axis=0, ddof=1) / math.sqrt(S)
    assert np.all(np.abs(mean - N * R ** p) < 5 * se)


def test_find_any_critical_points_are_critical():
    N, p, tol = 14, 3, 1e-10
    J = ps.sample_couplings(N, p, rng=21)
    r = ps.find_critical_points(J, starts=30, rng=22, kind="any", tol=tol)
    M = r["sigma"].shape[0]
    assert M >= 5
    assert r["counts"].sum() == r["converged"].sum()
    s = r["sigma"]
    np.testing.assert_allclose(np.sum(s * s, axis=1), N, rtol=1e-12)
    g = ps.riemannian_gradient(J, s)
    assert np.all(np.linalg.norm(g, axis=1) / N <= tol)
    np.testing.assert_allclose(r["grad_norm"], np.linalg.norm(g, axis=1) / N, atol=1e-14)
    lam = np.linalg.eigvalsh(ps.riemannian_hessian(J, s))
    np.testing.assert_array_equal(np.sum(lam < 0, axis=1), r["index"])
    np.testing.assert_allclose(r["energy_per_site"], ps.energy(J, s) / N, rtol=1e-12)
    moved = np.linalg.norm(ps.newton_step(J, s) - s, axis=1) / math.sqrt(N)
    assert np.all(moved < 1e-8)
    assert np.all(np.diff(r["energy_per_site"]) >= 0)
    # distinct points after merging
    d2 = np.sum((s[:, None, :] - s[None, :, :]) ** 2, axis=2) / N
    assert np.all(d2[~np.eye(M, dtype=bool)] >= 1e-12)
    # indices spread: saddles are found, not only minima
    assert r["index"].max() > 0


@pytest.mark.parametrize("p", [3, 4])
def test_minima(p):
    N = 18 if p == 3 else 12
    J = ps.sample_couplings(N, p, rng=31)
    r = ps.find_critical_points(J, starts=40, rng=32, kind="minima")
    assert r["sigma"].shape[0] >= 1
    assert np.all(r["index"] == 0)
    lam = np.linalg.eigvalsh(ps.riemannian_hessian(J, r["sigma"]))
    assert np.all(lam > 0)
    u = r["energy_per_site"]
    # plausible band: below -E_inf/2 and not far below the ground-state threshold -E_0
    assert np.all(u < -0.5 * E_inf(p))
    assert np.all(u > -threshold(0, p) - 0.5)
    # merged duplicates: 40 starts fall into fewer basins
    assert r["counts"].sum() == r["converged"].sum()
    assert r["counts"].max() > 1


def test_gradient_descent_never_increases_energy():
    N, p = 15, 3
    J = ps.sample_couplings(N, p, rng=41)
    s0 = ps.random_sphere_points(N, 8, rng=42)
    s, E = ps.riemannian_gradient_descent(J, s0, maxiter=300, tol=1e-8, return_energies=True)
    assert E.shape[1] == 8
    assert np.all(np.diff(E, axis=0) <= 1e-12 * np.abs(E).max())
    assert np.all(E[-1] < E[0])
    np.testing.assert_allclose(np.sum(s * s, axis=1), N, rtol=1e-12)


def test_odd_p_minus_minimum_is_maximum_and_merge_keeps_it_apart():
    N, p = 12, 3
    J = ps.sample_couplings(N, p, rng=51)
    r = ps.find_critical_points(J, starts=10, rng=52, kind="minima")
    s = r["sigma"][:1]
    np.testing.assert_allclose(ps.energy(J, -s), -ps.energy(J, s), rtol=1e-12)
    assert np.linalg.norm(ps.riemannian_gradient(J, -s)) / N <= 1e-10
    lam = np.linalg.eigvalsh(ps.riemannian_hessian(J, -s))
    assert np.all(lam < 0)  # index N - 1: a maximum
    # merging: the same point twice (up to 1e-9) merges, -s stays apart
    other = ps.random_sphere_points(N, 1, rng=53)
    pts = np.concatenate([s, s + 1e-9, -s, other, s])
    reps, counts = ps._merge(np, pts, N)
    assert len(reps) == 3
    assert sorted(to_numpy(counts).tolist()) == [1, 1, 3]


def test_even_p_pairs_are_distinct_points():
    N, p = 10, 4
    J = ps.sample_couplings(N, p, rng=61)
    r = ps.find_critical_points(J, starts=60, rng=62, kind="minima")
    s = r["sigma"]
    # H(-s) = H(s) for even p; every merged point is distinct from the others
    np.testing.assert_allclose(ps.energy(J, -s), ps.energy(J, s), rtol=1e-12)
    G = s @ s.T / N
    np.fill_diagonal(G, 0)
    pairs = np.isclose(G, -1, atol=1e-9)
    assert pairs.any()  # some sigma and -sigma both found, kept as two points


@pytest.mark.parametrize("call,name", [
    (lambda: ps.sample_couplings(5, 1), "p"),
    (lambda: ps.sample_couplings(5, 2.5), "p"),
    (lambda: ps.sample_couplings(1, 3), "N"),
    (lambda: ps.sample_couplings(5, 5), "p"),
    (lambda: ps.sample_couplings(200, 4), "N"),
    (lambda: ps.find_critical_points(ps.sample_couplings(4, 3, rng=0), starts=0), "starts"),
    (lambda: ps.find_critical_points(ps.sample_couplings(4, 3, rng=0), starts=2,
                                     kind="max"), "kind"),
    (lambda: ps.find_critical_points(ps.sample_couplings(4, 3, rng=0), starts=2,
                                     tol=-1), "tol"),
    (lambda: ps.energy(ps.sample_couplings(4, 3, rng=0), np.ones((2, 5))), "sigma"),
    (lambda: ps.random_sphere_points(5, 0), "starts"),
])
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_dtype_and_seed_reproducible():
    J1 = ps.sample_couplings(5, 3, rng=np.random.SeedSequence(3))
    J2 = ps.sample_couplings(5, 3, rng=np.random.SeedSequence(3))
    assert J1.dtype == np.float64 and J1.shape == (5, 5, 5)
    np.testing.assert_array_equal(J1, J2)
