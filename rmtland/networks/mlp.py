r"""Fully connected networks with exact gradients, Jacobians, Gauss–Newton and residual Hessians
and Hessian-vector products, batched over ``B`` networks of one shape and xp-generic (NumPy on
the CPU, CuPy on a GPU: one code path, one set of batched GEMMs for all ``B`` networks).

Network and parameters
----------------------
``widths = [d_in, h_1, ..., h_{D-1}, k]`` gives ``D`` layers. With :math:`a_0 = x`,

.. math:: z_l = W_l a_{l-1} + b_l, \quad a_l = \sigma(z_l)\ (l < D), \qquad f(x) = z_D,

so the output layer is linear. :math:`W_l` has shape :math:`h_l \times h_{l-1}`; the biases
:math:`b_l` are optional (off by default, PB17's setting). The parameters of one network are a
flat vector :math:`\theta` of length ``n_params``: layer by layer, :math:`W_l` in row-major
order, then :math:`b_l` (when ``bias=True``). A batch is ``theta`` of shape ``(B, n)``.

Loss, H0 and H1 (one convention: DESIGN.md, "Networks")
-------------------------------------------------------
With :math:`m` samples, :math:`k` outputs, the per-sample loss :math:`\ell_i(f)`, its gradient
in the outputs :math:`r_i = \partial\ell_i/\partial f` (the *residual*) and its curvature in
the outputs :math:`\Lambda_i = \partial^2\ell_i/\partial f^2`, and a prefactor :math:`c`:

.. math::

    L = c\sum_i \ell_i, \qquad \nabla L = c\sum_i J_i^\top r_i, \qquad
    H = H_0 + H_1, \quad H_0 = c\sum_i J_i^\top \Lambda_i J_i, \quad
    H_1 = c\sum_i\sum_o r_{io}\,\nabla^2 f_o(x_i),

where :math:`J_i = \partial f(x_i)/\partial\theta` (:math:`k \times n`). The two losses:

- ``"squared"``: :math:`\ell_i = \tfrac12\|f(x_i) - y_i\|^2`, :math:`c = 1/(km)`, so
  :math:`L = \frac{1}{2km}\sum_i\|f(x_i)-y_i\|^2`, :math:`r = f - y`, :math:`\Lambda = I`,
  :math:`H_0 = \frac{1}{km} J^\top J` with :math:`J` the :math:`km \times n` Jacobian. This is
  the normalisation of DESIGN.md, chosen so that the loss :math:`\varepsilon` and the ratio
  :math:`\varphi = n/(km)` (the Marchenko–Pastur ratio of :math:`H_0`) mean what they mean in
  the theory (a zero network on unit-variance targets has :math:`\varepsilon = 1/2`).
- ``"softmax"`` (softmax cross-entropy, :math:`k \ge 2`, targets ``Y`` with probability rows:
  entries :math:`\ge 0` summing to 1): :math:`\ell_i = \log\sum_o e^{f_o(x_i)} - y_i^\top f(x_i)`,
  :math:`c = 1/m`, :math:`r = p - y` with :math:`p = \mathrm{softmax}(f)`,
  :math:`\Lambda = \mathrm{diag}(p) - p p^\top` (positive semi-definite of rank :math:`\le k-1`).

Source: PB17 Sec. 2, the Gauss–Newton decomposition of the Hessian of the squared loss into a
positive semi-definite part :math:`H_0` built from the Jacobian and a part :math:`H_1` linear in
the residuals, with :math:`\varphi` = parameters / (outputs × samples). The equation numbers of
PB17 could not be checked against the paper text here; the definitions above are exactly those
of DESIGN.md ("Networks (normalised as PB17 ...)"), which fixes the :math:`1/(km)` prefactors.
The ``"softmax"`` case is the same decomposition (the generalised Gauss–Newton matrix of
Schraudolph 2002) with the cross-entropy's :math:`r` and :math:`\Lambda`.

Derivatives
-----------
- gradient: back-propagation, :math:`\delta_D = c\,r`,
  :math:`\delta_{l-1} = (W_l^\top\delta_l)\odot\sigma'(z_{l-1})`,
  :math:`\partial L/\partial W_l = \sum_i \delta_l a_{l-1}^\top`.
- Jacobian: the same back-propagation started from the ``k`` unit cotangents of every sample
  (no sum over samples).
- :math:`H_0 v = J^\top(c\Lambda(Jv))`: a forward-mode JVP (:math:`Jv = \mathcal R\{f\}`)
  then a back-propagated VJP (Schraudolph 2002).
- :math:`H v`: Pearlmutter's :math:`\mathcal R`-operator applied to back-propagation
  (forward-over-reverse): :math:`\mathcal R\{\delta_D\} = c\Lambda\,\mathcal R\{f\}`,
  :math:`\mathcal R\{\delta_{l-1}\} = (W_l^\top\mathcal R\{\delta_l\} + V_l^\top\delta_l)
  \odot\sigma'(z_{l-1}) + (W_l^\top\delta_l)\odot\sigma''(z_{l-1})\odot\mathcal R\{z_{l-1}\}`,
  :math:`\mathcal R\{\partial L/\partial W_l\} = \sum_i \mathcal R\{\delta_l\}a_{l-1}^\top +
  \delta_l\,\mathcal R\{a_{l-1}\}^\top` (:math:`V_l` the direction's block of :math:`W_l`).
  The terms proportional to :math:`\delta` (that is, to :math:`r`) are :math:`H_1 v`; the
  rest is :math:`H_0 v`; so ``part`` selects terms of one pass and never forms :math:`J` or
  :math:`H`. Memory :math:`O(B\,m\,r\sum_l h_l)` for ``r`` directions.

Activations: ``"tanh"`` and ``"softplus"`` (:math:`\log(1+e^z)`) are smooth, with exact
second derivatives. ``"linear"``, ``"relu"`` (:math:`\max(z, 0)`) and ``"leaky_relu"``
(:math:`\max(z, sz)`, slope :math:`s` = :data:`LEAKY_SLOPE` = 0.01, torch's default) are
*piecewise linear* (:data:`PIECEWISE_LINEAR`), and every quantity is defined for them,
:math:`H` and :math:`H_1` included, in the following **almost-everywhere** sense. The hidden
pre-activations :math:`z_{iu}(\theta)` of the ``m`` samples cut parameter space into open
regions of fixed activation pattern (the signs of every :math:`z_{iu}`); on each region the
outputs :math:`f(x_i)` are polynomials in :math:`\theta` (multilinear in the layers' weights),
so :math:`L` is smooth there and its Hessian is that of the region's polynomial. It is what the
formulas above give with :math:`\sigma'' = 0`: :math:`H_0` is unchanged and :math:`H_1 =
c\sum_i\sum_o r_{io}\nabla^2 f_o(x_i)` keeps the cross-layer terms (products of first
derivatives of different layers; the diagonal blocks of single layers vanish), so
:math:`H_1 \ne 0` away from zero residual. The kink set :math:`\{\theta : z_{iu}(\theta) = 0
\text{ for some } i, u\}` has measure zero; there the gradient and Hessian are undefined
(one-sided) and the code returns the one-sided values with the convention
:math:`\sigma'(0) = 0` for ReLU and :math:`s` for leaky ReLU (the derivative from the left,
as torch's autograd), :math:`\sigma''(0) = 0` (the Dirac mass of :math:`\sigma''` at the kink
is dropped). This a.e. Hessian is what autograd returns and what the empirical Hessian
literature measures (Sagun et al., arXiv:1706.04454; Papyan, arXiv:1901.08244; PyHessian,
Yao et al., arXiv:1912.07145). Checks of it (finite differences of the gradient) must use
points and steps that stay inside one region.

Shapes: ``X`` is ``(m, d_in)`` (shared by the ``B`` networks) or ``(B, m, d_in)``; ``Y`` is
``(m, k)`` or ``(B, m, k)``. Every method follows the backend and the dtype of ``theta``
(``X``, ``Y`` and ``V`` are cast to it; float32 stays float32).

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix Theory",
ICML 2017, PMLR 70:2798–2806 (PB17), https://proceedings.mlr.press/v70/pennington17a.html.
Sec. 2: the decomposition H = H0 + H1 and the ratio phi.
B. A. Pearlmutter, "Fast exact multiplication by the Hessian", Neural Computation 6(1),
147–160 (1994), doi:10.1162/neco.1994.6.1.147 (the R-operator).
N. N. Schraudolph, "Fast curvature matrix-vector products for second-order gradient descent",
Neural Computation 14(7), 1723–1738 (2002), doi:10.1162/08997660260028683 (Gauss–Newton
products J^T Lambda J v, generalised Gauss–Newton for matching losses).
Y. LeCun, L. Bottou, G. B. Orr, K.-R. Müller, "Efficient BackProp", in Neural Networks: Tricks
of the Trade, LNCS 1524, 9–50 (1998), doi:10.1007/3-540-49430-8_2 (the N(0, 1/fan_in) init).
"""
import math

import numpy as np

from .. import _seeds, _validate
from .._backend import array_namespace, get_xp, to_numpy, tune_host_allocator
from .._validate import InputError
from ..linalg.dense import memory_budget, require_memory

__all__ = ["MLP", "ACTIVATIONS", "PIECEWISE_LINEAR", "LEAKY_SLOPE", "LOSSES", "PARTS",
           "SATURATION_Z", "HESSIAN_BLOCK_BYTES"]

ACTIVATIONS = ("linear", "tanh", "softplus", "relu", "leaky_relu")
#: activations with sigma'' = 0 almost everywhere: H is the a.e. Hessian (module notes)
PIECEWISE_LINEAR = ("linear", "relu", "leaky_relu")
#: slope of "leaky_relu" for z < 0 (torch.nn.LeakyReLU's default negative_slope)
LEAKY_SLOPE = 0.01
LOSSES = ("squared", "softmax")
PARTS = ("H", "H0", "H1")
#: |z| above which |tanh z| > 1 - 1e-8: atanh(1 - 1e-8) = 9.5567...
SATURATION_Z = math.atanh(1.0 - 1e-8)
#: Target working memory of one chunk of the batched evaluations on the host (a block of
#: networks, and of directions for the R-pass of :meth:`MLP.hvp` and :meth:`MLP.hessian`): the
#: passes are memory-bound, and chunks that stay in cache were the fastest (measured at n =
#: 1000, m = 200 on a 2-core x86 host: 2-4 MiB blocks 2-4x faster than 16-64 MiB ones; and
#: on the issue-20 benchmark, a whole batch of 8 networks x 32 directions in one pass, 32 MiB
#: per temporary, was 1.8-2.3x slower than a loop over single networks; in the chunked
#: direction-major R-pass, 8 MiB chunks reached 0.46-0.54 of a 1024 GEMM at h = 16-256, 32
#: directions, against 0.43-0.51 at 4 MiB and 0.42-0.55 at 16 MiB, in CPU time; re-measured
#: with the malloc settings of :func:`rmtland._backend.tune_host_allocator` over 2-64 MiB at
#: h = 16, 64, 256: 8 MiB within 4% of the best for one product and blocks of 32, while dense
#: Hessians ran 3-6% faster at 16-64 MiB). Those chunks were counted with 6 arrays per unit
#: and direction, 2-3x what the R-pass holds; counted as it runs (:meth:`MLP.nbytes`, with
#: the forward pass), 4, 8, 12 and 16 MiB ran within the host's noise of one another at
#: h = 64, 256 (one product, blocks of 32, dense Hessians; two rounds, +-8%). On a GPU the
#: chunk is the planning budget of :func:`rmtland.linalg.dense.memory_budget` (one pass).
HESSIAN_BLOCK_BYTES = 8 << 20


def _activation(name, z, xp, second):
    r"""``(sigma(z), sigma'(z), q(z) or None)``, elementwise, dtype of ``z``, where ``q`` is
    the factor with :math:`\sigma'' = \sigma' q`, in closed form without a division:
    :math:`-2\tanh z` for tanh, :math:`1 - \mathrm{sigmoid}(z)` for softplus (the R-pass
    forms :math:`(\delta W)\odot\sigma''\odot\mathcal R\{z\}` as
    :math:`\mathcal R\{a\}\odot p`, from the :math:`\mathcal R\{a\} =
    \sigma'\odot\mathcal R\{z\}` it forms anyway and the point term :math:`p = (\delta
    W)\odot q`: one pass fewer than holding sigma''). For the piecewise-linear activations sigma'' is 0 almost
    everywhere and q is returned as None (the R-pass then drops its term); sigma'(0) = 0 for
    ReLU and LEAKY_SLOPE for leaky ReLU."""
    if name == "tanh":
        t = xp.tanh(z)
        d1 = t * t
        xp.subtract(1.0, d1, out=d1)
        return t, d1, (-2.0 * t if second else None)
    if name == "softplus":                     # log(1 + e^z) = max(z, 0) + log1p(e^-|z|)
        s = xp.abs(z)                          # in place: one array at a time beside z
        xp.negative(s, out=s)
        xp.exp(s, out=s)
        xp.log1p(s, out=s)
        s += xp.maximum(z, 0.0)
        u = 0.5 * z                            # sigmoid(z) = (1 + tanh(z/2)) / 2
        xp.tanh(u, out=u)
        d1 = 1.0 + u
        d1 *= 0.5
        if not second:
            return s, d1, None
        xp.subtract(1.0, u, out=u)
        u *= 0.5
        return s, d1, u
    if name == "relu":
        return xp.maximum(z, 0.0), (z > 0).astype(z.dtype), None
    if name == "leaky_relu":
        d1 = xp.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype)
        return z * d1, d1, None
    return z, xp.ones_like(z), None


class _Cache:
    """Forward pass of a batch: activations ``a[0..D]`` (``a[0] = X``, ``a[D] = f``),
    hidden pre-activations ``z``, ``d1 = sigma'(z)``, ``d2 = sigma''(z)/sigma'(z)`` (the
    ``q`` of :func:`_activation`; None when sigma'' = 0 a.e., and for tanh's first layer,
    whose :math:`q = -2 a_1` is read from ``a``), and the output
    quantities ``r`` (residual), ``P`` (softmax probabilities or None), ``c`` (prefactor)."""

    def __init__(self, xp, layers, a, z, d1, d2):
        self.xp, self.layers, self.a, self.z, self.d1, self.d2 = xp, layers, a, z, d1, d2
        self.r = self.P = self.c = self.loss = None
        self.delta = self.p = None              # the R-pass's point terms (MLP._point_terms)

    @property
    def shape(self):
        B, m, _ = self.a[-1].shape
        return B, m

    def take(self, s):
        """The cache of the networks ``s`` (a slice): views, no copies."""
        def cut(items):
            return None if items is None else [None if u is None else u[s] for u in items]
        part = _Cache(self.xp, [(W[s], None if b is None else b[s]) for W, b in self.layers],
                      cut(self.a), cut(self.z), cut(self.d1), cut(self.d2))
        part.r, part.P, part.c, part.loss = (None if self.r is None else self.r[s],
                                             None if self.P is None else self.P[s], self.c,
                                             None if self.loss is None else self.loss[s])
        part.delta, part.p = cut(self.delta), cut(self.p)
        return part


class _Point:
    r"""Repeated :math:`\mathcal R` products at one point (``theta``, ``X``, ``Y``, ``part``):
    the forward pass and the back-propagated residuals (:meth:`MLP._point_terms`) once, then
    only the direction-dependent work per product (:meth:`hvp`), with the numbers of
    :meth:`MLP.hvp`. Made by :meth:`MLP._prepare`; holds about the forward pass's memory
    (:meth:`MLP.nbytes` with ``r = 0``) between products."""

    def __init__(self, model, xp, cache, part, dtype):
        self.model, self.xp, self.cache, self.part, self.dtype = model, xp, cache, part, dtype
        if part != "H0":
            model._point_terms(cache)
        self.B, self.m = cache.shape
        self._plans = {}                        # r -> the chunk plan of MLP._rpass_plan

    def hvp(self, V):
        """``H V`` for ``V`` of shape ``(B, n, r)`` (unchecked: shapes and dtype are the
        caller's), a new ``(B, n, r)`` array."""
        B, n, r = V.shape
        out = self.xp.empty((B, n, r), dtype=self.dtype)
        if r not in self._plans:
            self._plans[r] = self.model._rpass_plan(self.xp, B, self.m, r, self.dtype.itemsize)
        nets, cols = self._plans[r]
        for s in nets:
            cache = self.cache if B == 1 else self.cache.take(s)
            self.model._products(cache, V[s], self.part, out[s], cols)
        return out


class MLP:
    r"""A fully connected network shape; methods act on batches ``theta`` of shape ``(B, n)``.

    Parameters
    ----------
    widths : sequence of int >= 1, length >= 2
        ``[d_in, h_1, ..., h_{D-1}, k]``: input size, hidden widths, number of outputs ``k``.
        Length 2 is a single linear layer ``f = W x (+ b)``.
    activation : {"tanh", "softplus", "linear", "relu", "leaky_relu"}
        Hidden nonlinearity (the output layer is linear). For the piecewise-linear ones
        (:data:`PIECEWISE_LINEAR`) :math:`H` and :math:`H_1` are the almost-everywhere
        Hessians (:math:`\sigma'' = 0`; the Hessian on the open region of fixed activation
        pattern containing :math:`\theta`; convention :math:`\sigma'(0) = 0` for ReLU on the
        measure-zero kink set; module notes).
    bias : bool
        Biases in every layer (default False, PB17's setting).
    loss : {"squared", "softmax"}
        Squared loss :math:`\frac{1}{2km}\sum_i\|f(x_i)-y_i\|^2`, or softmax cross-entropy
        :math:`\frac1m\sum_i \mathrm{CE}(f(x_i), y_i)` (needs ``k >= 2``).
    dtype : {"float64", "float32"}
        dtype of :meth:`init`; the other methods follow the dtype of ``theta``.

    Attributes
    ----------
    widths, activation, bias, dtype, depth (number of layers D), d_in, k, n_params;
    loss_kind (the ``loss`` argument; ``loss`` is the method).

    Notes
    -----
    The module docstring states the conventions: parameter layout, the normalisation of
    :math:`L`, :math:`H_0`, :math:`H_1` (DESIGN.md / PB17 Sec. 2), and the algorithms.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, ICML 2017, PMLR 70:2798–2806, Sec. 2.
    .. [2] B. A. Pearlmutter, Neural Computation 6(1), 147–160 (1994),
       doi:10.1162/neco.1994.6.1.147.
    .. [3] N. N. Schraudolph, Neural Computation 14(7), 1723–1738 (2002),
       doi:10.1162/08997660260028683.
    """

    def __init__(self, widths, activation="tanh", bias=False, loss="squared", dtype="float64"):
        if isinstance(widths, (str, bytes)) or not hasattr(widths, "__len__"):
            raise InputError(f"widths must be a sequence of integers >= 1 "
                             f"[d_in, h_1, ..., k] of length >= 2, got {widths!r}")
        if len(widths) < 2:
            raise InputError(f"widths must have length >= 2 ([d_in, ..., k]: at least one "
                             f"layer), got {list(widths)!r}")
        self.widths = tuple(_validate.integer(f"widths[{i}]", w, 1)
                            for i, w in enumerate(widths))
        if activation not in ACTIVATIONS:
            raise InputError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if loss not in LOSSES:
            raise InputError(f"loss must be one of {LOSSES}, got {loss!r}")
        if not isinstance(bias, (bool, np.bool_)):
            raise InputError(f"bias must be True or False, got {bias!r}")
        self.activation, self.loss_kind, self.bias = activation, loss, bool(bias)
        self.dtype = _validate.float_dtypes(dtype)[0].__name__
        self.depth = len(self.widths) - 1
        self.d_in, self.k = self.widths[0], self.widths[-1]
        if loss == "softmax" and self.k < 2:
            raise InputError(f"loss='softmax' needs k = widths[-1] >= 2 outputs, got k={self.k}")
        self._sizes = [(h, hp) for hp, h in zip(self.widths[:-1], self.widths[1:])]
        self.n_params = sum(h * hp + (h if self.bias else 0) for h, hp in self._sizes)

    def __repr__(self):
        return (f"MLP(widths={list(self.widths)}, activation={self.activation!r}, "
                f"bias={self.bias}, loss={self.loss_kind!r}, dtype={self.dtype!r})")

    def phi(self, m):
        r""":math:`\varphi = n/(km)`, the Marchenko–Pastur ratio of :math:`H_0` with ``m``
        samples (PB17 Sec. 2; DESIGN.md)."""
        return self.n_params / (self.k * _validate.integer("m", m, 1))

    # ------------------------------------------------------------------ parameters

    def unflatten(self, theta):
        """``[(W_1, b_1), ..., (W_D, b_D)]`` of a batch ``theta`` ``(B, n)``: ``W_l`` of shape
        ``(B, h_l, h_{l-1})``, ``b_l`` of shape ``(B, h_l)`` or None without biases. Views of
        ``theta`` where the layout allows."""
        theta = self._theta(array_namespace(theta), theta)[1]
        return self._unflatten(theta)

    def _unflatten(self, theta):
        B, out, o = theta.shape[0], [], 0
        for h, hp in self._sizes:
            W = theta[:, o:o + h * hp].reshape(B, h, hp)
            o += h * hp
            b = None
            if self.bias:
                b, o = theta[:, o:o + h], o + h
            out.append((W, b))
        return out

    def flatten(self, layers):
        """Inverse of :meth:`unflatten`: ``theta`` ``(B, n)`` from ``[(W_l, b_l), ...]``."""
        xp = array_namespace(*[w for pair in layers for w in pair if w is not None])
        if len(layers) != self.depth:
            raise InputError(f"layers must hold {self.depth} (W, b) pairs, got {len(layers)}")
        B, pieces = layers[0][0].shape[0], []
        for l, ((W, b), (h, hp)) in enumerate(zip(layers, self._sizes)):
            if tuple(W.shape) != (B, h, hp):
                raise InputError(f"layers[{l}] W must have shape {(B, h, hp)}, got {W.shape}")
            pieces.append(W.reshape(B, h * hp))
            if self.bias:
                if b is None or tuple(b.shape) != (B, h):
                    raise InputError(f"layers[{l}] b must have shape {(B, h)}")
                pieces.append(b)
        return xp.concatenate(pieces, axis=1)

    def init(self, batch, rng=None, device="cpu", scale=1.0):
        r"""``batch`` networks at a LeCun-normal initialisation.

        :math:`W_l` has i.i.d. :math:`N(0, \mathrm{scale}^2/h_{l-1})` entries (fan-in
        :math:`h_{l-1}`; LeCun et al. 1998, "Efficient BackProp"); biases are 0.

        Parameters
        ----------
        batch : int >= 1
        rng : None, int, SeedSequence or Generator
            Through :func:`rmtland._seeds.generator` (one Generator of the device's backend).
        device : {"cpu", "gpu", "auto"}
        scale : float > 0
            Multiplies the standard deviation.

        Returns
        -------
        theta : xp array ``(batch, n_params)`` of dtype ``self.dtype``.

        Raises
        ------
        InputError
            Before allocating, naming the widths, when :meth:`nbytes` ``(batch)`` exceeds the
            memory budget (:func:`rmtland.linalg.dense.require_memory`).
        """
        batch = _validate.integer("batch", batch, 1)
        scale = _validate.positive("scale", scale)
        xp = get_xp(device)
        self._require(xp, self.nbytes(batch),
                      f"the parameters of {batch} networks of widths {list(self.widths)} "
                      f"({self.n_params} parameters each, {self.dtype})",
                      blame="the widths or batch")
        gen = _seeds.generator(rng, xp)
        std = []
        for h, hp in self._sizes:
            std.append(xp.full(h * hp, scale / math.sqrt(hp), dtype=self.dtype))
            if self.bias:
                std.append(xp.zeros(h, dtype=self.dtype))
        theta = gen.standard_normal((batch, self.n_params), dtype=self.dtype)
        return theta * xp.concatenate(std)[None, :]

    # ------------------------------------------------------------------ memory

    def nbytes(self, batch=1, m=0, r=0, dtype=None):
        r"""Estimated peak working memory, in bytes, of one batched evaluation of ``batch``
        networks on ``m`` samples with ``r`` directions (:meth:`hvp` columns; 0 for the loss
        and the gradient): the parameters and one result (:math:`2Bn + n`, also what
        :meth:`init` needs with ``m = 0``), the forward pass
        (:math:`Bm(4\sum_l h_l + \max_l h_l + ck)`: activations, pre-activations and two
        derivatives per hidden unit, one array of the widest hidden layer while the
        activation or the back-propagated residual is formed, and ``c = 3`` arrays per
        output for the squared loss, ``c = 5`` for the softmax) and, per direction, the
        :math:`\mathcal R` pass (:math:`Bm(\sum_{l\ge1} h_l + \max_l(h_l + 2h_{l-1},
        c'k)) + 5Bn`, ``c' = 1`` for the squared loss, 3 for the softmax), each times the
        itemsize of ``dtype`` (default the model's). The dense products (:meth:`hessian`,
        :meth:`jacobian`, :meth:`gauss_newton`) add their ``B n^2`` or ``B m k n`` outputs and
        check those themselves. An upper bound of what the engine allocates, within 1.5x of
        it per direction: checked against NumPy's allocations (``tracemalloc``) in
        ``tests/test_networks_memory.py``.

        One function for the API and the experiments layer: refuse a run whose
        ``model.nbytes(batch, m)`` exceeds the memory budget
        (:func:`rmtland.linalg.dense.require_memory`) before anything is allocated.
        """
        return self._bytes(_validate.integer("batch", batch, 1), _validate.integer("m", m, 0),
                           _validate.integer("r", r, 0), np.dtype(dtype or self.dtype).itemsize)

    def _bytes(self, B, m, r, item):
        """:meth:`nbytes` of checked integers and an itemsize."""
        n, hidden = self.n_params, self.widths[1:-1]
        forward = (4 * sum(hidden) + max(hidden, default=0)
                   + (5 if self.loss_kind == "softmax" else 3) * self.k) * B * m
        return item * (2 * B * n + n + forward + r * self._per_direction(B, m))

    def _working_bytes(self, xp, B, m, r, dtype):
        """Peak memory of one checked call, as the engine runs it: :meth:`nbytes` of the whole
        batch at once, or, when less, the parameters, the directions, the result and one chunk
        (:meth:`_budget`, at least one network with one direction): the chunks of
        :meth:`_net_chunks` and :meth:`_rpass_plan` go through one at a time."""
        item, n = np.dtype(dtype).itemsize, self.n_params
        chunked = item * (2 * B * n + n + 2 * B * n * r) + max(
            self._budget(xp), self._bytes(1, m, min(r, 1), item))
        return min(self._bytes(B, m, r, item), chunked)

    def _per_direction(self, B, m):
        """Elements of the R-pass per direction (one column of :meth:`hessian`), counted from
        :meth:`_rpass`: ``R{z_l}`` of every layer (``R{a_l}`` is formed in their memory);
        at the widest step of the back-propagation, ``R{delta_l}``, the new
        ``R{delta_{l-1}}`` and one product beside it (``h_l + 2 h_{l-1}`` per sample), or at
        the output ``R{delta}`` (``k``; ``3 k`` for :meth:`_lam` of the softmax); and ``5 n``: the
        direction, its transposed copy, its product, two weight blocks and NumPy's
        finiteness flags. Checked against NumPy's allocations (``tracemalloc``) in
        ``tests/test_networks_memory.py``."""
        w = self.widths
        out = (3 if self.loss_kind == "softmax" else 1) * w[-1]
        back = max([out] + [w[l] + 2 * w[l - 1] for l in range(2, len(w))])
        return B * m * (sum(w[1:]) + back) + 5 * B * self.n_params

    def _require(self, xp, nbytes, what, blame="batch, the samples or the widths"):
        require_memory(xp, nbytes, blame, what)

    # ------------------------------------------------------------------ input checks
    # Public methods check their inputs once (shapes here, values in one fused reduction:
    # one device -> host sync per call); the ``_unchecked_*`` methods, for the inner loops of
    # the trainer, the critical-point finder and the operators, check shapes only, never
    # values (no sync).

    def _theta(self, xp, theta):
        if not hasattr(theta, "shape"):
            try:
                theta = xp.asarray(theta, dtype=self.dtype)
            except (TypeError, ValueError):
                raise InputError("theta must be an array of real numbers of shape "
                                 f"(B, {self.n_params})") from None
        if theta.ndim != 2 or theta.shape[1] != self.n_params or theta.shape[0] < 1:
            raise InputError(f"theta must have shape (B, n_params) = (B, {self.n_params}) "
                             f"with B >= 1, got {tuple(theta.shape)}")
        if theta.dtype not in (np.float32, np.float64):
            raise InputError(f"theta must be float32 or float64, got {theta.dtype}")
        return xp, theta

    def _data(self, xp, arr, name, B, last, lastname, dtype, m=None):
        """``arr`` as ``(m, last)`` or ``(B, m, last)`` of ``dtype`` (shapes checked)."""
        if not hasattr(arr, "shape"):
            try:
                arr = xp.asarray(arr, dtype=dtype)
            except (TypeError, ValueError):
                raise InputError(f"{name} must be an array of real numbers") from None
        if arr.ndim not in (2, 3) or arr.shape[-1] != last or arr.shape[-2] < 1 or (
                arr.ndim == 3 and arr.shape[0] != B):
            raise InputError(f"{name} must have shape (m, {lastname}) or (B, m, {lastname}) = "
                             f"(m, {last}) or ({B}, m, {last}) with m >= 1, got "
                             f"{tuple(arr.shape)}")
        if m is not None and arr.shape[-2] != m:
            raise InputError(f"{name} must have as many rows (samples) as X: m = {m}, got "
                             f"{name}.shape = {tuple(arr.shape)}")
        if arr.dtype.kind not in "fiub":
            raise InputError(f"{name} must be real, got dtype {arr.dtype}")
        return arr.astype(dtype, copy=False)

    def _inputs(self, theta, X, Y=None, V=None, check=True, r=0):
        """``(xp, theta, X, Y, V)``: shapes and dtypes checked, ``X``/``Y`` broadcast to
        ``(B, m, .)`` views; with ``check``, also the memory of :meth:`nbytes` and every value
        (finite; probability rows of ``Y`` for the softmax loss) in one fused reduction."""
        xp = array_namespace(*[a for a in (theta, X, Y, V) if a is not None])
        if xp is np:
            tune_host_allocator()
        xp, theta = self._theta(xp, theta)
        B, dt = theta.shape[0], theta.dtype
        X = self._data(xp, X, "X", B, self.d_in, "d_in", dt)
        m = X.shape[-2]
        if Y is not None:
            Y = self._data(xp, Y, "Y", B, self.k, "k", dt, m=m)
        if V is not None:
            V = self._vectors(xp, V, B, dt)
        if check:
            r = r or (0 if V is None else (V.shape[2] if V.ndim == 3 else 1))
            self._require(xp, self._working_bytes(xp, B, m, r, dt),
                          lambda: f"{B} networks of widths {list(self.widths)} on {m} samples"
                          + (f" with {r} directions" if r else ""))
            self._check_values(xp, theta, X, Y, V)
        return xp, theta, _batch_view(xp, X, B), _batch_view(xp, Y, B), V

    def _check_values(self, xp, theta, X, Y, V):
        """Every value check with one device -> host transfer (on the host, NumPy's booleans
        as they are)."""
        names, flags = [], []
        for name, arr in (("theta", theta), ("X", X), ("Y", Y), ("V", V)):
            if arr is not None:
                names.append(f"{name} must contain only finite numbers")
                flags.append(xp.isfinite(arr).all())
        if Y is not None and self.loss_kind == "softmax":
            tol = math.sqrt(float(np.finfo(theta.dtype).eps))
            names.append("Y must hold probability rows for loss='softmax' (entries >= 0, each "
                         f"row summing to 1 within {tol:.1e})")
            flags.append(xp.all(Y >= 0) & xp.all(xp.abs(Y.sum(axis=-1) - 1.0) <= tol))
        ok = flags if xp is np else to_numpy(xp.stack(flags))
        for good, message in zip(ok, names):
            if not good:
                raise InputError(message)

    def _vectors(self, xp, V, B, dt):
        if not hasattr(V, "shape"):
            try:
                V = xp.asarray(V, dtype=dt)
            except (TypeError, ValueError):
                raise InputError("V must be an array of real numbers") from None
        n = self.n_params
        if V.ndim not in (2, 3) or V.shape[0] != B or V.shape[1] != n or (
                V.ndim == 3 and V.shape[2] < 1):
            raise InputError(f"V must have shape (B, n) or (B, n, r) = ({B}, {n}) or "
                             f"({B}, {n}, r) with r >= 1, got {tuple(V.shape)}")
        if V.dtype.kind not in "fiub":
            raise InputError(f"V must be real, got dtype {V.dtype}")
        return V.astype(dt, copy=False)

    def _second_order(self, part):
        if part not in PARTS:
            raise InputError(f"part must be one of {PARTS}, got {part!r}")

    # ------------------------------------------------------------------ forward pass

    def _forward(self, xp, theta, X, second=False):
        layers = self._unflatten(theta)
        a, z, d1, d2 = [X], [], [], []
        for l, (W, b) in enumerate(layers):
            zl = a[-1] @ W.swapaxes(1, 2)
            if b is not None:
                zl += b[:, None, :]
            if l == self.depth - 1:
                a.append(zl)
                break
            s, s1, s2 = _activation(self.activation, zl, xp,
                                    second and not self._q_from_a(l))
            a.append(s)
            z.append(zl)
            d1.append(s1)
            d2.append(s2)
        return _Cache(xp, layers, a, z, d1, d2)

    def _output(self, cache, Y, loss=False):
        """Fill ``cache.r``, ``cache.P``, ``cache.c`` from the targets, and with ``loss``
        ``cache.loss`` (the products and the gradient do not read it)."""
        xp, f = cache.xp, cache.a[-1]
        B, m = cache.shape
        if self.loss_kind == "squared":
            cache.c = 1.0 / (self.k * m)
            cache.r = f - Y
            if loss:
                cache.loss = (0.5 * cache.c) * (cache.r * cache.r).sum(axis=(1, 2))
        else:
            cache.c = 1.0 / m
            fmax = f.max(axis=-1, keepdims=True)
            e = xp.exp(f - fmax)
            s = e.sum(axis=-1, keepdims=True)
            e /= s
            cache.P = e
            cache.r = cache.P - Y
            if loss:
                lse = (fmax + xp.log(s))[..., 0]
                cache.loss = cache.c * (lse - (Y * f).sum(axis=-1)).sum(axis=1)
        return cache

    def _point_terms(self, cache):
        r"""The terms of the R-pass that depend on the point only, once per cache (the
        products of :meth:`hessian` blocks and of a :class:`_Point` share them):
        ``cache.delta[l]`` = :math:`\delta_l` (``c r`` for the output layer, then
        :math:`(\delta_{l+1} W_{l+1})\odot\sigma'(z_l)`, ``(B, m, h_l)``, ``l = 1..D-1``) and
        ``cache.p[l-1]`` = :math:`(\delta_l W_l)\odot q(z_{l-1})`, so that
        :math:`(\delta_l W_l)\odot\sigma''(z_{l-1}) = \sigma'(z_{l-1})\odot p_{l-1}` (None
        where :math:`\sigma'' = 0`). :math:`\delta_0` is not formed (no weight block reads
        it). For tanh, :math:`p_0 = (\delta_1 (-2 W_1))\odot a_1` (:math:`q = -2\tanh z_0 =
        -2 a_1`), the factor on the weights rather than a pass over the hidden array. The
        R-pass reads neither ``z``, ``q`` nor ``r`` after this, so they are dropped:
        the cache holds no more arrays than the forward pass of :meth:`nbytes` (four per
        hidden unit, three per output)."""
        if cache.delta is not None:
            return
        delta = cache.c * cache.r
        cache.delta, cache.p = [None] * self.depth, [None] * self.depth
        for l in range(self.depth - 1, 0, -1):
            cache.delta[l] = delta
            W = cache.layers[l][0]
            if self._q_from_a(l - 1):                                # q_0 = -2 a_1
                p = delta @ (-2.0 * W)
                p *= cache.a[1]
                cache.p[0] = p
                break
            back = delta @ W                                          # (B, m, h_{l-1})
            q = cache.d2[l - 1]
            if q is not None:                                         # sigma'' = sigma' q:
                q *= back                                             # p in q's memory
                cache.p[l - 1] = q
            cache.z[l - 1] = cache.d2[l - 1] = None                   # read no more
            if l > 1:
                back *= cache.d1[l - 1]
                delta = back
        cache.z = cache.d2 = cache.r = None

    def _q_from_a(self, l):
        """Whether hidden layer ``l``'s ``q`` is not held but read from ``a_{l+1}``: tanh's
        first layer (:math:`q = -2\tanh z_0 = -2 a_1`, the factor put on ``W_1`` by
        :meth:`_point_terms`, so the forward pass spends no pass on it)."""
        return l == 0 and self.activation == "tanh"

    def _lam(self, cache, U):
        """:math:`\\Lambda_i U` for ``U`` of shape ``(B, r, m, k)``."""
        if self.loss_kind == "squared":
            return U
        P = cache.P[:, None]
        return P * (U - (P * U).sum(axis=-1, keepdims=True))

    # ------------------------------------------------------------------ chunks

    def _budget(self, xp):
        """Bytes of one chunk: :data:`HESSIAN_BLOCK_BYTES` on the host, the planning budget on
        a GPU."""
        return HESSIAN_BLOCK_BYTES if xp is np else memory_budget(xp)[0]

    def _net_chunks(self, xp, B, per_network):
        """Slices of the ``B`` networks, each holding about :meth:`_budget` bytes at
        ``per_network`` bytes per network (at least one network per chunk). Every network is
        computed alone in each batched call (one GEMM per network and layer, elementwise
        work, reductions over its own axes), so the results do not depend on the chunks."""
        step = int(max(1, min(B, self._budget(xp) // max(1, per_network))))
        return [slice(s, min(s + step, B)) for s in range(0, B, step)]

    # ------------------------------------------------------------------ first order

    def forward(self, theta, X):
        """Outputs :math:`f(x_i)` of every network: ``(B, m, k)``."""
        xp, theta, X, _, _ = self._inputs(theta, X)
        return self._forward(xp, theta, X).a[-1]

    def loss(self, theta, X, Y):
        """Loss :math:`L` of every network, ``(B,)`` (normalisation of the module notes)."""
        return self._loss(*self._inputs(theta, X, Y)[:4])

    def _unchecked_loss(self, theta, X, Y):
        """:meth:`loss` without the value checks (no device sync): for inner loops whose
        inputs were checked once; non-finite inputs give non-finite losses."""
        return self._loss(*self._inputs(theta, X, Y, check=False)[:4])

    def _unchecked_preactivations(self, theta, X):
        """Hidden pre-activations ``[z_1, ..., z_{D-1}]``, each ``(B, m, h_l)``, without the
        value checks (no device sync)."""
        xp, theta, X, _, _ = self._inputs(theta, X, check=False)
        return self._forward(xp, theta, X).z

    def _loss(self, xp, theta, X, Y):
        B, m = theta.shape[0], X.shape[1]
        chunks = self._net_chunks(xp, B, self.nbytes(1, m, dtype=theta.dtype))
        if len(chunks) == 1:
            return self._output(self._forward(xp, theta, X), Y, loss=True).loss
        return xp.concatenate([self._output(self._forward(xp, theta[c], X[c]), Y[c],
                                            loss=True).loss for c in chunks])

    def residuals(self, theta, X, Y):
        r"""Residuals :math:`r_i = \partial\ell_i/\partial f`, ``(B, m, k)``: :math:`f - y`
        (squared), :math:`\mathrm{softmax}(f) - y` (softmax). Note :math:`\nabla L =
        c\sum_i J_i^\top r_i`."""
        xp, theta, X, Y, _ = self._inputs(theta, X, Y)
        return self._output(self._forward(xp, theta, X), Y).r

    def output_curvature(self, theta, X, Y):
        r""":math:`\Lambda_i = \partial^2\ell_i/\partial f^2`, ``(B, m, k, k)``: the identity
        (squared), :math:`\mathrm{diag}(p_i) - p_i p_i^\top` (softmax)."""
        xp, theta, X, Y, _ = self._inputs(theta, X, Y)
        B, m = theta.shape[0], X.shape[1]
        require_memory(xp, 2 * B * m * self.k ** 2 * theta.dtype.itemsize,
                       "batch, m or k", f"the output curvatures ({B} x {m} x {self.k}^2)")
        cache = self._output(self._forward(xp, theta, X), Y)
        eye = xp.eye(self.k, dtype=theta.dtype)
        if self.loss_kind == "squared":
            return xp.zeros((B, m, self.k, self.k), dtype=theta.dtype) + eye
        P = cache.P
        return P[..., :, None] * (eye - P[..., None, :])

    def gradient(self, theta, X, Y):
        r""":math:`\nabla_\theta L` by back-propagation, ``(B, n)``."""
        return self._gradient(*self._inputs(theta, X, Y)[:4])

    def _unchecked_gradient(self, theta, X, Y):
        """:meth:`gradient` without the value checks (no device sync)."""
        return self._gradient(*self._inputs(theta, X, Y, check=False)[:4])

    def _gradient(self, xp, theta, X, Y):
        B, m = theta.shape[0], X.shape[1]
        chunks = self._net_chunks(xp, B, self.nbytes(1, m, dtype=theta.dtype))
        if len(chunks) == 1:
            return self._gradient_of(xp, theta, X, Y)
        return xp.concatenate([self._gradient_of(xp, theta[c], X[c], Y[c]) for c in chunks])

    def _gradient_of(self, xp, theta, X, Y):
        cache = self._output(self._forward(xp, theta, X), Y)
        delta = cache.c * cache.r
        pieces = []
        for l in range(self.depth - 1, -1, -1):
            W, b = cache.layers[l]
            B, h, hp = W.shape
            if self.bias:
                pieces.append(delta.sum(axis=1))
            pieces.append(sum_outer(delta, cache.a[l]).reshape(B, h * hp))
            if l:
                delta = delta @ W
                delta *= cache.d1[l - 1]                # in the GEMM's output
        return xp.concatenate(pieces[::-1], axis=1)

    def jacobian(self, theta, X):
        r"""Jacobian of the outputs, ``(B, m*k, n)``; row ``i*k + o`` is
        :math:`\partial f_o(x_i)/\partial\theta`. Memory ``B m k n``."""
        xp, theta, X, _, _ = self._inputs(theta, X)
        B, m = theta.shape[0], X.shape[1]
        k, n, dt = self.k, self.n_params, theta.dtype
        require_memory(xp, 2 * B * m * k * n * dt.itemsize, "batch, m or the widths",
                       f"the Jacobian ({B} x {m * k} x {n})")
        return self._jacobian(xp, self._forward(xp, theta, X)).reshape(B, m * k, n)

    def _jacobian(self, xp, cache):
        """``(B, m, k, n)``: back-propagation of the ``k`` unit cotangents of each sample."""
        B, m = cache.shape
        k = self.k
        dt = cache.a[-1].dtype
        delta = xp.zeros((B, m, k, k), dtype=dt) + xp.eye(k, dtype=dt)   # (B, m, o, h_D)
        pieces = []
        for l in range(self.depth - 1, -1, -1):
            W, _ = cache.layers[l]
            h, hp = W.shape[1:]
            if self.bias:
                pieces.append(delta)
            pieces.append((delta[..., :, None] * cache.a[l][:, :, None, None, :])
                          .reshape(B, m, k, h * hp))
            if l:
                delta = (delta.reshape(B, m * k, h) @ W).reshape(B, m, k, hp) \
                    * cache.d1[l - 1][:, :, None, :]
        return xp.concatenate(pieces[::-1], axis=-1)

    def saturation(self, theta, X):
        r"""Signs of "minima at infinity": ``(zmax, count)``, each ``(B,)``.

        ``zmax`` is the largest :math:`|z|` over every hidden pre-activation and sample (0
        for a single-layer network); ``count`` (int64) is the number of (sample, hidden unit)
        pairs with :math:`|\tanh z| > 1 - 10^{-8}`, i.e. :math:`|z| >` ``SATURATION_Z`` =
        atanh(1 - 1e-8) ≈ 9.557 (tested on ``z``, so float32 counts the same); always 0 for
        activations other than ``"tanh"``.
        """
        xp, theta, X, _, _ = self._inputs(theta, X)
        cache = self._forward(xp, theta, X)
        B = theta.shape[0]
        zmax = xp.zeros(B, dtype=theta.dtype)
        count = xp.zeros(B, dtype=xp.int64)
        for z in cache.z:
            az = xp.abs(z)
            zmax = xp.maximum(zmax, az.max(axis=(1, 2)))
            if self.activation == "tanh":
                count = count + (az > SATURATION_Z).sum(axis=(1, 2)).astype(xp.int64)
        return zmax, count

    # ------------------------------------------------------------------ second order

    def gauss_newton(self, theta, X, Y):
        r"""Dense :math:`H_0 = c\sum_i J_i^\top\Lambda_i J_i`, ``(B, n, n)``, exactly symmetric.

        Built from the Jacobian: cost :math:`O(B\,m\,k\,n^2)`, memory ``B (m k + n) n``. An
        independent route to ``hessian(..., part="H0")``. Allowed for every activation.
        """
        xp, theta, X, Y, _ = self._inputs(theta, X, Y)
        B, m = theta.shape[0], X.shape[1]
        k, n, dt = self.k, self.n_params, theta.dtype
        require_memory(xp, (2 * m * k + 2 * n) * n * B * dt.itemsize, "batch, m or the widths",
                       f"the Jacobian and H0 ({B} x {m * k} x {n}, {B} x {n} x {n})")
        cache = self._output(self._forward(xp, theta, X), Y)
        J = self._jacobian(xp, cache)                          # (B, m, k, n)
        LJ = J
        if self.loss_kind == "softmax":
            P = cache.P[..., None]
            LJ = P * (J - (P * J).sum(axis=2, keepdims=True))
        H0 = LJ.reshape(B, m * k, n).swapaxes(1, 2) @ J.reshape(B, m * k, n)
        return (0.5 * cache.c) * (H0 + H0.swapaxes(1, 2))

    def hvp(self, theta, X, Y, V, part="H"):
        r"""Matrix-free :math:`H V` (or :math:`H_0 V`, :math:`H_1 V`) for ``V`` of shape
        ``(B, n)`` or ``(B, n, r)``; the result has the shape of ``V``.

        One forward pass, one forward-mode :math:`\mathcal R` pass (:math:`JV`) and one
        back-propagation of the :math:`\mathcal R`-derivatives (Pearlmutter 1994;
        Schraudolph 2002 for :math:`H_0`; formulas in the module notes). Neither :math:`J`
        nor :math:`H` is formed: the networks and directions go through in cache-sized
        chunks (:data:`HESSIAN_BLOCK_BYTES`; one pass on a GPU), working memory about
        :data:`HESSIAN_BLOCK_BYTES` beside the ``B n r`` result, cost about
        :math:`6\,B\,m\,r\sum_l h_l h_{l-1}` multiply-adds (a few forward passes per column).

        Parameters
        ----------
        part : {"H", "H0", "H1"}
            For piecewise-linear activations, the almost-everywhere Hessian (module notes).
        """
        self._second_order(part)
        return self._hvp_of(*self._inputs(theta, X, Y, V), part)

    def _unchecked_hvp(self, theta, X, Y, V, part="H"):
        """:meth:`hvp` without the value checks (no device sync)."""
        self._second_order(part)
        return self._hvp_of(*self._inputs(theta, X, Y, V, check=False), part)

    def _hvp_of(self, xp, theta, X, Y, V, part):
        vec = V.ndim == 2
        V = V[:, :, None] if vec else V
        B, n, r = V.shape
        m = X.shape[1]
        out = xp.empty((B, n, r), dtype=theta.dtype)
        nets, cols = self._rpass_plan(xp, B, m, r, theta.dtype.itemsize)
        for s in nets:
            cache = self._output(self._forward(xp, theta[s], X[s], second=part != "H0"), Y[s])
            self._products(cache, V[s], part, out[s], cols)
            del cache               # freed before the next chunk's forward pass, not after
        return out[:, :, 0] if vec else out

    def _products(self, cache, V, part, out, cols):
        """The R-pass of ``cache``'s networks on ``V`` ``(b, n, r)`` into ``out`` ``(b, n, r)``,
        ``cols`` directions at a time, transposed to ``(b, r, n)`` and back chunk by chunk (in
        cache); one direction (``r = 1``) needs no transposes, and ``out`` (which the callers
        allocate, contiguous) is written through its ``(b, 1, n)`` view."""
        xp, r = cache.xp, V.shape[2]
        if r == 1:                              # (b, n, 1) is (b, 1, n): no transposes
            return self._rpass(cache, V.reshape(V.shape[0], 1, -1), part,
                               out.reshape(out.shape[0], 1, -1))
        for j in range(0, r, cols):
            Vt = xp.ascontiguousarray(V[:, :, j:j + cols].swapaxes(1, 2))
            res = xp.empty(Vt.shape, dtype=out.dtype)
            self._rpass(cache, Vt, part, res)
            out[:, :, j:j + cols] = res.swapaxes(1, 2)

    def _prepare(self, theta, X, Y, part="H"):
        """A :class:`_Point` for repeated :meth:`hvp` products at ``theta`` on ``(X, Y)``
        (``theta`` ``(B, n)``): shapes and dtypes checked here, values and memory by the
        caller (:func:`rmtland.networks.operators.hessian_operator` checks them once, with
        :meth:`hvp`). The forward pass of all ``B`` networks is held; the products go
        through the chunks of :meth:`hvp`, so the numbers are those of :meth:`hvp`."""
        self._second_order(part)
        xp, theta, X, Y, _ = self._inputs(theta, X, Y, check=False)
        cache = self._output(self._forward(xp, theta, X, second=part != "H0"), Y)
        return _Point(self, xp, cache, part, theta.dtype)

    def _rpass_plan(self, xp, B, m, r, itemsize, cols=None):
        """``(network slices, directions per pass)``: as many directions of one network as
        fit :meth:`_budget` (at least one; ``cols`` when given), then, when a network's ``r``
        directions fit, as many networks as fit. Directions and networks are independent, so
        the results do not depend on the plan."""
        if cols is None:
            room = self._budget(xp) - self._bytes(1, m, 0, itemsize)
            cols = int(max(1, min(r, room // (self._per_direction(1, m) * itemsize))))
        return (self._net_chunks(xp, B, self._bytes(1, m, cols, itemsize)) if cols >= r else
                [slice(b, b + 1) for b in range(B)]), cols

    def hessian(self, theta, X, Y, part="H", block=None):
        r"""Dense Hessian (``part="H"``), :math:`H_0` or :math:`H_1`, ``(B, n, n)``, exactly
        symmetric (:math:`(A + A^\top)/2` of the assembled columns).

        Assembled from :meth:`hvp` applied to the columns of the identity, ``block`` columns
        at a time (default: as many as fit :data:`HESSIAN_BLOCK_BYTES` on the host, half the
        free memory's planning budget on a GPU) with one shared forward pass per chunk of
        networks (several networks per pass when all ``n`` columns of one fit; the numbers do
        not depend on the chunks or on ``block``). The columns' unit directions are put in
        place rather than multiplied (``a_l e^T`` and ``delta_l e`` are a column of ``a_l`` or
        ``delta_l``), the same numbers as :meth:`hvp` on the identity, bit for bit, except
        that in a narrow layer (``2 h_l <= h_{l-1}``) :meth:`hvp` forms ``Rdelta W + delta V``
        as one GEMM of depth ``2 h_l``, whose sums OpenBLAS may round in another order than
        the depth-``h_l`` GEMM here (seen with an odd number of samples: up to 0.7 units of
        rounding of the largest entry, ``part="H"``). Cost :math:`O(B\,m\,n\sum_l h_l h_{l-1}) \approx O(B\,m\,n^2)`
        (about 4 multiply-adds per sample and parameter per column), memory ``B n^2`` (the
        columns are assembled in the result and symmetrised there, tile by tile) and one
        block.

        Parameters
        ----------
        part : {"H", "H0", "H1"}
        block : int >= 1 or None
            Columns per :math:`\mathcal R` pass.
        """
        self._second_order(part)
        return self._hessian(*self._inputs(theta, X, Y)[:4], part, block)

    def _unchecked_hessian(self, theta, X, Y, part="H", block=None):
        """:meth:`hessian` without the value checks (no device sync); memory still checked."""
        self._second_order(part)
        return self._hessian(*self._inputs(theta, X, Y, check=False)[:4], part, block)

    def _hessian(self, xp, theta, X, Y, part, block):
        B, m = theta.shape[0], X.shape[1]
        n, dt = self.n_params, theta.dtype
        require_memory(xp, B * n * n * dt.itemsize, "batch or the widths",
                       f"the dense Hessians ({B} x {n} x {n})")
        if block is not None:
            block = min(_validate.integer("block", block, 1), n)
        nets, block = self._rpass_plan(xp, B, m, n, dt.itemsize, block)
        b = nets[0].stop - nets[0].start             # one chunk's networks, a tile each
        require_memory(xp, B * n * n * dt.itemsize + b * (
            self._bytes(1, m, block, dt.itemsize) + 2 * SYMMETRIZE_TILE ** 2 * dt.itemsize),
            "block or m", f"the dense Hessians ({B} x {n} x {n}) and a block of {block} "
            "columns")
        H = xp.empty((B, n, n), dtype=dt)
        for s in nets:          # row j of H[s]: H e_j (H^T, as assembled), then symmetrised
            cache = self._output(self._forward(xp, theta[s], X[s], second=part != "H0"), Y[s])
            for j in range(0, n, block):
                self._rpass(cache, None, part, H[s, j:j + block], unit=j)
            del cache               # freed before the tiles and the next chunk's forward pass
            _symmetrize(H[s])
        return H

    def _rpass(self, cache, Vt, part, out, unit=None):
        """The R-pass of the module notes for the directions ``Vt`` ``(B, r, n)`` (last axis
        contiguous), written into ``out`` ``(B, r, n)`` (row ``j``: the product with
        direction ``j``).

        Layout ``(B, r, m, h)`` (direction-major): every product is a GEMM on views, with no
        transposed copies, one per network and direction (``a_l V_l^T``, ``Rdelta_l^T a_l``,
        ``delta_l^T Ra_l``, ``delta_l V_l``, ``Ra_l W_l^T``, ``Rdelta_l W_l``), never one over
        several directions: OpenBLAS rounds a row of a GEMM differently by where it falls in
        the matrix (the rows of ``(r m, h)`` against ``r`` GEMMs of ``(m, h)`` differed in
        119 of 875 shapes, those with an odd ``m``), and the products must not depend on
        how many directions a pass holds (the chunk plan).  In a narrow layer
        (``2 h_l <= h_{l-1}``, the output layer of most networks) ``Rdelta_l W_l + delta_l
        V_l`` is one GEMM per direction, ``[Rdelta_l | delta_l] [W_l; V_l]`` of depth
        ``2 h_l``: the two thin operands are copied side by side (``2 h_l`` columns) rather
        than adding two wide ``(m, h_{l-1})`` products (measured: 3-6% off a product at
        h = 64-256, ``rmtland bench network``).

        ``unit=j``: the directions are the unit vectors ``e_j, ..., e_{j+r-1}`` (``Vt`` is
        None; ``r`` is that of ``out``), so ``a_l V_l^T`` and ``delta_l V_l`` are one column
        of ``a_l`` or ``delta_l`` put in place, or zero for a layer that holds none of the
        ``r`` parameters: the same numbers as the GEMMs (a product with a unit vector adds
        exact zeros), without their work (the dense Hessian of :meth:`hessian`). For the same
        reason ``R{a_1}`` has one non-zero column per direction (its unit ``u`` when the
        direction is a first-layer parameter, none otherwise), so its ``sigma'``, its
        ``p`` term and ``R{a_1} W_1^T`` (an outer product of that column with column ``u``
        of ``W_1``: one non-zero term per sum, hence the GEMM's number) are formed on those
        columns alone (dense Hessians 12% faster at h = 64)."""
        xp, layers, a = cache.xp, cache.layers, cache.a
        gn, res = part in ("H", "H0"), part in ("H", "H1")
        B, r, n = out.shape
        m = a[0].shape[1]
        dirs, slots, o = [], [], 0
        for h, hp in self._sizes:                  # V_l (B, r, h, hp), v_b (B, r, h): views
            dirs.append([Vt[:, :, o:o + h * hp].reshape(B, r, h, hp), None, None, None]
                        if unit is None else
                        [None, None, _unit_entries(xp, unit, r, o, h * hp, hp), None])
            slots.append([out[:, :, o:o + h * hp].reshape(B, r, h, hp), None])
            o += h * hp
            if self.bias:
                slots[-1][1] = out[:, :, o:o + h]
                if unit is None:
                    dirs[-1][1] = Vt[:, :, o:o + h]
                else:
                    dirs[-1][3] = _unit_entries(xp, unit, r, o, h, h)
                o += h
        # forward mode: Rz_l (B, r, m, h_l), Ra_l = R{a_l} (input of layer l) = Rz_{l-1} *
        # sigma', formed in Rz_{l-1}'s memory (in place: the tail below reads Ra_l, not Rz)
        Rz, Ra, one = [], [None], None
        for l, ((W, _), (VW, vb, e, eb)) in enumerate(zip(layers, dirs)):
            h, hp = self._sizes[l]
            if l == 1 and one is not None:         # unit directions: R{a_1} has one column
                J, U = one                         # u each, so R{z_1} = R{a_1}[:, u] W_1[:, u]^T
                z = xp.zeros((B, r, m, h), dtype=out.dtype)
                if len(J):
                    z[:, J] = (Ra[1][:, J, :, U][..., None] * W[:, :, U].transpose(2, 0, 1)[
                        :, :, None, :]).transpose(1, 0, 2, 3)
            elif l:
                z = Ra[l] @ W.swapaxes(1, 2)[:, None]
            else:
                z = (a[0][:, None] @ VW.swapaxes(2, 3) if unit is None else
                     xp.zeros((B, r, m, h), dtype=out.dtype))
            if unit is None:
                if l:
                    z += a[l][:, None] @ VW.swapaxes(2, 3)
                if vb is not None:
                    z += vb[:, :, None, :]
            else:                                  # a_l e^T: column i of a_l at unit u
                jj, u, i = e
                if len(jj):
                    z[:, jj, :, u] += a[l][:, :, i].transpose(2, 0, 1)
                if eb is not None and len(eb[0]):
                    z[:, eb[0], :, eb[2]] += 1.0
            Rz.append(z)
            if l < self.depth - 1:
                if l == 0 and unit is not None:    # only the directions' columns are not 0
                    J, U = (jj, u) if eb is None else (xp.concatenate([jj, eb[0]]),
                                                       xp.concatenate([u, eb[2]]))
                    one = (J, U)
                    if len(J):
                        z[:, J, :, U] *= cache.d1[0][:, :, U].transpose(2, 0, 1)
                else:
                    z *= cache.d1[l][:, None]
                Ra.append(z)
        # reverse mode on the R-derivatives
        if res:
            self._point_terms(cache)
        Rdelta = cache.c * self._lam(cache, Rz[-1]) if gn else None   # (B, r, m, h_l)
        for l in range(self.depth - 1, -1, -1):
            W, _ = layers[l]
            VW, _, e, _ = dirs[l]
            gW, gb = slots[l]
            delta = cache.delta[l] if res else None                   # (B, m, h_l)
            h, hp = self._sizes[l]
            if Rdelta is not None:
                gW[...] = sum_outer(Rdelta, a[l][:, None])
                if res and l:
                    gW += sum_outer(delta[:, None], Ra[l])
            elif res and l:
                gW[...] = sum_outer(delta[:, None], Ra[l])
            else:                                                     # H1 of one layer
                gW[...] = 0
            if gb is not None:
                gb[...] = Rdelta.sum(axis=2) if Rdelta is not None else 0
            if not l:
                break
            # Rdelta_{l-1} = (Rdelta W + delta V) * sigma' + Ra_l * p (H1's terms with res)
            merged = Rdelta is not None and res and unit is None and 2 * h <= hp
            new = None
            if merged:            # a narrow layer (the output's): [Rdelta | delta] [W; V_l],
                L = xp.empty((B, r, m, 2 * h), dtype=out.dtype)   # one GEMM of depth 2h per
                L[..., :h] = Rdelta                               # direction, no pass adding
                L[..., h:] = delta[:, None]                       # two (B, r, m, hp) products
                R = xp.empty((B, r, 2 * h, hp), dtype=out.dtype)
                R[:, :, :h] = W[:, None]
                R[:, :, h:] = VW
                new = L @ R
                del L, R                      # held no longer than needed (nor t below)
            elif Rdelta is not None:
                new = Rdelta @ W[:, None]
            if res and not merged:
                if unit is None:
                    t = delta[:, None] @ VW                           # (B, r, m, hp)
                    if new is None:
                        new = t
                    else:
                        new += t
                    del t
                else:                                 # delta_l e: column u of delta_l at i
                    if new is None:
                        new = xp.zeros((B, r, m, hp), dtype=out.dtype)
                    jj, u, i = e
                    if len(jj):
                        new[:, jj, :, i] += delta[:, :, u].transpose(2, 0, 1)
            new *= cache.d1[l - 1][:, None]
            if res and cache.p[l - 1] is not None:                    # sigma'' = 0 a.e.: no term
                z = Ra[l]                                             # not needed after this
                if l == 1 and one is not None:                        # its columns only
                    J, U = one
                    if len(J):
                        new[:, J, :, U] += z[:, J, :, U] * cache.p[0][:, :, U].transpose(2, 0, 1)
                else:
                    z *= cache.p[l - 1][:, None]
                    new += z
            Rdelta = new


def _batch_view(xp, A, B):
    """``A`` ``(m, d)`` as a read-only ``(B, m, d)`` view with stride 0 over the networks
    (``A`` itself when it is None or already 3-D)."""
    if A is None or A.ndim == 3:
        return A
    if xp is not np or not (A.flags.c_contiguous or A.flags.f_contiguous):
        return xp.broadcast_to(A[None], (B,) + tuple(A.shape))
    V = np.ndarray((B,) + A.shape, A.dtype, A, 0, (0,) + A.strides)   # 6x faster than
    V.flags.writeable = False                                         # np.broadcast_to
    return V


def sum_outer(D, A):
    r"""``D^T A`` summed over the samples: ``(..., m, h)`` and ``(..., m, h')`` to
    ``(..., h, h')`` (a weight block :math:`\sum_i d_i a_i^\top`), computed as the GEMM whose
    rows are the wider of the two sides, ``(A^T D)^T`` when ``h < h'`` (a transposed view).
    OpenBLAS's AVX2 (Haswell) kernels are slow with few rows: at m = 256, one BLAS thread,
    ``(8, 256)`` blocks took 58 µs as ``D^T A`` and 32 µs as ``(A^T D)^T``, while for
    ``(256, 32)`` blocks ``D^T A`` was the faster (82 against 110 µs). Its AVX-512 (SkylakeX)
    kernels have no such case: ``(8, 256)`` blocks in 9.8 and 10.7 µs."""
    if D.shape[-1] < A.shape[-1]:
        return (A.swapaxes(-1, -2) @ D).swapaxes(-1, -2)
    return D.swapaxes(-1, -2) @ A


#: Side of the tiles in which :func:`_symmetrize` works (measured on the host at n = 2560:
#: (A + A^T)/2 of a whole matrix 40 ms, in tiles of 64-512 20-22 ms; 256 the fastest)
SYMMETRIZE_TILE = 256


def _symmetrize(H):
    """``H`` ``(b, n, n)`` replaced by ``(H + H^T)/2`` in place, one pair of tiles at a time
    (the transposed read of a whole matrix misses the cache on every element, and no
    ``b n^2`` temporary): the same numbers as the whole-array expression, exactly
    symmetric."""
    n, t = H.shape[-1], SYMMETRIZE_TILE
    for i in range(0, n, t):
        for j in range(i, n, t):
            S = H[:, i:i + t, j:j + t] + H[:, j:j + t, i:i + t].swapaxes(1, 2)
            S *= 0.5
            H[:, i:i + t, j:j + t] = S
            H[:, j:j + t, i:i + t] = S.swapaxes(1, 2)
            del S                                   # one tile at a time, not two


def _unit_entries(xp, j, r, o, size, cols):
    """For the unit directions ``e_j, ..., e_{j+r-1}`` and a parameter block at offset ``o``
    of ``size`` entries laid out row-major with ``cols`` columns: ``(jj, u, i)``, the
    directions (0-based in the ``r``) whose unit entry is in the block and its row and column
    there (index arrays of ``xp``; empty when the block holds none)."""
    q = np.arange(max(j, o), min(j + r, o + size)) - o
    return tuple(xp.asarray(v) for v in (q + o - j, q // cols, q % cols))
