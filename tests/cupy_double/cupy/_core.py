"""``cupy.ndarray`` double (a wrapper around a NumPy array) and the wrap/unwrap helpers."""
import operator
import types

import numpy as np

from . import _double

_SCALARS = (bool, int, float, complex, np.generic)


def unwrap(x, what, host_ok=False):
    """Device arrays -> their NumPy data, recursively in lists/tuples.  A non-0-d NumPy array
    is refused (logged, ``TypeError``) unless ``host_ok`` (host -> device copies)."""
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, np.ndarray) and x.ndim > 0 and not host_ok:
        _double.record("argument", what)
        raise TypeError(f"Unsupported type {type(x)}")
    if isinstance(x, list):
        return [unwrap(v, what, host_ok) for v in x]
    if isinstance(x, tuple):
        return tuple(unwrap(v, what, host_ok) for v in x)
    return x


def wrap(x):
    """NumPy arrays and scalars -> device arrays (scalars as 0-d), recursively in tuples/lists."""
    if isinstance(x, np.ndarray):
        out = object.__new__(ndarray)
        out._a = x
        return out
    if isinstance(x, np.generic):
        return wrap(np.asarray(x))
    if isinstance(x, tuple):
        return tuple(wrap(v) for v in x)
    if isinstance(x, list):
        return [wrap(v) for v in x]
    return x


def call(fn, what, args, kwargs, host_ok=False):
    """``fn`` (a NumPy callable) on unwrapped arguments, result wrapped."""
    args = unwrap(tuple(args), what, host_ok)
    kwargs = {k: unwrap(v, what, host_ok) for k, v in kwargs.items()}
    return wrap(fn(*args, **kwargs))


def _operand(other, op):
    if isinstance(other, ndarray):
        return other._a
    if isinstance(other, _SCALARS) or (isinstance(other, np.ndarray) and other.ndim == 0):
        return other
    if isinstance(other, np.ndarray):
        _double.record("operand", f"cupy.ndarray.{op} with a numpy.ndarray")
    raise TypeError(f"Unsupported type {type(other)}")


def _index(key):
    if isinstance(key, ndarray):
        return key._a
    if isinstance(key, list):
        return [_index(k) for k in key]
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    return key


def _is_mask(key):
    keys = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, ndarray) and k.dtype == np.bool_ for k in keys)


class ndarray:
    """Device array double: the data is a NumPy array in ``_a``; NumPy may not see it."""
    __slots__ = ("_a",)
    __hash__ = None

    def __init__(self, shape, dtype=float, order="C"):
        self._a = np.empty(shape, dtype=dtype, order=order)

    # -- refused implicit conversions -------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        _double.record("asarray", "numpy.asarray/numpy.array")
        raise TypeError(_double.IMPLICIT)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # `numpy_scalar + device` arrives here as np.add(scalar, device): CuPy computes it.
        if (method == "__call__" and ufunc.nin == 2 and "out" not in kwargs
                and inputs[1] is self and isinstance(inputs[0], (np.generic, np.ndarray))
                and np.ndim(inputs[0]) == 0):
            return wrap(ufunc(inputs[0], self._a, **kwargs))
        _double.record("ufunc", "numpy." + ufunc.__name__
                       + ("" if method == "__call__" else "." + method))
        raise TypeError(_double.IMPLICIT)

    def __array_function__(self, func, types, args, kwargs):
        _double.record("function", f"{func.__module__}.{func.__name__}")
        raise TypeError(_double.IMPLICIT)

    # -- explicit transfers and scalar syncs (allowed by CuPy) ---------------------------
    def get(self, stream=None, order="C", out=None):
        _double.count_sync("get")
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        self._a[...] = arr

    def item(self, *args):
        _double.count_sync("item")
        return self._a.item(*args)

    def tolist(self):
        _double.count_sync("tolist")
        return self._a.tolist()

    def __float__(self):
        _double.count_sync("float")
        return float(self._a)

    def __int__(self):
        _double.count_sync("int")
        return int(self._a)

    def __complex__(self):
        _double.count_sync("complex")
        return complex(self._a)

    def __bool__(self):
        _double.count_sync("bool")
        return bool(self._a)

    def __index__(self):
        _double.count_sync("index")
        return operator.index(self._a)

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        _double.count_sync("format")
        return format(self._a, spec)

    # -- attributes ---------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    T = property(lambda self: wrap(self._a.T))
    real = property(lambda self: wrap(self._a.real))
    imag = property(lambda self: wrap(self._a.imag))

    @property
    def flags(self):
        f = self._a.flags
        return types.SimpleNamespace(c_contiguous=f.c_contiguous,
                                     f_contiguous=f.f_contiguous, owndata=f.owndata)

    @property
    def device(self):
        from .cuda import Device
        return Device(0)

    # -- containers -----------------------------------------------------------------------
    def __getitem__(self, key):
        if _is_mask(key):                           # result size depends on the data
            _double.count_sync("mask")
        key = _index(key)
        out = self._a[key]
        if isinstance(out, np.generic):             # CuPy gives a 0-d *view*, not a copy
            out = self._a[(*key, ...) if isinstance(key, tuple) else (key, ...)]
        return wrap(out)

    def __setitem__(self, key, value):      # NumPy values are host -> device copies: allowed
        self._a[_index(key)] = unwrap(value, "cupy.ndarray.__setitem__", host_ok=True)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    def __contains__(self, value):
        return bool((self == value).any())


def _nonzero(self):
    _double.count_sync("nonzero")
    return wrap(self._a.nonzero())


ndarray.nonzero = _nonzero


def _binop(name, inplace=False):
    def op(self, other):
        out = getattr(self._a, name)(_operand(other, name))
        if out is NotImplemented:
            return out
        return self if inplace else wrap(out)
    op.__name__ = name
    return op


def _unop(name):
    def op(self):
        return wrap(getattr(self._a, name)())
    op.__name__ = name
    return op


def _method(name):
    def m(self, *args, **kwargs):
        out = getattr(self._a, name)(*unwrap(args, "cupy.ndarray." + name),
                                     **{k: unwrap(v, "cupy.ndarray." + name)
                                        for k, v in kwargs.items()})
        return self if out is self._a else wrap(out)
    m.__name__ = name
    return m


for _n in ("add sub mul truediv floordiv mod pow matmul and or xor lshift rshift").split():
    setattr(ndarray, f"__{_n}__", _binop(f"__{_n}__"))
    setattr(ndarray, f"__r{_n}__", _binop(f"__r{_n}__"))
    setattr(ndarray, f"__i{_n}__", _binop(f"__i{_n}__", inplace=True))
for _n in ("lt", "le", "gt", "ge", "eq", "ne", "divmod", "rdivmod"):
    setattr(ndarray, f"__{_n}__", _binop(f"__{_n}__"))
for _n in ("neg", "pos", "abs", "invert"):
    setattr(ndarray, f"__{_n}__", _unop(f"__{_n}__"))
for _n in ("reshape astype copy sum mean std var min max argmin argmax any all ravel flatten "
           "conj conjugate transpose swapaxes diagonal cumsum cumprod prod round clip dot fill "
           "view squeeze sort argsort repeat take trace").split():
    setattr(ndarray, _n, _method(_n))
