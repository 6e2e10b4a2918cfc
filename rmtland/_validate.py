"""Parameter validation shared by every public entry point.

Each check raises ``ValueError`` naming the parameter and the allowed range, so that
no NaN or nonsense value travels into the numerics.
"""
import math
import numbers

import numpy as np


def _as_real(name, value, allowed="(-inf, inf)"):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating,
                                                                        np.integer)):
        raise ValueError(f"{name} must be a real number (allowed range {allowed}), "
                         f"got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number (allowed range {allowed}), "
                         f"got {value!r}")
    return value


def positive(name, value):
    """``value`` as a float, requiring ``0 < value < inf``."""
    value = _as_real(name, value, "(0, inf)")
    if value <= 0:
        raise ValueError(f"{name} must be > 0 (allowed range (0, inf)), got {value!r}")
    return value


def nonnegative(name, value):
    """``value`` as a float, requiring ``0 <= value < inf``."""
    value = _as_real(name, value, "[0, inf)")
    if value < 0:
        raise ValueError(f"{name} must be >= 0 (allowed range [0, inf)), got {value!r}")
    return value


def finite(name, value):
    """``value`` as a float, requiring it to be finite."""
    return _as_real(name, value)


def integer(name, value, minimum):
    """``value`` as an int, requiring an integer ``>= minimum``."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if isinstance(value, (numbers.Real, np.floating)) and not isinstance(value, numbers.Integral):
        if not (math.isfinite(value) and float(value).is_integer()):
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    elif not isinstance(value, (numbers.Integral, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def finite_array(name, x):
    """``x`` as a float array, requiring every entry to be finite."""
    arr = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers")
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
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return _FLOAT_DTYPES[name]
