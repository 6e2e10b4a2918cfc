"""``rmtland spectrum --torch`` (rmtland.experiments.spectrum) end to end, against independent
references: the dense Hessian of the user's own loss by ``torch.func.hessian`` (divided by the
loss's reduction factor: MSELoss's mean is 2L, DESIGN.md "Networks"), the loss recomputed with
the user's loss object, phi = n/(km) counted from the model; identities (tr H = tr H0 + tr H1,
the counts add up to n, a layer's spectrum is that of the diagonal block); SLQ against the dense
spectrum within its reported error; the class-mean part B of H0 against B built from per-sample
Jacobians (torch.func.jacrev), and 0 <= B <= H0; the CLI contract; spectrum.npz read back by
``rmtland fit``; the example file's FUNCTION contract.

Without torch these tests skip, unless RMTLAND_CI is set (CI installs torch: then they fail).
"""
import json
import math
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from _calibration import assert_calibrated
from _numbers import numbers
from rmtland import cli
from rmtland._validate import InputError

if os.environ.get("RMTLAND_CI"):
    import torch as _ci_torch  # noqa: F401  (CI installs torch: a missing torch fails here)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "simulations" / "torch_models.py"
TINY = f"{EXAMPLE}:tiny_mlp"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)        # tiny models: threads only add contention on a shared CPU
    yield torch
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def sp(torch):
    from rmtland.experiments import spectrum
    return spectrum


@pytest.fixture(scope="module")
def example(torch):
    import importlib.util
    spec = importlib.util.spec_from_file_location("_torch_models_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dense_run(sp, tmp_path_factory):
    out = tmp_path_factory.mktemp("dense") / "run"
    cfg = sp.SpectrumConfig(target=TINY, parts=("H", "H0", "H1"), each_layer=True,
                            method="dense", top=4, fit="mp+semicircle", bootstrap=3)
    return out, sp.spectrum_torch(cfg, out=out)


def _reference_hessian(torch, example):
    """Dense Hessian of PB's L for the tiny example, from the user's loss by torch.func."""
    model, loss_fn, (X, Y) = example.tiny_mlp()
    names = [nm for nm, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    sizes = [p.numel() for _, p in model.named_parameters()]
    theta = torch.cat([p.detach().reshape(-1) for _, p in model.named_parameters()])

    def loss(th):
        ps = {nm: t.view(s) for nm, t, s in zip(names, torch.split(th, sizes), shapes)}
        return loss_fn(torch.func.functional_call(model, ps, (X,)), Y)
    H = torch.func.hessian(loss)(theta).numpy() / 2.0      # MSELoss (mean) = 2 L
    return H, float(loss(theta)) / 2.0, sizes, Y.shape


# ------------------------------------------------------------------ the runner

def test_runner_writes_every_file_atomically(dense_run):
    out, res = dense_run
    names = set(os.listdir(out)) - {".rmtland-run.json"}
    assert names == {"result.json", "spectrum.npz", "spectrum.png"}
    assert not [n for n in os.listdir(out) if n.startswith(".tmp-")]
    assert (out / "spectrum.png").read_bytes()[:8] == PNG_MAGIC
    on_disk = json.loads((out / "result.json").read_text(),
                         parse_constant=lambda c: pytest.fail(f"{c} in result.json"))
    assert on_disk["files"] == ["spectrum.png", "result.json", "spectrum.npz"]
    assert set(on_disk) >= {"target", "config", "model", "eps", "tau", "method", "parts",
                            "seconds", "versions"}
    values = list(numbers(on_disk))
    assert values and all(math.isfinite(v) for v in values)
    for part in ("H", "H0", "H1"):
        blocks = on_disk["parts"][part]
        assert set(blocks["layers"]) == {"0", "2"}
        for b in [blocks["all"], *blocks["layers"].values()]:
            assert set(b) >= {"n", "phi", "method", "index", "index_stderr", "counts", "trace",
                              "lambda_min", "lambda_min_residual", "lambda_max",
                              "lambda_max_residual", "top"}
            c = b["counts"]
            assert c["below"]["count"] + c["near_zero"]["count"] + c["above"]["count"] == b["n"]
    assert "fit" in on_disk["parts"]["H"]["all"]


def test_runner_numbers_match_an_independent_dense_hessian(torch, example, dense_run):
    """Eigenvalues, loss, phi, trace, top eigenvalues, index and layer blocks against the
    Hessian of the user's loss by torch.func.hessian (1e-12 relative: same math, another
    code path; observed ~1e-15)."""
    out, res = dense_run
    H, L, sizes, yshape = _reference_hessian(torch, example)
    w = np.linalg.eigvalsh(H)
    scale = np.max(np.abs(w))
    with np.load(out / "spectrum.npz") as z:
        got = z["eigenvalues"]
        np.testing.assert_allclose(z["H/all/eigenvalues"], got, rtol=0, atol=0)
        H0 = z["H0/all/eigenvalues"]
        H1 = z["H1/all/eigenvalues"]
        layer0 = z["H/0/eigenvalues"]
    np.testing.assert_allclose(got, w, atol=1e-12 * scale, rtol=0)
    m, k = yshape
    n = sum(sizes)
    assert res["model"]["n"] == n and res["model"]["k"] == k and res["model"]["m"] == m
    assert res["parts"]["H"]["all"]["phi"] == pytest.approx(n / (k * m), rel=1e-15)
    assert res["eps"] == pytest.approx(L, rel=1e-13)
    Hall = res["parts"]["H"]["all"]
    assert Hall["trace"] == pytest.approx(np.trace(H), rel=1e-12)
    assert Hall["index"] == np.mean(w < -1e-12 * scale)
    assert Hall["top"]["eigenvalues"] == pytest.approx(w[::-1][:4], rel=1e-12)
    assert max(Hall["top"]["residuals"]) <= 1e-12 * scale
    # tr H = tr H0 + tr H1, and H0 >= 0 (Gauss-Newton), to rounding
    assert np.sum(H0) + np.sum(H1) == pytest.approx(np.sum(w), abs=1e-12 * scale * n)
    assert H0.min() >= -1e-12 * scale
    # the first layer's block: 0.weight, 0.bias
    b = sizes[0] + sizes[1]
    np.testing.assert_allclose(layer0, np.linalg.eigvalsh(H[:b, :b]), atol=1e-12 * scale)
    # the fit used phi = n/(km) of the architecture
    f = Hall["fit"]
    assert f["params"]["phi"]["fixed"] and f["params"]["phi"]["value"] == Hall["phi"]


def test_slq_agrees_with_dense_within_its_error_bars(sp):
    """The SLQ index, trace and counts lie within 4 standard errors plus the quadrature bias
    bound of the dense (exact) numbers; lambda_max within its Lanczos residual (plus
    rounding); the top eigenpairs (thick-restart Lanczos) within their residuals."""
    base = sp.SpectrumConfig(target=TINY, parts=("H",), top=3, tau=0.01)
    dense = sp.spectrum_torch(replace(base, method="dense"))["parts"]["H"]["all"]
    slq = sp.spectrum_torch(replace(base, method="slq", probes=24, steps=25,
                                    seed=5))["parts"]["H"]["all"]
    assert slq["method"] == "slq" and slq["index_stderr"] > 0
    assert abs(slq["index"] - dense["index"]) <= 4 * slq["index_stderr"] + \
        slq["index_bias_bound"]
    assert abs(slq["trace"] - dense["trace"]) <= 4 * slq["trace_stderr"]
    for key in ("below", "near_zero", "above"):
        s, d = slq["counts"][key], dense["counts"][key]
        assert abs(s["fraction"] - d["fraction"]) <= 4 * s["stderr"] + s["bias_bound"] + 1e-12
    assert abs(slq["lambda_max"] - dense["lambda_max"]) <= slq["lambda_max_residual"] + 1e-12
    for got, want, r in zip(slq["top"]["eigenvalues"], dense["top"]["eigenvalues"],
                            slq["top"]["residuals"]):
        assert abs(got - want) <= r + 1e-12


def test_slq_npz_quadrature_estimates_the_dense_index(sp, tmp_path):
    """spectrum.npz of an SLQ run holds nodes and weights (probes, steps), each row's weights
    summing to 1 (probes of their own, module notes).  Each probe's Gauss step count below 0,
    S_j, is within max(w_j, w_{j+1}) of that probe's measure of (-inf, 0) (the
    Chebyshev-Markov-Stieltjes bracket, linalg/spectral.py notes), whose mean is the exact
    index: the mean of S_j lies within 4 s.e. plus the mean bracket of the dense index."""
    dense = sp.spectrum_torch(sp.SpectrumConfig(target=TINY, method="dense", top=0))
    cfg = sp.SpectrumConfig(target=TINY, method="slq", probes=12, steps=20, top=0)
    sp.spectrum_torch(cfg, out=tmp_path / "o")
    with np.load(tmp_path / "o" / "spectrum.npz") as z:
        X, W = z["nodes"], z["weights"]
    assert X.shape == W.shape == (12, 20) and np.all(np.isfinite(X))
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-12)
    S = np.sum(W * (X < 0), axis=1)
    j = np.sum(X < 0, axis=1)                                    # nodes sorted ascending
    rows = np.arange(12)                 # |S_j - mu_u(<0)| <= max(w_j, w_{j+1}) (CMS)
    bracket = np.maximum(np.where(j > 0, W[rows, np.maximum(j - 1, 0)], 0),
                         np.where(j < 20, W[rows, np.minimum(j, 19)], 0))
    err = abs(S.mean() - dense["parts"]["H"]["all"]["index"])
    assert err <= 4 * S.std(ddof=1) / math.sqrt(12) + bracket.mean()


# ------------------------------------------------------------------ class means

def _tiny_classifier(torch):
    torch.manual_seed(2)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(),
                                torch.nn.Linear(4, 3)).double()
    g = torch.Generator().manual_seed(3)
    X = torch.randn(30, 5, generator=g, dtype=torch.float64)
    return model, torch.nn.CrossEntropyLoss(), (X, torch.randint(0, 3, (30,), generator=g))


def test_class_mean_spikes_against_per_sample_jacobians(torch, sp):
    """B = (1/m) sum_{y,j} S_yj delta_yj delta_yj^T built here from per-sample Jacobians
    (jacrev) and softmax probabilities equals the function's D D^T (1e-12), and
    0 <= B <= H0 (H0 - B = W is a sum of squares)."""
    model, loss_fn, (X, Y) = _tiny_classifier(torch)
    res = sp.class_mean_spikes(model, loss_fn, (X, Y))
    names = [nm for nm, _ in model.named_parameters()]
    params = {nm: p.detach() for nm, p in model.named_parameters()}
    J = torch.func.jacrev(lambda p: torch.func.functional_call(model, p, (X,)))(params)
    J = torch.cat([J[nm].reshape(30, 3, -1) for nm in names], dim=2).numpy()   # (m, k, n)
    P = torch.softmax(model(X), 1).detach().numpy()
    m, k, n = J.shape
    B = np.zeros((n, n))
    for y in range(3):
        rows = np.flatnonzero(Y.numpy() == y)
        for j in range(k):
            a = np.einsum("io,ion->in", np.eye(k)[j][None] - P[rows], J[rows])   # a_ij
            s = P[rows, j]
            delta = (s[:, None] * a).sum(0) / s.sum()
            B += s.sum() / m * np.outer(delta, delta)
    D = res["D"]
    np.testing.assert_allclose(D @ D.T, B, atol=1e-12 * np.abs(B).max())
    H0 = np.einsum("ion,iop,ipq->nq", J, np.einsum("io,op->iop", P, np.eye(k))
                   - np.einsum("io,ip->iop", P, P), J) / m
    assert np.linalg.eigvalsh(H0 - B).min() >= -1e-12 * np.abs(H0).max()
    w = np.linalg.eigvalsh(B)[::-1]
    np.testing.assert_allclose(res["eigenvalues"], w[:res["eigenvalues"].size],
                               atol=1e-12 * w[0])
    assert res["classes"] == 3 and res["outputs"] == 3 and res["n"] == n
    with pytest.raises(InputError, match="labels"):
        sp.class_mean_spikes(model, loss_fn, (X, Y), labels=np.zeros(3, int))


# ------------------------------------------------------------------ bad input

def _write(tmp_path, body):
    path = tmp_path / "target_mod.py"
    path.write_text("import torch\n" + body)
    return path


def test_bad_input_is_refused_before_any_work(sp, tmp_path):
    bad = _write(tmp_path, "def two():\n    return 1, 2\n"
                           "def boom():\n    raise RuntimeError('no data here')\n"
                           "def notmodel():\n    return 1, torch.nn.MSELoss(), None\n"
                           "VALUE = 3\n")
    cases = [
        ({"target": "no_colon"}, r"target \(--torch\) must be MODULE:FUNCTION"),
        ({"target": "surely_no_such_module_x:f"}, r"target \(--torch\): cannot import"),
        ({"target": f"{tmp_path}/missing.py:f"}, r"target \(--torch\): no such file"),
        ({"target": f"{bad}:absent"}, r"no function 'absent'"),
        ({"target": f"{bad}:VALUE"}, r"no function 'VALUE'"),
        ({"target": f"{bad}:two"}, r"must return \(model, loss_fn, data\), got a tuple of "
                                   r"length 2"),
        ({"target": f"{bad}:boom"}, r"raised RuntimeError: no data here"),
        ({"target": f"{bad}:notmodel"}, r"target \(--torch\).*model must be a torch.nn.Module"),
        ({"parts": ("H", "H2")}, r"parts \(--part\)"),
        ({"method": "lanczos"}, "method must be one of"),
        ({"probes": 0}, "probes"),
        ({"top": -1}, "top"),
        ({"top": 54}, r"top must be in \[0, 53\]"),
        ({"tau": -1.0}, "tau"),
        ({"fit": "wigner"}, "fit must be one of"),
        ({"fit": "pb", "method": "kpm"}, "fit needs eigenvalues or SLQ nodes"),
        ({"fit": "pb", "fit_phi": "guess"}, "fit_phi"),
        ({"layers": ("nope",)}, r"layers \(--layer\): no parameter or layer named 'nope'"),
        ({"method": "slq", "probes": 10 ** 9}, "probes"),
        ({"fit": "pb", "bootstrap": 0}, "bootstrap"),
    ]
    for change, match in cases:
        cfg = sp.SpectrumConfig(**{"target": TINY, **change})
        with pytest.raises(InputError, match=match):
            sp.spectrum_torch(cfg, out=tmp_path / "never")
        assert not (tmp_path / "never").exists()
    with pytest.raises(InputError, match="config must be a SpectrumConfig"):
        sp.spectrum_torch({"target": TINY})


def test_dense_size_limit_names_the_method(sp, tmp_path, monkeypatch):
    monkeypatch.setattr(sp, "DENSE_MAX", 50)
    cfg = sp.SpectrumConfig(target=TINY, method="dense")
    with pytest.raises(InputError, match=r"method='dense' takes at most 50 parameters.*n = 53"):
        sp.spectrum_torch(cfg)


# ------------------------------------------------------------------ CLI

def test_cli_json_prints_one_object_and_npz_round_trips_into_fit(torch, tmp_path, capsys):
    out = tmp_path / "spec"
    assert cli.main(["spectrum", "--torch", TINY, "--part", "H", "H0", "--top", "2",
                     "--out", str(out), "--json"]) == 0
    printed = capsys.readouterr().out
    obj = json.loads(printed)                  # exactly one JSON object
    assert printed.strip().count("\n") == 0 and obj["parts"]["H0"]["all"]["n"] == 53
    assert obj["config"]["parts"] == ["H", "H0"]
    fit_out = tmp_path / "fit"
    assert cli.main(["fit", str(out / "spectrum.npz"), "--law", "mp+semicircle",
                     "--bootstrap", "2", "--out", str(fit_out), "--json"]) == 0
    fit = json.loads(capsys.readouterr().out)
    with np.load(out / "spectrum.npz") as z:
        assert fit["n"] == z["eigenvalues"].size == 53
    slq = tmp_path / "slq"
    assert cli.main(["spectrum", "--torch", TINY, "--method", "slq", "--probes", "4",
                     "--steps", "10", "--top", "0", "--out", str(slq), "--json"]) == 0
    capsys.readouterr()
    assert cli.main(["fit", str(slq / "spectrum.npz"), "--law", "mp+semicircle",
                     "--bootstrap", "2", "--out", str(tmp_path / "fit2"), "--json"]) == 0
    fit2 = json.loads(capsys.readouterr().out)
    assert fit2["input"] == "slq" and fit2["n"] == 4


def test_cli_bad_target_exits_2_naming_torch(torch, tmp_path, capsys):
    for target in ("no_colon", "surely_no_such_module_x:f", f"{EXAMPLE}:nope"):
        assert cli.main(["spectrum", "--torch", target, "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err
        assert "--torch" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()
    with pytest.raises(SystemExit) as exc:
        cli.main(["spectrum", "--torch", TINY, "--part", "H3", "--out", str(tmp_path / "o")])
    assert exc.value.code == 2 and "--part" in capsys.readouterr().err


def test_cli_without_torch_names_the_extra(tmp_path):
    """A fresh interpreter where `import torch` fails: exit 2, one line naming the extra."""
    code = ("import sys; sys.modules['torch'] = None\n"
            "from rmtland import cli\n"
            f"sys.exit(cli.main(['spectrum', '--torch', {TINY!r}, '--out', "
            f"{str(tmp_path / 'o')!r}]))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 2, res.stderr
    assert "pip install 'rmtland[torch]'" in res.stderr and res.stderr.count("\n") == 1


# ------------------------------------------------------------------ the example file

def test_example_functions_return_model_loss_data(torch, example):
    """Every FUNCTION of simulations/torch_models.py returns (model, loss_fn, data) that the
    adapter accepts, float64, with the documented sizes; the digits models are trained (loss
    a tenth of a constant prediction's) and deterministic (two calls, the same parameters)."""
    from rmtland.networks.torch import TorchHessian
    m, loss, data = example.tiny_mlp()
    assert TorchHessian(m, loss, data).n == 53
    pytest.importorskip("sklearn")
    for name, n, k in (("digits_cnn", 750, 10), ("digits_mlp", 1184, 10)):
        model, loss_fn, data = getattr(example, name)()
        h = TorchHessian(model, loss_fn, data)
        assert (h.n, h.k, h.m, h.dtype.name) == (n, k, example.SAMPLES, "float64")
        model2 = getattr(example, name)()[0]
        for p, q in zip(model.parameters(), model2.parameters()):
            assert torch.equal(p, q)
        # trained: below the loss of a constant prediction (uniform softmax: log 10; the zero
        # network on the standardised one-hot targets: 1/2, rmtland.networks.data.digits)
        assert h.loss < 0.1 * (math.log(10) if h.loss_kind == "softmax" else 0.5)


# ------------------------------------------------------------------ calibration (slow)

@pytest.mark.slow
def test_slq_errors_are_calibrated_over_seeds(sp):
    """Over 24 seeds, the SLQ trace's spread matches its reported s.e. around the exact trace
    (Hutchinson: unbiased), and the index's spread matches its s.e. (chi-square interval of
    tests/_calibration.py)."""
    base = sp.SpectrumConfig(target=TINY, method="slq", probes=8, steps=20, top=0, tau=0.01)
    exact = sp.spectrum_torch(replace(base, method="dense"))["parts"]["H"]["all"]["trace"]
    runs = [sp.spectrum_torch(replace(base, seed=s))["parts"]["H"]["all"] for s in range(24)]
    assert_calibrated([r["trace"] for r in runs], [r["trace_stderr"] for r in runs],
                      center=exact, what="SLQ trace")
    assert_calibrated([r["index"] for r in runs], [r["index_stderr"] for r in runs],
                      what="SLQ index")


@pytest.mark.slow
def test_worked_example_smoke(torch, tmp_path, capsys):
    """simulations/torch_digits.py --smoke writes its figure and result.json; in the numbers,
    the Rayleigh quotient theta_1 + u_1^T (H - B) u_1 = u_1^T H u_1 is at most the top
    eigenvalue of H (Courant-Fischer), theta_c <= the c-th eigenvalue of H0 (B <= H0,
    Weyl), and every predicted location lies right of its fitted bulk's right edge."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("_torch_digits", ROOT / "simulations" /
                                                  "torch_digits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "td"
    assert module.main(["--smoke", "--out", str(out)]) == 0
    assert (out / "torch_digits.png").read_bytes()[:8] == PNG_MAGIC
    res = json.loads((out / "result.json").read_text())
    assert all(math.isfinite(v) for v in numbers(res))
    (s,) = res["models"].values()
    rows = s["outliers"]
    assert rows[0]["first_order"] <= rows[0]["observed"] + 1e-12
    h0_top = s["spectra"]["H0"]["all"]["top"]["eigenvalues"]
    for row, lam in zip(rows, h0_top):
        assert row["theta"] <= lam * (1 + 1e-10) + 1e-14
    for key, f in s["fits"].items():
        edge = f["edges"][-1][1]
        assert all(p["location"] is None or p["location"] > edge for p in f["predictions"])


@pytest.mark.slow
def test_digits_cnn_counts_around_zero_slq_against_dense(sp):
    """On the trained digits CNN (most eigenvalues of H within 1e-3 of 0, where the SLQ index
    is dominated by its quadrature bias), the SLQ counts below -tau and at or above tau lie
    within 4 s.e. plus their bias bounds of the dense counts, and each top eigenvalue within
    its residual of the dense one."""
    pytest.importorskip("sklearn")
    base = sp.SpectrumConfig(target=f"{EXAMPLE}:digits_cnn", top=3, tau=1e-3)
    dense = sp.spectrum_torch(replace(base, method="dense"))["parts"]["H"]["all"]
    slq = sp.spectrum_torch(replace(base, method="slq", probes=8, steps=60))["parts"]["H"]["all"]
    for key in ("below", "above"):
        s, d = slq["counts"][key], dense["counts"][key]
        assert abs(s["fraction"] - d["fraction"]) <= 4 * s["stderr"] + s["bias_bound"] + 1e-12
    assert abs(slq["index"] - dense["index"]) <= 4 * slq["index_stderr"] + \
        slq["index_bias_bound"]
    for got, want, r in zip(slq["top"]["eigenvalues"], dense["top"]["eigenvalues"],
                            slq["top"]["residuals"]):
        assert abs(got - want) <= r + 1e-12
