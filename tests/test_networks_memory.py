"""The network engine's memory model against what it allocates.

``MLP.nbytes`` (and the chunk plan and refusals built on it) promises an upper bound of the
engine's working memory. Here the peak of NumPy's allocations during a call (``tracemalloc``,
which sees them) is held against it: loss, gradient, ``hvp`` (one pass, the default chunks,
one direction per pass) and dense Hessians (with their tiles), over architectures with a deep
stack, a narrow layer, more outputs than hidden units and no hidden layer, both losses, smooth
and piecewise-linear activations, biases, and ``m`` even and odd. The R-pass's count per
direction is also held to within 1.5x of the measured growth per direction (the earlier count,
6 arrays per unit, was 2-3x over).
"""
import itertools
import tracemalloc

import numpy as np
import pytest

from rmtland.networks import mlp
from rmtland.networks.mlp import MLP

#: NumPy's small allocations outside the model (index arrays, reductions, shapes): what the
#: smallest networks here allocate beyond their estimate of a few hundred bytes
SLACK = 64 << 10

ARCHS = ([32, 64, 8], [5, 60, 60, 60, 2], [3, 50, 7, 50, 4], [64, 16, 64], [6, 30])


def traced_peak(call):
    """Peak bytes NumPy allocates during ``call()`` above what was live before it."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        call()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def problem(widths, loss, m, seed=0):
    g = np.random.default_rng(seed)
    X = g.standard_normal((m, widths[0]))
    Y = (g.standard_normal((m, widths[-1])) if loss == "squared" else
         np.eye(widths[-1])[g.integers(0, widths[-1], m)])
    return g, X, Y


@pytest.mark.parametrize("widths,loss,activation,bias", [
    (w, *case) for w, case in itertools.product(ARCHS, (
        ("squared", "tanh", False), ("softmax", "softplus", True), ("squared", "relu", False),
        ("softmax", "tanh", True)))])
def test_peak_memory_within_the_model(monkeypatch, widths, loss, activation, bias):
    net = MLP(widths, activation=activation, bias=bias, loss=loss)
    n = net.n_params
    for m, B, r in ((37, 2, 1), (256, 2, 16), (256, 3, 5)):
        g, X, Y = problem(widths, loss, m)
        theta = net.init(B, rng=0)
        V = g.standard_normal((B, n, r))
        for budget in (1 << 40, mlp.HESSIAN_BLOCK_BYTES, 1):   # one pass, default, 1 column
            monkeypatch.setattr(mlp, "HESSIAN_BLOCK_BYTES", budget)
            for part in ("H", "H0", "H1"):
                est = net._working_bytes(np, B, m, r, np.float64)
                peak = traced_peak(lambda: net.hvp(theta, X, Y, V, part=part))
                assert peak <= est + SLACK, (m, B, r, budget, part, peak, est)
        monkeypatch.setattr(mlp, "HESSIAN_BLOCK_BYTES", 8 << 20)
        est = net._working_bytes(np, B, m, 0, np.float64)
        for call in (net.loss, net.gradient):
            peak = traced_peak(lambda: call(theta, X, Y))
            assert peak <= est + SLACK, (call.__name__, m, B, peak, est)
        if n * n * B <= 3 << 20 and m < 256:
            for block in (16, None):
                nets, cols = net._rpass_plan(np, B, m, n, 8, block)
                b = nets[0].stop - nets[0].start
                est = 8 * (B * n * n + b * (net._bytes(1, m, cols, 1)
                                            + 2 * mlp.SYMMETRIZE_TILE ** 2))
                peak = traced_peak(lambda: net.hessian(theta, X, Y, block=block))
                assert peak <= est + SLACK, ("hessian", m, B, block, peak, est)


@pytest.mark.parametrize("widths", ARCHS[:4])
@pytest.mark.parametrize("activation", ["tanh", "softplus"])
@pytest.mark.parametrize("m", [64, 256])
def test_per_direction_count_is_tight(monkeypatch, widths, activation, m):
    """The growth of the peak from 8 to 16 directions in one pass, per direction, against
    ``_per_direction``: at least it (a bound), at most 1.5x under it (a plan that packs
    directions by the count holds about the memory it was given)."""
    monkeypatch.setattr(mlp, "HESSIAN_BLOCK_BYTES", 1 << 40)
    net = MLP(widths, activation=activation)
    g, X, Y = problem(widths, "squared", m)
    theta = net.init(1, rng=0)
    peaks = {r: traced_peak(lambda: net.hvp(theta, X, Y, g.standard_normal((1, net.n_params,
                                                                              r))))
             for r in (8, 16)}
    grown = (peaks[16] - peaks[8]) / 8 / 8                    # elements per direction
    count = net._per_direction(1, m)
    assert grown <= count <= 1.5 * grown, (grown, count)
