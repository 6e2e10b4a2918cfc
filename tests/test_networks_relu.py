"""Piecewise-linear activations (ReLU, leaky ReLU, linear) to second order: the almost-everywhere
Hessian of rmtland.networks.mlp (sigma'' = 0; the Hessian of the network's polynomial on the open
region of fixed activation pattern containing theta).

The independent checks:

- Central differences of the exact gradient, at points whose pre-activations are all at least
  MARGIN = 1e-3 from the kink, with a stencil theta +- h e_j (h = 1e-5) checked to keep every
  activation sign: inside one region the gradient is a polynomial in theta, so the difference
  has truncation error h^2/6 |d^3 g| ~ 1e-11 and rounding error ~ eps |g| / h ~ 2e-11 relative
  to the largest Hessian entry (measured: at most 1.7e-10 over the cases below); tolerance 1e-8.
- Closed forms: one hidden layer without biases, where nabla^2 f has only the cross-layer
  block d^2 f_o / dW1[u, j] dW2[o, u] = sigma'(z_u) x_j (so H1 = c sum_i r_io sigma'(z_iu) x_ij
  there); and the deep linear network's Hessian (rmtland.analytic.linear.deep_linear_hessian,
  Magnus & Neudecker / Kawaguchi arXiv:1605.07110), linear being the trivial piecewise-linear
  activation.
- Symmetries: at a critical point the generator v_u = (w_in_u, -w_out_u) of the rescaling of a
  ReLU unit satisfies |H v_u| <= |grad L| exactly (differentiate grad L(g_t theta) =
  g_t^{-T} grad L(theta) at t = 0), and a dead unit's weights are zero rows of H.
"""
import numpy as np
import pytest

from rmtland._backend import to_numpy
from rmtland.analytic.linear import deep_linear_hessian
from rmtland.networks import MLP, find_network_critical_points
from rmtland.networks.critical import canonical_form, unit_statistics
from rmtland.networks.mlp import PIECEWISE_LINEAR

KINKED = ["relu", "leaky_relu"]
WIDTHS = {1: [3, 5, 2], 2: [3, 5, 4, 2]}        # one and two hidden layers
MARGIN = 1e-3
H_STEP = 1e-5


def _preactivations(net, theta, X):
    """Hidden pre-activations of every network, concatenated: (B, m, sum h)."""
    a, out = X, []
    for W, b in net.unflatten(theta)[:-1]:
        z = a @ np.swapaxes(W, 1, 2) + (0 if b is None else b[:, None, :])
        out.append(z)
        a = np.where(z > 0, z, 0.0 if net.activation == "relu" else 0.01 * z)
    return np.concatenate(out, axis=2)


def _point_away_from_kinks(net, rng, m=6):
    """theta (1, n), X, Y with every |z| >= MARGIN and both signs present; redrawn until so."""
    for _ in range(200):
        theta = net.init(1, rng=rng) + 0.3 * rng.standard_normal((1, net.n_params))
        X = rng.standard_normal((m, net.d_in))
        if net.loss_kind == "squared":
            Y = rng.standard_normal((m, net.k))
        else:
            Y = rng.dirichlet(np.ones(net.k), size=m)
        z = _preactivations(net, theta, X)
        if np.abs(z).min() >= MARGIN and (z > 0).any() and (z < 0).any():
            return theta, X, Y
    raise AssertionError("no point away from the kinks in 200 draws")


def _stencil(net, theta, h):
    n = net.n_params
    return np.concatenate([theta + h * np.eye(n), theta - h * np.eye(n)])


def _fd_hessian(net, theta, X, Y, h=H_STEP):
    """Central differences of the exact gradient, after checking that the whole stencil keeps
    the activation pattern of theta (so it stays in one region)."""
    n = net.n_params
    pts = _stencil(net, theta, h)
    signs = _preactivations(net, pts, X) > 0
    assert (signs == (_preactivations(net, theta, X) > 0)).all(), "stencil crosses a kink"
    g = net.gradient(pts, X, Y)
    H = (g[:n] - g[n:]).T / (2 * h)                 # column j = dg / dtheta_j
    return 0.5 * (H + H.T)


def _rel(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


# ------------------------------------------------------------------ (1), (3) finite differences

@pytest.mark.parametrize("loss", ["squared", "softmax"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("hidden", [1, 2])
@pytest.mark.parametrize("activation", KINKED)
def test_hessian_matches_central_differences_inside_one_region(activation, hidden, bias, loss,
                                                               rng):
    net = MLP(WIDTHS[hidden], activation, bias=bias, loss=loss)
    theta, X, Y = _point_away_from_kinks(net, rng)
    Hfd = _fd_hessian(net, theta, X, Y)
    H = net.hessian(theta, X, Y)[0]
    assert _rel(H, Hfd) < 1e-8
    # H.v for a block of directions (one R-pass), against the same differences
    V = rng.standard_normal((1, net.n_params, 3))
    assert _rel(net.hvp(theta, X, Y, V)[0], Hfd @ V[0]) < 1e-8
    # (3) the decomposition against the independent H: H0 + H1 = H_fd, H0 from the Jacobian
    H0 = net.hessian(theta, X, Y, part="H0")[0]
    H1 = net.hessian(theta, X, Y, part="H1")[0]
    assert _rel(H0 + H1, Hfd) < 1e-8
    assert _rel(H0, net.gauss_newton(theta, X, Y)[0]) < 1e-12
    # H1 is not zero: the cross-layer terms survive sigma'' = 0 (here 18-100% of max |H|)
    assert np.abs(H1).max() > 0.1 * np.abs(H).max()


# ------------------------------------------------------------------ (2) dense = stacked products

@pytest.mark.parametrize("activation", KINKED)
def test_dense_hessian_is_the_stacked_products_and_symmetric(activation, rng):
    net = MLP(WIDTHS[2], activation, bias=True)
    theta, X, Y = _point_away_from_kinks(net, rng)
    theta = np.concatenate([theta, net.init(1, rng=rng)])       # B = 2: a second point
    n = net.n_params
    E = np.broadcast_to(np.eye(n), (2, n, n))
    for part in ("H", "H0", "H1"):
        M = net.hvp(theta, X, Y, E, part=part)                   # columns H e_j, unsymmetrised
        # H_ij and H_ji come from different terms of the R-pass: symmetric to rounding
        assert _rel(M, np.swapaxes(M, 1, 2)) < 1e-13
        H = net.hessian(theta, X, Y, part=part, block=4)
        assert np.array_equal(H, np.swapaxes(H, 1, 2))
        assert _rel(H, 0.5 * (M + np.swapaxes(M, 1, 2))) < 1e-14


# ------------------------------------------------------------------ (4) closed forms

def test_one_unit_one_sample_cross_layer_term():
    """f = w2 relu(w1 . x), m = k = 1 (c = 1): on the active side nabla^2 f has only the
    cross-layer block d^2 f / dw1 dw2 = x, so H1 = r [[0, x], [x^T, 0]] with eigenvalues
    +-|r| |x| (and zeros): |H1|_2 = |r| |x| > 0 though sigma'' = 0. On the inactive side f = 0
    near theta and H1 = H0 = 0."""
    x = np.array([0.6, -0.8, 1.5])
    y = np.array([[2.0]])
    net = MLP([3, 1, 1], "relu")
    w1 = np.array([0.5, 0.2, 0.4])                  # w1 . x = 0.74 > 0
    w2 = 1.3
    theta = np.concatenate([w1, [w2]])[None]
    r = w2 * (w1 @ x) - 2.0
    H1 = net.hessian(theta, x[None], y, part="H1")[0]
    want = np.zeros((4, 4))
    want[:3, 3] = want[3, :3] = r * x
    assert np.allclose(H1, want, rtol=0, atol=1e-15)
    assert np.isclose(np.abs(np.linalg.eigvalsh(H1)).max(), abs(r) * np.linalg.norm(x),
                      rtol=1e-14)
    assert abs(r) * np.linalg.norm(x) > 1.8         # = 1.038 * 1.803 = 1.871
    # H0 = J^T J with J = (w2 x, w1 . x)
    J = np.concatenate([w2 * x, [w1 @ x]])
    assert np.allclose(net.hessian(theta, x[None], y, part="H0")[0], np.outer(J, J),
                       rtol=1e-14, atol=0)
    # the inactive side: w1 . x < 0
    theta_off = np.concatenate([-w1, [w2]])[None]
    assert not net.hessian(theta_off, x[None], y).any()


@pytest.mark.parametrize("loss", ["squared", "softmax"])
def test_one_hidden_layer_h1_closed_form(loss, rng):
    """One hidden layer, no biases: H1[W1[u, j], W2[o, u]] = c sum_i r_io sigma'(z_iu) x_ij,
    every other entry 0 (sigma'' = 0 removes the W1-W1 block; f is linear in W2)."""
    net = MLP([3, 5, 2], "relu", loss=loss)
    theta, X, Y = _point_away_from_kinks(net, rng, m=7)
    W1 = net.unflatten(theta)[0][0][0]
    m, k, d, h = 7, 2, 3, 5
    s1 = (X @ W1.T > 0).astype(float)               # sigma'(z), (m, h)
    r = net.residuals(theta, X, Y)[0]               # (m, k)
    c = 1 / (k * m) if loss == "squared" else 1 / m
    cross = c * np.einsum("io,iu,ij->ujo", r, s1, X)       # (h, d, k)
    cross = cross[..., None] * np.eye(h)[:, None, None, :]  # (h, d, k, h): only u' = u
    want = np.zeros((net.n_params, net.n_params))
    want[:h * d, h * d:] = cross.reshape(h * d, k * h)
    want += want.T
    H1 = net.hessian(theta, X, Y, part="H1")[0]
    assert _rel(H1, want) < 1e-13


@pytest.mark.parametrize("widths", [[3, 4, 2], [3, 4, 3, 2]])
def test_linear_activation_matches_the_deep_linear_hessian(widths, rng):
    """Linear units (the trivial piecewise-linear case) against the closed-form Hessian of the
    deep linear network (analytic.linear: vec column-stacking; MLP: row-major rows)."""
    net = MLP(widths, "linear")
    theta = net.init(1, rng=rng) + 0.3 * rng.standard_normal((1, net.n_params))
    m = 9
    X, Y = rng.standard_normal((m, widths[0])), rng.standard_normal((m, widths[-1]))
    Ws = [W[0] for W, _ in net.unflatten(theta)]
    want = deep_linear_hessian(Ws, X.T @ X / m, X.T @ Y / m, Y.T @ Y / m)
    # permutation: MLP index of the entry (i, j) of W_l is o_l + i * cols + j; vec's o_l + j * rows + i
    perm, o = [], 0
    for W in Ws:
        rows, cols = W.shape
        i, j = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
        order = np.empty(rows * cols, dtype=int)
        order[(i * cols + j).ravel()] = (j * rows + i).ravel()
        perm.append(o + order)
        o += rows * cols
    perm = np.concatenate(perm)
    H = net.hessian(theta, X, Y)[0]
    assert _rel(H, want[np.ix_(perm, perm)]) < 1e-12
    assert np.abs(net.hessian(theta, X, Y, part="H1")).max() > 0.01 * np.abs(H).max()


def test_piecewise_linear_set():
    assert set(PIECEWISE_LINEAR) == {"linear", "relu", "leaky_relu"}


# ------------------------------------------------------------------ dead units, kinks

def test_dead_unit_is_reported_and_its_weights_are_zero_rows_of_h(rng):
    """Positive inputs and a unit with negative incoming weights: z < 0 on every sample. The unit
    outputs 0, its incoming weights get sigma' = 0 and its outgoing weights multiply a = 0: every
    one of their rows of H is exactly 0 (and of the gradient)."""
    net = MLP([3, 4, 2], "relu")
    X = rng.uniform(0.1, 1.0, (8, 3))
    Y = rng.standard_normal((8, 2))
    theta = net.init(1, rng=rng)
    W1 = np.abs(net.unflatten(theta)[0][0][0])      # every unit active ...
    W1[2] = -W1[2]                                   # ... but unit 2, dead
    W2 = net.unflatten(theta)[1][0][0]
    theta = np.concatenate([W1.ravel(), W2.ravel()])[None]
    saturated, dead, margin = unit_statistics(net, theta, X)
    assert saturated.tolist() == [0] and dead.tolist() == [1]
    assert margin[0] == np.abs(X @ W1.T).min()
    rows = np.r_[2 * 3:3 * 3, 12 + 2, 12 + 4 + 2]   # W1[2, :], W2[0, 2], W2[1, 2]
    H = net.hessian(theta, X, Y)[0]
    assert not H[rows].any() and not net.gradient(theta, X, Y)[0, rows].any()
    assert (np.abs(np.delete(H, rows, axis=0)).max(axis=1) > 0).all()


def test_kink_convention_is_the_left_derivative():
    """At z = 0 exactly: sigma'(0) = 0 for ReLU and 0.01 for leaky ReLU (torch's convention),
    sigma''(0) = 0; so the gradient of a unit sitting on its kink is the inactive side's."""
    X = np.array([[1.0, -1.0]])                     # w . x = 0 for w = (1, 1)
    Y = np.array([[1.0]])
    theta = np.array([[1.0, 1.0, 2.0]])
    for act, slope in (("relu", 0.0), ("leaky_relu", 0.01)):
        net = MLP([2, 1, 1], act)
        r = -1.0                                     # f = 0 on the kink
        assert np.allclose(net.gradient(theta, X, Y), [[r * 2.0 * slope, -r * 2.0 * slope, 0.0]],
                           rtol=0, atol=1e-15)
        H1 = net.hessian(theta, X, Y, part="H1")[0]
        assert np.allclose(H1[:2, 2], r * slope * X[0], rtol=0, atol=1e-15)


# ------------------------------------------------------------------ (6) the critical-point finder

def _relu_search():
    g = np.random.default_rng(3)
    X, Y = g.standard_normal((20, 3)), g.standard_normal((20, 2))
    net = MLP([3, 4, 2], "relu")
    return net, X, Y, find_network_critical_points(net, X, Y, starts=16, rng=1)


def test_finder_on_relu_returns_critical_points_with_their_index():
    net, X, Y, out = _relu_search()
    assert out["status"]["critical"] >= 1
    n = net.n_params
    checked = 0
    for p in range(out["theta"].shape[0]):
        theta = out["theta"][p:p + 1]
        g = net.gradient(theta, X, Y)[0]
        # |grad| at the returned point, recomputed, within tol * scale
        assert np.linalg.norm(g) <= out["settings"]["tol"] * out["scale"][p]
        z = _preactivations(net, theta, X)
        assert out["dead_units"][p] == (z.max(axis=1) <= 0).sum()
        assert np.isclose(out["min_preactivation"][p], np.abs(z).min(), rtol=1e-12)
        # the rescaling generator of every live unit is in the kernel up to |grad L|
        H = net.hessian(theta, X, Y)[0]
        for u in range(4):
            if z[0, :, u].max() <= 0:
                continue
            v = np.zeros(n)
            v[u * 3:(u + 1) * 3] = theta[0, u * 3:(u + 1) * 3]
            v[12 + u::4] = -theta[0, 12 + u::4]
            assert np.linalg.norm(H @ v) <= np.linalg.norm(g) + 1e-12 * np.abs(H).max() * \
                np.linalg.norm(v)
        assert out["zero_modes"][p] >= 4 - out["dead_units"][p]
        # the index against the spectrum of the finite-difference Hessian, where the stencil
        # stays in the point's region (h = 1e-6: |dz| <= h |x| on the first layer's stencil)
        if out["min_preactivation"][p] < 1e-3:
            continue
        w = np.linalg.eigvalsh(_fd_hessian(net, theta, X, Y, h=1e-6))
        snap = out["settings"]["rtol"] * np.abs(w).max()
        assert out["index_count"][p] == (w < -snap).sum()
        assert out["zero_modes"][p] == (np.abs(w) <= snap).sum()
        checked += 1
    assert checked >= 1


def test_canonical_form_identifies_rescaled_and_permuted_relu_units():
    """A ReLU network, its units permuted and rescaled by positive factors (the incoming vector
    times a, the outgoing over a): the same function, the same loss, the same canonical form;
    the finder started from both merges them into one point."""
    net, X, Y, out = _relu_search()
    theta = out["theta"][:1]
    (W1, _), (W2, _) = [(W[0], b) for W, b in net.unflatten(theta)]
    perm, a = np.array([2, 0, 3, 1]), np.array([0.5, 3.0, 1.7, 0.8])
    W1b = (W1 * a[:, None])[perm]
    W2b = (W2 / a[None, :])[:, perm]
    other = np.concatenate([W1b.ravel(), W2b.ravel()])[None]
    assert np.allclose(net.forward(other, X), net.forward(theta, X), rtol=1e-13, atol=1e-14)
    c = canonical_form(net, np.concatenate([theta, other]))
    assert np.abs(c[0] - c[1]).max() <= 1e-12 * np.abs(c).max()
    res = find_network_critical_points(net, X, Y, theta0=np.concatenate([theta, other]))
    assert res["status"]["critical"] == 2 and res["multiplicity"].tolist() == [2]


# ------------------------------------------------------------------ (7) the GPU path

def test_gpu_path_gives_the_same_numbers(xp, rng):
    net = MLP(WIDTHS[2], "relu", bias=True, loss="softmax")
    theta, X, Y = _point_away_from_kinks(net, rng)
    V = rng.standard_normal((1, net.n_params, 2))
    dev = [xp.asarray(a) for a in (theta, X, Y, V)]
    for part in ("H", "H1"):
        assert _rel(to_numpy(net.hessian(*dev[:3], part=part)),
                    net.hessian(theta, X, Y, part=part)) < 1e-13
        assert _rel(to_numpy(net.hvp(*dev, part=part)), net.hvp(theta, X, Y, V, part=part)) \
            < 1e-13


def test_gpu_syncs_as_for_smooth_activations(cupy_double):
    """The sync bounds of tests/test_gpu_syncs.py hold for ReLU: one per public call, none on
    the unchecked paths, and the finder within 25 + iterations."""
    cp = cupy_double
    g = np.random.default_rng(0)
    model = MLP([4, 6, 3], "relu")
    theta = model.init(2, rng=1, device="gpu")
    X, Y = cp.asarray(g.standard_normal((10, 4))), cp.asarray(g.standard_normal((10, 3)))
    V = cp.asarray(g.standard_normal((2, model.n_params, 3)))

    def count(fn):
        cp._double.reset_syncs()
        out = fn()
        return cp._double.syncs(), out

    for part in ("H", "H1"):
        assert count(lambda: model.hvp(theta, X, Y, V, part=part))[0] == 1
        assert count(lambda: model.hessian(theta, X, Y, part=part))[0] == 1
        assert count(lambda: model._unchecked_hvp(theta, X, Y, V, part=part))[0] == 0
        assert count(lambda: model._unchecked_hessian(theta, X, Y, part=part))[0] == 0
    small = MLP([3, 4, 2], "relu")
    Xs, Ys = cp.asarray(g.standard_normal((12, 3))), cp.asarray(g.standard_normal((12, 2)))
    for maxiter, polish in ((2, 0), (20, 5)):
        n, out = count(lambda: find_network_critical_points(
            small, Xs, Ys, starts=4, rng=0, maxiter=maxiter, polish_iter=polish))
        it = out["settings"]["iterations"]
        assert n <= 25 + it["phase1"] + it["polish"]


@pytest.mark.parametrize("activation", KINKED)
def test_float32_stays_float32(activation, rng):
    """float32 in, float32 out (no promotion by the leaky slope or the sigma' mask), and equal to
    float64 to float32 accuracy (eps32 = 1.2e-7, O(10) roundings)."""
    net = MLP(WIDTHS[2], activation, bias=True)
    theta, X, Y = _point_away_from_kinks(net, rng)
    t32 = theta.astype(np.float32)
    for part in ("H", "H1"):
        H = net.hessian(t32, X, Y, part=part)
        assert H.dtype == np.float32
        assert _rel(H, net.hessian(t32.astype(np.float64), X, Y, part=part)) < 1e-5
