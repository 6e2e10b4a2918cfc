"""Operators of rmtland.linalg.operators and the Pennington–Bahri / network factories: exact
identities between storage modes, the laws of the pieces, the exact distributional shortcut
(Laguerre tridiagonal + GOE, in law equal to sample_hessian), and bad input."""
import numpy as np
import pytest
from scipy.stats import ks_2samp

from rmtland._validate import InputError
from rmtland.linalg.operators import (as_operator, dense_operator, diagonal_operator,
                                      sum_operator, tridiagonal_operator)
from rmtland.sampling import sample_hessian
from rmtland.sampling.ensembles import laguerre_tridiagonal
from rmtland.sampling.hessian import (hessian_operator, wigner_operator,
                                      wishart_operator)


def _dense(op):
    xp = op.xp
    return op.matvec(xp.eye(op.n, dtype=op.dtype))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_storage_modes_give_one_matrix(device, dtype):
    """dense, stored tiles and regenerated tiles are one matrix (a tile is a pure function of
    (seed, tile)); stored and regenerated Wishart factors likewise.  Products agree to the
    rounding of different summation orders, and float32 stays float32."""
    tol = {"float64": 1e-12, "float32": 2e-5}[dtype]
    ops = [wigner_operator(150, 0.3, rng=4, mode=m, tile=64, dtype=dtype, device=device)
           for m in ("dense", "stored", "regenerated")]
    xp = ops[0].xp
    V = xp.asarray(np.random.default_rng(0).standard_normal((150, 3)), dtype=dtype)
    ref = ops[0].matvec(V)
    for o in ops[1:]:
        out = o.matvec(V)
        assert out.dtype == np.dtype(dtype)
        assert float(xp.max(xp.abs(out - ref))) <= tol
    a, b = (wishart_operator(150, 200, rng=5, store=s, block=64, dtype=dtype, device=device)
            for s in (True, False))
    assert a.matvec(V).dtype == np.dtype(dtype)
    assert float(xp.max(xp.abs(a.matvec(V) - b.matvec(V)))) <= 10 * tol
    W = _dense(ops[0])
    assert float(xp.max(xp.abs(W - W.T))) == 0.0          # exactly symmetric


def test_wigner_and_wishart_entries_have_the_goe_and_wishart_laws():
    """GOE (sample_goe's law): E W_ij^2 = var (1 + delta_ij)/n; Wishart X X^T/m has
    E tr/n = 1 and E tr^2/n = 1 + n/m + 1/m (sample_wishart's docstring).  Bounds: 4 standard
    errors of the sample variance / sample mean."""
    n, var = 200, 0.5
    W = _dense(wigner_operator(n, var, rng=1, tile=48))
    off = W[np.triu_indices(n, 1)] * np.sqrt(n / var)     # should be N(0, 1)
    dia = np.diag(W) * np.sqrt(n / (2 * var))
    for z in (off, dia):
        s2 = np.mean(z ** 2)
        assert abs(s2 - 1) <= 4 * np.sqrt(2 / z.size)
    m = 300
    t1, t2 = [], []
    for seed in range(20):
        H0 = _dense(wishart_operator(60, m, rng=seed, block=128))
        t1.append(np.trace(H0) / 60)
        t2.append(np.sum(H0 * H0) / 60)
    for vals, exact in ((t1, 1.0), (t2, 1 + 60 / m + 1 / m)):
        assert abs(np.mean(vals) - exact) <= 4 * np.std(vals, ddof=1) / np.sqrt(len(vals))


@pytest.mark.parametrize("phi", [0.5, 2.0])
def test_laguerre_shortcut_has_the_law_of_sample_hessian(phi):
    """spec(T + W) with T the Laguerre tridiagonal has exactly the law of spec(H0 + W): per
    matrix statistics (lowest eigenvalue, tr H^3/n, index) of 300 matrices each, two-sample KS
    p-value > 1e-3 (a false alarm once in a thousand seeds; fixed seeds).  phi = 2 checks the
    zero padding (the atom of H0 at 0)."""
    n, eps, S = 24, 0.05, 300
    short = np.array([_dense(hessian_operator(n, phi, eps, rng=s, wigner="dense"))
                      for s in range(S)])
    full = sample_hessian(n, phi, eps, batch=S, rng=10 ** 6)
    for H in (short, full):
        assert np.max(np.abs(H - np.swapaxes(H, 1, 2))) < 1e-12
    ev_s, ev_f = np.linalg.eigvalsh(short), np.linalg.eigvalsh(full)
    for stat in (lambda e: e[:, 0], lambda e: np.mean(e ** 3, 1), lambda e: np.mean(e < 0.1, 1)):
        assert ks_2samp(stat(ev_s), stat(ev_f)).pvalue > 1e-3
    # power: a wrong GOE variance (eps doubled) is detected by the same test
    wrong = np.array([_dense(hessian_operator(n, phi, 2 * eps, rng=s, wigner="dense"))
                      for s in range(S)])
    assert ks_2samp(np.linalg.eigvalsh(wrong)[:, 0], ev_f[:, 0]).pvalue < 1e-3


def test_laguerre_tridiagonal_trace():
    """E tr T = E tr XX^T/m = n exactly (Dumitriu-Edelman: sum of chi^2 degrees of freedom
    k K / m with k = min(n, m), K = max(n, m)); zero padding for n > m."""
    for n, m in ((30, 60), (60, 30)):
        tr = [float(np.sum(laguerre_tridiagonal(n, m, rng=s)[0])) for s in range(200)]
        assert abs(np.mean(tr) - min(n, m) * max(n, m) / m) <= 4 * np.std(tr, ddof=1) / np.sqrt(200)
    (d,), (e,) = laguerre_tridiagonal(60, 30, rng=0)
    assert np.all(d[30:] == 0) and np.all(e[29:] == 0)


def test_small_operators_are_their_matrices(xp):
    rng = np.random.default_rng(0)
    d, e = rng.standard_normal(7), rng.standard_normal(6)
    T = np.diag(d) + np.diag(e, 1) + np.diag(e, -1)
    V = rng.standard_normal((7, 2))
    op = tridiagonal_operator(xp.asarray(d), xp.asarray(e))
    assert np.allclose(_to_np(xp, op.matvec(xp.asarray(V))), T @ V, rtol=0, atol=1e-14)
    s = sum_operator(op, diagonal_operator(xp.asarray(d)), dense_operator(xp.asarray(T)))
    assert np.allclose(_to_np(xp, s.matvec(xp.asarray(V[:, 0]))), (2 * T + np.diag(d)) @ V[:, 0],
                       rtol=0, atol=1e-13)


def _to_np(xp, a):
    return a.get() if hasattr(a, "get") else np.asarray(a)


def test_callable_is_checked_on_every_product():
    A = np.diag(np.arange(5.0))
    good = as_operator(lambda V: A @ V, n=5)
    assert np.array_equal(good.matvec(np.ones((5, 2))), A @ np.ones((5, 2)))
    for f, what in ((lambda V: V[:4], "shape"), (lambda V: "x", "shape")):
        with pytest.raises(InputError, match="op") as exc:
            as_operator(f, n=5).matvec(np.ones((5, 1)))
        assert what in str(exc.value)
    # non-finite products: caught once per estimator call (no sync per product)
    from rmtland.linalg.spectral import spectrum
    for method in ("slq", "kpm"):
        with pytest.raises(InputError, match="op returned non-finite"):
            spectrum(lambda V: V * np.nan, n=5, method=method, probes=2, steps=3, degree=4)
    with pytest.raises(InputError, match="op must be symmetric"):
        as_operator(np.array([[1.0, 5.0], [0.0, 1.0]]))
    with pytest.raises(InputError, match="n "):
        as_operator(lambda V: V)
    with pytest.raises(InputError, match="op"):
        as_operator(np.ones((3, 4)))
    with pytest.raises(InputError, match="op"):
        as_operator(np.array([[1.0, np.inf], [np.inf, 1.0]]))
    with pytest.raises(InputError, match="share"):
        sum_operator(dense_operator(np.eye(3)), dense_operator(np.eye(4)))
    with pytest.raises(InputError, match="mode"):
        wigner_operator(10, 1.0, mode="packed")
    with pytest.raises(InputError, match="model"):
        hessian_operator(10, 0.5, 0.1, model="free")


def test_wigner_operator_builds_nothing_of_size_n_squared_over_tile_squared():
    """n = 10^7 in "regenerated" mode holds no tile and no list of the T(T+1)/2 tile pairs
    (2·10^8 tuples, 1.3 GB when the pairs were a list): building it traces < 16 MiB, and the
    stored mode at that n is refused by its memory check before any tile is drawn."""
    import tracemalloc
    tracemalloc.start()
    try:
        op = wigner_operator(10 ** 7, 0.1, rng=0, mode="regenerated")
        peak = tracemalloc.get_traced_memory()[1]
        with pytest.raises(InputError, match="stored Wigner tiles"):
            wigner_operator(10 ** 7, 0.1, rng=0, mode="stored")
        peak = max(peak, tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()
    assert op.n == 10 ** 7 and peak < 16 * 2 ** 20


def test_scipy_linear_operators_are_wrapped_by_their_matmat():
    """A scipy LinearOperator (has .shape, like an array) is used through matmat on (n, b)
    blocks, not as a dense matrix: its products equal A @ V of the matrix it wraps, the
    dtype is its own (float32 stays float32), and the spectrum of it is the spectrum of the
    dense matrix (same probes: the same Lanczos run, to rounding).  Non-square and
    non-symmetric operators are refused naming op (the symmetry check is one product of two
    random unit vectors: |u.Av - v.Au| is O(||A||) for this A, far above sqrt(eps))."""
    from scipy.sparse.linalg import LinearOperator, aslinearoperator
    from rmtland.linalg.spectral import spectrum
    rng = np.random.default_rng(0)
    G = rng.standard_normal((30, 30))
    A = (G + G.T) / 2
    calls = []

    def matmat(V):
        calls.append(V.shape)
        return A @ V
    lin = LinearOperator((30, 30), matvec=lambda v: A @ v, matmat=matmat, dtype=np.float64)
    op = as_operator(lin)
    assert op.n == 30 and op.dtype == np.float64 and op.xp is np
    V = rng.standard_normal((30, 4))
    calls.clear()
    assert np.abs(op.matvec(V) - A @ V).max() <= 1e-13
    assert calls == [(30, 4)]                                   # one block product
    a = spectrum(op, probes=3, steps=30, rng=1)
    b = spectrum(A, probes=3, steps=30, rng=1)
    assert abs(a["index"] - b["index"]) <= 1e-12
    assert abs(a["lambda_max"] - b["lambda_max"]) <= 1e-10
    op32 = as_operator(aslinearoperator(A.astype(np.float32)))
    assert op32.dtype == np.float32 and op32.matvec(V.astype(np.float32)).dtype == np.float32
    with pytest.raises(InputError, match="op must be a square"):
        as_operator(aslinearoperator(np.ones((3, 4))))
    with pytest.raises(InputError, match="op must be symmetric"):
        as_operator(aslinearoperator(G))
    bad = LinearOperator((5, 5), matvec=lambda v: v[:4], matmat=lambda V: V[:4],
                         dtype=np.float64)
    with pytest.raises(InputError, match="op"):
        as_operator(bad)


def test_sparse_matrices_and_matmul_objects_are_wrapped_by_their_products():
    """A scipy sparse matrix (shape and @, no matmat) and any non-array object with shape and
    @ are used through ``op @ V``: the products equal the dense matrix's; a non-symmetric one
    is refused naming op."""
    import scipy.sparse as sp
    A = sp.random(40, 40, density=0.1, random_state=0, format="csr")
    A = (A + A.T).tocsr()
    V = np.random.default_rng(1).standard_normal((40, 3))
    op = as_operator(A)
    assert op.n == 40 and op.dtype == np.float64
    assert np.abs(op.matvec(V) - A.toarray() @ V).max() <= 1e-13

    class Matmul:
        shape, dtype = (40, 40), np.dtype(np.float32)

        def __matmul__(self, X):
            return (A @ X).astype(np.float32)
    op32 = as_operator(Matmul())
    assert op32.dtype == np.float32 and op32.matvec(V).dtype == np.float32
    with pytest.raises(InputError, match="op must be symmetric"):
        as_operator(sp.random(40, 40, density=0.2, random_state=2, format="csr"))
