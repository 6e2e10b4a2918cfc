"""Networks layer: models with exact gradients, Jacobians, Gauss–Newton and residual Hessians
and Hessian-vector products, batched and xp-generic (NumPy or CuPy)
(:mod:`~rmtland.networks.mlp`).  Imports only the base modules and :mod:`rmtland.linalg`.

A PyTorch model's Hessian (H, H0, H1 in the same normalisation) as rmtland operators:
:mod:`rmtland.networks.torch` (``TorchHessian``, ``hessian_operator``), imported explicitly;
it imports torch only when used, and nothing here imports it."""
from .mlp import MLP
from .critical import descent_starts, find_network_critical_points

__all__ = ["MLP", "find_network_critical_points", "descent_starts"]
