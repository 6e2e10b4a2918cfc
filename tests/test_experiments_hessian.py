"""Sampling studies of the Pennington-Bahri Hessian (rmtland.experiments.hessian):
hessian_spectra, hessian_index_sample and finite_size_study, on NumPy, on the CuPy double and
on a GPU where there is one; their seeds.

Index bound: the mean index of S matrices of size n has sampling error measured by its own
standard error (4 of them: a false alarm has probability 6e-5 for a normal mean) and a
finite-size bias: the expected spectral distribution differs from its limit by O(1/n) (bulk
corrections, and the edge window of width n^{-2/3} holds O(1/n) of the mass), i.e. a bounded
number of eigenvalues per matrix; the bound allows one eigenvalue per matrix (1/n).
"""
import math

import numpy as np
import pytest

from _rng_checks import check_rng_forms, same
from rmtland._seeds import child
from rmtland.analytic import PenningtonBahri
from rmtland.compare import index_estimate
from rmtland.compare.hessian import index_bias, index_bias_limit
from rmtland.experiments.hessian import (finite_size_study, hessian_index_sample,
                                         hessian_spectra, index_bias_study)


@pytest.mark.parametrize("phi, eps", [(0.5, 0.1), (0.25, 0.5), (2.0, 0.05), (0.5, 0.005)])
def test_simulated_index_matches_theory(phi, eps):
    n, samples = 200, 60
    mean, se, theory = hessian_index_sample(n, phi, eps, samples, rng=7)
    assert theory == PenningtonBahri(phi, eps).index()
    assert abs(mean - theory) <= 4 * se + 1 / n


@pytest.mark.parametrize("eps", [0.1, 0.0])
def test_index_on_the_device(device, eps):
    """The device route (eigenvalue counts on the GPU; at eps = 0 snapped eigenvalues on the
    host) against the theory with the bound of the module notes; phi = 2 has the atom of
    H_0 at 0, which must not count as negative at eps = 0."""
    n, samples, phi = 80, 20, 2.0
    mean, se, theory = hessian_index_sample(n, phi, eps, samples, rng=8, device=device)
    if eps == 0:
        assert mean == 0.0 and se == 0.0 and theory == 0.0
    else:
        assert abs(mean - theory) <= 4 * se + 1 / n


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_spectra_and_inertia_routes_give_the_same_index(device, dtype):
    """hessian_spectra then eigenvalue counting, and hessian_index_sample (inertia: LDL^T on
    the CPU, eigenvalue counts on a GPU), see the same matrices for the same seed; the counts
    agree except for an eigenvalue within rounding of 0, which these seeds do not have."""
    eigs, seconds = hessian_spectra(120, 0.5, 0.1, 8, rng=3, device=device, dtype=dtype,
                                    chunk=3)
    assert type(eigs) is np.ndarray and eigs.dtype == np.dtype(dtype) and eigs.shape == (8, 120)
    assert seconds >= 0 and np.all(np.diff(eigs, axis=1) >= 0)
    mean_eig = index_estimate(eigs)[0]
    mean_ldl = hessian_index_sample(120, 0.5, 0.1, 8, rng=3, device=device, dtype=dtype)[0]
    assert mean_eig == mean_ldl


def test_spectra_progress_and_chunks(device):
    calls = []
    eigs, _ = hessian_spectra(30, 0.5, 0.1, 7, rng=1, device=device, chunk=3,
                              progress=lambda done, total: calls.append((done, total)))
    assert calls == [(3, 7), (6, 7), (7, 7)]
    np.testing.assert_array_equal(eigs, hessian_spectra(30, 0.5, 0.1, 7, rng=1,
                                                        device=device)[0])


def test_finite_size_distances_shrink():
    """Same pooled number of eigenvalues at every n: the KS distance falls with n. Theory: an
    O(1/n) bias of the expected spectral distribution plus fluctuations of the pooled CDF of
    order sqrt(log n)/n per matrix (eigenvalue rigidity) averaged over eigenvalues/n matrices,
    i.e. ~ sqrt(log n / (n * eigenvalues)): a power between about -1 and -1/2. Asserted: the
    fitted exponent is negative by 3 of its own standard errors, and not steeper than -1 by
    more than that."""
    study = finite_size_study(0.5, 0.1, ns=(50, 100, 200, 400), eigenvalues=8000, rng=5)
    fit = study["fits"]["ks_distance"]
    assert fit["exponent"] + 3 * fit["exponent_stderr"] < 0
    assert fit["exponent"] - 3 * fit["exponent_stderr"] > -1
    assert [r["samples"] for r in study["rows"]] == [160, 80, 40, 20]
    line_n, line_d = fit["line"]
    assert line_n[0] == 50 and line_n[-1] == pytest.approx(400)
    np.testing.assert_allclose(line_d, fit["prefactor"] * np.asarray(line_n) ** fit["exponent"],
                               rtol=1e-12)


def test_finite_size_study_on_the_device(device):
    study = finite_size_study(0.5, 0.1, ns=(20, 40), eigenvalues=160, rng=2, device=device,
                              dtype="float32")
    assert [r["samples"] for r in study["rows"]] == [8, 4]
    assert all(0 < r["ks_distance"] < 1 for r in study["rows"])
    assert set(study["fits"]) == {"ks_distance", "l1_distance"}


def test_finite_size_study_seeds(device):
    """The old bug: finite_size_study dropped the spawn key of a SeedSequence (two children of
    one sequence gave the same study) and refused a NumPy Generator (TypeError). Now every
    rng form works, different children give different studies, and the same child the same."""
    def study(rng):
        return finite_size_study(0.5, 0.1, ns=(10, 20), eigenvalues=40, rng=rng,
                                 device=device)["rows"]
    ss = np.random.SeedSequence(2024)
    a, b = study(child(ss, 0)), study(child(ss, 1))
    assert not same(a, b)
    assert same(a, study(child(ss, 0)))
    assert math.isfinite(study(np.random.default_rng(0))[0]["ks_distance"])
    check_rng_forms(study)


def test_spectra_rng_forms(device):
    check_rng_forms(lambda rng: hessian_spectra(10, 0.5, 0.1, 3, rng=rng, device=device)[0])


def test_bad_input():
    with pytest.raises(ValueError, match="samples"):
        index_bias_study((0.5,), (0.1,), (10, 20), 1)
    with pytest.raises(ValueError, match="ns"):
        index_bias_study((0.5,), (0.1,), (10, 10), 5)
    with pytest.raises(ValueError, match="phi"):
        index_bias_study((0.0,), (0.1,), (10, 20), 5)
    with pytest.raises(ValueError, match="eps"):
        index_bias_study((0.5,), (-0.1,), (10, 20), 5)
    with pytest.raises(ValueError, match="samples"):
        hessian_index_sample(10, 0.5, 0.1, 1)
    with pytest.raises(ValueError, match="samples"):
        hessian_spectra(10, 0.5, 0.1, 0)
    with pytest.raises(ValueError, match="ns"):
        finite_size_study(0.5, 0.1, ns=(100,))
    with pytest.raises(ValueError, match="n must"):
        finite_size_study(0.5, 0.1, ns=(1, 10))
    with pytest.raises(ValueError, match="eigenvalues"):
        finite_size_study(0.5, 0.1, ns=(10, 20), eigenvalues=0)


# -- the index bias n (alpha^ - alpha) and its limit -------------------------------------------
def test_index_bias_row():
    """b = mean count - n alpha(eps, n/m) with the s.e. of the mean count; all counts equal
    (here: none negative, alpha = 0 below eps_c) floors the s.e. at 1/S."""
    counts = np.array([3, 5, 4, 4, 6, 2])
    row = index_bias(counts, 30, 0.5, 0.1)
    alpha = PenningtonBahri(0.5, 0.1).index()
    assert row["m"] == 60 and row["phi_effective"] == 0.5 and row["samples"] == 6
    assert row["theory_index"] == alpha
    assert row["b"] == pytest.approx(4.0 - 30 * alpha, rel=1e-15)
    assert row["b_stderr"] == pytest.approx(np.std(counts, ddof=1) / math.sqrt(6), rel=1e-15)
    assert not row["stderr_floored"] and row["negative_fraction"] == 1.0
    zero = index_bias(np.zeros(8, dtype=int), 30, 0.5, 0.005)
    assert zero["theory_index"] == 0.0 and zero["b"] == 0.0
    assert zero["b_stderr"] == 1 / 8 and zero["stderr_floored"]
    assert zero["negative_fraction"] == 0.0
    with pytest.raises(ValueError, match="counts"):
        index_bias(np.array([1]), 30, 0.5, 0.1)


def test_index_bias_limit_fit():
    """Weighted least squares in 1/n: an exact line b = 0.2 - 3/n is recovered with chi^2 = 0;
    with equal s.e. sigma the intercept's s.e. is the textbook sigma^2 (1/k + xbar^2/Sxx),
    x = 1/n (Seber & Lee 2003, Sec. 3.10); the weighted mean and the trend z are reported."""
    ns = np.array([24.0, 48.0, 96.0])
    sigma = 0.04
    fit = index_bias_limit(ns, 0.2 - 3 / ns, [sigma] * 3)
    assert fit["model"] == "1/n" and fit["dof"] == 1
    assert fit["b_inf"] == pytest.approx(0.2, rel=1e-12)
    assert fit["c"] == pytest.approx(-3.0, rel=1e-12)
    assert fit["chi2"] == pytest.approx(0.0, abs=1e-18) and fit["p_value"] == pytest.approx(1.0)
    x = 1 / ns
    sxx = np.sum((x - x.mean()) ** 2)
    assert fit["b_inf_stderr"] == pytest.approx(sigma * math.sqrt(1 / 3 + x.mean() ** 2 / sxx),
                                                rel=1e-12)
    assert fit["c_stderr"] == pytest.approx(sigma / math.sqrt(sxx), rel=1e-12)
    assert fit["b_mean"] == pytest.approx(np.mean(0.2 - 3 / ns), rel=1e-12)
    assert fit["b_mean_stderr"] == pytest.approx(sigma / math.sqrt(3), rel=1e-12)
    assert fit["z"] == pytest.approx(fit["b_inf"] / fit["b_inf_stderr"], rel=1e-15)
    assert fit["zero_within_error"] is False
    two = index_bias_limit([10, 20], [0.1, 0.05], [0.05, 0.05])
    assert two["dof"] == 0 and two["p_value"] is None
    assert two["chi2"] == pytest.approx(0, abs=1e-20)
    assert two["b_inf"] == pytest.approx(0.0, abs=1e-15) and two["zero_within_error"]
    big = index_bias_limit([96, 24, 48], [0.03, 0.1, 0.05], [0.01, 0.02, 0.015],
                           zero_limit=True)
    assert big["model"] == "largest n" and big["b_inf"] == 0.03 and big["b_inf_stderr"] == 0.01
    assert big["z"] == pytest.approx(3.0) and not big["zero_within_error"]
    for bad in ([[10], [0.1], [0.1]], [[10, 20], [0.1, 0.1], [0.1, 0.0]],
                [[10, 20], [0.1, np.nan], [0.1, 0.1]], [[10, 20], [0.1], [0.1]]):
        with pytest.raises(ValueError):
            index_bias_limit(*bad)


def test_index_bias_below_eps_c_is_a_rare_positive_excursion():
    """phi < 1, eps < eps_c: alpha = 0 exactly and the left edge lambda_- of the law is
    positive, so a negative eigenvalue needs the smallest one to cross the gap lambda_- (a
    large deviation of the edge, whose window shrinks as n^{-2/3}); b = E N_- >= 0 is the rate
    of such excursions (almost always one eigenvalue) and falls to 0.  Measured (4000
    matrices each): phi = 0.25, eps = 0.005 (lambda_- = 0.213): no negative eigenvalue at n =
    12, 24, 48; phi = 0.5, eps = 0.005 (lambda_- = 0.044): rates 0.019, 0.0088, 0.0015 at n =
    12, 24, 48 (P(N_- > 0) = mean N_- to 0.0005).  Asserted with 300 matrices per n: phi =
    0.25 has none at all (b = 0, the s.e. floored at 1/S); phi = 0.5 has b <= 0.05 at every n
    (15 excursions at n = 24, where 2.6 are expected: Poisson probability < 1e-6), and its
    reported limit (b at the largest n) is zero within error."""
    study = index_bias_study((0.25, 0.5), (0.005,), (24, 48, 96), 300, rng=11)
    assert study["ns"] == [24, 48, 96] and study["samples"] == 300
    low, mid = study["rows"]
    for row in study["rows"]:
        assert row["regime"] == "alpha = 0" and row["model"] == "largest n"
        assert row["eps_c"] > 0.005
        for size in row["sizes"]:
            assert size["theory_index"] == 0.0 and size["b"] == size["mean_count"] >= 0
            assert size["negative_fraction"] <= size["b"] <= 2 * size["negative_fraction"]
        assert row["b_inf"] == row["sizes"][-1]["b"] and row["zero_within_error"]
    assert all(s["b"] == 0.0 and s["b_stderr"] == 1 / 300 for s in low["sizes"])
    assert all(s["b"] <= 0.05 for s in mid["sizes"])


def test_index_bias_vanishes_for_the_smeared_atom():
    """phi > 1, small eps: H_0 has n - m zero eigenvalues; to first order in sqrt(eps) the GOE
    part compressed to that null space is a GOE of size n - m, symmetric about 0, whose mean
    negative count is exactly (n - m)/2 = n (1 - 1/phi)/2, the theory's share of the atom, so
    the bias vanishes at that order.  At phi = 4, eps = 1e-4 (bump of half-width ~0.02, the
    bulk from 1) b_inf is zero within 3 s.e. (a false alarm has probability 0.3% for a
    calibrated s.e.: test_index_bias_stderr_is_calibrated)."""
    study = index_bias_study((4.0,), (1e-4,), (24, 48, 96), 300, rng=4)
    (row,) = study["rows"]
    assert row["regime"] == "alpha > 0" and row["model"] == "1/n"
    for size in row["sizes"]:
        assert size["theory_index"] == pytest.approx(0.375, abs=0.005)   # ~ (1 - 1/phi)/2
    assert abs(row["z"]) < 3


def test_index_bias_stderr_is_calibrated():
    """The reported s.e. matches the spread over seeds.  K = 20 independent studies (children
    of one SeedSequence) at phi = 0.5, eps = 0.1, n = 16, 32, 64, 100 matrices each: for a
    calibrated s.e. Q = sum_i ((x_i - xbar_w)/se_i)^2 about the weighted mean is chi^2 with
    K - 1 = 19 degrees of freedom (the s.e. are estimated from 100 samples each, which
    inflates Q by ~2%, negligible here); asserted inside its central 99.9% interval
    [chi2.ppf(0.0005, 19), chi2.ppf(0.9995, 19)] = [4.9, 46.0] (scipy.stats.chi2), for b at each
    n and for b_inf (measured over six outer seeds: 7.2 ... 30.2).  The fits' own chi^2 (1
    degree of freedom each) summed over the K studies is chi^2 with K degrees of freedom if
    b(n) = b_inf + c/n holds at these n: asserted inside its central 99.9% interval too."""
    from scipy.stats import chi2
    K = 20
    ss = np.random.SeedSequence(77)
    rows = [index_bias_study((0.5,), (0.1,), (16, 32, 64), 100, rng=child(ss, i))["rows"][0]
            for i in range(K)]

    def q(x, se):
        x, w = np.asarray(x), 1 / np.asarray(se) ** 2
        return float(np.sum(w * (x - np.sum(w * x) / np.sum(w)) ** 2))
    lo, hi = chi2.ppf(0.0005, K - 1), chi2.ppf(0.9995, K - 1)
    for j in range(3):
        qj = q([r["sizes"][j]["b"] for r in rows], [r["sizes"][j]["b_stderr"] for r in rows])
        assert lo <= qj <= hi, (j, qj, lo, hi)
    q_inf = q([r["b_inf"] for r in rows], [r["b_inf_stderr"] for r in rows])
    assert lo <= q_inf <= hi, (q_inf, lo, hi)
    fit_chi2 = sum(r["chi2"] for r in rows)
    assert chi2.ppf(0.0005, K) <= fit_chi2 <= chi2.ppf(0.9995, K), fit_chi2


def test_index_bias_study_on_the_device(device):
    """Every route (inertia on the host, eigenvalue counts on the GPU) and both regimes; the
    same seed gives the same study."""
    def study():
        return index_bias_study((0.5, 2.0), (0.005, 0.5), (12, 24), 6, rng=3, device=device)
    a = study()
    assert [(r["phi"], r["eps"]) for r in a["rows"]] == [(0.5, 0.005), (0.5, 0.5), (2.0, 0.005),
                                                         (2.0, 0.5)]
    assert [r["regime"] for r in a["rows"]] == ["alpha = 0", "alpha > 0", "alpha > 0",
                                                "alpha > 0"]
    for row in a["rows"]:
        assert [s["n"] for s in row["sizes"]] == [12, 24]
        assert all(s["samples"] == 6 and s["b_stderr"] > 0 for s in row["sizes"])
        assert row["zero_within_error"] == (abs(row["z"]) < 2)
    assert same(a["rows"], study()["rows"])


@pytest.mark.slow
def test_index_bias_at_the_quick_size():
    """The quick-size study of the finite-size figure (SIM["quick"], its seed), the numbers the
    README quotes; ~10 s.  What it measures, asserted where the quick precision (s.e. of b_inf
    ~0.04) resolves it:

    * phi = 0.25, 0.5 below eps_c (alpha = 0): zero within error (phi = 0.25: not one negative
      eigenvalue);
    * phi = 0.75, eps = 0.001 = 0.79 eps_c: the left edge (0.0034) lies inside the edge window
      at these n, so excursions below 0 are common (rate 0.09 ... 0.04 at n = 24 ... 192,
      4000 matrices each): b > 0 at every n and not yet zero within error;
    * phi < 1 above eps_c: the weighted mean of the seven b_inf is positive by more than 4 of its
      s.e. (measured: 0.11-0.12 +- 0.015 for three seeds; at 3000 matrices per n, 0.08-0.20
      each);
    * the smeared atom, phi >= 2 and eps <= 0.005: the weighted mean of the four b_inf is zero
      within 3 s.e. (the first-order symmetry of test_index_bias_vanishes_for_the_smeared_atom;
      at 3000 matrices per n, -0.008 ... 0.029 +- 0.013);
    * the 1/n model: the fits' chi^2 summed over the alpha > 0 pairs is inside the central 99.9%
      interval of chi^2 with that many degrees of freedom (scipy.stats.chi2).
    """
    from scipy.stats import chi2
    from rmtland import _seeds
    from rmtland.experiments.hessian import BIAS_EPS, BIAS_PHIS, BIAS_SEED_CHILD, SIM
    sim = SIM["quick"]
    study = index_bias_study(BIAS_PHIS, BIAS_EPS, sim["bias_ns"], sim["bias_samples"],
                             rng=_seeds.child(_seeds.seed_sequence(0), BIAS_SEED_CHILD))
    rows = {(r["phi"], r["eps"]): r for r in study["rows"]}
    for key in ((0.25, 0.001), (0.25, 0.005), (0.5, 0.001), (0.5, 0.005)):
        assert rows[key]["regime"] == "alpha = 0" and rows[key]["zero_within_error"]
    assert all(s["b"] == 0 for e in (0.001, 0.005) for s in rows[(0.25, e)]["sizes"])
    edge = rows[(0.75, 0.001)]
    assert edge["regime"] == "alpha = 0" and not edge["zero_within_error"]
    assert all(s["b"] > 0 for s in edge["sizes"])

    def pooled(sel):
        w = np.array([1 / r["b_inf_stderr"] ** 2 for r in sel])
        return (float(np.sum(w * [r["b_inf"] for r in sel]) / np.sum(w)),
                float(1 / np.sqrt(np.sum(w))))
    above = [r for r in study["rows"] if r["phi"] < 1 and r["regime"] == "alpha > 0"]
    assert len(above) == 7
    mean, se = pooled(above)
    assert mean > 4 * se
    atom = [r for r in study["rows"] if r["phi"] >= 2 and r["eps"] <= 0.005]
    mean, se = pooled(atom)
    assert abs(mean) < 3 * se
    fits = [r for r in study["rows"] if r["model"] == "1/n"]
    total, dof = sum(r["chi2"] for r in fits), sum(r["dof"] for r in fits)
    assert chi2.ppf(0.0005, dof) <= total <= chi2.ppf(0.9995, dof), (total, dof)


def test_finite_size_figure_draws_the_index_bias():
    """figure_hessian_finite_size (smoke): the summary holds the index-bias study, and panel
    (c) draws exactly its b_inf with +-2 s.e. bars, one colour per eps, filled points for the
    1/n fits and open ones where alpha = 0, with a zero line."""
    import matplotlib
    matplotlib.use("Agg")
    from rmtland.experiments.hessian import BIAS_EPS, BIAS_PHIS, figure_hessian_finite_size
    record = figure_hessian_finite_size(smoke=True)
    bias = record["summary"]["index_bias"]
    assert bias is record["curves"]["index_bias"]
    assert len(bias["rows"]) == len(BIAS_PHIS) * len(BIAS_EPS)
    assert record["parameters"]["index_bias"]["phis"] == list(BIAS_PHIS)
    fig = record["draw"]()
    ax = fig.axes[2]
    drawn = []
    for container in ax.containers:
        line, _, (bars,) = container.lines
        assert line.get_gid() == "simulation"
        filled = line.get_markerfacecolor() != "white"
        for x, y, seg in zip(line.get_xdata(), line.get_ydata(), bars.get_segments()):
            drawn.append((float(x), float(y), filled, seg[1][1] - seg[0][1]))
    assert len(drawn) == len(bias["rows"])
    for row in bias["rows"]:
        # the points of one phi are spread sideways by a few per cent (a drawing offset)
        match = [d for d in drawn if abs(d[0] / row["phi"] - 1) < 0.1 and d[1] == row["b_inf"]
                 and d[2] == (row["regime"] == "alpha > 0")]
        assert match and match[0][3] == pytest.approx(4 * row["b_inf_stderr"], rel=1e-9)
        drawn.remove(match[0])
    assert any(ln.get_gid() == "theory" and list(ln.get_ydata()) == [0, 0] for ln in ax.lines)
