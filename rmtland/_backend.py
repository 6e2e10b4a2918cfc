"""Array backends: NumPy on the CPU, CuPy on a GPU, one code path.

Creation functions take ``device=`` and call :func:`get_xp`; every other function
takes arrays and calls :func:`array_namespace`.  CuPy is imported only when a GPU is
asked for (``device="gpu"`` or ``"auto"``), never by ``import rmtland``.
"""
import contextlib
import sys

import numpy as np

from ._validate import InputError

DEVICES = ("cpu", "gpu", "auto")


class DeviceUnavailable(RuntimeError):
    """``device="gpu"`` was asked for and no usable GPU is there (the CLI exits with code 3)."""


def _cupy_or_reason():
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() > 0:
            return cupy, None
        return None, "CuPy sees no GPU"
    except Exception as exc:  # not installed, no driver, no device
        return None, f"CuPy is unavailable ({type(exc).__name__}: {exc})"


def gpu_available():
    """True when CuPy imports and sees at least one GPU."""
    return _cupy_or_reason()[0] is not None


def get_xp(device="cpu"):
    """Array module for *creating* arrays on ``device``.

    Parameters
    ----------
    device : {"cpu", "gpu", "auto"}
        ``"cpu"`` gives NumPy; ``"gpu"`` gives CuPy or raises ``RuntimeError`` when no GPU
        is usable (never a silent fallback); ``"auto"`` gives CuPy when a GPU is usable,
        NumPy otherwise.
    """
    if device not in DEVICES:
        raise InputError(f"device must be one of {DEVICES}, got {device!r}")
    if device == "cpu":
        return np
    cupy, reason = _cupy_or_reason()
    if cupy is not None:
        return cupy
    if device == "auto":
        return np
    raise DeviceUnavailable(f"device='gpu' was requested but {reason}; install the 'gpu' extra "
                       "on a machine with a CUDA GPU, or use device='cpu'")


def device_name(xp):
    """``"gpu"`` for CuPy, ``"cpu"`` for NumPy."""
    return "cpu" if xp is np else "gpu"


def array_namespace(*arrays):
    """Array module of existing arrays (NumPy or CuPy); never imports CuPy."""
    cupy = sys.modules.get("cupy")
    if cupy is not None and any(isinstance(a, cupy.ndarray) for a in arrays):
        if not all(isinstance(a, cupy.ndarray) for a in arrays if hasattr(a, "shape")):
            raise TypeError("mixed NumPy/CuPy inputs; move them to one backend first")
        return cupy
    return np


def to_numpy(x):
    """Host (NumPy) copy of ``x``; a no-op for NumPy arrays."""
    cupy = sys.modules.get("cupy")
    if cupy is not None and isinstance(x, cupy.ndarray):
        return cupy.asnumpy(x)
    return np.asarray(x)


def linalg_errors(xp):
    """Context in which a solver failure raises on ``xp``'s backend.

    NumPy raises ``numpy.linalg.LinAlgError`` by itself; CuPy ignores cuSOLVER's ``info``
    unless run under ``cupyx.errstate(linalg="raise")`` (CuPy docs, "Differences between CuPy
    and NumPy"), which this returns for CuPy.
    """
    if xp is np:
        return contextlib.nullcontext()
    import cupyx
    return cupyx.errstate(linalg="raise")


def check_finite(x, what):
    """Raise ``numpy.linalg.LinAlgError`` when ``x`` holds a NaN or an infinity.

    The second line of defence for device solvers, whose failures can surface as NaN even
    under :func:`linalg_errors` (e.g. batched Jacobi that does not converge)."""
    xp = array_namespace(x)
    if not bool(xp.all(xp.isfinite(x))):
        raise np.linalg.LinAlgError(f"{what} returned non-finite values: the solver failed")
