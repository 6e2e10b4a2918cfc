"""A NumPy-backed test double of CuPy, for running ``device="gpu"`` code paths without a GPU.

Put ``tests/cupy_double`` first on ``sys.path`` (``tests/gpu_double.py`` does it) and
``import cupy`` gives this module.  Data lives in host memory; what is mimicked is CuPy's
*boundary* with NumPy, so that code which would move data to the host behind the user's
back fails here as it would (or should) on a GPU:

* ``cupy.ndarray`` wraps a NumPy array and is not a ``numpy.ndarray`` subclass.
  ``numpy.asarray(d)`` / ``numpy.array(d)`` raise ``TypeError("Implicit conversion to a NumPy
  array is not allowed. Please use `.get()` ...")``, CuPy's own message ("CuPy does not
  allow implicit conversion to NumPy arrays", CuPy docs, *Differences between CuPy and
  NumPy*).  ``d + numpy_array`` raises ``TypeError`` as in CuPy (NumPy scalars and 0-d
  arrays are fine).  Explicit transfers are allowed: ``cupy.asnumpy``, ``.get()``,
  ``.item()``, ``.tolist()``, ``float()``/``int()``/``bool()`` of size-1 arrays.
* Stricter than CuPy: real CuPy *dispatches* NumPy ufuncs and functions applied to device
  arrays to its own implementations (NEP 13/18: ``numpy.sum(d)`` runs ``cupy.sum`` on the
  GPU).  The double refuses them (``TypeError``) because in xp-generic code a ``numpy.``
  call on a device array means the wrong namespace was used (and works on real CuPy only
  where CuPy happens to implement that function).  Every refusal is logged with the
  caller's file:line in ``cupy._double.host_leaks``.
* Reductions return 0-d device arrays, as in CuPy.  Other module functions are NumPy's,
  through a wrapper that unwraps device arrays and wraps results; non-0-d NumPy arrays as
  arguments are refused (CuPy: ``TypeError: Unsupported type <class 'numpy.ndarray'>``),
  except in ``asarray``/``array``/``asanyarray``/``ascontiguousarray`` (host -> device).
* ``cupy.linalg`` mimics cuSOLVER error handling: failures are *not* raised by default, the
  output is garbage (NaN here), unless ``cupyx.errstate(linalg="raise")`` is active, then
  ``numpy.linalg.LinAlgError`` (CuPy docs, ``cupyx.errstate`` / ``cupyx.seterr``).  Failures
  can be injected with ``cupy._double.inject_linalg_failure``.
* ``cupy.cuda``: one device with settable ``mem_info`` (``cupy._double.set_memory``);
  streams and synchronisation are no-ops.
* Device -> host synchronisations are counted (``cupy._double.syncs()``, reset by
  ``cupy._double.reset_syncs()``): every explicit transfer above, one per call; the
  data-dependent shapes (``nonzero``, ``flatnonzero``, ``argwhere``, boolean-mask indexing),
  which synchronise on CuPy too, are counted apart (``cupy._double.sync_counts()``).
"""
import sys
import types

import numpy as np

from . import _double
from ._core import call, ndarray, unwrap, wrap
from . import cuda, linalg, random  # noqa: F401  (before __getattr__ can shadow them)

__version__ = "14.0.0-double"


def asarray(a, dtype=None, order=None, *, blocking=False):
    """Host -> device copy; a device array comes back as is (or ``astype(dtype, copy=False)``)."""
    if isinstance(a, ndarray):
        return a if dtype is None else a.astype(dtype, copy=False)
    return wrap(np.array(unwrap(a, "cupy.asarray", host_ok=True), dtype=dtype,
                         order=order or "K", copy=True))


asanyarray = asarray


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    return wrap(np.array(unwrap(obj, "cupy.array", host_ok=True), dtype=dtype,
                         copy=True if copy else None, order=order, ndmin=ndmin))


def ascontiguousarray(a, dtype=None):
    return call(np.ascontiguousarray, "cupy.ascontiguousarray", (a,), {"dtype": dtype},
                host_ok=True)


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    """Device -> host copy (explicit, allowed)."""
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def _shape_sync(name):
    npfn = getattr(np, name)

    def f(*args, **kwargs):
        _double.count_sync("nonzero")          # CuPy needs the count to size the result
        return call(npfn, "cupy." + name, args, kwargs)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"NumPy's {name} (a data-dependent shape: counted as a sync; cupy double)."
    return f


nonzero = _shape_sync("nonzero")
flatnonzero = _shape_sync("flatnonzero")
argwhere = _shape_sync("argwhere")


def get_array_module(*args):
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else np


class MemoryPool:
    """``free_bytes()`` / ``used_bytes()`` report ``cupy._double.memory`` (settable)."""

    def free_bytes(self):
        return _double.memory["pool_free"]

    def used_bytes(self):
        return _double.memory["pool_used"]

    def total_bytes(self):
        return self.free_bytes() + self.used_bytes()

    def free_all_blocks(self, stream=None):
        _double.memory["pool_free"] = 0

    def n_free_blocks(self):
        return 0


_POOL = MemoryPool()
_PINNED_POOL = MemoryPool()


def get_default_memory_pool():
    return _POOL


def get_default_pinned_memory_pool():
    return _PINNED_POOL


def _wrapped(fn, what):
    def f(*args, **kwargs):
        return call(fn, what, args, kwargs)
    f.__name__ = f.__qualname__ = getattr(fn, "__name__", what)
    f.__doc__ = f"NumPy's {what[5:]} on unwrapped device arrays (cupy double)."
    return f


def __getattr__(name):
    """Anything else in NumPy's namespace: types and constants as is, callables wrapped."""
    if name.startswith("_"):
        raise AttributeError(f"module 'cupy' has no attribute {name!r}")
    try:
        obj = getattr(np, name)
    except AttributeError:
        raise AttributeError(f"module 'cupy' has no attribute {name!r}") from None
    if isinstance(obj, types.ModuleType):
        raise AttributeError(f"cupy double: submodule cupy.{name} is not mimicked")
    if isinstance(obj, type) or not callable(obj):
        return obj
    globals()[name] = fn = _wrapped(obj, "cupy." + name)
    return fn
