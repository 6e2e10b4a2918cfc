"""simulate_trained / the trained_* studies: result.json contract, CLI, bad input, the GPU
double; the numbers against independent recomputation from the saved losses."""
import contextlib
import io
import json
import math

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rmtland._io import MANIFEST  # noqa: E402
from rmtland._validate import InputError  # noqa: E402
from rmtland.cli import main  # noqa: E402
from rmtland.experiments import trained  # noqa: E402
from rmtland.networks import data as datasets  # noqa: E402

SMALL = dict(activations=["tanh"], classes=(2, 3), hessian_width=4, hessian_networks=2,
             epochs=3)
ARGV = ["simulate", "trained", "--widths", "4", "8", "--networks", "6", "--activation", "tanh",
        "--classes", "2", "3", "--hessian-width", "4", "--hessian-networks", "2", "--epochs",
        "3", "--seed", "3", "--json", "--no-progress"]


def _cli(argv):
    capture = io.StringIO()
    with contextlib.redirect_stdout(capture):
        rc = main(argv)
    assert rc == 0
    return json.loads(capture.getvalue())


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One small run through the CLI (--json): its printed object and its directory."""
    out = tmp_path_factory.mktemp("trained")
    return out, _cli(ARGV + ["--out", str(out)])


def test_result_json_contract(run):
    out, res = run
    saved = json.loads((out / "result.json").read_text())
    assert sorted(p.name for p in out.iterdir() if p.name != MANIFEST) == [
        "result.json", "trained_hessian.png", "trained_losses.png"]
    for row in saved["widths"]:
        assert set(row) >= {"width", "train_mean", "train_std", "test_mean", "test_std",
                            "correlation", "correlation_lo", "correlation_hi",
                            "converged_fraction"}
        assert row["correlation_lo"] <= row["correlation"] <= row["correlation_hi"]
        assert 0 <= row["converged_fraction"] <= 1
    assert set(saved["spread_fit"]) >= {"slope", "stderr"}
    for row in saved["hessian"]:
        assert set(row) >= {"classes", "outliers", "bulk_edge", "ks_bulk", "rule", "angles"}
        # K - 1 principal angles per network, in degrees
        assert row["rule"] == "gap_ratio" and len(row["angles"]) == row["networks"]
        # the count of each network, and their mean
        assert len(row["outliers"]) == row["networks"]
        assert row["outliers_mean"] == pytest.approx(np.mean(row["outliers"]))
        assert all(len(a) == row["classes"] - 1 and 0 <= min(a) <= max(a) <= 90
                   for a in row["angles"])
    assert [r["classes"] for r in saved["hessian"]] == [2, 3]
    assert saved["seconds"] > 0 and saved["device"] == "cpu"
    # the spread fit is the OLS slope of log(test std) on log(width): with two widths the
    # line through both points
    w = saved["widths"]
    slope = math.log(w[1]["test_std"] / w[0]["test_std"]) / math.log(8 / 4)
    assert saved["spread_fit"]["slope"] == pytest.approx(slope, rel=1e-9)
    # the settings are recorded, the papers' recipe by default
    c = saved["config"]
    assert (c["inputs"], c["downsample"], c["bias"], c["init"], c["optimizer"], c["stop"],
            c["lr_decay"]) == ("unit", 1, True, "he", "sgd", "none", 0.0)
    assert saved["schedule"]["momentum"] == 0.0 and saved["schedule"]["decay_epochs"] is None


def test_same_seed_same_numbers(run):
    _, res = run
    config = trained.TrainedConfig(widths=(4, 8), networks=6, seed=3, **SMALL)
    again = trained.simulate_trained(config, progress=False)
    assert again["widths"][0]["train_mean"] == res["widths"][0]["train_mean"]
    assert again["hessian"][1]["outliers"] == res["hessian"][1]["outliers"]


def test_width_rows_recomputed_from_the_losses():
    """The row's statistics from the final losses train_sgd returns, recomputed here: the
    standard deviations (ddof 1), Pearson r and Fisher's interval tanh(atanh r +- 1.96 /
    sqrt(B - 3)), and the fraction converged (|g_E| <= grad_tol |g_0|)."""
    config = trained.TrainedConfig(widths=(5,), networks=12, activations=("relu",),
                                   classes=(), epochs=2, seed=1)
    data = trained.digits_task(config, range(10), rng=0, dtype="float32")
    model, res = trained._train(config, data, 5, "relu", 12, 4)
    row = trained._width_row("relu", 5, model, res, 0.0)
    train, test = res["train_loss"], res["test_loss"]
    assert row["train_std"] == pytest.approx(np.std(train, ddof=1), rel=1e-12)
    r = np.corrcoef(train, test)[0, 1]
    assert row["correlation"] == pytest.approx(r, rel=1e-9)
    h = 1.96 / math.sqrt(12 - 3)
    assert row["correlation_lo"] == pytest.approx(math.tanh(math.atanh(r) - h), rel=1e-9)
    assert row["correlation_hi"] == pytest.approx(math.tanh(math.atanh(r) + h), rel=1e-9)
    assert row["converged_fraction"] == np.mean(res["grad_norm"] <= 1e-2 * res["grad_norm0"])
    assert row["parameters"] == (64 + 1) * 5 + (5 + 1) * 10      # 8x8 inputs, biases
    # unit inputs: pixels / 16, in [0, 1]
    assert data[0].shape[1] == 64 and float(data[0].min()) == 0 and float(data[0].max()) == 1


def test_correlation_interval_covers_rho_95_percent():
    """Calibration of the rows' correlation interval: R = 400 repetitions of B = 30 pairs
    from a bivariate normal with correlation rho = 0.6, fed through the study's row code as
    the final train/test losses; the fraction of intervals covering rho is 0.95 within four
    binomial standard errors (Fisher 1921: atanh r ~ N(atanh rho, 1/(B-3)))."""
    R, B, rho = 400, 30, 0.6
    model = type("M", (), {"n_params": 1})()
    cover = []
    for seed in range(R):
        g = np.random.default_rng(seed)
        a, e = g.standard_normal(B), g.standard_normal(B)
        res = {"train_loss": 1 + 0.1 * a, "test_loss": 1 + 0.1 * (rho * a + 0.8 * e),
               "diverged": np.zeros(B, bool), "grad_ratio": np.ones(B),
               "converged": np.zeros(B, bool), "stopped": np.zeros(B, bool),
               "epochs": np.ones(B, int)}
        row = trained._width_row("relu", 1, model, res, 0.0)
        cover.append(row["correlation_lo"] <= rho <= row["correlation_hi"])
    assert abs(np.mean(cover) - 0.95) <= 4 * math.sqrt(0.95 * 0.05 / R), np.mean(cover)


def test_old_recipe_by_flags_or_by_name():
    """--recipe old and the same settings spelled as flags give one configuration: momentum
    0.9, step decay, plateau stop, standardised 4x4 inputs, no biases, LeCun init."""
    base = trained.TrainedConfig(**trained.OLD_RECIPE).validate()
    assert base.training()["momentum"] == 0.9 and base.training()["decay_epochs"] == 10.0
    assert trained.TrainedConfig().validate().training()["momentum"] == 0.0
    common = ["simulate", "trained", "--widths", "3", "--networks", "4", "--no-hessian",
              "--epochs", "2", "--activation", "tanh", "--json", "--no-progress"]
    flags = ["--optimizer", "momentum", "--lr-decay", "10", "--stop", "plateau", "--inputs",
             "standardise", "--downsample", "2", "--no-bias", "--init", "lecun",
             "--batch-size", "64", "--hessian-activation", "tanh"]
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        by_name = _cli(common + ["--recipe", "old", "--out", d + "/a"])
        by_flags = _cli(common + flags + ["--out", d + "/b"])
    assert by_name["config"] == by_flags["config"]
    assert by_name["widths"][0]["train_mean"] == by_flags["widths"][0]["train_mean"]
    assert by_name["hessian"] == [] and by_name["schedule"]["stop"] == "plateau"


@pytest.mark.parametrize("fields, name", [
    ({"widths": [4, 4]}, "widths"), ({"widths": [0]}, "widths"),
    ({"networks": 1}, "networks"), ({"activations": ["sigmoid"]}, "activations"),
    ({"classes": (1, 2)}, "classes"), ({"classes": (2, 11)}, "classes"),
    ({"epochs": 0}, "epochs"), ({"inputs": "raw"}, "inputs"),
    ({"downsample": 8}, "downsample"), ({"bias": "yes"}, "bias"), ({"init": "xavier"}, "init"),
    ({"optimizer": "adam"}, "optimizer"), ({"momentum": 1.0}, "momentum"), ({"lr": 0}, "lr"),
    ({"lr_decay": -1}, "lr_decay"), ({"batch_size": 0}, "batch_size"),
    ({"stop": "early"}, "stop"), ({"train_size": 5}, "train_size"),
    ({"train_size": 5000}, "train_size"), ({"grad_tol": 2}, "grad_tol"),
    ({"hessian_activation": "softsign"}, "hessian_activation"),
    ({"hessian_width": 0}, "hessian_width"), ({"learning_rate": 0.1}, "learning_rate")])
def test_bad_input_before_work(fields, name, monkeypatch):
    def started(*a, **k):
        raise AssertionError("work started before the check")
    monkeypatch.setattr(trained, "loss_study", started)
    monkeypatch.setattr(trained, "_require_digits", started)
    args = dict(widths=[4], networks=4)
    args.update(fields)
    with pytest.raises(InputError, match=name):
        trained.simulate_trained(**args)


@pytest.mark.parametrize("flags, name", [
    (["--inputs", "raw"], "inputs"), (["--optimizer", "adam"], "optimizer"),
    (["--stop", "early"], "stop"), (["--lr", "-1"], "lr"), (["--downsample", "3"], "downsample"),
    (["--train-size", "3"], "train_size"), (["--batch-size", "0"], "batch_size"),
    (["--epochs", "100000000"], "epochs")])
def test_cli_bad_flags_exit_2_naming_them(flags, name, tmp_path, capsys):
    argv = ["simulate", "trained", "--widths", "4", "--out", str(tmp_path / "x")] + flags
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert name in err and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_cli_bad_input_exits_2(tmp_path, capsys):
    # validated by the library before any work (K = 12 > 10 digit classes)
    assert main(["simulate", "trained", "--widths", "4", "--classes", "12", "--out",
                 str(tmp_path / "x")]) == 2
    assert "classes" in capsys.readouterr().err
    # validated by argparse (the CLI's validators name the parameter; exit 2)
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "trained", "--widths", "0", "--out", str(tmp_path / "y")])
    assert exc.value.code == 2 and "widths" in capsys.readouterr().err


def test_work_check_counts_the_recipe():
    """The size check follows the recipe: the work grows with the epochs, with smaller
    mini-batches (more Python-level steps) and with the gradient stop (a full gradient per
    epoch); the memory with the inputs (64 pixels against 16)."""
    c = trained.TrainedConfig(widths=(40,), networks=10, classes=())
    ops = trained.check_trained(c)["operations"]
    assert trained.check_trained(c, epochs=120)["operations"] > 1.9 * ops
    assert trained.check_trained(c, batch_size=4)["operations"] > ops
    assert trained.check_trained(c, stop="gradient")["operations"] > ops
    assert trained.check_trained(c, downsample=2)["bytes"] < trained.check_trained(c)["bytes"]


def test_sweep_kind_takes_the_config_fields():
    """The sweep kind "trained" takes TrainedConfig's settings, validated by it."""
    from rmtland.experiments import sweep
    spec = sweep.parse_spec({"kind": "trained", "grid": {
        "width": [4, 8], "networks": 3, "epochs": 2, "optimizer": "momentum",
        "inputs": "standardise", "bias": False}})
    assert len(spec.points) == 2
    p = spec.points[0].params
    assert (p["optimizer"], p["inputs"], p["bias"], p["init"]) == (
        "momentum", "standardise", False, "he")
    with pytest.raises(InputError, match="inputs"):
        sweep.parse_spec({"kind": "trained", "grid": {"width": 4, "inputs": "raw"}})
    row = sweep.trained_point(seed=1, device="cpu", **dict(p, networks=3))
    assert 0 <= row["converged_fraction"] <= 1 and row["networks"] == 3


def test_missing_data_extra_names_it(monkeypatch, tmp_path):
    def no_sklearn():
        raise InputError(datasets.DIGITS_EXTRA_MESSAGE)
    monkeypatch.setattr(datasets, "_load_digits", no_sklearn)
    with pytest.raises(InputError, match=r"rmtland\[data\]"):
        trained.simulate_trained(widths=[4], networks=4, progress=False, **SMALL)


def test_reproduce_without_the_data_extra_exits_2_before_computing(capsys, tmp_path,
                                                                    monkeypatch):
    """The main job needs the digits (scikit-learn, the `data` extra) for the trained-network
    figures: without it, `reproduce` exits 2 naming the extra before any figure computes."""
    import dataclasses
    import sys as _sys

    from rmtland.experiments import _run
    monkeypatch.setitem(_sys.modules, "sklearn", None)
    monkeypatch.setitem(_sys.modules, "sklearn.datasets", None)

    def computed(*a, **k):
        pytest.fail("a figure computed before the missing extra was reported")
    monkeypatch.setattr(_run, "FIGURES", {k: dataclasses.replace(f, func=computed)
                                         for k, f in _run.FIGURES.items()})
    code = main(["reproduce", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "rmtland[data]" in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


def test_class_mean_angles_are_those_of_the_class_mean_gradients():
    """The subspace the angles are measured against is the span of the per-class means of the
    per-sample loss gradients (Papyan): built here sample by sample and planted as the top
    K - 1 eigenvectors, the angles are 0 to rounding; planted orthogonal to them, 90 degrees."""
    from rmtland.experiments.trained import _class_mean_angles
    from rmtland.networks import MLP
    rng = np.random.default_rng(0)
    K, m = 3, 12
    model = MLP([4, 5, K], "tanh", loss="softmax")
    theta = model.init(1, rng=1)
    X = rng.standard_normal((m, 4))
    labels = np.arange(m) % K
    Y = np.eye(K)[labels]
    n = model.n_params
    per = np.stack([model.gradient(theta, X[j:j + 1], Y[j:j + 1])[0] for j in range(m)])
    means = np.stack([per[labels == c].mean(axis=0) for c in range(K)], axis=1)   # (n, K)
    Q = np.linalg.qr(np.hstack([means, rng.standard_normal((n, n - K))]))[0]
    inside = np.hstack([Q[:, K:], Q[:, :K - 1]])          # ascending order: top K-1 last
    outside = np.hstack([Q[:, :K], Q[:, 2 * K - 1:], Q[:, K:2 * K - 1]])
    a_in = _class_mean_angles(model, theta, X, Y, inside[None], K)[0]
    a_out = _class_mean_angles(model, theta, X, Y, outside[None], K)[0]
    assert a_in.shape == (K - 1,) and np.max(a_in) < 1e-6
    np.testing.assert_allclose(a_out, np.pi / 2, atol=1e-6)
