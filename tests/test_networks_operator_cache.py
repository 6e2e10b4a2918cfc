"""The network Hessian operator computes the forward pass once (issue 20).

:func:`rmtland.networks.operators.hessian_operator` prepares its point once
(``MLP._prepare``: the forward pass and the back-propagated residuals) and then does only the
direction-dependent work per product. Every product must be the product of ``MLP.hvp`` on the
same inputs, bit for bit (``==``, no tolerance: the same operations on the same numbers, in the
same order), for every part, activation kind, bias setting and dtype; repeated products must
not change the held point; and the operator's memory check counts the held forward pass once,
refusing exactly where the single-product plan (``MLP.nbytes(1, m, 1)``) does not fit.
Correctness of ``MLP.hvp`` itself (against central differences of the gradient) is in
tests/test_networks_mlp.py.
"""
import numpy as np
import pytest

from rmtland._validate import InputError
from rmtland.networks import MLP
from rmtland.networks.operators import hessian_operator

CASES = [   # (widths, activation, bias, loss)
    ([3, 5, 2], "tanh", False, "squared"),
    ([3, 4, 3, 2], "tanh", True, "squared"),
    ([3, 4, 5, 2], "softplus", False, "squared"),
    ([4, 3, 4, 3], "softplus", True, "softmax"),
    ([4, 6, 3], "relu", True, "softmax"),
    ([3, 4, 5, 2], "relu", False, "squared"),
    ([3, 2], "tanh", True, "squared"),               # a single linear layer: no hidden units
]


def _problem(net, rng, dtype, m=7):
    theta = (net.init(1, rng=rng)[0] + 0.3 * rng.standard_normal(net.n_params)).astype(dtype)
    X = rng.standard_normal((m, net.d_in)).astype(dtype)
    Y = (rng.standard_normal((m, net.k)) if net.loss_kind == "squared"
         else rng.dirichlet(np.ones(net.k), size=m)).astype(dtype)
    return theta, X, Y


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES)
def test_operator_products_are_those_of_hvp_bit_for_bit(case, dtype):
    widths, activation, bias, loss = case
    rng = np.random.default_rng(3)
    net = MLP(widths, activation=activation, bias=bias, loss=loss, dtype=dtype)
    theta, X, Y = _problem(net, rng, dtype)
    n = net.n_params
    blocks = [rng.standard_normal((n, b)).astype(dtype) for b in (1, 3, n + 2)]
    for part in ("H", "H0", "H1"):
        op = hessian_operator(net, theta, X, Y, part)
        assert op.dtype == np.dtype(dtype)
        first = op.matvec(blocks[0])
        for V in blocks + blocks[:1]:                # the first block again, after the others
            got = op.matvec(V)
            assert got.dtype == np.dtype(dtype) and got.shape == V.shape
            assert np.array_equal(got, net.hvp(theta[None], X, Y, V[None], part)[0]), part
        assert np.array_equal(op.matvec(blocks[0]), first), part     # the point is unchanged
        v = blocks[1][:, 0]
        assert np.array_equal(op.matvec(v), net.hvp(theta[None], X, Y, v[None], part)[0])


def test_prepared_point_of_a_batch_follows_the_chunks_of_hvp(monkeypatch):
    """``MLP._prepare`` on several networks holds their forward pass at once and cuts it to
    the chunks of :meth:`MLP.hvp`: one network and one direction per pass, as in
    tests/test_networks_batched.py, still gives hvp's numbers."""
    import rmtland.networks.mlp as mlp
    rng = np.random.default_rng(5)
    net = MLP([3, 4, 3, 2], activation="tanh", bias=True)
    theta = net.init(4, rng=rng)
    X, Y = rng.standard_normal((6, 3)), rng.standard_normal((4, 6, 2))
    V = rng.standard_normal((4, net.n_params, 5))
    for budget in (1, mlp.HESSIAN_BLOCK_BYTES):
        monkeypatch.setattr(mlp, "HESSIAN_BLOCK_BYTES", budget)
        for part in ("H", "H0", "H1"):
            point = net._prepare(theta, X, Y, part)
            assert np.array_equal(point.hvp(V), net.hvp(theta, X, Y, V, part))


def test_operator_memory_check_counts_the_forward_pass_once(monkeypatch):
    """The operator is refused, before any computing, exactly when one product of one
    direction (``nbytes(1, m, 1)``: parameters, the forward pass, one R-pass) does not fit."""
    rng = np.random.default_rng(2)
    net = MLP([3, 5, 2])
    theta, X, Y = _problem(net, rng, "float64", m=9)
    need = net.nbytes(1, 9, 1)

    def pin(limit):
        monkeypatch.setattr("rmtland.linalg.dense.memory_budget",
                            lambda xp, max_bytes=None: (limit, limit))
    pin(need)
    assert hessian_operator(net, theta, X, Y).n == net.n_params
    pin(need - 1)
    monkeypatch.setattr(net, "_prepare", lambda *a, **k: pytest.fail("computed"))
    with pytest.raises(InputError, match="batch, the samples or the widths"):
        hessian_operator(net, theta, X, Y)


@pytest.mark.parametrize("bad, match", [
    (dict(part="H2"), "part"),
    (dict(X=np.full((7, 3), np.nan)), "X must contain only finite"),
    (dict(theta=np.zeros((2, 16))), "theta"),
])
def test_operator_bad_input_refused_before_computing(monkeypatch, bad, match):
    rng = np.random.default_rng(4)
    net = MLP([3, 4, 2])
    theta, X, Y = _problem(net, rng, "float64")
    monkeypatch.setattr(net, "_prepare", lambda *a, **k: pytest.fail("computed"))
    args = dict(theta=theta, X=X, Y=Y, part="H") | bad
    with pytest.raises(InputError, match=match):
        hessian_operator(net, args["theta"], args["X"], args["Y"], args["part"])
