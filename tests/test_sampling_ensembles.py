"""Samplers (dense ensembles, the Pennington-Bahri Hessian, the tridiagonal GOE): exact finite-n
moments, dtypes, seeds and chunking, the documented random streams, memory, bad input.

Moment checks compare the batch mean of a per-matrix statistic with its exact finite-n
expectation, within 4 standard errors estimated from the same batch (a false alarm has
probability 6e-5 per check for a normal mean). At n = 10 the 1/n corrections are 6 to 20
standard errors, so the checks also see them: the n -> inf value is rejected at 5 standard
errors.

Every ``device`` test runs on NumPy, on the CuPy double (which fails the test on any implicit
host conversion) and on a real GPU where there is one.
"""
import math

import numpy as np
import pytest
from scipy import stats

from _rng_checks import check_rng_forms
from rmtland import _seeds
from rmtland._backend import gpu_available, to_numpy
from rmtland.linalg.dense import eigvalsh_batched
from rmtland.linalg.tridiagonal import lowest_eigenvalues
from rmtland.sampling import (BLOCK, hessian_m, iter_goe_chunks, iter_gue_chunks,
                              iter_hessian_chunks, iter_wishart_chunks, sample_goe,
                              sample_goe_tridiagonal, sample_gue, sample_hessian, sample_wishart)

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
    # the chunk generators keep the dtype too, chunk by chunk
    parts = list(ITERATORS[name](batch=5, dtype=dtype, rng=0, chunk=2, device=device))
    assert [p.dtype for p in parts] == [expected] * 3
    assert all(type(p) is type(H) for p in parts)


# ----------------------------------------------------------------------------- streams

def _goe_from_normals(A, var, n):
    """GOE from the documented formula (``sample_goe`` Notes): H = sigma (A + A^T)/sqrt(2n)."""
    return (A + np.swapaxes(A, -1, -2)) * (math.sqrt(var) / math.sqrt(2 * n))


def _device_only(xp):
    if xp is np:
        pytest.skip("NumPy samples with PCG64 children, not the counter stream "
                    "(test_cpu_goe_is_one_pcg64_child_per_block)")
    # the double computes with NumPy: bitwise; a GPU's log/sqrt/cos/sin may differ from
    # NumPy's by float64 rounding (rmtland._seeds notes), a few ulps after the build
    return 0.0 if getattr(getattr(xp, "_double", None), "IS_DOUBLE", False) else 1e-13


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gpu_goe_is_the_counter_stream(xp, dtype):
    """On CuPy one Philox stream per call: matrix j reads normals j*n*n .. (j+1)*n*n - 1
    (ensembles module notes). Rebuilt here on the host from CounterStream(SeedSequence(7))
    with NumPy and the documented formula. The stream's float32 draws are its float64 draws
    rounded; exact equality in float32 (on the double) also shows that the build is done in
    float32 (a float64 build rounded once at the end differs in the last bit of about half the
    entries)."""
    rtol = _device_only(xp)
    if rtol and dtype == "float32":
        rtol = 2 * np.finfo(np.float32).eps       # a float64 difference can flip a rounding
    n, batch, var = 9, 5, 2.5
    stream = _seeds.CounterStream(np.random.SeedSequence(7), xp=np)
    A = stream.normal(0, (batch, n * n), dtype=dtype).reshape(batch, n, n)
    ref = _goe_from_normals(A, var, n)
    assert ref.dtype == np.dtype(dtype)
    for chunk in (None, 2):
        H = sample_goe(n, batch=batch, var=var, rng=7, dtype=dtype, device="gpu", chunk=chunk)
        assert isinstance(H, xp.ndarray) and H.dtype == np.dtype(dtype)
        np.testing.assert_allclose(xp.asnumpy(H), ref, rtol=rtol, atol=0)


def test_gpu_hessian_reads_one_block_of_normals_per_matrix(xp):
    """Two shapes per matrix (X of n x m, then A of n x n): matrix j reads the block at counter
    offset j * (n m + n n), X first (ensembles module notes); H = X X^T/m (symmetrised) +
    sqrt(2 eps) (A + A^T)/sqrt(2n) (sample_hessian Notes). chunk=2 makes the later chunks start
    mid-stream."""
    _device_only(xp)
    n, phi, eps, batch = 6, 0.5, 0.2, 5
    m = hessian_m(n, phi)
    per = n * m + n * n
    z = _seeds.CounterStream(np.random.SeedSequence(3)).normal(0, (batch, per))
    X, A = z[:, :n * m].reshape(batch, n, m), z[:, n * m:].reshape(batch, n, n)
    W = X @ np.swapaxes(X, 1, 2) / m
    ref = (W + np.swapaxes(W, 1, 2)) / 2 + _goe_from_normals(A, 2 * eps, n)
    H = sample_hessian(n, phi, eps, batch=batch, rng=3, device="gpu", chunk=2)
    # rounding only: matmul order and the product by 1/m against a division, ~n ulps
    np.testing.assert_allclose(xp.asnumpy(H), ref, rtol=1e-13, atol=1e-13)


def test_cpu_goe_is_one_pcg64_child_per_block():
    """On NumPy matrix j comes from the (j // BLOCK)-th child of the call's SeedSequence,
    drawn in order inside its block (ensembles module notes). NumPy only by nature: the GPU
    path uses the counter stream (the two tests above)."""
    n, batch = 4, BLOCK + 3
    kids = np.random.SeedSequence(11).spawn(2)       # NumPy's own spawn, not rmtland's
    A = []
    for blk, kid in enumerate(kids):
        gen = np.random.default_rng(kid)
        A += [gen.standard_normal((n, n)) for _ in range(min(BLOCK, batch - blk * BLOCK))]
    np.testing.assert_array_equal(sample_goe(n, batch=batch, rng=11),
                                  _goe_from_normals(np.array(A), 1.0, n))


# ----------------------------------------------------------------------------- seeds, chunks

@pytest.mark.parametrize("name", sorted(ITERATORS))
def test_chunks_reproduce_the_batch(device, name):
    """Identical matrices for chunk = 1, 3, 16 and None (memory-sized) on every backend: on
    NumPy through the per-block children, on CuPy through the counter offsets."""
    batch = 2 * BLOCK + 5                       # three seed blocks, the last one partial
    full = to_numpy(SAMPLERS[name](batch=batch, rng=123, device=device))
    ref_eigs = to_numpy(eigvalsh_batched(SAMPLERS[name](batch=batch, rng=123,
                                                        device=device)))
    for chunk in (1, 3, 16, None):
        parts = list(ITERATORS[name](batch=batch, rng=123, chunk=chunk, device=device))
        assert all(p.shape[0] <= (chunk or batch) for p in parts)
        np.testing.assert_array_equal(np.concatenate([to_numpy(p) for p in parts]), full)
        eigs = np.concatenate([to_numpy(eigvalsh_batched(p)) for p in parts])
        if device == "cpu":                     # LAPACK: bitwise, whatever the stack size
            np.testing.assert_array_equal(eigs, ref_eigs)
        else:                                   # batched syevj: to rounding, ~n ulp * |H|
            np.testing.assert_allclose(eigs, ref_eigs, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(
            to_numpy(SAMPLERS[name](batch=batch, rng=123, chunk=chunk, device=device)), full)


def test_seed_forms(device):
    a = to_numpy(sample_goe(6, batch=3, rng=5, device=device))
    # a prefix of a batch is the smaller batch
    np.testing.assert_array_equal(to_numpy(sample_goe(6, batch=20, rng=5, device=device))[:3], a)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_rng_forms_samplers(device, name):
    check_rng_forms(lambda rng: SAMPLERS[name](batch=3, rng=rng, device=device))
    check_rng_forms(lambda rng: list(ITERATORS[name](batch=3, rng=rng, chunk=2,
                                                     device=device)))


def test_rng_forms_tridiagonal(device):
    check_rng_forms(lambda rng: sample_goe_tridiagonal(5, batch=3, rng=rng, device=device))


def test_device_generator_is_accepted(xp):
    """A CuPy Generator drives the GPU samplers as a stream: it advances."""
    _device_only(xp)
    gen = xp.random.default_rng(3)
    a = xp.asnumpy(sample_goe(5, batch=2, rng=gen, device="gpu"))
    b = xp.asnumpy(sample_goe(5, batch=2, rng=gen, device="gpu"))
    assert not np.array_equal(a, b)
    again = sample_goe(5, batch=2, rng=xp.random.default_rng(3), device="gpu")
    np.testing.assert_array_equal(xp.asnumpy(again), a)
    d1, _ = sample_goe_tridiagonal(5, batch=2, rng=gen, device="gpu")
    d2, _ = sample_goe_tridiagonal(5, batch=2, rng=gen, device="gpu")
    assert not np.array_equal(xp.asnumpy(d1), xp.asnumpy(d2))


# ----------------------------------------------------------------------------- memory

def test_gpu_chunks_follow_free_device_memory(cupy_double):
    """On CuPy a chunk is sized from the free device memory (plus the pool's free blocks).
    Double only: the free memory of a real GPU cannot be set."""
    n = 100
    # GOE: bytes per matrix = 2 * n*n*8 (draws) + 4 * n*n*8 (temporaries) = 480 kB
    per = 6 * n * n * 8
    whole = cupy_double.asnumpy(sample_goe(n, batch=5, rng=1, device="gpu"))   # 8 GiB free
    cupy_double._double.set_memory(free=int(2.5 * per / 0.5), pool_free=0)  # GPU_FREE_FRACTION
    parts = list(iter_goe_chunks(n, batch=5, rng=1, device="gpu"))
    assert [p.shape[0] for p in parts] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate([cupy_double.asnumpy(p) for p in parts]), whole)
    cupy_double._double.set_memory(free=int(1.5 * per / 0.5), pool_free=int(per / 0.5))
    assert [p.shape[0] for p in iter_goe_chunks(n, batch=5, device="gpu")] == [2, 2, 1]
    cupy_double._double.set_memory(free=per, pool_free=0)          # half of one matrix
    with pytest.raises(ValueError, match=r"one matrix needs .* on the GPU; reduce n"):
        iter_goe_chunks(n, batch=5, device="gpu")


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


def test_bad_rng_type(device):
    for bad in ("seed", 1.5, True):
        with pytest.raises(TypeError, match="rng must be None, an int"):
            sample_goe(5, rng=bad, device=device)
        with pytest.raises(TypeError, match="rng must be None, an int"):
            sample_goe_tridiagonal(5, batch=1, rng=bad, device=device)
    with pytest.raises(ValueError, match="rng must be None, an int"):
        sample_goe(5, rng=-1, device=device)


@pytest.mark.skipif(gpu_available(), reason="this machine has a GPU")
def test_gpu_without_gpu_is_an_error():
    with pytest.raises(RuntimeError, match="device='gpu' was requested"):
        sample_goe(5, device="gpu")
    with pytest.raises(RuntimeError, match="device='gpu' was requested"):
        iter_hessian_chunks(5, 0.5, 0.1, device="gpu")
    with pytest.raises(RuntimeError, match="device='gpu' was requested"):
        sample_goe_tridiagonal(5, batch=1, device="gpu")
    assert sample_goe(5, device="auto").__class__ is np.ndarray


# ----------------------------------------------------------------------------- tridiagonal GOE
# Dumitriu-Edelman (2002), Thm. 2.12, beta = 1, with E M_ij^2 = var (1 + delta_ij)/N.
# Exact moments for var = 1/2 (the default, ABC13's normalisation), M = W/sqrt(N) with W the
# GOE of off-diagonal variance v = 1/2 and diagonal variance 2v:
#   E tr M^2 = (N * 2v + N(N-1) v)/N = (N + 1)/2,
#   E tr W^4 = v^2 (2N^3 + 5N^2 + 5N)   (Wick: 2N^3 from the planar pairings, 5N^2 + 5N from the
#   non-planar and diagonal ones; N = 1: E (N(0,2))^4 = 12 = 2+5+5), so
#   E tr M^4 = (2N^3 + 5N^2 + 5N)/(4N^2) = (2N + 5 + 5/N)/4.

def _dense_tridiagonal(d, e):
    d, e = to_numpy(d), to_numpy(e)
    B, n = d.shape
    T = np.zeros((B, n, n), dtype=d.dtype)
    i = np.arange(n)
    T[:, i, i] = d
    T[:, i[:-1], i[1:]] = e
    T[:, i[1:], i[:-1]] = e
    return T


def test_tridiagonal_shapes_dtypes_and_seed(device):
    d, e = sample_goe_tridiagonal(7, batch=5, rng=1, device=device)
    assert d.shape == (5, 7) and e.shape == (5, 6)
    assert d.dtype == np.float64 and e.dtype == np.float64 and bool((e >= 0).all())
    d2, e2 = sample_goe_tridiagonal(7, batch=5, rng=1, device=device)
    np.testing.assert_array_equal(to_numpy(d), to_numpy(d2))
    np.testing.assert_array_equal(to_numpy(e), to_numpy(e2))
    d3, e3 = sample_goe_tridiagonal(7, batch=5, rng=1, device=device, dtype="float32")
    assert d3.dtype == np.float32 and e3.dtype == np.float32
    assert type(d3) is type(d) and type(e3) is type(d)
    lam = lowest_eigenvalues(d3, e3, 2)
    assert lam.dtype == np.float32 and lam.shape == (5, 2) and type(lam) is type(d)


def test_tridiagonal_entry_laws(device):
    """diag ~ N(0, 2 var/N); offdiag_j^2 ~ (var/N) chi^2_{N-1-j}: exact first two moments."""
    N, B, var = 6, 20000, 0.5
    d, e = (to_numpy(x) for x in sample_goe_tridiagonal(N, batch=B, rng=2, device=device,
                                                        var=var))
    _assert_mean((d ** 2).ravel(), 2 * var / N)
    for j in range(N - 1):
        df = N - 1 - j
        _assert_mean(e[:, j] ** 2, var * df / N)
        _assert_mean(e[:, j] ** 4, var ** 2 * df * (df + 2) / N ** 2)


@pytest.mark.parametrize("N", [3, 10])
def test_tridiagonal_trace_moments_match_dense_goe(N):
    B = 20000
    d, e = sample_goe_tridiagonal(N, batch=B, rng=3)
    lam = np.linalg.eigvalsh(_dense_tridiagonal(d, e))
    m2_exact = (N + 1) / 2
    m4_exact = (2 * N + 5 + 5 / N) / 4
    _assert_mean((lam ** 2).sum(1), m2_exact)
    _assert_mean((lam ** 4).sum(1), m4_exact)
    # the dense GOE of the package, with the same normalisation (var = 1/2)
    lam_dense = np.linalg.eigvalsh(to_numpy(sample_goe(N, batch=B, var=0.5, rng=4)))
    _assert_mean((lam_dense ** 2).sum(1), m2_exact)
    _assert_mean((lam_dense ** 4).sum(1), m4_exact)
    # and the two eigenvalue samples have one law (two-sample KS on the smallest eigenvalue;
    # a false alarm has probability 1e-3)
    assert stats.ks_2samp(lam[:, 0], lam_dense[:, 0]).pvalue > 1e-3


def test_tridiagonal_semicircle_radius_sqrt2():
    """Pooled eigenvalues vs the semicircle on [-sqrt2, sqrt2] (var = 1/2). The expected
    empirical CDF differs from the limit by O(1/N) (bulk corrections; the edge window of
    width N^{-2/3} holds O(1/N) of the mass), and one matrix's CDF fluctuates by
    O(sqrt(log N)/N) (eigenvalue rigidity), so the bound is C/N, C = 3; the semicircle of
    radius 2 (the wrong normalisation) is ~0.1 away."""
    N, B = 200, 20
    d, e = sample_goe_tridiagonal(N, batch=B, rng=5)
    lam = np.linalg.eigvalsh(_dense_tridiagonal(d, e)).ravel()

    def cdf(x, R):
        y = np.clip(x / R, -1, 1)
        return 0.5 + (y * np.sqrt(1 - y * y) + np.arcsin(y)) / np.pi
    assert stats.kstest(lam, lambda x: cdf(x, math.sqrt(2))).statistic < 3 / N
    assert stats.kstest(lam, lambda x: cdf(x, 2.0)).statistic > 0.1


def test_tridiagonal_bad_input():
    with pytest.raises(ValueError, match="N"):
        sample_goe_tridiagonal(1, batch=2)
    with pytest.raises(ValueError, match="batch"):
        sample_goe_tridiagonal(3, batch=0)
    with pytest.raises(ValueError, match="var"):
        sample_goe_tridiagonal(3, batch=1, var=-1.0)
    with pytest.raises(ValueError, match="dtype"):
        sample_goe_tridiagonal(3, batch=1, dtype="int32")


def test_bench_sampling_rows_are_the_same_matrices_count():
    """The benchmark's plain loop builds the same model (same law): its Gauss–Newton part has
    exactly the Wishart first moment E tr H/n = 1 (sample_hessian's Notes); both rows exist."""
    from rmtland.bench import _plain_hessian_loop, bench_sampling
    H = _plain_hessian_loop(40, 0.5, 0.1, 200, 0)
    # E tr H / n = 1; its s.e. over 200 matrices is below sqrt(2(phi + 2 eps)/(n^2 m))/sqrt(200)
    assert abs(np.trace(H, axis1=1, axis2=2).mean() / 40 - 1) < 5 * np.sqrt(2 * 0.7 / (40 * 40)) / np.sqrt(200)
    rows = bench_sampling("cpu", sizes=[16], repeats=1, batch=2)
    assert sorted(r["method"] for r in rows) == ["plain-numpy-loop", "rmtland-sample_hessian"]


@pytest.mark.parametrize("n, m", [(40, 80), (80, 40), (50, 50), (1, 7), (7, 1)])
def test_wishart_eigenvalues_match_the_dense_law(n, m):
    """The bidiagonal Laguerre model (Dumitriu & Edelman 2002, Thm. 3.4) against eigenvalues of
    dense XX^T/m: two-sample KS tests of the largest and of the smallest nonzero eigenvalue,
    one per matrix and so i.i.d. over 400 matrices, at the 0.1% level (fixed seeds: the test
    is deterministic; a wrong chi degree of freedom or scale moves these extremes by many
    standard deviations)."""
    from scipy.stats import ks_2samp
    from rmtland.sampling import wishart_eigenvalues
    a = wishart_eigenvalues(n, m, batch=400, rng=1)
    b = eigvalsh_batched(sample_wishart(n, m, batch=400, rng=2))
    k = min(n, m)
    assert a.shape == (400, n) and np.all(np.diff(a, axis=1) >= 0)
    if n > m:                                   # the atom: exactly n - m zero eigenvalues
        assert np.all(a[:, :n - m] == 0) and np.all(a[:, n - m:] > 0)
    assert ks_2samp(a[:, -1], b[:, -1]).pvalue > 1e-3
    assert ks_2samp(a[:, -k], b[:, -k]).pvalue > 1e-3


def test_goe_eigenvalues_match_the_dense_law():
    from scipy.stats import ks_2samp
    from rmtland.sampling import goe_eigenvalues
    a = goe_eigenvalues(60, batch=400, var=2.0, rng=1)
    b = eigvalsh_batched(sample_goe(60, batch=400, var=2.0, rng=2))
    for j in (0, 30, -1):                       # smallest, middle, largest: same laws
        assert ks_2samp(a[:, j], b[:, j]).pvalue > 1e-3


def test_spectrum_only_samplers_on_every_backend(device):
    from rmtland._backend import get_xp
    from rmtland.sampling import goe_eigenvalues, wishart_eigenvalues
    xp = get_xp(device)
    w = wishart_eigenvalues(12, 6, batch=3, rng=0, device=device)
    g = goe_eigenvalues(9, batch=2, rng=0, device=device, dtype="float32")
    assert isinstance(w, xp.ndarray) and w.shape == (3, 12) and g.dtype == np.float32
    # E tr W/n = 1; tr W/n is a sum of nm squared normals over nm, variance 2/(nm) = 1/36
    # per matrix, so the mean of 3 has s.e. 0.096: 0.5 is over 5 standard errors
    assert abs(float(xp.mean(w)) - 1.0) < 0.5


def test_haar_orthogonal_on_every_backend(device):
    """Q^T Q = I to rounding on every backend (the sign-fixed QR of Mezzadri 2007)."""
    from rmtland._backend import get_xp, to_numpy
    from rmtland.sampling.ensembles import haar_orthogonal
    Q = haar_orthogonal(7, batch=3, rng=2, device=device)
    assert isinstance(Q, get_xp(device).ndarray)
    Qh = to_numpy(Q)
    np.testing.assert_allclose(np.swapaxes(Qh, 1, 2) @ Qh, np.broadcast_to(np.eye(7), (3, 7, 7)),
                               atol=1e-13)
