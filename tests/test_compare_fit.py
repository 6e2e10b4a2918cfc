"""rmtland.compare.fit: the minimum-distance fit, its bootstrap standard errors and p-value, and
the outliers' spike strengths and predicted locations.

Provenance of the reference values:

* on the law's own quantiles y_i = F^{-1}((i - 1/2)/n) every Cramér–von Mises residual
  F(y_i) - (i - 1/2)/n vanishes at the true parameters, so the fit must return them, and the
  KS distance there is 1/(2n), the smallest any law can have against n points;
* outlier locations: rho(theta) = theta + theta/(theta - phi) + 2 eps/theta for PB
  (Benaych-Georges & Nadakuditi 2011, Thm. 2.1 with R(g) = 1/(1 - phi g) + 2 eps g; see
  tests/test_analytic_spiked.py), and ell (1 + phi/(ell - 1)) for covariance spikes on MP;
* standard errors and p-values: calibration over seeds (tests/_calibration.py).  The slow tests
  use B = 20 bootstrap replicates per fit (the p-values then take the values k/21).
"""
import math

import numpy as np
import pytest

from _calibration import assert_calibrated, assert_uniform
from rmtland._validate import InputError
from rmtland.analytic.hessian import PenningtonBahri
from rmtland.analytic.laws import MarchenkoPastur
from rmtland.analytic import spiked
from rmtland.compare.fit import (ScaledLaw, _weighted_ks, check_fit, fit_curves, fit_law,
                                 fitted_law)
from rmtland.compare.metrics import ks_distance
from rmtland.linalg.dense import eigvalsh_batched
from rmtland.sampling.hessian import sample_hessian
from rmtland.sampling.spiked import add_spikes, sample_spiked_wishart


def quantiles(law, n):
    """F^{-1}((i - 1/2)/n) by bisection on the law's CDF (60 halvings of the support; an
    atom's quantiles land within 2^-60 of it, which snap_zeros makes exact at 0)."""
    q = (np.arange(n) + 0.5) / n
    lo = np.full(n, min([law.support()[0][0]] + [a for a, _ in law.atoms()]))
    hi = np.full(n, law.support()[-1][1])
    for _ in range(60):
        mid = (lo + hi) / 2
        below = law.cdf(mid) < q
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return (lo + hi) / 2


CASES = [
    ("pb", {"phi": 0.5, "eps": 0.1}, None),
    ("pb", {"phi": 0.3, "eps": 0.02}, 0.3),
    ("pb", {"phi": 2.0, "eps": 0.05}, None),
    ("mp", {"phi": 0.3, "scale": 2.5}, None),
    ("mp", {"phi": 0.6, "scale": 0.01}, 0.6),
    ("mp", {"phi": 2.0, "scale": 1.5}, None),          # rank-deficient: 150 exact zeros
    ("mp+semicircle", {"phi": 0.7, "sigma2": 0.4, "scale": 3.0}, None),
]


@pytest.mark.parametrize("law,truth,phi", CASES)
def test_fit_recovers_the_law_from_its_quantiles(law, truth, phi):
    n = 300
    eigs = quantiles(fitted_law(law, truth), n)
    r = fit_law(eigs, law=law, phi=phi, rule="none", bootstrap=1, rng=0)
    for k, v in truth.items():
        assert r["params"][k]["value"] == pytest.approx(v, rel=1e-6), k
        assert r["params"][k]["fixed"] == (k == "phi" and phi is not None)
    assert r["ks"] == pytest.approx(1 / (2 * n), rel=1e-5)
    assert r["outliers"] == [] and r["n"] == r["bulk_n"] == n


def test_scaled_fits_do_not_depend_on_the_units():
    e = np.linalg.eigvalsh(sample_hessian(200, 0.5, 0.1, rng=9)[0])
    for law in ("mp+semicircle", "mp"):
        x = np.abs(e) if law == "mp" else e
        a = fit_law(x, law=law, rule="none", bootstrap=1, rng=0)["params"]
        b = fit_law(1e-150 * x, law=law, rule="none", bootstrap=1, rng=0)["params"]
        for k in a:
            f = 1e-150 if k == "scale" else 1.0
            assert b[k]["value"] == pytest.approx(f * a[k]["value"], rel=1e-9), (law, k)


def test_weighted_ks_equals_ks_distance_for_equal_weights():
    law = PenningtonBahri(0.5, 0.1)
    e = np.sort(eigvalsh_batched(sample_hessian(200, 0.5, 0.1, rng=1))[0])
    assert _weighted_ks(e, np.full(e.size, 1 / e.size), law) == pytest.approx(
        ks_distance(e, law), abs=1e-15)
    # with an atom (MP, phi > 1): the zeros are one jump of the empirical CDF
    e = np.concatenate([np.zeros(100), np.sort(np.random.default_rng(2).uniform(0, 5, 100))])
    mp = ScaledLaw(MarchenkoPastur(2.0), 1.0)
    assert _weighted_ks(e, np.full(200, 1 / 200), mp) == pytest.approx(ks_distance(e, mp),
                                                                        abs=1e-15)


def test_scaled_law_is_the_law_of_s_x():
    law, s = PenningtonBahri(0.5, 0.1), 2.5
    sl = ScaledLaw(law, s)
    x = np.linspace(-2, 9, 50)
    np.testing.assert_allclose(sl.cdf(x), law.cdf(x / s), rtol=0, atol=0)
    np.testing.assert_allclose(sl.density(x), law.density(x / s) / s, rtol=1e-15)
    np.testing.assert_allclose(sl.moments(3), [s, s * s * (1 + 0.5 + 0.2),
                                               s ** 3 * law.moments(3)[2]], rtol=1e-14)
    assert sl.support()[0] == pytest.approx([s * v for v in law.support()[0]])


def _probes(eigs, U, P, rng):
    """Exact SLQ quadrature (n Lanczos steps: the n-node Gauss rule is the probe's spectral
    measure): nodes = eigenvalues, weights = (U^T v)^2 for P Rademacher unit probes v."""
    n = eigs.size
    V = rng.choice([-1.0, 1.0], size=(n, P)) / math.sqrt(n)
    W = (U.T @ V).T ** 2
    return np.tile(eigs, (P, 1)), W / W.sum(axis=1, keepdims=True)


def test_slq_input_is_fitted_with_a_probe_bootstrap():
    H = sample_hessian(300, 0.5, 0.1, rng=3)[0]
    e, U = np.linalg.eigh(H)
    X, W = _probes(e, U, 8, np.random.default_rng(4))
    r = fit_law(nodes=X, weights=W, law="pb", bootstrap=10, rng=5)
    assert r["input"] == "slq" and r["p_value"] is None and r["n"] == 8
    assert r["bootstrap"]["kind"] == "probes"
    # the fit of all eigenvalues (equal weights) is what the probes estimate
    full = fit_law(e, law="pb", rule="none", bootstrap=1, rng=0)["params"]
    for k in ("phi", "eps"):
        p = r["params"][k]
        assert p["stderr"] > 0
        assert abs(p["value"] - full[k]["value"]) < 5 * p["stderr"], (k, p, full[k])
    # ks agrees with the pooled weighted empirical CDF
    c = fit_curves(r, nodes=X, weights=W)
    assert np.max(np.abs(c["residual"])) <= r["ks"] + 1e-12


def test_outliers_get_their_spike_and_prediction():
    theta = 3.0
    H = sample_hessian(400, 0.5, 0.1, rng=6)[0]
    e = np.linalg.eigvalsh(add_spikes(H, [theta, 2.0], rng=7)[0])
    r = fit_law(e, law="pb", bootstrap=3, spikes=[2.0, theta], rng=8)
    assert len(r["outliers"]) == 2 and r["bulk_n"] == 398
    phi, eps = r["params"]["phi"]["value"], r["params"]["eps"]["value"]
    for o, t in zip(r["outliers"], (theta, 2.0)):          # largest spike <-> largest outlier
        # spike = 1/G(value): the closed-form location of that spike is the value
        th = o["spike"]
        assert th + th / (th - phi) + 2 * eps / th == pytest.approx(o["value"], rel=1e-9)
        assert o["predicted"] == pytest.approx(t + t / (t - phi) + 2 * eps / t, rel=1e-9)
        assert o["spike_stderr"] is not None and o["spike_stderr"] > 0
    assert [p["theta"] for p in r["predictions"]] == [theta, 2.0]
    assert r["threshold"] == pytest.approx(spiked.additive_threshold(PenningtonBahri(phi, eps)))


def test_no_spikes_no_prediction_and_a_subthreshold_spike_predicts_none():
    e = quantiles(PenningtonBahri(0.5, 0.1), 200)
    e[-1] = 3.6                                              # one clear outlier
    r = fit_law(e, law="pb", rule="gap_ratio", bootstrap=1, spikes=[0.5], rng=0)
    assert r["outliers"][0]["value"] == 3.6
    assert r["outliers"][0]["predicted"] is None             # 0.5 < threshold 1.25
    assert r["predictions"] == [{"theta": 0.5, "location": None}]
    r = fit_law(e, law="pb", rule="gap_ratio", bootstrap=1, rng=0)
    assert r["outliers"][0]["predicted"] is None and r["predictions"] == []


def test_the_largest_spike_accepted_is_predicted_finite():
    """A spike of EIG_MAX (the bound the eigenvalues have too) on a unit-scale bulk: outlier at
    theta + mean + var/theta (Benaych-Georges & Nadakuditi 2011, G(rho) = 1/theta expanded
    for large rho), i.e. theta to double precision."""
    from rmtland.compare.fit import EIG_MAX
    e = quantiles(PenningtonBahri(0.5, 0.1), 200)
    for law in ("pb", "mp"):
        r = fit_law(np.abs(e) if law == "mp" else e, law=law, bootstrap=1, spikes=[EIG_MAX],
                    rng=0)
        assert r["predictions"][0]["location"] == pytest.approx(EIG_MAX, rel=1e-12)


def test_covariance_spikes_on_mp():
    phi, ell = 0.5, 4.0
    W, _ = sample_spiked_wishart(400, 800, [ell], rng=9)
    e = 2.0 * np.linalg.eigvalsh(W)                           # scale 2
    r = fit_law(e, law="mp", spike_kind="covariance", spikes=[ell], bootstrap=2, rng=1)
    o = r["outliers"][0]
    s, ph = r["params"]["scale"]["value"], r["params"]["phi"]["value"]
    lh = o["spike"]
    assert s * lh * (1 + ph / (lh - 1)) == pytest.approx(o["value"], rel=1e-10)
    assert o["predicted"] == pytest.approx(s * ell * (1 + ph / (ell - 1)), rel=1e-12)
    assert r["threshold"] == pytest.approx(1 + math.sqrt(ph))


@pytest.mark.parametrize("kwargs,name", [
    ({"eigs": np.r_[np.ones(30), np.nan]}, "eigs"),
    ({"eigs": np.ones(19)}, "eigs"),
    ({"eigs": np.ones(50), "phi": 0.0}, "phi"),
    ({"eigs": np.ones(50), "phi": -1.0}, "phi"),
    ({"eigs": np.ones(50), "bootstrap": 0}, "bootstrap"),
    ({"eigs": np.ones(50), "law": "gauss"}, "law"),
    ({"eigs": np.ones(50), "rule": "mp_edge"}, "rule"),
    ({"eigs": np.ones(50), "spikes": [1.0, -2.0]}, "spikes"),
    ({"eigs": np.ones(50), "spikes": [1.0, 1e308]}, r"spikes .* in \(0, 1e\+100\]"),
    ({"eigs": np.ones(50), "law": "pb", "spike_kind": "covariance"}, "covariance"),
    ({"eigs": np.ones(50), "nodes": np.ones((2, 30)), "weights": np.ones((2, 30)) / 30},
     "not both"),
    ({"nodes": np.ones((2, 30)), "weights": np.ones((2, 30))}, "weights"),
    ({"nodes": np.ones((2, 30)), "weights": np.ones((3, 30)) / 30}, "nodes and weights"),
    ({"eigs": np.ones(5000), "bootstrap": 10 ** 6}, r"bootstrap must be an integer in \[1, "),
    ({"eigs": np.ones(200000), "bootstrap": 1}, r"n must be an integer in \[20, "),
])
def test_bad_input_is_refused_before_computing(kwargs, name):
    with pytest.raises(InputError, match=name):
        fit_law(**kwargs)


def test_check_fit_names_the_bootstrap_size_that_fits():
    with pytest.raises(InputError, match=r"bootstrap must be an integer in \[1, \d+\]"):
        check_fit("pb", 10000, 10 ** 6)
    assert check_fit("mp", 10000, 100)[1] == 100


# --------------------------------------------------------------------------- slow: calibration

@pytest.mark.slow
def test_pb_fit_calibration_n1000():
    """40 PB(0.5, 0.1) matrices of size 1000 (sample_hessian), B = 20 each: (phi, eps)
    within 3 s.e. in >= 95% of seeds, the s.e. calibrated (spread around the truth against
    the mean reported s.e.), the p-values uniform (samples of the fitted law)."""
    n, B, S, truth = 1000, 20, 40, np.array([0.5, 0.1])
    E = eigvalsh_batched(sample_hessian(n, 0.5, 0.1, batch=S, rng=7))
    est, se, p = [], [], []
    for s in range(S):
        r = fit_law(E[s], law="pb", bootstrap=B, rng=100 + s)
        est.append([r["params"][k]["value"] for k in ("phi", "eps")])
        se.append([r["params"][k]["stderr"] for k in ("phi", "eps")])
        p.append(r["p_value"])
    est, se = np.array(est), np.array(se)
    assert np.all(np.mean(np.abs(est - truth) <= 3 * se, axis=0) >= 0.95)
    assert_calibrated(est, se, center=truth, what="PB fit (phi, eps), n = 1000")
    assert_uniform(p, what="PB fit p-values, n = 1000")


@pytest.mark.slow
def test_planted_spike_locations():
    """Realised outliers against the predicted locations, the bound (4 standard errors of the
    mean over seeds) sized from the spread over seeds (O(n^-1/2); the O(1/n) bias is far
    below it): additive spike theta = 3 on PB(0.5, 0.1) at n = 1000 (sample_hessian, 20
    seeds) and n = 2000 (the Laguerre + GOE model, exact in law, 10 seeds); the fit's own
    prediction from the fitted bulk at n = 1000; a covariance spike ell = 4 on MP(0.5) at
    n = 1000 (20 seeds)."""
    from rmtland.sampling.ensembles import laguerre_tridiagonal, sample_goe
    theta, ell = 3.0, 4.0
    rho = spiked.additive_location(PenningtonBahri(0.5, 0.1), theta)

    def within(values, target):
        se = np.std(values, ddof=1) / math.sqrt(len(values))
        assert abs(np.mean(values) - target) < 4 * se, (np.mean(values), target, se)

    e1 = [np.linalg.eigvalsh(add_spikes(h, [theta], rng=1000 + i)[0])
          for i, h in enumerate(sample_hessian(1000, 0.5, 0.1, batch=20, rng=11))]
    within([e[-1] for e in e1], rho)
    d, off = laguerre_tridiagonal(2000, 4000, batch=10, rng=12)
    H = sample_goe(2000, batch=10, var=0.2, rng=13)
    i = np.arange(2000)
    H[:, i, i] += d
    H[:, i[:-1], i[1:]] += off
    H[:, i[1:], i[:-1]] += off
    within([np.linalg.eigvalsh(add_spikes(h, [theta], rng=2000 + j)[0])[-1]
            for j, h in enumerate(H)], rho)
    gap = []
    for e in e1:
        o = fit_law(e, law="pb", spikes=[theta], bootstrap=1, rng=0)["outliers"][0]
        gap.append(o["value"] - o["predicted"])
    within(gap, 0.0)
    x = spiked.covariance_location(ell, 0.5)
    within([np.linalg.eigvalsh(sample_spiked_wishart(1000, 2000, [ell], rng=i)[0])[-1]
            for i in range(20)], x)


@pytest.mark.slow
def test_spike_stderr_calibration():
    """The bootstrap s.e. of an outlier's spike strength (spikes planted in every replicate):
    20 seeds of PB(0.5, 0.1) + theta = 3 at n = 500, B = 20."""
    est, se = [], []
    for s, h in enumerate(sample_hessian(500, 0.5, 0.1, batch=20, rng=21)):
        e = np.linalg.eigvalsh(add_spikes(h, [3.0], rng=300 + s)[0])
        o = fit_law(e, law="pb", bootstrap=20, rng=400 + s)["outliers"][0]
        est.append(o["spike"])
        se.append(o["spike_stderr"])
    assert_calibrated(np.array(est)[:, None], np.array(se)[:, None], what="spike s.e.")


@pytest.mark.slow
def test_slq_probe_bootstrap_calibration():
    """The probe-bootstrap s.e. of SLQ input: one PB(0.5, 0.1) matrix (n = 200), 20
    repetitions of 8 fresh Rademacher probes (exact quadrature), B = 20."""
    H = sample_hessian(200, 0.5, 0.1, rng=31)[0]
    e, U = np.linalg.eigh(H)
    rng = np.random.default_rng(32)
    est, se = [], []
    for s in range(20):
        X, W = _probes(e, U, 8, rng)
        r = fit_law(nodes=X, weights=W, law="pb", bootstrap=20, rng=500 + s)
        est.append([r["params"][k]["value"] for k in ("phi", "eps")])
        se.append([r["params"][k]["stderr"] for k in ("phi", "eps")])
    assert_calibrated(np.array(est), np.array(se), what="SLQ probe-bootstrap s.e.")


@pytest.mark.slow
def test_scaled_laws_calibration():
    """s.e. and p-values of the scaled laws, B = 20: 3 MP(0.4) (Wishart 500 x 1250, 20
    seeds) and 2 (MP(0.7) + SC(0.4)) (sample_hessian n = 300, m = 429, 20 seeds; the truth at
    the realised phi = n/m)."""
    from rmtland.sampling.ensembles import sample_wishart
    cases = [("mp", 3.0 * np.linalg.eigvalsh(sample_wishart(500, 1250, batch=20, rng=41)),
              {"phi": 0.4, "scale": 3.0}),
             ("mp+semicircle", 2.0 * np.linalg.eigvalsh(sample_hessian(300, 0.7, 0.2, batch=20,
                                                                        rng=42)),
              {"phi": 300 / 429, "sigma2": 0.4, "scale": 2.0})]
    for law, E, truth in cases:
        est, se, p = [], [], []
        for s, e in enumerate(E):
            r = fit_law(e, law=law, bootstrap=20, rng=600 + s)
            est.append([r["params"][k]["value"] for k in truth])
            se.append([r["params"][k]["stderr"] for k in truth])
            p.append(r["p_value"])
        assert_calibrated(np.array(est), np.array(se), center=list(truth.values()), what=law)
        assert_uniform(p, what=law)


def test_p_value_is_the_bootstrap_rank_with_the_observed_fit_counted():
    """Davison & Hinkley (1997) Sec. 4.2: p = (1 + #{KS_b >= KS}) / (B + 1), so p lies on the
    grid j/(B + 1), j = 1..B+1, and is never 0 (the observed fit counts as one replicate of the
    null); at a fit whose KS exceeds every replicate's, p = 1/(B + 1) exactly."""
    from rmtland.sampling.hessian import sample_hessian
    B = 9
    e = np.linalg.eigvalsh(sample_hessian(200, 0.5, 0.1, rng=4)[0])
    r = fit_law(e, law="pb", rule="none", bootstrap=B, rng=1)
    ks_b = r["bootstrap"]["ks"]
    assert len(ks_b) == B
    j = 1 + sum(k >= r["ks"] for k in ks_b)
    assert r["p_value"] == pytest.approx(j / (B + 1), abs=1e-15)
    # a spectrum that is not PB at all (uniform on [0, 1]): every replicate fits better
    u = np.sort(np.random.default_rng(2).uniform(0.0, 1.0, 200))
    r = fit_law(u, law="pb", rule="none", bootstrap=B, rng=1)
    assert max(r["bootstrap"]["ks"]) < r["ks"]
    assert r["p_value"] == pytest.approx(1 / (B + 1), abs=1e-15)


def test_progress_counts_every_bootstrap_replicate():
    """``progress(done, B)`` once per replicate, in order, for eigenvalue and SLQ input; the
    numbers do not depend on it."""
    e = quantiles(PenningtonBahri(0.5, 0.1), 60)
    calls = []
    r = fit_law(e, law="mp+semicircle", bootstrap=3, rng=4,
                progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert r == fit_law(e, law="mp+semicircle", bootstrap=3, rng=4)
    calls.clear()
    X = np.tile(np.linspace(0.1, 3.0, 20), (4, 1))
    fit_law(nodes=X, weights=np.full(X.shape, 1 / 20), law="mp", bootstrap=2, rng=0,
            progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]
