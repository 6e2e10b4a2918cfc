"""The NumPy-backed CuPy double (tests/cupy_double, installed by tests/gpu_double.py).

The double must refuse implicit host conversions as CuPy does (and log them), compute like
CuPy where CuPy computes, mimic cuSOLVER's silent failures, and leave sys.modules/sys.path as
it found them.
"""
import sys
import types

import numpy as np
import pytest

import gpu_double

IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly.")


@pytest.fixture
def cp(monkeypatch):
    return gpu_double.activate(monkeypatch)


@pytest.fixture
def x(cp):
    return cp.arange(6.0).reshape(2, 3)


# --------------------------------------------------------------------- host boundary

@pytest.mark.parametrize("leak, what, kind", [
    (lambda d: np.asarray(d), "numpy.asarray/numpy.array", "asarray"),
    (lambda d: np.array(d), "numpy.asarray/numpy.array", "asarray"),
    (lambda d: np.sum(d), "numpy.sum", "function"),
    (lambda d: np.sqrt(d), "numpy.sqrt", "ufunc"),
    (lambda d: np.concatenate([d, d]), "numpy.concatenate", "function"),
    (lambda d: np.linalg.eigvalsh(d[:, :2]), "numpy.linalg.eigvalsh", "function"),
    (lambda d: np.ones(3) + d, "numpy.add", "ufunc"),
])
def test_implicit_conversion_is_refused_and_recorded(cp, x, leak, what, kind):
    with pytest.raises(TypeError) as info:
        leak(x)
    assert str(info.value) == IMPLICIT
    (rec,) = cp._double.leaks()
    assert (rec.kind, rec.what) == (kind, what)
    assert rec.where.startswith(__file__ + ":") and rec.where.endswith("in <lambda>")
    cp._double.reset_leaks()
    assert cp._double.leaks() == []


def test_host_array_operands_and_arguments_are_refused(cp, x):
    with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
        x + np.ones(3)
    with pytest.raises(TypeError, match="Unsupported type"):
        x += np.ones(3)
    with pytest.raises(TypeError, match="Unsupported type"):
        cp.where(np.ones((2, 3), dtype=bool), x, 0.0)
    assert [(r.kind, r.what) for r in cp._double.leaks()] == [
        ("operand", "cupy.ndarray.__add__ with a numpy.ndarray"),
        ("operand", "cupy.ndarray.__iadd__ with a numpy.ndarray"),
        ("argument", "cupy.where")]
    assert x.get().tolist() == [[0, 1, 2], [3, 4, 5]]          # the refused += left x alone


def test_explicit_transfers_are_allowed(cp, x):
    host = cp.asnumpy(x)
    assert type(host) is np.ndarray and host.tolist() == [[0, 1, 2], [3, 4, 5]]
    host[0, 0] = 99.0                                           # a copy, not a view
    assert x.get()[0, 0] == 0.0 and type(x.get()) is np.ndarray
    assert x[1, 2].item() == 5.0 and x.tolist()[1] == [3.0, 4.0, 5.0]
    assert (float(x[0, 1]), int(x[1, 0]), bool(x[0, 0]), [10, 20, 30][x[0, 2].astype(int)]) \
        == (1.0, 3, False, 30)
    assert repr(x[0]) == "array([0., 1., 2.])" and f"{x[1, 1]:.2f}" == "4.00"
    back = cp.asarray(host)
    host[0, 0] = -1.0                                           # host -> device is a copy too
    assert float(back[0, 0]) == 99.0 and cp.asarray(back) is back
    assert cp._double.leaks() == []


def test_type_and_attributes(cp, x):
    assert isinstance(x, cp.ndarray) and not isinstance(x, np.ndarray)
    assert (x.shape, x.dtype, x.ndim, x.size, x.itemsize, x.nbytes) == \
        ((2, 3), np.float64, 2, 6, 8, 48)
    assert x.T.shape == (3, 2) and x.flags.c_contiguous and not x.T.flags.c_contiguous
    z = cp.asarray([1 + 2j, 3 - 1j])
    assert z.real.tolist() == [1.0, 3.0] and z.imag.tolist() == [2.0, -1.0]
    assert z.conj().imag.tolist() == [-2.0, 1.0]
    with pytest.raises(TypeError):
        hash(x)
    assert x.device.id == 0


# --------------------------------------------------------------------- arithmetic

def test_scalars_and_0d_arrays_combine(cp, x):
    assert (x * 2).tolist() == [[0, 2, 4], [6, 8, 10]]
    assert (1 - x).tolist()[0] == [1.0, 0.0, -1.0]
    assert (np.float64(2.0) * x).tolist()[1] == [6.0, 8.0, 10.0]
    assert (np.asarray(3.0) + x).tolist()[0] == [3.0, 4.0, 5.0]
    assert (x / np.float32(2.0)).tolist()[0] == [0.0, 0.5, 1.0]
    assert (np.int64(2) < x).tolist() == [[False, False, False], [True, True, True]]
    assert (x ** 2).sum().item() == 55.0 and (2 ** x)[0, 2].item() == 4.0
    assert (-x)[1, 0].item() == -3.0 and abs(-x)[1, 0].item() == 3.0
    m = cp.arange(6).reshape(2, 3)
    assert ((m & 1) | (m >> 1)).tolist() == [[0, 1, 1], [1, 2, 3]] and (~m)[0, 0].item() == -1
    assert (x @ x.T).tolist() == [[5.0, 14.0], [14.0, 50.0]]
    assert cp.matmul(x, x.T)[1, 1].item() == 50.0 and x.dot(x.T)[0, 1].item() == 14.0
    assert cp._double.leaks() == []


def test_in_place_operators_mutate(cp, x):
    alias, row = x, x[0]
    x += 1
    x *= cp.asarray([1.0, 2.0, 3.0])
    x -= np.float64(1.0)
    assert x is alias
    assert x.tolist() == [[0.0, 3.0, 8.0], [3.0, 9.0, 17.0]]
    assert row.tolist() == [0.0, 3.0, 8.0]                      # views share the data
    row /= 2
    elem = x[1, 2]                                              # a 0-d view, as in CuPy
    elem += 1
    assert x.tolist() == [[0.0, 1.5, 4.0], [3.0, 9.0, 18.0]]


def test_reductions_return_0d_device_arrays(cp, x):
    s = cp.sum(x)
    assert isinstance(s, cp.ndarray) and s.shape == () and float(s) == 15.0
    assert isinstance(x.max(), cp.ndarray) and float(x.max()) == 5.0
    assert max(float(cp.max(x)), 7.0) == 7.0
    assert int(cp.argmax(x)) == 5 and int(x.argmin()) == 0
    assert float(x.mean()) == 2.5 and float(cp.std(x)) == pytest.approx(np.sqrt(35 / 12))
    assert bool(cp.all(cp.isfinite(x))) is True and bool((x > 4).any()) is True
    assert x.sum(axis=0).tolist() == [3.0, 5.0, 7.0] and x.cumsum()[-1].item() == 15.0
    assert cp.result_type(x.dtype, cp.float32) == np.float64


def test_indexing_and_assignment(cp, x):
    assert x[x > 2].tolist() == [3.0, 4.0, 5.0]
    assert x[cp.asarray([1, 0]), 2].tolist() == [5.0, 2.0]
    assert x[np.int64(1), 1:].tolist() == [4.0, 5.0]
    assert x[:, None, 1].shape == (2, 1)
    x[x > 3] = 0.0
    x[0, cp.asarray([0, 1])] = cp.asarray([7.0, 8.0])
    x[1, 0] = cp.sum(x[0])                                      # 0-d device value
    x[:, 2] = np.asarray([-1.0, -2.0])                          # host -> device: allowed
    assert x.tolist() == [[7.0, 8.0, -1.0], [17.0, 0.0, -2.0]]
    rows = list(x)
    assert len(x) == 2 and all(isinstance(r, cp.ndarray) for r in rows)
    assert rows[1].tolist() == [17.0, 0.0, -2.0] and 8.0 in x and 9.0 not in x
    assert isinstance(next(iter(rows[0])), cp.ndarray)
    with pytest.raises(TypeError, match="0-d"):
        iter(cp.sum(x))


def test_module_functions_wrap_numpy(cp):
    v = cp.asarray([3, 1, 3, 2, 3])
    reps, inverse = cp.unique(v, return_inverse=True)
    assert isinstance(inverse, cp.ndarray)
    assert reps.tolist() == [1, 2, 3] and inverse.tolist() == [2, 0, 2, 1, 2]
    assert cp.bincount(inverse, minlength=4).tolist() == [1, 1, 3, 0]
    assert cp.argsort(v, kind="stable").tolist() == [1, 3, 0, 2, 4]
    (nz,) = cp.nonzero(v > 2)
    assert nz.tolist() == [0, 2, 4]
    st = cp.stack([v, v]).astype(cp.float32)
    assert st.shape == (2, 5) and st.dtype == np.float32
    assert cp.concatenate([v, cp.zeros(1, dtype=cp.int64)]).tolist() == [3, 1, 3, 2, 3, 0]
    assert cp.broadcast_to(cp.arange(2.0)[:, cp.newaxis], (2, 3)).tolist()[1] == [1.0] * 3
    assert cp.swapaxes(cp.eye(2)[None], -1, -2).shape == (1, 2, 2)
    assert cp.where(v > 2, v, -v).tolist() == [3, -1, 3, -2, 3]
    assert cp.full((2,), cp.inf).tolist() == [np.inf, np.inf]
    assert cp.float64 is np.float64 and cp.int8 is np.int8 and cp.pi == np.pi
    assert cp.dtype("f4") == np.float32
    assert cp.get_array_module(v) is cp and cp.get_array_module(np.ones(1)) is np
    with pytest.raises(AttributeError):
        cp.fft


# --------------------------------------------------------------------- linalg

def test_injected_linalg_failure_is_silent_nan_unless_errstate_raise(cp):
    import cupyx
    A = cp.asarray([[[2.0, 1.0], [1.0, 2.0]]] * 3)
    cp._double.inject_linalg_failure("eigvalsh")
    w = cp.linalg.eigvalsh(A)
    assert w.shape == (3, 2) and bool(cp.all(cp.isnan(w)))
    with cupyx.errstate(linalg="raise"):
        with pytest.raises(np.linalg.LinAlgError):
            cp.linalg.eigvalsh(A)
    assert cupyx.geterr() == {"linalg": "ignore"}
    cp._double.clear_injections()
    assert cp.linalg.eigvalsh(A)[0].tolist() == pytest.approx([1.0, 3.0])
    cp._double.inject_linalg_failure("eigh", count=1)
    w, V = cp.linalg.eigh(A)
    assert V.shape == (3, 2, 2) and bool(cp.all(cp.isnan(V)))
    assert float(cp.linalg.eigh(A)[0][0, 1]) == pytest.approx(3.0)   # count used up
    with pytest.raises(ValueError):
        cp._double.inject_linalg_failure("lstsq")


def test_singular_solve_is_silent_nan_unless_errstate_raise(cp):
    import cupyx
    A, b = cp.zeros((2, 3, 3)), cp.ones((2, 3, 1))
    out = cp.linalg.solve(A, b)
    assert isinstance(out, cp.ndarray) and out.shape == (2, 3, 1)
    assert bool(cp.all(cp.isnan(out)))
    with cupyx.errstate(linalg="raise"):
        with pytest.raises(np.linalg.LinAlgError):
            cp.linalg.solve(A, b)
        assert cp.linalg.solve(cp.eye(3) * 2, b[0]).tolist() == [[0.5]] * 3
    with pytest.raises(np.linalg.LinAlgError):                  # shape errors always raise
        cp.linalg.inv(cp.ones(3))
    assert bool(cp.all(cp.isnan(cp.linalg.cholesky(-cp.eye(2)))))
    with pytest.raises(ValueError):
        cupyx.seterr(linalg="warn")


def test_other_linalg_functions(cp):
    A = cp.asarray([[4.0, 2.0], [2.0, 3.0]])
    assert float(cp.linalg.det(A)) == pytest.approx(8.0)
    sign, logdet = cp.linalg.slogdet(A)
    assert (float(sign), float(logdet)) == pytest.approx((1.0, np.log(8.0)))
    assert np.allclose((cp.linalg.inv(A) @ A).get(), [[1.0, 0.0], [0.0, 1.0]])
    L = cp.linalg.cholesky(A)
    assert np.allclose((L @ L.T).get(), [[4.0, 2.0], [2.0, 3.0]])
    q, r = cp.linalg.qr(A)
    assert np.allclose((q @ r).get(), [[4.0, 2.0], [2.0, 3.0]])
    assert cp.linalg.norm(cp.asarray([[3.0, 4.0]]), axis=1).tolist() == [5.0]


# --------------------------------------------------------------------- random, cuda

def test_default_rng_reproducible_and_a_cupy_generator(cp):
    g1, g2 = cp.random.default_rng(12345), cp.random.default_rng(12345)
    assert isinstance(g1, cp.random.Generator)
    a, b = g1.standard_normal((2, 3)), g2.standard_normal((2, 3))
    assert isinstance(a, cp.ndarray) and a.tolist() == b.tolist()
    assert a.tolist() != cp.random.default_rng(54321).standard_normal((2, 3)).tolist()
    assert g1.random(4, dtype=cp.float32).dtype == np.float32
    gam = g1.standard_gamma(cp.full((3,), 2.0), size=(2, 3))
    assert isinstance(gam, cp.ndarray) and gam.shape == (2, 3) and bool(cp.all(gam > 0))
    one = g1.random()
    assert isinstance(one, cp.ndarray) and one.shape == () and 0.0 <= float(one) < 1.0
    assert g1.integers(0, 3, size=50).max().item() <= 2
    assert cp.random.default_rng(2 ** 100 + 7).uniform(size=2).shape == (2,)
    with pytest.raises(TypeError):
        cp.random.default_rng(np.random.default_rng(0))


def test_cuda_device_streams_and_memory(cp):
    assert cp.cuda.runtime.getDeviceCount() == 1
    assert cp.cuda.Device().mem_info == (8 << 30, 16 << 30)
    assert cp.get_default_memory_pool().free_bytes() == 0
    cp._double.set_memory(free=123, total=1000, pool_free=7)
    assert cp.cuda.Device(0).mem_info == (123, 1000)
    assert cp.get_default_memory_pool().free_bytes() == 7
    cp.get_default_memory_pool().free_all_blocks()
    assert cp.get_default_memory_pool().free_bytes() == 0
    with cp.cuda.Device(0) as dev:
        assert dev.id == 0
    assert cp.cuda.get_current_stream().synchronize() is None
    assert cp.cuda.Stream.null.synchronize() is None
    with pytest.raises(cp.cuda.runtime.CUDARuntimeError):
        cp.cuda.Device(1)
    assert issubclass(cp.cuda.runtime.CUDARuntimeError, RuntimeError)
    assert (cp.__version__, cp._double.IS_DOUBLE) == ("14.0.0-double", True)


def test_library_backend_takes_the_double_for_a_gpu(cp):
    from rmtland import _backend
    assert _backend.gpu_available() is True
    assert _backend.get_xp("gpu") is cp
    d = cp.ones(3)
    assert _backend.array_namespace(d) is cp
    assert _backend.to_numpy(d).tolist() == [1.0, 1.0, 1.0]
    assert cp._double.leaks() == []


# --------------------------------------------------------------------- installation

def _cupy_state():
    return list(sys.path), {n: m for n, m in sys.modules.items()
                            if n.split(".")[0] in ("cupy", "cupyx")}


def test_install_restores_sys_modules_and_sys_path(monkeypatch):
    fake = types.ModuleType("cupy")                 # stands for a real CuPy already imported
    monkeypatch.setitem(sys.modules, "cupy", fake)
    before = _cupy_state()
    with gpu_double.install() as cupy:
        assert sys.modules["cupy"] is cupy and cupy is not fake
        assert cupy._double.IS_DOUBLE and sys.path[0] == gpu_double.DOUBLE_DIR
        assert sys.modules["cupyx"].errstate is not None
    assert _cupy_state() == before and sys.modules["cupy"] is fake


def test_install_restores_after_an_exception():
    before = _cupy_state()
    with pytest.raises(ZeroDivisionError):
        with gpu_double.install():
            1 / 0
    assert _cupy_state() == before


def test_activate_is_undone_by_monkeypatch():
    before = _cupy_state()
    with pytest.MonkeyPatch.context() as mp:
        cupy = gpu_double.activate(mp)
        assert sys.modules["cupy"] is cupy and "cupy.linalg" in sys.modules
        assert sys.path[0] == gpu_double.DOUBLE_DIR
    assert _cupy_state() == before


def test_each_install_starts_with_fresh_state():
    with gpu_double.install() as cupy:
        cupy._double.set_memory(free=1)
        cupy._double.inject_linalg_failure("solve")
        with pytest.raises(TypeError):
            np.asarray(cupy.ones(2))
    with gpu_double.install() as cupy:
        assert cupy.cuda.Device().mem_info[0] == 8 << 30
        assert cupy._double.leaks() == []
        assert cupy.linalg.solve(cupy.eye(2), cupy.ones(2)).tolist() == [1.0, 1.0]
