"""Seeds and random streams: the one place that turns an ``rng=`` argument into streams.

Every public function takes ``rng`` as None, an int >= 0, a :class:`numpy.random.SeedSequence`
or a Generator (NumPy's, or CuPy's when running on CuPy). :func:`seed_sequence` turns it into
one ``SeedSequence`` per call; :func:`child` / :func:`children` derive independent
sub-sequences without mutating the caller's; :func:`generator` gives a Generator of the array
module ``xp``.

:class:`CounterStream` is a counter-based stream of standard normals (Philox4x32-10 and
Box-Muller), written with plain elementwise array operations so that the same code runs on
NumPy and CuPy. Normal number ``j`` of a call is a pure function of (key, j), so a caller
that works in chunks reads counters ``start .. start + count`` for each chunk and the result
does not depend on the chunk size, at no cost (no generator is rebuilt per chunk). The key
is 64 bits (two uint32 words from the call's ``SeedSequence``). The counter arithmetic is
exact integer arithmetic followed by float64 ``log``/``sqrt``/``cos``/``sin``, so a NumPy and
a CuPy run with the same seed give the same normals to within float64 rounding of the
transcendental functions.
"""
import math
import numbers

import numpy

from ._validate import InputError
from . import _validate

_MASK32 = 0xFFFFFFFF
_M0, _M1 = 0xD2511F53, 0xCD9E8D57          # Philox4x32 round multipliers
_W0, _W1 = 0x9E3779B9, 0xBB67AE85          # Weyl key increments (golden ratio, sqrt(3) - 1)
_ACCEPTED = ("None, an int >= 0, a numpy.random.SeedSequence or a Generator "
             "(NumPy's, or the array module's)")


def _to_host(x):
    """NumPy copy of an ``xp`` array (``x.get()`` for CuPy)."""
    return x.get() if hasattr(x, "get") else numpy.asarray(x)


def seed_sequence(rng, xp=numpy):
    """One ``SeedSequence`` for a call, from any accepted ``rng``.

    Parameters
    ----------
    rng : None, int, numpy.random.SeedSequence or Generator
        None gives fresh OS entropy; an int >= 0 seeds ``SeedSequence(rng)``; a
        ``SeedSequence`` is returned as is (not copied, not mutated); a NumPy Generator, or a
        Generator of ``xp`` when ``xp`` is not NumPy, is advanced by four float64 draws whose
        53-bit integers become the entropy, so successive calls with one Generator differ.
    xp : module
        Array module whose Generators are accepted (NumPy or CuPy).

    Raises
    ------
    TypeError
        ``rng`` is a bool, float, str or any other type.
    ValueError
        ``rng`` is a negative int.
    """
    if isinstance(rng, numpy.random.SeedSequence):
        return rng
    if isinstance(rng, numpy.random.Generator) or (
            xp is not numpy and isinstance(rng, xp.random.Generator)):
        draws = _to_host(rng.random(4, dtype=numpy.float64)) * 2.0 ** 53
        return numpy.random.SeedSequence([int(d) for d in draws])
    if rng is None:
        return numpy.random.SeedSequence()
    if isinstance(rng, (bool, numpy.bool_)) or not isinstance(rng, numbers.Integral):
        raise TypeError(f"rng must be {_ACCEPTED}; got {type(rng).__name__} {rng!r}")
    if rng < 0:
        raise InputError(f"rng must be {_ACCEPTED}; got the negative int {rng!r}")
    return numpy.random.SeedSequence(int(rng))


def child(ss, i):
    """The ``i``-th spawn of ``ss``, computed without mutating ``ss``.

    Equals ``ss.spawn(i + 1)[i]`` on a fresh ``ss``; ``ss.n_children_spawned`` is ignored.
    """
    i = _validate.integer("i", i, 0)
    return numpy.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (i,),
                                     pool_size=ss.pool_size)


def children(ss_or_rng, k):
    """``[child(seed_sequence(ss_or_rng), i) for i in range(k)]``."""
    ss = seed_sequence(ss_or_rng)
    return [child(ss, i) for i in range(_validate.integer("k", k, 0))]


def generator(rng, xp=numpy):
    """A Generator of ``xp`` from any accepted ``rng``.

    A NumPy Generator with ``xp`` NumPy, or a Generator of ``xp``, is returned as is (it is
    advanced by its use, the NumPy idiom). Otherwise NumPy gets
    ``default_rng(seed_sequence(rng))`` (so ``generator(5)`` draws like
    ``numpy.random.default_rng(5)``) and another ``xp`` gets ``xp.random.default_rng`` of
    the 64-bit int ``(w1 << 32) | w0`` from ``generate_state(2, uint32)``.
    """
    if isinstance(rng, numpy.random.Generator) and xp is numpy:
        return rng
    if xp is not numpy and isinstance(rng, xp.random.Generator):
        return rng
    ss = seed_sequence(rng, xp)
    if xp is numpy:
        return numpy.random.default_rng(ss)
    w0, w1 = key_of(ss)
    return xp.random.default_rng((w1 << 32) | w0)


def key_of(ss):
    """The two uint32 key words ``(k0, k1)`` of ``ss``, from ``ss.generate_state(2, uint32)``."""
    w = ss.generate_state(2, numpy.uint32)
    return int(w[0]), int(w[1])


def philox4x32(c0, c1, c2, c3, k0, k1, xp=numpy, rounds=10):
    """The Philox4x32-R block function, elementwise on uint64 arrays.

    Parameters
    ----------
    c0, c1, c2, c3 : uint64 arrays of one shape, values < 2**32
        The counter words, in Random123's order ``ctr.v[0..3]``.
    k0, k1 : int
        The key words, ``0 <= k < 2**32``.
    xp : module
        Array module of the counters (only operators and methods are used).
    rounds : int
        Number of rounds R; 10 is the paper's Crush-resistant default.

    Returns
    -------
    tuple of four uint64 arrays (values < 2**32), the output words in the same order.
    Each round maps ``(c0, c1, c2, c3)`` to ``(hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)``
    with ``hi0:lo0 = M0 c0`` and ``hi1:lo1 = M1 c2`` (exact uint64 products of 32-bit words,
    ``M0 = 0xD2511F53``, ``M1 = 0xCD9E8D57``); the key is bumped by ``W0 = 0x9E3779B9``,
    ``W1 = 0xBB67AE85`` (mod 2**32) between rounds.

    References
    ----------
    .. [1] J. K. Salmon, M. A. Moraes, R. O. Dror and D. E. Shaw, "Parallel random numbers:
       as easy as 1, 2, 3", Proc. SC'11 (2011), doi:10.1145/2063384.2063405.
    """
    u64 = numpy.uint64
    mask, shift = u64(_MASK32), u64(32)
    for r in range(rounds):
        if r:
            k0, k1 = (k0 + _W0) & _MASK32, (k1 + _W1) & _MASK32
        p0 = c0 * u64(_M0)
        p1 = c2 * u64(_M1)
        c0, c1, c2, c3 = ((p1 >> shift) ^ c1 ^ u64(k0), p1 & mask,
                          (p0 >> shift) ^ c3 ^ u64(k1), p0 & mask)
    return c0, c1, c2, c3


class CounterStream:
    """One counter-based stream of standard normals for one call: normal j (j = 0, 1, 2, ...)
    depends only on (key, j).

    Parameters
    ----------
    rng : None, int, numpy.random.SeedSequence or Generator
        Through :func:`seed_sequence`; the key is :func:`key_of` of that sequence.
    xp : module
        Array module (NumPy or CuPy) of the arrays :meth:`normal` returns.

    Notes
    -----
    Counter ``c`` (``c0`` = low, ``c1`` = high 32 bits, ``c2 = c3 = 0``) gives one
    Philox4x32-10 block ``(w0, w1, w2, w3)`` and two uniforms with 53 random bits,
    ``u = ((w0 >> 5) * 2**26 + (w1 >> 6)) * 2**-53`` and ``v`` likewise from ``(w2, w3)``;
    Box-Muller turns them into ``z[2c] = r cos(2 pi v)``, ``z[2c+1] = r sin(2 pi v)`` with
    ``r = sqrt(-2 log(1 - u))`` (``1 - u`` is in (0, 1], so no log 0).

    References
    ----------
    .. [1] J. K. Salmon, M. A. Moraes, R. O. Dror and D. E. Shaw, "Parallel random numbers:
       as easy as 1, 2, 3", Proc. SC'11 (2011), doi:10.1145/2063384.2063405.
    .. [2] G. E. P. Box and M. E. Muller, "A note on the generation of random normal
       deviates", Ann. Math. Statist. 29 (1958) 610, doi:10.1214/aoms/1177706645.
    """

    def __init__(self, rng, xp=numpy):
        self.key = key_of(seed_sequence(rng, xp))
        self.xp = xp

    def normal(self, start, shape, dtype="float64"):
        """Normals number ``start .. start + prod(shape) - 1`` of the stream.

        Parameters
        ----------
        start : int >= 0
            Index of the first normal; any chunking of one range gives the same values.
        shape : tuple of ints >= 0 (or one int)
            Shape of the result.
        dtype : {"float64", "float32"}
            float32 is the float64 values rounded.

        Returns
        -------
        xp array of ``shape`` and ``dtype``.
        """
        xp = self.xp
        start = _validate.integer("start", start, 0)
        shape = (shape,) if isinstance(shape, numbers.Integral) and not isinstance(
            shape, bool) else shape
        if not isinstance(shape, (tuple, list)):
            raise InputError(f"shape must be a tuple of integers >= 0, got {shape!r}")
        if not all(isinstance(s, numbers.Integral) for s in shape):   # as NumPy: no 2.0
            raise InputError(f"shape must be a tuple of integers >= 0, got {shape!r}")
        shape = tuple(_validate.integer("shape", s, 0) for s in shape)
        if dtype is None:
            raise InputError("dtype must be 'float64' or 'float32', got None")
        name = _validate.float_dtypes(dtype)[0].__name__
        count = math.prod(shape)
        if start + count > 2 ** 65:
            raise InputError(f"start + prod(shape) must be <= 2**65 (the counter space), "
                             f"got start={start}, shape={shape}")
        if count == 0:
            return xp.zeros(shape, dtype=name)
        first, last = start // 2, (start + count - 1) // 2
        c = xp.arange(last - first + 1, dtype=xp.uint64) + numpy.uint64(first)
        zero = xp.zeros_like(c)
        w0, w1, w2, w3 = philox4x32(c & numpy.uint64(_MASK32), c >> numpy.uint64(32),
                                    zero, zero, *self.key, xp=xp)
        u = _uniform53(w0, w1)
        v = _uniform53(w2, w3)
        r = xp.sqrt(-2.0 * xp.log(1.0 - u))
        theta = (2.0 * math.pi) * v
        z = xp.stack([r * xp.cos(theta), r * xp.sin(theta)], axis=-1).reshape(-1)
        off = start - 2 * first
        return z[off:off + count].reshape(shape).astype(name, copy=False)


def _uniform53(hi, lo):
    """``((hi >> 5) * 2**26 + (lo >> 6)) * 2**-53`` in [0, 1), exact in float64."""
    m = ((hi >> numpy.uint64(5)) << numpy.uint64(26)) | (lo >> numpy.uint64(6))
    return m.astype(numpy.float64) * 2.0 ** -53
