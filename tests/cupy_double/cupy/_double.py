"""State of the CuPy test double: host-leak log, sync counter, linalg failure injection,
errstate, memory.

Everything here is module-level and reset by :func:`reset` (``tests/gpu_double.py`` calls it
on every install).  ``IS_DOUBLE`` lets code tell the double from a real CuPy.
"""
import collections
import os
import traceback

import numpy as np

IS_DOUBLE = True
IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly.")
LINALG = ("eigvalsh", "eigh", "solve", "norm", "inv", "cholesky", "qr", "det", "slogdet")
_SKIP = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
         os.path.dirname(np.__file__) + os.sep)           # the double itself, and NumPy


class Leak(collections.namedtuple("Leak", "kind what where stack")):
    """One refused host conversion: ``kind`` ("asarray", "ufunc", "function", "operand",
    "argument"), ``what`` (e.g. "numpy.sum"), ``where`` (first frame outside the double and
    NumPy, "file:line in func") and ``stack`` (up to 4 such frames, innermost last)."""

    def __str__(self):
        return f"{self.kind} {self.what} at {self.where}"


host_leaks = []
#: device -> host synchronisations by kind ("get", "asnumpy", "float", "int", "bool",
#: "complex", "index", "item", "tolist", "format"), counted by :func:`count_sync`
sync_log = collections.Counter()
#: kinds that CuPy also synchronises on but that only size a result (a data-dependent shape:
#: ``nonzero``, boolean-mask indexing); counted in :func:`sync_counts`, not in :func:`syncs`
SHAPE_KINDS = ("nonzero", "mask")
errstate = {"linalg": "ignore"}
memory = {}
device_count = 1
_injections = {}


def record(kind, what):
    """Log a refused host conversion (the caller raises the TypeError)."""
    frames = [f for f in traceback.extract_stack()[:-1] if not f.filename.startswith(_SKIP)]
    stack = tuple(f"{f.filename}:{f.lineno} in {f.name}" for f in frames[-4:])
    host_leaks.append(Leak(kind, what, stack[-1] if stack else "?", stack))


def count_sync(kind):
    """Record one device -> host synchronisation of ``kind``."""
    sync_log[kind] += 1


def syncs():
    """Number of explicit device -> host synchronisations since the last :func:`reset_syncs`
    (``.get()``, ``cupy.asnumpy``, ``float/int/bool/complex/operator.index`` of a device
    array, ``.item()``, ``.tolist()``, formatting); data-dependent shapes are not included
    (see :func:`sync_counts`)."""
    return sum(v for k, v in sync_log.items() if k not in SHAPE_KINDS)


def sync_counts():
    """Copy of the per-kind counts (explicit kinds and :data:`SHAPE_KINDS`)."""
    return dict(sync_log)


def reset_syncs():
    sync_log.clear()


def leaks():
    """Copy of the host-leak log."""
    return list(host_leaks)


def reset_leaks():
    host_leaks.clear()


def inject_linalg_failure(name, mode="nan", count=None):
    """Make the next ``count`` (None: all, until :func:`clear_injections`) calls of
    ``cupy.linalg.<name>`` fail the way cuSOLVER does: NaN output, silently, unless
    ``cupyx.errstate(linalg="raise")`` is active, then ``numpy.linalg.LinAlgError``."""
    if name not in LINALG:
        raise ValueError(f"unknown linalg function {name!r}; one of {LINALG}")
    if mode != "nan":
        raise ValueError(f"mode must be 'nan', got {mode!r}")
    _injections[name] = [mode, count]


def clear_injections():
    _injections.clear()


def take_injection(name):
    """True when an injected failure applies to this call of ``name`` (uses one up)."""
    inj = _injections.get(name)
    if inj is None:
        return False
    if inj[1] is not None:
        inj[1] -= 1
        if inj[1] <= 0:
            del _injections[name]
    return True


def set_memory(free=None, total=None, pool_free=None, pool_used=None):
    """Set what ``cupy.cuda.Device().mem_info`` (free, total) and the default memory pool's
    ``free_bytes()`` / ``used_bytes()`` report, in bytes."""
    for key, val in (("free", free), ("total", total), ("pool_free", pool_free),
                     ("pool_used", pool_used)):
        if val is not None:
            memory[key] = int(val)


def reset():
    """Fresh state: no leaks, no injections, errstate ignore, 8 GiB free of 16 GiB, 1 GPU."""
    global device_count
    reset_leaks()
    reset_syncs()
    clear_injections()
    errstate["linalg"] = "ignore"
    memory.update(free=8 << 30, total=16 << 30, pool_free=0, pool_used=0)
    device_count = 1


reset()
