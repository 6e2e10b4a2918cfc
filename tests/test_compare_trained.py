"""Statistics of trained networks (rmtland.compare.trained) on inputs with known answers."""
import math

import numpy as np
import pytest

from rmtland._validate import InputError
from rmtland.compare import trained as cmp


def _wishart_eigs(n, m, g, spikes=()):
    """Eigenvalues of X X^T / m, X n x m with i.i.d. N(0, Sigma) columns, Sigma = I except
    population eigenvalues ``spikes`` in the first coordinates (Baik, Ben Arous & Peche 2005)."""
    X = g.standard_normal((n, m))
    for i, ell in enumerate(spikes):
        X[i] *= math.sqrt(ell)
    return np.linalg.eigvalsh(X @ X.T / m)


def test_pure_marchenko_pastur_has_almost_no_outliers():
    # n = 200, phi = 1/2: the largest eigenvalue sits within O(n^-2/3) of the MP edge, so the
    # rule may shave the last few (seeds 0-7: none).  c = tr/n is chi2_{nm}/(nm), sd
    # sqrt(2/(nm)) = 0.005, so 0.02 is 4 sd; phi (measured 0.496-0.506 over seeds 0-7)
    g = np.random.default_rng(0)
    e = _wishart_eigs(200, 400, g)
    r = cmp.mp_bulk(e)
    assert r["outliers"] <= 3 and r["converged"]
    assert r["c"] == pytest.approx(1.0, abs=0.02) and r["phi"] == pytest.approx(0.5, abs=0.03)
    # KS of an MP sample to its own law: O(log n / n), 2.3-3.8/n measured at n = 200-400
    # (rmtland.compare.networks.freeness_test notes); 0.010-0.014 here over seeds 0-7
    assert r["ks_bulk"] < 5 / 200


@pytest.mark.parametrize("r_spikes", [1, 3, 6])
def test_spikes_above_bbp_are_the_outliers(r_spikes):
    # population spikes ell = 12 > 1 + sqrt(phi): sample eigenvalues near ell (1 + phi/(ell-1))
    # ~ 12.5, far above the edge (1 + sqrt(1/2))^2 = 2.91 -- exactly r outliers
    g = np.random.default_rng(r_spikes)
    e = _wishart_eigs(150, 300, g, spikes=[12.0] * r_spikes)
    r = cmp.mp_bulk(e)
    assert r["outliers"] == r_spikes
    assert r["bulk_edge"] == pytest.approx((1 + math.sqrt(0.5)) ** 2, rel=0.05)
    count, ratio = cmp.gap_outliers(e)
    assert count == r_spikes and ratio > 2


def test_hessian_bulk_uses_h0_edge_and_pb_law():
    # H1 = 0: H = H0, so the outliers of H are those of H0 and eps = 0
    g = np.random.default_rng(7)
    e0 = _wishart_eigs(150, 300, g, spikes=[15.0, 15.0])
    r = cmp.hessian_bulk(e0, e0, np.zeros_like(e0))
    assert r["outliers"] == r["outliers_h0"] == 2 and r["eps"] == 0
    assert r["negative_fraction"] == 0.0 and r["ks_bulk"] < 0.06


def test_correlation_fisher_interval():
    # exact r for y = 2x + 1: r = 1 (clipped below 1); interval of a known r from tanh/atanh
    x = np.arange(10.0)
    c = cmp.correlation(x, 2 * x + 1)
    assert c["r"] == pytest.approx(1.0)
    y = np.array([1, 3, 2, 5, 4, 6, 8, 7, 9, 10.0])
    c = cmp.correlation(x, y)
    r = np.corrcoef(x, y)[0, 1]
    h = 1.96 / math.sqrt(7)
    assert c["ci95"] == pytest.approx([math.tanh(math.atanh(r) - h),
                                       math.tanh(math.atanh(r) + h)], rel=1e-12)
    assert cmp.correlation([1, 2, 3], [1, 2, 3])["r"] is None


def test_spread_fit_recovers_an_exact_power_law():
    w = np.array([10, 20, 40, 80.0])
    f = cmp.spread_fit(w, 3.0 * w ** -0.5)
    assert f["exponent"] == pytest.approx(-0.5, abs=1e-12)
    assert f["prefactor"] == pytest.approx(3.0, rel=1e-12) and f["stderr"] < 1e-10


def test_loss_statistics_and_linear_fit():
    g = np.random.default_rng(1)
    train = g.normal(0.1, 0.01, 400)
    s = cmp.loss_statistics(train, train + g.normal(0, 0.01, 400))
    # 400 normal draws: the std within 4 of its standard errors sd/sqrt(2(B-1))
    assert abs(s["train_std"] - 0.01) < 4 * s["train_std_stderr"]
    # corr of x and x + equal-variance noise is 1/sqrt(2) = 0.707; 4 Fisher s.e. allowance
    assert abs(s["train_test_corr"] - 1 / math.sqrt(2)) < 4 * s["train_test_corr_stderr"]
    f = cmp.linear_fit([1, 2, 3, 4], [3, 5, 7, 9])
    assert f["slope"] == pytest.approx(2) and f["intercept"] == pytest.approx(1)
    with pytest.raises(InputError):
        cmp.mp_bulk([-1.0, 1.0, 2.0])
    with pytest.raises(InputError):
        cmp.loss_statistics([1.0], [1.0])


def test_hessian_bulk_counts_by_the_validated_rule():
    # H0 = spiked Wishart (n = 400, phi = 1/2, two population spikes ell = 15 > 1 + sqrt(1/2),
    # sample outliers near 15 (1 + 0.5/14) = 15.5 against the edge 2.91), H1 = GOE of
    # variance 2 eps, eps = 0.01 (semicircle on [-0.28, 0.28]): two outliers of H and H0 by
    # every valid rule; the retired MP-edge rule is reported beside them
    from rmtland.sampling.ensembles import sample_goe
    g = np.random.default_rng(11)
    X = g.standard_normal((400, 800))
    X[:2] *= math.sqrt(15.0)
    H0 = X @ X.T / 800
    H1 = sample_goe(400, var=0.02, rng=12)[0]
    e0, e1, eh = (np.linalg.eigvalsh(M) for M in (H0, H1, H0 + H1))
    r = cmp.hessian_bulk(eh, e0, e1)
    assert r["rule"] == cmp.DEFAULT_RULE and r["rule_valid"]
    assert r["outliers"] == r["outliers_h0"] == r["outliers_gap"] == 2
    assert r["outliers_gap_ratio"] == 2 and r["outliers_mp_edge"] is not None
    # the bulk's matched moments: c ~ 1, phi ~ 1/2; eps = var(H1)/(2c^2) ~ 0.01
    assert r["c"] == pytest.approx(1, abs=0.05) and r["phi"] == pytest.approx(0.5, abs=0.05)
    assert r["eps"] == pytest.approx(0.01, rel=0.1)
    assert r["bulk_edge"] < (1 + math.sqrt(0.5)) ** 2 + 0.5 < r["top"]
    for rule in ("edge", "gap_ratio", "widest_gap"):
        assert cmp.hessian_bulk(eh, e0, e1, rule=rule)["outliers"] == 2
