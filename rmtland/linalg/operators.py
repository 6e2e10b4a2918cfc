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

User callables
--------------
:func:`as_operator` wraps a callable ``f(V) -> A V`` given its size ``n``.  The shape and the
backend of every product are checked (no device sync); a NaN or an infinity is caught by the
estimators of :mod:`rmtland.linalg.spectral` once per call, when their recurrence
coefficients reach the host, and raises :class:`~rmtland._validate.InputError` naming
``op``.
"""
import numpy as np

from .._validate import InputError
from .. import _validate
from .._backend import array_namespace

__all__ = ["Operator", "as_operator", "dense_operator", "sum_operator", "diagonal_operator",
           "tridiagonal_operator"]


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


def as_operator(op, *, n=None, dtype=None, device=None):
    """An :class:`Operator` from an operator, a dense symmetric matrix or a callable.

    Parameters
    ----------
    op : Operator, 2-D array, or callable ``f(V) -> A V``
        An :class:`Operator` is returned as is; a square array is wrapped by
        :func:`dense_operator`; a callable needs ``n`` and is checked on every product.
    n : int, optional
        Size of a callable's operator.
    dtype : {"float64", "float32"}, optional
        Of a callable (default float64).
    device : {"cpu", "gpu", "auto"}, optional
        Where a callable's vectors live (default ``"cpu"``).
    """
    if isinstance(op, Operator):
        return op
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
    raise InputError(f"op must be an Operator, a square array or a callable, got "
                     f"{type(op).__name__}")


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
