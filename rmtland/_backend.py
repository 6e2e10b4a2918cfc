"""Array backends: NumPy on the CPU, CuPy on a GPU, one code path.

Creation functions take ``device=`` and call :func:`get_xp`; every other function
takes arrays and calls :func:`array_namespace`.  CuPy is imported only when a GPU is
asked for (``device="gpu"`` or ``"auto"``), never by ``import rmtland``.
"""
import contextlib
import ctypes
import functools
import os
import sys

import numpy as np

from ._validate import InputError

DEVICES = ("cpu", "gpu", "auto")
#: glibc malloc settings made by :func:`tune_host_allocator`: requests below
#: ``M_MMAP_THRESHOLD`` (32 MiB, glibc's largest on 64-bit hosts) come from the heap, and
#: ``M_TOP_PAD`` (64 MiB) stays mapped at its top when it grows or is trimmed.
HOST_MALLOC = {"M_MMAP_THRESHOLD": 32 << 20, "M_TOP_PAD": 64 << 20}
_MALLOPT = {"M_MMAP_THRESHOLD": -3, "M_TOP_PAD": -2}          # glibc <malloc.h>
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


@contextlib.contextmanager
def environ_kept(keys, values=None):
    """``os.environ``'s entries of ``keys`` (and of ``values``' keys) put back as they were on
    exit, set or unset; ``values`` (name -> str) are set on entry."""
    values = dict(values or {})
    old = {k: os.environ.get(k) for k in set(keys) | set(values)}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@functools.lru_cache(maxsize=1)
def host_blas():
    """The BLAS library behind NumPy's ``matmul`` as threadpoolctl reports it: ``{"library",
    "version", "kernel", "threads", "coretype"}`` (``kernel``: OpenBLAS's core type, the
    instruction set of its GEMMs; ``coretype``: ``OPENBLAS_CORETYPE`` when the environment
    chose the kernel, else None), or ``{}`` when threadpoolctl is not installed. The kernel
    sets the GEMM rate: on the 2-core AMD Zen 5 VM of the benchmarks, a 2048 GEMM ran at 63
    GFLOP/s with the Haswell kernels its environment sets and 107 with the SkylakeX ones
    OpenBLAS 0.3.31 picks itself (docs/results/benchmarks.rst). Read once per process (7 ms,
    and every result's :func:`~rmtland.experiments._run.versions` asks): a later change of the
    thread count is not seen."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return {}
    libs = [lib for lib in threadpool_info() if lib.get("user_api") == "blas"]
    if not libs:
        return {}
    try:                                    # the BLAS NumPy was built with, e.g. scipy-openblas
        built = str(np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"])
    except Exception:                       # noqa: BLE001 (a NumPy without this report)
        built = ""
    libs.sort(key=lambda lib: ("numpy" not in str(lib.get("filepath", "")),     # NumPy's
                               str(lib.get("internal_api")) not in built))      # first
    lib = libs[0]
    return {"library": lib.get("internal_api"), "version": lib.get("version"),
            "kernel": lib.get("architecture"), "threads": lib.get("num_threads"),
            "coretype": os.environ.get("OPENBLAS_CORETYPE")}


def describe_blas(blas):
    """:func:`host_blas`'s report in words: ``"openblas 0.3.31 (Haswell kernels, set by
    OPENBLAS_CORETYPE; 1 thread)"``; the parts threadpoolctl did not give are left out."""
    details = [f"{blas['kernel']} kernels" + (", set by OPENBLAS_CORETYPE"
                                              if blas.get("coretype") else "")
               ] if blas.get("kernel") else []
    if blas.get("threads"):
        details.append(f"{blas['threads']} thread" + ("s" if blas["threads"] != 1 else ""))
    return " ".join(str(blas.get(k)) for k in ("library", "version") if blas.get(k)) + (
        f" ({'; '.join(details)})" if details else "")


def tune_host_allocator():
    """Host memory settings for the batched network engine, once per process: glibc's
    malloc parameters :data:`HOST_MALLOC`, and no transparent-huge-page advice from NumPy for
    its large arrays. The malloc settings are left alone off glibc or when the environment
    sets ``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TOP_PAD_``, NumPy's advice when it sets
    ``NUMPY_MADVISE_HUGEPAGE``, and both with ``RMTLAND_KEEP_ALLOCATOR=1``. Returns the
    settings made now (empty after the first call).

    The engine allocates and frees temporaries of 0.1-30 MB in every call. With glibc's
    defaults they came from fresh mmaps (below a threshold that moves with the process's
    history), or from a heap trimmed back to the kernel at the end of each call, and were
    faulted in, zero-filled, on every call. Measured on a 2-core x86 VM, one BLAS thread,
    per call of 8 tanh networks on 256 samples (32 inputs, 8 outputs): dense Hessians at
    width 64, 5.05 s and 2.1 million page faults by default, 1.96 s and 816 with the malloc
    settings; one H·v each at width 64, 5.3 ms and 1.5 ms; dense Hessians at width 10, 50 ms
    either way, but 184 ms (92 000 faults) with the top pad alone, whose call froze the
    threshold where it happened to be. Results above 32 MiB are still mapped fresh on every
    call; NumPy advises huge pages for them, and where the kernel's THP ``defrag`` policy is
    ``madvise`` each first touch then waits for memory compaction: batched against looped
    calls whose result is such an array (a block of 32 products of 100 networks 32-400-8,
    dense Hessians of 8 networks 32-40-8 and of 100 networks 32-10-8) ran at 0.85-1.07 of the
    loop's speed with the advice and 0.96-1.01 without, while dense Hessians at width 64 took
    1.74 s either way. The costs: up to 64 MiB of freed memory stays mapped to the process,
    freed blocks below 32 MiB are reused rather than unmapped, and large arrays get 4 KiB
    pages. See mallopt(3).
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
            try:
                from numpy._core.multiarray import _set_madvise_hugepage
            except ImportError:                 # NumPy < 2
                from numpy.core.multiarray import _set_madvise_hugepage
            _set_madvise_hugepage(False)
            done.append("numpy-hugepage")
        except (ImportError, AttributeError):   # NumPy moved or dropped the switch
            pass
    if (sys.platform.startswith("linux")
            and not {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_"} & set(os.environ)):
        try:
            mallopt = ctypes.CDLL("libc.so.6").mallopt
        except (OSError, AttributeError):       # not glibc (musl has no mallopt)
            return done
        done += [name for name, value in HOST_MALLOC.items() if mallopt(_MALLOPT[name], value)]
    return done


def check_finite(x, what):
    """Raise ``numpy.linalg.LinAlgError`` when ``x`` holds a NaN or an infinity.

    The second line of defence for device solvers, whose failures can surface as NaN even
    under :func:`linalg_errors` (e.g. batched Jacobi that does not converge)."""
    xp = array_namespace(x)
    if not bool(xp.all(xp.isfinite(x))):
        raise np.linalg.LinAlgError(f"{what} returned non-finite values: the solver failed")
