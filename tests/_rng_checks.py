"""Test-side check of the ``rng=`` contract (DESIGN.md, "Python API"; :mod:`rmtland._seeds`),
shared by the test modules of every creation function that takes ``rng=``.

:func:`check_rng_forms` calls ``make(rng)`` with each accepted form and asserts:

* an int and ``SeedSequence(int)`` give the same result (``seed_sequence(int)`` is
  ``SeedSequence(int)``), and the same int twice the same result;
* the same child of one ``SeedSequence`` (:func:`rmtland._seeds.child`) twice gives the same
  result, two different children different results, and the parent is not mutated;
* a NumPy ``Generator`` is accepted: two Generators seeded alike give the same result, one
  Generator used twice gives two different results (it is a stream, advanced by each use);
* ``None`` is accepted and gives fresh entropy: two calls differ.

"Different" must be a certainty, not a probability: ``make`` should return something that
depends continuously on the random draws (e.g. matrices, starting points, a Monte Carlo mean).
"""
import numpy as np

from rmtland._backend import to_numpy
from rmtland._seeds import child


def host(result):
    """Flat list of host float arrays of a result (array, tuple/list of arrays, or a dict whose
    array-like values are compared; ``seconds`` entries are timings and ignored)."""
    if isinstance(result, dict):
        out = []
        for key in sorted(result, key=str):
            if key != "seconds":
                out += host(result[key])
        return out
    if isinstance(result, (tuple, list)):
        return [a for r in result for a in host(r)]
    if result is None or isinstance(result, str):
        return []
    return [np.asarray(to_numpy(result), dtype=complex).ravel()]


def same(a, b):
    ha, hb = host(a), host(b)
    return len(ha) == len(hb) and all(x.shape == y.shape and np.array_equal(x, y, equal_nan=True)
                                      for x, y in zip(ha, hb))


def check_rng_forms(make, seed=5):
    """Assert the ``rng=`` contract for ``make(rng)`` (see the module notes)."""
    a = make(seed)
    assert same(a, make(seed)), "same int, different results"
    assert same(a, make(np.random.SeedSequence(seed))), "int and SeedSequence(int) differ"
    assert not same(a, make(seed + 1)), "different ints, same result"
    ss = np.random.SeedSequence(seed)
    c0 = make(child(ss, 0))
    assert same(c0, make(child(ss, 0))), "same child, different results"
    assert not same(c0, make(child(ss, 1))), "different children, same result"
    assert not same(c0, a), "a child gave the parent's result"
    assert ss.n_children_spawned == 0
    gen = np.random.default_rng(seed)
    g1, g2 = make(gen), make(gen)
    assert not same(g1, g2), "one Generator used twice gave the same result"
    assert same(g1, make(np.random.default_rng(seed))), "Generators seeded alike differ"
    assert not same(make(None), make(None)), "rng=None twice gave the same result"
