"""``cupy.random`` double: ``default_rng`` and ``Generator`` over NumPy's PCG64.

Streams differ from real CuPy's (XORWOW); only reproducibility by seed is mimicked.
"""
import numbers

import numpy as np

from ._core import call, ndarray, wrap


class Generator:
    """``cupy.random.Generator``; every draw is a device array (0-d when ``size=None``)."""

    def __init__(self, bit_generator):
        self._g = np.random.Generator(bit_generator)


def _draw(name):
    def m(self, *args, **kwargs):
        out = call(getattr(self._g, name), "cupy.random.Generator." + name, args, kwargs)
        return out if isinstance(out, ndarray) else wrap(np.asarray(out))
    m.__name__ = name
    return m


for _n in ("standard_normal", "random", "standard_gamma", "integers", "normal", "uniform",
           "choice", "standard_exponential", "exponential", "gamma", "poisson", "binomial"):
    setattr(Generator, _n, _draw(_n))


def default_rng(seed=None):
    """Generator seeded by ``seed`` (None or a non-negative int of any size)."""
    if isinstance(seed, Generator):
        return seed
    if seed is not None and not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be None or an int, got {type(seed).__name__}")
    return Generator(np.random.PCG64(None if seed is None else int(seed)))
