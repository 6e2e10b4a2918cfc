"""Batched and looped network evaluations give the same numbers, bit for bit (issue 20).

The engine splits a batch of ``B`` networks into chunks of networks and of directions sized to
the cache (``rmtland.networks.mlp.HESSIAN_BLOCK_BYTES``), and the critical-point finder streams
its starts in chunks. Every network, direction and start is computed alone in each batched call
(one GEMM per network and layer, elementwise work, reductions over its own axes), so the
results must not depend on the batch or the chunks: these tests compare with ``==`` (no
tolerance), across the chunk plans from "one network, one direction per pass" to "the whole
batch in one pass". Correctness of the numbers themselves (against central differences) is in
tests/test_networks_mlp.py.
"""
import numpy as np
import pytest

import rmtland.networks.mlp as mlp
from rmtland.networks import MLP, find_network_critical_points
from rmtland.networks.train import train_sgd

CASES = [
    ([3, 5, 2], "tanh", False, "squared"),
    ([3, 20, 4], "tanh", True, "squared"),      # m = 7 rows, depth 20: OpenBLAS rounds a row
                                                # of (r m, 20) @ (20, 4) unlike (m, 20) @ (20, 4)
    ([3, 4, 3, 2], "softplus", True, "squared"),
    ([4, 6, 3], "relu", True, "softmax"),
    ([3, 4, 5, 2], "leaky_relu", False, "squared"),
]


def _problem(net, rng, B=5, m=7):
    theta = net.init(B, rng=rng) + 0.3 * rng.standard_normal((B, net.n_params))
    X = rng.standard_normal((m, net.d_in))
    Y = (rng.standard_normal((m, net.k)) if net.loss_kind == "squared"
         else rng.dirichlet(np.ones(net.k), size=m))
    return theta, X, Y


def _calls(net, X, Y, V):
    return {
        "loss": lambda t, s: net.loss(t, X, Y),
        "gradient": lambda t, s: net.gradient(t, X, Y),
        "hvp-1": lambda t, s: net.hvp(t, X, Y, V[s, :, 0]),
        "hvp-block": lambda t, s: net.hvp(t, X, Y, V[s]),
        "hvp-H1": lambda t, s: net.hvp(t, X, Y, V[s], part="H1"),
        "hessian": lambda t, s: net.hessian(t, X, Y),
        "hessian-H0": lambda t, s: net.hessian(t, X, Y, part="H0"),
        "hessian-H1": lambda t, s: net.hessian(t, X, Y, part="H1"),
    }


@pytest.mark.parametrize("budget", [1, 1 << 30])          # one per pass / all in one pass
@pytest.mark.parametrize("widths,activation,bias,loss", CASES)
def test_batched_equals_loop_over_networks_bit_for_bit(widths, activation, bias, loss, budget,
                                                       rng, monkeypatch):
    net = MLP(widths, activation, bias=bias, loss=loss)
    theta, X, Y = _problem(net, rng)
    V = rng.standard_normal((theta.shape[0], net.n_params, 4))
    default = {name: call(theta, slice(None)) for name, call in _calls(net, X, Y, V).items()}
    monkeypatch.setattr(mlp, "HESSIAN_BLOCK_BYTES", budget)
    for name, call in _calls(net, X, Y, V).items():
        batched = call(theta, slice(None))
        looped = np.stack([call(theta[b:b + 1], slice(b, b + 1))[0]
                           for b in range(theta.shape[0])])
        assert np.array_equal(batched, looped), name
        assert np.array_equal(batched, default[name]), name     # any chunk plan


def test_hessian_blocks_and_products_agree_bit_for_bit(rng):
    """Columns per pass (``block``) do not change the Hessian, and each of its columns is the
    product with that unit vector, exactly."""
    net = MLP([3, 5, 4, 2], "tanh", bias=True)
    theta, X, Y = _problem(net, rng, B=3)
    n = net.n_params
    H = net.hessian(theta, X, Y, block=1)
    for block in (2, 7, n):
        assert np.array_equal(net.hessian(theta, X, Y, block=block), H), block
    E = np.broadcast_to(np.eye(n), (3, n, n))
    HE = net.hvp(theta, X, Y, E)
    assert np.array_equal(0.5 * (HE + HE.swapaxes(1, 2)), H)


@pytest.mark.parametrize("activation, loss", [("tanh", "squared"), ("relu", "softmax"),
                                              ("softplus", "squared")])
@pytest.mark.parametrize("part", ["H", "H0", "H1"])
def test_dense_columns_are_the_unit_products(rng, monkeypatch, activation, loss, part):
    """The dense Hessian puts the unit directions' a V^T and delta V in place instead of
    multiplying (MLP._rpass, unit=) and symmetrises in place tile by tile: every part,
    activation and loss, biases on, blocks that straddle the layers' parameter blocks, one
    tile or tiles of 4 (n = 43, so the last is partial), equal bit for bit to the products
    with the columns of the identity."""
    net = MLP([3, 4, 3, 3], activation, bias=True, loss=loss)
    theta, X, Y = _problem(net, rng, B=2)
    n = net.n_params
    HE = net.hvp(theta, X, Y, np.broadcast_to(np.eye(n), (2, n, n)), part=part)
    for tile in (mlp.SYMMETRIZE_TILE, 4):
        monkeypatch.setattr(mlp, "SYMMETRIZE_TILE", tile)
        for block in (1, 5, n):
            H = net.hessian(theta, X, Y, part=part, block=block)
            assert np.array_equal(H, 0.5 * (HE + HE.swapaxes(1, 2))), (tile, block)
            assert np.array_equal(H, H.swapaxes(1, 2))


@pytest.mark.parametrize("widths, loss", [([3, 20, 4], "softmax"), ([2, 9, 4], "squared"),
                                          ([5, 32, 16, 3], "squared")])
def test_dense_columns_and_products_of_narrow_layers_agree_to_rounding(rng, widths, loss):
    """With a narrow layer (2 h <= h', here the output layer) hvp adds Rdelta W + delta V in
    one GEMM of depth 2h where the dense columns use one of depth h and put delta e in place:
    the same terms, summed in another order by OpenBLAS (with m = 7 samples it differs).
    Bound: each of the two results is within gamma_K ~ K eps (relative to the sum of absolute
    values) of the exact sum of K ~ 2 h_max terms, so they differ by about 2 K eps = 4 h_max
    eps, taken of max|H| (observed: at most 0.7 eps of max|H| over these and other shapes,
    both losses and activations); a wrong or missing term would be off by O(max|H|)."""
    net = MLP(widths, "tanh", bias=True, loss=loss)
    theta, X, Y = _problem(net, rng, B=2)
    n = net.n_params
    H = net.hessian(theta, X, Y)
    HE = net.hvp(theta, X, Y, np.broadcast_to(np.eye(n), (2, n, n)))
    err = np.abs(H - 0.5 * (HE + HE.swapaxes(1, 2))).max()
    assert err <= 4 * max(widths) * np.finfo(float).eps * np.abs(H).max()
    assert np.array_equal(H, H.swapaxes(1, 2))


def test_float32_chunks_stay_float32_and_equal(rng, monkeypatch):
    net = MLP([3, 6, 2], "tanh", dtype="float32")
    theta, X, Y = _problem(net, rng, B=4)
    theta = theta.astype(np.float32)
    V = rng.standard_normal((4, net.n_params, 3)).astype(np.float32)
    whole = net.hvp(theta, X, Y, V), net.hessian(theta, X, Y), net.gradient(theta, X, Y)
    monkeypatch.setattr(mlp, "HESSIAN_BLOCK_BYTES", 1)
    chunked = net.hvp(theta, X, Y, V), net.hessian(theta, X, Y), net.gradient(theta, X, Y)
    for a, b in zip(whole, chunked):
        assert a.dtype == np.float32 and np.array_equal(a, b)


def test_sgd_networks_are_independent_of_the_chunks(rng, monkeypatch):
    """Batched SGD: a network's trajectory does not depend on how the batch is chunked."""
    net = MLP([4, 8, 3], "relu", loss="softmax")
    X = rng.standard_normal((40, 4))
    Y = np.eye(3)[rng.integers(0, 3, 40)]
    theta = net.init(6, rng=1, scale=2 ** 0.5)
    kw = dict(max_epochs=3, stop="none", batch_size=8, rng=2)
    whole = train_sgd(net, theta, X, Y, **kw)
    monkeypatch.setattr(mlp, "HESSIAN_BLOCK_BYTES", 1)
    chunked = train_sgd(net, theta, X, Y, **kw)
    assert np.array_equal(whole["theta"], chunked["theta"])
    assert np.array_equal(whole["history"], chunked["history"], equal_nan=True)


@pytest.mark.parametrize("kind", ["any", "minima"])
def test_finder_results_do_not_depend_on_the_chunk(kind, rng):
    """Starts streamed in chunks of 1, 3 or all give the same points, statuses and numbers."""
    net = MLP([3, 3, 2], "tanh")
    X, Y = rng.standard_normal((12, 3)), rng.standard_normal((12, 2))
    runs = [find_network_critical_points(net, X, Y, starts=7, rng=3, kind=kind, maxiter=40,
                                         polish_iter=5, chunk=c) for c in (1, 3, None)]
    ref = runs[0]
    assert ref["settings"]["chunk"] == 1 and runs[2]["settings"]["chunk"] == 7
    for out in runs[1:]:
        assert out["status"] == ref["status"]
        assert list(out["start_status"]) == list(ref["start_status"])
        for key in ("theta", "loss", "grad_norm", "index_count", "eig_H", "eig_H0", "eig_H1",
                    "start_point", "start_loss", "start_scale", "multiplicity"):
            assert np.array_equal(out[key], ref[key]), key
