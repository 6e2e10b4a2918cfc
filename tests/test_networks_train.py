"""Batched mini-batch SGD (rmtland.networks.train): the batch is B independent trainings, the
stopping rule does what it states, and the chunked full-data loss/gradient are the plain ones."""
import numpy as np
import pytest

from rmtland._validate import InputError
from rmtland.networks import MLP
from rmtland.networks.train import full_gradient, full_loss, one_hot, train_sgd


def _task(xp, m=40, d=3, k=3, seed=0):
    g = np.random.default_rng(seed)
    X = g.standard_normal((m, d))
    labels = np.argmax(X @ g.standard_normal((d, k)), axis=1)      # a separable task
    return xp.asarray(X), one_hot(xp.asarray(labels), k)


def test_chunked_loss_and_gradient_equal_the_plain_ones(xp):
    # both losses are means over samples: the size-weighted chunk sums are the full ones
    # (300 samples: three chunks of LOSS_CHUNK = 128, the last one short)
    X, Y = _task(xp, m=300)
    model = MLP([3, 5, 3], activation="tanh", loss="softmax")
    theta = model.init(4, rng=1, device="cpu")
    theta = xp.asarray(theta)
    assert np.allclose(np.asarray(xp.asnumpy(full_loss(model, theta, X, Y))
                                  if hasattr(xp, "asnumpy") else full_loss(model, theta, X, Y)),
                       np.asarray(xp.asnumpy(model.loss(theta, X, Y))
                                  if hasattr(xp, "asnumpy") else model.loss(theta, X, Y)),
                       rtol=1e-13, atol=0)
    g1, g2 = full_gradient(model, theta, X, Y), model.gradient(theta, X, Y)
    assert bool(xp.all(xp.abs(g1 - g2) <= 1e-13 * (1 + xp.abs(g2))))


def test_batch_equals_separate_trainings():
    # the batched run equals the update rule of the module notes written out by hand, one
    # network at a time (per-network sample orders from one (B, m) uniform draw per epoch)
    X, Y = _task(np)
    model = MLP([3, 4, 3], activation="relu", loss="softmax")
    theta0 = model.init(3, rng=2)
    res = train_sgd(model, theta0, X, Y, lr=0.05, momentum=0.5, batch_size=16, max_epochs=2,
                    patience=10, rng=5)
    gen = np.random.default_rng(np.random.SeedSequence(5))
    theta, v = theta0.copy(), np.zeros_like(theta0)
    for _ in range(2):
        order = np.argsort(gen.random((3, 40)), axis=1)
        for s in range(0, 40, 16):
            for b in range(3):
                idx = order[b, s:s + 16]
                g = model.gradient(theta[b:b + 1], X[idx], Y[idx])[0]
                v[b] = 0.5 * v[b] - 0.05 * g
                theta[b] = theta[b] + v[b]
    assert np.allclose(res["theta"], theta, rtol=1e-12, atol=1e-14)
    assert list(res["epochs"]) == [2, 2, 2] and not res["stopped"].any()
    assert np.allclose(res["train_loss"], model.loss(theta, X, Y), rtol=1e-12)


def test_training_lowers_the_loss_and_the_rule_stops(xp):
    X, Y = _task(xp, m=60)
    model = MLP([3, 8, 3], activation="tanh", loss="softmax")
    theta0 = xp.asarray(model.init(6, rng=3))
    L0 = full_loss(model, theta0, X, Y)
    res = train_sgd(model, theta0, X, Y, X_test=X, Y_test=Y, lr=0.1, max_epochs=200,
                    patience=3, tol=0.05, rng=4)
    # a separable 3-class task: SGD must cut the loss (log 3 ~ 1.1 at the start) well down
    L0 = np.asarray(L0.get() if hasattr(L0, "get") else L0)
    assert np.all(res["train_loss"] < 0.5 * L0)
    # every network stopped by the plateau rule before the cap, and the rule holds there
    assert res["stopped"].all() and res["epochs"].max() < 200
    h = res["history"]
    for b, e in enumerate(res["epochs"]):
        assert h[e - 3, b] - h[e, b] < 0.05 * h[e - 3, b]
        assert np.isnan(h[e + 1:, b]).all()
    # the test set is the training set here: the same loss
    assert np.allclose(res["test_loss"], res["train_loss"], rtol=1e-10)


def test_loss_floor_stops_at_once():
    X, Y = _task(np)
    model = MLP([3, 4, 3], loss="softmax")
    res = train_sgd(model, model.init(2, rng=0), X, Y, loss_floor=10.0, max_epochs=50, rng=0)
    assert list(res["epochs"]) == [1, 1] and res["stopped"].all()


@pytest.mark.parametrize("kwargs, name", [({"lr": 0}, "lr"), ({"momentum": 1.0}, "momentum"),
                                          ({"batch_size": 0}, "batch_size"),
                                          ({"max_epochs": 0}, "max_epochs"),
                                          ({"tol": -1}, "tol"),
                                          ({"X_test": np.zeros((2, 3))}, "X_test")])
def test_bad_input(kwargs, name):
    X, Y = _task(np)
    model = MLP([3, 4, 3], loss="softmax")
    with pytest.raises(InputError, match=name):
        train_sgd(model, model.init(2, rng=0), X, Y, **kwargs)


def test_one_hot_rows():
    Y = one_hot(np.array([0, 2, 1]), 3)
    assert np.array_equal(Y, np.eye(3)[[0, 2, 1]])
    with pytest.raises(InputError, match="labels"):
        one_hot(np.array([0, 3]), 3)


def test_step_decay_schedule_by_hand():
    """decay_epochs = tau: epoch e (1-based) steps with eta / (1 + (e - 1)/tau) (module notes).
    Plain full-batch descent (momentum 0, one mini-batch of all m samples: the sample order
    only permutes a sum) written out by hand; an off-by-one epoch in the schedule changes
    every step by a factor (1 + e/tau)/(1 + (e-1)/tau), 10-50% here."""
    X, Y = _task(np)
    model = MLP([3, 4, 3], activation="tanh", loss="softmax")
    theta0 = model.init(2, rng=4)
    tau, lr = 2.0, 0.5
    res = train_sgd(model, theta0, X, Y, lr=lr, momentum=0.0, batch_size=40, max_epochs=4,
                    patience=10, decay_epochs=tau, rng=0)
    theta = theta0.copy()
    for e in range(1, 5):
        theta = theta - lr / (1 + (e - 1) / tau) * model.gradient(theta, X, Y)
    assert list(res["epochs"]) == [4, 4]
    np.testing.assert_allclose(res["theta"], theta, rtol=1e-12, atol=1e-14)
    assert res["schedule"]["decay_epochs"] == tau


def test_memory_follows_the_epochs_run_not_max_epochs():
    """max_epochs = 10**8 for two tiny networks: the history holds the epochs run (here 1,
    stopped by the loss floor), not 10**8 + 1 rows (1.6 GB, allocated up front before)."""
    X, Y = _task(np)
    model = MLP([3, 4, 3], loss="softmax")
    res = train_sgd(model, model.init(2, rng=0), X, Y, loss_floor=10.0, max_epochs=10**8,
                    rng=0)
    assert res["history"].shape == (2, 2) and list(res["epochs"]) == [1, 1]
    assert res["schedule"]["max_epochs"] == 10**8


def test_every_input_value_is_checked_once():
    # all rows are checked (the check used to look at theta[:1], X[:1], Y[:1] only)
    X, Y = _task(np)
    model = MLP([3, 4, 3], loss="softmax")
    theta = model.init(3, rng=0)
    bad = theta.copy()
    bad[2, 5] = np.nan
    with pytest.raises(InputError, match="theta must contain only finite"):
        train_sgd(model, bad, X, Y, max_epochs=2)
    Xb = X.copy()
    Xb[-1, 0] = np.inf
    with pytest.raises(InputError, match="X must contain only finite"):
        train_sgd(model, theta, Xb, Y, max_epochs=2)
    Yb = Y.copy()
    Yb[-1] = 0.5
    with pytest.raises(InputError, match="probability rows"):
        train_sgd(model, theta, X, Yb, max_epochs=2)


def test_training_too_large_is_refused_before_allocating(monkeypatch):
    """MLP.nbytes of a mini-batch plus 4 B n for the parameters and velocities, against the
    host budget (half the available memory: 8 MiB here, pretending 16 MiB are available).
    100 networks of 3-40-3 on mini-batches of 40 need ~6.3 MiB; 200, ~12.5 MiB."""
    from rmtland.linalg import dense
    monkeypatch.setattr(dense, "host_available_bytes", lambda: 16 << 20)
    X, Y = _task(np)
    model = MLP([3, 40, 3], loss="softmax")
    need = model.nbytes(100, 40) + 4 * 100 * model.n_params * 8
    assert need < 8 << 20 < model.nbytes(200, 40) + 4 * 200 * model.n_params * 8
    train_sgd(model, model.init(100, rng=0), X, Y, max_epochs=1)
    theta = np.zeros((200, model.n_params))
    with pytest.raises(InputError, match="training 200 networks of widths .*reduce the "
                                         "number of networks, batch_size or the widths"):
        train_sgd(model, theta, X, Y, max_epochs=1)


# ---------------------------------------------------------------- the "converged" rule
def _least_squares(m=48, d=4, k=2, cond=4.0, seed=0):
    """A linear model [d, k] (convex squared loss) on inputs whose Gram matrix
    A = X^T X/(k m) (the Hessian of L = ||X W^T - Y||^2/(2 k m) per output) has eigenvalues
    spread by the factor ``cond``; targets Y = X W* exactly (a consistent system)."""
    g = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(g.standard_normal((m, d)))
    V, _ = np.linalg.qr(g.standard_normal((d, d)))
    X = Q @ np.diag(np.sqrt(np.geomspace(1.0, cond, d) * 2 * m)) @ V.T
    Y = X @ g.standard_normal((d, k))
    lam = np.linalg.eigvalsh(X.T @ X / (k * m))
    return MLP([d, k], activation="linear"), X, Y, lam


def test_converged_rule_on_gradient_descent_with_a_known_contraction():
    """Full-batch descent (one mini-batch of all m samples, momentum 0) on a convex least-
    squares problem: each output row's gradient obeys g_{t+1} = (I - eta A) g_t, so after E
    epochs min|1 - eta lam|^E <= |g_E|/|g_0| <= max|1 - eta lam|^E (exact).  With
    eta = 0.5/lam_max the factors lie in [0.5, 1 - 0.5/cond] = [0.5, 0.875]: one epoch leaves
    the ratio >= 0.5, far above grad_tol = 1e-2 (not converged); 40 epochs bring it below
    0.875^40 = 4.8e-3 (converged)."""
    from rmtland.networks.train import GRAD_TOL
    model, X, Y, lam = _least_squares()
    eta = 0.5 / lam.max()
    lo, hi = np.abs(1 - eta * lam).min(), np.abs(1 - eta * lam).max()
    assert hi ** 40 < GRAD_TOL < lo
    theta0 = model.init(3, rng=1)
    for E, conv in ((1, False), (40, True)):
        res = train_sgd(model, theta0, X, Y, lr=eta, momentum=0.0, batch_size=X.shape[0],
                        max_epochs=E, stop="none", rng=0)
        assert list(res["epochs"]) == [E] * 3 and not res["stopped"].any()
        r = res["grad_ratio"]
        assert np.all(lo ** E * (1 - 1e-9) <= r) and np.all(r <= hi ** E * (1 + 1e-9))
        np.testing.assert_allclose(r, res["grad_norm"] / res["grad_norm0"], rtol=1e-15)
        assert res["converged"].tolist() == [conv] * 3


def test_gradient_stop_rule_stops_at_the_first_epoch_below_grad_tol():
    """The same descent written out by hand (g_t = (I - eta A)^t g_0 per output row): the
    rule stops each network at the first epoch whose gradient norm is <= grad_tol |g_0|;
    every network it stops is converged."""
    model, X, Y, lam = _least_squares(seed=3)
    eta, tol = 0.5 / lam.max(), 0.05
    theta0 = model.init(2, rng=2)
    res = train_sgd(model, theta0, X, Y, lr=eta, momentum=0.0, batch_size=X.shape[0],
                    max_epochs=500, stop="gradient", grad_tol=tol, rng=0)
    A = X.T @ X / (Y.shape[1] * X.shape[0])
    for b in range(2):
        G = model.gradient(theta0[b:b + 1], X, Y)[0].reshape(Y.shape[1], X.shape[1])
        n0, e, Gt = np.linalg.norm(G), 0, G
        while np.linalg.norm(Gt) > tol * n0:
            Gt, e = Gt @ (np.eye(X.shape[1]) - eta * A), e + 1
        assert res["epochs"][b] == e
    assert res["stopped"].all() and res["converged"].all()
    assert np.all(res["grad_ratio"] <= tol)


def test_mini_batch_sgd_converges_on_a_consistent_system():
    """Mini-batch SGD on a consistent least-squares system (Y = X W*: every sample's
    gradient vanishes at W*) with a step below 1/max_i(|x_i|^2/k) converges linearly
    (Strohmer & Vershynin 2009, doi:10.1007/s00041-008-9030-4; Needell, Srebro & Ward 2014,
    arXiv:1310.5715): 200 epochs pass the rule, 1 epoch does not."""
    model, X, Y, _ = _least_squares(seed=5)
    eta = 0.5 / (np.max(np.sum(X ** 2, axis=1)) / Y.shape[1])
    theta0 = model.init(4, rng=3)
    long = train_sgd(model, theta0, X, Y, lr=eta, momentum=0.0, batch_size=8,
                     max_epochs=200, stop="none", rng=1)
    short = train_sgd(model, theta0, X, Y, lr=eta, momentum=0.0, batch_size=8,
                      max_epochs=1, stop="none", rng=1)
    assert long["converged"].all() and np.all(long["grad_ratio"] < 1e-6)
    assert not short["converged"].any()


def test_converged_rule_refuses_what_is_not_finite():
    from rmtland.networks.train import converged
    assert converged([1e-3, 1e-3, np.nan, 1e-3, 0.02], [1.0, 0.0, 1.0, np.inf, 1.0],
                     0.01).tolist() == [True, False, False, False, False]


def test_he_and_lecun_initialisations_have_the_stated_variances():
    """init_networks: weights N(0, 2/fan_in) (He et al. 2015) or N(0, 1/fan_in) (LeCun
    1998), biases 0.  The sample variance of N entries has relative s.e. sqrt(2/N)."""
    from rmtland.networks.train import init_networks
    model = MLP([100, 200, 10], activation="relu", bias=True)
    for init, gain in (("he", 2.0), ("lecun", 1.0)):
        layers = model.unflatten(init_networks(model, 4, init, rng=7))
        for (W, b), fan_in in zip(layers, (100, 200)):
            N = W.size
            assert abs(W.var() * fan_in / gain - 1) < 4 * np.sqrt(2 / N)
            assert not np.any(b)
    with pytest.raises(InputError, match="init"):
        init_networks(model, 1, "xavier")


@pytest.mark.parametrize("kwargs, name", [({"stop": "early"}, "stop"),
                                          ({"grad_tol": 1.0}, "grad_tol"),
                                          ({"grad_tol": 0}, "grad_tol")])
def test_bad_stop_settings(kwargs, name):
    X, Y = _task(np)
    model = MLP([3, 4, 3], loss="softmax")
    with pytest.raises(InputError, match=name):
        train_sgd(model, model.init(2, rng=0), X, Y, **kwargs)
