"""Samplers: exact finite-n moments, dtypes, seeds and chunking, bad input.

Moment checks compare the batch mean of a per-matrix statistic with its exact finite-n
expectation, within 4 standard errors estimated from the same batch. At n = 10 the 1/n
corrections are 6 to 20 standard errors, so the checks also see them: the n -> inf value is
rejected at 5 standard errors.
"""
import numpy as np
import pytest

from rmtland._backend import gpu_available, to_numpy
from rmtland.sampling import (BLOCK, eigvalsh_batched, hessian_m, iter_goe_chunks,
                              iter_gue_chunks, iter_hessian_chunks, iter_wishart_chunks,
                              sample_goe, sample_gue, sample_hessian, sample_wishart)
from rmtland.sampling.ensembles import _seed_sequence

N = 10            # small n: the 1/n terms of the exact moments are large
BATCH = 2000


def _moments(H):
    """Per-matrix tr H / n and tr H^2 / n = sum |H_ij|^2 / n (H Hermitian), on the host."""
    H = to_numpy(H)
    n = H.shape[-1]
    t1 = np.trace(H, axis1=1, axis2=2).real / n
    t2 = (np.abs(H) ** 2).sum(axis=(1, 2)) / n
    return t1, t2


def _assert_mean(t, exact, k=4.0):
    se = t.std(ddof=1) / np.sqrt(t.size)
    assert abs(t.mean() - exact) < k * se + 1e-12, (t.mean(), exact, se)


def _assert_not_mean(t, value, k=5.0):
    """The batch is precise enough to reject ``value`` (e.g. the n -> inf limit)."""
    se = t.std(ddof=1) / np.sqrt(t.size)
    assert abs(t.mean() - value) > k * se


# ----------------------------------------------------------------------------- moments

@pytest.mark.parametrize("var", [1.0, 2.5])
def test_goe_moments(device, var):
    t1, t2 = _moments(sample_goe(N, batch=BATCH, var=var, rng=11, device=device))
    _assert_mean(t1, 0.0)                       # E tr H / n = 0
    _assert_mean(t2, var * (1 + 1 / N))         # E H_ij^2 = var/n off-diag, 2 var/n diag
    _assert_not_mean(t2, var)


def test_gue_moments(device):
    var = 1.7
    H = sample_gue(N, batch=BATCH, var=var, rng=12, device=device)
    t1, t2 = _moments(H)
    _assert_mean(t1, 0.0)
    _assert_mean(t2, var)                       # E|H_ij|^2 = var/n for all i, j: exactly var
    assert np.all(np.imag(np.diagonal(to_numpy(H), axis1=1, axis2=2)) == 0)


@pytest.mark.parametrize("m", [20, 7])
def test_wishart_moments_real(device, m):
    # E tr W / n = 1; E tr W^2 / n = [n(n-1) m + n(m^2 + 2m)] / (n m^2) = 1 + n/m + 1/m
    # (E (sum_j X_ij^2)^2 = m^2 + 2m for a chi-square with m degrees of freedom).
    t1, t2 = _moments(sample_wishart(N, m, batch=BATCH, rng=13, device=device))
    _assert_mean(t1, 1.0)
    _assert_mean(t2, 1 + N / m + 1 / m)
    _assert_not_mean(t2, 1 + N / m)


def test_wishart_moments_complex(device):
    # E|X|^4 = 2 for a standard complex Gaussian, so E tr W^2 / n = 1 + n/m exactly.
    m = 20
    t1, t2 = _moments(sample_wishart(N, m, batch=BATCH, complex=True, rng=14, device=device))
    _assert_mean(t1, 1.0)
    _assert_mean(t2, 1 + N / m)


@pytest.mark.parametrize("phi, eps", [(0.5, 0.3), (0.3, 0.0), (3.0, 0.1)])
def test_hessian_moments(device, phi, eps):
    # H = W + G, independent, E G = 0: E tr H / n = 1,
    # E tr H^2 / n = (1 + n/m + 1/m) + 2 eps (1 + 1/n), with m = round(n/phi).
    m = hessian_m(N, phi)
    t1, t2 = _moments(sample_hessian(N, phi, eps, batch=BATCH, rng=15, device=device))
    _assert_mean(t1, 1.0)
    _assert_mean(t2, 1 + N / m + 1 / m + 2 * eps * (1 + 1 / N))


def test_hessian_m_realised_ratio():
    assert hessian_m(10, 0.3) == 33             # realised ratio 10/33, not 0.3
    assert hessian_m(100, 0.5) == 200
    assert hessian_m(3, 5.0) == 1


# ----------------------------------------------------------------------------- dtypes, shapes

SAMPLERS = {
    "wishart": lambda **kw: sample_wishart(12, 9, **kw),
    "wishart-complex": lambda **kw: sample_wishart(12, 9, complex=True, **kw),
    "goe": lambda **kw: sample_goe(12, **kw),
    "gue": lambda **kw: sample_gue(12, **kw),
    "hessian": lambda **kw: sample_hessian(12, 0.7, 0.2, **kw),
}
ITERATORS = {
    "wishart": lambda **kw: iter_wishart_chunks(12, 9, **kw),
    "wishart-complex": lambda **kw: iter_wishart_chunks(12, 9, complex=True, **kw),
    "goe": lambda **kw: iter_goe_chunks(12, **kw),
    "gue": lambda **kw: iter_gue_chunks(12, **kw),
    "hessian": lambda **kw: iter_hessian_chunks(12, 0.7, 0.2, **kw),
}
COMPLEX = {"wishart-complex", "gue"}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_shape_symmetry(device, name, dtype):
    H = SAMPLERS[name](batch=5, dtype=dtype, rng=0, device=device)
    expected = {"float32": np.complex64, "float64": np.complex128}[dtype] if name in COMPLEX \
        else np.dtype(dtype)
    assert H.shape == (5, 12, 12)
    assert H.dtype == expected
    host = to_numpy(H)
    np.testing.assert_array_equal(host, np.conj(np.swapaxes(host, -1, -2)))   # exactly
    eigs = eigvalsh_batched(H)
    assert eigs.dtype == np.dtype(dtype) and eigs.shape == (5, 12)


def test_float32_is_generated_in_float32(device):
    # Sanity of the float32 path: the spacing of the entries is float32's, not float64's.
    H = to_numpy(sample_goe(64, batch=2, dtype="float32", rng=1, device=device))
    assert H.dtype == np.float32
    assert np.array_equal(H.astype(np.float64).astype(np.float32), H)


# ----------------------------------------------------------------------------- seeds, chunks

@pytest.mark.parametrize("name", sorted(ITERATORS))
def test_chunks_reproduce_the_batch(device, name):
    batch = 2 * BLOCK + 5                       # three seed blocks, the last one partial
    full = to_numpy(SAMPLERS[name](batch=batch, rng=123, device=device))
    ref_eigs = to_numpy(eigvalsh_batched(SAMPLERS[name](batch=batch, rng=123,
                                                        device=device)))
    for chunk in (1, 3, 16, batch):
        parts = list(ITERATORS[name](batch=batch, rng=123, chunk=chunk, device=device))
        assert all(p.shape[0] <= chunk for p in parts)
        np.testing.assert_array_equal(np.concatenate([to_numpy(p) for p in parts]), full)
        eigs = np.concatenate([to_numpy(eigvalsh_batched(p)) for p in parts])
        if device == "cpu":                     # LAPACK: bitwise, whatever the stack size
            np.testing.assert_array_equal(eigs, ref_eigs)
        else:                                   # batched syevj: to rounding
            np.testing.assert_allclose(eigs, ref_eigs, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(
            to_numpy(SAMPLERS[name](batch=batch, rng=123, chunk=chunk, device=device)), full)


def test_seed_forms(device):
    a = to_numpy(sample_goe(6, batch=3, rng=5, device=device))
    b = to_numpy(sample_goe(6, batch=3, rng=np.random.SeedSequence(5), device=device))
    c = to_numpy(sample_goe(6, batch=3, rng=6, device=device))
    np.testing.assert_array_equal(a, b)         # int and SeedSequence(int) agree
    assert not np.array_equal(a, c)
    # a prefix of a batch is the smaller batch
    np.testing.assert_array_equal(to_numpy(sample_goe(6, batch=20, rng=5, device=device))[:3], a)
    ss = np.random.SeedSequence(9)
    sample_goe(6, batch=3, rng=ss, device=device)
    assert ss.n_children_spawned == 0           # the caller's sequence is not mutated


def test_generator_is_a_stream():
    gen = np.random.default_rng(3)
    a = sample_goe(6, batch=2, rng=gen)
    b = sample_goe(6, batch=2, rng=gen)
    assert not np.array_equal(a, b)             # the generator advances
    np.testing.assert_array_equal(sample_goe(6, batch=2, rng=np.random.default_rng(3)), a)


def test_none_seed_gives_fresh_draws():
    assert not np.array_equal(sample_goe(5, rng=None), sample_goe(5, rng=None))


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, match", [
    (lambda: sample_goe(0), "n must be an integer >= 1"),
    (lambda: sample_goe(2.5), "n must be an integer >= 1"),
    (lambda: sample_goe(5, batch=0), "batch must be an integer >= 1"),
    (lambda: sample_goe(5, var=-1.0), "var must be >= 0"),
    (lambda: sample_gue(5, var=float("nan")), "var must be a finite"),
    (lambda: sample_wishart(5, 0), "m must be an integer >= 1"),
    (lambda: sample_hessian(5, 0.0, 0.1), "phi must be > 0"),
    (lambda: sample_hessian(5, -1.0, 0.1), "phi must be > 0"),
    (lambda: sample_hessian(5, 0.5, -0.1), "eps must be >= 0"),
    (lambda: sample_hessian(5, float("inf"), 0.1), "phi must be a finite"),
    (lambda: sample_hessian(5, 100.0, 0.1), r"phi=100.0 is too large for n=5"),
    (lambda: iter_hessian_chunks(5, 0.5, 0.1, batch=0), "batch must be an integer >= 1"),
    (lambda: sample_goe(5, dtype="int32"), "dtype must be 'float64' or 'float32'"),
    (lambda: sample_goe(5, device="tpu"), "device must be one of"),
    (lambda: sample_goe(5, chunk=0), "chunk must be an integer >= 1"),
    (lambda: sample_goe(5, max_bytes=-1), "max_bytes must be > 0"),
])
def test_bad_parameters(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_batch_that_cannot_fit():
    with pytest.raises(ValueError, match=r"batch=1000000 matrices of size n=4096 need .* GiB"):
        sample_goe(4096, batch=10 ** 6)
    # one matrix too large for the budget: refused when the generator is created
    with pytest.raises(ValueError, match=r"one matrix needs about .* GiB .* reduce n"):
        iter_goe_chunks(100, batch=4, max_bytes=1e4)
    with pytest.raises(ValueError, match=r"chunk=4 needs about"):
        iter_goe_chunks(100, batch=4, chunk=4, max_bytes=1e6)
    # a budget smaller than the batch is fine for the generator: it chunks
    parts = list(iter_goe_chunks(100, batch=4, max_bytes=1e6))
    assert len(parts) > 1 and sum(p.shape[0] for p in parts) == 4


def test_bad_rng_type():
    with pytest.raises(TypeError, match="rng must be None, an int"):
        sample_goe(5, rng="seed")
    with pytest.raises(TypeError, match="rng must be None, an int"):
        sample_goe(5, rng=1.5)


def test_numpy_generator_cannot_drive_another_backend():
    # The check itself, with a stand-in for the CuPy namespace (runs without a GPU).
    with pytest.raises(TypeError, match="cannot drive CuPy"):
        _seed_sequence(np.random.default_rng(0), object())


@pytest.mark.gpu
@pytest.mark.skipif(not gpu_available(), reason="needs CuPy and a GPU")
def test_numpy_generator_with_gpu_device():
    with pytest.raises(TypeError, match="cannot drive CuPy"):
        sample_goe(5, rng=np.random.default_rng(0), device="gpu")


@pytest.mark.skipif(gpu_available(), reason="this machine has a GPU")
def test_gpu_without_gpu_is_an_error():
    with pytest.raises(RuntimeError, match="device='gpu' was requested"):
        sample_goe(5, device="gpu")
    with pytest.raises(RuntimeError, match="device='gpu' was requested"):
        iter_hessian_chunks(5, 0.5, 0.1, device="gpu")
    assert sample_goe(5, device="auto").__class__ is np.ndarray
