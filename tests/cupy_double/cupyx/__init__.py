"""``cupyx`` double: ``errstate`` / ``seterr`` / ``geterr`` for ``linalg`` ("ignore", "raise").

As in CuPy, ``cupy.linalg`` ignores cuSOLVER errors unless ``linalg="raise"`` is set.
"""
import contextlib

from cupy import _double


def seterr(*, linalg=None):
    """Set the linalg error mode; returns the previous settings."""
    old = dict(_double.errstate)
    if linalg is not None:
        if linalg not in ("ignore", "raise"):
            raise ValueError(f"linalg must be 'ignore' or 'raise', got {linalg!r}")
        _double.errstate["linalg"] = linalg
    return old


def geterr():
    return dict(_double.errstate)


@contextlib.contextmanager
def errstate(*, linalg=None):
    old = seterr(linalg=linalg)
    try:
        yield
    finally:
        _double.errstate.update(old)
