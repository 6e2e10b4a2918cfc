"""Dense linear algebra (rmtland.linalg.dense): spectra of the sampled ensembles against their
laws, inertia against eigvalsh, the CuPy routes (batched Jacobi / loop of 2-D calls), memory
planning, and loud solver failures (failure injection on the CuPy double).

The limiting CDFs are written here in closed form or by quadrature, independently of
``rmtland.analytic``. KS bound C/n, C = 3: the expected empirical spectral distribution differs
from its limit by O(1/n) (bulk 1/n corrections; the edge window of width n^{-2/3} holds O(1/n)
of the mass) and one matrix's distribution fluctuates by O(sqrt(log n)/n) (eigenvalue
rigidity), so the distance is O(1/n) with a constant of order one (observed 0.5/n to 1.2/n over
seeds and ensembles at n = 200, 10 matrices pooled). The bound has power: a 10 % error in the
variance of a semicircle gives 3.5/n.

Every ``xp``/``device`` test runs on NumPy, on the CuPy double (which fails the test on any
implicit host conversion) and on a real GPU where there is one.
"""
import contextlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import integrate
from scipy.linalg import block_diag

from rmtland._backend import to_numpy
from rmtland._validate import InputError
from rmtland.linalg import dense
from rmtland.linalg.dense import (_inertia_from_blocks, count_negative, eigvalsh_batched,
                                  empirical_cdf_at, inertia)
from rmtland.sampling import sample_goe, sample_gue, sample_hessian, sample_wishart

N_KS = 200
BATCH_KS = 10
KS_BOUND = 3.0 / N_KS


# ----------------------------------------------------------------------------- laws

def semicircle_cdf(x, var):
    r"""CDF of the semicircle of variance ``var`` on [-2σ, 2σ]:
    F(x) = 1/2 + x sqrt(4σ² - x²)/(4πσ²) + arcsin(x/2σ)/π."""
    s = np.sqrt(var)
    x = np.clip(x, -2 * s, 2 * s)
    return (0.5 + x * np.sqrt(np.maximum(4 * var - x * x, 0.0)) / (4 * np.pi * var)
            + np.arcsin(np.clip(x / (2 * s), -1, 1)) / np.pi)


def mp_continuous_cdf(phi):
    r"""CDF of the absolutely continuous part of Marchenko–Pastur(φ), mean 1, normalised to 1.

    ρ(x) = sqrt((λ₊ - x)(x - λ₋)) / (2πφx) on [λ₋, λ₊], λ± = (1 ± √φ)², of mass min(1, 1/φ);
    integrated with quad between grid points, then interpolated.
    """
    lo, hi = (1 - np.sqrt(phi)) ** 2, (1 + np.sqrt(phi)) ** 2
    grid = np.linspace(lo, hi, 801)

    def rho(t):
        return np.sqrt(max((hi - t) * (t - lo), 0.0)) / (2 * np.pi * phi * t)
    pieces = [integrate.quad(rho, a, b)[0] for a, b in zip(grid[:-1], grid[1:])]
    cdf = np.concatenate([[0.0], np.cumsum(pieces)])
    assert cdf[-1] == pytest.approx(min(1.0, 1.0 / phi), rel=1e-6)
    return lambda x: np.interp(x, grid, cdf / cdf[-1])


def hessian_cdf(phi, eps):
    r"""CDF of the Pennington–Bahri law (DESIGN.md): the Stieltjes transform solves
    2εφ G³ − (2ε + zφ) G² + (z + φ − 1) G − 1 = 0; on the real axis the density is
    |Im G|/π of the complex pair of roots (0 where all three are real), then integrated by
    the trapezoid rule on a fine grid."""
    lo = min(0.0, (1 - np.sqrt(phi)) ** 2) - 2 * np.sqrt(2 * eps) - 0.05
    hi = (1 + np.sqrt(phi)) ** 2 + 2 * np.sqrt(2 * eps) + 0.05
    z = np.linspace(lo, hi, 20001)
    a3, a2, a1 = 2 * eps * phi, -(2 * eps + z * phi), z + phi - 1
    companion = np.zeros((z.size, 3, 3))
    companion[:, 0] = np.stack([-a2 / a3, -a1 / a3, np.full_like(z, 1 / a3)], axis=-1)
    companion[:, 1, 0] = companion[:, 2, 1] = 1.0
    rho = np.abs(np.linalg.eigvals(companion).imag).max(axis=-1) / np.pi
    cdf = integrate.cumulative_trapezoid(rho, z, initial=0.0)
    assert cdf[-1] == pytest.approx(1.0, abs=1e-4)
    return lambda x: np.interp(x, z, cdf / cdf[-1])


def ks_distance(sample, cdf):
    """sup |F_empirical - F| for a continuous F."""
    s = np.sort(np.ravel(sample))
    F = cdf(s)
    i = np.arange(1, s.size + 1)
    return max(np.max(i / s.size - F), np.max(F - (i - 1) / s.size))


# ----------------------------------------------------------------------------- laws vs samples

@pytest.mark.parametrize("var", [0.5, 2.0])
def test_goe_gue_spectrum_is_semicircle(device, var):
    for sample in (sample_goe, sample_gue):
        eigs = to_numpy(eigvalsh_batched(sample(N_KS, batch=BATCH_KS, var=var, rng=1,
                                                device=device)))
        assert ks_distance(eigs, lambda x: semicircle_cdf(x, var)) < KS_BOUND, sample.__name__
        assert ks_distance(eigs, lambda x: semicircle_cdf(x, 1.1 * var)) > KS_BOUND


@pytest.mark.parametrize("complex_", [False, True])
def test_wishart_spectrum_is_marchenko_pastur(device, complex_):
    eigs = to_numpy(eigvalsh_batched(sample_wishart(N_KS, 2 * N_KS, batch=BATCH_KS,
                                                    complex=complex_, rng=2, device=device)))
    assert ks_distance(eigs, mp_continuous_cdf(0.5)) < KS_BOUND


def test_wishart_atom_when_phi_above_one(device):
    # phi = n/m = 2: rank m, so exactly n - m eigenvalues vanish (the atom 1 - 1/phi);
    # the others follow the continuous part of Marchenko-Pastur(2).
    n, m = N_KS, N_KS // 2
    eigs = to_numpy(eigvalsh_batched(sample_wishart(n, m, batch=BATCH_KS, rng=3,
                                                    device=device)))
    # a zero eigenvalue comes back as rounding, a small multiple of n eps ||W||, ||W|| ~
    # (1 + sqrt 2)^2 = 5.8: ~1e-13 here; 1e-10 leaves room for Jacobi's looser tolerance
    assert np.all(np.abs(eigs[:, :n - m]) < 1e-10)
    # the continuous part starts at (1 - sqrt 2)^2 = 0.17; the smallest nonzero eigenvalue
    # fluctuates on the edge scale n^{-2/3} ~ 0.03
    assert np.all(eigs[:, n - m:] > 0.05)
    assert ks_distance(eigs[:, n - m:], mp_continuous_cdf(2.0)) < 3.0 / m


@pytest.mark.parametrize("phi, eps", [(0.5, 0.1), (2.0, 0.05)])
def test_hessian_spectrum_and_index(device, phi, eps):
    H = sample_hessian(N_KS, phi, eps, batch=BATCH_KS, rng=4, device=device)
    cdf = hessian_cdf(phi, eps)            # N_KS / phi is an integer: realised ratio = phi
    assert ks_distance(to_numpy(eigvalsh_batched(H)), cdf) < KS_BOUND
    # index = fraction of negative eigenvalues, against the law's F(0)
    index = to_numpy(empirical_cdf_at(H, 0.0)).mean()
    assert abs(index - cdf(0.0)) < KS_BOUND


# ----------------------------------------------------------------------------- inertia

def _assert_counts_match(H, x, method="ldl"):
    """count_negative == #(eigs < x) on every matrix whose eigenvalues are all farther than
    the rounding scale from x (ties excluded); nearly all matrices must qualify."""
    eigs = to_numpy(eigvalsh_batched(H))
    counts = to_numpy(count_negative(H, x, method=method))
    n = eigs.shape[1]
    tol = 10 * np.finfo(eigs.dtype).eps * n * max(1.0, np.abs(eigs).max())
    clear = np.abs(eigs - x).min(axis=1) > tol
    assert clear.mean() >= 0.9
    np.testing.assert_array_equal(counts[clear], (eigs < x).sum(axis=1)[clear])
    assert counts.dtype == np.int64 and counts.shape == (H.shape[0],)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("x", [0.0, -0.7, 0.3, 1.5])
def test_inertia_equals_eigvalsh_count(xp, dtype, x):
    n = 60
    for H in (sample_goe(n, batch=8, rng=5, dtype=dtype),
              sample_gue(n, batch=8, rng=6, dtype=dtype),
              sample_wishart(n, 90, batch=8, rng=7, dtype=dtype),
              sample_hessian(n, 0.5, 0.2, batch=8, rng=8, dtype=dtype)):
        H = xp.asarray(H)
        _assert_counts_match(H, x, "ldl")
        _assert_counts_match(H, x, "auto")


@pytest.mark.parametrize("n", [1, 2, 3, 17, 129])
def test_inertia_sizes_and_two_by_two_pivots(rng, n):
    # Zero-diagonal symmetric matrices force Bunch-Kaufman 2x2 pivots (n >= 2).
    A = rng.standard_normal((6, n, n))
    H = A + np.swapaxes(A, -1, -2)
    if n >= 2:
        H[:, np.arange(n), np.arange(n)] = 0.0
    for x in (0.0, 0.4):
        _assert_counts_match(H, x)
    neg, zero, pos = inertia(H)
    np.testing.assert_array_equal(neg + zero + pos, n)


@pytest.mark.parametrize("complex_", [False, True])
def test_inertia_of_hermitian_input_matches_eigvalsh(xp, rng, complex_):
    B = rng.standard_normal((5, 40, 40))
    if complex_:
        B = B + 1j * rng.standard_normal((5, 40, 40))
    _assert_counts_match(xp.asarray(B + B.conj().swapaxes(1, 2)), 0.1)


def test_asymmetric_input_is_refused(xp):
    """The solvers read one triangle: [[1, 5], [0, 1]] would give 0 negative eigenvalues
    where its symmetric part [[1, 2.5], [2.5, 1]] has one (eigenvalues -1.5, 3.5). Refused by
    every entry point, naming H; the symmetric part is answered."""
    A = xp.asarray(np.array([[[1.0, 5.0], [0.0, 1.0]]]))
    funcs = (count_negative, eigvalsh_batched, lambda h: inertia(h, method="eigvalsh"),
             lambda h: empirical_cdf_at(h, 0.0))
    for f in funcs + ((lambda h: inertia(h, method="ldl")),):
        with pytest.raises(InputError, match=r"H must be symmetric .*H - H\^T"):
            f(A)
    S = 0.5 * (A + A.swapaxes(1, 2))
    assert to_numpy(count_negative(S)).tolist() == [1]
    np.testing.assert_allclose(to_numpy(eigvalsh_batched(S))[0], [-1.5, 3.5])


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-10), ("float32", 1e-5)])
def test_asymmetry_tolerance_is_relative_and_per_matrix(xp, dtype, rtol):
    """Accepted up to rtol * max|H| of each matrix (rounding-level asymmetry of a product
    passes), refused just above; a large matrix in the stack does not hide a small one."""
    assert dense.ASYMMETRY_RTOL[dtype] == rtol
    H = np.stack([np.eye(3), 1e6 * np.eye(3)]).astype(dtype)
    H[0, 0, 1] += 0.5 * rtol                           # max|H_0| = 1
    H[1, 0, 1] += 0.5 * rtol * 1e6
    count_negative(xp.asarray(H), method="eigvalsh")   # inside the tolerance: fine
    H[0, 0, 1] = 4 * rtol
    with pytest.raises(InputError, match=r"matrix 0 of the stack"):
        count_negative(xp.asarray(H), method="eigvalsh")


def test_sampled_matrices_pass_the_symmetry_check(xp):
    """The package's own matrices are exactly symmetric (symmetrised or syrk), float32 too."""
    from rmtland.sampling import sample_hessian, sample_wishart
    dev = "cpu" if xp is np else "gpu"
    for dtype in ("float64", "float32"):
        for H in (sample_hessian(50, 2.0, 0.3, batch=2, rng=1, dtype=dtype, device=dev),
                  sample_wishart(40, 120, batch=2, rng=2, dtype=dtype, device=dev)):
            dense.check_symmetric(H)
            assert to_numpy(xp.abs(H - H.swapaxes(1, 2)).max()) == 0


def test_inertia_of_integer_input_and_exact_zero(xp):
    # diag(-2, 0, 3) and a 2x2 block [[0, 1], [1, 0]] (eigenvalues -1, 1): integer input.
    H = np.zeros((2, 3, 3), dtype=np.int64)
    H[0] = np.diag([-2, 0, 3])
    H[1, :2, :2] = [[0, 1], [1, 0]]
    H[1, 2, 2] = 5
    H = xp.asarray(H)
    for method in ("ldl", "eigvalsh", "auto"):
        neg, zero, pos = (to_numpy(c) for c in inertia(H, method=method))
        np.testing.assert_array_equal(neg, [1, 1])
        np.testing.assert_array_equal(zero, [1, 0])
        np.testing.assert_array_equal(pos, [1, 2])


def test_inertia_from_hand_made_blocks():
    # Blocks (LAPACK lower storage): [1 | [[1,b],[b,2]] b²=4 (det -2) | [[-3,b],[b,-1]] b²=1
    # (det 2, trace -4) | [[2,b],[b,8]] b²=16 (det 0, trace 10) | -5]
    d = np.array([[1.0, 1.0, 2.0, -3.0, -1.0, 2.0, 8.0, -5.0]])
    e2 = np.array([[0.0, 4.0, 0.0, 1.0, 0.0, 16.0, 0.0, 0.0]])
    piv = np.array([[1, -3, -3, -4, -4, -6, -6, 8]])
    neg, zero, pos = _inertia_from_blocks(d, e2, piv)
    assert (neg[0], zero[0], pos[0]) == (4, 1, 3)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.tuples(st.integers(-4, 4)),
                          st.tuples(st.integers(-4, 4), st.integers(-4, 4), st.integers(-4, 4))),
                min_size=1, max_size=8))
def test_inertia_from_random_blocks(blocks):
    # Property: the block parser agrees with the signs of the eigenvalues of D itself.
    # Integer entries keep nonzero eigenvalues of a 2x2 block at least 1/10 from 0.
    d, e2, piv, mats = [], [], [], []
    for blk in blocks:
        k = len(d) + 1
        if len(blk) == 1:
            d += [blk[0]]
            e2 += [0]
            piv += [k]
            mats.append(np.array([[blk[0]]]))
        else:
            a, b, c = blk
            d += [a, c]
            e2 += [b * b, 0]
            piv += [-k, -k]
            mats.append(np.array([[a, b], [b, c]]))
    eigs = np.linalg.eigvalsh(block_diag(*mats).astype(float))
    neg, zero, pos = _inertia_from_blocks(np.array([d], float), np.array([e2], float),
                                          np.array([piv]))
    assert neg[0] == np.sum(eigs < -1e-9)
    assert pos[0] == np.sum(eigs > 1e-9)
    assert zero[0] == len(d) - neg[0] - pos[0]


# ----------------------------------------------------------------------------- eigvalsh

def _small_jacobi(monkeypatch, xp, value=16):
    """Route by size at ``value`` instead of 512 on a GPU backend (keeps the tests small)."""
    if xp is not np:
        monkeypatch.setattr(dense, "JACOBI_MAX_N", value)


def _spy_eigvalsh(monkeypatch, xp):
    """Record the ndim of every ``xp.linalg.eigvalsh`` input: 3 = batched Jacobi, 2 = syevd."""
    calls = []
    real = xp.linalg.eigvalsh

    def spy(a, *args, **kwargs):
        calls.append(a.ndim)
        return real(a, *args, **kwargs)
    monkeypatch.setattr(xp.linalg, "eigvalsh", spy)
    return calls


@pytest.mark.parametrize("dtype, atol", [("float64", 1e-12), ("float32", 1e-5)])
def test_eigvalsh_batched_matches_numpy(xp, rng, monkeypatch, dtype, atol):
    """Same host matrices on each backend, both CuPy routes (n <= JACOBI_MAX_N batched, above
    it one 2-D call per matrix), against NumPy in float64. Tolerance: backward-stable
    eigensolvers err by a small multiple of n eps ||H||, ||H|| ~ 2 here; atol = 1e-12 for
    float64 (n eps ||H|| = 2e-14 at n = 40), 1e-5 for float32 (n eps ||H|| = 1e-5 / 2 at
    n = 40)."""
    _small_jacobi(monkeypatch, xp)
    calls = _spy_eigvalsh(monkeypatch, xp)
    for n, route in ((8, 3), (16, 3), (17, 2), (40, 2)):
        A = rng.standard_normal((3, n, n))
        host = ((A + np.swapaxes(A, -1, -2)) / np.sqrt(2 * n)).astype(dtype)
        calls.clear()
        eigs = eigvalsh_batched(xp.asarray(host))
        assert type(eigs) is type(xp.asarray(host))
        assert eigs.shape == (3, n) and eigs.dtype == np.dtype(dtype)
        if xp is not np:
            assert calls == ([3] if route == 3 else [2, 2, 2])
        ref = np.linalg.eigvalsh(host.astype(np.float64))
        np.testing.assert_allclose(to_numpy(eigs), ref, rtol=0, atol=atol)
        assert np.all(np.diff(to_numpy(eigs), axis=1) >= 0)


def test_eigvalsh_batched_chunks_agree(xp, monkeypatch):
    H = xp.asarray(sample_goe(30, batch=7, rng=9))
    full = to_numpy(eigvalsh_batched(H))
    _small_jacobi(monkeypatch, xp, 64)            # n = 30: the batched route, in chunks
    calls = _spy_eigvalsh(monkeypatch, xp)
    for chunk in (1, 3, 7, 100):
        calls.clear()
        out = to_numpy(eigvalsh_batched(H, chunk=chunk))
        if xp is np:                              # LAPACK: one matrix at a time, bitwise
            np.testing.assert_array_equal(out, full)
        else:                                     # syevj: to rounding (~n eps ||H||)
            np.testing.assert_allclose(out, full, rtol=0, atol=1e-12)
            assert len(calls) == -(-7 // min(chunk, 7))


def test_gpu_chunks_follow_free_device_memory(cupy_double, monkeypatch):
    """The batched route sizes its chunks from the free GPU memory (GPU_FREE_FRACTION of it,
    3 n^2 itemsize bytes per matrix), and says so when one matrix cannot fit. Double only:
    the free memory of a real GPU cannot be set."""
    cp = cupy_double
    n = 8
    per = 3 * n * n * 8
    H = cp.asarray(sample_goe(n, batch=5, rng=1))
    calls = _spy_eigvalsh(monkeypatch, cp)
    cp._double.set_memory(free=int(2 * per / dense.GPU_FREE_FRACTION), pool_free=0)
    eigvalsh_batched(H)
    assert calls == [3, 3, 3]                     # chunks of 2, 2, 1
    cp._double.set_memory(free=per, pool_free=0)
    with pytest.raises(ValueError, match="one matrix to diagonalise needs .* on the GPU; reduce n"):
        eigvalsh_batched(H)


@pytest.mark.parametrize("n", [6, 20], ids=["batched-jacobi", "loop-syevd"])
def test_gpu_eigvalsh_failure_is_loud(cupy_double, monkeypatch, n):
    """An injected cuSOLVER failure (NaN output, as cuSOLVER returns it) raises
    numpy.linalg.LinAlgError on both routes: through cupyx.errstate(linalg="raise"), and,
    where the errstate is missing (a CuPy that ignores it), through the finiteness check.
    The counting functions, which diagonalise on the GPU, raise too. Double only: failures
    can be injected only there."""
    cp = cupy_double
    _small_jacobi(monkeypatch, cp)
    H = cp.asarray(sample_goe(n, batch=4, rng=2))
    ref = cp.asnumpy(eigvalsh_batched(H))
    for count in (None, 1):                       # every call fails, or only the first one
        cp._double.inject_linalg_failure("eigvalsh", count=count)
        with pytest.raises(np.linalg.LinAlgError):
            eigvalsh_batched(H)
        cp._double.clear_injections()
    for f in (count_negative, lambda h: empirical_cdf_at(h, 0.0), lambda h: inertia(h)[0]):
        cp._double.inject_linalg_failure("eigvalsh")
        with pytest.raises(np.linalg.LinAlgError):
            f(H)
        cp._double.clear_injections()
    # each defence alone suffices: the errstate without the finiteness check ...
    with monkeypatch.context() as m:
        m.setattr(dense, "check_finite", lambda x, what: None)
        cp._double.inject_linalg_failure("eigvalsh", count=1)
        with pytest.raises(np.linalg.LinAlgError, match="cuSOLVER"):
            eigvalsh_batched(H)
    # ... and the finiteness check without the errstate
    monkeypatch.setattr(dense, "linalg_errors", lambda xp: contextlib.nullcontext())
    cp._double.inject_linalg_failure("eigvalsh", count=1)
    with pytest.raises(np.linalg.LinAlgError, match="non-finite"):
        eigvalsh_batched(H)
    np.testing.assert_array_equal(cp.asnumpy(eigvalsh_batched(H)), ref)   # used up: fine again


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_empirical_cdf_at_is_fraction(xp, dtype):
    H = sample_goe(50, batch=4, rng=10, dtype=dtype)
    cdf = empirical_cdf_at(xp.asarray(H), 0.25)
    assert type(cdf) is type(xp.asarray(H)) and cdf.dtype == np.float64
    np.testing.assert_array_equal(to_numpy(cdf), (np.linalg.eigvalsh(H) < 0.25).sum(1) / 50)


def test_counts_on_the_device_stay_on_the_device(xp):
    H = xp.asarray(sample_hessian(30, 0.5, 0.2, batch=3, rng=4, dtype="float32"))
    for method in ("auto", "ldl", "eigvalsh"):
        neg, zero, pos = inertia(H, method=method)
        for c in (neg, zero, pos, count_negative(H, method=method)):
            assert type(c) is type(H) and c.dtype == np.int64 and c.shape == (3,)
        np.testing.assert_array_equal(to_numpy(neg + zero + pos), 30)


@pytest.mark.parametrize("bad, err", [
    (lambda: eigvalsh_batched(np.ones((3, 3))), ValueError),
    (lambda: eigvalsh_batched(np.ones((2, 3, 4))), ValueError),
    (lambda: eigvalsh_batched(np.ones((0, 3, 3))), ValueError),
    (lambda: eigvalsh_batched(np.eye(3)[None], chunk=0), ValueError),
    (lambda: count_negative(np.eye(3)[None], float("nan")), ValueError),
    (lambda: count_negative(np.eye(3)[None], method="qr"), ValueError),
    (lambda: empirical_cdf_at(np.ones((4, 4)), 0.0), ValueError),
])
def test_spectra_bad_input(bad, err):
    with pytest.raises(err, match=r"H must|chunk|x must|method must"):
        bad()
