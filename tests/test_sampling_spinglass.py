"""Spherical p-spin sampling (rmtland.sampling.spinglass): derivatives, Riemannian quantities,
Newton and gradient dynamics, critical points (ABC13 = Auffinger, Ben Arous & Cerny, CPAM 66
(2013)), on NumPy, on the CuPy double and on a GPU where there is one.

Statistical checks are in standard errors of the batch itself (5 of them: a false alarm has
probability 6e-7 per check for a normal mean). Numerical tolerances are stated where used.
"""
import contextlib
import math

import numpy as np
import pytest

from _rng_checks import check_rng_forms
from rmtland._backend import to_numpy
from rmtland.analytic.spinglass import E_inf, threshold
from rmtland.sampling import spinglass as ps


def _fd_check(f, df, x, h=1e-5, rtol=1e-6):
    """Central differences of f (B,...) along every coordinate of x (N,) against df(x).
    Error: truncation h^2 |f^(3)|/6 ~ 1e-10 |f| plus rounding eps |f|/h ~ 1e-11 |f| (f and its
    derivatives of order one here), so rtol = 1e-6 of the largest derivative is ample, and a
    wrong factor (e.g. p instead of p(p-1)) is far outside it."""
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
    # second difference: truncation h^2 |E^(4)|/12 ~ 1e-9, rounding 4 eps |E|/h^2 ~ 1e-7
    # (|E| = |H_N| ~ sqrt(N)); bound 1e-5 of the scale
    np.testing.assert_allclose(d2, exact, atol=1e-5 * (1 + np.abs(exact).max()))
    # directional first derivative equals grad . v (truncation h^2 ~ 1e-8, rounding
    # eps |E|/h ~ 1e-11)
    d1 = (ps.energy(J, gamma(h)) - ps.energy(J, gamma(-h))) / (2 * h)
    np.testing.assert_allclose(d1, np.sum(g * v, axis=1), atol=1e-6 * np.abs(g).max())


@pytest.mark.parametrize("p", [3, 4])
def test_hessian_second_moment_is_p_times_p_minus_1(p):
    """The mean over tangent eigenvalues of (lambda + p u)^2 has expectation p(p-1) exactly at
    any point (module notes): tr (Ht + pu)^2 is the squared Frobenius norm of the tangent
    Euclidean Hessian, (N-1)(N-2) off-diagonal entries of variance p(p-1)/N and N-1 diagonal
    ones of variance 2p(p-1)/N, i.e. (N-1) p(p-1) in total; no further scaling."""
    N, S = 16, 40
    gen = np.random.default_rng(7)
    stats = []
    for _ in range(S):
        J = ps.sample_couplings(N, p, rng=gen)
        s = ps.random_sphere_points(N, 1, rng=gen)
        u = ps.energy(J, s) / N
        lam = np.linalg.eigvalsh(ps.riemannian_hessian(J, s))
        stats.append(np.mean((lam + p * u[:, None]) ** 2))
    stats = np.array(stats)
    se = stats.std(ddof=1) / math.sqrt(S)
    assert abs(stats.mean() - p * (p - 1)) < 5 * se
    # the batch is precise enough to reject a 25 % error (p^2 instead of p(p-1) is 33-50 %)
    assert abs(stats.mean() - 1.25 * p * (p - 1)) > 5 * se


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


def test_derivatives_follow_the_backend(xp):
    """Every derivative on xp equals NumPy's for the same couplings and points (rounding only:
    the same GEMMs in another order, ~1e-13 relative)."""
    N, p = 7, 3
    J = ps.sample_couplings(N, p, rng=1)
    s = ps.random_sphere_points(N, 3, rng=2)
    for f in (ps.energy, ps.gradient, ps.hessian, ps.riemannian_gradient,
              ps.riemannian_hessian):
        out = f(xp.asarray(J), xp.asarray(s))
        assert type(out) is type(xp.asarray(s)) and out.dtype == np.float64
        np.testing.assert_allclose(to_numpy(out), f(J, s), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_numpy(ps.tangent_basis(xp.asarray(s))), ps.tangent_basis(s),
                               rtol=0, atol=1e-14)


def test_find_any_critical_points_are_critical(device):
    N, p, tol = 14, 3, 1e-10
    J = ps.sample_couplings(N, p, rng=21, device=device)
    r = ps.find_critical_points(J, starts=30, rng=22, kind="any", tol=tol)
    assert type(r["sigma"]) is type(J) and r["n_starts"] == 30
    M = r["sigma"].shape[0]
    assert M >= 5
    h = {k: to_numpy(v) for k, v in r.items() if k != "n_starts"}
    assert h["counts"].sum() == h["converged"].sum()
    s = h["sigma"]
    Jh = to_numpy(J)
    # on the sphere to rounding of the retraction (a few ulps of N)
    np.testing.assert_allclose(np.sum(s * s, axis=1), N, rtol=1e-12)
    g = ps.riemannian_gradient(Jh, s)
    assert np.all(np.linalg.norm(g, axis=1) / N <= tol)
    np.testing.assert_allclose(h["grad_norm"], np.linalg.norm(g, axis=1) / N, atol=1e-14)
    lam = np.linalg.eigvalsh(ps.riemannian_hessian(Jh, s))
    np.testing.assert_array_equal(np.sum(lam < 0, axis=1), h["index_count"])
    np.testing.assert_allclose(h["index"], h["index_count"] / (N - 1), rtol=1e-15)
    np.testing.assert_allclose(h["energy_per_site"], ps.energy(Jh, s) / N, rtol=1e-12)
    # a Newton step from a critical point stays there (quadratic convergence: |d| ~ |grad|)
    moved = np.linalg.norm(to_numpy(ps.newton_step(J, r["sigma"])) - s, axis=1) / math.sqrt(N)
    assert np.all(moved < 1e-8)
    assert np.all(np.diff(h["energy_per_site"]) >= 0)
    # distinct points after merging
    d2 = np.sum((s[:, None, :] - s[None, :, :]) ** 2, axis=2) / N
    assert np.all(d2[~np.eye(M, dtype=bool)] >= 1e-12)
    # indices spread: saddles are found, not only minima
    assert h["index_count"].max() > 0


@pytest.mark.parametrize("p", [3, 4])
def test_minima(device, p):
    """Minima: index 0, positive-definite Hessian, and energies in the band the theory allows.
    Below: the ground state energy per site concentrates (Borell-TIS: the field H_N/N has
    variance 1/N) around a mean >= -E_0 (its limit, Subag 2017), so no point lies below
    -E_0 - sqrt(2 ln(1e3)/N) but with probability 1e-3. Above: an index-0 point at energy u
    needs the smallest eigenvalue of the GOE part of its Hessian (semicircle on [-2, 2] times
    sqrt(p(p-1)), ABC13 Lemma 3.2) above p u/sqrt(p(p-1)), which is -1 at u = -E_inf/2: the
    edge of an N-1 GOE pushed into the bulk, a large deviation of probability exp(-c N^2)."""
    N = 18 if p == 3 else 12
    J = ps.sample_couplings(N, p, rng=31, device=device)
    r = ps.find_critical_points(J, starts=40, rng=32, kind="minima")
    h = {k: to_numpy(v) for k, v in r.items() if k != "n_starts"}
    assert h["sigma"].shape[0] >= 1
    assert np.all(h["index_count"] == 0)
    lam = np.linalg.eigvalsh(ps.riemannian_hessian(to_numpy(J), h["sigma"]))
    assert np.all(lam > 0)
    u = h["energy_per_site"]
    assert np.all(u < -0.5 * E_inf(p))
    assert np.all(u > -threshold(0, p) - math.sqrt(2 * math.log(1e3) / N))
    # merged duplicates: 40 starts fall into fewer basins
    assert h["counts"].sum() == h["converged"].sum()
    assert h["counts"].max() > 1


def test_gradient_descent_never_increases_energy(device):
    N, p = 15, 3
    J = ps.sample_couplings(N, p, rng=41, device=device)
    s0 = ps.random_sphere_points(N, 8, rng=42, device=device)
    s, E = ps.riemannian_gradient_descent(J, s0, maxiter=300, tol=1e-8, return_energies=True)
    assert type(s) is type(J) and type(E) is type(J)
    s, E = to_numpy(s), to_numpy(E)
    assert E.shape[1] == 8
    # Armijo acceptance is E_new <= E - 1e-4 eta |g|^2 <= E exactly; the bound leaves only the
    # rounding of the energies themselves (~1e-12 relative)
    assert np.all(np.diff(E, axis=0) <= 1e-12 * np.abs(E).max())
    assert np.all(E[-1] < E[0])
    np.testing.assert_allclose(np.sum(s * s, axis=1), N, rtol=1e-12)
    # the energies returned are those of the points
    np.testing.assert_allclose(E[-1], ps.energy(to_numpy(J), s), rtol=1e-12)


# ----------------------------------------------------------------------------- Newton fallback

def _newton_case(N=8, p=3, seed=71):
    J = ps.sample_couplings(N, p, rng=seed)
    s = ps.random_sphere_points(N, 5, rng=seed + 1)
    return J, s


def _spy(monkeypatch, module, name, calls):
    real = getattr(module, name)

    def spy(*args, **kwargs):
        calls.append(name)
        return real(*args, **kwargs)
    monkeypatch.setattr(module, name, spy)


@pytest.mark.parametrize("errstate", ["raise", "silent"])
def test_newton_step_survives_a_gpu_solve_failure(cupy_double, monkeypatch, errstate):
    """An injected cuSOLVER failure of ``solve`` (NaN output, raised under errstate) sends the
    Newton direction to the eigendecomposition route, which returns the same step as NumPy's
    LU solve for the same J and sigma. Both solve one well-conditioned system (cond(Ht) ~ 1e2
    for random points), so they agree to cond * eps ~ 1e-13; asked: 1e-10.
    "silent" also takes away the errstate (as an old CuPy would): the NaN solution itself must
    then trigger the fallback (check_finite). Double only: failures can be injected only
    there (the singular case below runs on every backend)."""
    cp = cupy_double
    J, s = _newton_case()
    ref = ps.newton_step(J, s)
    calls = []
    _spy(monkeypatch, cp.linalg, "solve", calls)
    _spy(monkeypatch, cp.linalg, "eigh", calls)
    if errstate == "silent":
        monkeypatch.setattr(ps, "linalg_errors", lambda xp: contextlib.nullcontext())
    cp._double.inject_linalg_failure("solve")
    out = ps.newton_step(cp.asarray(J), cp.asarray(s))
    assert isinstance(out, cp.ndarray)
    assert calls == ["solve", "eigh"]
    np.testing.assert_allclose(cp.asnumpy(out), ref, rtol=0, atol=1e-10)
    # and without the failure, the device takes the LU route to the same step
    cp._double.clear_injections()
    calls.clear()
    np.testing.assert_allclose(cp.asnumpy(ps.newton_step(cp.asarray(J), cp.asarray(s))), ref,
                               rtol=0, atol=1e-10)
    assert calls == ["solve"]


def test_critical_points_with_a_failing_gpu_solver(cupy_double):
    """Every ``solve`` fails: Newton runs on the eigh route throughout and still converges to
    genuine critical points (double only: injection)."""
    cp = cupy_double
    N, p, tol = 10, 3, 1e-10
    J = ps.sample_couplings(N, p, rng=81)
    cp._double.inject_linalg_failure("solve")
    r = ps.find_critical_points(cp.asarray(J), starts=6, rng=82, kind="any", tol=tol)
    s = cp.asnumpy(r["sigma"])
    assert s.shape[0] >= 1 and np.all(np.isfinite(s))
    assert np.all(np.linalg.norm(ps.riemannian_gradient(J, s), axis=1) / N <= tol)


def _singular_case():
    """p = 2, N = 9, sigma = 3 e_9: the tangent basis is exactly e_1..e_8 (Householder of e_9),
    the Riemannian Hessian is 2 N^{-1/2} J[:8, :8] - 2 N^{-1/2} J[8, 8] I. Row and column 0 of J
    and J[8, 8] are zero, so the tangent Hessian has an exactly zero row and column (LU hits a
    zero pivot) while the gradient has no component along e_1: the Newton system is singular
    and consistent, and the minimum-norm step is -pinv(Ht) g_t."""
    N = 9
    A = np.random.default_rng(91).standard_normal((N, N))
    J = (A + A.T) / 2
    J[0, :] = J[:, 0] = 0.0
    J[N - 1, N - 1] = 0.0
    s = np.zeros((1, N))
    s[0, -1] = 3.0
    return J, s


def test_singular_newton_system_takes_the_eigh_route(xp, monkeypatch):
    J, s = _singular_case()
    N = s.shape[1]
    Ht = ps.riemannian_hessian(J, s)[0]
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.solve(Ht, np.ones(N - 1))           # the construction is exactly singular
    U = ps.tangent_basis(s)[0]
    gt = U.T @ ps.riemannian_gradient(J, s)[0]
    assert gt[0] == 0.0
    x = s[0] + U @ (-np.linalg.pinv(Ht) @ gt)
    ref = math.sqrt(N) * x / np.linalg.norm(x)
    calls = []
    _spy(monkeypatch, xp.linalg, "eigh", calls)
    out = ps.newton_step(xp.asarray(J), xp.asarray(s))
    assert calls == ["eigh"]
    assert type(out) is type(xp.asarray(s))
    # the eigenvalue floor leaves the null direction untouched (its right-hand side is 0),
    # so the step is the pseudo-inverse one to rounding (cond of the regular part ~ 10)
    np.testing.assert_allclose(to_numpy(out)[0], ref, rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------- symmetries

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
    reps, counts = ps.distinct_points(pts)
    assert len(reps) == 3
    assert sorted(to_numpy(counts).tolist()) == [1, 1, 3]


def test_distinct_points_on_the_backend(xp):
    s = ps.random_sphere_points(6, 2, rng=54)
    pts = xp.asarray(np.concatenate([s, s + 1e-9, -s]))
    reps, counts = ps.distinct_points(pts)
    assert type(reps) is type(pts)
    assert sorted(to_numpy(counts).tolist()) == [1, 1, 2, 2]


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


# ----------------------------------------------------------------------------- input, seeds

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


def test_dtype_shape_and_backend(device):
    J = ps.sample_couplings(5, 3, rng=np.random.SeedSequence(3), device=device)
    assert J.dtype == np.float64 and J.shape == (5, 5, 5)
    s = ps.random_sphere_points(5, 4, rng=4, device=device)
    assert type(s) is type(J) and s.shape == (4, 5) and s.dtype == np.float64
    np.testing.assert_allclose(to_numpy((s * s).sum(axis=1)), 5.0, rtol=1e-14)


def test_rng_forms(device):
    check_rng_forms(lambda rng: ps.sample_couplings(4, 3, rng=rng, device=device))
    check_rng_forms(lambda rng: ps.random_sphere_points(4, 3, rng=rng, device=device))
    J = ps.sample_couplings(6, 3, rng=0, device=device)
    # tol above every gradient norm (|grad|/N ~ sqrt(p/N) ~ 0.7 here): no Newton step is taken
    # and the result is the (merged) random starts themselves, which differ for different
    # seeds with certainty
    check_rng_forms(lambda rng: ps.find_critical_points(J, starts=3, rng=rng, tol=100.0,
                                                        maxiter=1)["sigma"])
    r = ps.find_critical_points(J, starts=3, rng=0, tol=100.0, maxiter=1)
    assert bool(r["converged"].all()) and r["sigma"].shape == (3, 6)
