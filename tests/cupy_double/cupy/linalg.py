"""``cupy.linalg`` double: NumPy's routines, with cuSOLVER's error behaviour.

CuPy does not check cuSOLVER's ``info`` unless ``cupyx.errstate(linalg="raise")``: a
singular ``solve``, a non-PD ``cholesky`` etc. return garbage silently.  Here: NaN output
of the right shape, or ``numpy.linalg.LinAlgError`` under ``errstate(linalg="raise")``.
Shape errors (1-D or non-square input) raise as in CuPy.
"""
import numpy as np

from . import _double
from ._core import call, ndarray, wrap

_NUMERICAL = ("singular", "positive definite", "converge")   # NumPy's numerical failures


def _nan(out):
    if isinstance(out, tuple):
        return tuple(_nan(o) for o in out)
    if isinstance(out, ndarray) and np.issubdtype(out.dtype, np.inexact):
        return wrap(np.full_like(out._a, np.nan))
    return out


def _failure(what):
    if _double.errstate["linalg"] == "raise":
        raise np.linalg.LinAlgError(f"{what}: cuSOLVER reported an error (cupy double)")


def _make(name):
    npfn = getattr(np.linalg, name)
    what = "cupy.linalg." + name

    def fn(a, *args, **kwargs):
        injected = _double.take_injection(name)
        try:
            out = call(npfn, what, (a,) + args, kwargs)
        except np.linalg.LinAlgError as exc:
            if not any(s in str(exc).lower() for s in _NUMERICAL):
                raise                                    # shape errors raise in CuPy too
            _failure(what)
            n = a.shape[-1]                              # same shapes, from a benign input
            eye = np.broadcast_to(np.eye(n, dtype=a.dtype), a.shape).copy()
            return _nan(call(npfn, what, (wrap(eye),) + args, kwargs))
        if injected:
            _failure(what)
            return _nan(out)
        return out
    fn.__name__ = name
    fn.__doc__ = f"numpy.linalg.{name} on the double's arrays, cuSOLVER error semantics."
    return fn


for _name in _double.LINALG:
    globals()[_name] = _make(_name)
