"""Array backends: NumPy on the CPU, CuPy on a GPU, one code path.

Creation functions take ``device=`` and call :func:`get_xp`; every other function
takes arrays and calls :func:`array_namespace`.  CuPy is imported only when a GPU is
asked for (``device="gpu"`` or ``"auto"``), never by ``import rmtland``.
"""
import contextlib
import ctypes
import os
import sys

import numpy as np

from ._validate import InputError

DEVICES = ("cpu", "gpu", "auto")
#: Bytes glibc's malloc keeps mapped at the top of the heap when it grows or trims it
#: (``mallopt(M_TOP_PAD)``), set by :func:`tune_host_allocator`.
HOST_TOP_PAD_BYTES = 64 << 20
_M_TOP_PAD = -2                  # glibc <malloc.h>
_allocator_tuned = False


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


def tune_host_allocator():
    """Let glibc's malloc keep :data:`HOST_TOP_PAD_BYTES` at the top of the heap, once per
    process; a no-op after the first call, off glibc, when the environment already sets
    ``MALLOC_TOP_PAD_``, or with ``RMTLAND_NO_MALLOPT=1``. Returns whether it was set now.

    The batched network engine allocates and frees temporaries of 0.1-10 MB in every call.
    With glibc's default (a 128 KiB pad, a trim threshold of twice the largest freed mmap
    chunk) the heap is given back to the kernel at the end of a call and faulted in again,
    zero-filled, in the next: on the issue-20 network (tanh 32-64-8, 8 networks, 256
    samples, one BLAS thread) one H·v took 0.63-0.65 ms per network in that state against
    0.18 ms with a 16 or 64 MiB pad (``/tmp`` profile, 2-core x86 host); which state a
    process is in depended on its earlier allocations (the benchmark rows swung up to 3.6x).
    The cost: up to 64 MiB of freed memory stays mapped to the process. The engine calls
    this on its first host computation (:class:`rmtland.networks.MLP`); see mallopt(3).
    """
    global _allocator_tuned
    if _allocator_tuned:
        return False
    _allocator_tuned = True
    if (not sys.platform.startswith("linux") or "MALLOC_TOP_PAD_" in os.environ
            or os.environ.get("RMTLAND_NO_MALLOPT", "") not in ("", "0")):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.gnu_get_libc_version and libc.mallopt(_M_TOP_PAD,
                                                                HOST_TOP_PAD_BYTES))
    except (OSError, AttributeError):       # not glibc (musl has no mallopt symbol)
        return False


def check_finite(x, what):
    """Raise ``numpy.linalg.LinAlgError`` when ``x`` holds a NaN or an infinity.

    The second line of defence for device solvers, whose failures can surface as NaN even
    under :func:`linalg_errors` (e.g. batched Jacobi that does not converge)."""
    xp = array_namespace(x)
    if not bool(xp.all(xp.isfinite(x))):
        raise np.linalg.LinAlgError(f"{what} returned non-finite values: the solver failed")
