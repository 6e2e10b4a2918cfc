r"""Symmetric linear operators that are never formed: a small interface (shape, dtype, backend,
``matvec`` on a block of vectors) and wrappers for dense matrices, user callables, sums and
symmetric tridiagonal matrices.  The estimators of :mod:`rmtland.linalg.spectral` take any of
them; the Pennington–Bahri pieces are built in :mod:`rmtland.sampling.hessian`, a network's
Hessian products in :mod:`rmtland.networks.operators`.

Interface
---------
An :class:`Operator` has ``shape = (n, n)``, ``dtype`` (float32 or float64: the probes and
every recurrence run in it, so float32 stays float32), ``xp`` (NumPy or CuPy: where the
vectors live) and ``matvec(V)``: ``V`` of shape ``(n, b)`` (a block of ``b`` vectors, one
product per column, so that a dense factor is read once per block: a GEMM, not ``b`` GEMVs)
or ``(n,)``, the result of the same shape.  The operator must be symmetric; the estimators
rely on it (Lanczos); a dense matrix is checked (:func:`dense_operator`), an operator known
by its products is not.

User callables and outside operators
------------------------------------
:func:`as_operator` wraps a callable ``f(V) -> A V`` given its size ``n``; an object with a
``matmat`` method (a :class:`scipy.sparse.linalg.LinearOperator`, products on NumPy blocks);
any other non-array with ``shape`` and ``@`` (a scipy sparse matrix); and a PyTorch
operator with ``@`` on ``(n, b)`` tensors, ``shape``, a torch ``dtype`` and
``device`` (curvlinops' ``HessianLinearOperator``, ``GGNLinearOperator``, ...; products where
the operator lives, through :func:`torch_operator`).  The shape and the backend of every
product are checked (no device sync); a NaN or an infinity is caught by the estimators of
:mod:`rmtland.linalg.spectral` once per call, when their recurrence coefficients reach the
host, and raises :class:`~rmtland._validate.InputError` naming ``op``.  An outside operator
must be square, and is checked once to be symmetric on two random vectors (one product of a
block of 2, :func:`_check_symmetric_products`).

PyTorch bridge
--------------
:func:`torch_operator` turns a function on torch tensors into an :class:`Operator` on the
backend where the tensors live, without copies: CPU tensors share memory with NumPy arrays
(``torch.from_numpy``, ``Tensor.numpy``), CUDA tensors with CuPy arrays by DLPack
(``torch.from_dlpack``, ``cupy.from_dlpack``; the exchange orders the two libraries'
streams), so a product on a GPU never visits the host.  torch is imported only there.
"""
import numpy as np

from .._validate import InputError
from .. import _validate
from .._backend import array_namespace

__all__ = ["Operator", "as_operator", "dense_operator", "sum_operator", "diagonal_operator",
           "tridiagonal_operator", "torch_operator"]


class Operator:
    """A symmetric ``n × n`` linear operator known by its products.

    Parameters
    ----------
    n : int
        Size, ``>= 1``.
    matvec : callable
        ``matvec(V)`` for ``V`` of shape ``(n, b)`` on ``xp`` in ``dtype``; returns ``A V``
        of the same shape (the wrapper handles 1-D vectors).
    dtype : {"float64", "float32"}
    xp : module
        NumPy or CuPy.
    name : str
        What it is, for messages and results.
    """

    def __init__(self, n, matvec, dtype="float64", xp=np, name="operator"):
        self.n = _validate.integer("n", n, 1)
        self.shape = (self.n, self.n)
        self.dtype = np.dtype(_validate.float_dtypes(dtype)[0])
        self.xp = xp
        self.name = name
        self._matvec = matvec

    def __repr__(self):
        return f"<{self.name}: {self.n} x {self.n}, {self.dtype.name}, {self.xp.__name__}>"

    def matvec(self, V):
        """``A V`` for ``V`` of shape ``(n, b)`` or ``(n,)`` (same shape back)."""
        if V.ndim == 1:
            return self._matvec(V[:, None])[:, 0]
        return self._matvec(V)

    def __add__(self, other):
        return sum_operator(self, other)


def _checked(f, n, xp, dtype):
    """``f`` wrapped so that every result is checked: shape ``(n, b)``, finite."""
    def matvec(V):
        out = f(V)
        shape = getattr(out, "shape", None)
        if shape is None:
            raise InputError(f"op must return an array of shape (n, b) = {tuple(V.shape)}, "
                             f"got {type(out).__name__}")
        if tuple(shape) != tuple(V.shape):
            raise InputError(f"op must return an array of the shape of its input "
                             f"(n, b) = {tuple(V.shape)}, got {tuple(shape)}")
        if array_namespace(out) is not xp:
            raise InputError(f"op must return an array on the backend of its input "
                             f"({xp.__name__}), got {type(out).__name__}")
        return out.astype(dtype, copy=False)
    return matvec


def _is_torch_operator(op):
    """A PyTorch operator (curvlinops): a torch ``dtype`` and ``device``, products by ``@``.
    Recognised by the types' module, so torch is never imported here."""
    dt, dev = getattr(op, "dtype", None), getattr(op, "device", None)
    return (type(dt).__module__ == "torch" and type(dev).__module__ == "torch"
            and hasattr(op, "__matmul__") and hasattr(op, "shape"))


def _square(op):
    """``n`` of an outside operator's ``shape``, required square."""
    shape = tuple(getattr(op, "shape", ()))
    if len(shape) != 2 or shape[0] != shape[1] or not shape[0] >= 1:
        raise InputError(f"op must be a square (n, n) operator, got shape {shape}")
    return int(shape[0])


def _check_symmetric_products(op):
    r"""Refuse an operator that is not symmetric on two random unit vectors: with
    :math:`w = A[u\ v]`, :math:`|u^\top A v - v^\top A u| > \sqrt{\epsilon}\,(\|A u\| +
    \|A v\|)` (:math:`\epsilon` the dtype's machine epsilon: the rounding of the products,
    far below the :math:`O(\|A\|)` gap of a non-symmetric operator).  One product of a block
    of 2, moved to the host once.  Raises :class:`InputError` naming ``op``."""
    from .._backend import to_numpy
    rng = np.random.default_rng(0)
    U = rng.standard_normal((op.n, 2))
    U /= np.linalg.norm(U, axis=0)
    W = to_numpy(op.matvec(op.xp.asarray(U, dtype=op.dtype))).astype(np.float64)
    if not np.all(np.isfinite(W)):
        raise InputError(f"op must give finite products, got a NaN or an infinity from {op!r}")
    gap = abs(U[:, 0] @ W[:, 1] - U[:, 1] @ W[:, 0])
    tol = np.sqrt(np.finfo(op.dtype).eps) * (np.linalg.norm(W[:, 0]) + np.linalg.norm(W[:, 1]))
    if gap > tol:
        raise InputError(f"op must be symmetric: |u.Av - v.Au| = {gap:.3g} > {tol:.3g} on two "
                         f"random unit vectors, for {op!r}")
    return op


def as_operator(op, *, n=None, dtype=None, device=None):
    """An :class:`Operator` from an operator, a dense symmetric matrix, an outside linear
    operator or a callable.

    Parameters
    ----------
    op : Operator, 2-D array, LinearOperator, torch operator, or callable ``f(V) -> A V``
        An :class:`Operator` is returned as is; a PyTorch operator (torch ``dtype`` and
        ``device``, products ``op @ T`` on ``(n, b)`` tensors: curvlinops, or a dense
        ``torch.Tensor``), an object with
        ``matmat`` (a :class:`scipy.sparse.linalg.LinearOperator`: ``op.matmat(V)``) or any
        other non-array with ``shape`` and ``@`` (a scipy sparse matrix: ``op @ V``), on
        blocks ``(n, b)``, must be square and is checked once to be symmetric
        (:func:`_check_symmetric_products`); a NumPy or CuPy array is wrapped by
        :func:`dense_operator`; a callable needs ``n``.  Products of the outside operators
        and callables are checked on every call (shape and backend).
    n : int, optional
        Size of a callable's operator.
    dtype : {"float64", "float32"}, optional
        Of a callable (default float64) or a ``matmat`` / ``@`` operator (default its own
        ``dtype`` when float32 or float64, else float64).
    device : {"cpu", "gpu", "auto"}, optional
        Where the vectors of a callable or a ``matmat`` / ``@`` operator live (default
        ``"cpu"``: NumPy).  A torch operator's products live where it does.
    """
    if isinstance(op, Operator):
        return op
    if _is_torch_operator(op):
        return _check_symmetric_products(
            torch_operator(lambda T: op @ T, _square(op), op.dtype, op.device,
                           name=type(op).__name__))
    array = isinstance(op, np.ndarray) or array_namespace(op) is not np
    matmul = hasattr(op, "shape") and callable(getattr(op, "__matmul__", None))
    if not array and (callable(getattr(op, "matmat", None)) or matmul):
        size = _square(op)
        own = str(getattr(op, "dtype", None))
        dt = np.dtype(_validate.float_dtypes(
            dtype or (own if own in ("float32", "float64") else "float64"))[0])
        from .._backend import get_xp
        xp = get_xp(device or "cpu")
        products = op.matmat if callable(getattr(op, "matmat", None)) else op.__matmul__
        return _check_symmetric_products(
            Operator(size, _checked(products, size, xp, dt), dt, xp, name=type(op).__name__))
    if hasattr(op, "shape"):
        return dense_operator(op)
    if callable(op):
        if n is None:
            raise InputError("n (the size) is required when op is a callable")
        from .._backend import get_xp
        xp = get_xp(device or "cpu")
        n = _validate.integer("n", n, 1)
        dt = np.dtype(_validate.float_dtypes(dtype or "float64")[0])
        return Operator(n, _checked(op, n, xp, dt), dt, xp, name="callable")
    raise InputError(f"op must be an Operator, a square array, a LinearOperator (matmat), a "
                     f"torch operator (@) or a callable, got {type(op).__name__}")


def torch_operator(matmat, n, dtype, device, name="torch operator"):
    r"""An :class:`Operator` whose products are computed by PyTorch, on the backend where its
    tensors live (module notes, "PyTorch bridge").

    Parameters
    ----------
    matmat : callable
        ``matmat(T)`` for a tensor ``T`` of shape ``(n, b)`` on ``device`` in ``dtype``;
        returns ``A T``, a tensor of the same shape (any strides).
    n : int
    dtype : torch.dtype
        ``torch.float32`` or ``torch.float64``: the operator's dtype.
    device : torch.device or str
        ``"cpu"`` (the operator's vectors are NumPy arrays, shared with the tensors) or a CUDA
        device (CuPy arrays, exchanged by DLPack on that device).
    name : str
    """
    import torch
    device = torch.device(device)
    if dtype not in (torch.float32, torch.float64):
        raise InputError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    dt = np.dtype(str(dtype).replace("torch.", ""))
    if device.type == "cpu":
        xp = np

        def to_torch(V):
            return torch.from_numpy(V)

        def from_torch(T):
            return T.numpy()
    elif device.type == "cuda":
        from .._backend import get_xp
        xp = get_xp("gpu")
        if device.index is None:                   # "cuda": the current device, as CuPy's
            device = torch.device("cuda", torch.cuda.current_device())

        def to_torch(V):
            return torch.from_dlpack(V)

        def from_torch(T):
            return xp.from_dlpack(T)
    else:
        raise InputError(f"device must be the CPU or a CUDA device, got {device}")

    def matvec(V):
        T = to_torch(V)
        if T.dtype != dtype or T.device != device:
            T = T.to(device=device, dtype=dtype)
        with torch.no_grad():
            out = matmat(T)
        return from_torch(out.detach().to(dtype))
    return Operator(n, _checked(matvec, n, xp, dt), dt, xp, name=name)


def dense_operator(A):
    """The operator of a dense symmetric ``(n, n)`` matrix ``A`` (NumPy or CuPy; float32 or
    float64, finite and symmetric to :data:`rmtland.linalg.dense.ASYMMETRY_RTOL`, checked
    once).  Products are ``A @ V``."""
    xp = array_namespace(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] < 1:
        raise InputError(f"op must be a square matrix of shape (n, n), got {tuple(A.shape)}")
    if A.dtype not in (np.float32, np.float64):
        raise InputError(f"op must be float32 or float64, got {A.dtype}")
    from .dense import check_symmetric
    check_symmetric(A, "op")                       # finite and symmetric: one device sync
    return Operator(A.shape[0], lambda V: A @ V, A.dtype, xp, name="dense")


def sum_operator(*ops):
    """``A_1 + A_2 + ...`` of operators of one size, dtype and backend."""
    if not ops:
        raise InputError("ops must hold at least one operator")
    ops = [as_operator(o) for o in ops]
    first = ops[0]
    for o in ops[1:]:
        if o.n != first.n or o.dtype != first.dtype or o.xp is not first.xp:
            raise InputError(f"ops must share size, dtype and backend: {first!r} and {o!r}")

    def matvec(V):
        out = ops[0].matvec(V)
        for o in ops[1:]:
            out += o.matvec(V)
        return out
    return Operator(first.n, matvec, first.dtype, first.xp,
                    name=" + ".join(o.name for o in ops))


def diagonal_operator(d, name="diagonal"):
    """``diag(d)`` for a 1-D array ``d`` (its backend and dtype)."""
    xp = array_namespace(d)
    if d.ndim != 1 or d.shape[0] < 1:
        raise InputError(f"d must be a non-empty 1-D array, got shape {tuple(d.shape)}")
    col = d[:, None]
    return Operator(d.shape[0], lambda V: col * V, d.dtype, xp, name=name)


def tridiagonal_operator(diag, offdiag, name="tridiagonal"):
    """The symmetric tridiagonal matrix with diagonal ``diag`` (n,) and off-diagonal
    ``offdiag`` (n-1,): ``(T V)_i = e_{i-1} V_{i-1} + d_i V_i + e_i V_{i+1}``, :math:`O(nb)`
    per block."""
    xp = array_namespace(diag, offdiag)
    if diag.ndim != 1 or offdiag.shape != (diag.shape[0] - 1,):
        raise InputError(f"diag (n,) and offdiag (n-1,) shapes do not match: "
                         f"{tuple(diag.shape)} and {tuple(offdiag.shape)}")
    d, e = diag[:, None], offdiag[:, None]

    def matvec(V):
        out = d * V
        out[:-1] += e * V[1:]
        out[1:] += e * V[:-1]
        return out
    return Operator(diag.shape[0], matvec, diag.dtype, xp, name=name)
