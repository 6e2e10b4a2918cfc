"""rmtland.networks.mlp: exact first and second derivatives of batched networks.

The independent checks are central differences in float64. With step h a central difference has
truncation error O(h^2 |f'''|) and rounding error O(eps |f| / h) (eps = 2.2e-16): h = 1e-5 on
the loss / the outputs gives errors ~1e-10 (gradient, Jacobian: tolerance 1e-7 relative to the
largest entry), h = 1e-4 on the gradient gives ~1e-8 (Hessian: tolerance 1e-6 relative to the
largest entry). The differences are evaluated as one batch of 2n networks (theta +- h e_j),
which also exercises the batching. Identities of one implementation (H0 + H1 = H) are not
tested against each other; H0 + H1 is compared with the finite-difference H instead.
"""
import numpy as np
import pytest

from rmtland._backend import to_numpy
from rmtland._validate import InputError
from rmtland.networks import MLP
from rmtland.networks.mlp import SATURATION_Z

SMOOTH = ["tanh", "softplus", "linear"]
WIDTHS = {1: [3, 2], 2: [3, 4, 2], 3: [3, 4, 3, 2]}


def _problem(net, rng, B=2, m=5, spread=0.3, shared=True):
    """A generic point: init plus noise (non-zero biases), data, targets."""
    theta = net.init(B, rng=rng) + spread * rng.standard_normal((B, net.n_params))
    shape = (m,) if shared else (B, m)
    X = rng.standard_normal(shape + (net.d_in,))
    if net.loss_kind == "squared":
        Y = rng.standard_normal(shape + (net.k,))
    else:
        Y = rng.dirichlet(np.ones(net.k), size=shape)       # probability rows
    return theta, X, Y


def _central(fun, theta, h):
    """d fun / d theta_j by central differences; fun maps (N, n) -> (N, ...); -> (B, ..., n)."""
    B, n = theta.shape
    E = h * np.eye(n)
    plus = fun((theta[:, None, :] + E).reshape(B * n, n))
    minus = fun((theta[:, None, :] - E).reshape(B * n, n))
    d = ((plus - minus) / (2 * h)).reshape((B, n) + plus.shape[1:])
    return np.moveaxis(d, 1, -1)


def _rel(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


# ---------------------------------------------------------------- first order

@pytest.mark.parametrize("loss", ["squared", "softmax"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("activation", SMOOTH + ["relu", "leaky_relu"])
def test_gradient_and_jacobian_match_central_differences(activation, bias, loss, rng):
    net = MLP(WIDTHS[2], activation, bias=bias, loss=loss)
    theta, X, Y = _problem(net, rng)
    g = net.gradient(theta, X, Y)
    assert _rel(g, _central(lambda t: net.loss(t, X, Y), theta, 1e-5)) < 1e-7
    J = net.jacobian(theta, X)                                  # row i*k + o
    Jfd = _central(lambda t: net.forward(t, X).reshape(len(t), -1), theta, 1e-5)
    assert J.shape == (2, 5 * net.k, net.n_params)
    assert _rel(J, Jfd) < 1e-7
    # the gradient is c J^T r (c = 1/(km) squared, 1/m softmax)
    c = 1 / (net.k * 5) if loss == "squared" else 1 / 5
    r = net.residuals(theta, X, Y).reshape(2, -1)
    assert _rel(c * np.einsum("bin,bi->bn", J, r), g) < 1e-12


@pytest.mark.parametrize("loss", ["squared", "softmax"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("activation", SMOOTH)
def test_hessian_matches_central_differences_of_the_gradient(activation, depth, bias, loss, rng):
    net = MLP(WIDTHS[depth], activation, bias=bias, loss=loss)
    theta, X, Y = _problem(net, rng)
    Hfd = _central(lambda t: net.gradient(t, X, Y), theta, 1e-4)
    H = net.hessian(theta, X, Y)
    assert np.array_equal(H, np.swapaxes(H, 1, 2))                 # exactly symmetric
    assert _rel(H, Hfd) < 1e-6
    # the decomposition, checked against the independent H: H0 + H1 = H_fd
    H0 = net.hessian(theta, X, Y, part="H0")
    H1 = net.hessian(theta, X, Y, part="H1")
    assert _rel(H0 + H1, Hfd) < 1e-6
    # two routes to H0: column blocks of the R-pass, and J^T Lambda J from the Jacobian
    assert _rel(net.gauss_newton(theta, X, Y), H0) < 1e-12
    if depth == 1:                          # f is linear in theta: H1 = 0 exactly
        assert not H1.any()


def test_loss_normalisation():
    """DESIGN.md: L = 1/(2km) sum ||f - y||^2 (a zero network on targets Y has L = |Y|^2/(2km));
    softmax cross-entropy of a zero network is log k."""
    rng = np.random.default_rng(1)
    net = MLP([4, 6, 3], "tanh")
    X, Y = rng.standard_normal((7, 4)), rng.standard_normal((7, 3))
    zero = np.zeros((1, net.n_params))
    assert np.allclose(net.loss(zero, X, Y), (Y ** 2).sum() / (2 * 3 * 7), rtol=1e-14)
    soft = MLP([4, 6, 3], "tanh", loss="softmax")
    assert np.allclose(soft.loss(zero, X, np.eye(3)[[0, 1, 2, 0, 1, 2, 0]]), np.log(3),
                       rtol=1e-14)
    assert net.phi(7) == net.n_params / (3 * 7)


# ---------------------------------------------------------------- second order

@pytest.mark.parametrize("loss", ["squared", "softmax"])
def test_gauss_newton_is_positive_semidefinite(loss, rng):
    net = MLP([5, 8, 4], "tanh", loss=loss)
    theta, X, Y = _problem(net, rng, m=30)
    ev = np.linalg.eigvalsh(net.gauss_newton(theta, X, Y))
    # H0 = c J^T Lambda J with Lambda >= 0: only rounding (~n eps max) can go below 0
    assert (ev.min(axis=1) >= -1e-12 * ev.max(axis=1)).all()


def _rank(H, rtol=1e-10):
    ev = np.linalg.eigvalsh(H)
    return (ev > rtol * ev.max(axis=-1, keepdims=True)).sum(axis=-1), ev


@pytest.mark.parametrize("m", [4, 40])              # phi = n / (km) = 2.5 and 0.25
def test_rank_of_gauss_newton(m, rng):
    """Squared loss, tanh, one hidden layer, no bias, generic point: rank H0 = min(n, km)
    (counted as eigenvalues above 1e-10 lambda_max; the gap below is checked: the next
    eigenvalue is rounding, < 1e-12 lambda_max, and the smallest counted one is > 1e-7)."""
    net = MLP([5, 4, 2], "tanh")                    # n = 28 parameters, k = 2
    theta, X, Y = _problem(net, rng, B=2, m=m)
    rank, ev = _rank(net.gauss_newton(theta, X, Y))
    expect = min(net.n_params, net.k * m)
    assert (rank == expect).all()
    top = ev[:, ::-1] / ev[:, -1:]
    assert (top[:, expect - 1] > 1e-7).all()
    if expect < net.n_params:
        assert (np.abs(top[:, expect:]) < 1e-12).all()


def test_rank_of_gauss_newton_linear_network(rng):
    """A wide deep linear network computes f = W3 W2 W1 x: J factors through the k x d product
    matrix and through X, so rank H0 = k min(d, m) < min(n, km) (the gauge directions
    W1 -> A W1, W2 -> W2 A^-1 are flat). Same counting rule as above."""
    net = MLP([3, 6, 6, 2], "linear")               # n = 66, k = 2, d = 3
    for m in (2, 20):
        theta, X, Y = _problem(net, rng, B=2, m=m)
        rank, _ = _rank(net.gauss_newton(theta, X, Y))
        assert (rank == net.k * min(net.d_in, m)).all()


@pytest.mark.parametrize("activation", ["softplus", "tanh"])
@pytest.mark.parametrize("loss", ["squared", "softmax"])
@pytest.mark.parametrize("part", ["H", "H0", "H1"])
def test_hvp_equals_dense_times_vectors(part, loss, activation, rng):
    """Products against the dense Hessian (assembled from unit columns, a separate branch of
    the R-pass); the last layer 4 -> 2 is narrow (2h <= h': Rdelta W + delta V as one GEMM)."""
    net = MLP([3, 5, 4, 2], activation, bias=True, loss=loss)
    theta, X, Y = _problem(net, rng, B=3, m=6, shared=False)
    H = net.hessian(theta, X, Y, part=part, block=7)
    V = rng.standard_normal((3, net.n_params, 4))
    scale = np.abs(H).max() * np.abs(V).sum(axis=1).max()
    HV = net.hvp(theta, X, Y, V, part=part)
    assert HV.shape == V.shape
    assert np.abs(HV - H @ V).max() < 1e-13 * scale          # rounding of n-term sums
    v = V[:, :, 0]
    assert net.hvp(theta, X, Y, v, part=part).shape == v.shape
    assert np.abs(net.hvp(theta, X, Y, v, part=part) - HV[:, :, 0]).max() < 1e-13 * scale
    if part == "H0":                                           # the independent route
        G = net.gauss_newton(theta, X, Y)
        assert np.abs(HV - G @ V).max() < 1e-12 * scale


def test_batch_member_equals_network_alone(rng):
    net = MLP([3, 5, 4, 2], "tanh", bias=True)
    theta, X, Y = _problem(net, rng, B=3, m=6, shared=False)
    V = rng.standard_normal((3, net.n_params, 2))
    calls = {
        "forward": lambda t, x, y, v: net.forward(t, x),
        "loss": lambda t, x, y, v: net.loss(t, x, y),
        "gradient": lambda t, x, y, v: net.gradient(t, x, y),
        "jacobian": lambda t, x, y, v: net.jacobian(t, x),
        "gauss_newton": lambda t, x, y, v: net.gauss_newton(t, x, y),
        "hessian": lambda t, x, y, v: net.hessian(t, x, y),
        "hvp": lambda t, x, y, v: net.hvp(t, x, y, v),
    }
    for name, call in calls.items():
        together = call(theta, X, Y, V)
        for b in range(3):
            alone = call(theta[b:b + 1], X[b], Y[b], V[b:b + 1])[0]
            assert np.allclose(together[b], alone, rtol=1e-12, atol=1e-14), (name, b)


def test_shared_data_of_any_layout(rng):
    """X and Y shared by the batch as C-ordered, Fortran-ordered or strided views (the batch
    view is built directly for contiguous data, by broadcasting otherwise): the same numbers
    as C-ordered copies, bit for bit."""
    net = MLP([3, 5, 2], "tanh")
    theta = net.init(3, rng=rng)
    V = rng.standard_normal((3, net.n_params))
    big_X, big_Y = rng.standard_normal((16, 6)), rng.standard_normal((16, 4))
    layouts = {"F": (np.asfortranarray(big_X[:8, :3]), np.asfortranarray(big_Y[:8, :2])),
               "strided": (big_X[::2, ::2], big_Y[::2, ::2])}
    for name, (X, Y) in layouts.items():
        Xc, Yc = np.ascontiguousarray(X), np.ascontiguousarray(Y)
        for method in ("loss", "gradient"):
            assert np.array_equal(getattr(net, method)(theta, X, Y),
                                  getattr(net, method)(theta, Xc, Yc)), (name, method)
        assert np.array_equal(net.hvp(theta, X, Y, V), net.hvp(theta, Xc, Yc, V)), name
        assert np.array_equal(net.forward(theta, X), net.forward(theta, Xc)), name


def test_float32_stays_float32(rng):
    net = MLP([3, 5, 2], "tanh", loss="softmax", dtype="float32")
    theta64, X, Y = _problem(net, rng, m=6)
    theta = theta64.astype(np.float32)
    assert net.init(2, rng=0).dtype == np.float32
    V = rng.standard_normal((2, net.n_params)).astype(np.float32)
    out = {
        "forward": net.forward(theta, X), "loss": net.loss(theta, X, Y),
        "gradient": net.gradient(theta, X, Y), "jacobian": net.jacobian(theta, X),
        "residuals": net.residuals(theta, X, Y),
        "output_curvature": net.output_curvature(theta, X, Y),
        "gauss_newton": net.gauss_newton(theta, X, Y), "hessian": net.hessian(theta, X, Y),
        "hvp": net.hvp(theta, X, Y, V), "hvp_H1": net.hvp(theta, X, Y, V, part="H1"),
        "saturation": net.saturation(theta, X)[0],
    }
    for name, value in out.items():
        assert value.dtype == np.float32, name
    # and float32 agrees with float64 to float32 accuracy (eps32 = 1.2e-7, O(10) roundings)
    assert _rel(out["hessian"], net.hessian(theta.astype(np.float64), X, Y)) < 1e-5


def test_relu_h0_is_the_gauss_newton_matrix(rng):
    """ReLU's H0 from the R-pass against J^T J / (km) from the Jacobian (the second-order
    parts H and H1 of piecewise-linear activations are tested in test_networks_relu.py)."""
    net = MLP([3, 6, 2], "relu")
    theta, X, Y = _problem(net, rng)
    J = net.jacobian(theta, X)
    assert np.allclose(net.gauss_newton(theta, X, Y),
                       np.swapaxes(J, 1, 2) @ J / (2 * 5), rtol=1e-12, atol=1e-15)
    assert np.allclose(net.hessian(theta, X, Y, part="H0"), net.gauss_newton(theta, X, Y))


# ---------------------------------------------------------------- parameters, saturation

def test_parameters_layout_and_init():
    net = MLP([3, 4, 2], "tanh", bias=True)
    assert net.n_params == 3 * 4 + 4 + 4 * 2 + 2
    theta = net.init(4000, rng=5, scale=2.0)
    layers = net.unflatten(theta)
    assert [(W.shape, b.shape) for W, b in layers] == [((4000, 4, 3), (4000, 4)),
                                                       ((4000, 2, 4), (4000, 2))]
    assert np.array_equal(net.flatten(layers), theta)
    assert not layers[0][1].any() and not layers[1][1].any()         # zero biases
    # LeCun normal: var = scale^2 / fan_in; 4000 x 12 (resp. 8) draws, s.e. of the variance
    # estimate sqrt(2/N) relative: 5 s.e. < 0.02
    for (W, _), fan_in in zip(layers, (3, 4)):
        assert abs(W.var() * fan_in / 4.0 - 1) < 0.02
    assert np.array_equal(net.init(2, rng=7), net.init(2, rng=7))


def test_saturation_counts_saturated_tanh_units():
    net = MLP([2, 3, 1], "tanh")
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    W1 = np.array([[20.0, 0.0], [0.0, 5.0], [-30.0, 30.0]])          # z = X W1^T
    theta = net.flatten([(W1[None], None), (np.ones((1, 1, 3)), None)])
    zmax, count = net.saturation(theta, X)
    z = X @ W1.T
    assert zmax[0] == np.abs(z).max() == 30.0
    assert count[0] == (np.abs(z) > SATURATION_Z).sum() == 3
    assert abs(np.tanh(SATURATION_Z) - (1 - 1e-8)) < 1e-15
    soft = MLP([2, 3, 1], "softplus")
    assert soft.saturation(theta, X)[1][0] == 0 and soft.saturation(theta, X)[0][0] == 30.0


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs, name", [
    (dict(widths=[3, 0, 2]), "widths"), (dict(widths=[3]), "widths"),
    (dict(widths=[3, 2.5]), "widths"), (dict(widths=[3, 2], activation="sigmoid"), "activation"),
    (dict(widths=[3, 1], loss="softmax"), "softmax.*k"), (dict(widths=[3, 2], loss="l1"), "loss"),
    (dict(widths=[3, 2], dtype="float16"), "dtype"), (dict(widths=[3, 2], bias=1), "bias"),
])
def test_bad_construction(kwargs, name):
    with pytest.raises(InputError, match=name):
        MLP(**kwargs)


def test_bad_arrays(rng):
    net = MLP([3, 4, 2], "tanh", loss="softmax")
    theta, X, Y = _problem(net, rng)
    cases = [
        (lambda: net.loss(theta[:, :-1], X, Y), "theta"),
        (lambda: net.loss(theta[0], X, Y), "theta"),
        (lambda: net.loss(theta, X[:, :2], Y), "X"),
        (lambda: net.loss(theta, X, Y[:4]), "Y.*rows"),
        (lambda: net.loss(theta, X, np.ones((5, 3)) / 3), "Y"),
        (lambda: net.loss(theta, np.ones((3, 5, 3)), Y), "X"),
        (lambda: net.loss(theta, X, 2 * Y), "Y.*probability"),
        (lambda: net.loss(theta, np.full((5, 3), np.nan), Y), "X.*finite"),
        (lambda: net.loss(np.full_like(theta, np.inf), X, Y), "theta.*finite"),
        (lambda: net.hvp(theta, X, Y, np.ones((2, 3))), "V"),
        (lambda: net.hvp(theta, X, Y, np.ones((2, net.n_params)), part="H2"), "part"),
        (lambda: net.hessian(theta, X, Y, block=0), "block"),
        (lambda: net.init(0), "batch"),
        (lambda: net.init(2, scale=-1.0), "scale"),
        (lambda: net.phi(0), "m"),
    ]
    for call, name in cases:
        with pytest.raises(InputError, match=name):
            call()


# ---------------------------------------------------------------- backends

def test_every_method_on_the_device_backend(xp, rng):
    """NumPy, the CuPy double (fails the test on any implicit host copy) and a real GPU: the
    results are arrays of the backend of theta and equal the NumPy ones."""
    device = "cpu" if xp is np else "gpu"
    net = MLP([3, 4, 3], "tanh", bias=True, loss="softmax")
    theta, X, Y = _problem(net, rng, m=5)
    V = rng.standard_normal((2, net.n_params, 2))
    d = {name: xp.asarray(a) for name, a in dict(theta=theta, X=X, Y=Y, V=V).items()}
    on_device = {
        "forward": net.forward(d["theta"], d["X"]),
        "loss": net.loss(d["theta"], d["X"], d["Y"]),
        "gradient": net.gradient(d["theta"], d["X"], d["Y"]),
        "jacobian": net.jacobian(d["theta"], d["X"]),
        "residuals": net.residuals(d["theta"], d["X"], d["Y"]),
        "output_curvature": net.output_curvature(d["theta"], d["X"], d["Y"]),
        "gauss_newton": net.gauss_newton(d["theta"], d["X"], d["Y"]),
        "hessian": net.hessian(d["theta"], d["X"], d["Y"]),
        "hvp": net.hvp(d["theta"], d["X"], d["Y"], d["V"]),
        "hvp_H0": net.hvp(d["theta"], d["X"], d["Y"], d["V"][:, :, 0], part="H0"),
        "saturation": net.saturation(d["theta"], d["X"])[1],
        "unflatten": net.unflatten(d["theta"])[1][0],
        "init": net.init(3, rng=0, device=device),
    }
    on_host = {
        "forward": net.forward(theta, X), "loss": net.loss(theta, X, Y),
        "gradient": net.gradient(theta, X, Y), "jacobian": net.jacobian(theta, X),
        "residuals": net.residuals(theta, X, Y),
        "output_curvature": net.output_curvature(theta, X, Y),
        "gauss_newton": net.gauss_newton(theta, X, Y), "hessian": net.hessian(theta, X, Y),
        "hvp": net.hvp(theta, X, Y, V), "hvp_H0": net.hvp(theta, X, Y, V[:, :, 0], part="H0"),
        "saturation": net.saturation(theta, X)[1], "unflatten": net.unflatten(theta)[1][0],
    }
    for name, value in on_device.items():
        assert isinstance(value, xp.ndarray), name
        if name in on_host:             # a real GPU's BLAS rounds differently: 1e-12
            assert np.allclose(to_numpy(value), on_host[name], rtol=1e-12, atol=1e-14), name
    assert on_device["init"].shape == (3, net.n_params)


def test_bench_network_counts_the_gemms_it_times():
    """The multiply-add count behind the benchmark's GEMM fraction, by hand for 3 -> 4 -> 2,
    B = 2 networks, m = 5 samples, r = 3 directions: forward 2*5*(4*3 + 2*4) = 200; first layer
    2r = 6 GEMMs of 2*5*4*3 = 120 each (720); second layer 6r + 1 = 19 of 2*5*2*4 = 80 (1520).
    A prepared operator's product skips the forward pass and the second layer's delta W (one
    GEMM of 80): 720 + 18 * 80. Unit directions (dense Hessian columns) skip a V^T in both
    layers, and delta V and Ra W^T (an outer product: Ra has one column) in the second:
    200 + 3 * 120 + 10 * 80."""
    from rmtland.bench import (_hvp_multiply_adds, bench_network, format_network_table,
                               format_table)
    assert _hvp_multiply_adds([3, 4, 2], 2, 5, 3) == 200 + 720 + 1520
    assert _hvp_multiply_adds([3, 4, 2], 2, 5, 3, prepared=True) == 720 + 1440
    assert _hvp_multiply_adds([3, 4, 2], 2, 5, 3, unit=True) == 200 + 360 + 800
    rows = bench_network("cpu", (3,), inputs=4, outputs=2, samples=8, batch=2, directions=2,
                         repeats=1, ceiling_size=64, loop_batches=(), torch=False)
    assert [r["method"] for r in rows] == ["gemm-ceiling", "hvp-1", "hvp-1-gemms",
                                           "operator-hvp-1", "hvp-block", "dense-hessian"]
    assert all(r["seconds_per_matrix"] > 0 and r["gflops"] > 0 for r in rows)
    assert rows[5]["directions"] == rows[5]["n"] == 4 * 3 + 3 * 2
    assert rows[4]["block_gain"] == pytest.approx(rows[4]["gflops"] / rows[1]["gflops"])
    assert rows[4]["speedup_per_direction"] > 0 and "per direction" in format_network_table(rows)
    # by the count: one direction 3 x 192 + 8 x 96 = 1344 multiply-adds, two 5 x 192 + 14 x 96
    assert rows[4]["per_direction_by_count"] == pytest.approx(1344 * 2 / 2304)
    assert rows[2]["share_of_hvp_1"] > 0
    op = rows[3]
    assert op["speedup_over_hvp_1"] > 0 and op["hvp_equivalent_fraction"] == pytest.approx(
        op["fraction_of_gemm"] * _hvp_multiply_adds([4, 3, 2], 2, 8, 1)
        / _hvp_multiply_adds([4, 3, 2], 2, 8, 1, prepared=True))
    dense, n = rows[5], rows[5]["n"]
    assert dense["hvp_equivalent_fraction"] == pytest.approx(
        dense["fraction_of_gemm"] * _hvp_multiply_adds([4, 3, 2], 2, 8, n)
        / _hvp_multiply_adds([4, 3, 2], 2, 8, n, unit=True))
    lines = format_table(rows).splitlines()
    assert "of hvp-1's time" in lines[4] and "over hvp-1" in lines[5] and "block" in lines[6]
    assert "as n hvp-1 columns" in lines[7]


def test_time_interleaved_blocks_of_back_to_back_calls():
    """``block`` seconds of back-to-back calls per round, the count fixed from the warm-up
    call, and seconds per call returned: on a clock that one call advances by 1 (A) or 2 (B),
    block = 5 gives 5 and 2 calls a round; block = 0, one call a round."""
    from rmtland.bench import time_interleaved
    now, calls = [0.0], {"A": 0, "B": 0}

    def fn(name, cost):
        def call():
            now[0] += cost
            calls[name] += 1
        return call
    out = time_interleaved([fn("A", 1.0), fn("B", 2.0)], 3, clock=lambda: now[0], block=5)
    assert out == [1.0, 2.0] and calls == {"A": 1 + 3 * 5, "B": 1 + 3 * 2}
    calls.update(A=0, B=0)
    assert time_interleaved([fn("A", 1.0), fn("B", 2.0)], 3, clock=lambda: now[0]) == [1.0, 2.0]
    assert calls == {"A": 4, "B": 4}


def test_gemms_of_hvp_row_does_the_counted_work():
    """The hvp-1-gemms row runs GEMMs of exactly the multiply-adds it is credited with
    (counted on the operands through an ndarray subclass), for two and three layers, with
    and without a narrow layer (2h <= h': one GEMM of depth 2h for Rdelta W + delta V)."""
    from types import SimpleNamespace
    from rmtland.bench import _hvp_gemms, _hvp_multiply_adds

    class Counting(np.ndarray):
        macs = 0

        def __matmul__(self, other):
            out = np.asarray(self) @ np.asarray(other)
            Counting.macs += out.size * self.shape[-1]
            return out
    xp = SimpleNamespace(asarray=lambda x: np.asarray(x).view(Counting))
    for widths in ([4, 3, 2], [5, 4, 3, 2], [5, 6, 2], [3, 8, 3, 2]):
        Counting.macs = 0
        _hvp_gemms(xp, widths, 2, 7, "float64", np.random.default_rng(0))()
        assert Counting.macs == _hvp_multiply_adds(widths, 2, 7, 1)


def test_bench_network_batched_against_loop_and_torch_rows():
    """The issue-20 rows: one per (B, width, operation), loop seconds over batched seconds;
    dense Hessians over LOOP_DENSE_BYTES skipped with a note; the torch.func H.v computes the
    same products as MLP.hvp (an independent implementation: autograd) when torch imports."""
    from rmtland import bench
    rows = bench.bench_network("cpu", (3,), inputs=4, outputs=2, samples=8, batch=2,
                               directions=2, repeats=1, ceiling_size=64, loop_batches=(3,),
                               loop_hidden=(2,), loop_ops=("gradient", "hvp-block", "dense-H",
                                                           "sgd-epoch"), clock="cpu")
    loop = [r for r in rows if r["method"].startswith("batched-vs-loop")]
    assert [r["method"].split(":")[1] for r in loop] == ["gradient", "hvp-block", "dense-H",
                                                          "sgd-epoch"]
    for r in loop:
        assert r["batch"] == 3 and r["speedup_batched_over_loop"] == pytest.approx(
            r["seconds_loop"] / r["seconds_batched"])
        if bench._minor_faults() is not None:
            assert r["page_faults_batched"] >= 0 and r["page_faults_loop"] >= 0
    if bench._minor_faults() is not None:     # 64 MiB of fresh anonymous pages, each
        import mmap                           # written: 16384 of 4 KiB, or 32 huge pages

        def touch():
            with mmap.mmap(-1, 64 << 20) as buf:
                np.frombuffer(buf, dtype=np.uint8)[::4096] = 1
        assert bench._page_faults(touch) >= 32
    torch_rows = [r for r in rows if r["method"] == "torch.func-hvp-1"]
    assert len(torch_rows) == 1
    if "skipped" not in torch_rows[0]:
        assert torch_rows[0]["max_rel_diff"] < 1e-12
    text = bench.format_table(rows)
    assert "batched/loop" in text and len(text.splitlines()) == len(rows) + 2
    with pytest.raises(InputError, match="clock"):
        bench.bench_network("cpu", (), repeats=1, clock="tsc")
    with pytest.raises(InputError, match="loop_ops"):
        bench.bench_network("cpu", (), repeats=1, ceiling_size=8, loop_batches=(1,),
                            loop_hidden=(2,), loop_ops=("nope",), torch=False)


def test_nbytes_formula_and_init_guard():
    """MLP.nbytes(batch, m, r): itemsize x (2 B n + n + (4 sum(hidden) + max(hidden) + 3 k)
    B m + r (B m (sum(h_1..k) + max(h_l + 2 h_{l-1}, k)) + 5 B n)) (its docstring, squared
    loss; the bound itself is measured in tests/test_networks_memory.py). [2, 3, 1]: n = 9,
    hidden 3, k = 1, so max(h_2 + 2 h_1, k) = max(1 + 6, 1) = 7."""
    net = MLP([2, 3, 1])
    assert net.n_params == 9
    assert net.nbytes(2, 5) == 8 * (2 * 2 * 9 + 9 + (4 * 3 + 3 + 3) * 2 * 5)
    assert net.nbytes(2, 5, r=3) == net.nbytes(2, 5) + 8 * 3 * (2 * 5 * (4 + 7) + 5 * 2 * 9)
    assert MLP([2, 3, 2], loss="softmax").nbytes(2, 5) == \
        MLP([2, 3, 2]).nbytes(2, 5) + 8 * 2 * 2 * 2 * 5            # 2 more arrays per output
    assert MLP([2, 3, 1], dtype="float32").nbytes(2, 5) == net.nbytes(2, 5) // 2
    # the case: 10^12 parameters (7.3 TiB for theta alone), refused naming the
    # widths, before anything is allocated
    big = MLP([3, 10**6, 10**6])
    with pytest.raises(InputError, match=r"widths \[3, 1000000, 1000000\].*reduce the widths"):
        big.init(1)


def test_products_check_memory_before_allocating(monkeypatch):
    """Dense Hessians need (2B + 1) n^2, the Jacobian 2 B m k n: refused naming the sizes
    when above the budget (half the available host memory; 64 MiB pretended here)."""
    from rmtland.linalg import dense
    monkeypatch.setattr(dense, "host_available_bytes", lambda: 128 << 20)
    net = MLP([50, 60, 2])                             # n = 3120: one Hessian is 78 MB
    theta = net.init(1, rng=0)
    g = np.random.default_rng(0)
    X, Y = g.standard_normal((4, 50)), g.standard_normal((4, 2))
    assert net.nbytes(1, 4) < 64 << 20                 # the loss fits
    net.loss(theta, X, Y)
    with pytest.raises(InputError, match=r"dense Hessians \(1 x 3120 x 3120\)"):
        net.hessian(theta, X, Y)
    with pytest.raises(InputError, match=r"dense Hessians"):
        net._unchecked_hessian(theta, X, Y)
    Xm = g.standard_normal((2000, 50))                 # 2 x 2000 x 2 x 3120 x 8 = 200 MB
    with pytest.raises(InputError, match="Jacobian"):
        net.jacobian(theta, Xm)
    # H.v goes through one cache-sized chunk of directions at a time (issue 20): 40
    # directions on 2000 samples need the directions and the result (2 x 40 x 3120 x 8 = 2 MB)
    # and one direction's pass (8 x (6 x 2000 x 62 + ...) = 6 MB), not 40 passes at once;
    # 20000 samples need 60 MB for one direction's pass and 39 MB for the forward pass
    V = np.ones((1, net.n_params, 40))
    assert net.hvp(theta, Xm, g.standard_normal((2000, 2)), V).shape == V.shape
    Xh = g.standard_normal((20000, 50))
    with pytest.raises(InputError, match="1 networks of widths .* on 20000 samples with 1 "
                                         "directions"):
        net.hvp(theta, Xh, g.standard_normal((20000, 2)), V[:, :, :1])
