"""Symmetric tridiagonal matrices: Sturm counts and the lowest eigenvalues by bisection
(rmtland.linalg.tridiagonal), against dense ``numpy.linalg.eigvalsh``.

Accuracy bound (the module's Notes): bisection stops at a bracket of 4 eps max(|a|, |b|), with
|a|, |b| at most the Gershgorin scale s = max_i(|d_i| + |e_{i-1}| + |e_i|) plus a pad of
2 eps s; LAPACK's dense eigvalsh is backward stable, with error a small multiple of n eps ||T||
(Golub & Van Loan, Sec. 8.3). Both together: |bisection - eigvalsh| <= c n eps s, and the tests
use c = 4 (eps of the working dtype).
"""
import numpy as np
import pytest

from rmtland._backend import to_numpy
from rmtland.linalg.tridiagonal import count_below, lowest_eigenvalues
from rmtland.sampling import sample_goe_tridiagonal


def _dense(d, e):
    d, e = to_numpy(d), to_numpy(e)
    B, N = d.shape
    T = np.zeros((B, N, N))
    i = np.arange(N)
    T[:, i, i] = d
    T[:, i[:-1], i[1:]] = e
    T[:, i[1:], i[:-1]] = e
    return T


def _bound(d, e, dtype=np.float64):
    """4 n eps s, s the Gershgorin scale of the batch (module notes)."""
    d, e = np.abs(to_numpy(d)).astype(float), np.abs(to_numpy(e)).astype(float)
    r = d.copy()
    r[:, :-1] += e
    r[:, 1:] += e
    return 4 * d.shape[1] * np.finfo(dtype).eps * max(r.max(), 1.0)


@pytest.mark.parametrize("N,m", [(1, 1), (2, 2), (9, 3), (60, 5), (60, 60)])
def test_bisection_equals_eigvalsh(xp, N, m, rng):
    d = rng.standard_normal((13, N))
    # off-diagonals of order 1, 1e-9 and exactly 0 (split matrices, near-degenerate pairs)
    e = rng.standard_normal((13, N - 1)) * rng.choice([0.0, 1e-9, 1.0], size=(13, N - 1))
    lam = lowest_eigenvalues(xp.asarray(d), xp.asarray(e), m)
    assert type(lam) is type(xp.asarray(d)) and lam.dtype == np.float64
    ref = np.linalg.eigvalsh(_dense(d, e))[:, :m]
    assert np.max(np.abs(to_numpy(lam) - ref)) <= _bound(d, e)
    # leading batch dimensions are kept
    lam3 = lowest_eigenvalues(xp.asarray(d.reshape(13, 1, N)), xp.asarray(e.reshape(13, 1, N - 1)),
                              m)
    assert lam3.shape == (13, 1, m)
    np.testing.assert_array_equal(to_numpy(lam3)[:, 0], to_numpy(lam))


def test_bisection_goe_samples(device):
    d, e = sample_goe_tridiagonal(100, batch=50, rng=6, device=device)
    ref = np.linalg.eigvalsh(_dense(d, e))[:, :4]
    assert np.max(np.abs(to_numpy(lowest_eigenvalues(d, e, 4)) - ref)) <= _bound(d, e)


def test_bisection_float32(device):
    """float32 in, float32 out, to float32 accuracy (the bound with float32's eps)."""
    d, e = sample_goe_tridiagonal(40, batch=6, rng=7, device=device, dtype="float32")
    lam = lowest_eigenvalues(d, e, 3)
    assert lam.dtype == np.float32
    ref = np.linalg.eigvalsh(_dense(d, e))[:, :3]      # float64 reference
    assert np.max(np.abs(to_numpy(lam) - ref)) <= _bound(d, e, np.float32)


def test_count_below_is_the_number_of_eigenvalues_below(xp, rng):
    """Sturm count of T - xI against dense eigenvalues, for shifts away from every eigenvalue
    by more than the rounding scale (ties could go either way)."""
    B, N, m = 7, 12, 9
    d = rng.standard_normal((B, N))
    e = rng.standard_normal((B, N - 1))
    lam = np.linalg.eigvalsh(_dense(d, e))
    x = rng.uniform(-4, 4, size=(B, m))
    clear = np.abs(lam[:, None, :] - x[:, :, None]).min(axis=2) > _bound(d, e)
    tiny = np.finfo(np.float64).tiny
    counts = count_below(xp.asarray(np.ascontiguousarray(d.T)),
                         xp.asarray(np.ascontiguousarray((e * e).T)), xp.asarray(x),
                         tiny * max(1.0, (e * e).max()), xp)
    expected = (lam[:, None, :] < x[:, :, None]).sum(axis=2)
    assert clear.mean() > 0.9
    np.testing.assert_array_equal(to_numpy(counts)[clear], expected[clear])


def test_bisection_bad_input(xp):
    with pytest.raises(ValueError, match="m"):
        lowest_eigenvalues(xp.zeros((2, 3)), xp.zeros((2, 2)), 4)
    with pytest.raises(ValueError, match="shapes"):
        lowest_eigenvalues(xp.zeros((2, 3)), xp.zeros((2, 3)), 1)
    with pytest.raises(ValueError, match="finite"):
        lowest_eigenvalues(xp.asarray([[np.nan, 0.0]]), xp.zeros((1, 1)), 1)
