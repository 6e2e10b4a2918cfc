r"""Mini-batch SGD for ``B`` networks of one shape at once: every step is one set of batched
GEMMs over the ``B`` networks (:class:`rmtland.networks.MLP` on a ``(B, n)`` batch), on NumPy
or CuPy, with explicit random streams.

Schedule, stopping rules and convergence (one statement, used everywhere)
-------------------------------------------------------------------------
Every network ``b`` draws its own random permutation of the ``m`` training samples at every
epoch and walks through it in mini-batches of ``batch_size`` samples (the last, shorter batch
is kept), so the ``B`` networks differ in their initialisation and their sample order, nothing
else.  Each step is heavy-ball momentum (Polyak 1964) on the mini-batch gradient
:math:`g_t` of the network's own loss (:meth:`MLP.gradient`, the loss's own normalisation),

.. math:: v_{t+1} = \mu v_t - \eta_e\,g_t, \qquad \theta_{t+1} = \theta_t + v_{t+1},
          \qquad \eta_e = \eta/(1 + (e - 1)/\tau) \text{ in epoch } e = 1, 2, \dots,

with :math:`\mu` = ``momentum`` (0: plain SGD, :math:`\theta_{t+1} = \theta_t - \eta_e g_t`),
:math:`\eta` = ``lr`` and :math:`\tau` = ``decay_epochs`` (``None``: constant step).  After
every epoch ``e`` the full training loss :math:`L_e` of every still-running network is
evaluated (one batched forward pass).  The stopping rule ``stop`` freezes a network at the end
of epoch ``e``:

- ``"none"``: never (a fixed number of epochs, ``max_epochs``);
- ``"plateau"``: at ``e >= patience`` when its loss improved by less than the fraction
  ``tol`` over the last ``patience`` epochs,
  :math:`L_{e-\mathrm{patience}} - L_e < \mathrm{tol}\cdot L_{e-\mathrm{patience}}`;
- ``"gradient"``: when its full-batch gradient norm has fallen to the fraction ``grad_tol``
  of the one at the start, :math:`\lVert\nabla L(\theta_e)\rVert \le
  \mathrm{grad\_tol}\,\lVert\nabla L(\theta_0)\rVert` (one more batched backward pass per
  epoch);

and under every rule when :math:`L_e` < ``loss_floor``.  A network still running after
``max_epochs`` epochs stops there.  Frozen networks leave the batch (the batch is
compacted), so the cost follows the networks still training.  A network whose parameters stop
being finite is frozen at its last finite epoch and reported as ``diverged``.

**Converged** (reported whatever the stopping rule, :func:`converged`): a network reached a
minimum when its final full-batch gradient norm is at most ``grad_tol`` times its initial one,
:math:`\lVert\nabla L(\theta_E)\rVert/\lVert\nabla L(\theta_0)\rVert \le` ``grad_tol``
(:data:`GRAD_TOL` by default).  Meeting the plateau rule is not convergence: constant-step SGD
plateaus at its noise floor, where the full gradient is of order :math:`\sqrt{\eta}` (Bottou,
Curtis & Nocedal 2018, Thm. 4.6), not zero.

Initialisation (:func:`init_networks`): ``"he"`` draws every weight from
:math:`N(0, 2/\mathrm{fan\_in})` (He et al. 2015, the ReLU-preserving variance), ``"lecun"``
from :math:`N(0, 1/\mathrm{fan\_in})` (LeCun et al. 1998); biases start at 0.

References
----------
B. T. Polyak, "Some methods of speeding up the convergence of iteration methods", USSR Comput.
Math. Math. Phys. 4(5), 1–17 (1964), doi:10.1016/0041-5553(64)90137-5 (heavy-ball momentum).
K. He, X. Zhang, S. Ren, J. Sun, "Delving deep into rectifiers", ICCV 2015, arXiv:1502.01852
(the 2/fan_in initialisation).
Y. LeCun, L. Bottou, G. B. Orr, K.-R. Müller, "Efficient BackProp", in Neural Networks: Tricks
of the Trade, LNCS 1524 (1998), doi:10.1007/3-540-49430-8_2 (the 1/fan_in initialisation).
L. Bottou, F. E. Curtis, J. Nocedal, "Optimization methods for large-scale machine learning",
SIAM Review 60(2), 223–311 (2018), doi:10.1137/16M1080173, arXiv:1606.04838 (mini-batch SGD,
the 1/(1 + e/tau) step-size schedule and the noise floor of a constant step, Sec. 4).
A. Choromanska, M. Henaff, M. Mathieu, G. Ben Arous, Y. LeCun, "The Loss Surfaces of
Multilayer Networks", AISTATS 2015, PMLR 38:192–204, arXiv:1412.0233 (many independently
initialised networks trained by SGD, Sec. 6).
"""
import numpy as np

from .. import _seeds, _validate
from .._backend import array_namespace, to_numpy
from .._validate import InputError
from .mlp import MLP

__all__ = ["train_sgd", "one_hot", "full_loss", "full_gradient", "converged", "init_networks",
           "LOSS_CHUNK", "GRAD_TOL", "STOP_RULES", "INITS"]

#: the "converged" threshold of the module notes: final full-batch gradient norm at most this
#: fraction of the initial one
GRAD_TOL = 1e-2
#: the stopping rules of the module notes
STOP_RULES = ("none", "plateau", "gradient")
#: initialisations: name -> the factor on LeCun's 1/sqrt(fan_in) standard deviation
#: (:meth:`MLP.init`'s ``scale``)
INITS = {"he": 2 ** 0.5, "lecun": 1.0}


def init_networks(model, batch, init="he", *, rng=None, device="cpu"):
    r"""``batch`` networks of ``model`` at the initialisation ``init`` of the module notes
    (``"he"``: weights :math:`N(0, 2/\mathrm{fan\_in})`, He et al. 2015, arXiv:1502.01852;
    ``"lecun"``: :math:`N(0, 1/\mathrm{fan\_in})`; biases 0), through :meth:`MLP.init`."""
    if init not in INITS:
        raise InputError(f"init must be one of {tuple(INITS)}, got {init!r}")
    return model.init(batch, rng=rng, device=device, scale=INITS[init])


def converged(grad_norm, grad_norm0, grad_tol=GRAD_TOL):
    """The convergence rule of the module notes, elementwise on host arrays: final full-batch
    gradient norm at most ``grad_tol`` times the initial one (False where either is not
    finite, or the initial one is 0)."""
    g, g0 = np.asarray(grad_norm, float), np.asarray(grad_norm0, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.isfinite(g) & np.isfinite(g0) & (g0 > 0)
        return ok & (g <= grad_tol * np.where(ok, g0, 1.0))


def one_hot(labels, k, dtype="float64"):
    """Probability rows (one-hot) ``(m, k)`` for integer ``labels`` in ``0..k-1``, on the
    labels' backend: the targets of the softmax loss of :class:`MLP`."""
    xp = array_namespace(labels)
    k = _validate.integer("k", k, 1)
    labels = xp.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise InputError(f"labels must be a 1-D integer array, got shape {labels.shape} and "
                         f"dtype {labels.dtype}")
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= k):
        raise InputError(f"labels must lie in 0..{k - 1} (k = {k})")
    return (labels[:, None] == xp.arange(k)[None, :]).astype(dtype)


#: samples per forward pass of the full-data loss: the (B, samples, width) temporaries stay
#: small enough for the cache (a single pass over ~1400 samples was ~10x slower per sample)
LOSS_CHUNK = 128


def _chunked(f, theta, X, Y):
    """``f(theta, X, Y)`` for a mean over the samples, by chunks of :data:`LOSS_CHUNK`."""
    m = X.shape[0]
    total = 0.0
    for s in range(0, m, LOSS_CHUNK):
        Xc = X[s:s + LOSS_CHUNK]
        total = total + f(theta, Xc, Y[s:s + LOSS_CHUNK]) * (Xc.shape[0] / m)
    return total


def _check(model, theta, X, Y, names=("theta", "X", "Y")):
    """Shapes, dtypes and values of ``(theta, X, Y)`` checked once (one device sync); the
    memory is checked per chunk by the callers."""
    if not isinstance(model, MLP):
        raise InputError(f"model must be a rmtland.networks.MLP, got {type(model).__name__}")
    for name, arr in zip(names[1:], (X, Y)):
        if getattr(arr, "ndim", None) != 2:
            raise InputError(f"{name} must be a 2-D array (m, {'d_in' if name[0] == 'X' else 'k'})"
                             f" shared by the networks, got {getattr(arr, 'shape', type(arr))}")
    xp, theta, Xc, Yc, _ = model._inputs(theta, X, Y, check=False)
    model._check_values(xp, theta, X.astype(theta.dtype, copy=False),
                        Y.astype(theta.dtype, copy=False), None)


def full_loss(model, theta, X, Y):
    """Loss of every network of ``theta`` over all of ``(X, Y)``, ``(B,)``, by chunks of
    :data:`LOSS_CHUNK` samples: both losses of :class:`MLP` are means over the samples
    (prefactor 1/(km) or 1/m), so the full loss is the chunk losses weighted by their sizes
    (and so is the gradient, :func:`full_gradient`). The inputs are checked once."""
    _check(model, theta, X, Y)
    return _chunked(model._unchecked_loss, theta, X, Y)


def full_gradient(model, theta, X, Y):
    """Full-data gradient ``(B, n)`` of every network, by chunks (see :func:`full_loss`)."""
    _check(model, theta, X, Y)
    return _chunked(model._unchecked_gradient, theta, X, Y)


def train_sgd(model, theta, X, Y, *, X_test=None, Y_test=None, lr=0.05, momentum=0.9,
              batch_size=64, max_epochs=100, stop="plateau", patience=5, tol=1e-3,
              grad_tol=GRAD_TOL, loss_floor=0.0, decay_epochs=None, rng=None,
              progress=None):
    r"""Train the ``B`` networks of ``theta`` by mini-batch SGD (plain or with momentum), all
    at once.

    Parameters
    ----------
    model : MLP
    theta : array ``(B, n_params)``
        Initial parameters (e.g. :meth:`MLP.init`); not modified.
    X, Y : arrays ``(m, d_in)``, ``(m, k)``
        Training data shared by the ``B`` networks, on ``theta``'s backend (targets as the
        model's loss expects: probability rows for ``"softmax"``).
    X_test, Y_test : arrays, optional
        A test set: its loss is reported for the final parameters.
    lr : float > 0
        Initial step :math:`\eta`.
    momentum : float in [0, 1)
        :math:`\mu` (0: plain SGD).
    batch_size : int >= 1
        Mini-batch size (capped at ``m``).
    max_epochs : int >= 1
        The epochs run (``stop="none"``), or their cap under a stopping rule.
    stop : {"plateau", "gradient", "none"}
        The stopping rule of the module notes.
    patience : int >= 1, tol : float >= 0
        The plateau rule's window and fraction.
    grad_tol : float in (0, 1)
        The gradient rule's fraction, and the threshold of ``converged``.
    loss_floor : float >= 0
        Stop a network whose training loss falls below it (every rule).
    decay_epochs : float > 0 or None
        :math:`\tau` of the step schedule :math:`\eta/(1 + (e-1)/\tau)` in epoch
        :math:`e \ge 1` (the first epoch steps by ``lr``); None: constant.
    rng : None, int, SeedSequence or Generator
        Seed of the sample orders (one stream for the run, on the device).
    progress : callable or None
        Called as ``progress(epoch, max_epochs)`` after each epoch.

    Returns
    -------
    dict
        ``theta`` (final parameters, ``(B, n)``, backend of the input), host arrays
        ``train_loss``, ``test_loss`` (None without a test set), ``epochs`` (int, epochs run),
        ``stopped`` (bool: met the stopping rule before ``max_epochs``), ``diverged`` (bool),
        ``grad_norm`` and ``grad_norm0`` (full-batch gradient norms at the end and at the
        start), ``grad_ratio`` (their ratio), ``converged`` (bool: :func:`converged`, the rule
        of the module notes), ``history`` (``(E + 1, B)`` training loss
        after each epoch, row 0 at the start, ``E = epochs.max()`` the epochs run; NaN after a
        network stopped), and the ``schedule`` (the settings, JSON-safe).

    Notes
    -----
    Memory follows the networks and the epochs actually run, never ``max_epochs`` (a cap
    of 10^8 costs nothing until reached). The inputs are checked once (one device sync);
    the GPU path then synchronises once at the start (the initial losses and gradient norms),
    once per epoch (the epoch's losses, finiteness flags and, under ``stop="gradient"``,
    gradient norms in one transfer), never per mini-batch, and once at the end.
    """
    if not isinstance(model, MLP):
        raise InputError(f"model must be a rmtland.networks.MLP, got {type(model).__name__}")
    lr = _validate.positive("lr", lr)
    momentum = _validate.nonnegative("momentum", momentum)
    if momentum >= 1:
        raise InputError(f"momentum must be in [0, 1), got {momentum!r}")
    batch_size = _validate.integer("batch_size", batch_size, 1)
    max_epochs = _validate.integer("max_epochs", max_epochs, 1)
    patience = _validate.integer("patience", patience, 1)
    tol = _validate.nonnegative("tol", tol)
    if stop not in STOP_RULES:
        raise InputError(f"stop must be one of {STOP_RULES}, got {stop!r}")
    grad_tol = _validate.positive("grad_tol", grad_tol)
    if grad_tol >= 1:
        raise InputError(f"grad_tol must be in (0, 1), got {grad_tol!r}")
    loss_floor = _validate.nonnegative("loss_floor", loss_floor)
    if decay_epochs is not None:
        decay_epochs = _validate.positive("decay_epochs", decay_epochs)
    if (X_test is None) != (Y_test is None):
        raise InputError("X_test and Y_test must be given together")
    _check(model, theta, X, Y)                     # shapes, dtypes and values, once
    if X_test is not None:
        _check(model, theta, X_test, Y_test, ("theta", "X_test", "Y_test"))
    xp = array_namespace(theta, X, Y)
    B, m = theta.shape[0], X.shape[0]
    bs = min(batch_size, m)
    # parameters, velocities and their per-epoch copies beside one mini-batch or loss chunk
    model._require(xp, model.nbytes(B, max(bs, min(m, LOSS_CHUNK)), dtype=theta.dtype)
                   + 4 * B * model.n_params * theta.dtype.itemsize,
                   f"training {B} networks of widths {list(model.widths)} in mini-batches "
                   f"of {bs}", blame="the number of networks, batch_size or the widths")
    theta = xp.array(theta, copy=True)
    # one network's mini-batch step: forward pass, parameters, velocity, gradient
    per_network = model.nbytes(1, bs, dtype=theta.dtype) + 2 * model.n_params * \
        theta.dtype.itemsize
    X = X.astype(theta.dtype, copy=False)
    Y = Y.astype(theta.dtype, copy=False)
    gen = _seeds.generator(rng, xp)
    loss = model._unchecked_loss
    grad = model._unchecked_gradient

    def gnorm(th):
        return xp.sqrt((_chunked(grad, th, X, Y) ** 2).sum(axis=1))

    # one row per epoch run (memory follows the epochs run, never max_epochs)
    L, g0 = to_numpy(xp.stack([_chunked(loss, theta, X, Y), gnorm(theta)]))  # one sync
    history = [L.astype(float)]
    epochs = np.zeros(B, dtype=np.int64)
    stopped = np.zeros(B, dtype=bool)
    diverged = ~np.isfinite(L)
    active = np.flatnonzero(~diverged)
    v = xp.zeros_like(theta)
    for e in range(1, max_epochs + 1):
        if active.size == 0:
            break
        idx = xp.asarray(active)
        th, vel = theta[idx], v[idx]
        eta = lr / (1.0 + (e - 1) / decay_epochs) if decay_epochs else lr
        order = xp.argsort(gen.random((active.size, m)), axis=1)
        # No check inside the epoch (no device sync per mini-batch): a network whose
        # parameters leave the finite numbers stays non-finite (NaN and inf absorb every
        # update), the networks are independent rows of one batch, so it is found at the
        # end of the epoch and frozen at its parameters of the epoch before.
        # The networks are independent rows: each chunk of them runs the whole epoch at
        # once, so its parameters stay in cache between mini-batches (one chunk on a GPU).
        with np.errstate(over="ignore", invalid="ignore"):
            for c in model._net_chunks(xp, active.size, per_network):
                thc, velc, oc = th[c], vel[c], order[c]
                for s in range(0, m, bs):
                    batch = oc[:, s:s + bs]
                    g = grad(thc, X[batch], Y[batch])
                    if momentum:
                        velc = momentum * velc - eta * g
                        thc = thc + velc
                    else:                  # the same numbers: v = -eta g, theta + v
                        thc = thc - eta * g
                th[c] = thc
                if momentum:
                    vel[c] = velc
            fin = xp.all(xp.isfinite(th), axis=1)
            Le = _chunked(loss, th, X, Y)
            parts = [Le, fin.astype(Le.dtype)] + ([gnorm(th)] if stop == "gradient" else [])
        host = to_numpy(xp.stack(parts))                  # the one sync of the epoch
        Le, good = host[0], host[1] > 0
        ge = host[2] if stop == "gradient" else None
        if not good.all():                            # rare: freeze the culprits, go on
            diverged[active[~good]] = True
            epochs[active[~good]] = e - 1
            keep = xp.asarray(np.flatnonzero(good))
            th, vel, Le = th[keep], vel[keep], Le[good]
            ge = None if ge is None else ge[good]
            active = active[good]
            if active.size == 0:
                break
        theta[xp.asarray(active)] = th
        v[xp.asarray(active)] = vel
        row = np.full(B, np.nan)
        row[active] = Le
        history.append(row)
        epochs[active] = e
        done = Le < loss_floor
        if stop == "plateau" and e >= patience:
            before = history[e - patience][active]
            done |= (before - Le) < tol * before
        elif stop == "gradient":
            done |= ge <= grad_tol * g0[active]
        stopped[active[done]] = True
        active = active[~done]
        if progress is not None:
            progress(e, max_epochs)
    history = np.stack(history)
    train_loss = history[epochs, np.arange(B)]
    g = to_numpy(gnorm(theta))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = g / g0
    rule = {"none": "max_epochs epochs",
            "plateau": "L[e-patience] - L[e] < tol * L[e-patience]",
            "gradient": "|grad L(theta_e)| <= grad_tol * |grad L(theta_0)|"}[stop]
    out = {"theta": theta, "train_loss": train_loss, "test_loss": None,
           "epochs": epochs, "stopped": stopped, "diverged": diverged,
           "grad_norm": g, "grad_norm0": g0, "grad_ratio": ratio,
           "converged": converged(g, g0, grad_tol) & ~diverged,
           "history": history,
           "schedule": {"optimizer": ("SGD, heavy-ball momentum" if momentum else "plain SGD")
                        + ", per-network sample order",
                        "lr": lr, "momentum": momentum, "batch_size": bs,
                        "decay_epochs": decay_epochs, "max_epochs": max_epochs,
                        "stop": stop, "patience": patience, "tol": tol,
                        "grad_tol": grad_tol, "loss_floor": loss_floor,
                        "stopping_rule": f"{rule}, or L[e] < loss_floor, or max_epochs",
                        "converged_rule": "|grad L(theta_E)| <= grad_tol * "
                                          "|grad L(theta_0)| (full batch)"}}
    if X_test is not None:
        out["test_loss"] = to_numpy(_chunked(loss, theta, X_test.astype(theta.dtype),
                                             Y_test.astype(theta.dtype)))
    return out
