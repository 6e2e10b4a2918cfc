"""The engine's process-wide glibc malloc settings (rmtland._backend.tune_host_allocator; the
measured reasons are in its docstring). Each case runs in a fresh interpreter, since this
process may have made them already."""
import os
import subprocess
import sys

import pytest

ENGINE = """
import numpy as np
from rmtland import _backend
from rmtland.networks import MLP
assert not _backend._allocator_tuned
model = MLP([3, 4, 2])
model.loss(model.init(2, rng=0), np.ones((5, 3)), np.zeros((5, 2)))
print(_backend._allocator_tuned, _backend.tune_host_allocator())
"""
TUNE = """
from rmtland import _backend
made = _backend.tune_host_allocator()
try:
    from numpy._core.multiarray import _set_madvise_hugepage
except ImportError:     # NumPy < 2
    from numpy.core.multiarray import _set_madvise_hugepage
print(",".join(made) or "-", _set_madvise_hugepage(True))
"""
VARS = ("MALLOC_TOP_PAD_", "MALLOC_MMAP_THRESHOLD_", "NUMPY_MADVISE_HUGEPAGE",
        "RMTLAND_KEEP_ALLOCATOR")


def _run(code, **extra):
    env = {k: v for k, v in os.environ.items() if k not in VARS}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**env, **extra}, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_first_engine_call_tunes_once():
    # the engine's first host call made the settings; a second call makes none
    assert _run(ENGINE) == ["True", "[]"]


@pytest.mark.parametrize("extra, made, hugepage", [
    ({}, "numpy-hugepage,M_MMAP_THRESHOLD,M_TOP_PAD", "False"),
    ({"RMTLAND_KEEP_ALLOCATOR": "1"}, "-", "True"),
    ({"MALLOC_TOP_PAD_": "131072"}, "numpy-hugepage", "False"),
    ({"MALLOC_MMAP_THRESHOLD_": "131072"}, "numpy-hugepage", "False"),
    ({"NUMPY_MADVISE_HUGEPAGE": "1"}, "M_MMAP_THRESHOLD,M_TOP_PAD", "True"),
])
def test_settings_respect_the_environment(extra, made, hugepage):
    # the second field: NumPy's huge-page advice as the call left it (the switch returns the
    # old value); glibc accepts both malloc values (32 MiB is its largest mmap threshold on
    # 64-bit hosts)
    if not sys.platform.startswith("linux") or \
            os.confstr("CS_GNU_LIBC_VERSION").split()[0] != "glibc":
        pytest.skip("glibc only")
    assert _run(TUNE, **extra) == [made, hugepage]


def test_environ_kept_puts_back_set_and_unset_variables(monkeypatch):
    """``environ_kept``: values set on entry; on exit every named variable as it was, one that
    was unset unset again, even after an exception."""
    import os
    from rmtland._backend import environ_kept
    monkeypatch.setenv("RMTLAND_TEST_A", "a")
    monkeypatch.delenv("RMTLAND_TEST_B", raising=False)
    with pytest.raises(RuntimeError):
        with environ_kept(["RMTLAND_TEST_A"], {"RMTLAND_TEST_B": "b"}):
            assert os.environ["RMTLAND_TEST_B"] == "b"
            os.environ["RMTLAND_TEST_A"] = "changed"
            raise RuntimeError
    assert os.environ["RMTLAND_TEST_A"] == "a" and "RMTLAND_TEST_B" not in os.environ


def test_host_blas_names_numpys_library_and_its_kernels(monkeypatch):
    """threadpoolctl's report of the BLAS behind NumPy (the library and the kernels that set
    the GEMM rate), with the environment's OPENBLAS_CORETYPE, and {} without threadpoolctl;
    result files carry it in their versions."""
    import sys
    from rmtland._backend import describe_blas, host_blas
    from rmtland.experiments._run import versions
    pytest.importorskip("threadpoolctl")
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    host_blas.cache_clear()
    blas = host_blas()
    assert set(blas) == {"library", "version", "kernel", "threads", "coretype"}
    assert blas["coretype"] == "Haswell" and blas["threads"] >= 1
    assert versions()["blas"].startswith(str(blas["library"]))
    assert describe_blas({"library": "openblas", "version": "0.3.31", "kernel": "Haswell",
                          "threads": 1, "coretype": "Haswell"}) == \
        "openblas 0.3.31 (Haswell kernels, set by OPENBLAS_CORETYPE; 1 thread)"
    assert describe_blas({"library": "mkl", "version": "2025", "kernel": None, "threads": 4,
                          "coretype": None}) == "mkl 2025 (4 threads)"
    monkeypatch.delenv("OPENBLAS_CORETYPE")
    assert host_blas()["coretype"] == "Haswell"                      # read once per process
    host_blas.cache_clear()
    assert host_blas()["coretype"] is None
    import threadpoolctl                                               # NumPy's BLAS, not
    libs = [{"user_api": "blas", "internal_api": "mkl", "version": "2025", # the first listed
             "architecture": None, "num_threads": 2, "filepath": "/torch/lib/libmkl.so"}]
    libs += [lib for lib in threadpoolctl.threadpool_info() if lib.get("user_api") == "blas"]
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: libs)
    host_blas.cache_clear()
    assert host_blas()["library"] == blas["library"] != "mkl"
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)          # not installed
    host_blas.cache_clear()
    assert host_blas() == {} and "blas" not in versions()
    host_blas.cache_clear()
