"""Shared fixtures: the array backend ``xp`` and the matching ``device`` string.

Three backends:

- ``numpy``: always.
- ``double``: the NumPy-backed CuPy test double (``tests/cupy_double``, installed per test by
  :func:`gpu_double.activate`), so that every ``device="gpu"`` code path runs in CI without a
  GPU.  It refuses implicit host conversion as CuPy does and records any NumPy function
  applied to a device array; the fixture fails the test if anything leaked to the host.
- ``cupy``: the real CuPy, marked ``gpu`` and skipped unless CuPy imports and sees a GPU
  (``pytest -m gpu`` on a lent GPU machine selects exactly those).
"""
import numpy as np
import pytest

import gpu_double
from rmtland._backend import gpu_available

GPU = gpu_available()
_needs_gpu = [pytest.mark.gpu, pytest.mark.skipif(not GPU, reason="needs CuPy and a GPU")]
BACKENDS = ["numpy", "double", pytest.param("cupy", marks=_needs_gpu)]


def _leak_report(cupy):
    return "\n".join(f"{leak.kind} {leak.what} at {leak.where}" for leak in cupy._double.leaks())


@pytest.fixture
def cupy_double(monkeypatch):
    """The CuPy double installed as ``cupy`` for this test; fails the test on a host leak."""
    cupy = gpu_double.activate(monkeypatch)
    yield cupy
    assert not cupy._double.leaks(), "host leaks on the GPU path:\n" + _leak_report(cupy)


def _backend(request):
    if request.param == "numpy":
        return np
    if request.param == "double":
        return request.getfixturevalue("cupy_double")
    import cupy
    return cupy


@pytest.fixture(params=BACKENDS)
def xp(request):
    """Array module: numpy, the CuPy double, and cupy on a GPU machine."""
    return _backend(request)


@pytest.fixture(params=BACKENDS)
def device(request):
    """``device=`` argument for creation functions: "cpu", and "gpu" on the CuPy double and on
    a GPU machine."""
    _backend(request)
    return "cpu" if request.param == "numpy" else "gpu"


@pytest.fixture
def rng():
    """Fixed-seed NumPy Generator for host-side test data."""
    return np.random.default_rng(20240607)
