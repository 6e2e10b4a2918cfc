"""Thick-restart Lanczos eigenpairs (rmtland.linalg.eigen) against dense eigvalsh and against
scipy's eigsh (ARPACK) on the same operator with its products counted: eigenvalues within
their computed residual (Parlett Thm 4.5.1) and at eigsh's precision, residuals recomputed
independently, products within eigsh's; a Pennington-Bahri sample; breakdown; budget; bad
input before any product; vectors staying on the device (CuPy double)."""
import numpy as np
import pytest
from scipy.sparse.linalg import LinearOperator, eigsh

from rmtland._validate import InputError
from rmtland.linalg.eigen import eigenpairs
from rmtland.sampling.hessian import sample_hessian


def _known(n=500, seed=0):
    """Q diag(lam) Q^T with a prescribed spectrum: semicircle quantiles on [-2, 2] (square-root
    edges: small gaps at the ends) plus outliers at -2.6 and 3.1."""
    rng = np.random.default_rng(seed)
    p = (np.arange(n - 2) + 0.5) / (n - 2)
    grid = np.linspace(-2, 2, 20001)
    cdf = 0.5 + (grid * np.sqrt(4 - grid ** 2) / 4 + np.arcsin(grid / 2)) / np.pi
    lam = np.sort(np.concatenate([np.interp(p, cdf, grid), [-2.6, 3.1]]))
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (Q * lam) @ Q.T
    return (A + A.T) / 2, lam, Q


@pytest.fixture(scope="module")
def known():
    return _known()


def _wanted(lam, k, which):
    lo = {"LA": 0, "SA": k, "BE": k // 2}[which]
    return np.concatenate([lam[:lo], lam[lam.size - (k - lo):]])


def _eigsh(A, k, which, seed):
    count = [0]

    def mv(x):
        count[0] += 1 if x.ndim == 1 else x.shape[1]
        return A @ x
    L = LinearOperator(A.shape, matvec=mv, matmat=mv, dtype=float)
    w = eigsh(L, k=k, which=which, tol=1e-10, return_eigenvectors=False,
              v0=np.random.default_rng(seed).standard_normal(A.shape[0]))
    return np.sort(w), count[0]


@pytest.mark.parametrize("k, which", [(1, "LA"), (1, "SA"), (5, "LA"), (5, "SA"), (4, "BE"),
                                      (10, "LA")])
def test_against_eigvalsh_and_eigsh(known, k, which):
    """Every eigenvalue within its computed residual of the exact one and within 1e-12 (eigsh
    at tol 1e-10 reaches ~1e-14 here: both at rounding level); the residual recomputed from the
    returned vectors; orthonormal vectors; products at most 1.2 times eigsh's (plus the k of
    the final residual) on the same matrix and tolerance."""
    A, lam, Q = known
    exact = _wanted(lam, k, which)
    r = eigenpairs(A, k, which=which, tol=1e-10, rng=1)
    Y, rho = r["eigenvectors"], r["eigenvalues"]
    assert r["converged"].all()
    assert np.all(np.abs(rho - exact) <= r["residuals"] + 1e-13)            # Parlett 4.5.1
    assert np.max(np.abs(rho - exact)) <= 1e-12
    R = A @ Y - Y * rho
    assert np.allclose(np.linalg.norm(R, axis=0), r["residuals"], rtol=1e-6, atol=1e-14)
    assert np.allclose(Y.T @ Y, np.eye(k), atol=1e-12)
    finite = np.isfinite(r["kato_temple"])
    assert np.all(np.abs(rho - exact)[finite] <= r["kato_temple"][finite] + 1e-14)
    w, products = _eigsh(A, k, which, seed=2)
    assert np.max(np.abs(w - exact)) <= 1e-12                               # eigsh's precision
    assert r["matvecs"] <= 1.2 * products + k, (r["matvecs"], products)


def test_isolated_top_eigenvector(known):
    """The outlier at 3.1 (gap 1.1 to the edge at 2): its vector is the planted column of Q."""
    A, lam, Q = known
    r = eigenpairs(A, 1, rng=3)
    assert abs(abs(r["eigenvectors"][:, 0] @ Q[:, -1]) - 1) <= 1e-12
    assert r["kato_temple"][0] <= 1e-15 and r["gaps"][0] > 0.5


def test_pennington_bahri_sample():
    """A PB sample (phi = 0.5, eps = 0.1): three smallest and three largest against eigvalsh."""
    H = sample_hessian(400, 0.5, 0.1, rng=5)[0]
    ev = np.linalg.eigvalsh(H)
    for which, exact in (("SA", ev[:3]), ("LA", ev[-3:])):
        r = eigenpairs(H, 3, which=which, rng=6)
        assert np.all(np.abs(r["eigenvalues"] - exact) <= r["residuals"] + 1e-13)
        assert np.max(np.abs(r["eigenvalues"] - exact)) <= 1e-11
        w, products = _eigsh(H, 3, which, seed=7)
        assert np.max(np.abs(w - exact)) <= 1e-11
        assert r["matvecs"] <= 1.2 * products + 3


def test_breakdown_and_small_n():
    """Three distinct eigenvalues: the Krylov space of any start has dimension <= 3, the
    recurrence breaks down and restarts from a random orthogonal vector; the eigenvalue 2 of
    multiplicity 20 is found twice. k = n gives the whole spectrum."""
    d = np.concatenate([np.full(20, 2.0), np.full(20, -1.0), np.full(20, 0.5)])
    r = eigenpairs(np.diag(d), 3, which="LA", rng=0)
    assert np.allclose(r["eigenvalues"], [2.0, 2.0, 2.0], atol=1e-13)
    assert np.all(r["residuals"] <= 1e-13)
    A, lam, _ = _known(12, seed=4)
    r = eigenpairs(A, 12, which="SA", rng=0)
    assert np.allclose(r["eigenvalues"], lam, atol=1e-12)


def test_budget_gives_flagged_pairs_with_valid_bounds(known):
    A, lam, _ = known
    r = eigenpairs(A, 5, which="LA", max_products=30, rng=1)
    assert r["matvecs"] == 30 + 5 and not r["converged"].all()
    # the residual is rigorous whatever the convergence: an eigenvalue within r of each rho
    assert all(np.min(np.abs(lam - v)) <= res + 1e-13
               for v, res in zip(r["eigenvalues"], r["residuals"]))


@pytest.mark.parametrize("kwargs, name", [
    ({"k": 0}, "k"), ({"k": 11}, "k"), ({"k": 1.5}, "k"), ({"which": "LM"}, "which"),
    ({"tol": 0.0}, "tol"), ({"tol": -1e-3}, "tol"), ({"tol": float("nan")}, "tol"),
    ({"k": 3, "ncv": 3}, "ncv"), ({"max_products": 0}, "max_products"),
    ({"max_products": 5}, "max_products")])
def test_bad_input(kwargs, name):
    calls = []
    with pytest.raises(InputError, match=name):
        eigenpairs(lambda V: calls.append(1) or V, n=10, **kwargs)
    assert calls == []                                       # refused before any product


def test_basis_beyond_memory_is_refused_before_any_product():
    calls = []
    with pytest.raises(InputError, match=r"ncv must be in \[k \+ 1, "):
        eigenpairs(lambda V: calls.append(1) or V, n=10**9, k=2, ncv=10**4)
    assert calls == []


def test_non_finite_products():
    with pytest.raises(InputError, match="op"):
        eigenpairs(lambda V: V * np.nan, n=10)


def test_backends(xp):
    """NumPy, the CuPy double (no host leak: the fixture checks) and CuPy: the vectors come
    back on the operator's backend and the values match eigvalsh.  On the double: one
    device-to-host transfer per Lanczos product and one for the final residuals (module
    notes), besides the one of dense_operator's symmetry check."""
    A, lam, _ = _known(200, seed=8)
    A = xp.asarray(A)
    double = getattr(getattr(xp, "_double", None), "IS_DOUBLE", False)
    if double:
        xp._double.reset_syncs()
    r = eigenpairs(A, 4, which="BE", rng=1)
    if double:
        # the products but the final 4, the final residuals, the dense matrix's symmetry check
        assert xp._double.syncs() == (r["matvecs"] - 4) + 1 + 1
    assert isinstance(r["eigenvectors"], xp.ndarray) and r["eigenvectors"].shape == (200, 4)
    assert isinstance(r["eigenvalues"], np.ndarray)
    assert np.max(np.abs(r["eigenvalues"] - _wanted(lam, 4, "BE"))) <= 1e-11


@pytest.mark.slow
def test_products_against_eigsh_over_seeds():
    """On a PB operator (n = 1000, the matrix-free Laguerre + dense GOE form), 8 seeds per
    case, the same start vector for both: eigenpairs uses on average at most 1.05 times
    eigsh's products (its final residual product included; measured 0.94-1.03) and reaches
    the same precision (1e-13 against eigvalsh)."""
    from rmtland.sampling.hessian import hessian_operator
    op = hessian_operator(1000, 0.5, 0.1, rng=3, wigner="dense")
    H = op.matvec(np.eye(1000))
    ev = np.linalg.eigvalsh(H)
    for k, which in [(1, "LA"), (1, "SA"), (5, "LA"), (5, "SA"), (6, "BE"), (10, "SA")]:
        ratios = []
        for s in range(8):
            r = eigenpairs(op, k, which=which, tol=1e-10, rng=s)
            w, products = _eigsh(H, k, which, s)
            exact = _wanted(ev, k, which)
            assert np.max(np.abs(r["eigenvalues"] - exact)) <= 1e-13
            assert np.max(np.abs(w - exact)) <= 1e-13
            ratios.append(r["matvecs"] / products)
        assert np.mean(ratios) <= 1.05 and np.max(ratios) <= 1.15, (k, which, ratios)
