"""Run ``device="gpu"`` code paths on the NumPy-backed CuPy double in ``tests/cupy_double``.

``install()`` (context manager) or ``activate(monkeypatch)`` (from a test or fixture) put the
double first on ``sys.path``, hide any real ``cupy``/``cupyx`` in ``sys.modules``, import the
double with fresh state and give back its ``cupy`` module; both restore everything after.
Modules that bound ``cupy`` at import time keep what they had (rmtland imports it lazily).

    with install() as cupy:
        H = sample_goe(50, batch=3, rng=0, device="gpu")
        assert cupy._double.leaks() == []
"""
import contextlib
import importlib
import os
import sys

DOUBLE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cupy_double")
_TOP = ("cupy", "cupyx")


def _loaded():
    return [n for n in sys.modules if n.split(".")[0] in _TOP]


def _double_names():
    names = []
    for root, _, files in os.walk(DOUBLE_DIR):
        pkg = os.path.relpath(root, DOUBLE_DIR).replace(os.sep, ".")
        names += [pkg if f == "__init__.py" else f"{pkg}.{f[:-3]}"
                  for f in files if f.endswith(".py")]
    return names


def _import():
    importlib.invalidate_caches()
    cupy = importlib.import_module("cupy")
    importlib.import_module("cupyx")
    if not getattr(getattr(cupy, "_double", None), "IS_DOUBLE", False):
        raise RuntimeError(f"'import cupy' did not give the double: {cupy!r}")
    cupy._double.reset()
    return cupy


@contextlib.contextmanager
def install():
    """Context manager: the double is ``cupy`` inside, yielded; all restored on exit."""
    saved = {n: sys.modules.pop(n) for n in _loaded()}
    sys.path.insert(0, DOUBLE_DIR)
    try:
        yield _import()
    finally:
        for n in _loaded():
            del sys.modules[n]
        sys.modules.update(saved)
        sys.path.remove(DOUBLE_DIR)


def activate(monkeypatch):
    """Same as ``install()`` through pytest's ``monkeypatch`` (undone at teardown)."""
    for n in set(_loaded()) | set(_double_names()):
        if n in sys.modules:
            monkeypatch.delitem(sys.modules, n)
        else:                        # record "absent", so that teardown removes the double
            monkeypatch.setitem(sys.modules, n, None)
            del sys.modules[n]
    monkeypatch.syspath_prepend(DOUBLE_DIR)
    return _import()
