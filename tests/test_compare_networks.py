"""rmtland.compare.networks on synthetic matrices with known ground truth.

* Freeness test: H0 Wishart and H1 an independent GOE are asymptotically free (Mingo & Speicher
  2017, Ch. 4), so all three distances are small, at the level of the Pennington–Bahri model's
  own sampling noise; H1 = s (H0 - mean) commutes with H0 (not free), and distances (a), (b)
  are an order of magnitude above that level.
* Haar sampler: moments of Haar O(n) typed here (E Q_ij^2 = 1/n, E Q_ij^4 = 3/(n(n+2)),
  E Q_11 = 0), orthogonality to 1e-12; the same checks reject LAPACK's QR without the sign fix.
* Index fit: points of the exact Pennington–Bahri index near eps_c, and noisy points of the
  model with known noise (coverage of the 3-s.e. intervals).
* Memorisation: exact arithmetic.

Closed forms typed here from PB17 / DESIGN.md: eps_c = (1 - 20 phi - 8 phi^2 + (1+8 phi)^{3/2})/16,
alpha0 = 2(3 - t)/(3 pi sqrt(t)(1 + t)), t = sqrt(1 + 8 phi).
"""
import math

import numpy as np
import pytest
from scipy import stats

from rmtland._validate import InputError
from rmtland.analytic import PenningtonBahri
from rmtland.compare import networks as cn
from rmtland.sampling import sample_goe, sample_wishart
from rmtland.sampling.ensembles import haar_orthogonal

KEYS = ("ks_free_convolution", "ks_rotated", "ks_pennington_bahri")
#: Free case: every distance below FREE_BOUND / n.  Measured at n = 200-400 (phi = 1/2, GOE of
#: variance 0.2, 6 seeds each): max n*KS = 2.5-3.8 (see the slow test); 6 leaves ~1.6x margin.
FREE_BOUND = 6.0


def eps_c_closed(phi):
    return (1 - 20 * phi - 8 * phi ** 2 + (1 + 8 * phi) ** 1.5) / 16


def alpha0_closed(phi):
    t = math.sqrt(1 + 8 * phi)
    return 2 * (3 - t) / (3 * math.pi * math.sqrt(t) * (1 + t))


def free_pair(n, seed, phi=0.5, var=0.2):
    H0 = sample_wishart(n, round(n / phi), rng=seed)[0]
    H1 = sample_goe(n, var=var, rng=1000 + seed)[0]
    return H0, H1


def commuting_pair(n, seed, s=0.3):
    H0, _ = free_pair(n, seed)
    return H0, s * (H0 - np.trace(H0) / n * np.eye(n))


@pytest.fixture(scope="module")
def free200():
    return cn.freeness_test(*free_pair(200, 0), rng=0)


@pytest.fixture(scope="module")
def commuting200():
    return cn.freeness_test(*commuting_pair(200, 0), rng=0, rotations=4, grid=513)


# -- Haar rotations --------------------------------------------------------------------------
def test_haar_orthogonal_is_orthogonal():
    Q = haar_orthogonal(200, batch=2, rng=1)
    eye = np.eye(200)
    for q in Q:
        assert np.max(np.abs(q.T @ q - eye)) < 1e-12
        assert np.max(np.abs(q @ q.T - eye)) < 1e-12
    assert haar_orthogonal(5, rng=3).shape == (5, 5)
    np.testing.assert_array_equal(haar_orthogonal(6, batch=2, rng=7),
                                  haar_orthogonal(6, batch=2, rng=7))


def _haar_moment_checks(Q):
    """True when the sample of matrices Q matches Haar O(n) moments within 4.5 s.e."""
    S, n, _ = Q.shape
    sq = Q ** 2
    # E Q_ij^2 = 1/n, Var Q_ij^2 = 3/(n(n+2)) - 1/n^2 (Q_ij^2 ~ Beta(1/2, (n-1)/2))
    se2 = math.sqrt((3 / (n * (n + 2)) - 1 / n ** 2) / S)
    ok2 = np.all(np.abs(sq.mean(0) - 1 / n) < 4.5 * se2)
    # E Q_ij = 0 (Var = 1/n): fails for QR without the sign fix (Q_11 < 0 there)
    ok1 = np.all(np.abs(Q.mean(0)) < 4.5 * math.sqrt(1 / n / S))
    # E Q_11^4 = 3/(n(n+2)); Var = E Q^8 - (E Q^4)^2, E Q^8 = 105/(n(n+2)(n+4)(n+6))
    m4 = 3 / (n * (n + 2))
    se4 = math.sqrt((105 / (n * (n + 2) * (n + 4) * (n + 6)) - m4 ** 2) / S)
    ok4 = abs(np.mean(Q[:, 0, 0] ** 4) - m4) < 4.5 * se4
    return bool(ok1), bool(ok2), bool(ok4)


def test_haar_orthogonal_moments_and_sign_fix():
    """E Q_ij^2 = 1/n, E Q_ij = 0, E Q_11^4 = 3/(n(n+2)) over 8000 draws at n = 5; LAPACK's QR
    without Mezzadri's sign fix fails the E Q_ij = 0 check (its Q_11 is always negative)."""
    S, n = 8000, 5
    assert _haar_moment_checks(haar_orthogonal(n, batch=S, rng=11)) == (True, True, True)
    raw = np.linalg.qr(np.random.default_rng(11).standard_normal((S, n, n)))[0]
    assert np.all(raw[:, 0, 0] < 0)
    assert _haar_moment_checks(raw)[0] is False


def test_ks_two_sample_matches_scipy():
    rng = np.random.default_rng(0)
    a = np.round(rng.standard_normal(57), 1)          # ties within and across samples
    b = np.round(rng.standard_normal(131) + 0.3, 1)
    assert cn.ks_two_sample(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-15)
    assert cn.ks_two_sample(a, a) == 0.0
    assert cn.ks_two_sample([0.0], [1.0]) == 1.0


# -- the freeness test -----------------------------------------------------------------------
def test_free_case_distances_small(free200):
    """Wishart + independent GOE at n = 200: all three distances below FREE_BOUND/n = 0.03
    (measured ~0.011-0.013), the matched parameters near the truth (phi = 1/2, eps = 0.1,
    c = 1) and the quadrature of (a) far below the distances."""
    r = free200
    for k in KEYS:
        assert r[k] < FREE_BOUND / 200, (k, r[k])
    assert r["quadrature_error"] < 1e-3
    assert r["phi"] == pytest.approx(0.5, abs=0.05) and r["phi_source"] == "moments"
    assert r["eps"] == pytest.approx(0.1, abs=0.01)
    assert r["c"] == pytest.approx(1.0, abs=0.03)
    assert r["zeros_h0"] == 0 and r["phi_rank"] is None and r["reference"] is None
    assert abs(r["h1_mean"]) < 0.02


def test_commuting_case_not_free(free200, commuting200):
    """H1 = 0.3 (H0 - mean): commuting with H0, not free.  Distances (a) and (b) are > 0.08
    and more than 5x the free case's at the same n: a test assuming freeness fails, and fails
    because the free convolution / Haar rotation spreads the spectrum more than the
    commuting sum does (variance (1+s)^2 phi of the sum against (1+s^2) phi for free parts)."""
    r = commuting200
    for k in ("ks_free_convolution", "ks_rotated"):
        assert r[k] > 0.08, (k, r[k])
        assert r[k] > 5 * free200[k], (k, r[k], free200[k])
    assert r["eps"] == pytest.approx(0.3 ** 2 * r["phi_moments"] / 2, rel=1e-10)
    # the commuting sum is an affine image of H0: (1 + s) H0 - s mean has variance
    # (1 + s)^2 var(H0), more than the free sum's var(H0) + var(H1) = (1 + s^2) var(H0)
    H0, H1 = commuting_pair(200, 0)
    assert np.var(np.linalg.eigvalsh(H0 + H1)) > 1.4 * (np.var(np.linalg.eigvalsh(H0))
                                                          + np.var(np.linalg.eigvalsh(H1)))


def test_rank_deficient_h0_atom_and_given_phi():
    """phi = 2 (n = 120, m = 60): H0 has n - m = 60 zero eigenvalues, snapped and counted; the
    rank gives phi exactly; the distances stay at the free level with phi given or matched."""
    H0, H1 = free_pair(120, 3, phi=2.0, var=0.1)
    r = cn.freeness_test(H0, H1, rng=1, rotations=4, grid=513)
    assert r["zeros_h0"] == 60 and r["phi_rank"] == 2.0
    assert r["phi"] == pytest.approx(2.0, abs=0.2)
    for k in KEYS:
        assert r[k] < FREE_BOUND / 120, (k, r[k])
    g = cn.freeness_test(H0, H1, rng=1, rotations=1, grid=513, phi=2.0)
    assert g["phi"] == 2.0 and g["phi_source"] == "given"
    assert g["ks_pennington_bahri"] < FREE_BOUND / 120


def test_zero_residual_is_exact():
    """H1 = 0: the free convolution with delta_0 is the spectrum of H0 itself (all atoms,
    including the zero eigenvalues' atom), the rotations change nothing: (a) = (b) = 0."""
    H0, _ = free_pair(60, 2, phi=2.0)
    r = cn.freeness_test(H0, np.zeros_like(H0), rng=0, rotations=2, grid=65)
    assert r["ks_free_convolution"] < 1e-10
    assert r["ks_rotated"] == 0.0
    assert r["eps"] == 0.0 and r["zeros_h0"] == 30


def test_reference_levels_small_n():
    """reference=True: PB-model draws at the matched parameters give distances at the free
    level; their structure is reported."""
    H0, H1 = free_pair(80, 5)
    r = cn.freeness_test(H0, H1, rng=2, rotations=2, grid=257, reference=True,
                         reference_samples=2)
    ref = r["reference"]
    assert ref["samples"] == 2 and ref["m"] == round(80 / r["phi"])
    for k in KEYS:
        assert len(ref[k]["values"]) == 2 and ref[k]["max"] >= ref[k]["mean"] > 0
        assert ref[k]["max"] < FREE_BOUND / 80


@pytest.mark.parametrize("kwargs, name", [
    ({"H0": np.ones((3, 4))}, "H0"),
    ({"H1": np.triu(np.ones((5, 5)))}, "H1"),
    ({"H1": np.eye(4)}, "same shape"),
    ({"H0": -np.eye(5)}, "H0"),
    ({"H0": np.eye(5)}, "phi"),
    ({"rotations": 0}, "rotations"),
    ({"grid": 100}, "grid"),
    ({"phi": -1.0}, "phi"),
    ({"reference": "yes"}, "reference"),
    ({"reference_samples": 0}, "reference_samples"),
    ({"H0": np.full((5, 5), np.nan)}, "H0"),
])
def test_freeness_test_bad_input(kwargs, name):
    args = {"H0": np.diag([0.5, 1.0, 1.5, 2.0, 0.0]), "H1": np.eye(5) * 0.1}
    args.update(kwargs)
    H0, H1 = args.pop("H0"), args.pop("H1")
    with pytest.raises(InputError, match=name):
        cn.freeness_test(H0, H1, **args)


# -- index against loss ------------------------------------------------------------------------
@pytest.mark.parametrize("phi", [0.25, 0.5])
def test_fit_recovers_exact_pb_onset(phi):
    """Points of the exact PB index at (eps - eps_c)/eps_c in [1e-3, 1e-2] with 1% s.e.: the
    fit returns gamma = 3/2, eps_c(phi) and alpha0(phi) (closed forms) within one s.e. (the
    next-order correction of the exact index, ~ -0.7 x relative, is below 1% there)."""
    ec, a0 = eps_c_closed(phi), alpha0_closed(phi)
    eps = ec * (1 + np.geomspace(1e-3, 1e-2, 12))
    alpha = np.array([PenningtonBahri(phi, e).index() for e in eps])
    r = cn.fit_three_halves(eps, alpha, 0.01 * alpha)
    assert abs(r["gamma"] - 1.5) < r["gamma_stderr"]
    assert abs(r["eps_c"] - ec) < r["eps_c_stderr"]
    assert abs(r["alpha0"] - a0) < r["alpha0_stderr"]
    assert r["points"] == 12 and r["dof"] == 9 and not r["at_bound"] and r["weighted"]
    fixed = cn.fit_three_halves(eps, alpha, 0.01 * alpha, exponent=1.5)
    assert fixed["gamma"] == 1.5 and fixed["gamma_stderr"] is None and fixed["gamma_fixed"]
    assert abs(fixed["alpha0"] - a0) < 2 * fixed["alpha0_stderr"]
    both = cn.fit_three_halves(eps, alpha, 0.01 * alpha, exponent=1.5, eps_c=ec)
    assert both["alpha0"] == pytest.approx(a0, rel=0.01) and both["eps_c_stderr"] is None


def test_fit_coverage_with_known_noise():
    """20 draws of the model itself plus 5% Gaussian noise (known): the true (eps_c, gamma,
    alpha0) lie within 3 s.e. in at least 18 of 20 draws for each parameter."""
    phi = 0.5
    ec, a0 = eps_c_closed(phi), alpha0_closed(phi)
    eps = ec * (1 + np.geomspace(0.01, 0.3, 10))
    truth = a0 * ((eps - ec) / ec) ** 1.5
    se = 0.05 * truth
    rng = np.random.default_rng(2024)
    hits = np.zeros(3, dtype=int)
    for _ in range(20):
        r = cn.fit_three_halves(eps, truth + se * rng.standard_normal(eps.size), se)
        hits += [abs(r["eps_c"] - ec) <= 3 * r["eps_c_stderr"],
                 abs(r["gamma"] - 1.5) <= 3 * r["gamma_stderr"],
                 abs(r["alpha0"] - a0) <= 3 * r["alpha0_stderr"]]
    assert np.all(hits >= 18), hits


def test_fit_drops_nonpositive_and_unweighted():
    phi = 0.5
    ec, a0 = eps_c_closed(phi), alpha0_closed(phi)
    eps = np.concatenate([[0.5 * ec, 0.9 * ec], ec * (1 + np.geomspace(0.01, 0.3, 8))])
    alpha = cn.three_halves_model(eps, ec, 1.5, a0)
    r = cn.fit_three_halves(eps, alpha)
    assert r["dropped"] == 2 and r["points"] == 8 and not r["weighted"]
    assert r["eps_c"] == pytest.approx(ec, rel=1e-6) and r["gamma"] == pytest.approx(1.5, rel=1e-6)
    with pytest.raises(InputError, match="alpha_se"):
        cn.fit_three_halves(eps, alpha, -np.ones_like(eps))
    with pytest.raises(InputError, match="eps_c"):
        cn.fit_three_halves(eps, alpha, eps_c=2 * ec)
    with pytest.raises(InputError, match="at least"):
        cn.fit_three_halves(eps[:4], alpha[:4])
    with pytest.raises(InputError, match="eps"):
        cn.fit_three_halves([-1.0, 1.0, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0])


def test_theory_index_curve_mapping():
    """eps_model = scale * eps_network: the index at network loss eps is PB's at scale*eps, the
    network's critical loss eps_c(phi)/scale; the 3/2 curve uses alpha0(phi) (closed forms)."""
    phi, scale = 0.5, 2.0
    ec = eps_c_closed(phi)
    grid = np.array([0.0, 0.4 * ec, 0.6 * ec, ec, 3 * ec])
    r = cn.theory_index_curve(phi, grid, scale)
    assert r["eps_c"] == pytest.approx(ec / scale, rel=1e-14)
    np.testing.assert_allclose(r["eps_model"], scale * grid)
    assert np.all(r["alpha"][:2] == 0) and np.all(r["alpha"][2:] > 0)
    assert r["alpha"][-1] == pytest.approx(PenningtonBahri(phi, scale * 3 * ec).index(), rel=1e-14)
    x = (grid[2:] - ec / scale) / (ec / scale)
    np.testing.assert_allclose(r["three_halves"][2:], alpha0_closed(phi) * x ** 1.5, rtol=1e-13)
    big = cn.theory_index_curve(2.0, [0.0, 0.1], 1.0)
    assert big["eps_c"] == 0.0 and big["alpha0"] is None and big["three_halves"] is None
    with pytest.raises(InputError, match="scale"):
        cn.theory_index_curve(0.5, grid, 0.0)


def test_loss_scale_exact():
    L = np.array([0.1, 0.2, 0.4])
    s, se = cn.loss_scale(L, 2.5 * L)
    assert s == pytest.approx(2.5, rel=1e-15) and se < 1e-15
    s, se = cn.loss_scale(L, 2.5 * L + np.array([0.01, -0.01, 0.0]), np.array([0.1, 0.1, 0.2]))
    w = np.array([100.0, 100.0, 25.0])
    E = 2.5 * L + np.array([0.01, -0.01, 0.0])
    assert s == pytest.approx(np.sum(w * L * E) / np.sum(w * L ** 2), rel=1e-14)
    assert se == pytest.approx(1 / math.sqrt(np.sum(w * L ** 2)), rel=1e-14)


# -- memorisation ------------------------------------------------------------------------------
def test_memorisation_exact_arithmetic():
    r = cn.memorisation_deviation(0.5, [0.1, 0.2, 0.3])
    assert r["prediction"] == 0.125                 # (1 - 1/2)^2 / 2
    assert r["mean"] == pytest.approx(0.2, abs=1e-15)
    assert r["stderr"] == pytest.approx(0.1 / math.sqrt(3), rel=1e-14)
    assert r["deviation"] == pytest.approx(0.075, abs=1e-15)
    assert r["z"] == pytest.approx(0.75 * math.sqrt(3), rel=1e-13)
    assert r["seeds"] == 3
    two = cn.memorisation_deviation(0.2, [[0.25, 0.75], [0.5, 0.5], [0.75, 0.25]])
    assert two["prediction"] == pytest.approx(0.32, abs=1e-15)   # (0.8)^2 / 2
    assert two["mean"] == 0.5 and two["stderr"] == 0.0 and two["z"] is None
    # per-seed means equal up to rounding: the s.e. is rounding noise, z is not reported
    three = cn.memorisation_deviation(0.2, [[0.1, 0.3], [0.2, 0.2], [0.3, 0.1]])
    assert three["stderr"] < 1e-15 and three["z"] is None
    assert cn.memorisation_deviation(1.0, [0.0, 0.0])["prediction"] == 0.0
    over = cn.memorisation_deviation(3.0, [0.01])
    assert over["prediction"] == 0.0 and over["stderr"] is None and over["z"] is None
    for bad, name in (((0.0, [0.1]), "phi"), ((0.5, []), "losses"), ((0.5, [-0.1]), "losses")):
        with pytest.raises(InputError, match=name):
            cn.memorisation_deviation(*bad)


# -- slow: the sizes behind the bounds ---------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("n", [200, 400])
def test_free_and_commuting_against_reference_levels(n):
    """At n = 200 and 400, 3 seeds: the free case stays below FREE_BOUND/n and within 2.5x
    the PB model's own reference maximum; the commuting case's (a), (b) exceed 5x it
    (measured: ~8x at n = 200, ~17x at n = 400, as the noise falls like 1/n)."""
    for seed in range(3):
        free = cn.freeness_test(*free_pair(n, seed), rng=seed, reference=True)
        comm = cn.freeness_test(*commuting_pair(n, seed), rng=seed)
        for k in KEYS:
            level = free["reference"][k]["max"]
            assert free[k] < FREE_BOUND / n, (n, seed, k, free[k])
            assert free[k] < 2.5 * level, (n, seed, k, free[k], level)
            if k != "ks_pennington_bahri":
                assert comm[k] > 5 * level, (n, seed, k, comm[k], level)


# -- where freeness fails: the table ---------------------------------------------------------
def _row(phi, loss, d, refs, data="gaussian", p=(0.5, 0.5, 0.5), draws=100):
    keys = cn.FREENESS_KEYS
    free = dict(zip(keys, d))
    free.update(p_value=dict(zip(keys, [None if x is None else q for x, q in zip(d, p)])),
                null_draws=draws)
    return {"phi": phi, "loss": loss, "data": data, "freeness": free,
            "reference": {k: {"values": list(r)} for k, r in zip(keys, refs)}}


def test_freeness_table_by_hand():
    """Grouping by (data, phi, loss bin) and the fraction above every reference draw, counted
    by hand: a distance of 0.5 over draws (0.1, 0.2, 0.3) is above, 0.05 is not; an
    unresolved (a) (None) leaves that test's count and keeps the others."""
    r3 = [(0.1, 0.2, 0.3)] * 3
    rows = [_row(0.5, 0.1, (0.5, 0.5, 0.05), r3, p=(0.01, 0.0099, 0.5)),
            _row(0.5, 0.15, (0.05, 0.5, 0.05), r3, p=(0.3, 0.05, 0.051), draws=50),
            _row(0.5, 0.3, (None, 0.01, 0.9), r3), _row(2.0, 0.1, (0.5, 0.5, 0.5), r3),
            _row(0.5, 0.1, (0.5, 0.5, 0.5), r3, data="teacher"),
            {"phi": 0.5, "loss": 0.1},                     # not tested: skipped
            {"phi": 0.5, "loss": 0.1, "freeness": {"tested": False, "p_value": None}}]
    table = cn.freeness_table(rows, [0.0, 0.2, 0.5])
    assert [(t["data"], t["phi"], t["eps_lo"], t["points"]) for t in table] == [
        ("gaussian", 0.5, 0.0, 2), ("gaussian", 0.5, 0.2, 1), ("gaussian", 2.0, 0.0, 1),
        ("teacher", 0.5, 0.0, 1)]
    first, second = table[0], table[1]
    assert first["ks_free_convolution"]["above"] == 0.5
    assert first["ks_rotated"]["above"] == 1.0 and first["ks_pennington_bahri"]["above"] == 0
    assert first["ks_free_convolution"]["median"] == pytest.approx(0.275, abs=1e-15)
    assert first["ks_rotated"]["reference_median"] == pytest.approx(0.2, abs=1e-15)
    assert first["above_if_free"] == 0.25                  # 1/(R+1), R = 3
    assert first["above_if_free_stderr"] == pytest.approx(math.sqrt(0.25 * 0.75 / 2))
    assert second["ks_free_convolution"] is None and second["ks_pennington_bahri"]["above"] == 1
    # the p-values: rejected at 5% (p <= 0.05), a binomial fraction of the group's points
    assert first["level"] == 0.05 and first["null_draws"] == 50      # the smallest R
    assert first["rejected_if_free"] == 2 / 51                       # floor(0.05 * 51) / 51
    assert first["rejected_if_free_stderr"] == pytest.approx(math.sqrt(2 / 51 * 49 / 51 / 2))
    assert first["ks_free_convolution"]["rejected"] == 0.5
    assert first["ks_rotated"]["rejected"] == 1.0 and first["ks_rotated"]["rejected_stderr"] == 0
    assert first["ks_pennington_bahri"]["rejected"] == 0.0
    assert first["ks_free_convolution"]["rejected_stderr"] == pytest.approx(math.sqrt(.25 / 2))
    assert first["ks_free_convolution"]["median_p"] == pytest.approx(0.155)
    assert table[2]["rejected_if_free"] == 5 / 101                   # R = 100


@pytest.mark.parametrize("edges", [[0.1], [0.5, 0.2], [0.0, float("nan")]])
def test_freeness_table_bad_edges(edges):
    with pytest.raises(InputError, match="eps_edges"):
        cn.freeness_table([], edges)


def test_tiny_residual_part_is_unresolved_not_ks_one():
    """H1 nonzero but 1e-12 of H0 (a near-zero-loss point): the free sum's CDF is not
    resolved by the grid (quadrature error ~ 1), so (a) is None rather than a KS of 1; the
    rotation test snaps the rounding-level zeros of both spectra."""
    g = np.random.default_rng(0)
    J = g.standard_normal((8, 12))
    H0 = J.T @ J / 8
    A = g.standard_normal((12, 12))
    r = cn.freeness_test(H0, 1e-12 * (A + A.T), rng=0)
    assert r["quadrature_error"] > cn.QUADRATURE_MAX and r["ks_free_convolution"] is None
    assert r["ks_rotated"] < 0.2


@pytest.mark.slow
def test_freeness_table_is_calibrated_on_free_pairs():
    """On pairs that ARE free (H0 Wishart, H1 independent GOE: PB's model), a point's distance
    exceeds all R = 3 reference draws with probability ~1/(R+1) = 1/4 (exchangeable, up to the
    moment matching from the pair itself). 40 pairs at n = 40: binomial s.e. 0.068; the
    fraction must lie within 4 s.e. of 1/4 for the two free tests and for the PB law."""
    rows = []
    for s in range(40):
        gw, gg, gt = np.random.default_rng([s, 1]), np.random.default_rng([s, 2]), s
        H0 = sample_wishart(40, 80, rng=gw)[0]
        H1 = sample_goe(40, var=0.2, rng=gg)[0]
        f = cn.freeness_test(H0, H1, rng=gt, phi=0.5, reference=True, reference_samples=3,
                             rotations=4)
        rows.append({"phi": 0.5, "loss": 0.1, "freeness": {k: f[k] for k in cn.FREENESS_KEYS},
                     "reference": f["reference"]})
    (row,) = cn.freeness_table(rows, [0.0, 1.0])
    for k in cn.FREENESS_KEYS:
        assert row[k]["points"] == 40
        assert abs(row[k]["above"] - 0.25) <= 4 * math.sqrt(0.25 * 0.75 / 40), (k, row[k])
