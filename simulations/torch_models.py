"""Bring your own network: the ``FUNCTION()`` that ``rmtland spectrum --torch`` calls
===================================================================================

A complete example file to copy.  ``rmtland spectrum --torch simulations/torch_models.py:digits_cnn
--part H --out D`` imports this file, calls ``digits_cnn()`` and takes the Hessian of the model
it returns.  The contract: a function of no arguments returning ``(model, loss_fn, data)``:

* ``model``: a ``torch.nn.Module`` (float64 recommended: the spectra and the fits are then
  accurate to rounding), in ``eval()`` mode if it has dropout or batch normalisation;
* ``loss_fn``: ``torch.nn.MSELoss()`` or ``torch.nn.CrossEntropyLoss()`` (reduction ``"mean"``
  or ``"sum"``); rmtland converts it to Pennington & Bahri's normalisation (torch's mean
  ``MSELoss`` is twice PB's loss ``L``, see :mod:`rmtland.networks.torch`);
* ``data``: an ``(inputs, targets)`` pair of tensors, or a re-iterable sequence of such batches
  (a list, a ``torch.utils.data.DataLoader``).

The models here are trained briefly (full-batch Adam, fixed seeds, float64, CPU, about a
second each) on 300 of scikit-learn's bundled 8x8 digits (:func:`rmtland.networks.data.digits`,
pixels divided by 16), so the Hessian is taken at a trained point, not at initialisation.
"""
import torch

from rmtland.networks.data import digits

#: samples of the digits used by every model here (chosen with seed 0)
SAMPLES = 300
#: full-batch Adam steps and learning rate of the brief training
STEPS, LR = 300, 0.01


def _digits(one_hot):
    """Inputs ``(m, 1, 8, 8)`` in [0, 1] and targets: class indices, or the standardised
    one-hot targets of :func:`rmtland.networks.data.digits` (mean 0, variance 1 per column)."""
    ds = digits(m=SAMPLES, unit=True, one_hot=one_hot, rng=0)
    X = torch.from_numpy(ds.X).reshape(-1, 1, 8, 8)
    return X, torch.from_numpy(ds.Y)


def _train(model, loss_fn, X, Y, steps=STEPS, lr=LR):
    """Full-batch Adam from the model's seeded initialisation (deterministic on the CPU)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(X), Y).backward()
        opt.step()
    return model.eval()


def digits_cnn():
    """A small CNN, Conv2d(1, 2, 3) - ReLU - Linear(72, 10) (750 parameters), trained with
    cross-entropy on the ten digit classes."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(2 * 6 * 6, 10)).double()
    X, Y = _digits(one_hot=False)
    loss_fn = torch.nn.CrossEntropyLoss()
    return _train(model, loss_fn, X, Y), loss_fn, (X, Y)


def digits_mlp():
    """A one-hidden-layer tanh MLP without biases, 64 - 16 - 10 (1184 parameters: PB17's
    setting), trained with the squared loss on the standardised one-hot targets; the data are
    given as a ``DataLoader`` of batches of 100 (iterated once per Hessian product)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 16, bias=False),
                                torch.nn.Tanh(), torch.nn.Linear(16, 10, bias=False)).double()
    X, Y = _digits(one_hot=True)
    loss_fn = torch.nn.MSELoss()
    _train(model, loss_fn, X, Y)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, Y), batch_size=100)
    return model, loss_fn, loader


def tiny_mlp():
    """An untrained 6 - 5 - 3 tanh MLP (with biases, 53 parameters) on 40 Gaussian samples with
    Gaussian targets: seconds-fast, for tests and for trying the command."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(),
                                torch.nn.Linear(5, 3)).double()
    g = torch.Generator().manual_seed(1)
    X = torch.randn(40, 6, generator=g, dtype=torch.float64)
    Y = torch.randn(40, 3, generator=g, dtype=torch.float64)
    return model, torch.nn.MSELoss(), (X, Y)
