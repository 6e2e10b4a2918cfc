"""Empirical-vs-theory comparisons (rmtland.compare).

Statistical checks use fixed seeds and bounds in standard errors.  The index of an n x n
sample carries an O(1/n) finite-size bias besides its sampling error: measured with this
package, n(alpha_hat - alpha) = 0.12 +- 0.02 eigenvalues per matrix at (phi, eps) = (0.5, 0.1)
for n = 50..200 (hessian_index_sample, 800-4000 matrices), so the bounds below allow one
eigenvalue per matrix (1/n) on top of 4 standard errors.
"""
import math

import numpy as np
import pytest

from rmtland.analytic import MarchenkoPastur, PenningtonBahri, Semicircle
from rmtland.compare import (compare_hessian, finite_size_study, fit_power_law,
                             hessian_index_sample, hessian_spectra, index_estimate, ks_distance,
                             l1_distance, snap_zeros)


def test_ks_distance_exact_small_cases():
    # uniform-like check against a law with a closed-form CDF: one point at the median of the
    # semicircle gives F_N = 0 below and 1 above, F = 1/2 there: D = 1/2
    law = Semicircle(1.0)
    assert ks_distance(np.array([[0.0]]), law) == pytest.approx(0.5, abs=1e-15)
    # two points at the quartiles x1 < x2 with F(x1) = 1/4, F(x2) = 3/4: D = 1/4
    from scipy.optimize import brentq
    q = [brentq(lambda x, p=p: law.cdf(np.array([x]))[0] - p, -2, 2, xtol=1e-14)
         for p in (0.25, 0.75)]
    assert ks_distance(np.array([q]), law) == pytest.approx(0.25, abs=1e-12)


def test_ks_distance_with_an_atom():
    # Marchenko-Pastur phi = 2 has an atom 1/2 at 0: a sample with exactly half zeros and the
    # rest at the quantiles of the continuous part has a distance of order 1/N, not 1/2
    law = MarchenkoPastur(2.0)
    from scipy.optimize import brentq
    N = 200
    probs = 0.5 + (np.arange(N // 2) + 0.5) / N
    cont = [brentq(lambda x, p=p: law.cdf(np.array([x]))[0] - p, law.lam_m, law.lam_p,
                   xtol=1e-14) for p in probs]
    eigs = np.concatenate([np.zeros(N // 2), cont])[None]
    assert ks_distance(eigs, law) == pytest.approx(0.5 / N, abs=1e-9)


def test_snap_zeros_rank_deficient():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 60, 30))
    eigs = np.linalg.eigvalsh(X @ np.swapaxes(X, 1, 2) / 30)
    snapped = snap_zeros(eigs)
    assert np.all(np.count_nonzero(snapped == 0, axis=1) == 30)   # rank 30 of 60
    assert np.all(snapped >= 0)


def test_index_estimate_standard_error():
    eigs = np.array([[-1.0, 1.0, 2.0, 3.0], [-1.0, -2.0, 1.0, 2.0]])   # 1/4 and 1/2
    mean, se = index_estimate(eigs)
    assert mean == pytest.approx(0.375)
    assert se == pytest.approx(np.std([0.25, 0.5], ddof=1) / math.sqrt(2))
    assert index_estimate(eigs[:1])[1] is None


def test_l1_distance_of_exact_quantiles_is_small_and_of_a_shift_is_large():
    law = Semicircle(1.0)
    x = np.linspace(-2, 2, 200001)
    F = law.cdf(x)
    sample = np.interp((np.arange(20000) + 0.5) / 20000, F, x)   # quantiles: no noise
    assert l1_distance(sample[None], law, bins=50) < 0.02
    # shifted by 0.5: L1 between semicircle and its shift, at least |mean shift| / max width
    assert l1_distance(sample[None] + 0.5, law, bins=50) > 0.3
    with pytest.raises(ValueError, match="atoms"):
        l1_distance(sample[None], MarchenkoPastur(2.0))


def test_fit_power_law_recovers_exponent():
    n = np.array([100, 200, 400, 800])
    b, se, c = fit_power_law(n, 3.0 * n ** -0.5)
    assert b == pytest.approx(-0.5, abs=1e-12) and c == pytest.approx(3.0, rel=1e-12)
    assert se == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        fit_power_law([1], [1])


@pytest.mark.parametrize("phi, eps", [(0.5, 0.1), (0.25, 0.5), (2.0, 0.05), (0.5, 0.005)])
def test_simulated_index_matches_theory(phi, eps):
    n, samples = 200, 60
    mean, se, theory = hessian_index_sample(n, phi, eps, samples, rng=7)
    assert theory == PenningtonBahri(phi, eps).index()
    assert abs(mean - theory) <= 4 * se + 1 / n


def test_eigvalsh_and_inertia_routes_give_the_same_index():
    eigs, _ = hessian_spectra(120, 0.5, 0.1, 8, rng=3)
    mean_eig = index_estimate(eigs)[0]
    mean_ldl = hessian_index_sample(120, 0.5, 0.1, 8, rng=3)[0]
    assert mean_eig == mean_ldl        # same seed, same matrices, exact counts


def test_compare_hessian_ks_bound_and_realised_ratio():
    # n = 300, phi = 0.7: m = round(300/0.7) = 429, the theory uses phi = 300/429
    n, samples = 300, 10
    eigs, _ = hessian_spectra(n, 0.7, 0.2, samples, rng=11)
    res = compare_hessian(eigs, 0.7, 0.2, n)
    assert res["phi_effective"] == 300 / 429
    assert res["theory_index"] == PenningtonBahri(300 / 429, 0.2).index()
    # the pooled KS distance: below the i.i.d. 1% point 1.63/sqrt(N) (eigenvalue repulsion only
    # lowers the fluctuation) plus an O(1/n) allowance for edge effects
    assert res["ks_distance"] <= 1.63 / math.sqrt(n * samples) + 1 / n


def test_finite_size_distances_shrink():
    # same pooled number of eigenvalues at every n: the KS distance must fall with n (eigenvalue
    # rigidity + 1/n corrections); the fitted exponent is negative by several standard errors
    study = finite_size_study(0.5, 0.1, ns=(50, 100, 200, 400), eigenvalues=8000, rng=5)
    fit = study["fits"]["ks_distance"]
    assert fit["exponent"] < 0
    assert fit["exponent"] + 3 * fit["exponent_stderr"] < 0.1
    assert [r["samples"] for r in study["rows"]] == [160, 80, 40, 20]


def test_bad_input():
    with pytest.raises(ValueError, match="samples"):
        hessian_index_sample(10, 0.5, 0.1, 1)
    with pytest.raises(ValueError, match="eigs"):
        index_estimate(np.zeros(3))
    with pytest.raises(ValueError, match="ns"):
        finite_size_study(0.5, 0.1, ns=(100,))
