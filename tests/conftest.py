"""Shared fixtures: the array backend ``xp`` and the matching ``device`` string.

NumPy is always tested. CuPy cases carry the ``gpu`` marker and are skipped unless CuPy
imports and sees a GPU (``rmtland._backend.gpu_available()``); on a GPU machine
``pytest -m gpu`` selects exactly them.
"""
import numpy as np
import pytest

from rmtland._backend import gpu_available

GPU = gpu_available()
_needs_gpu = [pytest.mark.gpu, pytest.mark.skipif(not GPU, reason="needs CuPy and a GPU")]


@pytest.fixture(params=["numpy", pytest.param("cupy", marks=_needs_gpu)])
def xp(request):
    """Array module: numpy, and cupy on a GPU machine."""
    if request.param == "numpy":
        return np
    import cupy
    return cupy


@pytest.fixture(params=["cpu", pytest.param("gpu", marks=_needs_gpu)])
def device(request):
    """``device=`` argument for creation functions: "cpu", and "gpu" on a GPU machine."""
    return request.param


@pytest.fixture
def rng():
    """Fixed-seed NumPy Generator for host-side test data."""
    return np.random.default_rng(20240607)
