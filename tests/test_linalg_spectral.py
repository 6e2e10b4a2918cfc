"""Matrix-free estimators (rmtland.linalg.spectral) against dense eigvalsh: index and CDF within
4 standard errors (over probes) plus the stated quadrature/smoothing bias bound; Lanczos
extremes within their residual bound; KPM moments against exact traces; dtypes and backends;
bad input."""
import numpy as np
import pytest

from rmtland._validate import InputError
from rmtland.linalg.operators import as_operator, dense_operator
from rmtland.linalg.spectral import (jackson, kpm_moments, lanczos_extremes, spectral_bounds,
                                     spectrum)
from rmtland.networks import MLP
from rmtland.networks.operators import hessian_operator as network_operator
from rmtland.sampling.hessian import hessian_operator


@pytest.fixture(scope="module")
def pb():
    """A Pennington-Bahri matrix (phi = 0.5, eps = 0.1, theory index 0.1136) and its spectrum."""
    H = hessian_operator(600, 0.5, 0.1, rng=7, wigner="dense").matvec(np.eye(600))
    return H, np.linalg.eigvalsh(H)


@pytest.mark.parametrize("method", ["slq", "kpm"])
@pytest.mark.parametrize("probe", ["rademacher", "gaussian"])
def test_index_and_cdf_match_eigvalsh(pb, method, probe):
    """|estimate - exact| <= 4 stderr + bias bound: the index at 0 and at 1.5 (bulk), and the
    CDF at every grid point (KPM: its index bias bound is at 'at' only, so the CDF gets 4
    stderr + 2/degree, the Jackson kernel width pi/degree over the spectral width ~4)."""
    H, ev = pb
    for at in (0.0, 1.5):
        r = spectrum(H, method=method, probe=probe, probes=24, steps=60, degree=160, at=at,
                     rng=3)
        exact = np.mean(ev < at)
        assert abs(r["index"] - exact) <= 4 * r["index_stderr"] + r["index_bias_bound"]
        assert r["matvecs"] == 24 * 60 if method == "slq" else r["matvecs"] >= 24 * 80
    F = np.searchsorted(ev, r["x"]) / ev.size
    extra = r["cdf_bias_bound"] if method == "slq" else 2 / 160
    assert np.all(np.abs(r["cdf"] - F) <= 4 * r["cdf_stderr"] + extra + 1 / ev.size)
    # the density integrates to the CDF's increase (the trapezoid rule on the grid)
    mass = np.trapezoid(r["density"], r["x"])
    assert abs(mass - 1) <= 0.02


def test_slq_bias_bound_is_a_bound_for_each_probe(pb):
    """The Chebyshev-Markov-Stieltjes bracket holds probe by probe: with one probe the error
    against that probe's own weighted measure sum_i (q_i.u)^2 [lambda_i < x] is at most the
    bound (deterministic, no statistics)."""
    H, ev = pb
    w, Q = np.linalg.eigh(H)
    from rmtland.linalg.spectral import unit_probes, gauss_quadrature, lanczos, _slq_cdf
    from rmtland._seeds import generator
    op = dense_operator(H)
    u = unit_probes(generator(5), op, 3, "gaussian")
    a, b, L = lanczos(op, u, 12)
    nodes, weights, _ = gauss_quadrature(a, b, L)
    x = np.linspace(w[0] - 0.1, w[-1] + 0.1, 301)
    F, bound = _slq_cdf(nodes, weights, x)
    mu = (Q.T @ u) ** 2                                   # (n, 3) weights of each eigenvalue
    exact = np.stack([[mu[w < t, c].sum() for t in x] for c in range(3)])
    assert np.all(np.abs(F - exact) <= bound + 1e-12)


def test_lanczos_extremes_within_residual_bound(pb):
    H, ev = pb
    r = lanczos_extremes(H, steps=80, probes=2, rng=1)
    assert abs(r["lambda_min"] - ev[0]) <= r["lambda_min_residual"] + 1e-10
    assert abs(r["lambda_max"] - ev[-1]) <= r["lambda_max_residual"] + 1e-10
    assert r["lambda_min"] >= ev[0] - 1e-10 and r["lambda_max"] <= ev[-1] + 1e-10   # interlacing
    (lo, hi), _ = spectral_bounds(H, steps=80, rng=2)
    assert lo <= ev[0] and hi >= ev[-1]


def test_kpm_moments_match_exact_traces(pb):
    """mu_k = u^T T_k(A~) u estimates tr T_k(A~)/n, computed from the eigenvalues; within 4
    standard errors over 40 probes, k = 0..30.  mu_0 = 1 exactly (unit probes)."""
    H, ev = pb
    lo, hi = ev[0] - 0.1, ev[-1] + 0.1
    c, h = (lo + hi) / 2, (hi - lo) / 2
    rng = np.random.default_rng(2)
    u = rng.choice([-1.0, 1.0], size=(600, 40)) / np.sqrt(600)
    mu = kpm_moments(dense_operator(H), 30, u, (lo, hi))
    exact = np.cos(np.outer(np.arange(31), np.arccos((ev - c) / h))).mean(axis=1)
    se = mu.std(axis=0, ddof=1) / np.sqrt(40)
    assert np.allclose(mu[:, 0], 1.0, atol=1e-13)
    assert np.all(np.abs(mu.mean(0)[1:] - exact[1:]) <= 4 * se[1:] + 1e-12)
    # outside [-1, 1] the moments leave [-1, 1]: the safety check of spectrum() can fail
    assert np.max(np.abs(kpm_moments(dense_operator(H), 30, u, (lo + 0.5, hi)))) > 1.01
    g = jackson(50)
    assert g[0] == pytest.approx(1.0, abs=1e-14) and np.all(np.diff(g) < 0)


def test_float32_stays_float32():
    """Every product the estimators ask of a float32 operator is float32 (a callable records
    the dtypes), and the results are still right (index of diag(-1, ..., +1) = 1/2 exactly)."""
    seen = set()
    d = np.concatenate([-np.ones(50), np.ones(50)]).astype(np.float32)

    def f(V):
        seen.add(V.dtype)
        return d[:, None] * V
    for method in ("slq", "kpm"):
        r = spectrum(f, n=100, dtype="float32", method=method, probes=4, steps=5, degree=20,
                     rng=0)
        assert abs(r["index"] - 0.5) <= 4 * r["index_stderr"] + r["index_bias_bound"] + 1e-6
    assert seen == {np.dtype(np.float32)}


def test_backends(xp):
    """The same call on NumPy, the CuPy double (no host leak: the fixture checks) and CuPy."""
    rng = np.random.default_rng(0)
    lam = np.sort(rng.uniform(-1, 2, 300))
    Q, _ = np.linalg.qr(rng.standard_normal((300, 300)))
    A = xp.asarray((Q * lam) @ Q.T)
    for method in ("slq", "kpm"):
        r = spectrum(A, method=method, probes=16, steps=40, degree=80, tau=0.5, rng=1)
        assert abs(r["index"] - np.mean(lam < 0)) <= 4 * r["index_stderr"] + r["index_bias_bound"]
        assert isinstance(r["x"], np.ndarray) and isinstance(r["index"], float)
        assert abs(r["trace"] - lam.sum()) <= 4 * r["trace_stderr"]
        c = r["counts"]["below"]
        assert abs(c["fraction"] - np.mean(lam < -0.5)) <= 4 * c["stderr"] + c["bias_bound"]


def test_network_hessian(xp):
    """The same entry on a network Hessian operator (hvp), against eigvalsh of the dense
    Hessian of the same network."""
    model = MLP([6, 10, 2], activation="tanh")
    theta = model.init(1, rng=0, device="cpu")
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((30, 6)), rng.standard_normal((30, 2))
    ev = np.linalg.eigvalsh(model.hessian(theta, X, Y)[0])
    op = network_operator(model, xp.asarray(theta[0]), xp.asarray(X), xp.asarray(Y))
    r = spectrum(op, probes=16, steps=40, rng=2)
    assert abs(r["index"] - np.mean(ev < 0)) <= 4 * r["index_stderr"] + r["index_bias_bound"]
    assert abs(r["lambda_min"] - ev[0]) <= r["lambda_min_residual"] + 1e-8
    with pytest.raises(InputError, match="theta"):
        network_operator(model, np.zeros((2, model.n_params)), X, Y)


@pytest.mark.parametrize("kwargs, name", [
    ({"probes": 0}, "probes"), ({"degree": 1, "method": "kpm"}, "degree"), ({"steps": 0}, "steps"),
    ({"probe": "sobol"}, "probe"), ({"method": "exact"}, "method"), ({"block": 0}, "block"),
    ({"bandwidth": -1.0}, "bandwidth"), ({"at": float("nan")}, "at"),
    ({"x": [0.0, np.inf]}, "x"), ({"tau": -0.1}, "tau"), ({"tau": float("nan")}, "tau")])
def test_bad_input(kwargs, name):
    calls = []
    with pytest.raises(InputError, match=name):
        spectrum(lambda V: calls.append(1) or V, n=10, **kwargs)
    assert calls == []                                     # refused before any product


def test_bad_callable_output():
    for f in (lambda V: V[:-1], lambda V: V * np.inf):
        with pytest.raises(InputError, match="op"):
            spectrum(as_operator(f, n=10), probes=2, steps=3)


@pytest.mark.slow
def test_pb_n4096_against_eigvalsh():
    """The issue's check at n = 4096: SLQ and KPM index and CDF against dense eigvalsh."""
    op = hessian_operator(4096, 0.5, 0.1, rng=11, wigner="dense")
    ev = np.linalg.eigvalsh(op.matvec(np.eye(4096)))
    for method in ("slq", "kpm"):
        r = spectrum(op, method=method, probes=32, steps=80, degree=200, rng=12)
        assert abs(r["index"] - np.mean(ev < 0)) <= 4 * r["index_stderr"] + r["index_bias_bound"]
        F = np.searchsorted(ev, r["x"]) / ev.size
        extra = r["cdf_bias_bound"] if method == "slq" else 2 / 200
        assert np.all(np.abs(r["cdf"] - F) <= 4 * r["cdf_stderr"] + extra + 1 / 4096)


@pytest.mark.parametrize("method", ["slq", "kpm"])
def test_simulate_hessian_matrix_free(method, tmp_path):
    """`simulate hessian --method slq|kpm`: result.json gains method, matvecs, index_stderr;
    the index is within 4 standard errors + the bias bound + the O(1/n) finite-size allowance
    of one eigenvalue per matrix (as the dense test) of the theory."""
    import json
    from rmtland.cli import main
    rc = main(["simulate", "hessian", "--phi", "0.5", "--eps", "0.1", "--n", "400",
               "--samples", "2", "--method", method, "--probes", "12", "--steps", "40",
               "--degree", "80", "--out", str(tmp_path), "--no-progress"])
    assert rc == 0
    res = json.loads((tmp_path / "result.json").read_text())
    assert res["method"] == method and res["matvecs"] >= 2 * 12 * 40
    assert abs(res["empirical_index"] - res["theory_index"]) <= (
        4 * res["index_stderr"] + res["index_bias_bound"] + 1 / 400)
    assert res["ks_distance"] <= 4 * res["ks_stderr"] + 0.05


def test_cli_estimator_options_are_validated(tmp_path, capsys):
    from rmtland.cli import main
    for opt, val in (("--probes", "0"), ("--steps", "0"), ("--degree", "1"), ("--method", "x")):
        with pytest.raises(SystemExit) as exc:          # argparse: exit 2, one line
            main(["simulate", "hessian", "--phi", "0.5", "--eps", "0.1", "--n", "50",
                  "--samples", "2", opt, val, "--out", str(tmp_path / "o")])
        assert exc.value.code == 2
        assert opt.strip("-") in capsys.readouterr().err


def test_lanczos_steps_are_clipped_to_n():
    """Lanczos on an n x n operator ends by step n (Krylov space of dimension <= n), so
    steps=10**6 on a 60 x 60 matrix runs 60 steps (it used to ask for 14.6 TiB), says so,
    and its Ritz values are then the eigenvalues: the extremes match eigvalsh."""
    from rmtland.sampling import sample_goe
    S = sample_goe(60, rng=3)[0]
    ev = np.linalg.eigvalsh(S)
    r = spectrum(S, steps=10**6, probes=2, rng=0)
    assert (r["steps"], r["steps_requested"], r["matvecs"]) == (60, 10**6, 120)
    assert abs(r["lambda_min"] - ev[0]) < 1e-8 and abs(r["lambda_max"] - ev[-1]) < 1e-8
    # the recurrence itself clips too (callers other than spectrum): n coefficients, and the
    # extreme nodes of the n-node Gauss rule are the extreme eigenvalues (without
    # reorthogonalisation the inner nodes carry rounding ghosts: not compared)
    from rmtland.linalg.spectral import gauss_quadrature, lanczos
    alpha, beta, length = lanczos(dense_operator(S), np.ones((60, 1)), 10**6)
    assert alpha.shape == (1, 60) and beta.shape == (1, 60) and length[0] == 60
    nodes = gauss_quadrature(alpha, beta)[0][0]
    assert abs(nodes.min() - ev[0]) < 1e-8 and abs(nodes.max() - ev[-1]) < 1e-8


@pytest.mark.parametrize("kwargs, name", [
    ({"probes": 10**8}, r"probes=100000000 .* probes must be in \[1, "),
    ({"method": "kpm", "degree": 10**8}, r"degree=100000000 .* degree must be in \[2, "),
    ({"method": "kpm", "probes": 10**8}, r"probes=100000000 .* probes must be in \[1, "),
    ({"points": 10**9}, "points"),
    ({"block": 10**7, "probes": 10**7}, r"block|probes")])
def test_sizes_beyond_memory_are_refused_before_any_product(kwargs, name):
    calls = []
    with pytest.raises(InputError, match=name):
        spectrum(lambda V: calls.append(1) or V, n=60, **kwargs)
    assert calls == []


# --------------------------------------------------------------------------- trace and counts

def _planted(n, zeros, seed):
    """Q diag(lam) Q^T with ``zeros`` exact zero eigenvalues (an over-parameterised H0's atom)
    and the rest uniform on [-0.5, 2]; returns the matrix and lam."""
    rng = np.random.default_rng(seed)
    lam = np.concatenate([np.zeros(zeros), rng.uniform(-0.5, 2.0, n - zeros)])
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (Q * lam) @ Q.T
    return (A + A.T) / 2, lam


def _exact_counts(lam, tau):
    return {"below": np.mean(lam < -tau), "near_zero": np.mean((lam >= -tau) & (lam < tau)),
            "above": np.mean(lam >= tau)}


def test_trace_stderr_calibrated_and_matches_the_rademacher_variance():
    """Hutchinson trace over 60 seeds: the spread around tr A matches the reported standard
    error, and matches the exact Rademacher variance 2(||A||_F^2 - sum A_ii^2)/probes
    (Hutchinson 1990), an independent value; Gaussian probes and KPM: calibrated."""
    from _calibration import assert_calibrated
    A, lam = _planted(200, 80, 1)
    exact_se = np.sqrt(2 * (np.sum(A * A) - np.sum(np.diag(A) ** 2)) / 8)
    for probe in ("rademacher", "gaussian"):
        runs = [spectrum(A, probes=8, steps=2, probe=probe, rng=s) for s in range(60)]
        est = [r["trace"] for r in runs]
        assert_calibrated(est, [r["trace_stderr"] for r in runs], center=lam.sum(),
                          what=f"trace {probe}")
        if probe == "rademacher":
            assert_calibrated(est, np.full(60, exact_se), center=lam.sum(), what="trace exact")
    runs = [spectrum(A, method="kpm", probes=8, degree=4, rng=s) for s in range(30)]
    assert_calibrated([r["trace"] for r in runs], [r["trace_stderr"] for r in runs],
                      center=lam.sum(), what="trace kpm")


def test_counts_stderr_calibrated():
    """Counts below -tau, in [-tau, tau) and above tau over 24 seeds (SLQ and KPM): spread
    around their mean against the reported standard errors."""
    from _calibration import assert_calibrated
    A, lam = _planted(200, 80, 2)
    for method in ("slq", "kpm"):
        runs = [spectrum(A, method=method, probes=8, steps=20, degree=40, tau=0.1,
                         rng=s)["counts"] for s in range(24)]
        for part in ("below", "near_zero", "above"):
            assert_calibrated([c[part]["fraction"] for c in runs],
                              [c[part]["stderr"] for c in runs], what=f"{method} {part}")


def test_counts_with_a_large_atom_at_zero():
    """40 % exact zeros inside a bulk on [-0.5, 2]: the index at 0 splits the atom (its CMS
    bias bound is about half the atom), while the counts at +-tau are within 4 stderr + their
    bias bound of the exact ones; at tau = 0.1 with bias bounds below 0.03.  At tau = 0.05
    (60 steps) the bracket is wider, but the estimate counts the atom's node on its side:
    within 4 stderr of the exact counts (the interpolated CDF, 0.537 above tau against the
    exact 0.484, is 7 s.e. off).  Counts are n times the fractions."""
    A, lam = _planted(500, 200, 0)
    for tau in (0.1, 0.05):
        r = spectrum(A, probes=16, steps=60, tau=tau, rng=1)
        exact = _exact_counts(lam, tau)
        for part in ("below", "near_zero", "above"):
            c = r["counts"][part]
            err = abs(c["fraction"] - exact[part])
            assert err <= 4 * c["stderr"] + c["bias_bound"], (tau, part)
            assert c["count"] == pytest.approx(500 * c["fraction"])
            assert c["bias_bound"] < 0.03 if tau == 0.1 else err <= 4 * c["stderr"]
    assert r["index_bias_bound"] > 0.15                        # the split atom at x = 0
    r = spectrum(A, method="kpm", probes=16, degree=200, tau=0.05, rng=1)   # KPM: covered
    for part in ("below", "near_zero", "above"):
        c = r["counts"][part]
        assert abs(c["fraction"] - exact[part]) <= 4 * c["stderr"] + c["bias_bound"], part


def test_residual_bracket_holds_for_each_probe():
    """With the Ritz residuals the bracket is narrowed (module notes); it still holds probe by
    probe against each probe's own measure sum_i (q_i.u)^2 [lambda_i < x] (deterministic),
    on the atom matrix, at grid points and at +-tau, for short and long runs."""
    from rmtland.linalg.spectral import unit_probes, gauss_quadrature, lanczos, _slq_cdf
    from rmtland._seeds import generator
    A, lam = _planted(300, 120, 3)
    w, Q = np.linalg.eigh(A)
    op = dense_operator(A)
    x = np.concatenate([np.linspace(-0.6, 2.1, 100), [-0.1, -0.05, -1e-9, 1e-9, 0.05, 0.1]])
    u = unit_probes(generator(5), op, 4, "rademacher")
    mu = (Q.T @ u) ** 2
    exact = np.stack([[mu[w < t, c].sum() for t in x] for c in range(4)])
    for steps in (15, 60, 150):
        nodes, weights, resid = gauss_quadrature(*lanczos(op, u, steps))
        F, bound = _slq_cdf(nodes, weights, x, resid)
        assert np.all(np.abs(F - exact) <= bound + 1e-12)


def test_trace_alone_is_exact_on_a_diagonal_with_rademacher_probes():
    """z^T D z = tr D for every +-1 vector z (an identity): steps=1 gives the trace with one
    product per probe and a zero standard error; every probe's single node is the same, and
    the density's bandwidth stays finite (no overflow)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = spectrum(np.diag(np.arange(10.0)), steps=1, probes=4, rng=0)
    assert r["trace"] == pytest.approx(45.0, abs=1e-12) and r["trace_stderr"] <= 1e-12
    assert r["matvecs"] == 4 and np.all(np.isfinite(r["density"]))


def test_count_bias_bounds_never_exceed_the_range_of_a_fraction():
    """A cluster of 80% of the eigenvalues within 1e-6 of 0 (not exact zeros) and few steps: the
    bracket of each count is wide, but a fraction lies in [0, 1], so a bias bound beyond
    max(f, 1 - f) says nothing; it is capped there (the digits CNN had bounds of 1.42)."""
    rng = np.random.default_rng(3)
    n = 400
    lam = np.concatenate([rng.uniform(-1e-6, 1e-6, 320), rng.uniform(-0.5, 2.0, 80)])
    r = spectrum(np.diag(lam), probes=8, steps=6, tau=1e-7, rng=1)
    for name in ("below", "near_zero", "above"):
        c = r["counts"][name]
        assert 0.0 <= c["bias_bound"] <= max(c["fraction"], 1 - c["fraction"]) + 1e-15
        assert c["count_bias_bound"] == pytest.approx(n * c["bias_bound"])


def test_near_zero_bias_bound_is_the_sum_of_the_two_cdf_bounds():
    """near_zero = F(tau) - F(-tau) (up to the node convention), so its quadrature bias is at
    most the bias of F at -tau plus that at tau: the bounds of ``below`` (at -tau) and
    ``above`` (at tau) added, when no bound is capped (a spread spectrum, many steps)."""
    rng = np.random.default_rng(7)
    lam = np.concatenate([np.zeros(60), rng.uniform(-1.0, 2.0, 240)])
    r = spectrum(np.diag(lam), probes=6, steps=40, tau=0.2, rng=3)
    c = r["counts"]
    for name in ("below", "near_zero", "above"):
        assert c[name]["bias_bound"] < max(c[name]["fraction"], 1 - c[name]["fraction"])
    assert c["near_zero"]["bias_bound"] == pytest.approx(
        c["below"]["bias_bound"] + c["above"]["bias_bound"], rel=1e-12)
