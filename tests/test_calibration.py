"""Calibration of every standard error and p-value the package reports (issue 17, section 5).

Each test repeats the estimate over R >= 100 seeds (cheap: small sizes) and holds the spread
of the estimates against the mean reported variance inside the 99.9 % chi-square interval
(tests/_calibration.py): a standard error off by sqrt(2) in either direction fails.  The
repetitions use synthetic data drawn from the model each statistic assumes (normal errors for
the least-squares fits, i.i.d. samples for the means), so the exact sampling variance is
known to be what the standard error claims.  p-values are held uniform on the null.
"""
import math

import numpy as np
import pytest

from _calibration import assert_calibrated, assert_uniform
from rmtland.compare import hessian as ch
from rmtland.compare import metrics as cm
from rmtland.compare import networks as cn
from rmtland.compare import spinglass as cs
from rmtland.compare import trained as ct
from rmtland.linalg.spectral import spectrum

R = 200          # repetitions of the pure-NumPy statistics


def _rng(s, k=0):
    return np.random.default_rng([17, k, s])


# --------------------------------------------------------------------------- linalg.spectral
@pytest.fixture(scope="module")
def small_matrix():
    """A symmetric 80 x 80 matrix with eigenvalues uniform on (-1, 2)."""
    g = np.random.default_rng(0)
    lam = np.sort(g.uniform(-1, 2, 80))
    Q, _ = np.linalg.qr(g.standard_normal((80, 80)))
    return (Q * lam) @ Q.T, lam


@pytest.mark.parametrize("method", ["slq", "kpm"])
@pytest.mark.parametrize("probe", ["rademacher", "gaussian"])
def test_spectrum_stderrs_are_calibrated(small_matrix, method, probe):
    """index_stderr, cdf_stderr and density_stderr of spectrum() over 100 seeds (8 probes
    each) against the spread of index, cdf and density over the seeds (around their mean: the
    quadrature/smoothing bias is common to all seeds).  The standard error is the sd over
    probes / sqrt(probes) (Hutchinson 1990); without the 1/sqrt(probes) it is 2.8 times too
    large, with 1/probes 2.8 times too small."""
    A, _ = small_matrix
    x = np.array([-0.5, 0.3, 1.1])
    rows = [spectrum(A, method=method, probe=probe, probes=8, steps=12, degree=40, x=x,
                     rng=s) for s in range(100)]
    for key in ("index", "cdf", "density"):
        assert_calibrated([r[key] for r in rows], [r[key + "_stderr"] for r in rows],
                          what=f"{method} {probe} {key}")
    # the reported estimate is the mean of the per-probe values
    for r in rows[:3]:
        assert r["index"] == pytest.approx(np.mean(r["per_probe"]["index"]), abs=1e-15)
        assert np.allclose(r["cdf"], r["per_probe"]["cdf"].mean(axis=0), atol=1e-15)


# --------------------------------------------------------------------------- compare.metrics
def test_mean_and_stderr_and_index_estimate_calibrated():
    """mean_and_stderr of 12 exponential draws (skewed, mean 1); index_estimate of 10 GOE-like
    spectra (i.i.d. normal 'eigenvalues' shifted by 0.3: P(x < 0) = Phi(-0.3))."""
    from scipy.stats import norm
    est, se = zip(*(cm.mean_and_stderr(_rng(s).exponential(1.0, 12)) for s in range(R)))
    assert_calibrated(est, se, center=1.0, what="mean_and_stderr")
    # two samples: the degrees of freedom matter (ddof = 0 or sqrt(S - 1) halve the variance)
    est, se = zip(*(cm.mean_and_stderr(_rng(s, 2).standard_normal(2)) for s in range(R)))
    assert_calibrated(est, se, center=0.0, what="mean_and_stderr, S = 2")
    est, se = zip(*(cm.index_estimate(_rng(s, 1).standard_normal((10, 30)) + 0.3)
                    for s in range(R)))
    assert_calibrated(est, se, center=norm.cdf(-0.3), what="index_estimate")


def test_fit_power_law_stderr_calibrated():
    """log d = log c + b log n + N(0, 0.1^2): the OLS standard error of b, and spread_fit's."""
    n = np.array([10, 20, 40, 80, 160.0])
    rows = [cm.fit_power_law(n, 3 * n ** -0.5 * np.exp(0.1 * _rng(s).standard_normal(5)))
            for s in range(R)]
    assert_calibrated([r[0] for r in rows], [r[1] for r in rows], center=-0.5,
                      what="fit_power_law")
    rows = [ct.spread_fit(n, 3 * n ** -0.5 * np.exp(0.1 * _rng(s).standard_normal(5)))
            for s in range(R)]
    assert_calibrated([r["exponent"] for r in rows], [r["stderr"] for r in rows],
                      center=-0.5, what="spread_fit")
    # three points: 1 residual degree of freedom (n - 1 would halve the variance)
    rows = [cm.fit_power_law(n[:3], 3 * n[:3] ** -0.5 * np.exp(0.1 * _rng(s, 1).standard_normal(3)))
            for s in range(400)]
    assert_calibrated([r[0] for r in rows], [r[1] for r in rows], center=-0.5,
                      what="fit_power_law, 3 points")


@pytest.mark.parametrize("gamma", [None, 1.0])
def test_fit_offset_power_law_calibrated(gamma):
    """u = 1 + 2 n^-1 + se N(0, 1) with known se: u_inf, c (and gamma when free) within the
    chi-square interval around the truth; chi2 ~ chi2_dof (its p-value uniform)."""
    from scipy.stats import chi2
    n = np.array([8, 12, 16, 24, 32, 48, 64, 96.0])
    se = 0.002 * np.ones(n.size)
    rows = [cm.fit_offset_power_law(n, 1 + 2 / n + se * _rng(s).standard_normal(n.size), se,
                                    gamma=gamma) for s in range(R)]
    truth = {"u_inf": 1.0, "c": 2.0, "gamma": 1.0}
    for key in ("u_inf", "c") + (("gamma",) if gamma is None else ()):
        assert_calibrated([r[key] for r in rows], [r[key + "_stderr"] for r in rows],
                          center=truth[key], what=key)
    assert_uniform([chi2.sf(r["chi2"], r["dof"]) for r in rows], "offset power law chi2")
    assert rows[0]["dof"] == n.size - (3 if gamma is None else 2)


# --------------------------------------------------------------------------- compare.hessian
def test_compare_hessian_index_stderr_calibrated():
    """compare_hessian and index_from_counts: the index standard error over the matrices."""
    from rmtland.sampling import sample_hessian
    rows, rows_c = [], []
    for s in range(100):
        H = sample_hessian(32, 0.5, 0.5, batch=8, rng=s)
        eigs = np.linalg.eigvalsh(H)
        rows.append(ch.compare_hessian(eigs, 0.5, 0.5, 32))
        rows_c.append(ch.index_from_counts((eigs < 0).sum(axis=1), 32, 0.5, 0.5))
    assert_calibrated([r["empirical_index"] for r in rows], [r["index_stderr"] for r in rows],
                      what="compare_hessian")
    assert_calibrated([r[0] for r in rows_c], [r[1] for r in rows_c], what="index_from_counts")
    for r in rows[:5]:
        assert r["index_z"] == pytest.approx((r["empirical_index"] - r["theory_index"])
                                             / r["index_stderr"])


def test_compare_hessian_estimate_stderrs_calibrated():
    """compare_hessian_estimate's index_stderr and ks_stderr: per-probe values drawn i.i.d.
    (index ~ N(0.1, 0.02^2), CDF rows = a fixed curve + N(0, 0.01^2)), 16 probes."""
    x = np.linspace(-0.5, 3.5, 41)
    idx, ise, F, Fse = [], [], [], []
    for s in range(R):
        g = _rng(s)
        cdf = np.clip(x / 4, 0, 1)[None, :] + 0.01 * g.standard_normal((16, x.size))
        r = cn_est = ch.compare_hessian_estimate(x, cdf, 0.1 + 0.02 * g.standard_normal(16),
                                                 0.5, 0.1, 200)
        idx.append(cn_est["empirical_index"])
        ise.append(r["index_stderr"])
        F.append(cdf.mean(axis=0))
        Fse.append(r["ks_stderr"])
    assert_calibrated(idx, ise, center=0.1, what="estimate index")
    # ks_stderr is the s.e. of one grid point's mean: sd 0.01/sqrt(16) at every point
    assert_calibrated(np.array(F)[:, 20], Fse, center=np.clip(x / 4, 0, 1)[20],
                      what="ks_stderr")


def test_index_bias_stderr_calibrated():
    """index_bias: b = mean count - n alpha, s.e. s/sqrt(S) of the counts (Poisson counts)."""
    rows = [ch.index_bias(_rng(s).poisson(3.0, 20), 100, 0.5, 0.2) for s in range(R)]
    b = [r["b"] for r in rows]
    assert_calibrated(b, [r["b_stderr"] for r in rows], center=3.0 - 100 * rows[0][
        "theory_index"], what="index_bias")


def test_index_bias_limit_calibrated_and_p_value_uniform():
    """b(n) = 0.4 - 3/n + se_n N(0,1) at 5 sizes with known se_n: b_inf, c, b_mean (with no
    trend) calibrated; the fit's p-value uniform (chi2 with k - 2 = 3 dof)."""
    ns = np.array([20, 40, 80, 160, 320.0])
    se = np.array([0.05, 0.04, 0.06, 0.05, 0.08])
    rows = [ch.index_bias_limit(ns, 0.4 - 3 / ns + se * _rng(s).standard_normal(5), se)
            for s in range(R)]
    assert_calibrated([r["b_inf"] for r in rows], [r["b_inf_stderr"] for r in rows],
                      center=0.4, what="b_inf")
    assert_calibrated([r["c"] for r in rows], [r["c_stderr"] for r in rows], center=-3.0,
                      what="c")
    assert_uniform([r["p_value"] for r in rows], "index_bias_limit p_value")
    assert rows[0]["dof"] == 3
    flat = [ch.index_bias_limit(ns, 0.4 + se * _rng(s, 1).standard_normal(5), se)
            for s in range(R)]
    assert_calibrated([r["b_mean"] for r in flat], [r["b_mean_stderr"] for r in flat],
                      center=0.4, what="b_mean")


# --------------------------------------------------------------------------- compare.trained
def test_loss_statistics_stderrs_calibrated():
    """B = 20 networks' losses ~ N(0.1, 0.01^2), test = 0.5 train + noise (rho = 0.5): the
    s.e. of the mean (s/sqrt B), of the sd (s/sqrt(2(B-1)), normal theory) and of the
    correlation ((1-r^2)/sqrt(B-3), delta method on Fisher's z) against their spread.  A
    correlation s.e. (1-r)/sqrt(B-3) is 1.5 times too small at rho = 0.5 (variance 2.25)."""
    B, rho = 20, 0.5
    rows = []
    for s in range(R):
        g = _rng(s)
        a, e = g.standard_normal(B), g.standard_normal(B)
        train = 0.1 + 0.01 * a
        test = 0.2 + 0.01 * (rho * a + math.sqrt(1 - rho ** 2) * e)
        rows.append(ct.loss_statistics(train, test))
    for name in ("train", "test"):
        assert_calibrated([r[f"{name}_mean"] for r in rows],
                          [r[f"{name}_mean_stderr"] for r in rows],
                          center=0.1 if name == "train" else 0.2, what=f"{name} mean")
        assert_calibrated([r[f"{name}_std"] for r in rows],
                          [r[f"{name}_std_stderr"] for r in rows], what=f"{name} std")
    assert_calibrated([r["train_test_corr"] for r in rows],
                      [r["train_test_corr_stderr"] for r in rows], what="correlation")
    # Fisher's 95 % interval covers rho in 95 % of the repetitions (binomial, 4 s.e.)
    cover = np.mean([lo <= rho <= hi for lo, hi in (r["train_test_corr_ci95"] for r in rows)])
    assert abs(cover - 0.95) <= 4 * math.sqrt(0.95 * 0.05 / R), cover


def test_linear_fit_stderrs_calibrated():
    """y = 1 + 2x + N(0, 0.3^2) at 6 points: OLS slope and intercept standard errors."""
    x = np.array([0.0, 1, 2, 4, 5, 9])
    rows = [ct.linear_fit(x, 1 + 2 * x + 0.3 * _rng(s).standard_normal(6)) for s in range(R)]
    assert_calibrated([r["slope"] for r in rows], [r["slope_stderr"] for r in rows], center=2.0,
                      what="slope")
    assert_calibrated([r["intercept"] for r in rows], [r["intercept_stderr"] for r in rows],
                      center=1.0, what="intercept")
    rows = [ct.linear_fit(x[:3], 1 + 2 * x[:3] + 0.3 * _rng(s, 1).standard_normal(3))
            for s in range(400)]
    assert_calibrated([r["slope"] for r in rows], [r["slope_stderr"] for r in rows], center=2.0,
                      what="slope, 3 points")


# --------------------------------------------------------------------------- compare.networks
def test_fit_three_halves_stderrs_calibrated():
    """The 3/2 law plus known 2 % Gaussian noise at 10 losses: eps_c, gamma, alpha0 standard
    errors (known errors, absolute_sigma) against their spread around the truth; the fit's
    chi2 uniform as a p-value (dof = 7).  Unweighted: the rescaled errors too."""
    from scipy.stats import chi2
    from rmtland.analytic.hessian import alpha0, eps_c
    phi = 0.5
    ec, a0 = eps_c(phi), alpha0(phi)
    eps = ec * (1 + np.geomspace(0.02, 0.3, 10))
    truth = a0 * ((eps - ec) / ec) ** 1.5
    se = 0.02 * truth
    rows = [cn.fit_three_halves(eps, truth + se * _rng(s).standard_normal(10), se)
            for s in range(100)]
    assert not any(r["at_bound"] for r in rows)
    for key, t in (("eps_c", ec), ("gamma", 1.5), ("alpha0", a0)):
        assert_calibrated([r[key] for r in rows], [r[key + "_stderr"] for r in rows],
                          center=t, what=key)
    assert_uniform([chi2.sf(r["chi2"], r["dof"]) for r in rows], "fit_three_halves chi2")
    un = [cn.fit_three_halves(eps, truth + 1e-4 * _rng(s, 1).standard_normal(10),
                              eps_c=ec, exponent=1.5) for s in range(100)]
    assert_calibrated([r["alpha0"] for r in un], [r["alpha0_stderr"] for r in un],
                      center=a0, what="alpha0 unweighted")


def test_loss_scale_stderr_calibrated():
    """eps = 0.7 L + noise: the through-origin slope's s.e., with known errors and without
    (losses up to 2, so that sum L^2 ~ 12 is far from 1 and a misplaced square root shows)."""
    L = np.linspace(0.2, 2.0, 8)
    se = 0.01 * np.ones(8)
    rows = [cn.loss_scale(L, 0.7 * L + se * _rng(s).standard_normal(8), se) for s in range(R)]
    assert_calibrated([r[0] for r in rows], [r[1] for r in rows], center=0.7, what="known")
    rows = [cn.loss_scale(L, 0.7 * L + se * _rng(s, 1).standard_normal(8)) for s in range(R)]
    assert_calibrated([r[0] for r in rows], [r[1] for r in rows], center=0.7, what="residual")


def test_memorisation_deviation_stderr_calibrated():
    """Per-seed losses (5 seeds x 3 minimisers sharing a per-seed offset: the seeds are the
    independent units, so the minimisers are averaged within a seed first)."""
    def losses(g):
        return 0.125 + 0.01 * g.standard_normal((5, 1)) + 0.002 * g.standard_normal((5, 3))
    rows = [cn.memorisation_deviation(0.5, losses(_rng(s))) for s in range(R)]
    assert_calibrated([r["mean"] for r in rows], [r["stderr"] for r in rows], center=0.125,
                      what="memorisation")
    assert rows[0]["prediction"] == 0.125


def test_freeness_table_above_stderr():
    """above_if_free_stderr is the binomial sd of the 'above' fraction under exchangeability:
    rows whose distance and R = 3 reference values are i.i.d. give 'above' fractions whose
    spread over repetitions matches it."""
    above, se = [], []
    for s in range(R):
        g = _rng(s)
        rows = [{"phi": 0.5, "loss": 0.1,
                 "freeness": {k: float(v) for k, v in zip(cn.FREENESS_KEYS, g.random(3))},
                 "reference": {k: {"values": list(g.random(3))} for k in cn.FREENESS_KEYS}}
                for _ in range(30)]
        (row,) = cn.freeness_table(rows, [0.0, 1.0])
        assert row["above_if_free"] == 0.25
        above.append([row[k]["above"] for k in cn.FREENESS_KEYS])
        se.append([row["above_if_free_stderr"]] * 3)
    assert_calibrated(above, se, center=0.25, what="freeness_table above")


# --------------------------------------------------------------------------- compare.spinglass
def test_spinglass_statistics_stderrs_calibrated():
    """index_shift (s/sqrt n over the points) and minima_band_statistics (s/sqrt H over the
    Hamiltonians) on synthetic points."""
    from rmtland.analytic import spinglass as sg
    p, N = 3, 20
    Einf = sg.E_inf(p)
    rows, band = [], []
    for s in range(R):
        g = _rng(s)
        u = g.uniform(-1.5, 1.0, 25)
        k = np.round((N - 1) * sg.index_fraction(u, p) + g.normal(0.5, 1.0, 25))
        rows.append(cs.index_shift(u, k, N, p))
        # about half the Hamiltonians have no minimum: the s.e. is over those that have one
        band.append(cs.minima_band_statistics(
            [g.normal(-Einf, 0.05, g.integers(1, 5) * (i < 2 or g.random() < 0.5))
             for i in range(16)],
            p))
    for key in ("index_shift", "index_shift_negative_u"):
        assert_calibrated([r[key + "_mean"] for r in rows], [r[key + "_stderr"] for r in rows],
                          what=key)
    for key, sk in (("mean", "stderr"), ("fraction_above", "fraction_above_stderr"),
                    ("fraction_in_band", "fraction_in_band_stderr")):
        assert_calibrated([b[key] for b in band], [b[sk] for b in band],
                          what=key)


def test_mean_critical_points_stderr_calibrated_100_seeds():
    """The batch-means stderr of mean_critical_points over 100 seeds (the existing test uses
    10, whose interval [0.33, 1.82] in sd ratio lets a sqrt(2) error through): N = 12, p = 3,
    k = 0, u = 0 (conditional estimator, ess close to samples)."""
    runs = [cs.mean_critical_points(12, 3, 0, 0.0, samples=256, rng=s) for s in range(100)]
    assert all(r["ess"] > 100 for r in runs)
    assert_calibrated([r["mean"] for r in runs], [r["stderr"] for r in runs], what="batch")
    assert_calibrated([r["mean"] for r in runs], [r["stderr_iid"] for r in runs], what="iid")
