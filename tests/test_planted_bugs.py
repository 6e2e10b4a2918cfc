"""Tests written to catch planted bugs that the rest of the suite let through (issue 17,
section 5): each pins a normalisation, an offset or a bound against an independent value
(a symmetry, an independent construction, the documented formula through two public calls,
a law with parameters far from 1), not against a bound that a bug could widen."""
import math

import numpy as np
import pytest

from rmtland.compare import networks as cn
from rmtland.compare import trained as ct
from rmtland.linalg.spectral import spectrum


# --------------------------------------------------------------------------- SLQ quadrature
def _gauss_rule(x, w, k):
    """k-node Gauss rule of the discrete measure sum_i w_i delta_{x_i}, by the Stieltjes
    procedure (Gautschi, Orthogonal Polynomials, OUP 2004, Sec. 2.2.3.1) with full
    re-orthogonalisation of the monic polynomials on the points; Golub-Welsch for the rule.
    Independent of rmtland's Lanczos."""
    P = [np.ones_like(x)]
    a, b = [], []
    for j in range(k):
        p = P[-1]
        nrm = np.sum(w * p * p)
        a.append(np.sum(w * x * p * p) / nrm)
        if j + 1 == k:
            break
        q = (x - a[-1]) * p - (b[-1] * P[-2] if j else 0)
        for r in P:                                     # re-orthogonalise (exact in theory)
            q = q - np.sum(w * q * r) / np.sum(w * r * r) * r
        b.append(np.sum(w * q * q) / nrm)
        P.append(q)
    J = np.diag(a) + np.diag(np.sqrt(b), 1) + np.diag(np.sqrt(b), -1)
    nodes, V = np.linalg.eigh(J)
    return nodes, V[0] ** 2


@pytest.mark.parametrize("steps", [7, 8])
def test_slq_cdf_of_a_symmetric_spectrum(steps):
    """diag(lambda) with a spectrum symmetric about 0 and a Rademacher probe: every probe sees
    the uniform measure on the eigenvalues exactly (u_i^2 = 1/n), so the Gauss rule is
    symmetric and the interpolated CDF satisfies F(-x) + F(x) = 1 (x not a node) and F(0) = 1/2
    to rounding.  A CDF interpolated through S_i (cum[1:]) or S_{i-1} instead of the node
    midpoints S_{i-1} + tau_i/2 is off by half a node weight (~ 1/(2 steps))."""
    lam = np.linspace(0.1, 2.0, 30) ** 1.3
    d = np.concatenate([-lam, lam])
    A = np.diag(d)
    x = np.linspace(0.013, 2.4, 37)
    grid = np.concatenate([-x[::-1], x])
    r = spectrum(A, method="slq", probes=3, steps=steps, x=grid, at=0.0, rng=1)
    assert r["index"] == pytest.approx(0.5, abs=1e-12)
    assert np.allclose(r["cdf"] + r["cdf"][::-1], 1.0, atol=1e-12)
    # the interpolation points themselves: at a node theta_i the CDF is S_{i-1} + tau_i/2
    nodes, weights = _gauss_rule(d, np.full(d.size, 1 / d.size), steps)
    S = np.concatenate([[0.0], np.cumsum(weights)])
    # (inner nodes: F jumps from 0 to tau_1/2 at the first, from 1 - tau_k/2 to 1 at the last)
    at_nodes = spectrum(A, method="slq", probes=2, steps=steps, x=nodes[1:-1], rng=2)["cdf"]
    assert np.allclose(at_nodes, (S[:-1] + weights / 2)[1:-1], atol=1e-10)


def test_slq_bias_bound_is_the_chebyshev_markov_stieltjes_bracket():
    """index_bias_bound at 'at' = max(F - S_{j-1}, S_{j+1} - F) (module notes), from an
    independent Gauss rule of the (deterministic) probe measure of diag(d): not larger (a bound
    inflated by a constant passes every |est - exact| <= 4 se + bound test), not smaller."""
    d = np.sort(np.random.default_rng(3).uniform(-1, 2, 50))
    A = np.diag(d)
    for at in (-0.4, 0.0, 0.77, 1.5):
        r = spectrum(A, method="slq", probes=2, steps=9, at=at, x=np.array([at]), rng=0)
        nodes, weights = _gauss_rule(d, np.full(50, 1 / 50), 9)
        S = np.concatenate([[0.0], np.cumsum(weights)])
        F = np.interp(at, nodes, S[:-1] + weights / 2, left=0.0, right=1.0)
        j = int(np.searchsorted(nodes, at))
        bound = max(F - S[max(j - 1, 0)], S[min(j + 1, nodes.size)] - F)
        assert r["index"] == pytest.approx(F, abs=1e-10)
        assert r["index_bias_bound"] == pytest.approx(bound, abs=1e-10)
        assert r["cdf_bias_bound"][0] == pytest.approx(bound, abs=1e-10)
        # the exact CDF lies in the bracket (Chebyshev-Markov-Stieltjes)
        assert abs(np.mean(d < at) - F) <= bound + 1e-12


def test_slq_bias_bound_is_a_mean_over_probes_and_stderr_uses_ddof_1():
    """index_bias_bound and cdf_bias_bound average the per-probe bracket (module notes): one
    call with 40 probes agrees with the average of 40 one-probe calls within 4.5 standard
    errors of that comparison (a maximum over the probes sits ~2 sd of a single bound above
    the mean: 9 of those standard errors).  The standard errors are the sample sd (ddof 1) of
    the per-probe values over sqrt(probes), as documented (Hutchinson 1990)."""
    g = np.random.default_rng(0)
    lam = np.sort(g.uniform(-1, 2, 80))
    Q, _ = np.linalg.qr(g.standard_normal((80, 80)))
    A = (Q * lam) @ Q.T
    x = np.array([0.3])
    one = [spectrum(A, probes=1, steps=10, at=0.3, x=x, rng=s) for s in range(40)]
    b1 = np.array([r["index_bias_bound"] for r in one])
    assert np.allclose(b1, [r["cdf_bias_bound"][0] for r in one], atol=1e-15)
    many = spectrum(A, probes=40, steps=10, at=0.3, x=x, rng=1000)
    tol = 4.5 * b1.std(ddof=1) * math.sqrt(2 / 40)
    assert abs(many["index_bias_bound"] - b1.mean()) <= tol
    assert abs(many["cdf_bias_bound"][0] - b1.mean()) <= tol
    for method in ("slq", "kpm"):
        r = spectrum(A, method=method, probes=5, steps=10, degree=30, at=0.3, x=x, rng=7)
        per = r["per_probe"]
        assert r["index_stderr"] == pytest.approx(np.std(per["index"], ddof=1) / math.sqrt(5),
                                                  rel=1e-12)
        assert np.allclose(r["cdf_stderr"], per["cdf"].std(axis=0, ddof=1) / math.sqrt(5),
                           rtol=1e-12)


def test_kpm_bias_bound_is_the_half_degree_difference_over_2_to_1p5_minus_1():
    """KPM's index_bias_bound = |alpha_{N/2} - alpha_N| / (2^{3/2} - 1) (module notes),
    alpha_{N/2} from the same moments truncated at N/2: a second public call with
    degree = N/2 - 1 and the same seed draws the same bounds and probes."""
    g = np.random.default_rng(4)
    lam = np.sort(g.uniform(-1, 2, 120))
    Q, _ = np.linalg.qr(g.standard_normal((120, 120)))
    A = (Q * lam) @ Q.T
    for degree in (60, 81):
        N = degree + 1
        full = spectrum(A, method="kpm", probes=6, degree=degree, at=0.1, rng=9)
        half = spectrum(A, method="kpm", probes=6, degree=N // 2 - 1, at=0.1, rng=9)
        assert full["bounds"] == half["bounds"]
        expect = abs(half["index"] - full["index"]) / (2 ** 1.5 - 1)
        assert expect > 1e-6
        assert full["index_bias_bound"] == pytest.approx(expect, rel=1e-9)


# --------------------------------------------------------------------------- freeness reference
def test_freeness_reference_draws_are_at_the_matched_parameters():
    """The reference draws are the PB model at the point's matched (c, phi, eps) (H1' =
    c GOE(2 eps)): the parameters matched on each draw estimate the point's own.  For
    n = 100 the eigenvalue variance of a GOE (or Wishart) matrix has relative sd ~ 2/n, so
    5 % (2.5 sd) is a safe bound; H1' of variance eps instead of 2 eps gives eps/2."""
    from rmtland.sampling.ensembles import sample_goe, sample_wishart
    n = 100
    H0 = 3.0 * sample_wishart(n, 4 * n, rng=1)[0]        # c = 3, phi = 1/4
    H1 = 3.0 * sample_goe(n, var=0.4, rng=2)[0]          # eps = 0.4 / 2 = 0.2
    r = cn.freeness_test(H0, H1, rng=3, rotations=1, grid=257, reference=True,
                         reference_samples=3)
    ref = r["reference"]["matched"]
    assert r["c"] == pytest.approx(3.0, rel=0.05) and r["eps"] == pytest.approx(0.2, rel=0.1)
    for key in ("c", "phi", "eps"):
        assert len(ref[key]) == 3
        assert np.mean(ref[key]) == pytest.approx(r[key], rel=0.05), (key, ref[key], r[key])


# --------------------------------------------------------------------------- mp_bulk
@pytest.mark.parametrize("c, phi", [(25.0, 0.25), (0.02, 0.5)])
def test_mp_bulk_scale_far_from_one(c, phi):
    """c * Wishart(n, n/phi) (DESIGN: mean 1, variance phi): mp_bulk matches mean c and
    phi = var/c^2 (not var/c: equal only at c = 1), the edge c(1 + sqrt(phi))^2, no outliers
    beyond the edge fluctuation, and the bulk / c is close to MP(phi) in KS."""
    from rmtland.sampling.ensembles import wishart_eigenvalues
    n = 400
    e = c * np.asarray(wishart_eigenvalues(n, int(n / phi), rng=5)).ravel()
    r = ct.mp_bulk(e)
    assert r["c"] == pytest.approx(c, rel=0.02)
    assert r["phi"] == pytest.approx(phi, rel=0.1)
    assert r["bulk_edge"] == pytest.approx(c * (1 + math.sqrt(phi)) ** 2, rel=0.05)
    assert r["outliers"] <= 3 and r["ks_bulk"] < 0.05


def test_hessian_bulk_matches_eps_at_a_scale_far_from_one():
    """H0 = c Wishart(phi), H1 = c GOE(2 eps) with c = 25: hessian_bulk matches c, phi and
    eps = var(H1)/(2 c^2) (relative sd of an eigenvalue variance ~ 2/n = 1 % at n = 200)."""
    from rmtland.sampling.ensembles import sample_goe, sample_wishart
    n, c = 200, 25.0
    H0 = c * sample_wishart(n, 2 * n, rng=1)[0]
    H1 = c * sample_goe(n, var=0.2, rng=2)[0]
    r = ct.hessian_bulk(np.linalg.eigvalsh(H0 + H1), np.linalg.eigvalsh(H0),
                        np.linalg.eigvalsh(H1))
    assert r["c"] == pytest.approx(c, rel=0.05) and r["phi"] == pytest.approx(0.5, rel=0.1)
    assert r["eps"] == pytest.approx(0.1, rel=0.1)


# --------------------------------------------------------------------------- seeds
def test_child_seeds_of_nested_sequences():
    """_seeds.child(ss, i) equals ss.spawn(i + 1)[i] on a fresh copy (its docstring) for a
    nested ss as well, so grandchildren never coincide with children."""
    from rmtland import _seeds
    root = np.random.SeedSequence(123)
    nested = np.random.SeedSequence(123, spawn_key=(2,))
    for ss in (root, nested):
        for i in (0, 3):
            fresh = np.random.SeedSequence(ss.entropy, spawn_key=ss.spawn_key)
            assert np.array_equal(_seeds.child(ss, i).generate_state(4),
                                  fresh.spawn(i + 1)[i].generate_state(4))
    states = {tuple(_seeds.child(s, i).generate_state(2)) for s in
              (root, _seeds.child(root, 0), _seeds.child(root, 1)) for i in range(3)}
    assert len(states) == 9


# --------------------------------------------------------------------------- SGD schedule
def test_sgd_step_size_schedule_per_epoch():
    """Plain full-batch SGD (momentum 0, batch = m, a plateau rule that never fires) for 4
    epochs with decay_epochs = 2: the parameters equal those of gradient descent with the
    step lr / (1 + (e - 1)/tau) at epoch e = 1, 2, ... (lr is the initial step: epochs 1..4 use
    lr, lr/1.5, lr/2, lr/2.5), computed here from the model's gradient."""
    from rmtland.networks import MLP
    from rmtland.networks.train import train_sgd
    model = MLP([3, 5, 2], activation="tanh")
    theta0 = model.init(2, rng=0)
    g = np.random.default_rng(1)
    X, Y = g.standard_normal((16, 3)), g.standard_normal((16, 2))
    lr, tau = 0.3, 2.0
    out = train_sgd(model, theta0, X, Y, lr=lr, momentum=0.0, batch_size=16, max_epochs=4,
                    patience=10, tol=0.0, decay_epochs=tau, rng=2)
    th = np.array(theta0, dtype=float)
    losses = [model.loss(th, X, Y)]
    for e in range(1, 5):
        th = th - lr / (1 + (e - 1) / tau) * model.gradient(th, X, Y)
        losses.append(model.loss(th, X, Y))
    assert np.allclose(out["theta"], th, rtol=1e-10, atol=1e-12)
    assert np.allclose(out["history"], np.array(losses), rtol=1e-10)
    assert list(out["epochs"]) == [4, 4]
    # without decay the step stays lr
    const = train_sgd(model, theta0, X, Y, lr=lr, momentum=0.0, batch_size=16, max_epochs=2,
                      patience=10, tol=0.0, rng=2)
    th = np.array(theta0, dtype=float)
    for _ in range(2):
        th = th - lr * model.gradient(th, X, Y)
    assert np.allclose(const["theta"], th, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- distances
def test_ks_distance_matches_scipy_on_one_sided_samples():
    """ks_distance against scipy.stats.kstest (an independent implementation) for the
    semicircle of variance 1/4 (support [-1, 1]: scipy's ``semicircular``), on samples whose
    supremum is attained from the left of a point (shifted up) or from the right (down): a
    distance that forgets F_N(x-) or F_N(x) fails one of the two."""
    from scipy.stats import kstest, semicircular
    from rmtland.analytic import Semicircle
    from rmtland.compare.metrics import ks_distance
    law = Semicircle(0.25)
    g = np.random.default_rng(8)
    for shift in (0.3, -0.3, 0.0):
        x = np.clip(semicircular.rvs(size=50, random_state=g) + shift, -0.999, 0.999)
        exact = kstest(x, semicircular.cdf).statistic
        assert ks_distance(x[None], law) == pytest.approx(exact, abs=1e-12), shift


def test_index_counts_strictly_negative_eigenvalues():
    """The index is P(lambda < 0), strictly (DESIGN.md): a rank-deficient H0 alone (phi = 2,
    eps = 0: half its eigenvalues are zeros, snapped to exactly 0) has index 0, like the
    theory (MP's atom sits at 0, not below it)."""
    from rmtland.compare.hessian import compare_hessian
    from rmtland.compare.metrics import index_estimate
    from rmtland.sampling import sample_hessian
    assert index_estimate(np.array([[-1.0, 0.0, 0.0, 2.0]]))[0] == 0.25
    eigs = np.linalg.eigvalsh(sample_hessian(40, 2.0, 0.0, batch=3, rng=4))
    r = compare_hessian(eigs, 2.0, 0.0, 40)
    assert r["empirical_index"] == 0.0 and r["theory_index"] == 0.0


# --------------------------------------------------------------------------- R-transforms
@pytest.mark.parametrize("name", ["pb", "mp", "sc"])
def test_r_transform_inverts_the_stieltjes_transform(name):
    """DESIGN.md's definition G(R(g) + 1/g) = g, with G from each law's own Stieltjes transform
    (the cubic's physical root for Pennington-Bahri), for small real g (z = R(g) + 1/g far
    outside the support); and R_PB = R_MP(phi) + R_SC(2 eps) (free sum, sigma^2 = 2 eps)."""
    from rmtland.analytic import MarchenkoPastur, PenningtonBahri, Semicircle
    law = {"pb": PenningtonBahri(0.5, 0.15), "mp": MarchenkoPastur(0.5),
           "sc": Semicircle(0.3)}[name]
    g = np.array([-0.08, -0.03, 0.02, 0.05, 0.1])
    z = law.r_transform(g) + 1 / g
    assert np.allclose(np.asarray(law.stieltjes(z + 0j)).real, g, rtol=1e-9, atol=1e-12)
    if name == "pb":
        assert np.allclose(law.r_transform(g), MarchenkoPastur(0.5).r_transform(g)
                           + Semicircle(0.3).r_transform(g), rtol=1e-14)


@pytest.mark.parametrize("method", ["kpm", "slq"])
def test_density_is_the_derivative_of_the_cdf(method):
    """The density and the CDF come from the same moments (KPM: Weisse et al. 2006, Eqs. (71),
    (78), the CDF is the integral of the damped density series) or the same Gauss rule (SLQ:
    the density Gaussian-smoothed, the CDF interpolated): the trapezoid integral of the
    density equals the CDF's increase, KPM to the trapezoid error of a 4001-point grid
    (measured 2e-7; bound 1e-4), SLQ to the difference of smoothing and interpolation, about
    a node weight (1/30; measured 0.013, bound 0.05).  The total mass being 1 (tested
    elsewhere) does not see the series' higher terms, which integrate to 0."""
    g = np.random.default_rng(6)
    lam = np.sort(g.uniform(-1, 2, 150))
    Q, _ = np.linalg.qr(g.standard_normal((150, 150)))
    A = (Q * lam) @ Q.T
    x = np.linspace(-0.6, 1.6, 4001)
    r = spectrum(A, method=method, probes=4, steps=30, degree=80, x=x, rng=1)
    cum = np.concatenate([[0.0], np.cumsum((r["density"][1:] + r["density"][:-1]) / 2
                                           * np.diff(x))])
    tol = 1e-4 if method == "kpm" else 0.05
    assert np.max(np.abs(cum - (r["cdf"] - r["cdf"][0]))) <= tol


# --------------------------------------------------------------------------- exactness
def test_slq_is_exact_after_a_lanczos_breakdown():
    """diag with 3 distinct eigenvalues (multiplicities 10, 25, 15): Lanczos breaks down after
    3 steps, and the 3-node Gauss rule of a Rademacher probe's measure is that measure (nodes
    -1, 0.5, 2; weights 0.2, 0.5, 0.3 exactly) for any steps >= 3, so the interpolated CDF
    through the node midpoints (-1, 0.1), (0.5, 0.45), (2, 0.85) (0 below the first node, 1
    above the last), the bracket [S_{j-1}, S_{j+1}] and the extremes (residual 0) are known
    exactly.  A rule cut one node short at the breakdown is not."""
    d = np.repeat([-1.0, 0.5, 2.0], [10, 25, 15])
    x = np.array([-2.0, 0.0, 1.0, 3.0])
    for steps in (3, 8):
        r = spectrum(np.diag(d), method="slq", probes=4, steps=steps, x=x, at=0.0, rng=3)
        assert r["index"] == pytest.approx(0.1 + 0.35 / 1.5, abs=1e-12)
        assert r["index_bias_bound"] == pytest.approx(0.7 - (0.1 + 0.35 / 1.5), abs=1e-12)
        assert np.allclose(r["cdf"], [0.0, 0.1 + 0.35 / 1.5, 0.45 + 0.4 / 3, 1.0], atol=1e-12)
        assert r["lambda_min"] == pytest.approx(-1.0, abs=1e-12)
        assert r["lambda_max"] == pytest.approx(2.0, abs=1e-12)
        assert r["lambda_min_residual"] <= 1e-12 and r["lambda_max_residual"] <= 1e-12


def test_kpm_probes_have_unit_norm():
    """KPM's per-probe CDF above the spectrum is g_0 mu_0 = |u|^2: 1 for unit probes (module
    notes), Gaussian or Rademacher; a probe scaled by 1/sqrt(n) instead of its norm is not."""
    g = np.random.default_rng(2)
    A = np.diag(g.uniform(-1, 1, 60))
    for probe in ("gaussian", "rademacher"):
        r = spectrum(A, method="kpm", probe=probe, probes=6, degree=20, x=np.array([1.5]),
                     rng=1)
        assert np.allclose(r["per_probe"]["cdf"][:, 0], 1.0, atol=1e-12)


def test_jackson_factors_are_the_autocorrelation_of_the_optimal_window():
    """Weisse et al., Rev. Mod. Phys. 78, 275 (2006), Sec. II.C.3: the Jackson kernel is the
    square of a polynomial whose coefficients a_j = sin(pi (j+1)/(N+1)), j = 0..N-1, minimise
    its width, so g_k = sum_j a_j a_{j+k} / sum_j a_j^2 (an independent route to Eq. (71))."""
    from rmtland.linalg.spectral import jackson
    for N in (2, 7, 40, 401):
        a = np.sin(np.pi * (np.arange(N) + 1) / (N + 1))
        g = np.array([np.sum(a[:N - k] * a[k:]) for k in range(N)]) / np.sum(a * a)
        assert np.allclose(jackson(N), g, rtol=0, atol=1e-13)


@pytest.mark.parametrize("side", ["bottom", "top"])
def test_each_extreme_has_its_own_residual(side):
    """Lanczos from 6 steps: an isolated extreme eigenvalue converges (tiny residual) while
    the other end, in a dense cluster, does not; each reported residual must bound the
    distance of its own Ritz value to the true eigenvalue (Parlett, Thm. 4.5.1), which a
    residual taken from the other end (tiny) would not."""
    from rmtland.linalg.spectral import lanczos_extremes
    d = np.linspace(-1, 1, 200)
    d[0 if side == "bottom" else -1] = -20.0 if side == "bottom" else 20.0
    g = np.random.default_rng(5)
    Q, _ = np.linalg.qr(g.standard_normal((200, 200)))
    A = (Q * d) @ Q.T
    r = lanczos_extremes(A, steps=6, probes=1, rng=1)
    lo_err, hi_err = abs(r["lambda_min"] - d.min()), abs(r["lambda_max"] - d.max())
    assert lo_err <= r["lambda_min_residual"] + 1e-12
    assert hi_err <= r["lambda_max_residual"] + 1e-12
    loose = hi_err if side == "bottom" else lo_err          # the unconverged end
    tight = r["lambda_min_residual"] if side == "bottom" else r["lambda_max_residual"]
    assert loose > 10 * tight                              # the test can tell them apart
