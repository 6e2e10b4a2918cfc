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
