r"""A PyTorch model's loss Hessian as rmtland operators: :math:`H`, its Gauss–Newton part
:math:`H_0` and the residual part :math:`H_1 = H - H_0`, for all parameters or the diagonal
block of a layer or a group of parameters, in the normalisation of DESIGN.md ("Networks"), so
that the loss :math:`\varepsilon` and the ratio :math:`\varphi = n/(km)` mean what they mean in
the Pennington–Bahri theory.

>>> from rmtland.networks.torch import TorchHessian            # doctest: +SKIP
>>> from rmtland.linalg.spectral import spectrum                # doctest: +SKIP
>>> h = TorchHessian(model.double(), torch.nn.MSELoss(), (inputs, targets))  # doctest: +SKIP
>>> h.phi, h.loss                                               # doctest: +SKIP
>>> spectrum(h.operator("H"), probes=16, steps=80)              # doctest: +SKIP

torch is imported only when the adapter is used (``import rmtland.networks`` and this module
stay torch-free); without it the adapter raises :class:`TorchMissing` (an
:class:`~rmtland._validate.InputError` and an ``ImportError``) whose message names the extra,
``pip install 'rmtland[torch]'``.

Loss and normalisation
----------------------
With :math:`m` samples, :math:`k` outputs per sample and :math:`f_i = f(x_i; \theta)`:

- ``torch.nn.MSELoss`` (reduction ``"mean"`` or ``"sum"``): the squared loss of PB17,
  :math:`L = \frac{1}{2km}\sum_i\|f_i - y_i\|^2` (outputs and targets of any shape, flattened
  per sample: :math:`k` = entries per sample); residual :math:`r_i = f_i - y_i`, curvature
  in the outputs :math:`\Lambda_i = I`.  torch's ``MSELoss()`` (mean over the :math:`km`
  entries) is :math:`2L`, and ``MSELoss(reduction="sum")`` is :math:`2kmL`: the operators
  here are the Hessian of :math:`L` whatever the reduction, and :attr:`TorchHessian.scale`
  is the factor (2, :math:`2km`) between the user's loss over the whole data and :math:`L`.
- ``torch.nn.CrossEntropyLoss`` (``"mean"`` or ``"sum"``; no class ``weight``, no
  ``label_smoothing``): the mean softmax cross-entropy :math:`L = \frac1m\sum_i \ell_i`,
  :math:`\ell_i = \log\sum_o e^{f_{io}} - y_i^\top f_i`, outputs of shape ``(m, k)``, targets
  class indices ``(m,)`` in ``0..k-1`` or probability rows ``(m, k)`` (entries :math:`\ge 0`
  summing to 1); :math:`r_i = p_i - y_i`, :math:`\Lambda_i = \mathrm{diag}(p_i) -
  p_ip_i^\top`, :math:`p_i = \mathrm{softmax}(f_i)`.  This is :class:`rmtland.networks.MLP`'s
  ``loss="softmax"``; ``scale`` is 1 (mean) or :math:`m` (sum).

Other losses (another ``torch.nn`` loss, ``reduction="none"``, a plain callable) are refused
with an :class:`~rmtland._validate.InputError` naming ``loss_fn``: the split
:math:`H = H_0 + H_1` needs :math:`r` and :math:`\Lambda` in closed form, and both losses above
are the ones the theory and :class:`~rmtland.networks.MLP` know.  Then, with the prefactor
:math:`c = 1/(km)` (squared) or :math:`1/m` (cross-entropy) and
:math:`J_i = \partial f_i/\partial\theta`,

.. math::

    H_0 = c\sum_i J_i^\top\Lambda_i J_i, \qquad
    H_1 = c\sum_i\sum_o r_{io}\nabla^2_\theta f_{io}, \qquad H = \nabla^2_\theta L = H_0 + H_1,

(PB17 Sec. 2; the generalised Gauss–Newton matrix of Schraudolph 2002).  For piecewise-linear
activations (ReLU) these are the almost-everywhere Hessians that autograd returns
(:mod:`rmtland.networks.mlp`, module notes).

Products
--------
:math:`\theta` is the flat vector of the selected parameters (in the order of
``model.named_parameters()``, each flattened row-major: for ``nn.Linear`` without bias this is
exactly :class:`~rmtland.networks.MLP`'s layout); the other parameters and the buffers stay at
their values.  A block ``V`` of ``b`` vectors, ``(n, b)``, is one ``torch.func.vmap`` over the
columns of

- ``H``: ``jvp(grad(L_batch), (θ,), (v,))`` (forward-over-reverse, Pearlmutter 1994);
- ``H0``: :math:`J^\top(c\Lambda(Jv))`: ``jvp`` of the outputs, :math:`\Lambda` in closed
  form, ``vjp`` of the outputs (Schraudolph 2002);
- ``H1``: ``jvp(grad(θ ↦ c Σ r̄·f(θ)))`` with the residuals :math:`\bar r` held fixed at
  :math:`\theta` (so the part is one pass, not ``H − H0``),

summed over the batches of ``data``, **which is iterated once per product** (a
``DataLoader`` may shuffle and batch sizes may differ: every batch's sum is weighted by the
same global :math:`c`, so the result is that of the whole data in one batch).  Memory per
product grows with ``b`` times the activations of one batch; pass smaller blocks
(``spectrum(..., block=...)``) or smaller batches when it does not fit.  With
``operator(..., cache=True)`` the data is read once and each batch's product is traced once
(``torch.func.linearize``), so that products skip the forward pass (faster, more memory:
:meth:`TorchHessian.operator`).

Where the model lives: the operator's vectors are NumPy arrays for a CPU model and CuPy arrays
for a CUDA model, exchanged with torch without copies
(:func:`rmtland.linalg.operators.torch_operator`), in the parameters' dtype (float32 or
float64).  Batches are moved to the parameters' device and floating inputs and targets cast
to their dtype, per product.  The model is called as it is: put it in ``eval()`` mode when it
has dropout or batch normalisation (in training mode ``vmap`` refuses random dropout and
batch normalisation would use each batch's statistics).

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix Theory",
ICML 2017, PMLR 70:2798–2806 (PB17), https://proceedings.mlr.press/v70/pennington17a.html.
B. A. Pearlmutter, "Fast exact multiplication by the Hessian", Neural Computation 6(1),
147–160 (1994), doi:10.1162/neco.1994.6.1.147.
N. N. Schraudolph, "Fast curvature matrix-vector products for second-order gradient descent",
Neural Computation 14(7), 1723–1738 (2002), doi:10.1162/08997660260028683.
"""
import copy
import math
import warnings
from collections.abc import Iterable, Iterator

import numpy as np

from .._validate import InputError
from ..linalg.operators import torch_operator

__all__ = ["TorchHessian", "hessian_operator", "TorchMissing", "TORCH_EXTRA_MESSAGE", "PARTS",
           "DENSE_BLOCK"]

#: the one-line message when torch (the ``torch`` extra) is missing
TORCH_EXTRA_MESSAGE = "the PyTorch adapter needs torch: pip install 'rmtland[torch]'"
PARTS = ("H", "H0", "H1")
#: columns per product when :meth:`TorchHessian.dense` applies an operator to the identity
DENSE_BLOCK = 64


class TorchMissing(InputError, ImportError):
    """torch is not installed: both an :class:`InputError` (the CLI exits with code 2) and an
    ``ImportError``; the message is :data:`TORCH_EXTRA_MESSAGE`."""


def _torch():
    """The ``torch`` module, or :class:`TorchMissing`."""
    try:
        import torch
        import torch.func  # noqa: F401
    except ImportError as exc:
        raise TorchMissing(TORCH_EXTRA_MESSAGE) from exc
    return torch


def _loss_kind(torch, loss_fn):
    """``(kind, reduction)`` of a supported loss object, or :class:`InputError` naming
    ``loss_fn``."""
    if isinstance(loss_fn, torch.nn.MSELoss):
        kind = "squared"
    elif isinstance(loss_fn, torch.nn.CrossEntropyLoss):
        kind = "softmax"
        if loss_fn.weight is not None or loss_fn.label_smoothing != 0:
            raise InputError("loss_fn: CrossEntropyLoss with class weight or label_smoothing "
                             "is not supported (no Pennington-Bahri normalisation); use "
                             "CrossEntropyLoss() or CrossEntropyLoss(reduction='sum')")
    else:
        raise InputError(f"loss_fn must be torch.nn.MSELoss or torch.nn.CrossEntropyLoss "
                         f"(reduction 'mean' or 'sum'), got {type(loss_fn).__name__}")
    if loss_fn.reduction not in ("mean", "sum"):
        raise InputError(f"loss_fn must have reduction 'mean' or 'sum', got "
                         f"{loss_fn.reduction!r}")
    return kind, loss_fn.reduction


def _select(named, spec, what):
    """Names of the parameters that ``spec`` selects, in the model's order.

    ``spec``: None (all of ``named``), a string or a list of strings and tensors; a string is
    a parameter name or a module-name prefix (``"0"`` selects ``"0.weight"``, ``"0.bias"``); a
    tensor is a parameter of the model, matched by identity.  Raises :class:`InputError`
    naming ``what`` for an unknown name or a tensor that is not among ``named``."""
    if spec is None:
        return list(named)
    items = [spec] if isinstance(spec, str) or hasattr(spec, "shape") else list(spec)
    if not items:
        raise InputError(f"{what} must select at least one parameter, got an empty list")
    chosen = set()
    for item in items:
        if isinstance(item, str):
            hits = [nm for nm in named if nm == item or nm.startswith(item + ".")]
            if not hits:
                raise InputError(f"{what}: no parameter or layer named {item!r}; the layers "
                                 f"are {sorted(set(_layer(nm) for nm in named))}, the "
                                 f"parameters {list(named)}")
        elif hasattr(item, "shape"):
            hits = [nm for nm, p in named.items() if p is item]
            if not hits:
                raise InputError(f"{what}: a tensor of shape {tuple(item.shape)} is not among "
                                 "the selected parameters of the model")
        else:
            raise InputError(f"{what} must hold parameter names, layer names or parameters, "
                             f"got {type(item).__name__}")
        chosen.update(hits)
    return [nm for nm in named if nm in chosen]


def _layer(name):
    """The layer of a parameter: its module-name prefix (``"0.weight"`` -> ``"0"``), or the
    name itself for a parameter of the root module."""
    return name.rsplit(".", 1)[0] if "." in name else name


class TorchHessian:
    r"""The loss Hessian of a PyTorch model on a data set, in PB17's normalisation (module
    notes), as rmtland operators.

    Parameters
    ----------
    model : torch.nn.Module
        Called as ``model(inputs)``.  Its parameters fix the dtype (float32 or float64) and the
        device (CPU or CUDA) of every product.
    loss_fn : torch.nn.MSELoss or torch.nn.CrossEntropyLoss
        Reduction ``"mean"`` or ``"sum"`` (module notes: the operators are the Hessian of
        :math:`L` in either case; :attr:`scale` relates the two).
    data : pair of tensors, or an iterable of pairs
        ``(inputs, targets)``, or a re-iterable sequence of such batches (a list, a
        ``DataLoader``), iterated once here (checks, ``m``, the loss) and once per product.
        Batch sizes may differ.  A one-shot iterator (a generator) is refused.
    params : None, str, or list of str / tensors
        The parameters that are the variables (default: every parameter with
        ``requires_grad``); a string is a parameter name or a module-name prefix (a
        "layer": ``"0"``, ``"conv1"``).  The others stay fixed: the operators are the
        diagonal block of the selected parameters.

    Attributes
    ----------
    n, k, m : int
        Selected parameters, outputs per sample, samples.
    phi : float
        :math:`n/(km)`, the Marchenko–Pastur ratio of :math:`H_0` (DESIGN.md).
    loss : float
        :math:`L` in PB17's normalisation (:math:`\varepsilon` for the squared loss; the mean
        cross-entropy).
    loss_kind : {"squared", "softmax"}
    reduction : {"mean", "sum"}
    scale : float
        The user's ``loss_fn`` over the whole data in one batch equals ``scale * loss``
        (MSELoss: 2 or :math:`2km`; CrossEntropyLoss: 1 or :math:`m`), so its Hessian is
        ``scale`` times :math:`H`.
    names : list of str
        The selected parameters, in the model's order (the order of :math:`\theta`).
    shapes : dict
        Name -> shape of each selected parameter.
    layers : dict
        Layer (module-name prefix) -> number of selected parameters in it.
    dtype : numpy.dtype
    torch_dtype, device : torch.dtype, torch.device
        Of the selected parameters: where and in what the products run.
    xp : module
        NumPy (CPU model) or CuPy (CUDA model): where the operators' vectors live.

    Raises
    ------
    InputError
        Naming the parameter (``model``, ``loss_fn``, ``data``, ``params``): an unsupported
        loss or reduction, an unknown parameter or layer, a parameter not in the model, mixed
        dtypes or devices, no data, a batch that is not a pair of tensors of matching length,
        targets of the wrong shape or range; all before any Hessian product.
    TorchMissing
        torch is not installed.

    Notes
    -----
    A snapshot: ``loss``, ``m``, ``k`` are computed here, and an operator holds the selected
    parameters' values from when :meth:`operator` was called; after the model changes
    (training), build a new :class:`TorchHessian`.
    """

    def __init__(self, model, loss_fn, data, params=None):
        torch = _torch()
        if not isinstance(model, torch.nn.Module):
            raise InputError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        self.loss_kind, self.reduction = _loss_kind(torch, loss_fn)
        trainable = {nm: p for nm, p in model.named_parameters() if p.requires_grad}
        if not trainable:
            raise InputError("model has no parameters that require grad")
        self.model = model
        self._all = trainable
        self._set_names(_select(trainable, params, "params"))
        self._data = data
        self._single = _is_pair(torch, data)
        if not self._single and (isinstance(data, Iterator) or not isinstance(data, Iterable)):
            raise InputError("data must be an (inputs, targets) pair or a re-iterable sequence "
                             "of such batches (a list, a DataLoader), not a one-shot iterator: "
                             "it is iterated once per product")
        self._scan()
        self._grad = None

    def __repr__(self):
        return (f"<TorchHessian {self.loss_kind}/{self.reduction}: n={self.n}, k={self.k}, "
                f"m={self.m}, phi={self.phi:.4g}, loss={self.loss:.6g}, {self.dtype.name} on "
                f"{self.device}>")

    # ---------------------------------------------------------------- selection

    def _set_names(self, names):
        ps = [self._all[nm] for nm in names]
        dtypes, devices = {p.dtype for p in ps}, {p.device for p in ps}
        if len(dtypes) != 1 or len(devices) != 1:
            raise InputError(f"params must share one dtype and one device, got "
                             f"{sorted(map(str, dtypes))} on {sorted(map(str, devices))}")
        self.torch_dtype, self.device = ps[0].dtype, ps[0].device
        if str(self.torch_dtype) not in ("torch.float32", "torch.float64"):
            raise InputError(f"model parameters must be float32 or float64, got "
                             f"{self.torch_dtype}")
        self.names = list(names)
        self.shapes = {nm: tuple(self._all[nm].shape) for nm in names}
        self._sizes = [self._all[nm].numel() for nm in names]
        self.n = int(sum(self._sizes))
        self.layers = {}
        for nm, size in zip(names, self._sizes):
            self.layers[_layer(nm)] = self.layers.get(_layer(nm), 0) + size
        self.dtype = np.dtype(str(self.torch_dtype).replace("torch.", ""))
        from .._backend import get_xp, tune_host_allocator
        self.xp = np if self.device.type == "cpu" else get_xp("gpu")
        if self.xp is np:
            # the host engine's glibc settings (torch's CPU tensors come from malloc too): a
            # 32-column product of a tanh MLP 64-128-10 on 512 samples, 64.7 -> 55.5 ms
            tune_host_allocator()

    def block(self, layers):
        """The same Hessian restricted to the diagonal block of ``layers`` (a subset of
        :attr:`names`, given as for ``params``): a new :class:`TorchHessian` sharing the data
        and the checks (no data pass), with its own ``n``, ``phi``, ``names``, ``layers``."""
        sub = copy.copy(self)
        sub._set_names(_select({nm: self._all[nm] for nm in self.names}, layers, "layers"))
        sub._grad = None
        return sub

    @property
    def phi(self):
        """:math:`\\varphi = n/(km)` of the selected block."""
        return self.n / (self.k * self.m)

    # ---------------------------------------------------------------- data

    def _batches(self):
        """The data's batches, moved to the parameters' device and dtype."""
        for x, y in ([self._data] if self._single else self._data):
            yield self._move(x), self._move(y)

    def _move(self, t):
        """``t`` on the parameters' device; floating tensors in their dtype."""
        return t.to(self.device, self.torch_dtype if t.is_floating_point() else None)

    def _scan(self):
        """One pass over the data: every batch checked (a pair of tensors, matching lengths,
        outputs and targets of the loss's shapes and range), ``m``, ``k`` and the loss."""
        torch = _torch()
        m, k, total = 0, None, 0.0
        for i, batch in enumerate([self._data] if self._single else self._data):
            if not _is_pair(torch, batch):
                raise InputError(f"data: batch {i} must be an (inputs, targets) pair of "
                                 f"tensors, got {type(batch).__name__}")
            x, y = batch
            if x.ndim < 1 or y.ndim < 1 or x.shape[0] != y.shape[0] or x.shape[0] < 1:
                raise InputError(f"data: batch {i} must hold inputs and targets with the same "
                                 f"number >= 1 of samples (first dimension), got shapes "
                                 f"{tuple(x.shape)} and {tuple(y.shape)}")
            x, y = self._move(x), self._move(y)
            with torch.no_grad():
                f = self.model(x)
            if not isinstance(f, torch.Tensor):
                raise InputError(f"model must return a tensor of outputs, got "
                                 f"{type(f).__name__} on batch {i} of data")
            kb = self._check_batch(torch, i, f, y)
            if k is not None and kb != k:
                raise InputError(f"data: batch {i} has k = {kb} outputs per sample, the "
                                 f"earlier batches {k}")
            k, m = kb, m + x.shape[0]
            with torch.no_grad():
                total += float(self._sum_loss(torch, f, y))
        if m == 0:
            raise InputError("data must hold at least one batch with at least one sample")
        self.m, self.k = int(m), int(k)
        self._c = 1.0 / (self.k * self.m) if self.loss_kind == "squared" else 1.0 / self.m
        self.loss = total * self._c
        if not math.isfinite(self.loss):
            raise InputError(f"data gives a non-finite loss ({self.loss}): check the inputs, "
                             "targets and parameters")
        self.scale = {("squared", "mean"): 2.0, ("squared", "sum"): 2.0 * self.k * self.m,
                      ("softmax", "mean"): 1.0, ("softmax", "sum"): float(self.m)}[
                          (self.loss_kind, self.reduction)]

    def _check_batch(self, torch, i, f, y):
        """``k`` of one batch, after checking outputs ``f`` and targets ``y``."""
        mb = y.shape[0]
        if self.loss_kind == "squared":
            if tuple(f.shape) != tuple(y.shape) or not y.is_floating_point():
                raise InputError(f"data: batch {i} targets must be floating with the shape of "
                                 f"the model's outputs {tuple(f.shape)} for MSELoss, got "
                                 f"{tuple(y.shape)} {y.dtype}")
            return f.numel() // mb
        if f.ndim != 2 or f.shape[1] < 2:
            raise InputError(f"data: batch {i}: CrossEntropyLoss needs outputs of shape "
                             f"(batch, k >= 2), got {tuple(f.shape)}")
        k = f.shape[1]
        if y.is_floating_point():
            ok = (tuple(y.shape) == (mb, k) and bool((y >= 0).all())
                  and bool(((y.sum(1) - 1).abs() <= 1e-6 * k).all()))
            what = f"probability rows of shape ({mb}, {k}), entries >= 0 summing to 1"
        else:
            ok = (tuple(y.shape) == (mb,) and not y.dtype == torch.bool
                  and bool(((y >= 0) & (y < k)).all()))
            what = f"class indices of shape ({mb},) in 0..{k - 1}"
        if not ok:
            raise InputError(f"data: batch {i} targets must be {what} for CrossEntropyLoss, "
                             f"got shape {tuple(y.shape)} {y.dtype}")
        return k

    # ---------------------------------------------------------------- the loss

    def _sum_loss(self, torch, f, y):
        """:math:`\\sum_i \\ell_i` over one batch (module notes; without :math:`c`)."""
        if self.loss_kind == "squared":
            return 0.5 * ((f - y) ** 2).sum()
        return torch.nn.functional.cross_entropy(f, y, reduction="sum")

    def _targets(self, torch, f, y):
        """Targets as output-shaped floats: ``y`` itself, or one-hot class indices."""
        if self.loss_kind == "squared" or y.is_floating_point():
            return y
        return torch.nn.functional.one_hot(y, f.shape[1]).to(f.dtype)

    def _residual(self, torch, f, y):
        """:math:`r = \\partial\\ell/\\partial f`: ``f - y`` or ``softmax(f) - y``."""
        if self.loss_kind == "squared":
            return f - y
        return torch.softmax(f, dim=1) - self._targets(torch, f, y)

    def _curvature(self, f, U):
        """:math:`\\Lambda U` for ``U`` of shape ``f.shape + (b,)``: ``U`` or
        :math:`p \\odot U - p\\,(p^\\top U)`."""
        if self.loss_kind == "squared":
            return U
        p = f.softmax(dim=1)[..., None]
        return p * U - p * (p * U).sum(dim=1, keepdim=True)

    # ---------------------------------------------------------------- products

    def _theta(self):
        torch = _torch()
        return torch.cat([self._all[nm].detach().reshape(-1) for nm in self.names])

    def _forward(self, theta, x):
        """Outputs at parameters ``theta`` (the selected ones; the rest fixed)."""
        torch = _torch()
        pieces = torch.split(theta, self._sizes)
        params = {nm: p.view(self.shapes[nm]) for nm, p in zip(self.names, pieces)}
        return torch.func.functional_call(self.model, params, (x,))

    def _matmat(self, part, cache=False):
        """``V -> part · V`` on torch tensors ``(n, b)``, summed over the data's batches;
        with ``cache``, every batch is prepared (forward pass, linearisation) here, once."""
        torch = _torch()
        from torch.func import grad, jvp, linearize, vjp, vmap
        theta, c = self._theta(), self._c

        def columns(fn, V, in_dim=1, out_dim=1):
            """``fn`` on every column of ``V`` (along ``in_dim``): one vmap; a lone column
            directly (vmap's batching costs ~10% there)."""
            if V.shape[in_dim] == 1:
                return fn(V.select(in_dim, 0)).unsqueeze(out_dim)
            return vmap(fn, in_dims=in_dim, out_dims=out_dim)(V)

        def tangent(fn):
            """``v -> d fn(theta) [v]``: a jvp, or the traced linearisation (cache)."""
            if cache:
                with warnings.catch_warnings():        # torch.fx's constant folding, harmless
                    warnings.filterwarnings("ignore", "Attempted to insert a get_attr Node")
                    return linearize(fn, theta)[1]
            return lambda v: jvp(fn, (theta,), (v,))[1]

        def prepare(x, y):
            """The product of one batch, ``V -> part_batch · V``."""
            def fwd(th):
                return self._forward(th, x)
            if part == "H0":
                f, pullback = vjp(fwd, theta)
                push = tangent(fwd)

                def product(V):
                    U = c * self._curvature(f, columns(push, V, out_dim=-1))
                    return columns(lambda u: pullback(u)[0], U, in_dim=U.ndim - 1)
                return product
            if part == "H":
                g = grad(lambda th: c * self._sum_loss(torch, fwd(th), y))
            else:
                r = self._residual(torch, fwd(theta), y).detach()
                g = grad(lambda th: c * (r * fwd(th)).sum())
            hv = tangent(g)
            return lambda V: columns(hv, V)

        if cache:
            products = [prepare(x, y) for x, y in self._batches()]
        else:
            def products():
                for x, y in self._batches():
                    yield prepare(x, y)

        def matmat(V):
            out = None
            for product in (products if cache else products()):
                term = product(V)
                out = term if out is None else out.add_(term)
            return out
        return matmat

    def operator(self, part="H", layers=None, cache=False):
        """The :class:`~rmtland.linalg.operators.Operator` ``V -> part · V`` (``V`` of shape
        ``(n, b)`` on :attr:`xp` in :attr:`dtype`), of the selected parameters or of the
        diagonal block of ``layers`` (:meth:`block`).

        Parameters
        ----------
        part : {"H", "H0", "H1"}
        layers : None, str, or list of str / tensors
            As ``params`` of the constructor, a subset of :attr:`names`.
        cache : bool
            False (default): each product iterates the data once and redoes each batch's
            forward pass.  True: the data is iterated once, here, and each batch's product is
            traced once (``torch.func.linearize``; ``H0`` also keeps the batch's ``vjp``);
            products then run the traces and never read the data again.  Measured on one CPU
            thread (``benchmarks/bench_torch.py``): products of one column 2.7-7x faster, of 32
            columns 7-23% faster, for a set-up of 0.3-3 s; memory grows with the data (the
            activations of every batch are kept), and a model whose forward pass branches on
            the data's values cannot be traced.
        """
        if part not in PARTS:
            raise InputError(f"part must be one of {PARTS}, got {part!r}")
        if not isinstance(cache, bool):
            raise InputError(f"cache must be True or False, got {cache!r}")
        if layers is not None:
            return self.block(layers).operator(part, cache=cache)
        return torch_operator(self._matmat(part, cache), self.n, self.torch_dtype,
                              self.device, name=f"torch {part}" + (" (cached)" if cache else ""))

    def dense(self, part="H", layers=None):
        """The ``(n, n)`` matrix of :meth:`operator` (on :attr:`xp`), by products with the
        identity in blocks of :data:`DENSE_BLOCK` columns: for small models and checks.
        Refused (InputError naming ``layers``) when it would not fit in memory."""
        op = self.operator(part, layers)
        from ..linalg.dense import require_memory
        require_memory(op.xp, 2 * op.n * op.n * op.dtype.itemsize, "layers (the block)",
                       f"the dense {op.n} x {op.n} {part}")
        xp, out = op.xp, op.xp.empty((op.n, op.n), dtype=op.dtype)
        for j in range(0, op.n, DENSE_BLOCK):
            E = xp.zeros((op.n, min(DENSE_BLOCK, op.n - j)), dtype=op.dtype)
            E[j + xp.arange(E.shape[1]), xp.arange(E.shape[1])] = 1
            out[:, j:j + E.shape[1]] = op.matvec(E)
        return out

    # ---------------------------------------------------------------- gradient

    def gradient(self):
        """:math:`\\nabla_\\theta L` of the selected parameters, shape ``(n,)`` on :attr:`xp`
        (one pass over the data; cached)."""
        if self._grad is None:
            torch = _torch()
            from torch.func import grad
            theta, c = self._theta(), self._c
            total = None
            for x, y in self._batches():
                g = grad(lambda th: c * self._sum_loss(torch, self._forward(th, x), y))(theta)
                total = g if total is None else total + g
            self._grad = total.detach()
        t = self._grad
        return t.numpy() if self.xp is np else self.xp.from_dlpack(t)

    @property
    def grad_norm(self):
        """:math:`\\|\\nabla_\\theta L\\|` of the selected parameters (float)."""
        return float(self.xp.linalg.norm(self.gradient()))

    def summary(self):
        """A JSON-ready dict: ``n``, ``k``, ``m``, ``phi``, ``loss``, ``loss_kind``,
        ``reduction``, ``scale``, ``grad_norm``, ``dtype``, ``device``, ``layers``, ``shapes``."""
        return {"n": self.n, "k": self.k, "m": self.m, "phi": self.phi, "loss": self.loss,
                "loss_kind": self.loss_kind, "reduction": self.reduction, "scale": self.scale,
                "grad_norm": self.grad_norm, "dtype": self.dtype.name,
                "device": str(self.device), "layers": dict(self.layers),
                "shapes": {nm: list(s) for nm, s in self.shapes.items()}}


def _is_pair(torch, obj):
    """True for an ``(inputs, targets)`` pair of tensors (a tuple or a list of two)."""
    return (isinstance(obj, (tuple, list)) and len(obj) == 2
            and all(isinstance(t, torch.Tensor) for t in obj))


def hessian_operator(model, loss_fn, data, part="H", layers=None, cache=False):
    """The operator of ``part`` ("H", "H0" or "H1") of ``model``'s loss on ``data``, for all
    parameters or the diagonal block of ``layers``: ``TorchHessian(model, loss_fn, data,
    params=layers).operator(part, cache=cache)`` (:class:`TorchHessian`, its
    :meth:`~TorchHessian.operator`; ``part`` is checked first)."""
    if part not in PARTS:
        raise InputError(f"part must be one of {PARTS}, got {part!r}")
    return TorchHessian(model, loss_fn, data, params=layers).operator(part, cache=cache)
