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
    """Host memory settings for the batched network engine, once per process: glibc's malloc
    keeps :data:`HOST_TOP_PAD_BYTES` at the top of the heap (``mallopt(M_TOP_PAD)``), and
    NumPy stops advising transparent huge pages for its large arrays. Each is left alone when
    the environment sets it (``MALLOC_TOP_PAD_``, ``NUMPY_MADVISE_HUGEPAGE``) and both with
    ``RMTLAND_KEEP_ALLOCATOR=1``; the first off glibc. Returns the names of the settings made
    now (empty after the first call).

    Measured on the issue-20 benchmark (2-core x86 VM, one BLAS thread):

    - The engine allocates and frees temporaries of 0.1-10 MB in every call. With glibc's
      default (a 128 KiB pad, a trim threshold of twice the largest freed mmap chunk) the
      heap was given back to the kernel at the end of a call and faulted in again,
      zero-filled, in the next: one H·v of 8 tanh networks 32-64-8 on 256 samples took
      0.63-0.65 ms per network in that state against 0.18 ms with a 16 or 64 MiB pad (which
      state a process was in depended on its earlier allocations; benchmark rows swung 3.6x).
      The cost: up to 64 MiB of freed memory stays mapped to the process.
    - NumPy advises huge pages for arrays of 4 MB and more; where the kernel's THP ``defrag``
      policy is ``madvise`` (as here) each first touch of a fresh large result then waits for
      memory compaction: the batched H·V of 100 networks 32-400-8 on 32 directions (a 410 MB
      result) took 2.77 s with it and 2.61 s without (the loop over single networks 2.60 s
      either way); 8 dense Hessians 32-40-8, 0.94 s against 0.92 s.
    """
    global _allocator_tuned
    if _allocator_tuned:
        return []
    _allocator_tuned = True
    if os.environ.get("RMTLAND_KEEP_ALLOCATOR", "") not in ("", "0"):
        return []
    done = []
    if "NUMPY_MADVISE_HUGEPAGE" not in os.environ:
        try:
            from numpy._core.multiarray import _set_madvise_hugepage
            _set_madvise_hugepage(False)
            done.append("numpy-hugepage")
        except (ImportError, AttributeError):   # NumPy moved or dropped the switch
            pass
    if sys.platform.startswith("linux") and "MALLOC_TOP_PAD_" not in os.environ:
        try:
            if ctypes.CDLL("libc.so.6").mallopt(_M_TOP_PAD, HOST_TOP_PAD_BYTES):
                done.append("malloc-top-pad")
        except (OSError, AttributeError):       # not glibc (musl has no mallopt)
            pass
    return done


def check_finite(x, what):
    """Raise ``numpy.linalg.LinAlgError`` when ``x`` holds a NaN or an infinity.

    The second line of defence for device solvers, whose failures can surface as NaN even
    under :func:`linalg_errors` (e.g. batched Jacobi that does not converge)."""
    xp = array_namespace(x)
    if not bool(xp.all(xp.isfinite(x))):
        raise np.linalg.LinAlgError(f"{what} returned non-finite values: the solver failed")
