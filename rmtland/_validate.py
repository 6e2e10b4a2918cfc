"""Parameter validation shared by every public entry point.

Each check raises ``ValueError`` naming the parameter and the allowed range, so that
no NaN or nonsense value travels into the numerics.
"""
import math
import numbers

import numpy as np


class InputError(ValueError):
    """A parameter outside its allowed range (bad user input): the CLI exits with code 2.

    A ``ValueError``, so the Python API keeps its contract; every check of the package raises
    it, while a ``ValueError`` from inside the numerics stays an internal failure (code 1).
    """


def _as_real(name, value, allowed="(-inf, inf)"):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating,
                                                                        np.integer)):
        raise InputError(f"{name} must be a real number (allowed range {allowed}), "
                         f"got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise InputError(f"{name} must be a finite number (allowed range {allowed}), "
                         f"got {value!r}")
    return value


def positive(name, value, maximum=None):
    """``value`` as a float, requiring ``0 < value < inf`` (and ``<= maximum`` when given)."""
    allowed = f"(0, {maximum:g}]" if maximum is not None else "(0, inf)"
    value = _as_real(name, value, allowed)
    if value <= 0:
        raise InputError(f"{name} must be > 0 (allowed range {allowed}), got {value!r}")
    if maximum is not None and value > maximum:
        raise InputError(f"{name} must be <= {maximum:g} (allowed range {allowed}), "
                         f"got {value!r}")
    return value


def nonnegative(name, value, maximum=None):
    """``value`` as a float, requiring ``0 <= value < inf`` (and ``<= maximum`` when given)."""
    allowed = f"[0, {maximum:g}]" if maximum is not None else "[0, inf)"
    value = _as_real(name, value, allowed)
    if value < 0:
        raise InputError(f"{name} must be >= 0 (allowed range {allowed}), got {value!r}")
    if maximum is not None and value > maximum:
        raise InputError(f"{name} must be <= {maximum:g} (allowed range {allowed}), "
                         f"got {value!r}")
    return value


def finite(name, value, bound=None):
    """``value`` as a float, requiring it to be finite (and ``|value| <= bound`` when given)."""
    allowed = f"[{-bound:g}, {bound:g}]" if bound is not None else "(-inf, inf)"
    value = _as_real(name, value, allowed)
    if bound is not None and abs(value) > bound:
        raise InputError(f"{name} must be in the allowed range {allowed}, got {value!r}")
    return value


def integer(name, value, minimum):
    """``value`` as an int, requiring an integer ``>= minimum``."""
    if type(value) is int and value >= minimum:     # the common case, without ABC checks
        return value
    if isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if isinstance(value, (numbers.Real, np.floating)) and not isinstance(value, numbers.Integral):
        if not (math.isfinite(value) and float(value).is_integer()):
            raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    elif not isinstance(value, (numbers.Integral, np.integer)):
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    value = int(value)
    if value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def finite_array(name, x, bound=None):
    """``x`` as a float array, requiring every entry to be finite (and ``|x| <= bound`` when
    given).  Array-likes (nested lists) are accepted; anything NumPy cannot read as an array
    of real numbers is a ``ValueError`` naming ``name``."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be an array of real numbers (array required), "
                         f"got {type(x).__name__}") from None
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} must contain only finite numbers")
    if bound is not None and np.any(np.abs(arr) > bound):
        raise InputError(f"{name} must lie in [{-bound:g}, {bound:g}]")
    return arr


_FLOAT_DTYPES = {"float64": (np.float64, np.complex128), "float32": (np.float32, np.complex64)}


def float_dtypes(dtype):
    """``(real, complex)`` NumPy dtypes for ``dtype`` in {"float64", "float32"} (a name or a
    dtype); ``ValueError`` naming ``dtype`` otherwise.  The one dtype rule of the package:
    float32 input stays float32."""
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in _FLOAT_DTYPES:
        raise InputError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return _FLOAT_DTYPES[name]


#: The work bound of every study's up-front check (a :class:`Budget` with
#: ``unit="operations"``): multiply-adds, plus :data:`LOOP_OPERATIONS` for every step of a
#: Python-level loop (each costs tens of NumPy calls however small the arrays).  1e15 is
#: about a day on the reference machine (2 CPU cores, ~1e10 float64 multiply-adds per
#: second in batched GEMMs and eigendecompositions) and seconds to minutes on one GPU; a run
#: beyond it is refused before it starts rather than left to run without end (split it into
#: a sweep of smaller points instead).
WORK_MAX = 1e15
#: operations charged for one step of a Python-level loop (a descent step, a Lanczos or
#: Chebyshev step, an SGD mini-batch): ~100 us of interpreter and call overhead at 1e10/s
LOOP_OPERATIONS = 1e6


def _amount(value, unit):
    if unit == "bytes":
        return f"{value / 2**30:.3g} GiB"
    return f"{value:.3g} {unit}"


class Budget:
    """One limit of a run: ``estimate(**sizes)`` (bytes or operations, non-decreasing in every
    size) must stay within ``limit``; ``what`` and ``where`` name it in a refusal."""

    def __init__(self, estimate, limit, *, what, unit="bytes", where="the host"):
        self.estimate, self.limit, self.what = estimate, limit, what
        self.unit, self.where = unit, where

    def cost(self, total):
        return (f"{self.what}: about {_amount(total, self.unit)}, more than the "
                f"{_amount(self.limit, self.unit)} "
                + (f"available on {self.where}" if self.unit == "bytes" else
                   "allowed (rmtland._validate.WORK_MAX, about a day on 2 CPU cores)"))


def within_budget(sizes, *budgets, minimum=None):
    """Refuse ``sizes`` when any :class:`Budget` (memory, work) is exceeded: pure arithmetic,
    before anything is allocated.  Returns each budget's estimate, in order.

    The refusal names the size to blame and its allowed range given the others, judged
    against every budget at once: for each name of ``minimum`` (``{name: smallest allowed
    value}``; default every size, minimum 1) the largest value that fits all budgets is found
    by bisection, and the size furthest above its own largest value is named, e.g. ``inputs
    must be an integer in [1, 4095] with the other sizes as given: ...``.  Raises
    :class:`InputError`.
    """
    def over(s):
        return [(b, t) for b in budgets for t in [b.estimate(**s)] if t > b.limit]

    exceeded = over(sizes)
    if not exceeded:
        return [b.estimate(**sizes) for b in budgets]
    minimum = {n: 1 for n in sizes} if minimum is None else minimum
    best = None
    for name, lo in minimum.items():
        value = sizes[name]
        if value <= lo or over(dict(sizes, **{name: lo})):
            continue                             # this size alone cannot bring it down
        ok, bad = lo, value                      # ok fits every budget, bad does not
        while bad - ok > 1:
            mid = (ok + bad) // 2
            if over(dict(sizes, **{name: mid})):
                bad = mid
            else:
                ok = mid
        ratio = value / ok
        if best is None or ratio > best[0]:
            best = (ratio, name, lo, ok)
    cost = "; ".join(b.cost(t) for b, t in exceeded)
    if best is None:
        names = ", ".join(minimum)
        raise InputError(f"{names}: {cost}; no one of them alone can bring it down: reduce "
                         "several")
    _, name, lo, hi = best
    raise InputError(f"{name} must be an integer in [{lo}, {hi}] with the other sizes as "
                     f"given ({name} = {sizes[name]}): {cost}")
