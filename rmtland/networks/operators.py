r"""A network's Hessian as a matrix-free operator: :math:`H`, :math:`H_0` or :math:`H_1` of one
network of :class:`rmtland.networks.MLP` at parameters ``theta``, by the network engine's
Hessian-vector products (:meth:`MLP.hvp`, Pearlmutter's :math:`\mathcal R`-operator), for the
estimators of :mod:`rmtland.linalg.spectral`:

>>> from rmtland.linalg.spectral import spectrum                      # doctest: +SKIP
>>> spectrum(hessian_operator(model, theta, X, Y), probes=16, steps=60)  # doctest: +SKIP

A block of ``b`` vectors is one batched :math:`\mathcal R` pass (``V`` of shape ``(1, n, b)``),
so the cost per block is a few forward passes per column, never the :math:`n^2` of the matrix.
The forward pass and the back-propagated residuals, the same for every product at one point,
are computed once when the operator is made (:meth:`MLP._prepare`) and held with it (about
the memory of one forward pass, counted by the memory check made then); the products are
those of :meth:`MLP.hvp`, to the bit.
"""
from .._validate import InputError
from ..linalg.operators import Operator

__all__ = ["hessian_operator"]


def hessian_operator(model, theta, X, Y, part="H"):
    r"""The operator :math:`V \mapsto H V` (``part="H"``; ``"H0"``, ``"H1"``: the Gauss–Newton
    and residual parts, DESIGN.md "Networks") of the network ``model`` at ``theta``.

    Parameters
    ----------
    model : MLP
    theta : array of shape ``(n_params,)`` or ``(1, n_params)``
        One network's parameters (NumPy or CuPy; float32 or float64: the operator's dtype).
    X, Y : arrays ``(m, d_in)``, ``(m, k)``
        The data, as for :meth:`MLP.hvp`.
    part : {"H", "H0", "H1"}
        For piecewise-linear activations (``"relu"``, ``"leaky_relu"``, ``"linear"``) the
        almost-everywhere Hessian: that of the open region of fixed activation pattern
        containing ``theta`` (:mod:`rmtland.networks.mlp`, module notes).
    """
    if not hasattr(theta, "ndim") or theta.ndim not in (1, 2) or (
            theta.ndim == 2 and theta.shape[0] != 1):
        raise InputError("theta must be one network's parameters, of shape (n_params,) or "
                         f"(1, n_params), got {getattr(theta, 'shape', type(theta).__name__)}")
    theta = theta.reshape(1, -1)
    model._second_order(part)
    model._inputs(theta, X, Y, check=True, r=1)         # shapes, memory, values: once
    point = model._prepare(theta, X, Y, part)           # the forward pass, once

    def matvec(V):                                      # unchecked: no device sync
        return point.hvp(V[None])[0]
    from .._backend import array_namespace
    return Operator(theta.shape[1], matvec, theta.dtype, array_namespace(theta),
                    name=f"network {part}")
