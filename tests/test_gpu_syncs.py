"""The GPU path does no needless host work: device -> host synchronisations per entry point,
counted by the CuPy test double (``cupy._double.syncs()``: ``.get()``, ``cupy.asnumpy``,
``float/int/bool/.item()/.tolist()`` of a device array).

Principle (issue 17, section 6): inputs are validated once at the public boundary (one fused
reduction, one sync), inner loops use unchecked paths (no sync), outputs are checked once per
call, and recurrence coefficients move to the host in blocks. Counts measured before the
change are in the comments ("was"); the bounds are what the code guarantees, with the reason.
Non-finite results still fail loudly (the last tests).
"""
import math

import numpy as np
import pytest

from rmtland._validate import InputError


@pytest.fixture
def cp(cupy_double):
    return cupy_double


def _count(cp, fn):
    cp._double.reset_syncs()
    out = fn()
    return cp._double.syncs(), out


def _task(cp, m=10, d=4, k=3, seed=0):
    g = np.random.default_rng(seed)
    return cp.asarray(g.standard_normal((m, d))), cp.asarray(g.standard_normal((m, k)))


# --------------------------------------------------------------------------- the double


def test_the_double_counts_every_explicit_sync(cp):
    x = cp.arange(6.0)
    assert cp._double.syncs() == 0
    x.get()
    cp.asnumpy(x)
    float(x[0])
    int(x[1])
    bool(x[2])
    x[3].item()
    x.tolist()
    assert cp._double.syncs() == 7
    cp.nonzero(x > 2)                               # a data-dependent shape: counted apart
    x[x > 2]
    assert cp._double.syncs() == 7
    assert cp._double.sync_counts()["nonzero"] == 1 and cp._double.sync_counts()["mask"] == 1
    y = x * 2.0 + cp.sqrt(x)                        # device arithmetic: no sync
    assert cp._double.syncs() == 7 and y.shape == (6,)
    cp._double.reset_syncs()
    assert cp._double.syncs() == 0 and cp._double.sync_counts() == {}


# --------------------------------------------------------------------------- networks


@pytest.mark.parametrize("loss", ["squared", "softmax"])
def test_mlp_products_sync_once_per_call(cp, loss):
    """One fused check of theta, X, Y (and V; and the probability rows of Y for softmax):
    one sync per public call (was 3 for loss, gradient, Hessian; 4 for H.v; 5 for the
    softmax loss). The unchecked paths of the inner loops make none."""
    from rmtland.networks import MLP
    model = MLP([4, 6, 3], "tanh", loss=loss)
    theta = model.init(2, rng=1, device="gpu")
    X, Y = _task(cp)
    if loss == "softmax":
        Y = cp.asarray(np.eye(3)[np.random.default_rng(1).integers(0, 3, 10)])
    V = cp.asarray(np.random.default_rng(2).standard_normal((2, model.n_params, 3)))
    for call in (lambda: model.loss(theta, X, Y), lambda: model.gradient(theta, X, Y),
                 lambda: model.hvp(theta, X, Y, V), lambda: model.hessian(theta, X, Y),
                 lambda: model.hvp(theta, X, Y, V[:, :, 0], part="H0")):
        assert _count(cp, call)[0] == 1
    for call in (lambda: model._unchecked_loss(theta, X, Y),
                 lambda: model._unchecked_gradient(theta, X, Y),
                 lambda: model._unchecked_hvp(theta, X, Y, V),
                 lambda: model._unchecked_hessian(theta, X, Y)):
        assert _count(cp, call)[0] == 0


def test_hessian_operator_products_do_not_sync(cp):
    from rmtland.networks import MLP
    from rmtland.networks.operators import hessian_operator
    model = MLP([4, 6, 3], "tanh")
    theta = model.init(1, rng=1, device="gpu")
    X, Y = _task(cp)
    n, op = _count(cp, lambda: hessian_operator(model, theta, X, Y))
    assert n == 1                                   # the one check of theta, X, Y
    V = cp.asarray(np.random.default_rng(0).standard_normal((model.n_params, 5)))
    assert _count(cp, lambda: op.matvec(V))[0] == 0


def test_training_syncs_once_per_epoch_not_per_mini_batch(cp):
    """Per run: the input check, the initial loss, the final gradient norm, and one transfer
    per epoch (the epoch's losses and finiteness flags together): E + 3, whatever the number
    of mini-batches (was about 5.5 per mini-batch: 83 for 3 epochs of 5 mini-batches)."""
    from rmtland.networks import MLP
    from rmtland.networks.train import train_sgd
    model = MLP([4, 6, 3], "tanh")
    theta = model.init(2, rng=1, device="gpu")
    X, Y = _task(cp, m=40)
    counts = {}
    for bs in (4, 40):                              # 10 and 1 mini-batches per epoch
        counts[bs], res = _count(cp, lambda: train_sgd(model, theta, X, Y, batch_size=bs,
                                                       max_epochs=3, patience=10, rng=0))
        assert res["epochs"].tolist() == [3, 3]
        assert counts[bs] == 3 + 3
    # a test set adds its check and its final loss
    n, _ = _count(cp, lambda: train_sgd(model, theta, X, Y, X_test=X, Y_test=Y, batch_size=8,
                                        max_epochs=3, patience=10, rng=0))
    assert n == 3 + 3 + 2


def test_critical_point_search_syncs_once_per_iteration(cp):
    """Each iteration refreshes the accepted starts: one batched eigendecomposition with its
    one fused output check; the rest stays on the device. Measured 23 + iterations (the
    fixed part: the input check, the scale, the classification and the transfer of the
    result, array by array); was 417 for 20 + 1 iterations."""
    from rmtland.networks import MLP, find_network_critical_points
    model = MLP([3, 4, 2], "tanh")
    X, Y = _task(cp, m=12, d=3, k=2)
    for maxiter, polish in ((2, 0), (20, 5)):
        n, out = _count(cp, lambda: find_network_critical_points(
            model, X, Y, starts=4, rng=0, maxiter=maxiter, polish_iter=polish))
        it = out["settings"]["iterations"]
        assert n <= 25 + it["phase1"] + it["polish"]


def test_sweepnetwork_point_syncs(cp):
    """One tiny sweep point of kind "network" (descent starts, the search, the analysis):
    was 2188 syncs on this size (6,335 on the issue's), now 54."""
    from rmtland.experiments.sweep import network_point
    n, _ = _count(cp, lambda: network_point(seed=1, device="gpu", hidden=3, inputs=3,
                                             outputs=2, samples=12, starts=2, maxiter=20,
                                             reference_samples=0))
    assert n <= 80


# --------------------------------------------------------------------------- linalg


def test_dense_spectra_sync_at_most_twice(cp):
    """One fused input check (finite and symmetric) and one output check per call (was 2 for
    eigvalsh_batched, 3 for count_negative, 2 for eigh_batched's output check alone)."""
    from rmtland.linalg.dense import (count_negative, eigh_batched, eigvalsh_batched,
                                      empirical_cdf_at, inertia)
    from rmtland.sampling import sample_goe
    H = sample_goe(20, batch=5, rng=0, device="gpu")
    for f in (eigvalsh_batched, count_negative, lambda h: inertia(h)[0],
              lambda h: empirical_cdf_at(h, 0.1)):
        assert _count(cp, lambda: f(H))[0] == 2
    assert _count(cp, lambda: eigh_batched(H))[0] == 1


def _lanczos_transfers(steps):
    from rmtland.linalg.spectral import LANCZOS_FIRST_TRANSFER
    # transfers at 32, 128, 512, ... and the last step
    return 1 + max(0, math.ceil(math.log(steps / LANCZOS_FIRST_TRANSFER, 4) - 1e-12))


@pytest.mark.parametrize("steps", [10, 30, 100, 200])
def test_slq_moves_lanczos_coefficients_in_blocks(cp, steps):
    """Per block of probes, 1 + ceil(log4(steps/32)) transfers (was one per step: 121 for 20
    probes x 30 steps); plus the one check of the dense matrix."""
    from rmtland.linalg.spectral import spectrum
    from rmtland.sampling import sample_goe
    S = sample_goe(200, rng=0, device="gpu")[0]
    n, r = _count(cp, lambda: spectrum(S, probes=20, steps=steps, block=16, rng=0))
    assert r["steps"] == steps
    assert n == 1 + 2 * _lanczos_transfers(steps)
    assert _lanczos_transfers(steps) <= 3


@pytest.mark.parametrize("degree", [20, 100, 400])
def test_kpm_moves_moments_once_per_block(cp, degree):
    """The dense check, the bounds' Lanczos run (40 steps: 2 transfers), one transfer of the
    moments per block of probes: 5, whatever the degree (was 283 at degree 100)."""
    from rmtland.linalg.spectral import spectrum
    from rmtland.sampling import sample_goe
    S = sample_goe(60, rng=0, device="gpu")[0]
    n, _ = _count(cp, lambda: spectrum(S, method="kpm", probes=20, degree=degree, block=16,
                                       rng=0))
    assert n == 1 + 2 + 2


# --------------------------------------------------------------------------- still loud


def test_non_finite_inputs_and_results_still_fail_loudly(cp):
    from rmtland.linalg.dense import eigh_batched
    from rmtland.linalg.spectral import spectrum
    from rmtland.networks import MLP
    model = MLP([4, 6, 3], "tanh")
    theta = model.init(2, rng=1, device="gpu")
    X, Y = _task(cp)
    bad = theta.copy()
    bad[1, 3] = np.nan
    for call in (lambda: model.loss(bad, X, Y), lambda: model.gradient(bad, X, Y),
                 lambda: model.hessian(bad, X, Y)):
        with pytest.raises(InputError, match="theta must contain only finite"):
            call()
    Xb = X.copy()
    Xb[0, 0] = np.inf
    with pytest.raises(InputError, match="X must contain only finite"):
        model.hvp(theta, Xb, Y, theta)
    for method in ("slq", "kpm"):
        with pytest.raises(InputError, match="op returned non-finite"):
            spectrum(lambda V: V * np.nan, n=8, device="gpu", method=method, probes=2,
                     steps=4, degree=6)
    cp._double.inject_linalg_failure("eigh")
    with pytest.raises(np.linalg.LinAlgError):
        eigh_batched(model.hessian(theta, X, Y))


def test_training_freezes_diverging_networks_on_the_device(cp):
    """A network whose parameters leave the finite numbers is found at the end of its epoch
    and frozen at its parameters of the epoch before, as on the CPU (the double's random
    stream differs from NumPy's, so the sample orders, and the epochs, differ)."""
    from rmtland.networks import MLP
    from rmtland.networks.train import train_sgd
    model = MLP([4, 6, 3], "linear")
    g = np.random.default_rng(0)
    Xh, Yh = g.standard_normal((40, 4)), g.standard_normal((40, 3))
    th = model.init(3, rng=1) * np.array([[0.1], [1.0], [3.0]])
    kw = dict(lr=1.0, momentum=0.9, batch_size=8, max_epochs=20, rng=0)
    with np.errstate(over="ignore", invalid="ignore"):
        ref = train_sgd(model, th, Xh, Yh, **kw)
        res = train_sgd(model, cp.asarray(th), cp.asarray(Xh), cp.asarray(Yh), **kw)
    assert ref["diverged"].tolist() == [False, True, True]
    for r, theta in ((ref, ref["theta"]), (res, cp.asnumpy(res["theta"]))):
        np.testing.assert_array_equal(r["diverged"], ref["diverged"])
        assert np.isfinite(theta).all()
        h, e = r["history"], r["epochs"]
        assert not np.isnan(h[e, np.arange(3)]).any()      # recorded at the last epoch
        for b in np.flatnonzero(r["diverged"]):
            assert np.isnan(h[e[b] + 1:, b]).all()
