"""Statistics between empirical spectra and laws (rmtland.compare.metrics), and the
Pennington-Bahri comparison built on them (rmtland.compare.hessian.compare_hessian).

The metric tests use constructed samples with exactly known distances; the comparison test
uses sampled spectra with a bound derived from the sample size (stated there). The sampling
studies of rmtland.experiments.hessian are tested in test_experiments_hessian.py.
"""
import math

import numpy as np
import pytest

from rmtland._backend import to_numpy
from rmtland.analytic import MarchenkoPastur, PenningtonBahri, Semicircle
from rmtland.compare import (compare_hessian, fit_power_law, index_estimate, ks_distance,
                             l1_distance, mean_and_stderr, snap_zeros)
from rmtland.linalg.dense import eigvalsh_batched
from rmtland.sampling import sample_hessian


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
    """A sample at the exact quantiles has a histogram equal to the bin averages of rho (to
    1/N), so the only error is binning: int |rho - bin average| ~ (w/4) TV(rho) in the bulk,
    w = 4/50 the bin width and TV(rho) = 2 max rho = 2/pi, i.e. 0.013 (the square-root edges
    add O(w^{3/2})); bound 0.02. For the sample shifted by 0.5 the distance is the L1 between
    the semicircle and its shift (quadrature here) within that same binning error."""
    law = Semicircle(1.0)
    x = np.linspace(-2, 2, 200001)
    F = law.cdf(x)
    sample = np.interp((np.arange(20000) + 0.5) / 20000, F, x)   # quantiles: no noise
    binning = 4 / 50 / 4 * 2 / np.pi
    assert l1_distance(sample[None], law, bins=50) < 0.02
    from scipy import integrate

    def rho(t):
        return np.sqrt(max(4 - t * t, 0.0)) / (2 * np.pi)
    shift = integrate.quad(lambda t: abs(rho(t) - rho(t - 0.5)), -2, 2.5, points=[0.25],
                           limit=200)[0]
    assert abs(l1_distance(sample[None] + 0.5, law, bins=50) - shift) < 1.5 * binning
    with pytest.raises(ValueError, match="atoms"):
        l1_distance(sample[None], MarchenkoPastur(2.0))


def test_fit_power_law_recovers_exponent():
    n = np.array([100, 200, 400, 800])
    b, se, c = fit_power_law(n, 3.0 * n ** -0.5)
    assert b == pytest.approx(-0.5, abs=1e-12) and c == pytest.approx(3.0, rel=1e-12)
    assert se == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        fit_power_law([1], [1])


def test_mean_and_stderr():
    mean, se = mean_and_stderr([1.0, 2.0, 4.0])
    assert mean == pytest.approx(7 / 3)
    assert se == pytest.approx(np.std([1, 2, 4], ddof=1) / 3 ** 0.5)
    assert mean_and_stderr([3.0]) == (3.0, None)
    with pytest.raises(ValueError, match="at least one"):
        mean_and_stderr([])


def test_fit_power_law_standard_error_is_ols():
    """With noise, the stderr is the OLS one: sqrt(s^2 / sum (x - xbar)^2) for the slope,
    s^2 the residual variance with n - 2 degrees of freedom."""
    n = np.array([10.0, 20, 40, 80, 160])
    d = 2.0 * n ** -0.7 * np.exp(np.array([0.05, -0.03, 0.02, -0.04, 0.01]))
    b, se, c = fit_power_law(n, d)
    x, y = np.log(n), np.log(d)
    slope = np.polyfit(x, y, 1)[0]
    resid = y - np.polyval(np.polyfit(x, y, 1), x)
    assert b == pytest.approx(slope, rel=1e-12)
    assert se == pytest.approx(math.sqrt(resid @ resid / 3 / ((x - x.mean()) ** 2).sum()),
                               rel=1e-12)
    assert fit_power_law([1, 2], [1, 2])[1] is None


def test_compare_hessian_ks_bound_and_realised_ratio(xp):
    """n = 300, phi = 0.7: m = round(300/0.7) = 429, the theory uses phi = 300/429. The pooled
    KS distance is below the i.i.d. 1 % point 1.63/sqrt(N) of N = n * samples pooled
    eigenvalues (Kolmogorov's distribution; eigenvalue repulsion only lowers the fluctuation)
    plus 1/n for the O(1/n) finite-size bias of the expected spectral distribution (bulk
    corrections; the edge window of width n^{-2/3} holds O(1/n) of the mass). Host and device
    eigenvalues give the same numbers."""
    n, samples = 300, 10
    eigs = eigvalsh_batched(sample_hessian(n, 0.7, 0.2, batch=samples, rng=11))
    res = compare_hessian(xp.asarray(eigs), 0.7, 0.2, n)
    assert res["phi_effective"] == 300 / 429
    assert res["theory_index"] == PenningtonBahri(300 / 429, 0.2).index()
    assert res["ks_distance"] <= 1.63 / math.sqrt(n * samples) + 1 / n
    assert res == compare_hessian(to_numpy(eigs), 0.7, 0.2, n)
    # the bound is loose (observed 0.003: rigidity), but has some power: a 50 % error in eps
    # (the law at 0.3 for 0.2) is rejected
    wrong = ks_distance(snap_zeros(eigs), PenningtonBahri(0.7, 0.3))
    assert wrong > 1.63 / math.sqrt(n * samples) + 1 / n


def test_bad_input():
    with pytest.raises(ValueError, match="eigs"):
        index_estimate(np.zeros(3))
    with pytest.raises(ValueError, match="eigs"):
        ks_distance(np.zeros(0), Semicircle(1.0))
    with pytest.raises(ValueError, match="bins"):
        l1_distance(np.zeros(3), Semicircle(1.0), bins=0)
    with pytest.raises(ValueError, match="positive"):
        fit_power_law([1, 2, 3], [1, -1, 2])
