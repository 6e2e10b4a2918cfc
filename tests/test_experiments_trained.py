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
             max_epochs=3, progress=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One small run through the CLI (--json): its printed object and its directory."""
    out = tmp_path_factory.mktemp("trained")
    capture = io.StringIO()
    with contextlib.redirect_stdout(capture):
        rc = main(["simulate", "trained", "--widths", "4", "8", "--networks", "6",
                   "--activation", "tanh", "--classes", "2", "3", "--hessian-width", "4",
                   "--hessian-networks", "2", "--max-epochs", "3", "--seed", "3",
                   "--out", str(out), "--json", "--no-progress"])
    assert rc == 0
    return out, json.loads(capture.getvalue())


def test_result_json_contract(run):
    out, res = run
    saved = json.loads((out / "result.json").read_text())
    assert sorted(p.name for p in out.iterdir() if p.name != MANIFEST) == [
        "result.json", "trained_hessian.png", "trained_losses.png"]
    for row in saved["widths"]:
        assert set(row) >= {"width", "train_mean", "train_std", "test_mean", "test_std",
                            "train_test_corr"}
    assert set(saved["spread_fit"]) >= {"exponent", "stderr"}
    for row in saved["hessian"]:
        assert set(row) >= {"classes", "outliers", "bulk_edge", "ks_bulk"}
    assert [r["classes"] for r in saved["hessian"]] == [2, 3]
    assert saved["seconds"] > 0 and saved["device"] == "cpu"
    # the spread fit is the OLS slope of log(test std) on log(width): with two widths the
    # line through both points
    w = saved["widths"]
    slope = math.log(w[1]["test_std"] / w[0]["test_std"]) / math.log(8 / 4)
    assert saved["spread_fit"]["exponent"] == pytest.approx(slope, rel=1e-9)


def test_same_seed_same_numbers(run):
    _, res = run
    again = trained.simulate_trained([4, 8], 6, seed=3, **SMALL)
    assert again["widths"][0]["train_mean"] == res["widths"][0]["train_mean"]
    assert again["hessian"][1]["outliers_each"] == res["hessian"][1]["outliers_each"]


def test_loss_study_statistics_recomputed():
    st = trained.loss_study([5], 12, ["relu"], max_epochs=2, seed=1, progress=False)
    train, test = st["losses"][("relu", 5)]
    row = st["rows"][0]
    assert row["train_std"] == pytest.approx(np.std(train, ddof=1), rel=1e-12)
    assert row["train_test_corr"] == pytest.approx(np.corrcoef(train, test)[0, 1], rel=1e-9)
    assert row["parameters"] == 16 * 5 + 5 * 10


@pytest.mark.parametrize("kwargs, name", [
    ({"widths": [4, 4]}, "widths"), ({"widths": [0]}, "widths"),
    ({"networks": 1}, "networks"), ({"activations": ["sigmoid"]}, "activations"),
    ({"classes": (1, 2)}, "classes"), ({"classes": (2, 11)}, "classes"),
    ({"max_epochs": 0}, "max_epochs")])
def test_bad_input_before_work(kwargs, name, tmp_path):
    args = dict(widths=[4], networks=4)
    args.update(kwargs)
    with pytest.raises(InputError, match=name):
        trained.simulate_trained(args.pop("widths"), args.pop("networks"), **args)


def test_cli_bad_input_exits_2(tmp_path, capsys):
    # validated by the library before any work (K = 12 > 10 digit classes)
    assert main(["simulate", "trained", "--widths", "4", "--classes", "12", "--out",
                 str(tmp_path / "x")]) == 2
    assert "classes" in capsys.readouterr().err
    # validated by argparse (the CLI's validators name the parameter; exit 2)
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "trained", "--widths", "0", "--out", str(tmp_path / "y")])
    assert exc.value.code == 2 and "widths" in capsys.readouterr().err


def test_missing_data_extra_names_it(monkeypatch, tmp_path):
    def no_sklearn():
        raise InputError(datasets.DIGITS_EXTRA_MESSAGE)
    monkeypatch.setattr(datasets, "_load_digits", no_sklearn)
    with pytest.raises(InputError, match=r"rmtland\[data\]"):
        trained.simulate_trained([4], 4, **SMALL)


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
