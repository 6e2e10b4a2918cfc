"""rmtland.analytic.linear: Baldi & Hornik's critical points, exact Hessians of deep linear
networks, zero-mode snapping, and Kawaguchi's saddle without negative curvature.

Tolerances, stated once:
- gradients at critical points: relative to the gradient's terms before cancellation
  (``relative_gradient_norm``), <= 1e-12, for the closed form and for central differences of
  the loss;
- Hessians: central differences of the closed-form gradient, max entry error relative to the
  largest entry <= 1e-6 (these differences are exact up to rounding, since moving one weight
  entry changes each gradient entry by at most a quadratic in the step; we see ~1e-14);
- losses: closed form against the loss computed from the data, relative <= 1e-12.
"""
import itertools
import math

import numpy as np
import pytest

from rmtland._validate import InputError
from rmtland.analytic import linear as lin

STEP = 1e-2


def _fd(fun, theta, h=STEP):
    cols = []
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        cols.append((np.asarray(fun(theta + e)) - np.asarray(fun(theta - e))) / (2 * h))
    return np.array(cols).T


def _data(seed, m=40, d=6, k=4, noise=1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, d))
    Y = X @ rng.standard_normal((d, k)) + noise * rng.standard_normal((m, k))
    return X, Y, lin.covariances(X, Y)


@pytest.fixture(scope="module")
def problem():
    return _data(20240607)


def _loss_fun(S, shapes):
    return lambda th: lin.deep_linear_loss(lin.unflatten(th, shapes), *S)


def _grad_fun(S, shapes):
    return lambda th: lin.flatten(lin.deep_linear_gradient(lin.unflatten(th, shapes), *S))


# ------------------------------------------------------------------------ conventions
def test_covariances_and_loss_match_the_data(problem):
    X, Y, S = problem
    rng = np.random.default_rng(1)
    Ws = [rng.standard_normal((3, 6)), rng.standard_normal((2, 3)), rng.standard_normal((4, 2))]
    W = Ws[2] @ Ws[1] @ Ws[0]
    direct = np.sum((X @ W.T - Y) ** 2) / (2 * 4 * X.shape[0])     # (1/2km) sum ||f - y||^2
    assert lin.deep_linear_loss(Ws, *S) == pytest.approx(direct, rel=1e-12)
    zero = [np.zeros_like(V) for V in Ws]
    assert lin.deep_linear_loss(zero, *S) == pytest.approx(np.trace(S[2]) / 8, rel=1e-14)
    assert lin.deep_linear_loss(Ws, *S, k=1) == pytest.approx(4 * direct, rel=1e-12)


def test_flatten_and_commutation_matrix():
    rng = np.random.default_rng(2)
    Ws = [rng.standard_normal((2, 3)), rng.standard_normal((4, 2))]
    theta = lin.flatten(Ws)
    assert np.array_equal(theta[:6], Ws[0].T.ravel())             # column-stacking vec
    back = lin.unflatten(theta, [(2, 3), (4, 2)])
    assert all(np.array_equal(a, b) for a, b in zip(back, Ws))
    A = rng.standard_normal((3, 5))
    K = lin.commutation_matrix(3, 5)
    assert np.array_equal(K @ A.reshape(-1, order="F"), A.T.reshape(-1, order="F"))
    assert np.array_equal(K.T @ K, np.eye(15))


# --------------------------------------------------------------------------- Hessians
@pytest.mark.parametrize("widths", [(6, 3, 4), (6, 2, 3, 4), (6, 3, 2, 2, 4), (6, 4)])
def test_exact_hessian_matches_differences_of_the_gradient(problem, widths):
    _, _, S = problem
    rng = np.random.default_rng(len(widths))
    shapes = [(widths[i + 1], widths[i]) for i in range(len(widths) - 1)]
    Ws = [rng.standard_normal(s) / math.sqrt(s[1]) for s in shapes]
    theta = lin.flatten(Ws)
    H = lin.deep_linear_hessian(Ws, *S)
    assert np.array_equal(H, H.T)
    err = np.max(np.abs(H - _fd(_grad_fun(S, shapes), theta))) / np.max(np.abs(H))
    assert err <= 1e-6
    # the gradient itself against differences of the loss
    g = lin.flatten(lin.deep_linear_gradient(Ws, *S))
    assert np.max(np.abs(g - _fd(_loss_fun(S, shapes), theta))) <= 1e-10 * np.max(np.abs(g))
    if len(Ws) == 2:
        H2 = lin.linear_network_hessian(*Ws, *S)
        assert np.allclose(H2, H, rtol=0, atol=1e-14 * abs(H).max())


def test_hessian_at_a_global_minimum_of_a_full_network_is_gauss_newton(problem):
    """With E = 0 (W = the least-squares solution, reachable when p = k), H is the
    Gauss-Newton part J^T J / k, positive semi-definite."""
    _, _, (Sxx, Sxy, Syy) = problem
    Wls = np.linalg.solve(Sxx, Sxy).T                               # k × d, E = 0
    W1, W2 = Wls, np.eye(4)                                         # p = k = 4
    H = lin.linear_network_hessian(W1, W2, Sxx, Sxy, Syy)
    J = np.hstack([np.kron(np.linalg.cholesky(Sxx).T, W2),          # d(W) / d(vec W1) ...
                   np.kron(np.linalg.cholesky(Sxx).T @ W1.T, np.eye(4))])
    assert np.allclose(H, J.T @ J / 4, atol=1e-13 * abs(H).max())
    assert lin.index_with_zero_modes(H).negative == 0


# ---------------------------------------------------------------- Baldi & Hornik
@pytest.mark.parametrize("p", [1, 2, 3, 4])
def test_every_critical_point(problem, p):
    X, Y, S = problem
    k = 4
    pts = lin.baldi_hornik_critical_points(*S, p)
    assert len(pts) == sum(math.comb(k, r) for r in range(p + 1))
    assert [pt["subset"] for pt in pts] == [I for r in range(p + 1)
                                             for I in itertools.combinations(range(k), r)]
    lam, _ = lin.baldi_hornik_sigma(S[0], S[1])
    shapes = [(p, 6), (k, p)]
    glob = [pt for pt in pts if pt["global_minimum"]]
    assert len(glob) == 1 and glob[0]["subset"] == tuple(range(p))
    for pt in pts:
        Ws = [pt["W1"], pt["W2"]]
        theta = lin.flatten(Ws)
        assert lin.relative_gradient_norm(Ws, *S) <= 1e-12
        assert lin.relative_gradient_norm(Ws, *S, gradient=_fd(_loss_fun(S, shapes), theta)) \
            <= 1e-12
        direct = np.sum((X @ pt["W"].T - Y) ** 2) / (2 * k * X.shape[0])
        assert pt["loss"] == pytest.approx(direct, rel=1e-12)
        assert pt["loss"] == pytest.approx((np.trace(S[2]) - lam[list(pt["subset"])].sum())
                                           / (2 * k), rel=1e-14)
        H = lin.linear_network_hessian(pt["W1"], pt["W2"], *S)
        assert np.max(np.abs(H - _fd(_grad_fun(S, shapes), theta))) <= 1e-6 * np.max(np.abs(H))
        inertia = lin.index_with_zero_modes(H)
        if pt["global_minimum"]:
            assert inertia.negative == 0 and inertia.zero == p * p
            eig = np.sort(np.abs(np.linalg.eigvalsh(H)))
            assert eig[p * p] > 1e-6 * eig[-1]        # the snapping gap: well clear of 1e-8
            assert pt["loss"] == min(q["loss"] for q in pts)
        else:
            assert inertia.negative >= 1              # a strict saddle
            assert pt["loss"] > glob[0]["loss"]


@pytest.mark.parametrize("seed", range(6))
def test_index_of_full_rank_critical_points(seed):
    """Observed (and the Morse index of the trace function on the Grassmannian): at a rank-p
    critical point the index is the number of pairs i in I, j not in I with lambda_j >
    lambda_i, with exactly p^2 zero modes. Random sizes d >= k."""
    rng = np.random.default_rng(100 + seed)
    d = int(rng.integers(3, 7))
    k = int(rng.integers(2, d + 1))
    p = int(rng.integers(1, k + 1))
    _, _, S = _data(seed, m=30, d=d, k=k)
    for pt in lin.baldi_hornik_critical_points(*S, p):
        if pt["rank"] < p:
            continue
        I = pt["subset"]
        pairs = sum(1 for i in I for j in range(k) if j not in I and j < i)
        inertia = lin.index_with_zero_modes(lin.linear_network_hessian(pt["W1"], pt["W2"], *S))
        assert inertia == (pairs, p * p, p * (d + k) - p * p - pairs)


def test_gauge_orbit_and_zero_modes(problem):
    """GL(p): (C W1, W2 C^-1) is critical with the same loss and inertia, and the p^2 tangents
    (A W1, -W2 A) are in the Hessian's kernel."""
    _, _, S = problem
    p = 2
    glob = [pt for pt in lin.baldi_hornik_critical_points(*S, p) if pt["global_minimum"]][0]
    C = np.array([[1.3, 0.4], [-0.2, 0.8]])
    W1, W2 = C @ glob["W1"], glob["W2"] @ np.linalg.inv(C)
    assert lin.relative_gradient_norm([W1, W2], *S) <= 1e-12
    assert lin.linear_network_loss(W1, W2, *S) == pytest.approx(glob["loss"], rel=1e-13)
    H = lin.linear_network_hessian(W1, W2, *S)
    assert lin.index_with_zero_modes(H) == (0, p * p, p * 10 - p * p)
    for i, j in itertools.product(range(p), repeat=2):
        A = np.zeros((p, p))
        A[i, j] = 1
        v = lin.flatten([A @ W1, -W2 @ A])
        assert np.linalg.norm(H @ v) <= 1e-13 * np.abs(H).max() * np.linalg.norm(v)


def test_the_global_minimum_is_the_reduced_rank_regression(problem):
    """Independent check of the minimum: gradient descent from a small random start reaches the
    closed-form minimal loss (BH89: no other local minimum to get stuck in)."""
    _, _, S = problem
    p = 2
    best = min(pt["loss"] for pt in lin.baldi_hornik_critical_points(*S, p))
    rng = np.random.default_rng(3)
    Ws = [0.1 * rng.standard_normal((p, 6)), 0.1 * rng.standard_normal((4, p))]
    for _ in range(3000):
        g = lin.deep_linear_gradient(Ws, *S)
        Ws = [W - 0.5 * G for W, G in zip(Ws, g)]
    assert lin.deep_linear_loss(Ws, *S) == pytest.approx(best, rel=1e-8)


def test_index_with_zero_modes_rule():
    D = np.diag([-2.0, -1e-12, 0.0, 3e-10, 1.0, 5.0])
    assert lin.index_with_zero_modes(D) == (1, 3, 2)                 # |x| <= 1e-8 * 5
    assert lin.index_with_zero_modes(D, rtol=1e-11) == (1, 2, 3)     # 3e-10 > 5e-11
    assert lin.index_with_zero_modes(np.zeros((3, 3))) == (0, 3, 0)
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 6)))[0]
    assert lin.index_with_zero_modes(Q @ D @ Q.T) == (1, 3, 2)


# ---------------------------------------------------------------------- Kawaguchi
@pytest.mark.parametrize("dims, ts", [((3, 2), np.geomspace(1e-3, 1e-2, 9)),
                                      ((2, 3, 2), np.geomspace(1e-2, 1e-1, 9))])
def test_degenerate_saddle(problem, dims, ts):
    _, _, S = problem
    res = lin.deep_linear_degenerate_saddle(*S, dims)
    H = res["depth"]
    assert H == len(dims) + 1 and res["order"] == H
    assert np.all(res["gradient"] == 0)
    assert np.all(res["hessian_eigenvalues"] >= 0) and np.all(res["hessian_eigenvalues"] == 0)
    assert np.linalg.norm(lin.flatten(res["direction"])) == pytest.approx(1, rel=1e-15)
    drop = np.array([lin.deep_linear_loss([t * V for V in res["direction"]], *S) - res["loss"]
                     for t in ts])
    assert np.all(drop < 0)                                    # the loss decreases: a saddle
    slope = np.polyfit(np.log(ts), np.log(-drop), 1)[0]
    assert abs(slope - H) <= 0.1                               # t^3 at depth 3
    assert np.allclose(drop, -res["a"] * ts ** H + res["b"] * ts ** (2 * H), rtol=1e-6)
    # and the origin of the two-layer network, by contrast, has negative curvature
    origin = lin.baldi_hornik_critical_points(*S, 1)[0]
    assert origin["subset"] == ()
    H2 = lin.linear_network_hessian(origin["W1"], origin["W2"], *S)
    assert lin.index_with_zero_modes(H2).negative >= 1


# ---------------------------------------------------------------------- bad input
def _S():
    return _data(0)[2]


@pytest.mark.parametrize("call, name", [
    (lambda: lin.baldi_hornik_critical_points(*_S(), 0), "p"),
    (lambda: lin.baldi_hornik_critical_points(*_S(), 5), "p"),
    (lambda: lin.baldi_hornik_critical_points(-np.eye(6), _S()[1], _S()[2], 1), "Sxx"),
    (lambda: lin.baldi_hornik_critical_points(np.triu(np.ones((6, 6))), _S()[1], _S()[2], 1),
     "Sxx"),
    (lambda: lin.baldi_hornik_critical_points(np.eye(6), np.eye(6)[:, :4], np.eye(4), 1),
     "Sigma"),                                              # Sigma = I: equal eigenvalues
    (lambda: lin.baldi_hornik_critical_points(np.eye(3), np.ones((3, 4)), np.eye(4), 1),
     "Sigma"),                                              # d < k: Sigma is singular
    (lambda: lin.baldi_hornik_critical_points(np.eye(6), np.ones((5, 4)), np.eye(4), 1),
     "Sxy"),
    (lambda: lin.linear_network_hessian(np.ones((2, 5)), np.ones((4, 2)), *_S()), r"Ws\[0\]"),
    (lambda: lin.deep_linear_degenerate_saddle(*_S(), (3,)), "dims"),
    (lambda: lin.deep_linear_degenerate_saddle(*_S(), (3, 0)), "dims"),
    (lambda: lin.deep_linear_degenerate_saddle(np.eye(6), np.zeros((6, 4)), np.eye(4), (2, 2)),
     "Sxy"),
    (lambda: lin.index_with_zero_modes(np.array([[0.0, 1.0], [0.0, 0.0]])), "H"),
    (lambda: lin.index_with_zero_modes(np.eye(2), rtol=1.0), "rtol"),
    (lambda: lin.deep_linear_loss([np.full((4, 6), np.nan)], *_S()), r"Ws\[0\]"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(InputError, match=name):
        call()
