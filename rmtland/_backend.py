"""Array backends: NumPy on the CPU, CuPy on a GPU, one code path.

Creation functions take ``device=`` and call :func:`get_xp`; every other function
takes arrays and calls :func:`array_namespace`.  CuPy is imported only when a GPU is
asked for (``device="gpu"`` or ``"auto"``), never by ``import rmtland``.
"""
import sys

import numpy as np

DEVICES = ("cpu", "gpu", "auto")


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
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    if device == "cpu":
        return np
    cupy, reason = _cupy_or_reason()
    if cupy is not None:
        return cupy
    if device == "auto":
        return np
    raise RuntimeError(f"device='gpu' was requested but {reason}; install the 'gpu' extra "
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


def default_rng(rng, xp):
    """Normalize ``rng`` (None, int, SeedSequence or Generator) to a Generator of ``xp``.

    A NumPy ``Generator`` can only drive NumPy; passing one with CuPy is a ``TypeError``.
    """
    if isinstance(rng, np.random.Generator):
        if xp is not np:
            raise TypeError("a numpy.random.Generator cannot drive CuPy; pass an int seed "
                            "or a numpy.random.SeedSequence instead")
        return rng
    if xp is not np and isinstance(rng, xp.random.Generator):
        return rng
    if isinstance(rng, np.random.SeedSequence) and xp is not np:
        # CuPy's default_rng accepts integer seeds; derive one from the sequence.
        rng = int(rng.generate_state(2, dtype=np.uint64)[0])
    return xp.random.default_rng(rng)
